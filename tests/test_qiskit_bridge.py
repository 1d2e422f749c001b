"""crlqas.qnoise.qiskit_bridge: circuits both ways, OpenQASM 2/3 loading, unsupported operations."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("qiskit")

from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import Parameter
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Operator, Statevector

from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ParameterError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.qiskit_bridge import from_qiskit, load_qasm, to_qiskit
from crlqas.qnoise.simulator import Simulator

pytestmark = pytest.mark.qiskit


def qnoise_state(circuit: Circuit, params) -> np.ndarray:
    return Simulator(circuit, Hamiltonian({"Z" + "I" * (circuit.num_qubits - 1): 1.0})).statevector(params)


def same_state(a, b) -> bool:
    return abs(abs(np.vdot(a, b)) - 1) < 1e-10


def sample_circuit() -> Circuit:
    c = Circuit(3)
    c.ry(0).rx(1).rz(2, angle=0.7).h(0).sx(1).sdg(2).cx(0, 1).cz(1, 2).append("ecr", (2, 0))
    c.swap(0, 2).t(1).rx(0, param=0).y(2)
    c.unitary(np.array([[0, 1j], [1j, 0]]), [1])
    return c


def test_to_qiskit_bound_and_symbolic():
    c = sample_circuit()
    p = np.array([0.3, -1.1])
    bound = to_qiskit(c, p)
    assert same_state(Statevector(bound).data, qnoise_state(c, p))
    sym = to_qiskit(c)
    assert len(sym.parameters) == 2
    assert same_state(Statevector(sym.assign_parameters(p)).data, qnoise_state(c, p))


def test_round_trip_through_qiskit():
    c = sample_circuit()
    p = np.array([0.3, -1.1])
    back, values = from_qiskit(to_qiskit(c, p))
    assert back.num_parameters == 4  # every bound rx/ry/rz (rz(0.7) too) is its own parameter
    assert same_state(qnoise_state(back, values), qnoise_state(c, p))


def test_from_qiskit_gate_mapping_and_free_parameters():
    theta = Parameter("theta")
    qc = QuantumCircuit(2, 2)
    qc.ry(theta, 0), qc.rx(theta, 1), qc.rz(0.4, 0)
    qc.p(0.3, 1), qc.u(0.1, 0.2, 0.3, 0), qc.append(UnitaryGate(Operator.from_label("H")), [1])
    qc.cx(0, 1), qc.barrier(), qc.measure([0, 1], [0, 1])
    with pytest.raises(ParameterError, match="theta"):
        from_qiskit(qc)
    c, params = from_qiskit(qc, [0.8])
    assert c.num_parameters == 2 and params[0] == 0.8 and params[1] == 0.4
    assert sum(i.param == 0 for i in c.instructions) == 2  # theta shared
    ref = Statevector(qc.remove_final_measurements(inplace=False).assign_parameters([0.8])).data
    assert same_state(ref, qnoise_state(c, params))
    _c2, p2 = from_qiskit(qc, {"theta": 0.8})
    assert np.array_equal(p2, params)


def test_unsupported_operations_are_named():
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    with pytest.raises(ValidationError, match=r"ccx.*supported: .*rx"):
        from_qiskit(qc)
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0), qc.x(0)
    with pytest.raises(ValidationError, match="after a measurement"):
        from_qiskit(qc)
    qc = QuantumCircuit(1)
    qc.rx(2 * Parameter("a"), 0)
    with pytest.raises(ParameterError):
        from_qiskit(qc, [0.1])


def test_load_qasm2_and_qasm3(tmp_path):
    c = sample_circuit()
    p = np.array([0.3, -1.1])
    path = tmp_path / "c.qasm"
    path.write_text(qasm2.dumps(to_qiskit(c, p)))
    back, values = from_qiskit(load_qasm(path))
    assert same_state(qnoise_state(back, values), qnoise_state(c, p))
    pytest.importorskip("qiskit_qasm3_import")
    text = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\nqubit[2] q;\n'
        "ry(theta) q[0];\ncx q[0], q[1];\nrz(0.5) q[1];\n"
    )
    qc3 = load_qasm(text)
    c3, v3 = from_qiskit(qc3, [math.pi / 3])
    assert c3.count_ops() == {"ry": 1, "cx": 1, "rz": 1} and np.allclose(v3, [math.pi / 3, 0.5])


def test_load_qasm_errors(tmp_path):
    with pytest.raises(ValidationError, match=r"missing\.qasm.* does not exist"):
        load_qasm(tmp_path / "missing.qasm")
    with pytest.raises(ValidationError, match="OpenQASM 2"):
        load_qasm("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n")


# ---------------------------------------------------------------------- symbolic parameters, QASM export
def test_symbolic_round_trip_keeps_parameters():
    c = sample_circuit()
    qc = to_qiskit(c)
    back, names = from_qiskit(qc, symbolic=True)
    assert back == c and names == ["theta[0]", "theta[1]"]
    again = to_qiskit(back)
    assert [p.name for p in again.parameters] == names
    p = np.array([0.3, -1.1])
    assert Operator(again.assign_parameters(p)).equiv(Operator(qc.assign_parameters(p)))


@pytest.mark.parametrize("version", [2, 3])
def test_to_qasm_bound_round_trip(version):
    from crlqas.qnoise.qiskit_bridge import to_qasm

    c = sample_circuit().append("sxdg", 0).append("id", 2)
    p = np.array([0.3, -1.1])
    text = to_qasm(c, p, version=version)
    assert text.startswith(f"OPENQASM {version}.0;")
    if version == 3:
        pytest.importorskip("qiskit_qasm3_import")
    qc = load_qasm(text)
    assert Operator(qc).equiv(Operator(to_qiskit(c, p)))  # ecr/sxdg definitions, unitary as u3
    back, values = from_qiskit(qc)
    assert same_state(qnoise_state(back, values), qnoise_state(c, p))


def test_to_qasm3_parametric_inputs():
    pytest.importorskip("qiskit_qasm3_import")
    from crlqas.qnoise.qiskit_bridge import qasm_parameter_values, to_qasm

    c = Circuit(2)
    c.ry(0).rx(1).cx(0, 1).rz(1, param=0).rz(0, angle=0.25)
    text = to_qasm(c, version=3, measure=True)
    assert "input float[64] theta_0;" in text and "c = measure q;" in text
    qc = load_qasm(text)
    assert sorted(p.name for p in qc.parameters) == ["theta_0", "theta_1"]
    p = np.array([0.7, -0.2])
    back, values = from_qiskit(qc, qasm_parameter_values(c, p))
    assert same_state(qnoise_state(back, values), qnoise_state(c, p))


def test_to_qasm_errors():
    from crlqas.qnoise.qiskit_bridge import to_qasm

    c = Circuit(2).ry(0)
    with pytest.raises(ParameterError, match="OpenQASM 2 needs bound angles"):
        to_qasm(c)
    with pytest.raises(ValidationError, match="version"):
        to_qasm(c, [0.1], version=4)
    c2 = Circuit(2).unitary(np.eye(4), [0, 1])
    with pytest.raises(ValidationError, match=r"qasm2.dumps"):
        to_qasm(c2, [])


def test_hamiltonian_sparse_pauli_op_round_trip():
    from qiskit.quantum_info import SparsePauliOp

    from crlqas.qnoise.problems import get_problem
    from crlqas.qnoise.qiskit_bridge import from_sparse_pauli_op, to_sparse_pauli_op

    h = get_problem("h2-2q").hamiltonian
    op = to_sparse_pauli_op(h)
    assert isinstance(op, SparsePauliOp) and op.num_qubits == 2
    assert np.allclose(op.to_matrix(), h.to_matrix())
    back = from_sparse_pauli_op(op)
    assert back == h and back.constant == pytest.approx(h.constant)
    op2 = SparsePauliOp.from_list([("XZI", 0.5), ("IIZ", -0.25), ("III", 0.1)])
    assert np.allclose(to_sparse_pauli_op(from_sparse_pauli_op(op2)).to_matrix(), op2.to_matrix())
    from crlqas.qnoise.errors import HamiltonianError

    with pytest.raises(HamiltonianError):
        from_sparse_pauli_op(SparsePauliOp.from_list([("XY", 1j)]))
