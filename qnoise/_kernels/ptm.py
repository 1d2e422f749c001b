"""Local PTM kernels on the 4^n Pauli vector (conventions in :mod:`qnoise.paulis`).

Digit k of a vector index is the Pauli code of qubit k, so qubit q has stride ``4**q``.  A 1-qubit
kernel applies a 4x4 matrix to every 4-tuple ``x[base + p 4**q]``; a 2-qubit kernel on ``lo < hi``
applies a 16x16 matrix whose local index is ``p_lo + 4 p_hi``.  Nothing here builds a 4^n x 4^n
matrix, allocates, or validates.

Vectorisation: loops index 1-D slice views (or reshaped views) with ``range(0, N)`` induction
variables, so Numba emits no negative-index wraparound and LLVM vectorises them.  Two-qubit
kernels work on *chunks*: up to ``CHUNK`` groups are gathered into a ``(16, CHUNK)`` block of the
workspace (row ``j`` = local index ``j``), multiplied row-wise there (vectorised over groups), and
scattered back.  A chunk is ``na`` blocks of the high digit x ``nb`` blocks of the low digit x ``nc``
contiguous elements (see :func:`chunk_shape`).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel

#: groups per two-qubit chunk (two (16, CHUNK) float64 blocks live in L1)
CHUNK = 128
#: workspace entries: gather block, result block, and 2048 entries of scratch for callers
#: (:mod:`qnoise._kernels.program` keeps block matrices there)
SCRATCH = 32 * CHUNK
WS_SIZE = 32 * CHUNK + 2048
#: states up to this size take the group-at-a-time sparse path
SMALL_SIZE = 4**4


@kernel(slp=True)
def _apply_1q_q0(x, m):
    """Qubit 0: each group is 4 contiguous entries (SLP: one 4-wide FMA chain per group)."""
    m00, m01, m02, m03 = m[0, 0], m[0, 1], m[0, 2], m[0, 3]
    m10, m11, m12, m13 = m[1, 0], m[1, 1], m[1, 2], m[1, 3]
    m20, m21, m22, m23 = m[2, 0], m[2, 1], m[2, 2], m[2, 3]
    m30, m31, m32, m33 = m[3, 0], m[3, 1], m[3, 2], m[3, 3]
    g = x.shape[0] // 4
    v = x.reshape(g, 4)
    for k in range(g):
        a0, a1, a2, a3 = v[k, 0], v[k, 1], v[k, 2], v[k, 3]
        v[k, 0] = m00 * a0 + m01 * a1 + m02 * a2 + m03 * a3
        v[k, 1] = m10 * a0 + m11 * a1 + m12 * a2 + m13 * a3
        v[k, 2] = m20 * a0 + m21 * a1 + m22 * a2 + m23 * a3
        v[k, 3] = m30 * a0 + m31 * a1 + m32 * a2 + m33 * a3


@kernel(slp=True)
def _apply_1q_q1(x, m):
    """Qubit 1: each block of 16 holds 4 groups as 4 contiguous 4-vectors (SLP: 4-wide rows)."""
    m00, m01, m02, m03 = m[0, 0], m[0, 1], m[0, 2], m[0, 3]
    m10, m11, m12, m13 = m[1, 0], m[1, 1], m[1, 2], m[1, 3]
    m20, m21, m22, m23 = m[2, 0], m[2, 1], m[2, 2], m[2, 3]
    m30, m31, m32, m33 = m[3, 0], m[3, 1], m[3, 2], m[3, 3]
    g = x.shape[0] // 16
    v = x.reshape(g, 16)
    for k in range(g):
        a00, a01, a02, a03 = v[k, 0], v[k, 1], v[k, 2], v[k, 3]
        a10, a11, a12, a13 = v[k, 4], v[k, 5], v[k, 6], v[k, 7]
        a20, a21, a22, a23 = v[k, 8], v[k, 9], v[k, 10], v[k, 11]
        a30, a31, a32, a33 = v[k, 12], v[k, 13], v[k, 14], v[k, 15]
        v[k, 0] = m00 * a00 + m01 * a10 + m02 * a20 + m03 * a30
        v[k, 1] = m00 * a01 + m01 * a11 + m02 * a21 + m03 * a31
        v[k, 2] = m00 * a02 + m01 * a12 + m02 * a22 + m03 * a32
        v[k, 3] = m00 * a03 + m01 * a13 + m02 * a23 + m03 * a33
        v[k, 4] = m10 * a00 + m11 * a10 + m12 * a20 + m13 * a30
        v[k, 5] = m10 * a01 + m11 * a11 + m12 * a21 + m13 * a31
        v[k, 6] = m10 * a02 + m11 * a12 + m12 * a22 + m13 * a32
        v[k, 7] = m10 * a03 + m11 * a13 + m12 * a23 + m13 * a33
        v[k, 8] = m20 * a00 + m21 * a10 + m22 * a20 + m23 * a30
        v[k, 9] = m20 * a01 + m21 * a11 + m22 * a21 + m23 * a31
        v[k, 10] = m20 * a02 + m21 * a12 + m22 * a22 + m23 * a32
        v[k, 11] = m20 * a03 + m21 * a13 + m22 * a23 + m23 * a33
        v[k, 12] = m30 * a00 + m31 * a10 + m32 * a20 + m33 * a30
        v[k, 13] = m30 * a01 + m31 * a11 + m32 * a21 + m33 * a31
        v[k, 14] = m30 * a02 + m31 * a12 + m32 * a22 + m33 * a32
        v[k, 15] = m30 * a03 + m31 * a13 + m32 * a23 + m33 * a33


@kernel
def apply_1q(x, q, m):
    """``x <- M_q x`` for a 4x4 ``m`` acting on qubit ``q``."""
    if q == 0:
        _apply_1q_q0(x, m)
        return
    if q == 1:
        _apply_1q_q1(x, m)
        return
    m00, m01, m02, m03 = m[0, 0], m[0, 1], m[0, 2], m[0, 3]
    m10, m11, m12, m13 = m[1, 0], m[1, 1], m[1, 2], m[1, 3]
    m20, m21, m22, m23 = m[2, 0], m[2, 1], m[2, 2], m[2, 3]
    m30, m31, m32, m33 = m[3, 0], m[3, 1], m[3, 2], m[3, 3]
    size = x.shape[0]
    s = 1 << (2 * q)
    for base in range(0, size, 4 * s):
        x0 = x[base : base + s]
        x1 = x[base + s : base + 2 * s]
        x2 = x[base + 2 * s : base + 3 * s]
        x3 = x[base + 3 * s : base + 4 * s]
        for i in range(s):
            a0, a1, a2, a3 = x0[i], x1[i], x2[i], x3[i]
            x0[i] = m00 * a0 + m01 * a1 + m02 * a2 + m03 * a3
            x1[i] = m10 * a0 + m11 * a1 + m12 * a2 + m13 * a3
            x2[i] = m20 * a0 + m21 * a1 + m22 * a2 + m23 * a3
            x3[i] = m30 * a0 + m31 * a1 + m32 * a2 + m33 * a3


@kernel
def apply_diag_1q(x, q, d):
    """``x <- diag(d)_q x`` (4 entries)."""
    size = x.shape[0]
    if q == 0:
        v = x.reshape(size // 4, 4)
        d0, d1, d2, d3 = d[0], d[1], d[2], d[3]
        for k in range(size // 4):
            v[k, 0] *= d0
            v[k, 1] *= d1
            v[k, 2] *= d2
            v[k, 3] *= d3
        return
    s = 1 << (2 * q)
    for base in range(0, size, 4 * s):
        for p in range(4):
            dp = d[p]
            seg = x[base + p * s : base + (p + 1) * s]
            for i in range(s):
                seg[i] *= dp


@kernel
def chunk_shape(size, lo, hi):
    """``(A, B, C, na, nb, nc)``: the groups of ``(lo, hi)`` are ``A`` high blocks x ``B`` low
    blocks x ``C`` contiguous elements; a chunk takes ``na x nb x nc`` of them."""
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    c = sl
    b = sh // (4 * sl)
    a = size // (4 * sh)
    nc = min(c, CHUNK)
    nb = min(b, CHUNK // nc) if nc == c else 1
    na = min(a, CHUNK // (nc * nb)) if nb == b else 1
    return a, b, c, na, nb, nc


@kernel
def _copy(dst, src, n):
    for i in range(n):
        dst[i] = src[i]


@kernel
def _move(x, blk, lo, hi, a0, na, b0, nb, c0, nc, to_block):
    """Copy the chunk at ``(a0, b0, c0)`` between ``x`` and ``blk[16, na*nb*nc]`` (columns ordered
    so that the innermost loop runs over the longest chunk axis, contiguous in ``blk``)."""
    sa, sb = 1 << (2 * hi + 2), 1 << (2 * lo + 2)
    for j in range(16):
        off = (j & 3) * (sb >> 2) + (j >> 2) * (sa >> 2) + a0 * sa + b0 * sb + c0
        row = blk[j]
        if nc >= 16 or (nc >= nb and nc >= na):
            col = 0
            for i0 in range(na):
                for i1 in range(nb):
                    st = off + i0 * sa + i1 * sb
                    if to_block:
                        _copy(row[col : col + nc], x[st : st + nc], nc)
                    else:
                        _copy(x[st : st + nc], row[col : col + nc], nc)
                    col += nc
        elif nb >= na:
            col = 0
            for i0 in range(na):
                for i2 in range(nc):
                    st = off + i0 * sa + i2
                    xs = x[st : st + sb * (nb - 1) + 1 : sb]
                    if to_block:
                        _copy(row[col : col + nb], xs, nb)
                    else:
                        _copy(xs, row[col : col + nb], nb)
                    col += nb
        else:
            col = 0
            for i1 in range(nb):
                for i2 in range(nc):
                    st = off + i1 * sb + i2
                    xs = x[st : st + sa * (na - 1) + 1 : sa]
                    if to_block:
                        _copy(row[col : col + na], xs, na)
                    else:
                        _copy(xs, row[col : col + na], na)
                    col += na


@kernel
def _dense_rows(m, b, o, n):
    """``o[:, :n] = m @ b[:, :n]`` for 16x16 ``m`` (vectorised over columns)."""
    for j in range(16):
        m0, m1, m2, m3 = m[j, 0], m[j, 1], m[j, 2], m[j, 3]
        m4, m5, m6, m7 = m[j, 4], m[j, 5], m[j, 6], m[j, 7]
        m8, m9, m10, m11 = m[j, 8], m[j, 9], m[j, 10], m[j, 11]
        m12, m13, m14, m15 = m[j, 12], m[j, 13], m[j, 14], m[j, 15]
        oj = o[j]
        b0, b1, b2, b3, b4, b5, b6, b7 = b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
        b8, b9, b10, b11, b12, b13, b14, b15 = b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        for i in range(n):
            oj[i] = (
                m0 * b0[i]
                + m1 * b1[i]
                + m2 * b2[i]
                + m3 * b3[i]
                + m4 * b4[i]
                + m5 * b5[i]
                + m6 * b6[i]
                + m7 * b7[i]
                + m8 * b8[i]
                + m9 * b9[i]
                + m10 * b10[i]
                + m11 * b11[i]
                + m12 * b12[i]
                + m13 * b13[i]
                + m14 * b14[i]
                + m15 * b15[i]
            )


@kernel
def _sparse_rows(rows, cols, vals, b, o, n, seen):
    """``o[:, :n] = M @ b[:, :n]`` for M given by its non-zeros (any order)."""
    for j in range(16):
        seen[j] = 0.0
    for e in range(rows.shape[0]):
        r, v = rows[e], vals[e]
        bc = b[cols[e]]
        orow = o[r]
        if seen[r] == 0.0:
            for i in range(n):
                orow[i] = v * bc[i]
            seen[r] = 1.0
        else:
            for i in range(n):
                orow[i] += v * bc[i]
    for j in range(16):
        if seen[j] == 0.0:
            orow = o[j]
            for i in range(n):
                orow[i] = 0.0


@kernel
def _blocks(ws):
    return (ws[: 16 * CHUNK].reshape(16, CHUNK), ws[16 * CHUNK : 32 * CHUNK].reshape(16, CHUNK))


@kernel
def apply_2q(x, lo, hi, m, ws):
    """``x <- M_{lo,hi} x`` for a dense 16x16 ``m`` (local index ``p_lo + 4 p_hi``, lo < hi).

    ``ws`` is a float64 workspace of at least ``WS_SIZE`` entries (its first ``SCRATCH`` are used).
    """
    a, b, c, na, nb, nc = chunk_shape(x.shape[0], lo, hi)
    buf, out = _blocks(ws)
    n = na * nb * nc
    for a0 in range(0, a, na):
        for b0 in range(0, b, nb):
            for c0 in range(0, c, nc):
                _move(x, buf, lo, hi, a0, na, b0, nb, c0, nc, True)
                _dense_rows(m, buf, out, n)
                _move(x, out, lo, hi, a0, na, b0, nb, c0, nc, False)


@kernel
def _sparse_small(x, lo, hi, rows, cols, vals, ws):
    """Group-at-a-time sparse product for tiny states (chunks would hold a few groups only)."""
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    v = ws[SCRATCH + 128 : SCRATCH + 144]
    out = ws[SCRATCH + 144 : SCRATCH + 160]
    nnz = rows.shape[0]
    for a in range(0, x.shape[0], 4 * sh):
        for b in range(a, a + sh, 4 * sl):
            for i in range(b, b + sl):
                for j in range(16):
                    v[j] = x[i + (j & 3) * sl + (j >> 2) * sh]
                    out[j] = 0.0
                for e in range(nnz):
                    out[rows[e]] += vals[e] * v[cols[e]]
                for j in range(16):
                    x[i + (j & 3) * sl + (j >> 2) * sh] = out[j]


@kernel
def apply_2q_sparse(x, lo, hi, rows, cols, vals, ws):
    """``x <- M x`` for a 16x16 matrix given by its non-zeros (``ws`` as for :func:`apply_2q`)."""
    if x.shape[0] <= SMALL_SIZE:
        _sparse_small(x, lo, hi, rows, cols, vals, ws)
        return
    a, b, c, na, nb, nc = chunk_shape(x.shape[0], lo, hi)
    buf, out = _blocks(ws)
    seen = ws[32 * CHUNK : 32 * CHUNK + 16]
    n = na * nb * nc
    for a0 in range(0, a, na):
        for b0 in range(0, b, nb):
            for c0 in range(0, c, nc):
                _move(x, buf, lo, hi, a0, na, b0, nb, c0, nc, True)
                _sparse_rows(rows, cols, vals, buf, out, n, seen)
                _move(x, out, lo, hi, a0, na, b0, nb, c0, nc, False)


@kernel
def apply_gather(x, rc, vals, transpose, ws):
    """``x <- M x`` for a whole-state matrix ``M`` given by its non-zeros ``(rc[e, 0], rc[e, 1],
    vals[e])`` (row, column, value), the first ``x.size`` of them one per row in row order (the
    compiler's ``GATHER2`` form of a fixed two-qubit op on a small state: no digit arithmetic left
    at run time).  ``transpose`` applies ``M^T``.  Out of place through ``ws[:x.size]``."""
    size = x.shape[0]
    tmp = ws[:size]
    nnz = rc.shape[0]
    if transpose:
        tmp[:] = 0.0
        for e in range(nnz):
            tmp[rc[e, 1]] += vals[e] * x[rc[e, 0]]
    else:
        for i in range(size):
            tmp[i] = vals[i] * x[rc[i, 1]]
        for e in range(size, nnz):
            tmp[rc[e, 0]] += vals[e] * x[rc[e, 1]]
    for i in range(size):
        x[i] = tmp[i]


@kernel
def apply_diag_2q(x, lo, hi, d):
    """``x <- diag(d)_{lo,hi} x`` (16 entries)."""
    sl, sh = 1 << (2 * lo), 1 << (2 * hi)
    size = x.shape[0]
    if lo == 0:
        for a in range(0, size, 4 * sh):
            for ph in range(4):
                seg = x[a + ph * sh : a + (ph + 1) * sh].reshape(sh // 4, 4)
                d0, d1, d2, d3 = d[4 * ph], d[4 * ph + 1], d[4 * ph + 2], d[4 * ph + 3]
                for t in range(sh // 4):
                    seg[t, 0] *= d0
                    seg[t, 1] *= d1
                    seg[t, 2] *= d2
                    seg[t, 3] *= d3
        return
    for a in range(0, size, 4 * sh):
        for bb in range(a, a + sh, 4 * sl):
            for j in range(16):
                dj = d[j]
                start = bb + (j & 3) * sl + (j >> 2) * sh
                seg = x[start : start + sl]
                for i in range(sl):
                    seg[i] *= dj


@kernel
def outer_1q(lam, x, q, g):
    """``g[a, b] += sum_groups lam[a] x[b]`` over the 4-tuples of qubit ``q`` (adjoint gradients)."""
    s = 1 << (2 * q)
    for base in range(0, x.shape[0], 4 * s):
        for a in range(4):
            la = lam[base + a * s : base + (a + 1) * s]
            for b in range(4):
                xb = x[base + b * s : base + (b + 1) * s]
                acc = 0.0
                for i in range(s):
                    acc += la[i] * xb[i]
                g[a, b] += acc


# ---------------------------------------------------------------------------------------------
# Multi-threaded variants for large states (``qnoise._kernels.program.run_par``).  Each takes the
# thread count ``nt`` as an argument (never a global: cached code must not depend on one) and
# splits the serial kernel's independent work units (4s-blocks or slices of them for one-qubit
# ops, chunks for two-qubit ops) into ``nt`` contiguous shares under ``prange``.  Every output
# element goes through exactly the serial arithmetic, so results are bit-identical to the serial
# kernels for any ``nt``.


@kernel
def _share(total, nt, t):
    """``[lo, hi)`` of thread ``t``'s contiguous share of ``range(total)``."""
    q, r = total // nt, total % nt
    lo = t * q + min(t, r)
    return lo, lo + q + (1 if t < r else 0)


