"""Hamiltonians: real-coefficient Pauli sums plus a constant.

``Hamiltonian({"ZZ": 1.0, "XI": 0.5}, constant=-0.2)`` is ``Z1 Z0 + 0.5 X1 - 0.2 I``.  Labels follow
:mod:`qnoise.paulis` (right-most character = qubit 0, the same as Qiskit's ``SparsePauliOp``).
All-identity terms go into :attr:`Hamiltonian.constant`; duplicate labels are summed and exact-zero
terms dropped, keeping the order of first appearance.

Readout folding (:meth:`Hamiltonian.readout_folded`): a term is measured by rotating each qubit
of its support S to Z, reading the bits through the per-qubit assignment matrices and averaging the
parity ``(-1)^(sum of read bits on S)``.  With ``p10 = P(read 1 | true 0)`` and
``p01 = P(read 0 | true 1)``, the read sign of qubit q averages, given its true sign ``z_q``, to
``a_q + c_q z_q`` with ``a_q = p01 - p10`` and ``c_q = 1 - p10 - p01``.  Errors are independent per
qubit, so the measured expectation of ``P`` equals that of
``sum_{T subset S} prod_{q in S\\T} a_q prod_{q in T} c_q P_T`` (``P_T``: P restricted to T).

Readout mitigation (:meth:`Hamiltonian.readout_inverse_folded`) inverts this map: per qubit the
assignment matrix ``A_q`` acts on the read sign as ``s -> a_q + c_q s`` (``A_q (1, -1) = a_q (1, 1)
+ c_q (1, -1)``), so ``A_q^-1`` maps it to ``(s - a_q) / c_q``.  Applying the tensor product of the
inverses to the measured distribution and averaging a term's parity is the same as averaging the
single-shot value ``prod_{q in S} (s_q - a_q) / c_q``, an unbiased estimate of the ideal parity;
as an observable on the read bits that is ``sum_{T subset S} prod_{q in S\\T} (-a_q / c_q)
prod_{q in T} (1 / c_q) P_T``.  It needs ``c_q = 1 - p10 - p01 > 0`` on every measured qubit.
"""

from __future__ import annotations

import math
from numbers import Number

import numpy as np

from .errors import HamiltonianError, QubitError, SimulatorMemoryError, ValidationError, require
from .paulis import PAULI_CHARS, index_to_label, label_to_index

MAX_QUBITS = 31  # Pauli indices are int64 (4^31 < 2^63)
MAX_DENSE_QUBITS = 14
MAX_DENSE_EIGH_QUBITS = 10
IMAG_ATOL = 1e-12


def bit_parity(x: np.ndarray) -> np.ndarray:
    """Parity (0/1) of the set bits of each entry of a non-negative int64 array."""
    x = np.array(x, dtype=np.int64, copy=True)
    for shift in (32, 16, 8, 4, 2, 1):
        x ^= x >> shift
    return x & 1


def _real(value, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Number, np.number)):
        raise HamiltonianError(f"{what} must be a real number; got {value!r}")
    z = complex(value)
    if abs(z.imag) > IMAG_ATOL:
        raise HamiltonianError(f"{what} must be real (|imag| <= {IMAG_ATOL:g}); got {value!r}")
    if not math.isfinite(z.real):
        raise HamiltonianError(f"{what} must be finite; got {value!r}")
    return float(z.real)


def _check_label(label) -> str:
    if not isinstance(label, str) or not label:
        raise HamiltonianError(f"a Pauli label is a non-empty string of I, X, Y, Z; got {label!r}")
    up = label.upper()
    bad = sorted(set(up) - set(PAULI_CHARS))
    if bad:
        raise HamiltonianError(
            f"Pauli label {label!r} has {', '.join(map(repr, bad))}; allowed characters are I, X, Y, Z"
        )
    return up


def _check_num_qubits(num_qubits) -> int:
    if isinstance(num_qubits, (bool, np.bool_)) or not isinstance(num_qubits, (int, np.integer)):
        raise QubitError(f"num_qubits must be an integer in [1, {MAX_QUBITS}]; got {num_qubits!r}")
    if not 1 <= num_qubits <= MAX_QUBITS:
        raise QubitError(f"num_qubits must be in [1, {MAX_QUBITS}]; got {num_qubits}")
    return int(num_qubits)


