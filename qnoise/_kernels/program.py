"""Whole-circuit runner: one compiled call executes an opcode program on the PTM vector.

Program layout (built by :mod:`qnoise.compiler`):

* ``ops[k] = (kind, q0, q1, start, end)``; ``q0 < q1`` for two-qubit ops.
* ``factors[f] = (ftype, occurrence, offset)`` for the one-qubit blocks ``BLOCK1`` (consecutive
  gates on a qubit, rotations among them); a block's matrix is ``F_m ... F_1`` over its factors
  ``start..end-1``.
* ``GATHER2`` (small states): a fixed two-qubit op as a whole-state matrix, its non-zeros at
  ``sparse_rc[start:end]`` / ``sparse_val[start:end]`` (see :func:`qnoise._kernels.ptm.apply_gather`).
* ``mats``: flat float64 buffer of matrices (row-major); ``sparse_rc``/``sparse_val``: non-zeros.
* Rotation factor ``F = c^2 A + c s B + s^2 C`` with ``c, s = cos, sin(theta/2)``; ``A, B, C`` are
  consecutive 4x4 matrices at ``offset`` (noise already folded in).
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel
from .ptm import (
    SCRATCH,
    WS_SIZE,
    apply_1q,
    apply_1q_par,
    apply_2q,
    apply_2q_par,
    apply_2q_sparse,
    apply_2q_sparse_par,
    apply_diag_1q,
    apply_diag_1q_par,
    apply_diag_2q,
    apply_diag_2q_par,
    apply_gather,
)

FIX1, DIAG1, FIX2, DIAG2, SPARSE2, BLOCK1, GATHER2 = 0, 1, 2, 3, 4, 5, 6
F_FIX4, F_ROT = 0, 1


@kernel
def init_zero_state(x, n):
    """|0..0><0..0|: ``r_P = 2^{-n/2}`` for the 2^n strings of I and Z, 0 elsewhere."""
    x[:] = 0.0
    amp = 1.0 / np.sqrt(2.0**n)
    for b in range(1 << n):
        idx = 0
        for k in range(n):
            if (b >> k) & 1:
                idx += 3 << (2 * k)
        x[idx] = amp


@kernel
def half_angles(params, occ_param, thetas_out):
    for o in range(occ_param.shape[0]):
        thetas_out[o] = params[occ_param[o]]


@kernel
def block_matrix_1q(op, factors, mats, thetas, transpose, ws):
    """The 4x4 matrix of a ``BLOCK1`` op (transposed if asked), built in ``ws`` scratch without
    allocating; returns a (4, 4) view of ``ws``."""
    m = ws[SCRATCH + 64 : SCRATCH + 80].reshape(4, 4)
    f = ws[SCRATCH + 80 : SCRATCH + 96]
    t = ws[SCRATCH + 96 : SCRATCH + 112].reshape(4, 4)
    for k in range(op[3], op[4]):
        off = factors[k, 2]
        if factors[k, 0] == F_ROT:
            th = 0.5 * thetas[factors[k, 1]]
            c, s = np.cos(th), np.sin(th)
            cc, cs, ss = c * c, c * s, s * s
            for i in range(16):
                f[i] = cc * mats[off + i] + cs * mats[off + 16 + i] + ss * mats[off + 32 + i]
        else:
            for i in range(16):
                f[i] = mats[off + i]
        if k == op[3]:
            for a in range(4):
                for b in range(4):
                    m[a, b] = f[4 * a + b]
            continue
        for a in range(4):
            for b in range(4):
                t[a, b] = f[4 * a] * m[0, b] + f[4 * a + 1] * m[1, b] + f[4 * a + 2] * m[2, b] + f[4 * a + 3] * m[3, b]
        m[:, :] = t
    if transpose:
        for a in range(4):
            for b in range(4):
                t[a, b] = m[b, a]
        return t
    return m


@kernel
def workspace():
    """Scratch for the two-qubit kernels (``WS_SIZE`` floats, whatever the number of qubits)."""
    return np.empty(WS_SIZE)


@kernel
def apply_op(x, op, factors, mats, sparse_rc, sparse_val, thetas, transpose, ws):
    kind, q0, q1, start, end = op[0], op[1], op[2], op[3], op[4]
    if kind == DIAG1:
        apply_diag_1q(x, q0, mats[start : start + 4])
    elif kind == DIAG2:
        apply_diag_2q(x, q0, q1, mats[start : start + 16])
    elif kind == FIX1:
        m = mats[start : start + 16].reshape(4, 4)
        apply_1q(x, q0, m.T.copy() if transpose else m)
    elif kind == FIX2:
        m = mats[start : start + 256].reshape(16, 16)
        apply_2q(x, q0, q1, m.T.copy() if transpose else m, ws)
    elif kind == SPARSE2:
        r, c = sparse_rc[start:end, 0], sparse_rc[start:end, 1]
        if transpose:
            apply_2q_sparse(x, q0, q1, c, r, sparse_val[start:end], ws)
        else:
            apply_2q_sparse(x, q0, q1, r, c, sparse_val[start:end], ws)
    elif kind == GATHER2:
        apply_gather(x, sparse_rc[start:end], sparse_val[start:end], transpose, ws)
    else:  # BLOCK1
        apply_1q(x, q0, block_matrix_1q(op, factors, mats, thetas, transpose, ws))


@kernel
def run(x, n, ops, factors, mats, sparse_rc, sparse_val, thetas, ws):
    init_zero_state(x, n)
    for k in range(ops.shape[0]):
        apply_op(x, ops[k], factors, mats, sparse_rc, sparse_val, thetas, False, ws)


@kernel
def observable(x, h_idx, h_val):
    acc = 0.0
    for k in range(h_idx.shape[0]):
        acc += h_val[k] * x[h_idx[k]]
    return acc


@kernel
def _energy_into(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, x, thetas, ws):
    for o in range(occ_param.shape[0]):
        thetas[o] = params[occ_param[o]]
    run(x, n, ops, factors, mats, sparse_rc, sparse_val, thetas, ws)
    return observable(x, h_idx, h_val)


@kernel
def scratch(n, nocc):
    """The state, the ``nocc`` angles and the workspace of one evaluation, views of one allocation."""
    nx = 1 << (2 * n)
    buf = np.empty(nx + nocc + WS_SIZE)
    return buf[:nx], buf[nx : nx + nocc], buf[nx + nocc :]


@kernel
def energy(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val):
    x, thetas, ws = scratch(n, occ_param.shape[0])
    return _energy_into(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, x, thetas, ws)


@kernel
def energies(params2d, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val):
    """Energies of the rows of ``params2d`` (one state and workspace reused for all rows)."""
    rows = params2d.shape[0]
    out = np.empty(rows)
    x, thetas, ws = scratch(n, occ_param.shape[0])
    for r in range(rows):
        out[r] = _energy_into(
            params2d[r], n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, x, thetas, ws
        )
    return out


@kernel
def energies_angles(thetas2d, n, ops, factors, mats, sparse_rc, sparse_val, h_idx, h_val):
    """Energies for explicit per-occurrence angles (parameter-shift gradients)."""
    out = np.empty(thetas2d.shape[0])
    x = np.empty(4**n)
    ws = workspace()
    for r in range(thetas2d.shape[0]):
        run(x, n, ops, factors, mats, sparse_rc, sparse_val, thetas2d[r], ws)
        out[r] = observable(x, h_idx, h_val)
    return out


# ---------------------------------------------------------------------------------------------
# Multi-threaded runner for large states: the same programs, each op's kernel split over ``nt``
# threads (:mod:`qnoise._kernels.ptm` ``*_par``), bit-identical to the serial runner.  ``nt`` is
# an argument: the Python front (:class:`qnoise.simulator.Simulator`) reads
# ``numba.get_num_threads()`` and calls these only when ``nt > 1`` and the state has at least
# ``simulator.PARALLEL_MIN_QUBITS`` qubits; with ``NUMBA_NUM_THREADS=1`` the serial kernels above
# run unchanged.


@kernel
def workspace_par(nt):
    """One ``WS_SIZE`` workspace per thread (thread 0's doubles as the serial workspace)."""
    return np.empty(nt * WS_SIZE)


@kernel
def apply_op_par(x, op, factors, mats, sparse_rc, sparse_val, thetas, transpose, ws, nt):
    kind, q0, q1, start, end = op[0], op[1], op[2], op[3], op[4]
    if kind == DIAG1:
        apply_diag_1q_par(x, q0, mats[start : start + 4], nt)
    elif kind == DIAG2:
        apply_diag_2q_par(x, q0, q1, mats[start : start + 16], nt)
    elif kind == FIX1:
        m = mats[start : start + 16].reshape(4, 4)
        apply_1q_par(x, q0, m.T.copy() if transpose else m, nt)
    elif kind == FIX2:
        m = mats[start : start + 256].reshape(16, 16)
        apply_2q_par(x, q0, q1, m.T.copy() if transpose else m, ws, nt)
    elif kind == SPARSE2:
        r, c = sparse_rc[start:end, 0], sparse_rc[start:end, 1]
        if transpose:
            apply_2q_sparse_par(x, q0, q1, c, r, sparse_val[start:end], ws, nt)
        else:
            apply_2q_sparse_par(x, q0, q1, r, c, sparse_val[start:end], ws, nt)
    elif kind == GATHER2:  # small states: serial
        apply_op(x, op, factors, mats, sparse_rc, sparse_val, thetas, transpose, ws)
    else:  # BLOCK1
        apply_1q_par(x, q0, block_matrix_1q(op, factors, mats, thetas, transpose, ws), nt)


@kernel
def run_par(x, n, ops, factors, mats, sparse_rc, sparse_val, thetas, ws, nt):
    init_zero_state(x, n)
    for k in range(ops.shape[0]):
        apply_op_par(x, ops[k], factors, mats, sparse_rc, sparse_val, thetas, False, ws, nt)


@kernel
def energy_par(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, nt):
    x = np.empty(4**n)
    thetas = np.empty(occ_param.shape[0])
    ws = workspace_par(nt)
    half_angles(params, occ_param, thetas)
    run_par(x, n, ops, factors, mats, sparse_rc, sparse_val, thetas, ws, nt)
    return observable(x, h_idx, h_val)


@kernel
def energies_par(params2d, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, nt):
    out = np.empty(params2d.shape[0])
    x = np.empty(4**n)
    thetas = np.empty(occ_param.shape[0])
    ws = workspace_par(nt)
    for r in range(params2d.shape[0]):
        half_angles(params2d[r], occ_param, thetas)
        run_par(x, n, ops, factors, mats, sparse_rc, sparse_val, thetas, ws, nt)
        out[r] = observable(x, h_idx, h_val)
    return out


# ---------------------------------------------------------------------------------------------
# Packed entry points: a whole program and its observable in two buffers, so one call unboxes
# three arrays instead of ten arguments (Numba's dispatcher costs ~0.2 us per array argument).
# Built by :func:`qnoise.compiler.pack_program`; layout of ``ibuf`` (int64):
#
# * ``ibuf[0] = n``; ``ibuf[1:7]`` the bounds of the int sections ``ops`` (rows of 5),
#   ``factors`` (rows of 3), ``sparse_rc`` (rows of 2), ``occ_param``, ``h_idx``;
# * ``ibuf[7:11]`` the bounds of the float sections of ``fbuf``: ``mats``, ``sparse_val``,
#   ``h_val``; ``fbuf[ibuf[10]]`` is the observable's constant.

PACK_HEADER = 11


@kernel
def unpack(ibuf, fbuf):
    """Views ``(n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, constant)``."""
    a0, a1, a2, a3, a4, a5 = ibuf[1], ibuf[2], ibuf[3], ibuf[4], ibuf[5], ibuf[6]
    b0, b1, b2, b3 = ibuf[7], ibuf[8], ibuf[9], ibuf[10]
    ops = ibuf[a0:a1].reshape((a1 - a0) // 5, 5)
    factors = ibuf[a1:a2].reshape((a2 - a1) // 3, 3)
    sparse_rc = ibuf[a2:a3].reshape((a3 - a2) // 2, 2)
    return (ibuf[0], ops, factors, fbuf[b0:b1], sparse_rc, fbuf[b1:b2], ibuf[a3:a4], ibuf[a4:a5], fbuf[b2:b3], fbuf[b3])


@kernel
def energy_packed(params, ibuf, fbuf):
    """:func:`energy` of a packed program, the observable's constant added."""
    n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, const = unpack(ibuf, fbuf)
    x, thetas, ws = scratch(n, occ_param.shape[0])
    e = _energy_into(params, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, x, thetas, ws)
    return e + const


@kernel
def energies_packed(params2d, ibuf, fbuf):
    """:func:`energies` of a packed program, the observable's constant added to each row."""
    n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val, const = unpack(ibuf, fbuf)
    out = energies(params2d, n, ops, factors, mats, sparse_rc, sparse_val, occ_param, h_idx, h_val)
    out += const
    return out
