"""Transpile a qnoise circuit to a backend's ISA and map its Hamiltonian with the layout.

:func:`transpile_isa` returns an :class:`IsaCircuit`: the circuit transpiled by Qiskit's preset
pass manager (``generate_preset_pass_manager``) with the qnoise parameters kept as the Qiskit
parameters ``theta[i]`` (bound only when simulated), the observable mapped with
``SparsePauliOp.apply_layout``, the initial and final layouts, and the *active* physical qubits
(touched by a gate or carrying the observable).  Simulations run on the active qubits only:
:meth:`IsaCircuit.compact` renumbers them ``0..k-1`` (``active[i]`` is compact qubit ``i``).

The default initial layout is qnoise's ``"best"`` one (:func:`qnoise.devices.reduce.best_layout`:
connected qubits with low gate and readout errors), so that ``verify`` and ``submit`` agree on the
physical qubits.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..circuit import Circuit
from ..errors import QubitError, ValidationError, require
from ..hamiltonian import Hamiltonian
from .errors import CircuitTooWideError

SKIP = ("barrier", "delay")


@dataclass
class IsaCircuit:
    circuit: object  # qiskit QuantumCircuit on all device qubits, symbolic theta[i]
    values: np.ndarray  # qnoise parameter values (theta[i] = values[i])
    observable: object  # SparsePauliOp on all device qubits (apply_layout)
    layout: list  # initial physical qubit of each virtual qubit
    final_layout: list  # physical qubit of each virtual qubit at the end (after routing)
    active: list  # sorted physical qubits that matter

    def parameter_values(self) -> list[float]:
        """Values of ``circuit.parameters`` in their order (the Estimator pub's parameter values)."""
        return [float(self.values[p.index]) for p in self.circuit.parameters]

    def bound(self):
        return self.circuit.assign_parameters(self.parameter_values()) if self.circuit.parameters else self.circuit

    def compact(self, bind: bool = True):
        """The ISA circuit (bound, or with its parameters) on the active qubits only (compact qubit
        ``i`` = ``active[i]``)."""
        qiskit = require("qiskit", "qiskit")
        pos = {q: i for i, q in enumerate(self.active)}
        bound = self.bound() if bind else self.circuit
        out = qiskit.QuantumCircuit(len(self.active))
        for inst in bound.data:
            if inst.operation.name in SKIP:
                continue
            qs = [bound.find_bit(b).index for b in inst.qubits]
            out.append(inst.operation, [pos[q] for q in qs])
        return out

    def compact_hamiltonian(self) -> Hamiltonian:
        """The mapped observable on the active qubits (as a qnoise Hamiltonian)."""
        n = self.observable.num_qubits
        terms = []
        for label, coeff in self.observable.to_list():
            outside = [q for q in range(n) if label[n - 1 - q] != "I" and q not in self.active]
            if outside:
                raise ValidationError(f"observable term {label} acts on inactive qubits {outside}")
            terms.append(("".join(label[n - 1 - q] for q in reversed(self.active)), complex(coeff).real))
        return Hamiltonian(terms, 0.0, len(self.active))

    def summary(self) -> dict:
        ops = dict(self.circuit.count_ops())
        return {
            "layout": self.layout,
            "final_layout": self.final_layout,
            "active_qubits": self.active,
            "ops": ops,
            "depth": int(self.circuit.depth()),
            "two_qubit_gates": int(
                sum(1 for i in self.circuit.data if i.operation.num_qubits == 2 and i.operation.name not in SKIP)
            ),
        }


def check_width(num_qubits: int, backend) -> None:
    width = int(backend.num_qubits)
    if num_qubits > width:
        raise CircuitTooWideError(
            f"the circuit has {num_qubits} qubits but backend {backend.name!r} has only "
            f"{width}; pick a wider device or a smaller problem"
        )


def choose_layout(layout, num_qubits: int, backend, calibration=None) -> list[int]:
    """Physical qubits for the circuit's qubits: a list, ``"best"`` or None (= ``"best"``)."""
    check_width(num_qubits, backend)
    if layout is None or (isinstance(layout, str) and layout == "best"):
        from ..devices.calibration import calibration_from_backend
        from ..devices.reduce import best_layout

        cal = calibration or calibration_from_backend(backend)
        return [int(q) for q in best_layout(cal, num_qubits)]
    if isinstance(layout, str):
        raise QubitError(f"layout must be a list of physical qubits or 'best'; got {layout!r}")
    qs = [int(q) for q in layout]
    if len(qs) != num_qubits:
        raise CircuitTooWideError(f"the layout {qs} has {len(qs)} qubits but the circuit has {num_qubits}")
    if len(set(qs)) != len(qs) or not all(0 <= q < backend.num_qubits for q in qs):
        raise QubitError(f"layout must be distinct qubits in 0..{backend.num_qubits - 1}; got {qs}")
    return qs


def transpile_isa(
    circuit: Circuit,
    params,
    hamiltonian: Hamiltonian,
    backend,
    layout=None,
    optimization_level: int = 1,
    seed: int | None = None,
    calibration=None,
) -> IsaCircuit:
    """The ISA circuit and observable (see the module docstring)."""
    require("qiskit", "qiskit")
    from qiskit.transpiler import generate_preset_pass_manager

    from ..qiskit_bridge import to_qiskit

    if hamiltonian.num_qubits != circuit.num_qubits:
        raise QubitError(
            f"the circuit has {circuit.num_qubits} qubits but the Hamiltonian has {hamiltonian.num_qubits}"
        )
    if optimization_level not in (0, 1, 2, 3):
        raise ValidationError(f"optimization level must be 0..3; got {optimization_level!r}")
    values = circuit.check_parameters(params)
    phys = choose_layout(layout, circuit.num_qubits, backend, calibration)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pm = generate_preset_pass_manager(
            optimization_level=optimization_level, backend=backend, initial_layout=phys, seed_transpiler=seed
        )
        isa = pm.run(to_qiskit(circuit))
    observable = hamiltonian.to_sparse_pauli_op().apply_layout(isa.layout)
    final = [int(q) for q in isa.layout.final_index_layout()]
    touched = {isa.find_bit(b).index for inst in isa.data if inst.operation.name not in SKIP for b in inst.qubits}
    active = sorted(touched | set(final))
    return IsaCircuit(isa, values, observable, phys, final, active)
