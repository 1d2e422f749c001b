"""The ``noisy-vqe-workload/1`` loader: reference energies of the bundled copies and error messages."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from conftest import DATA_DIR

from crlqas.qnoise import channels
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.workloads import (
    Workload,
    load_workload,
    load_workloads,
    parse_workload,
    thermal_parameters,
    workload_paths,
)

WORKLOADS = [
    "qas_n2_g20_depol",
    "qas_n2_g20_thermal",
    "qas_n4_g40_depol",
    "qas_n4_g40_thermal",
    "qas_n6_g40_thermal",
    "qas_n8_g40_depol",
]


def _raw(name: str = "qas_n2_g20_thermal") -> dict:
    return json.loads((DATA_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", WORKLOADS)
def test_reference_energy(name):
    from crlqas.qnoise.simulator import Simulator

    w = load_workload(DATA_DIR / f"{name}.json")
    assert isinstance(w, Workload) and w.name == name
    sim = Simulator(w.circuit, w.hamiltonian, w.noise_model)
    assert abs(sim.energy(w.reference_params) - w.reference_energy) < 1e-10


@pytest.mark.parametrize("name", ["qas_n2_g20_depol", "qas_n2_g20_thermal", "qas_n4_g40_thermal"])
def test_reference_energy_oracle(name):
    """The dense Kraus reference agrees too: the loader, not the simulator, is under test."""
    from crlqas.qnoise import oracle

    w = load_workload(DATA_DIR / f"{name}.json")
    e = oracle.energy(w.circuit, w.reference_params, w.hamiltonian, w.noise_model)
    assert abs(e - w.reference_energy) < 1e-10


def test_fields_and_little_endian_labels():
    raw = _raw("qas_n4_g40_depol")
    w = parse_workload(raw, "x.json")
    assert (w.n_qubits, w.n_gates, w.n_params) == (4, raw["n_gates"], raw["n_params"])
    np.testing.assert_array_equal(w.reference_params, raw["reference_params"])
    given = {lab[::-1]: c for lab, c in raw["hamiltonian"]["terms"] if set(lab) != {"I"}}
    assert dict(zip(w.hamiltonian.labels, w.hamiltonian.coeffs)) == pytest.approx(given)
    identity = sum(c for lab, c in raw["hamiltonian"]["terms"] if set(lab) == {"I"})
    assert w.hamiltonian.constant == pytest.approx(identity)  # H2 file: the identity term
    ins = w.circuit.instructions[0]
    g = raw["gates"][0]
    assert ins.name == g["op"] and list(ins.qubits) == g["qubits"] and ins.param == g.get("param")


def test_little_endian_single_term():
    """'ZI' in the file is Z on qubit 0: after X on qubit 0, <Z_0> = -1."""
    from crlqas.qnoise.simulator import Simulator

    raw = {
        "n_qubits": 2,
        "gates": [{"op": "rx", "qubits": [0], "param": 0}],
        "noise": {"model": "depol", "p1": 0.0, "p2": 0.0},
        "hamiltonian": {"terms": [["ZI", 1.0]]},
        "reference_params": [math.pi],
        "reference_energy": -1.0,
    }
    w = parse_workload(raw)
    assert w.hamiltonian.labels == ["IZ"]
    assert Simulator(w.circuit, w.hamiltonian, w.noise_model).energy([math.pi]) == pytest.approx(-1.0)


@pytest.mark.parametrize("t", [3.5e-8, 3e-7])
def test_thermal_relaxation_is_amplitude_then_phase_damping(t):
    gamma, lam = thermal_parameters(1e-4, 8e-5, t)
    seq = channels.amplitude_damping(gamma).compose(channels.phase_damping(lam))
    np.testing.assert_allclose(channels.thermal_relaxation(1e-4, 8e-5, t).ptm, seq.ptm, rtol=0, atol=1e-15)


def test_noise_channels_match_format():
    raw = _raw("qas_n2_g20_thermal")
    w = parse_workload(raw)
    th = raw["noise"]["thermal"]
    r1 = channels.thermal_relaxation(th["t1"], th["t2"], th["t_1q"])
    r2 = channels.thermal_relaxation(th["t1"], th["t2"], th["t_2q"])
    want1 = r1.compose(channels.depolarizing(raw["noise"]["p1"], 1)).ptm
    want2 = r2.tensor(r2).compose(channels.depolarizing(raw["noise"]["p2"], 2)).ptm
    for gate in ("rx", "ry", "rz"):
        np.testing.assert_allclose(w.noise_model.gate_channel(gate, (1,)).ptm, want1, atol=1e-15)
    np.testing.assert_allclose(w.noise_model.gate_channel("cx", (1, 0)).ptm, want2, atol=1e-15)
    assert w.noise_model.gate_channel("h", (0,)) is None


def test_load_directory_and_list(tmp_path):
    names = sorted(p.stem for p in DATA_DIR.glob("*.json"))
    assert [w.name for w in load_workloads(DATA_DIR)] == names
    two = [DATA_DIR / "qas_n2_g20_depol.json", DATA_DIR / "qas_n4_g40_depol.json"]
    assert [w.name for w in load_workloads(two)] == ["qas_n2_g20_depol", "qas_n4_g40_depol"]
    with pytest.raises(ValidationError, match="no workload files"):
        workload_paths(tmp_path)


# ------------------------------------------------------------------------------ malformed input
def _broken(edit) -> dict:
    raw = copy.deepcopy(_raw())
    edit(raw)
    return raw


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.pop("n_qubits"), "missing field 'n_qubits'"),
        (lambda d: d.update(format="other/2"), "unsupported format"),
        (lambda d: d.update(n_qubits="two"), "'n_qubits' must be int"),
        (lambda d: d["gates"][1].update(op="h"), r"gates\[1\] has op 'h'"),
        (lambda d: d["gates"][1].update(qubits=[5]), r"gates\[1\]: qubit 5"),
        (lambda d: d["gates"][0].update(qubits=[0]), r"gates\[0\] \(cx\) needs 2"),
        (lambda d: d["gates"][1].pop("param"), r"missing field 'gates\[1\].param'"),
        (lambda d: d["gates"][1].update(param=99), r"gates\[1\] uses param 99"),
        (lambda d: d.update(n_gates=3), "n_gates is 3"),
        (lambda d: d["reference_params"].pop(), "n_params is 9 but reference_params has 8"),
        (lambda d: d["reference_params"].__setitem__(0, "x"), r"reference_params\[0\]"),
        (lambda d: d["noise"].update(model="pauli"), "noise.model is 'pauli'"),
        (lambda d: d["noise"].update(p1=2.0), "noise: depolarizing probability"),
        (lambda d: d["noise"].pop("thermal"), "missing field 'noise.thermal'"),
        (lambda d: d["noise"]["thermal"].update(t2=1.0), "t2 must be at most 2"),
        (lambda d: d["noise"]["thermal"]["derived_1q"].update(amp_damp_gamma=0.5), "does not match"),
        (lambda d: d["hamiltonian"]["terms"].append(["XQ", 1.0]), "Pauli string 'XQ'"),
        (lambda d: d["hamiltonian"]["terms"].append(["XXX", 1.0]), "must have 2 characters"),
        (lambda d: d["hamiltonian"]["terms"].append(["XX", [1, 2]]), "real coefficient"),
        (lambda d: d["hamiltonian"].update(terms=[]), "hamiltonian.terms is empty"),
        (lambda d: d.update(reference_energy=None), "'reference_energy' must be float"),
    ],
)
def test_malformed(edit, message):
    with pytest.raises(ValidationError, match=message) as info:
        parse_workload(_broken(edit), "bad.json")
    assert str(info.value).startswith("workload bad.json: ")


def test_not_an_object():
    with pytest.raises(ValidationError, match="top level must be a JSON object"):
        parse_workload([1, 2], "list.json")


def test_file_errors(tmp_path):
    with pytest.raises(ValidationError, match="workload file not found"):
        load_workload(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        load_workload(bad)
    with pytest.raises(ValidationError, match="workload file not found"):
        load_workloads([DATA_DIR / "qas_n2_g20_depol.json", tmp_path / "nope.json"])
