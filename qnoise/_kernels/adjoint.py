"""Adjoint (reverse-mode) gradient of the exact noisy energy with respect to every angle.

One forward pass stores the state before each op; the backward pass carries
``lam = dE/dx`` through the transposed ops.  For a one-qubit block ``M = F_m ... F_1`` and a
rotation factor ``F_f``, ``dE/dtheta = sum_ab (L_f dF_f R_f)[a, b] G[a, b]`` where ``G = sum_groups
lam_local (x) x_local`` is accumulated once per block, ``L_f = F_m..F_{f+1}``, ``R_f = F_{f-1}..F_1``.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel
from .program import BLOCK1, F_ROT, apply_op, half_angles, init_zero_state, observable, workspace
from .ptm import outer_1q


@kernel
def _factor(fac, mats, thetas):
    """A ``BLOCK1`` factor as a 4x4 matrix (a rotation at its angle, or a fixed matrix)."""
    off = fac[2]
    f4 = np.empty((4, 4))
    if fac[0] == F_ROT:
        c, s = np.cos(0.5 * thetas[fac[1]]), np.sin(0.5 * thetas[fac[1]])
        cc, cs, ss = c * c, c * s, s * s
        for i in range(16):
            f4.ravel()[i] = cc * mats[off + i] + cs * mats[off + 16 + i] + ss * mats[off + 32 + i]
    else:
        f4[:, :] = mats[off : off + 16].reshape(4, 4)
    return f4


@kernel
def _drot(fac, mats, thetas):
    """d/dtheta of a rotation factor: ``-cs A + (c^2 - s^2)/2 B + cs C``."""
    off = fac[2]
    c, s = np.cos(0.5 * thetas[fac[1]]), np.sin(0.5 * thetas[fac[1]])
    out = np.empty((4, 4))
    for i in range(16):
        out.ravel()[i] = (
            -c * s * mats[off + i] + 0.5 * (c * c - s * s) * mats[off + 16 + i] + c * s * mats[off + 32 + i]
        )
    return out


@kernel
def _block_grad(op, factors, mats, thetas, g, gocc):
    m = op[4] - op[3]
    fs = np.empty((m, 4, 4))
    for f in range(m):
        fs[f] = _factor(factors[op[3] + f], mats, thetas)
    right = np.empty((m, 4, 4))
    left = np.empty((m, 4, 4))
    right[0] = np.eye(4)
    for f in range(1, m):
        right[f] = fs[f - 1] @ right[f - 1]
    left[m - 1] = np.eye(4)
    for f in range(m - 2, -1, -1):
        left[f] = left[f + 1] @ fs[f + 1]
    for f in range(m):
        fac = factors[op[3] + f]
        if fac[0] != F_ROT:
            continue
        gocc[fac[1]] += np.sum((left[f] @ _drot(fac, mats, thetas) @ right[f]) * g)


@kernel
def energy_and_gradient(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val):
    nops, dim = ops.shape[0], 4**n
    thetas = np.empty(occ_param.shape[0])
    half_angles(params, occ_param, thetas)
    states = np.empty((nops, dim))
    x = np.empty(dim)
    ws = workspace()
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
        if op[0] == BLOCK1:  # the compiler emits a block only around rotations
            g = np.zeros((4, 4))
            outer_1q(lam, states[k], op[1], g)
            _block_grad(op, factors, mats, thetas, g, gocc)
        apply_op(lam, op, factors, mats, sparse_rc, sparse_val, thetas, True, ws)
    grad = np.zeros(params.shape[0])
    for o in range(occ_param.shape[0]):
        grad[occ_param[o]] += gocc[o]
    return e, grad
