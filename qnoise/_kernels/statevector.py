"""State-vector kernels of the noiseless engine (see ``qnoise/statevector.py``).

A state is a complex128 vector of length 2^n; qubit k is bit k of the index.  A circuit is an
opcode program ``prog[g] = (opcode, q0, q1, arg)``: for rotations ``arg`` is the parameter index,
for fixed gates it is the offset of the gate's matrix in a flat complex buffer (``U1``: 2x2
row-major, ``U2``: 4x4 row-major with local index ``bit_q0 + 2 bit_q1``, ``D1``/``D2``: diagonals).
The inverse program uses the same rows with a buffer of daggered matrices and negated angles.

A Pauli sum is given by its terms' z-masks (Y/Z bits) and complex weights ``cw = w i^{#Y}``,
sorted into groups of equal x-mask (X/Y bits; ``xg[g]``, terms ``gstart[g]:gstart[g+1]``), using
``P|psi>[b] = i^{#Y} (-1)^{|(b^x)&z|} psi[b^x]``.  So ``H|psi>[b^x_g] += f_g(b) psi[b]`` with the
group diagonal ``f_g(b) = sum_k cw_k (-1)^{|b&z_k|}``; ``diag`` holds all ``f_g`` precomputed, or
has zero rows when they are built per call (large states).  Kernels never validate.

Packed form (``qnoise.statevector.pack_program``, for compiled loops that take one program
argument): program and observable in two buffers, ``ibuf`` (int64: the header ``(n, rows of prog,
groups, terms, entries of mats, rows of diag)``, then ``prog``, ``xg``, ``zm``, ``gstart``) and
``cbuf`` (complex128: ``mats``, ``cw``, ``diag``, then the constant); :func:`unpack` gives back
views of the arrays.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel

OP_U1, OP_U2, OP_D1, OP_D2, OP_X, OP_CX, OP_CZ, OP_SWAP, OP_RX, OP_RY, OP_RZ = range(11)
PACK_HEADER = 6  # int64 entries before the program in a packed ``ibuf``


@kernel
def _parity(v):
    v ^= v >> 32
    v ^= v >> 16
    v ^= v >> 8
    v ^= v >> 4
    v ^= v >> 2
    v ^= v >> 1
    return v & 1


@kernel
def _insert0(k, p):
    """``k`` with a zero bit inserted at position ``p``."""
    return ((k >> p) << (p + 1)) | (k & ((1 << p) - 1))


@kernel
def apply_1q(psi, q, u00, u01, u10, u11):
    bit = 1 << q
    for hi in range(0, psi.shape[0], 2 * bit):
        for i in range(hi, hi + bit):
            a = psi[i]
            b = psi[i + bit]
            psi[i] = u00 * a + u01 * b
            psi[i + bit] = u10 * a + u11 * b


@kernel
def apply_rxy(psi, q, c, s, is_y):
    """``exp(-i theta X/2)`` (or Y) with ``c, s = cos, sin(theta/2)``, in real arithmetic."""
    bit = 1 << q
    for hi in range(0, psi.shape[0], 2 * bit):
        for i in range(hi, hi + bit):
            a = psi[i]
            b = psi[i + bit]
            if is_y:
                psi[i] = complex(c * a.real - s * b.real, c * a.imag - s * b.imag)
                psi[i + bit] = complex(s * a.real + c * b.real, s * a.imag + c * b.imag)
            else:
                psi[i] = complex(c * a.real + s * b.imag, c * a.imag - s * b.real)
                psi[i + bit] = complex(c * b.real + s * a.imag, c * b.imag - s * a.real)


@kernel
def apply_diag_1q(psi, q, d0, d1):
    bit = 1 << q
    for hi in range(0, psi.shape[0], 2 * bit):
        if d0 != 1.0:
            for i in range(hi, hi + bit):
                psi[i] *= d0
        for i in range(hi + bit, hi + 2 * bit):
            psi[i] *= d1


@kernel
def apply_x(psi, q):
    bit = 1 << q
    for hi in range(0, psi.shape[0], 2 * bit):
        for i in range(hi, hi + bit):
            psi[i], psi[i + bit] = psi[i + bit], psi[i]


@kernel
def apply_2q(psi, q0, q1, m, o):
    """4x4 matrix ``m[o:o+16]`` (row-major, local index ``bit_q0 + 2 bit_q1``) on ``(q0, q1)``."""
    lo, hi = min(q0, q1), max(q0, q1)
    b0, b1 = 1 << q0, 1 << q1
    for k in range(psi.shape[0] >> 2):
        i0 = _insert0(_insert0(k, lo), hi)
        i1, i2, i3 = i0 | b0, i0 | b1, i0 | b0 | b1
        a0, a1, a2, a3 = psi[i0], psi[i1], psi[i2], psi[i3]
        psi[i0] = m[o] * a0 + m[o + 1] * a1 + m[o + 2] * a2 + m[o + 3] * a3
        psi[i1] = m[o + 4] * a0 + m[o + 5] * a1 + m[o + 6] * a2 + m[o + 7] * a3
        psi[i2] = m[o + 8] * a0 + m[o + 9] * a1 + m[o + 10] * a2 + m[o + 11] * a3
        psi[i3] = m[o + 12] * a0 + m[o + 13] * a1 + m[o + 14] * a2 + m[o + 15] * a3


@kernel
def apply_fixed_2q(psi, op, q0, q1, m, o):
    """cx (q0 control), cz, swap, or a diagonal ``m[o:o+4]`` on ``(q0, q1)``."""
    lo, hi = min(q0, q1), max(q0, q1)
    b0, b1 = 1 << q0, 1 << q1
    for k in range(psi.shape[0] >> 2):
        i = _insert0(_insert0(k, lo), hi)
        if op == OP_CX:
            psi[i | b0], psi[i | b0 | b1] = psi[i | b0 | b1], psi[i | b0]
        elif op == OP_CZ:
            psi[i | b0 | b1] = -psi[i | b0 | b1]
        elif op == OP_SWAP:
            psi[i | b0], psi[i | b1] = psi[i | b1], psi[i | b0]
        else:
            psi[i] *= m[o]
            psi[i | b0] *= m[o + 1]
            psi[i | b1] *= m[o + 2]
            psi[i | b0 | b1] *= m[o + 3]


@kernel
def apply_op(psi, row, mats, params, sign):
    """Apply one program row; ``sign = -1`` (with daggered ``mats``) applies its inverse."""
    op, q0, q1, a = row[0], row[1], row[2], row[3]
    if op >= OP_RX:
        half = 0.5 * sign * params[a]
        c, s = np.cos(half), np.sin(half)
        if op == OP_RZ:
            apply_diag_1q(psi, q0, complex(c, -s), complex(c, s))
        else:
            apply_rxy(psi, q0, c, s, op == OP_RY)
    elif op == OP_U1:
        apply_1q(psi, q0, mats[a], mats[a + 1], mats[a + 2], mats[a + 3])
    elif op == OP_D1:
        apply_diag_1q(psi, q0, mats[a], mats[a + 1])
    elif op == OP_X:
        apply_x(psi, q0)
    elif op == OP_U2:
        apply_2q(psi, q0, q1, mats, a)
    else:
        apply_fixed_2q(psi, op, q0, q1, mats, a)


@kernel
def run_state(prog, mats, params, num_qubits):
    psi = np.zeros(1 << num_qubits, dtype=np.complex128)
    psi[0] = 1.0
    for g in range(prog.shape[0]):
        apply_op(psi, prog[g], mats, params, 1.0)
    return psi


@kernel
def _walsh(f):
    """In-place Walsh-Hadamard transform: ``f[z] <- sum_b (-1)^{|b&z|} f[b]``."""
    h = 1
    while h < f.shape[0]:
        for i in range(0, f.shape[0], 2 * h):
            for j in range(i, i + h):
                a, b = f[j], f[j + h]
                f[j], f[j + h] = a + b, a - b
        h *= 2


@kernel
def fill_group(f, zm, cw, k0, k1):
    """``f[b] = sum_{k0<=k<k1} cw_k (-1)^{|b&z_k|}``: the diagonal of one x-mask group."""
    n = f.shape[0]
    f[:] = 0.0
    nq = 0
    while (1 << nq) < n:
        nq += 1
    if k1 - k0 > nq:  # many terms: scatter the spectrum and transform (n log n)
        for k in range(k0, k1):
            f[zm[k]] += cw[k]
        _walsh(f)
        return
    lo = min(n, 64)
    tab = np.empty(lo)
    for k in range(k0, k1):
        z = zm[k]
        for j in range(lo):
            tab[j] = 1.0 - 2.0 * _parity(j & z)
        for h in range(0, n, lo):
            w = cw[k] * (1.0 - 2.0 * _parity(h & z))
            for j in range(lo):
                f[h + j] += complex(w.real * tab[j], w.imag * tab[j])


@kernel
def group_diagonals(zm, cw, gstart, dim):
    """All group diagonals, shape ``(groups, dim)`` (precomputed once per Hamiltonian)."""
    out = np.empty((gstart.shape[0] - 1, dim), dtype=np.complex128)
    for g in range(gstart.shape[0] - 1):
        fill_group(out[g], zm, cw, gstart[g], gstart[g + 1])
    return out


@kernel
def _group_row(diag, g, scratch, zm, cw, gstart):
    if diag.shape[0] == 0:  # not precomputed (too large): build it now
        fill_group(scratch, zm, cw, gstart[g], gstart[g + 1])
        return scratch
    return diag[g]


@kernel
def expectation(psi, xg, zm, cw, gstart, diag):
    """``sum_g Re sum_b conj(psi[b^x_g]) f_g(b) psi[b]`` with ``f_g`` the group diagonals."""
    n = psi.shape[0]
    scratch = np.empty(n if diag.shape[0] == 0 else 0, dtype=np.complex128)
    total = 0.0
    for g in range(xg.shape[0]):
        f = _group_row(diag, g, scratch, zm, cw, gstart)
        x = xg[g]
        a0 = a1 = 0.0
        for b in range(0, n, 2):  # two accumulators; n >= 2
            t0, t1 = f[b] * psi[b], f[b + 1] * psi[b + 1]
            u0, u1 = psi[b ^ x], psi[(b + 1) ^ x]
            a0 += u0.real * t0.real + u0.imag * t0.imag
            a1 += u1.real * t1.real + u1.imag * t1.imag
        total += a0 + a1
    return total


@kernel
def apply_hamiltonian(psi, xg, zm, cw, gstart, diag):
    n = psi.shape[0]
    scratch = np.empty(n if diag.shape[0] == 0 else 0, dtype=np.complex128)
    lam = np.zeros(n, dtype=np.complex128)
    for g in range(xg.shape[0]):
        f = _group_row(diag, g, scratch, zm, cw, gstart)
        x = xg[g]
        for b in range(n):
            lam[b ^ x] += f[b] * psi[b]
    return lam


@kernel
def pauli_inner(lam, phi, q, pauli):
    """``<lam| P_q |phi>`` for Pauli code ``pauli`` (1 X, 2 Y, 3 Z) on qubit ``q``."""
    bit = 1 << q
    acc = 0j
    for hi in range(0, phi.shape[0], 2 * bit):
        for i in range(hi, hi + bit):
            l0, l1 = lam[i].conjugate(), lam[i + bit].conjugate()
            if pauli == 3:
                acc += l0 * phi[i] - l1 * phi[i + bit]
            elif pauli == 1:
                acc += l0 * phi[i + bit] + l1 * phi[i]
            else:
                acc += 1j * (l1 * phi[i] - l0 * phi[i + bit])
    return acc


@kernel
def energy(prog, mats, params, num_qubits, xg, zm, cw, gstart, diag):
    return expectation(run_state(prog, mats, params, num_qubits), xg, zm, cw, gstart, diag)


@kernel
def energies(prog, mats, params2d, num_qubits, xg, zm, cw, gstart, diag):
    out = np.empty(params2d.shape[0])
    for r in range(params2d.shape[0]):
        out[r] = energy(prog, mats, params2d[r], num_qubits, xg, zm, cw, gstart, diag)
    return out


@kernel(parallel=True)
def energies_parallel(prog, mats, params2d, num_qubits, xg, zm, cw, gstart, diag):
    out = np.empty(params2d.shape[0])
    for r in prange(params2d.shape[0]):
        out[r] = energy(prog, mats, params2d[r], num_qubits, xg, zm, cw, gstart, diag)
    return out


@kernel
def unpack(ibuf, cbuf):
    """Views ``(num_qubits, prog, mats, xg, zm, cw, gstart, diag, constant)`` of a packed program."""
    n, nops, ngroups, nterms, nmats, nrows = ibuf[0], ibuf[1], ibuf[2], ibuf[3], ibuf[4], ibuf[5]
    a1 = PACK_HEADER + 4 * nops
    a2 = a1 + ngroups
    a3 = a2 + nterms
    b1 = nmats
    b2 = b1 + nterms
    b3 = b2 + nrows * (1 << n)
    prog = ibuf[PACK_HEADER:a1].reshape(nops, 4)
    diag = cbuf[b2:b3].reshape(nrows, 1 << n)
    return n, prog, cbuf[:b1], ibuf[a1:a2], ibuf[a2:a3], cbuf[b1:b2], ibuf[a3 : a3 + ngroups + 1], diag, cbuf[b3].real


@kernel
def energies_packed(params2d, ibuf, cbuf):
    """:func:`energies` of a packed program, the observable's constant added to each row."""
    n, prog, mats, xg, zm, cw, gstart, diag, const = unpack(ibuf, cbuf)
    out = energies(prog, mats, params2d, n, xg, zm, cw, gstart, diag)
    out += const
    return out


