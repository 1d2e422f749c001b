"""VQE runner, ansatz builder and the ``crlqas vqe`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crlqas.cli import main as cli_main
from crlqas.qnoise.ansatz import from_spec, hardware_efficient
from crlqas.qnoise.channels import ReadoutError, depolarizing
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.problems import get_problem
from crlqas.qnoise.simulator import Simulator
from crlqas.qnoise.vqe import VQEResult, resolve_circuit, run_vqe

H2 = get_problem("h2-2q")


def depol():
    return (
        NoiseModel("depol-test")
        .add_all_qubit_error(depolarizing(2e-3, 1), ["rx", "ry", "rz"])
        .add_all_qubit_error(depolarizing(1e-2, 2), ["cx"])
    )


def test_hardware_efficient_structure():
    c = hardware_efficient(3, 2)
    assert c.num_parameters == 3 * 2 * 3
    assert c.count_ops() == {"ry": 9, "rz": 9, "cx": 4}
    assert [i.qubits for i in c.instructions if i.name == "cx"] == [(0, 1), (1, 2)] * 2
    assert hardware_efficient(3, 1, "ry", "cx-circular").count_ops() == {"ry": 6, "cx": 3}
    assert hardware_efficient(4, 1, ("rx",), "cx-full").count_ops()["cx"] == 6
    assert from_spec("hea:2:ry:cz-linear", 2).count_ops() == {"ry": 6, "cz": 2}
    for bad in ("hea", "hea:x", "qaoa:2", "hea:1:rw", "hea:1:ry:ring"):
        with pytest.raises(ValidationError):
            from_spec(bad, 2)
    with pytest.raises(ValidationError):
        hardware_efficient(2, -1)


def test_run_vqe_noiseless_reaches_chemical_accuracy(tmp_path):
    r = run_vqe("h2-2q", "hea:1", optimizer="cobyla", budget=300, seed=1)
    assert isinstance(r, VQEResult)
    assert r.within_chemical_accuracy and abs(r.error) < 1e-5 and r.e0 == H2.e0
    assert r.energy == pytest.approx(r.noiseless_energy) == pytest.approx(r.estimate)
    assert r.nfev <= 300 and r.noise == "noiseless" and r.shots is None
    path = tmp_path / "out.json"
    r.write_json(path)
    data = json.loads(path.read_text())
    assert data["energy"] == r.energy and len(data["params"]) == r.num_parameters
    assert len(data["history"]) == r.nit and data["within_chemical_accuracy"] is True
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_run_vqe_noisy_with_shots_is_reproducible():
    kw = dict(noise=depol(), optimizer="spsa3", budget=600, shots=10**6, seed=3, optimizer_options={"preset": "lih-4q"})
    a = run_vqe("h2-2q", "hea:1", **kw)
    b = run_vqe("h2-2q", "hea:1", **kw)
    np.testing.assert_array_equal(a.params, b.params)
    assert a.energy == b.energy
    assert a.noiseless_energy < a.energy  # depolarizing noise pulls the energy up
    assert a.error < 0.05 and a.shots == 10**6
    assert a.optimizer_info["stage_shots"] == [10**4, 10**5, 10**6]
    c = run_vqe("h2-2q", "hea:1", **{**kw, "seed": 4})
    assert not np.array_equal(a.params, c.params)


def test_run_vqe_accepts_hamiltonian_circuit_and_callback():
    h = Hamiltonian({"ZZ": 1.0, "XI": 0.5})
    c = Circuit(2).ry(0).ry(1).cx(0, 1).ry(0).ry(1)
    seen = []
    r = run_vqe(
        h,
        c,
        optimizer="rotosolve",
        budget=100,
        seed=0,
        initial_params=[0.1, 0.2, 0.3, 0.4],
        callback=lambda info: seen.append(info.nit) and False,
    )
    assert r.problem is None and r.e0 == pytest.approx(h.ground_energy())
    assert seen == list(range(1, r.nit + 1))
    np.testing.assert_array_equal(r.initial_params, [0.1, 0.2, 0.3, 0.4])


def test_run_vqe_errors():
    with pytest.raises(ValidationError, match="budget"):
        run_vqe("h2-2q", "hea:1", budget=0)
    with pytest.raises(ValidationError, match="did you mean"):
        run_vqe("h2-2q", "hea:1", optimizer="cobila", budget=10)
    with pytest.raises(ValidationError):
        run_vqe("h2-2q", "hea:1", noise=3.0, budget=10)
    with pytest.raises(ValidationError):
        run_vqe("no-such-problem", "hea:1", budget=10)
    with pytest.raises(ValidationError):
        run_vqe("h2-2q", 42, budget=10)


def vqe_cli(*args: str) -> int:
    """``crlqas vqe`` on H2-2q with a one-layer hardware-efficient ansatz, then ``args``."""
    return cli_main(["vqe", "--problem", "h2-2q", "--ansatz", "hea:1", *args])


def test_cli_vqe_json(capsys, tmp_path):
    out = tmp_path / "r.json"
    rc = vqe_cli(
        "--optimizer", "adam-spsa", "--preset", "h2-2q", "--budget", "200", "--seed", "2", "--json", "--out", str(out)
    )
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["nfev"] <= 200 and data["optimizer"] == "adam-spsa" and data["problem"] == "h2-2q"
    assert json.loads(out.read_text())["params"] == data["params"]


def test_cli_vqe_text_and_errors(capsys):
    assert vqe_cli("--optimizer", "cobyla", "--budget", "200") == 0
    text = capsys.readouterr().out
    assert "within chemical accuracy" in text and "noiseless energy" in text and "evaluations" in text
    assert vqe_cli("--optimizer", "spsaa", "--budget", "10") == 2
    assert "did you mean" in capsys.readouterr().err
    assert vqe_cli("--budget", "0") == 2
    assert cli_main(["optimizers"]) == 0
    assert "lih-4q" in capsys.readouterr().out


def test_cli_vqe_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "h.png"
    assert vqe_cli("--optimizer", "spsa", "--budget", "200", "--json", "--plot", str(png)) == 0
    assert png.stat().st_size > 1000


def test_cli_vqe_qasm(tmp_path, capsys):
    pytest.importorskip("qiskit")
    qasm = tmp_path / "c.qasm"
    qasm.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nry(0.1) q[0];\nry(-0.2) q[1];\n'
        "cx q[0],q[1];\nry(0.3) q[0];\nry(0.05) q[1];\n"
    )
    assert (
        cli_main(
            ["vqe", "--problem", "h2-2q", "--qasm", str(qasm), "--optimizer", "rotosolve", "--budget", "100", "--json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["initial_params"] == [0.1, -0.2, 0.3, 0.05]
    assert data["within_chemical_accuracy"] and data["nfev"] <= 100


def readout_noise(p10=0.02, p01=0.05):
    """:func:`depol` plus a readout error on every qubit."""
    return depol().add_all_qubit_readout_error(ReadoutError(p10, p01))


def test_run_vqe_readout_mitigation():
    """``mitigation="readout"``: the optimizer minimises the mitigated energy; the result reports the
    noisy and mitigated energies and errors either way."""
    kw = dict(noise=readout_noise(), optimizer="cobyla", budget=300, seed=1)
    plain = run_vqe("h2-2q", "hea:1", **kw)
    mitigated = run_vqe("h2-2q", "hea:1", mitigation="readout", **kw)
    assert plain.mitigation == "none" and mitigated.mitigation == "readout"
    assert plain.estimate == pytest.approx(plain.energy, abs=1e-12)
    assert mitigated.estimate == pytest.approx(mitigated.mitigated_energy, abs=1e-12)
    for r in (plain, mitigated):
        bare = Simulator(resolve_circuit("hea:1", 2), H2.hamiltonian, depol()).energy(r.params)
        assert r.mitigated_energy == pytest.approx(bare, abs=1e-12)  # the readout error undone
        assert r.mitigated_error == r.mitigated_energy - H2.e0 and r.error == r.energy - H2.e0
        assert r.mitigated_energy < r.energy
        assert "mitigated energy" in r.summary() and "mitigated error" in r.summary()
    assert mitigated.within_chemical_accuracy == (mitigated.mitigated_error < H2.chemical_accuracy)
    assert plain.within_chemical_accuracy == (plain.error < H2.chemical_accuracy)
    assert mitigated.mitigated_error < plain.error
    data = mitigated.to_dict()
    assert data["mitigation"] == "readout" and data["mitigated_energy"] == mitigated.mitigated_energy
    noiseless = run_vqe("h2-2q", "hea:1", optimizer="cobyla", budget=50, seed=1, mitigation="readout")
    assert noiseless.mitigated_energy == noiseless.energy
    assert "mitigated energy" in noiseless.summary()  # asked for
    assert "mitigated" not in run_vqe("h2-2q", "hea:1", optimizer="cobyla", budget=50, seed=1).summary()


def test_run_vqe_mitigation_errors():
    with pytest.raises(ValidationError, match="qubit 0 cannot be inverted"):
        run_vqe("h2-2q", "hea:1", noise=readout_noise(0.5, 0.5), budget=10, mitigation="readout")
    r = run_vqe("h2-2q", "hea:1", noise=readout_noise(0.5, 0.5), optimizer="cobyla", budget=10)
    assert r.mitigated_energy is None and r.mitigated_error is None and "mitigated" not in r.summary()
    with pytest.raises(ValidationError, match="mitigation must be one of"):
        run_vqe("h2-2q", "hea:1", budget=10, mitigation="zne")


def test_cli_vqe_mitigation(capsys):
    args = ("--noise", "mumbai-median", "--optimizer", "cobyla", "--budget", "100")
    assert vqe_cli(*args, "--mitigation", "readout", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mitigation"] == "readout" and data["mitigated_error"] < data["error"]
    assert data["estimate"] == pytest.approx(data["mitigated_energy"], abs=1e-12)
    assert vqe_cli(*args) == 0
    text = capsys.readouterr().out
    assert "mitigated energy" in text and "mitigated error" in text
    assert vqe_cli(*args, "--mitigation", "zne") == 2
    assert "invalid choice" in capsys.readouterr().err
