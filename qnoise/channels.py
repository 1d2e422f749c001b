"""Noise channels as Pauli transfer matrices.

A :class:`Channel` is a thin holder of a k-qubit PTM (conventions in :mod:`qnoise.conversions`;
local qubit order in :mod:`qnoise.paulis`) and, when known, a Kraus representation.  Every
constructor checks complete positivity and trace preservation (Choi eigenvalues >= -1e-10,
first PTM row ``(1, 0, ...)``) and raises :class:`~qnoise.errors.ChannelError` otherwise.

Formulas follow Qiskit Aer's ``noise.errors`` so that models built here and there agree:

* ``depolarizing(p, k)``: ``rho -> (1 - p) rho + p I / 2^k``, ``0 <= p <= 4^k / (4^k - 1)``;
  PTM ``diag(1, 1-p, ..., 1-p)``.
* ``thermal_relaxation(t1, t2, time, excited_state_population)``: relaxation towards the thermal
  state with populations ``(1 - pe, pe)``; ``<X>, <Y>`` decay by ``exp(-time/t2)``,
  ``<Z> -> exp(-time/t1) <Z> + (1 - exp(-time/t1)) (1 - 2 pe)``; requires ``t2 <= 2 t1``.
* ``amplitude_damping(gamma, excited_state_population)``, ``phase_damping(lam)`` as Aer's
  ``amplitude_damping_error`` / ``phase_damping_error``.
"""

from __future__ import annotations

import math

import numpy as np

from . import conversions
from .errors import ChannelError, ValidationError
from .paulis import PAULI_MATRICES, label_to_index, pauli_matrix

CPTP_ATOL = 1e-10


class Channel:
    """A completely positive trace-preserving map on ``num_qubits`` qubits, held as its PTM."""

    def __init__(self, ptm, kraus=None, name: str = "channel", validate: bool = True):
        ptm = np.array(ptm, dtype=float)
        k = (ptm.shape[0].bit_length() - 1) // 2 if ptm.ndim == 2 else 0
        if ptm.ndim != 2 or ptm.shape != (4**k, 4**k) or k < 1:
            raise ChannelError(f"a PTM must be a 4^k x 4^k real matrix with k >= 1; got shape {ptm.shape}")
        if validate:
            neg, tp = conversions.cptp_violation(ptm)
            if neg > CPTP_ATOL or tp > CPTP_ATOL:
                raise ChannelError(
                    f"channel {name!r} is not CPTP: most negative Choi eigenvalue "
                    f"{-neg:.3g}, trace-preservation error {tp:.3g} (tolerance {CPTP_ATOL})"
                )
        ptm.setflags(write=False)
        self.ptm = ptm
        self.num_qubits = k
        self.name = name
        self._kraus = None if kraus is None else [np.asarray(op, dtype=complex) for op in kraus]

    @property
    def kraus(self) -> list[np.ndarray]:
        """Kraus operators (computed from the Choi matrix when not given)."""
        if self._kraus is None:
            self._kraus = conversions.ptm_to_kraus(self.ptm)
        return self._kraus

    def compose(self, other: Channel) -> Channel:
        """``self`` followed by ``other`` (same qubits)."""
        if other.num_qubits != self.num_qubits:
            raise ChannelError(
                f"cannot compose a {self.num_qubits}-qubit channel with a {other.num_qubits}-qubit channel"
            )
        kraus = None
        if self._kraus is not None and other._kraus is not None:
            kraus = [b @ a for a in self._kraus for b in other._kraus]
        return Channel(other.ptm @ self.ptm, kraus, f"{self.name}>{other.name}", validate=False)

    def tensor(self, other: Channel) -> Channel:
        """``self (x) other``: ``other`` acts on the low (first-listed) qubits, as in Qiskit."""
        kraus = None
        if self._kraus is not None and other._kraus is not None:
            kraus = [np.kron(a, b) for a in self._kraus for b in other._kraus]
        return Channel(np.kron(self.ptm, other.ptm), kraus, f"{self.name}*{other.name}", validate=False)

    def is_identity(self, atol: float = 0.0) -> bool:
        return bool(np.allclose(self.ptm, np.eye(self.ptm.shape[0]), rtol=0, atol=atol))

    def __repr__(self) -> str:
        return f"Channel({self.name!r}, num_qubits={self.num_qubits})"


