"""Adjoint (reverse-mode) gradient of the exact noisy energy with respect to every angle.

One forward pass stores the state before each op; the backward pass carries
``lam = dE/dx`` through the transposed ops.  For a fused block ``M = F_m ... F_1`` and a rotation
factor ``F_f``, ``dE/dtheta = sum_ab (L_f dF_f R_f)[a, b] G[a, b]`` where ``G = sum_groups
lam_local (x) x_local`` is accumulated once per block, ``L_f = F_m..F_{f+1}``, ``R_f = F_{f-1}..F_1``.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel
from .program import (BLOCK1, BLOCK2, F_ROT, _factor, apply_op, embed, half_angles,
                      init_zero_state, observable, workspace)
from .ptm import outer_1q, outer_2q


@kernel
def _drot(fac, mats, thetas):
    """d/dtheta of a rotation factor: ``-cs A + (c^2 - s^2)/2 B + cs C``."""
    off = fac[3]
    c, s = np.cos(0.5 * thetas[fac[2]]), np.sin(0.5 * thetas[fac[2]])
    out = np.empty((4, 4))
    for i in range(16):
        out.ravel()[i] = -c * s * mats[off + i] + 0.5 * (c * c - s * s) * mats[off + 16 + i] \
            + c * s * mats[off + 32 + i]
    return out


@kernel
def _block_grad(op, factors, mats, thetas, g, gocc):
    d = 4 if op[0] == BLOCK1 else 16
    m = op[4] - op[3]
    fs = np.empty((m, d, d))
    for f in range(m):
        fs[f] = _factor(factors[op[3] + f], mats, thetas, d)
    right = np.empty((m, d, d))
    left = np.empty((m, d, d))
    right[0] = np.eye(d)
    for f in range(1, m):
        right[f] = fs[f - 1] @ right[f - 1]
    left[m - 1] = np.eye(d)
    for f in range(m - 2, -1, -1):
        left[f] = left[f + 1] @ fs[f + 1]
    for f in range(m):
        fac = factors[op[3] + f]
        if fac[0] != F_ROT:
            continue
        df = _drot(fac, mats, thetas)
        if d == 16:
            df = embed(df, fac[1])
        gocc[fac[2]] += np.sum((left[f] @ df @ right[f]) * g)


@kernel
def energy_and_gradient(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val):
    nops, dim = ops.shape[0], 4**n
    thetas = np.empty(occ_param.shape[0])
    half_angles(params, occ_param, thetas)
    states = np.empty((nops, dim))
    x = np.empty(dim)
    ws = workspace(n)
    init_zero_state(x, n)
    for k in range(nops):
        states[k] = x
        apply_op(x, ops[k], factors, mats, sparse_rc, sparse_val, thetas, False, ws)
    e = observable(x, h_idx, h_val)
    lam = np.zeros(dim)
    for k in range(h_idx.shape[0]):
        lam[h_idx[k]] += h_val[k]
    gocc = np.zeros(occ_param.shape[0])
    for k in range(nops - 1, -1, -1):
        op = ops[k]
        if op[0] == BLOCK1 or op[0] == BLOCK2:
            has_rot = False
            for f in range(op[3], op[4]):
                has_rot = has_rot or factors[f, 0] == F_ROT
            if has_rot:
                d = 4 if op[0] == BLOCK1 else 16
                g = np.zeros((d, d))
                if d == 4:
                    outer_1q(lam, states[k], op[1], g)
                else:
                    outer_2q(lam, states[k], op[1], op[2], g, ws)
                _block_grad(op, factors, mats, thetas, g, gocc)
        apply_op(lam, op, factors, mats, sparse_rc, sparse_val, thetas, True, ws)
    grad = np.zeros(params.shape[0])
    for o in range(occ_param.shape[0]):
        grad[occ_param[o]] += gocc[o]
    return e, grad
