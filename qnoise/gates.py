"""The gate set: names, arities, unitaries and rotation generators.

Rotations are ``R_P(theta) = exp(-i theta P / 2)`` for ``P`` in X, Y, Z (Qiskit's convention).
Two-qubit matrices use Qiskit's local qubit order: for ``cx`` applied to ``(control, target)`` the
control is bit 0 of the local matrix index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_S2 = 1 / np.sqrt(2)


@dataclass(frozen=True)
class GateSpec:
    name: str
    num_qubits: int
    parametric: bool = False
    pauli: int = 0  # generator code (1 X, 2 Y, 3 Z) for rotations


_FIXED_1Q = {
    "id": np.eye(2),
    "x": np.array([[0, 1], [1, 0]]),
    "y": np.array([[0, -1j], [1j, 0]]),
    "z": np.array([[1, 0], [0, -1]]),
    "h": _S2 * np.array([[1, 1], [1, -1]]),
    "s": np.array([[1, 0], [0, 1j]]),
    "sdg": np.array([[1, 0], [0, -1j]]),
    "t": np.array([[1, 0], [0, np.exp(1j * np.pi / 4)]]),
    "tdg": np.array([[1, 0], [0, np.exp(-1j * np.pi / 4)]]),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "sxdg": 0.5 * np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]),
}
_FIXED_2Q = {
    # control = local bit 0, target = local bit 1
    "cx": np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]]),
    "cz": np.diag([1, 1, 1, -1]),
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    # IBM's echoed cross-resonance gate, Qiskit's ECRGate matrix (first qubit = local bit 0)
    "ecr": _S2 * np.array([[0, 1, 0, 1j], [1, 0, -1j, 0], [0, 1j, 0, 1], [-1j, 0, 1, 0]]),
}
FIXED_UNITARIES = {k: np.asarray(v, dtype=complex) for k, v in {**_FIXED_1Q, **_FIXED_2Q}.items()}

GATES: dict[str, GateSpec] = {name: GateSpec(name, 1) for name in _FIXED_1Q}
GATES.update({name: GateSpec(name, 2) for name in _FIXED_2Q})
GATES.update({"rx": GateSpec("rx", 1, True, 1), "ry": GateSpec("ry", 1, True, 2), "rz": GateSpec("rz", 1, True, 3)})
GATES["unitary"] = GateSpec("unitary", 0)  # arity from the matrix

ALIASES = {"cnot": "cx", "i": "id", "sdag": "sdg", "tdag": "tdg"}
ROTATIONS = ("rx", "ry", "rz")


def canonical_name(name: str) -> str:
    """Lower-case gate name with aliases resolved (``CNOT`` -> ``cx``)."""
    low = str(name).lower()
    return ALIASES.get(low, low)


def rotation_matrix(pauli: int, theta: float) -> np.ndarray:
    """``exp(-i theta P / 2)`` for Pauli code ``pauli`` in 1..3."""
    from .paulis import PAULI_MATRICES

    return np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * PAULI_MATRICES[pauli]


def gate_unitary(name: str, angle: float | None = None) -> np.ndarray:
    """Unitary of a named gate (rotations need ``angle``)."""
    spec = GATES[canonical_name(name)]
    if spec.parametric:
        return rotation_matrix(spec.pauli, float(angle))
    return FIXED_UNITARIES[spec.name]
