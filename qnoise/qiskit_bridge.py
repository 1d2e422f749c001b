"""Conversion between qnoise circuits and Qiskit ``QuantumCircuit`` (Qiskit imported lazily).

* :func:`to_qiskit` ``(circuit, params=None)``: parametric rotations get the Qiskit parameters
  ``theta[i]`` of a ``ParameterVector("theta", num_parameters)`` (or bound angles when ``params``
  is given); ``unitary`` gates become ``UnitaryGate`` (same local qubit order).
* :func:`from_qiskit` ``(qc, parameter_values=None) -> (Circuit, params)``: every ``rx``/``ry``/
  ``rz`` with a bound angle becomes a new parameter holding that angle; a free Qiskit
  ``Parameter`` becomes one parameter index (shared by all its uses), its value taken from
  ``parameter_values`` (a sequence in ``qc.parameters`` order or a dict by name); other angle
  expressions must be bound.  ``p``/``u1`` become fixed ``rz``; ``u``/``u3``/``u2`` become fixed
  ``rz ry rz``; the global phase is dropped; ``barrier`` is skipped, and so are final
  ``measure`` operations (a gate after a measurement on the same qubit is an error).
  With ``symbolic=True`` it returns ``(Circuit, names)`` instead: free parameter ``i`` of the
  circuit is ``qc.parameters[i]`` (name ``names[i]``), bound angles stay fixed angles, so
  ``from_qiskit(to_qiskit(c), symbolic=True)[0] == c`` for every circuit without raw unitaries.
* :func:`load_qasm` ``(path_or_text)``: OpenQASM 2 (``qiskit.qasm2``) or 3 (``qiskit.qasm3``,
  needs ``qiskit_qasm3_import``), chosen by the ``OPENQASM`` header.
* :func:`to_qasm` ``(circuit, params=None, version=2, measure=False)``: OpenQASM 2 or 3 text,
  **without Qiskit** (usable by training runs).  Version 2 needs ``params`` (angles bound);
  version 3 with ``params=None`` declares ``input float[64] theta_<i>;`` per parameter.
  ``ecr`` (and ``sxdg`` in version 3) get a ``gate`` definition (Qiskit's); a 1-qubit ``unitary``
  becomes ``u3`` (global phase dropped); a 2-qubit ``unitary`` is refused (export it through
  :func:`to_qiskit` and ``qiskit.qasm2.dumps``).  :func:`qasm_parameter_values` gives the
  ``{name: value}`` dict that :func:`from_qiskit` takes for such a version-3 program.
* :func:`to_sparse_pauli_op` / :func:`from_sparse_pauli_op`: Hamiltonians to and from Qiskit
  (the constant is the all-identity term).
"""

from __future__ import annotations

import math

import numpy as np

from .circuit import Circuit
from .errors import ParameterError, ValidationError, require