@kernel
def _1q_segment(x, base, s, i0, i1, m):
    """Elements ``i0..i1-1`` of the four rows of the 4s-block at ``base`` (serial arithmetic)."""
    m00, m01, m02, m03 = m[0, 0], m[0, 1], m[0, 2], m[0, 3]
    m10, m11, m12, m13 = m[1, 0], m[1, 1], m[1, 2], m[1, 3]
    m20, m21, m22, m23 = m[2, 0], m[2, 1], m[2, 2], m[2, 3]
    m30, m31, m32, m33 = m[3, 0], m[3, 1], m[3, 2], m[3, 3]
    x0 = x[base + i0 : base + i1]
    x1 = x[base + s + i0 : base + s + i1]
    x2 = x[base + 2 * s + i0 : base + 2 * s + i1]
    x3 = x[base + 3 * s + i0 : base + 3 * s + i1]
    for i in range(i1 - i0):
        a0, a1, a2, a3 = x0[i], x1[i], x2[i], x3[i]
        x0[i] = m00 * a0 + m01 * a1 + m02 * a2 + m03 * a3
        x1[i] = m10 * a0 + m11 * a1 + m12 * a2 + m13 * a3
        x2[i] = m20 * a0 + m21 * a1 + m22 * a2 + m23 * a3
        x3[i] = m30 * a0 + m31 * a1 + m32 * a2 + m33 * a3


