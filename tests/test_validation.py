"""Bad input gets the project's own error, the same way at every public entry point: no silent
truncation of float indices, no NaN results, no numpy/json/unicode tracebacks for user files."""

from __future__ import annotations

import numpy as np
import pytest

from crlqas.qnoise import channels
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import InputFileError, ParameterError, QubitError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.simulator import Simulator

# ---------------------------------------------------------------------------- integer indices
BAD_INDICES = [1.7, 1.0, np.float64(1.0), True, "1", None]


@pytest.mark.parametrize("bad", BAD_INDICES, ids=repr)
@pytest.mark.parametrize(
    "build",
    [
        lambda q: Circuit(2).cx(0, q),
        lambda q: Circuit(2).ry((q,)),
        lambda q: Circuit(2).rx(q),
        lambda q: Circuit(2).append("cz", [q, 0]),
        lambda q: NoiseModel().add_error(channels.depolarizing(0.01, 1), ["rx"], [q]),
        lambda q: NoiseModel().add_readout_error(channels.ReadoutError(0.01, 0.02), q),
    ],
    ids=["cx", "ry-tuple", "rx", "append", "noise-add_error", "noise-readout"],
)
def test_non_integer_qubit_indices_are_refused(build, bad):
    with pytest.raises(QubitError, match=r"must be an integer|sequence of integers"):
        build(bad)


@pytest.mark.parametrize("bad", [0.5, 2.0, -1, True])
def test_non_integer_or_negative_parameter_index_is_refused(bad):
    with pytest.raises(ParameterError, match="parameter index"):
        Circuit(1).ry(0, param=bad)


def test_numpy_integers_are_indices():
    c = Circuit(3).cx(np.int64(0), np.int32(2)).ry(np.uint8(1), param=np.int16(0))
    assert [ins.qubits for ins in c.instructions] == [(0, 2), (1,)]
    assert NoiseModel().add_error(channels.depolarizing(0.01, 1), "rx", (np.int64(1),)).gate_channel("rx", (1,))


# ---------------------------------------------------------------------------- parameter arrays
def _sims():
    c = Circuit(2).ry(0).ry(1).cx(0, 1).rz(1)
    h = Hamiltonian({"ZZ": 1.0, "XI": 0.5})
    noisy = NoiseModel().add_all_qubit_error(channels.depolarizing(0.01, 1), ["ry", "rz"])
    return {"ptm": Simulator(c, h, noisy), "statevector": Simulator(c, h)}


ENTRY_POINTS = {
    "energy": lambda s, p: s.energy(p),
    "gradient": lambda s, p: s.gradient(p),
    "energy_and_gradient": lambda s, p: s.energy_and_gradient(p),
    "state": lambda s, p: s.state(p),
    "density_matrix": lambda s, p: s.density_matrix(p),
    "probabilities": lambda s, p: s.probabilities(p, [3, 1]),
    "sampled_energy": lambda s, p: s.sampled_energy(p, shots=100, seed=1),
    "energies": lambda s, p: s.energies(np.stack([np.zeros(3), p]) if np.asarray(p).shape == (3,) else [p, p]),
}
BAD_PARAMS = {
    "nan": (np.array([0.1, np.nan, 0.3]), "finite"),
    "inf": ([0.1, 0.2, np.inf], "finite"),
    "strings": (np.array(["a", "b", "c"]), "real numbers"),
    "complex": (np.array([1j, 0, 0]), "real numbers"),
    "objects": ([0.1, None, 0.2], "real numbers"),
}


@pytest.mark.parametrize("bad", BAD_PARAMS, ids=str)
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=str)
@pytest.mark.parametrize("engine", ["ptm", "statevector"])
def test_every_simulator_entry_point_refuses_bad_parameters(engine, entry, bad):
    sim = _sims()[engine]
    params, message = BAD_PARAMS[bad]
    with pytest.raises(ParameterError, match=message):
        ENTRY_POINTS[entry](sim, params)


def test_a_matrix_of_parameters_is_not_one_vector():
    with pytest.raises(ParameterError, match="one vector"):
        _sims()["ptm"].energy(np.zeros((3, 1)))


# ---------------------------------------------------------------------------- user files
NOT_UTF8 = b"\xff\xfe\x00OPENQASM 2.0;"


@pytest.mark.parametrize(
    "load, what",
    [
        (lambda p: __import__("crlqas.qnoise.workloads", fromlist=["x"]).load_workload(p), "workload file"),
        (lambda p: __import__("crlqas.qnoise.problems", fromlist=["x"]).get_problem(p), "problem file"),
        (lambda p: __import__("crlqas.qnoise.devices", fromlist=["x"]).load_device(p), "noise model file"),
        (lambda p: __import__("crlqas.agents.config", fromlist=["x"]).load_config(p), "training config file"),
    ],
    ids=["workload", "problem", "device", "config"],
)
@pytest.mark.parametrize(
    "content", [NOT_UTF8, b'{"truncated": ', b"[1, 2]", b""], ids=["binary", "truncated", "list", "empty"]
)
def test_json_files_that_are_not_json_objects_name_the_file(tmp_path, load, what, content):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(InputFileError if content != b"[1, 2]" else Exception) as info:
        load(path)
    assert "input.json" in str(info.value)
    assert type(info.value).__module__.startswith("crlqas."), type(info.value)


def test_toml_config_that_is_not_utf8_or_toml(tmp_path):
    from crlqas.agents.config import load_config

    path = tmp_path / "run.toml"
    path.write_bytes(NOT_UTF8)
    with pytest.raises(InputFileError, match=r"run\.toml.*not UTF-8"):
        load_config(path)
    path.write_text("[env\nproblem = 'h2-2q'")
    with pytest.raises(InputFileError, match=r"run\.toml.*not valid TOML"):
        load_config(path)


def test_qasm_file_that_is_not_text(tmp_path):
    pytest.importorskip("qiskit")
    from crlqas.qnoise.qiskit_bridge import load_qasm

    path = tmp_path / "c.qasm"
    path.write_bytes(NOT_UTF8)
    with pytest.raises(InputFileError, match=r"OpenQASM file .*c\.qasm.* is not UTF-8 text"):
        load_qasm(str(path))


def test_hamiltonian_terms_as_mapping_or_malformed():
    assert Hamiltonian.from_dict({"terms": {"ZI": -0.5, "XX": 0.25}, "constant": 1.0}) == Hamiltonian(
        [("ZI", -0.5), ("XX", 0.25)], 1.0
    )
    with pytest.raises(Exception, match=r"entry 1 must be a \[label, coefficient\] pair"):
        Hamiltonian.from_dict({"terms": [["ZI", 1.0], "XX"]})