def _prob(name: str, value, upper: float = 1.0) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number in [0, {upper:g}]; got {value!r}") from None
    if not (0.0 <= v <= upper) or math.isnan(v):
        raise ValidationError(f"{name} must be in [0, {upper:g}]; got {value!r}")
    return v


def depolarizing(p: float, num_qubits: int = 1) -> Channel:
    if num_qubits not in (1, 2):
        raise ValidationError(f"depolarizing acts on 1 or 2 qubits; got num_qubits={num_qubits!r}")
    d2 = 4**num_qubits
    p = _prob("depolarizing probability p", p, d2 / (d2 - 1))
    ptm = np.diag([1.0] + [1.0 - p] * (d2 - 1))
    dim = 2**num_qubits
    kraus = [math.sqrt(max(0.0, 1 - p * (d2 - 1) / d2)) * np.eye(dim)]
    kraus += [math.sqrt(p / d2) * pauli_matrix(i, num_qubits) for i in range(1, d2)]
    return Channel(ptm, kraus, f"depolarizing({p:g})", validate=False)


def pauli_channel(probabilities: dict) -> Channel:
    """``rho -> sum_P p_P P rho P`` for a dict of Pauli labels (equal lengths) to probabilities."""
    if not isinstance(probabilities, dict) or not probabilities:
        raise ValidationError(f"pauli_channel takes a non-empty dict label -> probability; got {probabilities!r}")
    lengths = {len(label) for label in probabilities}
    if len(lengths) != 1 or lengths.pop() not in (1, 2):
        raise ValidationError(f"Pauli labels must all have the same length, 1 or 2; got {list(probabilities)}")
    k = len(next(iter(probabilities)))
    probs = {label_to_index(lab): _prob(f"probability of {lab!r}", p) for lab, p in probabilities.items()}
    total = sum(probs.values())
    if abs(total - 1.0) > 1e-10:
        raise ValidationError(f"Pauli channel probabilities must sum to 1; they sum to {total!r}")
    kraus = [math.sqrt(p) * pauli_matrix(i, k) for i, p in probs.items() if p > 0]
    return Channel(conversions.kraus_to_ptm(kraus), kraus, "pauli", validate=False)


def amplitude_damping(gamma: float, excited_state_population: float = 0.0) -> Channel:
    g = _prob("amplitude damping gamma", gamma)
    pe = _prob("excited_state_population", excited_state_population)
    a, b = math.sqrt(1 - pe), math.sqrt(pe)
    kraus = [
        a * np.array([[1, 0], [0, math.sqrt(1 - g)]]),
        a * np.array([[0, math.sqrt(g)], [0, 0]]),
        b * np.array([[math.sqrt(1 - g), 0], [0, 1]]),
        b * np.array([[0, 0], [math.sqrt(g), 0]]),
    ]
    kraus = [k.astype(complex) for k in kraus if np.any(k)]
    return Channel(conversions.kraus_to_ptm(kraus), kraus, f"amplitude_damping({g:g})", validate=False)


def phase_damping(lam: float) -> Channel:
    lam = _prob("phase damping lambda", lam)
    kraus = [
        np.array([[1, 0], [0, math.sqrt(1 - lam)]], dtype=complex),
        np.array([[0, 0], [0, math.sqrt(lam)]], dtype=complex),
    ]
    return Channel(conversions.kraus_to_ptm(kraus), kraus, f"phase_damping({lam:g})", validate=False)


