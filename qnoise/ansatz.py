"""Parameterised ansatz circuits for VQE.

>>> from crlqas.qnoise.ansatz import hardware_efficient
>>> hardware_efficient(2, 1)
Circuit(num_qubits=2, gates=9, parameters=8)

:func:`hardware_efficient`: ``layers`` repetitions of (a rotation on every qubit for each gate in
``rotations``, then the entangler), followed by a final rotation layer; every rotation has its own
parameter, so ``num_qubits * len(rotations) * (layers + 1)`` parameters.  Entanglers:
``cx-linear`` (``cx(q, q+1)``), ``cx-circular`` (linear plus ``cx(n-1, 0)``), ``cx-full`` (every
pair ``q < r``), ``cz-linear``, ``none``.

:func:`from_spec` parses the command-line form ``hea:LAYERS[:ROTATIONS[:ENTANGLER]]``, e.g.
``hea:2``, ``hea:3:ry``, ``hea:2:ry,rz:cx-circular``.
"""

from __future__ import annotations

from .circuit import Circuit
from .errors import ValidationError

ROTATIONS = ("rx", "ry", "rz")
ENTANGLERS = ("cx-linear", "cx-circular", "cx-full", "cz-linear", "none")


def _pairs(n: int, entangler: str) -> list[tuple[str, int, int]]:
    if entangler == "none" or n == 1:
        return []
    if entangler in ("cx-linear", "cz-linear"):
        gate = entangler[:2]
        return [(gate, q, q + 1) for q in range(n - 1)]
    if entangler == "cx-circular":
        return [("cx", q, q + 1) for q in range(n - 1)] + ([("cx", n - 1, 0)] if n > 2 else [])
    return [("cx", q, r) for q in range(n) for r in range(q + 1, n)]


def hardware_efficient(num_qubits: int, layers: int, rotations=("ry", "rz"), entangler: str = "cx-linear") -> Circuit:
    """Hardware-efficient ansatz (see the module docstring)."""
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 0:
        raise ValidationError(f"layers must be a non-negative integer; got {layers!r}")
    if isinstance(rotations, str):
        rotations = tuple(r.strip() for r in rotations.split(",") if r.strip())
    rotations = tuple(str(r).lower() for r in rotations)
    if not rotations or any(r not in ROTATIONS for r in rotations):
        raise ValidationError(f"rotations must be a non-empty list of {', '.join(ROTATIONS)}; got {rotations!r}")
    if entangler not in ENTANGLERS:
        raise ValidationError(f"unknown entangler {entangler!r}; allowed: {', '.join(ENTANGLERS)}")
    circuit = Circuit(num_qubits)
    pairs = _pairs(circuit.num_qubits, entangler)

    def rotation_layer():
        for q in range(circuit.num_qubits):
            for r in rotations:
                circuit.append(r, q)

    for _ in range(layers):
        rotation_layer()
        for gate, a, b in pairs:
            circuit.append(gate, (a, b))
    rotation_layer()
    return circuit


def from_spec(spec: str, num_qubits: int) -> Circuit:
    """A circuit from ``hea:LAYERS[:ROTATIONS[:ENTANGLER]]``."""
    if not isinstance(spec, str):
        raise ValidationError(f"an ansatz spec must be a string like 'hea:2'; got {spec!r}")
    parts = spec.strip().split(":")
    if parts[0].lower() not in ("hea", "hardware-efficient") or not 2 <= len(parts) <= 4:
        raise ValidationError(
            f"unknown ansatz {spec!r}; expected hea:LAYERS[:ROTATIONS[:ENTANGLER]], "
            f"e.g. hea:2 or hea:2:ry,rz:cx-circular"
        )
    try:
        layers = int(parts[1])
    except ValueError:
        raise ValidationError(f"ansatz {spec!r}: LAYERS must be an integer; got {parts[1]!r}") from None
    rotations = parts[2] if len(parts) > 2 else ("ry", "rz")
    entangler = parts[3] if len(parts) > 3 else "cx-linear"
    return hardware_efficient(num_qubits, layers, rotations, entangler)


__all__ = ["ENTANGLERS", "ROTATIONS", "from_spec", "hardware_efficient"]
