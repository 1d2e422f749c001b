"""A small OpenQASM 2 exporter for :class:`qnoise.Circuit` (no Qiskit needed).

``to_qasm2(circuit, angles)`` binds parameter ``i`` of the circuit to ``angles[i]``; the gates of
qnoise's named gate set map to ``qelib1.inc`` names (``rx``, ``ry``, ``rz``, ``cx``, ``cz``,
``swap``, ``h``, ``x``, ...).  A raw ``unitary`` gate has no OpenQASM 2 form and is refused.
Qubit ``q`` of the circuit is ``q[q]`` (Qiskit's order; qubit 0 least significant).
"""

from __future__ import annotations

import numpy as np

from crlqas.qnoise.errors import ValidationError

__all__ = ["to_qasm2"]

_FIXED = {"h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "cx", "cz", "swap", "id"}
_ROTATIONS = {"rx", "ry", "rz", "p", "u1"}


def to_qasm2(circuit, angles=None, measure: bool = False) -> str:
    """OpenQASM 2.0 text of ``circuit`` with its parameters bound to ``angles``."""
    theta = circuit.check_parameters(np.zeros(circuit.num_parameters) if angles is None else angles)
    n = circuit.num_qubits
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{n}];"]
    if measure:
        lines.append(f"creg c[{n}];")
    for ins in circuit.instructions:
        qubits = ",".join(f"q[{q}]" for q in ins.qubits)
        if ins.name in _ROTATIONS:
            value = theta[ins.param] if ins.param is not None else ins.angle
            if value is None:
                raise ValidationError(f"rotation {ins.name} on {ins.qubits} has neither parameter nor angle")
            lines.append(f"{ins.name}({float(value)!r}) {qubits};")
        elif ins.name in _FIXED:
            lines.append(f"{ins.name} {qubits};")
        else:
            raise ValidationError(f"gate {ins.name!r} has no OpenQASM 2 form in this exporter")
    if measure:
        lines.append("measure q -> c;")
    return "\n".join(lines) + "\n"