def _pairs(terms):
    items = terms.items() if isinstance(terms, dict) else terms
    try:
        items = list(items)
    except TypeError:
        raise HamiltonianError(
            f"terms must be a dict label->coeff or (label, coeff) pairs; got {type(terms).__name__}"
        ) from None
    for item in items:
        if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
            raise HamiltonianError(f"each term is a (label, coeff) pair; got {item!r}")
    return items


def normalize_readout_errors(readout_errors, num_qubits: int) -> list:
    """``readout_errors`` as a list of ``num_qubits`` ReadoutError-or-None.

    Accepts None (no error), a :class:`~qnoise.noise_model.NoiseModel` (its per-qubit entries) or a
    sequence of length ``num_qubits`` whose items are ReadoutError or None.
    """
    from .channels import ReadoutError

    if readout_errors is None:
        return [None] * num_qubits
    if hasattr(readout_errors, "readout_error") and callable(readout_errors.readout_error):
        return [readout_errors.readout_error(q) for q in range(num_qubits)]
    errs = list(readout_errors)
    if len(errs) != num_qubits:
        raise QubitError(
            f"readout_errors needs one entry (ReadoutError or None) per qubit: {num_qubits}; got {len(errs)}"
        )
    for e in errs:
        if e is not None and not isinstance(e, ReadoutError):
            raise HamiltonianError(f"readout_errors items must be ReadoutError or None; got {e!r}")
    return [None if e is None or e.is_ideal() else e for e in errs]


def readout_affine(readout_errors, num_qubits: int, invert: bool = False) -> list:
    """Per qubit, ``(scale, offset)`` of the map a readout error applies to a term, or None (no error).

    Forward (``invert=False``): ``(c_q, a_q)`` with ``c_q = 1 - p10 - p01`` and ``a_q = p01 - p10``;
    the read sign averages to ``a_q + c_q z_q``.  Inverse: ``(1 / c_q, -a_q / c_q)``, the
    mitigation map; it raises :class:`~qnoise.errors.ValidationError` naming the qubit when
    ``p10 + p01 >= 1`` (no inverse, or one that flips more bits than it keeps).
    """
    out: list = []
    for q, e in enumerate(normalize_readout_errors(readout_errors, num_qubits)):
        if e is None:
            out.append(None)
            continue
        a, c = e.p0_given1 - e.p1_given0, 1.0 - e.p1_given0 - e.p0_given1
        if invert and not c > 0.0:
            raise ValidationError(
                f"the readout error of qubit {q} cannot be inverted for mitigation: P(1|0) + P(0|1) = "
                f"{e.p1_given0:g} + {e.p0_given1:g} = {e.p1_given0 + e.p0_given1:g} >= 1 (mitigation needs < 1)"
            )
        out.append((1.0 / c, -a / c) if invert else (c, a))
    return out


def fold_pauli_sum(indices, coeffs, constant: float, affine: list) -> tuple[np.ndarray, np.ndarray, float]:
    """``(indices, coeffs, constant)`` of a Pauli sum after the per-qubit maps ``affine[q] = (scale,
    offset)`` (None: identity): each term with qubit q in its support becomes ``scale P + offset P'``,
    ``P'`` the term without qubit q.  Output indices sorted and unique, identity into the constant."""
    all_idx, all_w = [], []
    for index, coeff in zip(np.asarray(indices, dtype=np.int64), np.asarray(coeffs, dtype=np.float64)):
        idx = np.array([index], dtype=np.int64)
        w = np.array([coeff])
        for q, pair in enumerate(affine):
            if pair is None or not (int(index) >> (2 * q)) & 3:
                continue
            scale, offset = pair
            if offset == 0.0:
                w = w * scale
            else:
                idx = np.concatenate([idx, idx & ~np.int64(3 << (2 * q))])
                w = np.concatenate([w * scale, w * offset])
        all_idx.append(idx)
        all_w.append(w)
    if not all_idx:
        return np.zeros(0, np.int64), np.zeros(0), float(constant)
    uniq, inv = np.unique(np.concatenate(all_idx), return_inverse=True)
    summed = np.bincount(inv.ravel(), weights=np.concatenate(all_w), minlength=uniq.size)
    constant = float(constant) + float(summed[uniq == 0].sum())
    keep = (uniq != 0) & (summed != 0.0)
    return uniq[keep], summed[keep], constant


