"""Local PTM kernels on the 4^n Pauli vector (conventions in :mod:`qnoise.paulis`).

Digit k of a vector index is the Pauli code of qubit k, so qubit q has stride ``4**q``.  A 1-qubit
kernel applies a 4x4 matrix to every 4-tuple ``x[base + p 4**q]``; a 2-qubit kernel on ``lo < hi``
applies a 16x16 matrix whose local index is ``p_lo + 4 p_hi``.  Nothing here builds a 4^n x 4^n
matrix, and nothing validates.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

#: state size from which dense two-qubit ops go through BLAS
BLAS_MIN_SIZE = 4**6


@kernel
def apply_1q(x, q, m):
    """``x <- M_q x`` for a 4x4 ``m`` acting on qubit ``q``."""
    s = 1 << (2 * q)
    m00, m01, m02, m03 = m[0, 0], m[0, 1], m[0, 2], m[0, 3]
    m10, m11, m12, m13 = m[1, 0], m[1, 1], m[1, 2], m[1, 3]
    m20, m21, m22, m23 = m[2, 0], m[2, 1], m[2, 2], m[2, 3]
    m30, m31, m32, m33 = m[3, 0], m[3, 1], m[3, 2], m[3, 3]
    for base in range(0, x.shape[0], 4 * s):
        for i in range(base, base + s):
            a0, a1, a2, a3 = x[i], x[i + s], x[i + 2 * s], x[i + 3 * s]
            x[i] = m00 * a0 + m01 * a1 + m02 * a2 + m03 * a3
            x[i + s] = m10 * a0 + m11 * a1 + m12 * a2 + m13 * a3
            x[i + 2 * s] = m20 * a0 + m21 * a1 + m22 * a2 + m23 * a3
            x[i + 3 * s] = m30 * a0 + m31 * a1 + m32 * a2 + m33 * a3


@kernel
def apply_diag_1q(x, q, d):
    """``x <- diag(d)_q x`` (4 entries)."""
    s = 1 << (2 * q)
    for base in range(0, x.shape[0], 4 * s):
        for p in range(4):
            dp = d[p]
            for i in range(base + p * s, base + (p + 1) * s):
                x[i] *= dp


@kernel
def offsets(lo, hi, off):
    """``off[j]``: vector offset of local index ``j = p_lo + 4 p_hi``."""
    for j in range(16):
        off[j] = (j & 3) * (1 << (2 * lo)) + (j >> 2) * (1 << (2 * hi))


@kernel
def apply_2q(x, lo, hi, m, ws):
    """``x <- M_{lo,hi} x`` for a dense 16x16 ``m`` (local index ``p_lo + 4 p_hi``, lo < hi).

    ``ws`` is a float64 workspace of at least ``max(2 * x.size, 304)`` entries.  Large states
    gather the 16 strided slices into a (16, 4^n/16) block, multiply with BLAS, and scatter.
    """
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    off = np.empty(16, dtype=np.int64)
    offsets(lo, hi, off)
    size = x.shape[0]
    if size >= BLAS_MIN_SIZE:
        g = size // 16
        buf = ws[:size].reshape(16, g)
        res = ws[size:2 * size].reshape(16, g)
        for j in range(16):
            c = 0
            for a in range(0, size, 4 * sh):
                for b in range(a, a + sh, 4 * sl):
                    for i in range(b, b + sl):
                        buf[j, c] = x[i + off[j]]
                        c += 1
        np.dot(m, buf, res)
        for j in range(16):
            c = 0
            for a in range(0, size, 4 * sh):
                for b in range(a, a + sh, 4 * sl):
                    for i in range(b, b + sl):
                        x[i + off[j]] = res[j, c]
                        c += 1
        return
    mt = ws[:256].reshape(16, 16)
    for j in range(16):
        for k in range(16):
            mt[k, j] = m[j, k]
    v = ws[256:272]
    out = ws[272:288]
    for a in range(0, size, 4 * sh):
        for b in range(a, a + sh, 4 * sl):
            for i in range(b, b + sl):
                for j in range(16):
                    v[j] = x[i + off[j]]
                    out[j] = 0.0
                for k in range(16):
                    vk = v[k]
                    for j in range(16):
                        out[j] += vk * mt[k, j]
                for j in range(16):
                    x[i + off[j]] = out[j]


@kernel
def apply_2q_sparse(x, lo, hi, rows, cols, vals, ws):
    """``x <- M x`` for a 16x16 matrix given by its non-zeros."""
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    off = np.empty(16, dtype=np.int64)
    offsets(lo, hi, off)
    v = ws[256:272]
    out = ws[272:288]
    nnz = rows.shape[0]
    for a in range(0, x.shape[0], 4 * sh):
        for b in range(a, a + sh, 4 * sl):
            for i in range(b, b + sl):
                for j in range(16):
                    v[j] = x[i + off[j]]
                    out[j] = 0.0
                for e in range(nnz):
                    out[rows[e]] += vals[e] * v[cols[e]]
                for j in range(16):
                    x[i + off[j]] = out[j]


@kernel
def apply_diag_2q(x, lo, hi, d):
    """``x <- diag(d)_{lo,hi} x`` (16 entries)."""
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    off = np.empty(16, dtype=np.int64)
    offsets(lo, hi, off)
    for a in range(0, x.shape[0], 4 * sh):
        for b in range(a, a + sh, 4 * sl):
            for i in range(b, b + sl):
                for j in range(16):
                    x[i + off[j]] *= d[j]


@kernel
def outer_1q(lam, x, q, g):
    """``g[a, b] += sum_groups lam[a] x[b]`` over the 4-tuples of qubit ``q`` (adjoint gradients)."""
    s = 1 << (2 * q)
    for base in range(0, x.shape[0], 4 * s):
        for i in range(base, base + s):
            for a in range(4):
                la = lam[i + a * s]
                for b in range(4):
                    g[a, b] += la * x[i + b * s]


@kernel
def outer_2q(lam, x, lo, hi, g):
    """``g[a, b] += sum_groups lam[a] x[b]`` over the 16-tuples of qubits ``lo < hi``."""
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    off = np.empty(16, dtype=np.int64)
    offsets(lo, hi, off)
    v = np.empty(16)
    for a0 in range(0, x.shape[0], 4 * sh):
        for b0 in range(a0, a0 + sh, 4 * sl):
            for i in range(b0, b0 + sl):
                for j in range(16):
                    v[j] = x[i + off[j]]
                for a in range(16):
                    la = lam[i + off[a]]
                    for b in range(16):
                        g[a, b] += la * v[b]
