"""``crlqas noise list|show`` and ``crlqas energy``."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

from crlqas.cli import main
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.devices import device_preset, list_presets
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.measurement import measured_energy
from crlqas.qnoise.problems import get_problem

QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
ry(0.3) q[0];
ry(-0.2) q[1];
cx q[0],q[1];
rx(0.1) q[1];
measure q -> c;
"""


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_noise_list_and_show(capsys):
    code, out, _ = run(capsys, "noise", "list", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == list_presets()
    code, out, _ = run(capsys, "noise", "list")
    assert code == 0 and "mumbai-10max" in out
    code, out, _ = run(capsys, "noise", "show", "ourense", "--json")
    info = json.loads(out)
    assert code == 0 and info["num_qubits"] == 4 and len(info["readout"]) == 4
    code, out, _ = run(capsys, "noise", "show", "mumbai-median")
    assert code == 0 and "readout" in out and "depolarizing" in out


def test_noise_show_unknown_name(capsys):
    code, _, err = run(capsys, "noise", "show", "mumbai-medain")
    assert code == 2 and "mumbai-median" in err and "Traceback" not in err


@pytest.fixture
def files(tmp_path):
    pytest.importorskip("qiskit")
    qasm = tmp_path / "c.qasm"
    qasm.write_text(QASM2)
    ham = Hamiltonian([("ZZ", 0.5), ("XI", -0.3), ("IY", 0.2)], -0.1)
    hpath = tmp_path / "h.json"
    hpath.write_text(json.dumps(ham.to_dict()))
    return qasm, hpath, ham


def reference_circuit() -> tuple[Circuit, np.ndarray]:
    c = Circuit(2).ry(0).ry(1).cx(0, 1).rx(1)
    return c, np.array([0.3, -0.2, 0.1])


def energy_json(capsys, qasm, *argv) -> dict:
    """The JSON output of ``crlqas energy --qasm QASM ARGV... --json``, which must succeed."""
    code, out, err = run(capsys, "energy", "--qasm", str(qasm), *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_energy_with_preset_matches_the_simulator(capsys, files):
    qasm, hpath, ham = files
    res = energy_json(capsys, qasm, "--hamiltonian", str(hpath), "--noise", "mumbai-median")
    c, p = reference_circuit()
    assert res["energy"] == pytest.approx(device_preset("mumbai-median").simulator(c, ham).energy(p), abs=1e-12)
    assert res["energy"] != pytest.approx(res["noiseless_energy"], abs=1e-6)


def test_energy_problem_shots_and_backend(capsys, files):
    qasm, _, _ = files
    res = energy_json(capsys, qasm, "--problem", "h2-2q", "--noise", "depol-1e-3", "--shots", "2000", "--seed", "3")
    assert res["e0"] == pytest.approx(-1.1372701746, abs=1e-8)
    assert abs(res["sampled_energy"] - res["energy"]) < 0.2
    pytest.importorskip("qiskit_ibm_runtime")
    res = energy_json(capsys, qasm, "--problem", "h2-2q", "--noise", "fake_ourense", "--layout", "0,1")
    assert res["layout"] == [0, 1] and "sx" in res["gates"] and "ry" not in res["gates"]


def test_energy_qasm3_with_params(capsys, files, tmp_path):
    pytest.importorskip("qiskit_qasm3_import")
    _, hpath, _ = files
    q3 = tmp_path / "c3.qasm"
    q3.write_text(
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\nqubit[2] q;\nry(theta) q[0];\ncx q[0], q[1];\n'
    )
    code, out, err = run(capsys, "energy", "--qasm", str(q3), "--hamiltonian", str(hpath), "--params", "0.4")
    assert code == 0, err
    assert "energy" in out
    code, _, err = run(capsys, "energy", "--qasm", str(q3), "--hamiltonian", str(hpath))
    assert code == 2 and "theta" in err


@pytest.mark.parametrize(
    "extra, message", [(["--noise", "nope"], "neither a noise preset"), (["--problem", "h2-4q"], "qubits")]
)
def test_energy_bad_input(capsys, files, extra, message):
    qasm, hpath, _ = files
    args = ["energy", "--qasm", str(qasm)]
    args += extra if "--problem" in extra else ["--hamiltonian", str(hpath)] + extra
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_energy_reports_noisy_mitigated_and_noiseless(capsys, files):
    """The readout-mitigated energy is the energy without readout error; with shots, the mitigated
    estimate comes from the same shots as the plain one, each with its standard error."""
    qasm, _, _ = files
    argv = ("--problem", "h2-2q", "--noise", "mumbai-median")
    res = energy_json(capsys, qasm, *argv, "--shots", "4000", "--seed", "5")
    c, p = reference_circuit()
    h2 = get_problem("h2-2q")
    sim = device_preset("mumbai-median").simulator(c, h2.hamiltonian)
    without_readout = measured_energy(partial(sim.probabilities, p), h2.hamiltonian)  # Tr(rho H)
    assert res["mitigated_energy"] == pytest.approx(without_readout, abs=1e-12)
    assert res["mitigated_error"] == res["mitigated_energy"] - res["e0"]
    assert res["error"] == res["energy"] - res["e0"] and abs(res["mitigated_energy"] - res["energy"]) > 1e-3
    assert res["sampled_energy"] == sim.sampled_energy(p, 4000, 5, "sampling")  # unchanged by mitigation
    value, stderr = sim.sampled_energy(p, 4000, 5, "sampling", return_stderr=True, mitigation="readout")
    assert res["mitigated_sampled_energy"] == value and res["mitigated_sampled_stderr"] == stderr
    assert abs(value - res["mitigated_energy"]) < 5 * stderr and stderr > res["sampled_stderr"]
    code, out, err = run(capsys, "energy", "--qasm", str(qasm), *argv)
    assert code == 0, err
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    for key in ("energy", "mitigated_energy", "noiseless_energy", "error", "mitigated_error", "noiseless_error"):
        assert lines[key][-1] == "Ha" and float(lines[key][0]) == pytest.approx(res[key], abs=1e-10)
