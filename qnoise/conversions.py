"""Conversions between channel representations (the only module that does them).

Pauli transfer matrix (PTM) convention, as Qiskit's ``quantum_info.PTM``: for a k-qubit channel E
with Pauli basis ``P_i`` in the index order of :mod:`qnoise.paulis` and ``d = 2^k``,

    R[i, j] = Tr(P_i E(P_j)) / d.

R is real for a Hermiticity-preserving map, ``R[0, 0] = 1`` and ``R[0, j>0] = 0`` for a trace
preserving one.  The same R acts on the state vector of :mod:`qnoise.state` whatever the
normalisation of the Pauli coefficients, because it is a linear map between coefficients taken in
the same basis.
"""

from __future__ import annotations

import numpy as np

from .paulis import PAULI_MATRICES, pauli_basis


def unitary_to_ptm(unitary: np.ndarray) -> np.ndarray:
    """PTM of ``rho -> U rho U^dagger``."""
    u = np.asarray(unitary, dtype=complex)
    return kraus_to_ptm([u])


def kraus_to_ptm(kraus_ops) -> np.ndarray:
    """PTM of ``rho -> sum_k K rho K^dagger``."""
    ops = [np.asarray(k, dtype=complex) for k in kraus_ops]
    dim = ops[0].shape[0]
    n = dim.bit_length() - 1
    basis = pauli_basis(n)
    # images[j] = E(P_j)
    images = np.zeros_like(basis)
    for k in ops:
        images += np.einsum("ab,jbc,dc->jad", k, basis, k.conj())
    ptm = np.einsum("iba,jab->ij", basis, images) / dim
    return np.ascontiguousarray(ptm.real)


def ptm_to_choi(ptm: np.ndarray) -> np.ndarray:
    """Choi matrix ``sum_ij |i><j| (x) E(|i><j|)`` (column-stacking free, input factor first)."""
    ptm = np.asarray(ptm, dtype=float)
    dim = round(np.sqrt(ptm.shape[0]))
    n = dim.bit_length() - 1
    basis = pauli_basis(n)
    # E(P_j) = sum_i R[i, j] P_i ; E(|a><b|) = sum_j c_j(ab) E(P_j) with c_j = <b|P_j|a>/d
    images = np.einsum("ij,iab->jab", ptm, basis)  # E(P_j)
    coeff = np.einsum("jba->abj", basis) / dim  # (|a><b|) = sum_j coeff[a,b,j] P_j
    e_ab = np.einsum("abj,jcd->abcd", coeff, images)  # E(|a><b|)[c, d]
    return e_ab.transpose(0, 2, 1, 3).reshape(dim * dim, dim * dim)


def choi_to_ptm(choi: np.ndarray) -> np.ndarray:
    """Inverse of :func:`ptm_to_choi`."""
    choi = np.asarray(choi, dtype=complex)
    dim = round(np.sqrt(choi.shape[0]))
    n = dim.bit_length() - 1
    basis = pauli_basis(n)
    e_ab = choi.reshape(dim, dim, dim, dim).transpose(0, 2, 1, 3)  # [a, b, c, d]
    images = np.einsum("jab,abcd->jcd", basis, e_ab)  # E(P_j) = sum_ab P_j[a,b] E(|a><b|)
    return np.ascontiguousarray(np.einsum("icd,jdc->ij", basis, images).real / dim)


def choi_to_kraus(choi: np.ndarray, atol: float = 1e-12) -> list[np.ndarray]:
    """Kraus operators from the eigendecomposition of a positive Choi matrix."""
    choi = np.asarray(choi, dtype=complex)
    dim = round(np.sqrt(choi.shape[0]))
    w, v = np.linalg.eigh((choi + choi.conj().T) / 2)
    ops = []
    for val, vec in zip(w, v.T):
        if val > atol:
            # choi = sum_ab |a><b| (x) K|a><b|K^dag  ->  vec[a*dim + c] = K[c, a]
            ops.append(np.sqrt(val) * vec.reshape(dim, dim).T)
    return ops or [np.zeros((dim, dim), dtype=complex)]


def ptm_to_kraus(ptm: np.ndarray) -> list[np.ndarray]:
    return choi_to_kraus(ptm_to_choi(ptm))


def cptp_violation(ptm: np.ndarray) -> tuple[float, float]:
    """``(negativity, trace_error)``: the most negative Choi eigenvalue (0 if none) and the largest
    deviation of the PTM's first row from ``(1, 0, ..., 0)``."""
    ptm = np.asarray(ptm, dtype=float)
    neg = max(0.0, -float(np.linalg.eigvalsh(ptm_to_choi(ptm)).min()))
    row = ptm[0].copy()
    row[0] -= 1.0
    return neg, float(np.abs(row).max())


def density_matrix_to_pauli_vector(rho: np.ndarray) -> np.ndarray:
    """State vector of coefficients ``r_P = Tr(P rho) / sqrt(2^n)`` (see :mod:`qnoise.simulator`).

    Contracts one qubit at a time (O(n 4^n) work) instead of building the 4^n Pauli matrices.
    """
    rho = np.asarray(rho, dtype=complex)
    dim = rho.shape[0]
    n = dim.bit_length() - 1
    # axes (r_{n-1}..r_0, c_{n-1}..c_0); Tr(P rho) = sum_{r,c} prod_q sigma_{p_q}[c_q, r_q] rho[r, c]
    t = rho.reshape((2,) * (2 * n))
    for k in range(n):  # qubit n-1-k: its row axis is 0, its column axis n-k; p is appended last
        t = np.einsum("pba,ab...->...p", PAULI_MATRICES, np.moveaxis(t, n - k, 1))
    return np.ascontiguousarray(t.real.reshape(-1) / np.sqrt(dim))  # axes (p_{n-1}, ..., p_0)


def pauli_vector_to_density_matrix(vec: np.ndarray) -> np.ndarray:
    """Inverse of :func:`density_matrix_to_pauli_vector`: ``rho = sum_P r_P P / sqrt(2^n)``."""
    vec = np.asarray(vec, dtype=float)
    n = (vec.shape[0].bit_length() - 1) // 2
    t = vec.reshape((4,) * n).astype(complex)  # axes (p_{n-1}, ..., p_0)
    for _ in range(n):  # contract the leading p axis, append its (row, col) pair at the end
        t = np.einsum("p...,prc->...rc", t, PAULI_MATRICES)
    # axes now (r_{n-1}, c_{n-1}, ..., r_0, c_0): gather rows first, then columns
    t = t.transpose([2 * k for k in range(n)] + [2 * k + 1 for k in range(n)])
    return t.reshape(2**n, 2**n) / np.sqrt(2**n)