class Hamiltonian:
    """A real Pauli sum plus a constant; see the module docstring for conventions."""

    __hash__ = None

    def __init__(self, terms=(), constant: float = 0.0, num_qubits: int | None = None):
        const = _real(constant, "the constant")
        merged: dict[str, float] = {}
        width = None if num_qubits is None else _check_num_qubits(num_qubits)
        for raw, coeff in _pairs(terms):
            label = _check_label(raw)
            value = _real(coeff, f"the coefficient of {raw!r}")
            if width is None:
                width = len(label)
            elif len(label) != width:
                err = QubitError if num_qubits is not None else HamiltonianError
                raise err(
                    f"label {raw!r} acts on {len(label)} qubits; expected {width} "
                    f"({'num_qubits' if num_qubits is not None else 'the first label'})"
                )
            if set(label) == {"I"}:
                const += value
            else:
                merged[label] = merged.get(label, 0.0) + value
        if width is None:
            raise HamiltonianError("an empty Hamiltonian needs num_qubits; got no terms and num_qubits=None")
        self._n = _check_num_qubits(width)
        self._constant = float(const)
        self._labels = [lab for lab, w in merged.items() if w != 0.0]
        self._coeffs = np.array([merged[lab] for lab in self._labels], dtype=np.float64)
        self._indices = np.array([label_to_index(lab) for lab in self._labels], dtype=np.int64)
        for arr in (self._coeffs, self._indices):
            arr.flags.writeable = False

    # ------------------------------------------------------------------ attributes
    @property
    def num_qubits(self) -> int:
        return self._n

    @property
    def constant(self) -> float:
        return self._constant

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    @property
    def coeffs(self) -> np.ndarray:
        """Term coefficients (float64, read-only), in the order of :attr:`labels`."""
        return self._coeffs

    @property
    def indices(self) -> np.ndarray:
        """Pauli indices (int64, read-only) of the terms, see :func:`qnoise.paulis.label_to_index`."""
        return self._indices

    @property
    def num_terms(self) -> int:
        return len(self._labels)

    @property
    def codes(self) -> np.ndarray:
        """Per-term, per-qubit Pauli codes, shape ``(num_terms, num_qubits)``; column q = qubit q."""
        shifts = 2 * np.arange(self._n, dtype=np.int64)
        return (self._indices[:, None] >> shifts[None, :]) & 3

    @property
    def norm1(self) -> float:
        """``sum |w|`` over the non-identity terms (the constant excluded)."""
        return float(np.abs(self._coeffs).sum())

    @property
    def lower_bound(self) -> float:
        """``constant - sum |w|``: no state has a lower energy."""
        return self._constant - self.norm1

    # ------------------------------------------------------------------ matrices
    def _masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bit masks (x, z) and Y counts per term: P|b> = i^ny (-1)^|b & z| |b ^ x>."""
        codes = self.codes
        bits = np.int64(1) << np.arange(self._n, dtype=np.int64)
        xmask = ((codes == 1) | (codes == 2)) @ bits
        zmask = ((codes == 2) | (codes == 3)) @ bits
        return xmask.astype(np.int64), zmask.astype(np.int64), (codes == 2).sum(axis=1)

    def _blocks(self):
        """Yield ``(xmask, values)``: the matrix has ``values[b]`` at ``(b ^ xmask, b)``."""
        dim = 1 << self._n
        cols = np.arange(dim, dtype=np.int64)
        xmask, zmask, ny = self._masks()
        phases = (1j) ** (ny % 4)
        diag_seen = False
        for x in dict.fromkeys(xmask.tolist()):
            values = np.zeros(dim, dtype=complex)
            for t in np.flatnonzero(xmask == x):
                values += (self._coeffs[t] * phases[t]) * (1 - 2 * bit_parity(cols & zmask[t]))
            if x == 0:
                values += self._constant
                diag_seen = True
            yield x, values
        if not diag_seen and self._constant != 0.0:
            yield 0, np.full(dim, self._constant, dtype=complex)

    def to_matrix(self, sparse: bool = False):
        """The 2^n x 2^n matrix (constant included): dense ndarray, or scipy CSR if ``sparse``."""
        n, dim = self._n, 1 << self._n
        cols = np.arange(dim, dtype=np.int64)
        if sparse:
            import scipy.sparse as sp

            blocks = list(self._blocks())
            if not blocks:
                return sp.csr_matrix((dim, dim), dtype=complex)
            rows = np.concatenate([cols ^ x for x, _ in blocks])
            data = np.concatenate([v for _, v in blocks])
            allcols = np.tile(cols, len(blocks))
            return sp.csr_matrix((data, (rows, allcols)), shape=(dim, dim))
        if n > MAX_DENSE_QUBITS:
            raise SimulatorMemoryError(
                f"a dense matrix is refused above {MAX_DENSE_QUBITS} qubits; "
                f"this Hamiltonian has {n}: use to_matrix(sparse=True)"
            )
        out = np.zeros((dim, dim), dtype=complex)
        for x, values in self._blocks():
            out[cols ^ x, cols] += values
        return out

    def is_diagonal(self) -> bool:
        """True when every term is made of I and Z only."""
        return not np.any(self._masks()[0])

    def eigenvalues(self, k: int = 2) -> np.ndarray:
        """The ``k`` lowest eigenvalues (constant included), ascending.

        Diagonal (I/Z-only) Hamiltonians are sorted directly; otherwise dense ``eigh`` up to
        10 qubits and ``scipy.sparse.linalg.eigsh`` above.
        """
        dim = 1 << self._n
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 1 <= k <= dim:
            raise HamiltonianError(f"k must be an integer in [1, {dim}]; got {k!r}")
        if self.is_diagonal():
            diag = sum((v.real for _, v in self._blocks()), np.zeros(dim))
            return np.sort(np.partition(diag, k - 1)[:k]) if k < dim else np.sort(diag)
        if self._n <= MAX_DENSE_EIGH_QUBITS:
            return np.linalg.eigvalsh(self.to_matrix())[:k]
        if k >= dim - 1:
            raise HamiltonianError(f"the sparse eigensolver needs k < {dim - 1}; got {k}")
        from scipy.sparse.linalg import eigsh

        v0 = np.random.default_rng(1234).standard_normal(dim)
        vals = eigsh(self.to_matrix(sparse=True), k=k, which="SA", v0=v0, return_eigenvectors=False)
        return np.sort(vals.real)

    def ground_energy(self) -> float:
        return float(self.eigenvalues(1)[0])

    # ------------------------------------------------------------------ measurement
    def qwc_groups(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Greedy qubit-wise commuting groups, terms taken by decreasing ``|coeff|``.

        Returns a list of ``(basis, positions)``: ``basis`` int64 codes per qubit (index q = qubit q,
        0 where no term of the group acts) and ``positions`` the ascending term positions.
        """
        codes = self.codes
        order = np.argsort(-np.abs(self._coeffs), kind="stable")
        bases = np.zeros((0, self._n), dtype=np.int64)
        members: list[list[int]] = []
        for t in order:
            c = codes[t]
            fits = np.all((bases == 0) | (c == 0) | (bases == c), axis=1)
            hit = np.flatnonzero(fits)
            if hit.size:
                g = hit[0]
                bases[g] = np.where(c != 0, c, bases[g])
                members[g].append(int(t))
            else:
                bases = np.vstack([bases, c])
                members.append([int(t)])
        return [(bases[g].copy(), np.array(sorted(m), dtype=np.int64)) for g, m in enumerate(members)]

    def readout_folded(self, readout_errors) -> tuple[np.ndarray, np.ndarray, float]:
        """``(indices, coeffs, constant)`` whose exact expectation is the *measured* energy.

        ``readout_errors``: per-qubit ReadoutError or None (or a NoiseModel).  Each term's support
        is read through the assignment errors; see the module docstring for the expansion.  The
        returned indices are sorted and unique; the identity part is added to the constant.
        """
        affine = readout_affine(readout_errors, self._n)
        return fold_pauli_sum(self._indices, self._coeffs, self._constant, affine)

    def readout_inverse_folded(self, readout_errors) -> tuple[np.ndarray, np.ndarray, float]:
        """``(indices, coeffs, constant)``: the readout-mitigation observable on the *read* bits.

        Its measured expectation (the output folded by :meth:`readout_folded`) is the exact
        readout-mitigated energy, ``Tr(rho H)``: the tensor product of the per-qubit inverse
        assignment matrices applied to each term's measured outcomes (module docstring).  Raises
        :class:`~qnoise.errors.ValidationError` naming a qubit with ``P(1|0) + P(0|1) >= 1``.
        """
        affine = readout_affine(readout_errors, self._n, invert=True)
        return fold_pauli_sum(self._indices, self._coeffs, self._constant, affine)

    # ------------------------------------------------------------------ conversions
    def to_dict(self) -> dict:
        return {
            "num_qubits": self._n,
            "constant": self._constant,
            "terms": [[lab, float(w)] for lab, w in zip(self._labels, self._coeffs)],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Hamiltonian:
        """From ``{"terms": ..., "constant": c, "num_qubits": n}``; ``terms`` is a list of ``[label,
        coefficient]`` pairs (what :meth:`to_dict` writes) or a mapping ``{label: coefficient}``."""
        if not isinstance(data, dict) or "terms" not in data:
            raise HamiltonianError(f"expected a dict with 'terms' (and 'num_qubits', 'constant'); got {data!r}")
        terms = data["terms"]
        if isinstance(terms, dict):
            return cls(terms, data.get("constant", 0.0), data.get("num_qubits"))
        if isinstance(terms, (str, bytes)) or not isinstance(terms, (list, tuple)):
            raise HamiltonianError(
                f"'terms' must be a list of [label, coefficient] pairs or a mapping {{label: coefficient}}; "
                f"got {type(terms).__name__}"
            )
        for i, term in enumerate(terms):
            if isinstance(term, (str, bytes)) or not isinstance(term, (list, tuple)) or len(term) != 2:
                raise HamiltonianError(
                    f"'terms' entry {i} must be a [label, coefficient] pair such as [\"ZI\", -0.5]; got {term!r}"
                )
        return cls([tuple(t) for t in terms], data.get("constant", 0.0), data.get("num_qubits"))

    @classmethod
    def from_indices(cls, indices, coeffs, num_qubits: int, constant: float = 0.0) -> Hamiltonian:
        """Build from Pauli indices (e.g. the output of :meth:`readout_folded`)."""
        n = _check_num_qubits(num_qubits)
        return cls([(index_to_label(int(i), n), w) for i, w in zip(indices, coeffs)], constant, n)

    @classmethod
    def from_sparse_pauli_op(cls, op) -> Hamiltonian:
        """From a Qiskit ``SparsePauliOp`` (same label convention; coefficients must be real)."""
        require("qiskit", "qiskit")
        return cls([(str(lab), w) for lab, w in op.to_list()], 0.0, int(op.num_qubits))

    def to_sparse_pauli_op(self):
        """A Qiskit ``SparsePauliOp`` (the constant as an all-identity term when non-zero)."""
        qi = require("qiskit.quantum_info", "qiskit")
        terms = [(lab, float(w)) for lab, w in zip(self._labels, self._coeffs)]
        if self._constant != 0.0 or not terms:
            terms.append(("I" * self._n, self._constant))
        return qi.SparsePauliOp.from_list(terms)

    # ------------------------------------------------------------------ arithmetic
    def __eq__(self, other) -> bool:
        if not isinstance(other, Hamiltonian):
            return NotImplemented
        return (
            self._n == other._n
            and self._constant == other._constant
            and dict(zip(self._labels, self._coeffs.tolist())) == dict(zip(other._labels, other._coeffs.tolist()))
        )

    def __add__(self, other):
        if isinstance(other, Hamiltonian):
            if other._n != self._n:
                raise QubitError(f"cannot add Hamiltonians on {self._n} and {other._n} qubits")
            terms = list(zip(self._labels, self._coeffs)) + list(zip(other._labels, other._coeffs))
            return Hamiltonian(terms, self._constant + other._constant, self._n)
        if isinstance(other, Number) and not isinstance(other, bool):
            return Hamiltonian(list(zip(self._labels, self._coeffs)), self._constant + other, self._n)
        return NotImplemented

    __radd__ = __add__

    def __mul__(self, scalar):
        if not isinstance(scalar, Number) or isinstance(scalar, bool):
            return NotImplemented
        s = _real(scalar, "the scalar")
        return Hamiltonian([(lab, s * w) for lab, w in zip(self._labels, self._coeffs)], s * self._constant, self._n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        shown = ", ".join(f"{lab!r}: {w:g}" for lab, w in zip(self._labels[:6], self._coeffs[:6]))
        more = f", ... ({self.num_terms} terms)" if self.num_terms > 6 else ""
        return f"Hamiltonian({{{shown}{more}}}, constant={self._constant:g}, num_qubits={self._n})"


__all__ = ["Hamiltonian", "bit_parity", "fold_pauli_sum", "normalize_readout_errors", "readout_affine"]