#: Qiskit operation name -> qnoise gate name (same matrix)
DIRECT = {
    name: name for name in ("id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "cx", "cz", "swap", "ecr")
}
ROTATIONS = ("rx", "ry", "rz")
EULER = ("p", "u1", "u", "u3", "u2")
SKIPPED = ("barrier", "measure")
SUPPORTED = sorted(set(DIRECT) | set(ROTATIONS) | set(EULER) | set(SKIPPED) | {"unitary"})


def to_qiskit(circuit: Circuit, params=None):
    """A ``QuantumCircuit`` equal to ``circuit`` (parameters symbolic when ``params`` is None)."""
    qiskit = require("qiskit", "qiskit")
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import UnitaryGate

    values = None if params is None else circuit.check_parameters(params)
    theta = ParameterVector("theta", circuit.num_parameters) if values is None else None
    qc = qiskit.QuantumCircuit(circuit.num_qubits)
    for ins in circuit.instructions:
        if ins.name == "unitary":
            qc.append(UnitaryGate(ins.matrix), list(ins.qubits))
        elif ins.is_rotation:
            angle = (
                ins.angle if ins.param is None else (theta[ins.param] if values is None else float(values[ins.param]))
            )
            getattr(qc, ins.name)(angle, ins.qubits[0])
        else:
            getattr(qc, ins.name)(*ins.qubits)
    return qc


class _Reader:
    def __init__(self, qc, parameter_values, symbolic=False):
        self.qc = qc
        self.symbolic = symbolic
        self.circuit = Circuit(qc.num_qubits, len(qc.parameters) if symbolic else 0)
        self.values: list[float] = []
        self.free = {p: i for i, p in enumerate(qc.parameters)}  # qiskit Parameter -> position
        self.index: dict = {}  # qiskit Parameter -> qnoise parameter index
        self.given = None if symbolic else _parameter_values(qc, parameter_values)
        self.measured: set[int] = set()

    def angle(self, value, gate):
        try:
            return float(value)
        except TypeError:
            pass
        params = getattr(value, "parameters", set())
        if len(params) == 1:
            (p,) = params
            if value == p:
                return p
        raise ParameterError(
            f"gate {gate!r} has angle {value}; only bound angles and plain Parameters "
            f"are supported (bind expressions with assign_parameters first)"
        )

    def rotation(self, name, value, q):
        a = self.angle(value, name)
        if self.symbolic:
            if isinstance(a, float):
                self.circuit.append(name, q, angle=a)
            else:
                self.circuit.append(name, q, param=self.free[a])
            return
        if isinstance(a, float):
            self.circuit.append(name, q, param=len(self.values))
            self.values.append(a)
            return
        if a not in self.index:
            self.index[a] = len(self.values)
            self.values.append(self.given[self.free[a]])  # from_qiskit demands values for free parameters
        self.circuit.append(name, q, param=self.index[a])

    def fixed(self, name, value, q):
        a = self.angle(value, name)
        if not isinstance(a, float):
            raise ParameterError(
                f"gate {name!r} on qubit {q} has a free parameter {a}; only rx/ry/rz may carry free parameters"
            )
        self.circuit.append(name, q, angle=a)

    def euler(self, name, params, q):
        if name in ("p", "u1"):
            return self.fixed("rz", params[0], q)
        theta, phi, lam = (math.pi / 2, *params) if name == "u2" else params
        self.fixed("rz", lam, q), self.fixed("ry", theta, q), self.fixed("rz", phi, q)

    def add(self, inst):
        op, name = inst.operation, inst.operation.name
        qs = [self.qc.find_bit(b).index for b in inst.qubits]
        if name == "barrier":
            return
        if name == "measure":
            self.measured.update(qs)
            return
        if self.measured.intersection(qs):
            raise ValidationError(
                f"gate {name!r} acts on qubit(s) {qs} after a measurement; only final measurements are supported"
            )
        if name in DIRECT:
            self.circuit.append(name, qs)
        elif name in ROTATIONS:
            self.rotation(name, op.params[0], qs[0])
        elif name in EULER:
            self.euler(name, op.params, qs[0])
        elif name == "unitary" and len(qs) in (1, 2):
            self.circuit.append("unitary", qs, matrix=np.asarray(op.to_matrix()))
        else:
            raise ValidationError(
                f"unsupported operation {name!r} on qubits {qs}; supported: "
                f"{', '.join(SUPPORTED)} (transpile other gates first, e.g. "
                f"qiskit.transpile(qc, basis_gates=['rz', 'sx', 'x', 'cx']))"
            )


def _parameter_values(qc, values):
    params = list(qc.parameters)
    if values is None:
        return None
    if isinstance(values, dict):
        missing = [p.name for p in params if p.name not in values]
        if missing:
            raise ParameterError(f"no values for the circuit parameters {missing}")
        return [float(values[p.name]) for p in params]
    vals = [float(v) for v in np.asarray(values, dtype=float).reshape(-1)]
    if len(vals) != len(params):
        raise ParameterError(
            f"the circuit has {len(params)} free parameter(s) {[p.name for p in params]}; got {len(vals)} value(s)"
        )
    return vals


def from_qiskit(qc, parameter_values=None, *, symbolic: bool = False):
    """``(Circuit, params)`` from a ``QuantumCircuit``; with ``symbolic=True``, ``(Circuit, names)``
    with Qiskit's free parameters as the circuit's parameters (see the module docstring)."""
    require("qiskit", "qiskit")
    if qc.num_clbits and any(i.operation.name not in SKIPPED for i in qc.data if i.clbits):
        raise ValidationError("classical operations (conditionals, mid-circuit measurement) are not supported")
    if qc.parameters and parameter_values is None and not symbolic:
        raise ParameterError(
            f"the circuit has free parameters {[p.name for p in qc.parameters]}; give "
            f"their values (parameter_values=..., 'crlqas energy --params') or bind them"
        )
    reader = _Reader(qc, parameter_values, symbolic)
    for inst in qc.data:
        reader.add(inst)
    if symbolic:
        return reader.circuit, [p.name for p in qc.parameters]
    return reader.circuit, np.array(reader.values, dtype=float)


def to_sparse_pauli_op(hamiltonian):
    """A Qiskit ``SparsePauliOp`` of a :class:`~qnoise.hamiltonian.Hamiltonian` (constant = I term)."""
    return hamiltonian.to_sparse_pauli_op()


def from_sparse_pauli_op(op):
    """A :class:`~qnoise.hamiltonian.Hamiltonian` from a ``SparsePauliOp`` with real coefficients."""
    from .hamiltonian import Hamiltonian

    return Hamiltonian.from_sparse_pauli_op(op)


# ---------------------------------------------------------------------- OpenQASM export (no Qiskit)
_QASM_FIXED = {"id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "cx", "cz", "swap", "ecr"}
_QASM_DEFS = {  # gate definitions (Qiskit's) for gates outside qelib1.inc / stdgates.inc
    "rzx": "gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }",
    "ecr": "gate ecr q0,q1 { rzx(pi/4) q0,q1; x q0; rzx(-pi/4) q0,q1; }",
    "sxdg": "gate sxdg q0 { h q0; sdg q0; h q0; }",
}


def to_qasm(circuit: Circuit, params=None, version: int = 2, measure: bool = False) -> str:
    """OpenQASM ``version`` (2 or 3) text of ``circuit`` (see the module docstring)."""
    if version not in (2, 3):
        raise ValidationError(f"OpenQASM version must be 2 or 3; got {version!r}")
    if params is None and version == 2 and circuit.num_parameters:
        raise ParameterError(
            f"OpenQASM 2 needs bound angles: give the {circuit.num_parameters} parameter "
            f"value(s), or export OpenQASM 3 (input parameters)"
        )
    values = None if params is None else circuit.check_parameters(params)
    n = circuit.num_qubits
    names = {ins.name for ins in circuit.instructions}
    defs = (["rzx", "ecr"] if "ecr" in names else []) + (["sxdg"] if version == 3 and "sxdg" in names else [])
    if version == 2:
        lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', *(_QASM_DEFS[d] for d in defs), f"qreg q[{n}];"]
        if measure:
            lines.append(f"creg c[{n}];")
    else:
        lines = ["OPENQASM 3.0;", 'include "stdgates.inc";', *(_QASM_DEFS[d] for d in defs)]
        if values is None:
            lines += [f"input float[64] theta_{i};" for i in range(circuit.num_parameters)]
        lines.append(f"qubit[{n}] q;")
        if measure:
            lines.append(f"bit[{n}] c;")
    sep = "," if version == 2 else ", "
    for ins in circuit.instructions:
        qubits = sep.join(f"q[{q}]" for q in ins.qubits)
        if ins.is_rotation:
            angle = (
                repr(float(ins.angle))
                if ins.param is None
                else f"theta_{ins.param}"
                if values is None
                else repr(float(values[ins.param]))
            )
            lines.append(f"{ins.name}({angle}) {qubits};")
        elif ins.name in _QASM_FIXED:
            lines.append(f"{ins.name} {qubits};")
        elif ins.name == "unitary" and len(ins.qubits) == 1:
            from .devices.native import u3_angles

            lines.append(f"u3({', '.join(repr(float(a)) for a in u3_angles(ins.matrix))}) {qubits};")
        else:
            raise ValidationError(
                f"gate {ins.name!r} on qubits {list(ins.qubits)} has no OpenQASM form here; "
                f"export it with qiskit.qasm2.dumps(to_qiskit(circuit, params))"
            )
    if measure:
        lines.append("measure q -> c;" if version == 2 else "c = measure q;")
    return "\n".join(lines) + "\n"


def qasm_parameter_values(circuit: Circuit, params) -> dict:
    """``{"theta_<i>": value}``: the values of a :func:`to_qasm` version-3 program's inputs."""
    return {f"theta_{i}": float(v) for i, v in enumerate(circuit.check_parameters(params))}


def load_qasm(path_or_text) -> object:
    """A ``QuantumCircuit`` from an OpenQASM 2 or 3 file path or program text."""
    require("qiskit", "qiskit")
    text = str(path_or_text)
    if "\n" not in text and ";" not in text:
        from .fileio import read_text

        text = read_text(text, "OpenQASM file")
    header = text.lstrip().split(";", 1)[0].split()
    version = header[1] if len(header) > 1 and header[0].upper() == "OPENQASM" else "2.0"
    try:
        if version.startswith("3"):
            require("qiskit_qasm3_import", "qiskit")
            import qiskit.qasm3

            return qiskit.qasm3.loads(text)
        import qiskit.qasm2

        return qiskit.qasm2.loads(text, custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        if isinstance(exc, (ValidationError, ImportError)):
            raise
        raise ValidationError(f"cannot parse OpenQASM {version}: {exc}") from None
