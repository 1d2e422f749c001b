"""Spin-chain problems: transverse-field Ising and Heisenberg models for any number of qubits.

Conventions (qubit 0 = right-most label character, as everywhere in qnoise):

* **TFIM**: ``H = -J sum_i Z_i Z_{i+1} - h sum_i X_i`` (ferromagnetic for ``J > 0``); the open
  chain has ``n - 1`` bonds, the periodic one ``n`` (bond ``(n-1, 0)`` added, needs ``n >= 3``).
* **Heisenberg**: ``H = J sum_i (X_i X_{i+1} + Y_i Y_{i+1} + Z_i Z_{i+1})`` (antiferromagnetic for
  ``J > 0``), open or periodic as above; ``n >= 2``.

Exact energies: the TFIM is a free-fermion model.  The open chain's full spectrum follows from the
Majorana (Bogoliubov) single-particle energies ``eps_k``: ``E0 = -1/2 sum eps_k`` and
``E1 = E0 + min eps_k`` (:func:`tfim_open_energies`).  The periodic chain's ground state lies in
the even-parity (Neveu-Schwarz) sector, ``E0 = -sum_{m=0}^{n-1} sqrt(J^2 + h^2 - 2|J h| cos k_m)``
with ``k_m = pi (2m + 1) / n`` (:func:`tfim_periodic_ground_energy`; valid for ``J >= 0`` or even
``n``).  Everything else comes from exact (sparse) diagonalisation up to :data:`MAX_ED_QUBITS`.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError

MAX_ED_QUBITS = 16


def _check_n(n, minimum: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValidationError(f"{what} needs an integer number of qubits >= {minimum}; got {n!r}")
    if n > 30:
        raise ValidationError(f"{what} supports at most 30 qubits; got {n}")
    return int(n)


def _check_real(x, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a real number; got {x!r}") from None
    if not math.isfinite(v):
        raise ValidationError(f"{name} must be finite; got {x!r}")
    return v


def _bonds(n: int, periodic: bool) -> list[tuple[int, int]]:
    bonds = [(i, i + 1) for i in range(n - 1)]
    if periodic:
        bonds.append((n - 1, 0))
    return bonds


def _label(n: int, ops: dict[int, str]) -> str:
    return "".join(ops.get(q, "I") for q in reversed(range(n)))


def tfim(n: int, h: float = 1.0, J: float = 1.0, periodic: bool = False):
    """``-J sum Z_i Z_{i+1} - h sum X_i`` on ``n`` qubits as a :class:`qnoise.Hamiltonian`."""
    from ..hamiltonian import Hamiltonian

    n = _check_n(n, 3 if periodic else 1, "a periodic TFIM" if periodic else "the TFIM")
    h, J = _check_real(h, "h"), _check_real(J, "J")
    terms = [(_label(n, {i: "Z", j: "Z"}), -J) for i, j in _bonds(n, periodic)]
    terms += [(_label(n, {i: "X"}), -h) for i in range(n)]
    return Hamiltonian([(lab, w) for lab, w in terms if w != 0.0], 0.0, n)


def heisenberg(n: int, J: float = 1.0, periodic: bool = False):
    """``J sum (XX + YY + ZZ)`` over the bonds of an ``n``-qubit chain."""
    from ..hamiltonian import Hamiltonian

    what = "a periodic Heisenberg chain" if periodic else "the Heisenberg chain"
    n = _check_n(n, 3 if periodic else 2, what)
    J = _check_real(J, "J")
    terms = [(_label(n, {i: p, j: p}), J) for i, j in _bonds(n, periodic) for p in "XYZ"]
    return Hamiltonian([(lab, w) for lab, w in terms if w != 0.0], 0.0, n)


def tfim_open_energies(n: int, h: float = 1.0, J: float = 1.0) -> tuple[float, float]:
    """Exact ``(E0, E1)`` of the open TFIM from its Majorana single-particle energies.

    After a Hadamard on every qubit, ``H = -J sum X_j X_{j+1} - h sum Z_j``; with Majoranas
    ``a_j = (prod_{k<j} Z_k) X_j``, ``b_j = (prod_{k<j} Z_k) Y_j`` one has ``Z_j = -i a_j b_j`` and
    ``X_j X_{j+1} = -i b_j a_{j+1}``, so ``H = (i/4) sum M_ab g_a g_b`` with real antisymmetric
    ``M``.  The positive eigenvalues ``eps_k`` of ``iM`` give ``H = sum eps_k (n_k - 1/2)``.
    """
    n = _check_n(n, 1, "the TFIM")
    h, J = _check_real(h, "h"), _check_real(J, "J")
    m = np.zeros((2 * n, 2 * n))  # index 2j = a_j, 2j+1 = b_j

    def add(alpha, beta, c):  # the term i c g_alpha g_beta
        m[alpha, beta] += 2 * c
        m[beta, alpha] -= 2 * c

    for j in range(n):
        add(2 * j, 2 * j + 1, h)  # -h Z_j = i h a_j b_j
    for j in range(n - 1):
        add(2 * j + 1, 2 * j + 2, J)  # -J X_j X_{j+1} = i J b_j a_{j+1}
    eps = np.sort(np.abs(np.linalg.eigvalsh(1j * m)))[::2]  # each |eps| appears twice
    e0 = -0.5 * float(eps.sum())
    return e0, e0 + float(eps[0])


def tfim_periodic_ground_energy(n: int, h: float = 1.0, J: float = 1.0) -> float:
    """Closed-form ground energy of the periodic TFIM (even-parity sector, antiperiodic fermions)."""
    n = _check_n(n, 3, "a periodic TFIM")
    h, J = _check_real(h, "h"), _check_real(J, "J")
    if J < 0 and n % 2:
        raise ValidationError(
            "the closed form needs J >= 0 or an even n (odd antiferromagnetic "
            "rings are frustrated); use exact diagonalisation"
        )
    k = np.pi * (2 * np.arange(n) + 1) / n
    return -float(np.sqrt(np.maximum(J * J + h * h - 2 * abs(J * h) * np.cos(k), 0.0)).sum())


def exact_energies(hamiltonian) -> tuple[float, float]:
    """``(E0, E1)`` by exact diagonalisation (sparse from 7 qubits on)."""
    if hamiltonian.num_qubits > MAX_ED_QUBITS:
        raise ValidationError(
            f"exact diagonalisation is limited to {MAX_ED_QUBITS} qubits here; got {hamiltonian.num_qubits}"
        )
    if hamiltonian.num_qubits < 7:
        e = hamiltonian.eigenvalues(2)
    else:  # sparse Lanczos: much faster than dense eigh from 7 qubits on
        from scipy.sparse.linalg import eigsh

        v0 = np.random.default_rng(1234).standard_normal(1 << hamiltonian.num_qubits)
        e = np.sort(
            eigsh(hamiltonian.to_matrix(sparse=True), k=2, which="SA", v0=v0, tol=1e-12, return_eigenvectors=False).real
        )
    return float(e[0]), float(e[1])


def spin_energies(model: str, n: int, h: float = 1.0, J: float = 1.0, periodic: bool = False):
    """``(E0, E1)`` with closed forms where known, else ED; ``None`` where neither is available."""
    if model == "tfim" and not periodic:
        return tfim_open_energies(n, h, J)
    ham = tfim(n, h, J, periodic) if model == "tfim" else heisenberg(n, J, periodic)
    if n <= MAX_ED_QUBITS:
        return exact_energies(ham)
    if model == "tfim" and (J >= 0 or n % 2 == 0):
        return tfim_periodic_ground_energy(n, h, J), None
    return None, None
