"""Qiskit circuits compiled once per (circuit, noise, qubits) for the Estimator and the Sampler.

:class:`CompileCache` maps a ``QuantumCircuit`` (by content: :func:`circuit_key`, the sequence of
operations, qubits, clbits and parameters, so an edited circuit is recompiled and an equal copy
is not) to a :class:`CompiledCircuit`: the qnoise :class:`~qnoise.circuit.Circuit` under the
primitive's noise source, its :class:`~qnoise.simulator.Simulator`, and the affine map from the
Qiskit parameter values to the qnoise angles.  A VQE loop that sends the same ansatz with new
parameter values pays the compilation once (the first call); later calls only bind angles.

Reading a circuit (:func:`parse_circuit`):

* Gates qnoise has (:mod:`qnoise.qiskit_bridge`) are read as they are.  Any other gate, and
  ``p``/``u``/``u1``/``u2``/``u3`` with a free parameter, make the whole circuit go through
  ``qiskit.transpile(basis_gates=TRANSPILE_BASIS, optimization_level=0)`` first (no layout, no
  optimisation: the same qubits, each gate unrolled into ``rx ry rz`` and fixed gates).
* Rotation angles: a bound number, a plain ``Parameter`` (one qnoise parameter for all its uses),
  or any affine expression ``sum_j a_j theta_j + b`` (``2*theta``, ``theta + pi`` ...; each such
  angle gets its own qnoise parameter, set to the expression's value).  A non-affine expression
  (``theta * phi``, ``sin(theta)``) is refused.  Qiskit's parameter order is ``qc.parameters``.
* ``barrier`` is skipped; final ``measure`` operations give the Sampler its clbit -> qubit map
  (the Estimator ignores them); a gate after a measurement on the same qubit, ``reset`` and
  classical control are refused; ``delay`` is the identity unless the noise source models delays
  (:mod:`.noise`), where it is refused.
* The cache key (:func:`circuit_key`) describes standard gates by name and parameters; other
  operations by their Python object (their parameters need not say what they do).
* Compacting sources (:mod:`.noise`: a backend, an Aer model, uniform noise) simulate the active
  qubits only: touched by a gate, measured, or named by the caller (the observables' support), in
  increasing order.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, ValidationError
from ..hamiltonian import Hamiltonian
from ..qiskit_bridge import DIRECT, EULER, ROTATIONS, from_qiskit
from ..simulator import Simulator
from .noise import NoiseSource

#: gates every circuit is transpiled into when it has a gate qnoise cannot read directly
TRANSPILE_BASIS = sorted(set(DIRECT) | set(ROTATIONS))
NON_GATES = ("barrier", "measure", "delay")
MAX_ENTRIES = 128


def _hashable(value):
    if isinstance(value, np.ndarray):
        return (value.shape, value.tobytes())
    return value


@functools.cache
def _standard_names() -> frozenset:
    """Operations whose name and parameters say all they do (Qiskit's standard gates, ...)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return frozenset(get_standard_gate_name_mapping()) | {"barrier", "measure", "delay", "unitary"}


def circuit_key(qc) -> tuple[tuple, list]:
    """``(key, objects)``: a hashable description of ``qc``'s content, cheap to build, and the
    operation objects it names by identity (to be kept alive with the key).

    Standard operations (and ``unitary``, by its matrix) are described by name, qubits, clbits and
    parameters, so equal circuits share a key.  Any other operation (``PauliEvolutionGate``, a
    circuit turned into a gate, a blueprint such as ``EfficientSU2``'s wrapper) is named by its
    Python object, whose parameters do not say what it does: the same circuit object keeps its key,
    a copy compiles anew."""
    standard = _standard_names()
    ops, objects = [], []
    for inst in qc.data:
        op = inst.operation
        if op.name in standard:
            what = (op.name, tuple(_hashable(p) for p in op.params))
        else:
            what = ("object", id(op))
            objects.append(op)
        ops.append((what, inst.qubits, inst.clbits))
    return (qc.num_qubits, qc.num_clbits, _hashable(qc.global_phase), tuple(ops)), objects


@dataclass
class ParsedCircuit:
    """A circuit's gates on its qubit numbers, before qubit selection and noise."""

    num_qubits: int
    ops: list  # (operation, qubit indices) of the gates, in order
    touched: frozenset  # qubits acted on by a gate
    measurements: dict  # clbit index -> qubit index (final measurements)
    parameters: list  # qc.parameters (global phase included), in order: the columns of the values
    has_delay: bool
    objects: list = field(default_factory=list)  # operations the cache key names by identity
    compiled: dict = field(default_factory=dict)  # simulated qubits -> CompiledCircuit


def _free(value) -> bool:
    return bool(getattr(value, "parameters", None))


def _needs_transpile(op) -> bool:
    name = op.name
    if name in NON_GATES or name in DIRECT or name in ROTATIONS:
        return False
    if name in EULER:
        return any(_free(p) for p in op.params)
    return not (name == "unitary" and op.num_qubits <= 2)


def parse_circuit(qc) -> ParsedCircuit:
    """Read ``qc`` (see the module docstring)."""
    from qiskit import transpile
    from qiskit.circuit import Gate

    for inst in qc.data:
        op = inst.operation
        if op.name not in NON_GATES and not isinstance(op, Gate):
            raise ValidationError(
                f"unsupported operation {op.name!r}: qnoise simulates gates with final measurements "
                f"(no reset, mid-circuit measurement or classical control)"
            )
    parameters = list(qc.parameters)  # the PUB's values come in this order, whatever transpile does
    if any(_needs_transpile(inst.operation) for inst in qc.data):
        qc = transpile(qc, basis_gates=TRANSPILE_BASIS, optimization_level=0)
    qindex = {bit: i for i, bit in enumerate(qc.qubits)}
    cindex = {bit: i for i, bit in enumerate(qc.clbits)}
    ops, touched, measurements, measured, has_delay = [], set(), {}, set(), False
    for inst in qc.data:
        op, qs = inst.operation, tuple(qindex[b] for b in inst.qubits)
        if op.name == "barrier":
            continue
        if op.name == "measure":
            measurements[cindex[inst.clbits[0]]] = qs[0]
            measured.add(qs[0])
            continue
        if measured.intersection(qs):
            raise ValidationError(
                f"gate {op.name!r} acts on qubit(s) {list(qs)} after a measurement; only final measurements "
                "are supported"
            )
        if op.name == "delay":
            has_delay = True
            continue
        ops.append((op, qs))
        touched.update(qs)
    return ParsedCircuit(qc.num_qubits, ops, frozenset(touched), measurements, parameters, has_delay)


def _affine(expr, position: dict, size: int) -> tuple[np.ndarray, float]:
    """``(a, b)`` with ``expr = a . theta + b`` over the circuit parameters, or ParameterError."""
    row = np.zeros(size)
    for p in expr.parameters:
        grad = expr.gradient(p)
        if _free(grad):
            raise ParameterError(
                f"rotation angle {expr} is not affine in its parameters ({p} has derivative {grad}); "
                "bind such angles before running"
            )
        row[position[p]] = _real(grad, expr)
    offset = _real(expr.bind(dict.fromkeys(expr.parameters, 0.0)).numeric(), expr)
    return row, offset


def _real(value, expr) -> float:
    z = complex(value)
    if z.imag != 0.0:
        raise ParameterError(f"rotation angle {expr} has a complex coefficient {z}")
    return z.real


@dataclass
class CompiledCircuit:
    """A circuit under one noise source on ``qubits`` (circuit qubit of compact qubit ``i``)."""

    qubits: tuple
    circuit: object  # qnoise Circuit (after the noise source's rewrite)
    simulator: Simulator
    matrix: np.ndarray  # (qnoise parameters, Qiskit parameters)
    offset: np.ndarray
    select: np.ndarray | None  # when every angle is one plain Qiskit parameter: its position
    measurements: dict  # clbit index -> compact qubit

    @property
    def readout_errors(self) -> list:
        return self.simulator.readout_errors

    def angles(self, values: np.ndarray) -> np.ndarray:
        """qnoise angles (rows) of Qiskit parameter values (2-d: rows in ``qc.parameters`` order)."""
        values = np.asarray(values, dtype=np.float64)
        if self.select is not None:
            return np.ascontiguousarray(values[:, self.select])
        return values @ self.matrix.T + self.offset


def _compile(parsed: ParsedCircuit, qubits: tuple, source: NoiseSource) -> CompiledCircuit:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    if parsed.has_delay and source.delay_noise:
        raise ValidationError(
            f"the circuit has delay instructions; the noise source {source.label!r} models noise during "
            "delays, which qnoise does not simulate: remove the delays"
        )
    pos = {q: i for i, q in enumerate(qubits)}
    position = {p: j for j, p in enumerate(parsed.parameters)}
    size = len(parsed.parameters)
    qc = QuantumCircuit(len(qubits))
    derived: dict = {}  # fresh Parameter -> (row, offset)
    taken = {p.name for p in parsed.parameters}
    for op, qs in parsed.ops:
        local = [pos[q] for q in qs]
        if op.name in ROTATIONS and _free(op.params[0]) and op.params[0] not in position:
            name = f"_qnoise_angle_{len(derived)}"
            while name in taken:
                name += "_"
            fresh = Parameter(name)
            derived[fresh] = _affine(op.params[0], position, size)
            getattr(qc, op.name)(fresh, local[0])
        else:
            qc.append(op, local)
    circuit, _ = from_qiskit(qc, symbolic=True)
    matrix, offset = np.zeros((circuit.num_parameters, size)), np.zeros(circuit.num_parameters)
    for i, p in enumerate(qc.parameters):
        if p in derived:
            matrix[i], offset[i] = derived[p]
        else:
            matrix[i, position[p]] = 1.0
    plain = not derived
    select = np.array([position[p] for p in qc.parameters], dtype=np.int64) if plain else None
    noise_model, rewrite = source.for_qubits(qubits)
    circuit = rewrite(circuit)
    simulator = Simulator(circuit, Hamiltonian((), 0.0, len(qubits)), noise_model)
    measurements = {c: pos[q] for c, q in parsed.measurements.items()}
    return CompiledCircuit(qubits, circuit, simulator, matrix, offset, select, measurements)


class CompileCache:
    """Compiled circuits of one noise source; the ``maxsize`` most recently used circuits are kept
    (with their compilations for every set of simulated qubits)."""

    def __init__(self, source: NoiseSource, maxsize: int = MAX_ENTRIES):
        self.source = source
        self.maxsize = maxsize
        self._entries: OrderedDict = OrderedDict()  # circuit key -> ParsedCircuit
        self.compilations = 0  # how many circuits were compiled (a test and benchmark figure)

    def parse(self, qc) -> ParsedCircuit:
        key, objects = circuit_key(qc)
        parsed = self._entries.get(key)
        if parsed is not None:
            self._entries.move_to_end(key)
            return parsed
        parsed = parse_circuit(qc)
        parsed.objects = objects  # alive as long as the key: their ids cannot be reused meanwhile
        self._entries[key] = parsed
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return parsed

    def compile(self, qc, extra_qubits=()) -> CompiledCircuit:
        """The compiled ``qc``; ``extra_qubits`` must be simulated too (compacting sources)."""
        parsed = self.parse(qc)
        if self.source.compacts:
            qubits = tuple(sorted(parsed.touched | set(parsed.measurements.values()) | set(extra_qubits))) or (0,)
        else:
            qubits = tuple(range(parsed.num_qubits))
        compiled = parsed.compiled.get(qubits)
        if compiled is None:
            compiled = parsed.compiled[qubits] = _compile(parsed, qubits, self.source)
            self.compilations += 1
        return compiled
