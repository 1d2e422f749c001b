"""Pauli exponentials ``exp(-i theta P / 2)`` compiled into the project's gate set.

``P`` is a Pauli label (qubit 0 is the right-most character, as in Qiskit).  The compiled circuit
uses only gates every noise model of :mod:`qnoise.devices` makes noisy, so an ADAPT circuit's noisy
energy, gates, CNOTs and depth are counted exactly like the agent's circuits:

* weight 1: the rotation itself, ``rx``/``ry``/``rz`` on that qubit (one parameterised gate);
* weight ``w >= 2`` on qubits ``q_1 < ... < q_w``: the basis changes (``h`` for ``X``, since
  ``H Z H = X``; ``rx(pi/2)`` before and ``rx(-pi/2)`` after for ``Y``, since
  ``RX(-pi/2) Z RX(pi/2) = Y``; nothing for ``Z``), the CNOT ladder ``cx(q_1, q_2) ...
  cx(q_(w-1), q_w)`` that gathers the parity of the qubits on ``q_w``, one ``rz(theta)`` on
  ``q_w``, the ladder reversed and the basis changes undone: ``2 (w - 1)`` CNOTs.

The angle is a new circuit parameter (``param``) or a fixed ``angle``; the sign convention is the
gate set's (``R_P(theta) = exp(-i theta P / 2)``).
"""

from __future__ import annotations

from itertools import pairwise

from ..circuit import Circuit
from ..errors import ValidationError
from ..paulis import label_to_index, pauli_codes

HALF_PI = 1.5707963267948966


def support(label: str) -> list[tuple[int, str]]:
    """``[(qubit, letter), ...]`` of the non-identity letters of ``label``, qubit 0 first."""
    label = str(label).upper()
    codes = pauli_codes(label_to_index(label), len(label))  # validates the letters
    return [(q, "IXYZ"[c]) for q, c in enumerate(codes) if c]


def cnot_count(label: str) -> int:
    """CNOTs of the compiled ``exp(-i theta P / 2)``: ``2 (weight - 1)``."""
    return 2 * max(len(support(label)) - 1, 0)


def append_pauli_exp(circuit: Circuit, label: str, param: int | None = None, angle: float | None = None) -> Circuit:
    """Append ``exp(-i theta P / 2)`` for the Pauli ``label`` to ``circuit`` (module docstring);
    ``theta`` is parameter ``param`` (default: a new one) or the fixed ``angle``.  Returns
    ``circuit``."""
    if not isinstance(label, str) or len(label) != circuit.num_qubits:
        raise ValidationError(
            f"a Pauli label for a {circuit.num_qubits}-qubit circuit must have {circuit.num_qubits} letters; "
            f"got {label!r}"
        )
    letters = support(label)
    if not letters:
        raise ValidationError(f"the Pauli label {label!r} is the identity: exp(-i theta I / 2) is a global phase")
    if len(letters) == 1:
        q, p = letters[0]
        return circuit.append("r" + p.lower(), q, param, angle)
    for q, p in letters:  # into the Z basis
        if p == "X":
            circuit.h(q)
        elif p == "Y":
            circuit.rx(q, angle=HALF_PI)
    qubits = [q for q, _ in letters]
    ladder = list(pairwise(qubits))
    for a, b in ladder:
        circuit.cx(a, b)
    circuit.append("rz", qubits[-1], param, angle)
    for a, b in reversed(ladder):
        circuit.cx(a, b)
    for q, p in letters:  # back
        if p == "X":
            circuit.h(q)
        elif p == "Y":
            circuit.rx(q, angle=-HALF_PI)
    return circuit


def pauli_exp_circuit(labels, num_qubits: int | None = None) -> Circuit:
    """The product ``prod_k exp(-i theta_k P_k / 2)`` of ``labels`` (the first acts first), one
    parameter per label."""
    labels = [labels] if isinstance(labels, str) else list(labels)
    if not labels and num_qubits is None:
        raise ValidationError("pauli_exp_circuit needs at least one label or num_qubits")
    circuit = Circuit(num_qubits if num_qubits is not None else len(labels[0]))
    for label in labels:
        append_pauli_exp(circuit, label)
    return circuit


__all__ = ["append_pauli_exp", "cnot_count", "pauli_exp_circuit", "support"]
