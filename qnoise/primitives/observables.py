"""Estimator observables (Qiskit ``SparseObservable``) as qnoise Pauli sums on compact qubits.

An observable of a PUB (an element of its ``ObservablesArray``) is expanded into Pauli terms
(``SparseObservable.as_paulis``: projectors such as ``0``, ``+``, ``r`` become Pauli sums), then
renumbered onto the compiled circuit's compact qubits (:class:`~.cache.CompiledCircuit.qubits`):
Pauli index ``sum_k code_k 4^k`` over compact qubits ``k`` (:mod:`qnoise.paulis`; qubit 0 is the
right-most character of a label, as in Qiskit), the all-identity terms in ``constant``.

:class:`CompactObservable` evaluates the *exact* expectation value on a simulator state:

* ``mitigation="readout"``: ``Tr(rho O)``, the gate-noisy expectation (what readout mitigation
  recovers; equal to Aer's ``save_expectation_value``, which ignores readout errors);
* ``mitigation="none"``: the value as measured, each term read in its own basis through the
  readout errors (:meth:`qnoise.hamiltonian.Hamiltonian.readout_folded`).

Both engines: the PTM state ``r_P = Tr(P rho) / sqrt(2^n)`` gives ``Tr(P rho)`` by a gather; the
statevector ``psi`` gives ``<psi|O|psi>`` with the observable's sparse matrix (built once).
"""

from __future__ import annotations

import math

import numpy as np

from ..hamiltonian import Hamiltonian, fold_pauli_sum, readout_affine

#: SparseObservable bit term (Z = 1, X = 2, Y = 3) -> qnoise Pauli code (X = 1, Y = 2, Z = 3)
_CODE = np.zeros(4, dtype=np.int64)
_CODE[[1, 2, 3]] = [3, 1, 2]


def observable_key(obs) -> tuple:
    """A hashable description of a ``SparseObservable`` (its raw parts)."""
    return (
        obs.num_qubits,
        np.asarray(obs.coeffs).tobytes(),
        np.asarray(obs.bit_terms).tobytes(),
        np.asarray(obs.indices).tobytes(),
        np.asarray(obs.boundaries).tobytes(),
    )


def observable_support(obs) -> set[int]:
    """The qubits an observable acts on non-trivially."""
    return {int(q) for q in np.unique(np.asarray(obs.indices))}


class CompactObservable:
    """A Pauli sum ``constant + sum coeffs[t] P[indices[t]]`` on ``num_qubits`` compact qubits."""

    def __init__(self, obs, qubits: tuple):
        paulis = obs.as_paulis()
        pos = np.full(obs.num_qubits, -1, dtype=np.int64)
        pos[list(qubits)] = np.arange(len(qubits))
        bits = np.asarray(paulis.bit_terms, dtype=np.int64)
        where = pos[np.asarray(paulis.indices, dtype=np.int64)]
        bounds = np.asarray(paulis.boundaries, dtype=np.int64)
        coeffs = np.asarray(paulis.coeffs).real.astype(np.float64)
        term = np.repeat(np.arange(coeffs.size), np.diff(bounds))
        index = np.zeros(coeffs.size, dtype=np.int64)
        np.add.at(index, term, _CODE[bits] << (2 * where))
        uniq, inverse = np.unique(index, return_inverse=True)
        summed = np.bincount(inverse.ravel(), weights=coeffs, minlength=uniq.size)
        keep = (uniq != 0) & (summed != 0.0)
        self.num_qubits = len(qubits)
        self.indices, self.coeffs = uniq[keep], summed[keep]
        self.constant = float(summed[uniq == 0].sum())
        self._exact: dict = {}  # (engine, mitigation) -> evaluator arrays
        self._hamiltonian = None

    @property
    def hamiltonian(self) -> Hamiltonian:
        """The qnoise Hamiltonian (for shot sampling)."""
        if self._hamiltonian is None:
            self._hamiltonian = Hamiltonian.from_indices(self.indices, self.coeffs, self.num_qubits, self.constant)
        return self._hamiltonian

    def _terms(self, readout_errors, mitigation: str) -> tuple[np.ndarray, np.ndarray, float]:
        if mitigation == "none" and any(e is not None for e in readout_errors):
            affine = readout_affine(readout_errors, self.num_qubits)
            return fold_pauli_sum(self.indices, self.coeffs, self.constant, affine)
        return self.indices, self.coeffs, self.constant

    def value(self, state: np.ndarray, engine: str, readout_errors, mitigation: str) -> float:
        """Exact expectation on a PTM state (``engine="ptm"``) or a statevector (module docstring)."""
        key = (engine, mitigation)
        prepared = self._exact.get(key)
        if prepared is None:
            indices, coeffs, constant = self._terms(readout_errors, mitigation)
            if engine == "ptm":
                prepared = (indices, coeffs * math.sqrt(2.0**self.num_qubits), constant)
            else:
                matrix = Hamiltonian.from_indices(indices, coeffs, self.num_qubits).to_matrix(sparse=True)
                prepared = (matrix, None, constant)
            self._exact[key] = prepared
        first, second, constant = prepared
        if engine == "ptm":
            return constant + float(second @ state[first])
        return constant + float(np.vdot(state, first @ state).real)