@kernel(parallel=True)
def apply_1q_par(x, q, m, nt):
    """:func:`apply_1q` on ``nt`` threads (bit-identical)."""
    size = x.shape[0]
    s = 1 << (2 * q)
    nblocks = size // (4 * s)
    if nblocks >= nt:
        for t in prange(nt):
            b0, b1 = _share(nblocks, nt, t)
            apply_1q(x[b0 * 4 * s : b1 * 4 * s], q, m)
    else:  # few, long blocks (the top qubits): split each block's rows
        for t in prange(nt):
            i0, i1 = _share(s, nt, t)
            for base in range(0, size, 4 * s):
                _1q_segment(x, base, s, i0, i1, m)


@kernel(parallel=True)
def apply_diag_1q_par(x, q, d, nt):
    """:func:`apply_diag_1q` on ``nt`` threads (bit-identical; serial when too few blocks)."""
    s = 1 << (2 * q)
    nblocks = x.shape[0] // (4 * s)
    if nblocks < nt:
        apply_diag_1q(x, q, d)
        return
    for t in prange(nt):
        b0, b1 = _share(nblocks, nt, t)
        apply_diag_1q(x[b0 * 4 * s : b1 * 4 * s], q, d)


@kernel(parallel=True)
def apply_diag_2q_par(x, lo, hi, d, nt):
    """:func:`apply_diag_2q` on ``nt`` threads (bit-identical; serial when too few blocks)."""
    sh = 1 << (2 * hi)
    nblocks = x.shape[0] // (4 * sh)
    if nblocks < nt:
        apply_diag_2q(x, lo, hi, d)
        return
    for t in prange(nt):
        b0, b1 = _share(nblocks, nt, t)
        apply_diag_2q(x[b0 * 4 * sh : b1 * 4 * sh], lo, hi, d)