def thermal_relaxation(t1: float, t2: float, time: float, excited_state_population: float = 0.0) -> Channel:
    """Aer's ``thermal_relaxation_error``; times in any one unit (``inf`` allowed for t1, t2)."""
    for label, v in (("t1", t1), ("t2", t2)):
        if not isinstance(v, (int, float, np.floating, np.integer)) or not v > 0:
            raise ValidationError(f"{label} must be a positive number (inf allowed); got {v!r}")
    if not isinstance(time, (int, float, np.floating, np.integer)) or not 0 <= time < math.inf:
        raise ValidationError(f"gate time must be a finite number >= 0; got {time!r}")
    if t2 > 2 * t1:
        raise ValidationError(f"t2 must be at most 2*t1; got t1={t1!r}, t2={t2!r}")
    pe = _prob("excited_state_population", excited_state_population)
    e1 = math.exp(-time / t1) if t1 != math.inf else 1.0
    e2 = math.exp(-time / t2) if t2 != math.inf else 1.0
    ptm = np.diag([1.0, e2, e2, e1])
    ptm[3, 0] = (1 - e1) * (1 - 2 * pe)
    return Channel(ptm, None, f"thermal_relaxation({t1:g},{t2:g},{time:g})")


def kraus_channel(kraus_ops) -> Channel:
    ops = [np.asarray(k, dtype=complex) for k in kraus_ops]
    if not ops or any(k.ndim != 2 or k.shape != ops[0].shape or k.shape[0] not in (2, 4) for k in ops):
        raise ChannelError(
            f"Kraus operators must be equal-shaped 2x2 or 4x4 matrices; got shapes {[k.shape for k in ops]}"
        )
    dev = np.abs(sum(k.conj().T @ k for k in ops) - np.eye(ops[0].shape[0])).max()
    if dev > CPTP_ATOL:
        raise ChannelError(f"Kraus operators are not trace preserving: |sum K^dag K - I| = {dev:.3g}")
    return Channel(conversions.kraus_to_ptm(ops), ops, "kraus")


def unitary_channel(unitary) -> Channel:
    u = np.asarray(unitary, dtype=complex)
    if u.ndim != 2 or u.shape[0] != u.shape[1] or u.shape[0] not in (2, 4):
        raise ChannelError(f"a unitary channel needs a 2x2 or 4x4 matrix; got shape {u.shape}")
    if not np.allclose(u.conj().T @ u, np.eye(u.shape[0]), atol=1e-10):
        raise ChannelError("matrix is not unitary (U^dagger U != I within 1e-10)")
    return Channel(conversions.unitary_to_ptm(u), [u], "unitary", validate=False)


class ReadoutError:
    """Per-qubit measurement assignment error, Aer's convention: ``matrix[true, measured]``.

    ``ReadoutError(p1_given0, p0_given1)`` or ``ReadoutError.from_matrix([[P(0|0), P(1|0)],
    [P(0|1), P(1|1)]])``.
    """

    def __init__(self, p1_given0: float, p0_given1: float | None = None):
        self.p1_given0 = _prob("readout P(1|0)", p1_given0)
        self.p0_given1 = _prob("readout P(0|1)", p1_given0 if p0_given1 is None else p0_given1)

    @classmethod
    def from_matrix(cls, matrix) -> ReadoutError:
        m = np.asarray(matrix, dtype=float)
        if m.shape != (2, 2) or np.any(m < 0) or not np.allclose(m.sum(axis=1), 1.0, atol=1e-10):
            raise ValidationError(f"a readout matrix is 2x2, non-negative, rows summing to 1; got {matrix!r}")
        return cls(m[0, 1], m[1, 0])

    @property
    def matrix(self) -> np.ndarray:
        return np.array([[1 - self.p1_given0, self.p1_given0], [self.p0_given1, 1 - self.p0_given1]])

    def is_ideal(self) -> bool:
        return self.p1_given0 == 0.0 and self.p0_given1 == 0.0

    def __eq__(self, other) -> bool:
        return isinstance(other, ReadoutError) and (self.p1_given0, self.p0_given1) == (
            other.p1_given0,
            other.p0_given1,
        )

    def __repr__(self) -> str:
        return f"ReadoutError(p1_given0={self.p1_given0:g}, p0_given1={self.p0_given1:g})"


__all__ = [
    "PAULI_MATRICES",
    "Channel",
    "ReadoutError",
    "amplitude_damping",
    "depolarizing",
    "kraus_channel",
    "pauli_channel",
    "phase_damping",
    "thermal_relaxation",
    "unitary_channel",
]