@kernel
def energy_and_gradient(prog, mats, mats_dag, params, num_qubits, xg, zm, cw, gstart, diag):
    """Adjoint method: ``dE/dtheta_g = Im <lambda_g| P_g |psi_g>`` summed per parameter."""
    psi = run_state(prog, mats, params, num_qubits)
    lam = apply_hamiltonian(psi, xg, zm, cw, gstart, diag)
    e = 0.0
    for b in range(psi.shape[0]):
        e += (psi[b].conjugate() * lam[b]).real
    grad = np.zeros(params.shape[0])
    first = prog.shape[0]
    for g in range(prog.shape[0]):
        if prog[g, 0] >= OP_RX:
            first = g
            break
    for g in range(prog.shape[0] - 1, first - 1, -1):
        op = prog[g, 0]
        if op >= OP_RX:
            grad[prog[g, 3]] += pauli_inner(lam, psi, prog[g, 1], op - OP_RX + 1).imag
        if g > first:
            apply_op(psi, prog[g], mats_dag, params, -1.0)
            apply_op(lam, prog[g], mats_dag, params, -1.0)
    return e, grad


@kernel
def rotated_probabilities(psi, codes):
    """``|amp|^2`` after rotating qubit k into the basis ``codes[k]`` (1 X, 2 Y, else Z)."""
    phi = psi.copy()
    r = complex(1.0 / np.sqrt(2.0), 0.0)
    for q in range(codes.shape[0]):
        if codes[q] == 2:
            apply_diag_1q(phi, q, 1.0 + 0j, -1j)
        if codes[q] == 1 or codes[q] == 2:
            apply_1q(phi, q, r, r, r, -r)
    out = np.empty(phi.shape[0])
    for b in range(phi.shape[0]):
        out[b] = phi[b].real ** 2 + phi[b].imag ** 2
    return out