@kernel(parallel=True)
def _chunks_par(x, lo, hi, m, rows, cols, vals, dense, ws, nt):
    """The chunk loop of :func:`apply_2q` (``dense``) or of the chunked :func:`apply_2q_sparse`,
    chunks shared among ``nt`` threads, thread ``t`` working in ``ws[t*WS_SIZE:(t+1)*WS_SIZE]``."""
    a, b, c, na, nb, nc = chunk_shape(x.shape[0], lo, hi)
    ka, kb, kc = (a + na - 1) // na, (b + nb - 1) // nb, (c + nc - 1) // nc
    n = na * nb * nc
    for t in prange(nt):
        w = ws[t * WS_SIZE : (t + 1) * WS_SIZE]
        buf, out = _blocks(w)
        seen = w[32 * CHUNK : 32 * CHUNK + 16]
        k0, k1 = _share(ka * kb * kc, nt, t)
        for k in range(k0, k1):
            a0 = (k // (kb * kc)) * na
            b0 = ((k // kc) % kb) * nb
            c0 = (k % kc) * nc
            _move(x, buf, lo, hi, a0, na, b0, nb, c0, nc, True)
            if dense:
                _dense_rows(m, buf, out, n)
            else:
                _sparse_rows(rows, cols, vals, buf, out, n, seen)
            _move(x, out, lo, hi, a0, na, b0, nb, c0, nc, False)


@kernel
def apply_2q_par(x, lo, hi, m, ws, nt):
    """:func:`apply_2q` on ``nt`` threads (``ws``: ``nt * WS_SIZE`` entries; bit-identical)."""
    e = np.zeros(0, dtype=np.int64)
    _chunks_par(x, lo, hi, m, e, e, np.zeros(0), True, ws, nt)


@kernel
def apply_2q_sparse_par(x, lo, hi, rows, cols, vals, ws, nt):
    """:func:`apply_2q_sparse` on ``nt`` threads (``ws``: ``nt * WS_SIZE`` entries; bit-identical)."""
    if x.shape[0] <= SMALL_SIZE:
        apply_2q_sparse(x, lo, hi, rows, cols, vals, ws)
        return
    _chunks_par(x, lo, hi, np.zeros((16, 16)), rows, cols, vals, False, ws, nt)
