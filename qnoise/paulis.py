"""Pauli-basis conventions used everywhere in qnoise.

Conventions (the same as Qiskit ``quantum_info``):

* **Single-qubit Pauli codes**: ``0 = I, 1 = X, 2 = Y, 3 = Z``.
* **Qubit order**: qubit 0 is the least significant.  In a Pauli *label* such as ``"XZ"`` the
  right-most character acts on qubit 0 (``"XZ"`` = X on qubit 1, Z on qubit 0), and its matrix is
  ``X (x) Z`` (Kronecker product, qubit n-1 left-most).  A computational basis state index ``b``
  has qubit k in bit k.
* **Pauli index** of an n-qubit Pauli string: ``i = sum_k p_k 4**k`` where ``p_k`` is the code of
  the Pauli acting on qubit k.  So ``"XZ"`` has index ``3 + 4*1 = 7``.  A 4^n vector indexed this
  way lists Paulis in Qiskit's ``pauli_basis`` order (``II, IX, IY, IZ, XI, ...``).
* **Local order of a gate's qubits**: for a k-qubit gate applied to ``qubits = (q0, q1)`` its
  unitary uses Qiskit's convention (``q0`` is bit 0 of the local matrix index) and its 16x16 PTM
  has local Pauli index ``j = p_{q0} + 4 p_{q1}``.
"""

from __future__ import annotations

import numpy as np

from .errors import ValidationError

PAULI_CHARS = "IXYZ"
_CODE = {"I": 0, "X": 1, "Y": 2, "Z": 3}

PAULI_MATRICES = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)


def label_to_index(label: str) -> int:
    """Pauli index of a label (right-most character = qubit 0)."""
    if not isinstance(label, str) or not label:
        raise ValidationError(f"a Pauli label must be a non-empty string of I, X, Y, Z; got {label!r}")
    index = 0
    for k, ch in enumerate(reversed(label.upper())):
        code = _CODE.get(ch)
        if code is None:
            raise ValidationError(f"Pauli label {label!r} has {ch!r}; allowed characters are I, X, Y, Z")
        index += code << (2 * k)
    return index


def index_to_label(index: int, num_qubits: int) -> str:
    """Label of a Pauli index (inverse of :func:`label_to_index`)."""
    return "".join(PAULI_CHARS[(index >> (2 * k)) & 3] for k in reversed(range(num_qubits)))


def pauli_codes(index: int, num_qubits: int) -> list[int]:
    """Per-qubit codes ``[p_0, ..., p_{n-1}]`` of a Pauli index."""
    return [(index >> (2 * k)) & 3 for k in range(num_qubits)]


def pauli_matrix(index: int, num_qubits: int) -> np.ndarray:
    """Dense 2^n x 2^n matrix of a Pauli index (qubit n-1 left-most in the Kronecker product)."""
    out = np.ones((1, 1), dtype=complex)
    for code in reversed(pauli_codes(index, num_qubits)):
        out = np.kron(out, PAULI_MATRICES[code])
    return out


def pauli_basis(num_qubits: int) -> np.ndarray:
    """All 4^n Pauli matrices in index order, shape ``(4^n, 2^n, 2^n)``."""
    return np.array([pauli_matrix(i, num_qubits) for i in range(4**num_qubits)])
