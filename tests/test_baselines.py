"""The baselines' fronts and records: run_baseline (adapt, hea), random search in the QAS env, the
noise floor, and ``crlqas baseline`` (happy paths, --out records, error paths)."""

from __future__ import annotations

import json

import pytest

from crlqas.cli import main
from crlqas.qnoise import Circuit, get_problem, noise_preset
from crlqas.qnoise.baselines import run_baseline
from crlqas.qnoise.baselines.floor import find_noise_floor, noise_floor
from crlqas.qnoise.baselines.hea import ROTATION_SETS, hea_specs
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.results import METRICS, ResultRecord, circuit_energies

pytest.importorskip("gymnasium")


def _check_record(r: ResultRecord, problem: str, noise: str, metric: str) -> None:
    """The record is consistent with an independent recomputation from its own circuit and angles."""
    p = get_problem(problem)
    assert (r.problem, r.noise, r.metric, r.e0) == (problem, noise, metric, p.e0)
    circuit = Circuit.from_dict(r.circuit)
    model = None if noise == "none" else noise_preset(noise)
    again = circuit_energies(circuit, r.angles, p.hamiltonian, model)
    for m in METRICS:
        if r.energies[m] is None:
            assert r.errors[m] is None
        else:
            assert r.energies[m] == pytest.approx(again[m], abs=1e-9)
            assert r.errors[m] == pytest.approx(again[m] - p.e0, abs=1e-9)
    assert r.accurate == (r.errors[metric] is not None and r.errors[metric] <= p.chemical_accuracy)
    assert (r.num_gates, r.num_cnots, r.depth) == (len(circuit), circuit.num_two_qubit_gates, circuit.depth())
    assert r.evaluations > 0 and r.wall_time > 0 and r.qasm.startswith("OPENQASM 2.0;")
    assert ResultRecord.from_dict(json.loads(json.dumps(r.to_dict()))) == r


# ---------------------------------------------------------------------- hea
def test_hea_specs_sweep_and_dedup():
    assert ROTATION_SETS == ("rx", "ry", "rz", "rx,ry", "rx,rz", "ry,rz", "rx,ry,rz")
    specs = hea_specs(2, layers=2)
    # on 2 qubits cx-linear, cx-circular and cx-full are one circuit: 7 rotation sets x 3 x 2 layers
    assert len(specs) == 7 * 3 * 2
    assert [s for s, _ in specs][:3] == ["1:rx:cx-linear", "1:rx:cz-linear", "1:rx:none"]
    assert len(hea_specs(4, layers=1)) == 7 * 5
    with pytest.raises(ValidationError, match="unknown entangler"):
        hea_specs(3, 1, entanglers=["cx-star"])
    with pytest.raises(ValidationError, match="layers"):
        hea_specs(3, 0)


def test_hea_returns_the_best_valid_record():
    r = run_baseline(
        "hea", "h2-2q", seed=1, layers=2, rotations=["ry", "rx"], entanglers=["cx-linear", "none"], optimizer_budget=200
    )
    _check_record(r, "h2-2q", "none", "noiseless")
    assert r.method.startswith("hea:") and r.method[4:] == r.extra["spec"]
    assert r.accurate  # hea:1:ry:cx-linear reaches H2's ground state
    table = r.extra["candidates"]
    assert r.extra["tried"] == len(table) == 2 * 2 * 2
    assert min(t["errors"]["noiseless"] for t in table) == pytest.approx(r.errors["noiseless"])
    assert r.evaluations == sum(t["evaluations"] for t in table) <= 8 * 200


def test_hea_budget_and_noise():
    r = run_baseline("hea", "h2-2q", "mumbai-median", metric="mitigated", budget=250, layers=3, rotations=["ry"])
    _check_record(r, "h2-2q", "mumbai-median", "mitigated")
    assert r.evaluations <= 250 and r.extra["tried"] < r.extra["planned"]
    assert r.errors["noisy"] > r.errors["mitigated"] > 0  # readout errors bias the measured energy


# ---------------------------------------------------------------------- adapt through the front
def test_run_baseline_adapt_record():
    r = run_baseline("adapt:odd-y4", "h2-3q", "depol-1e-3", metric="noiseless", seed=2)
    _check_record(r, "h2-3q", "depol-1e-3", "noiseless")
    assert r.method == "adapt:odd-y4" and r.accurate
    assert r.extra["operators"] and r.extra["pool_size"] == 28


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: run_baseline("qaoa", "h2-2q"), "allowed: adapt, adapt:<pool>, hea"),
        (lambda: run_baseline("hea:2", "h2-2q"), "allowed: adapt"),
        (lambda: run_baseline("random", "h2-2q"), "random_search"),
        (lambda: run_baseline("adapt", "h2-2q", layers=2), "no option.*layers; allowed: pool"),
        (lambda: run_baseline("hea", "h2-2q", pool="minimal"), "no option.*pool; allowed: layers"),
        (lambda: run_baseline("adapt", "h2-2q", metric="exact"), "noisy, mitigated, noiseless"),
        (lambda: run_baseline("adapt", "h2-2q", "mumbay-median"), "unknown noise preset"),
        (lambda: run_baseline("adapt", "h2-9q"), "h2-9q"),
        (lambda: run_baseline("adapt", "h2-2q", seed=-1), "seed"),
        (lambda: run_baseline("adapt", "h2-2q", budget=0), "budget"),
        (lambda: run_baseline("adapt:minimal", "h2-2q", pool="odd-y4"), "names pool"),
        (lambda: run_baseline("hea", "h2-2q", optimizer_budget=0), "optimizer_budget"),
    ],
)
def test_run_baseline_errors(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


# ---------------------------------------------------------------------- random search
def test_random_search_record():
    from crlqas.envs.random_search import random_search

    r = random_search("h2-2q", seed=4, episodes=3, max_steps=6, optimizer_budget=100)
    _check_record(r, "h2-2q", "none", "noiseless")
    assert r.method == "random" and r.extra["complete_episodes"] == 3 and r.extra["stop"] == "episodes"
    assert 3 <= r.extra["steps"] <= 18 and r.num_gates <= 6
    env = r.extra["env"]
    assert (env["max_steps"], env["optimizer_budget"], env["success_metric"]) == (6, 100, "noiseless")
    again = random_search("h2-2q", seed=4, episodes=3, max_steps=6, optimizer_budget=100)
    assert again.angles == r.angles and again.circuit == r.circuit  # the seed fixes the search


def test_random_search_noisy_time_limit_and_masks():
    from crlqas.envs.random_search import random_search

    r = random_search("h2-2q", "mumbai-median", metric="noisy", time_limit=0.5, max_steps=40, optimizer_budget=50)
    _check_record(r, "h2-2q", "mumbai-median", "noisy")
    assert r.extra["stop"] == "time limit"
    # masked actions are never taken: no gate repeats the last gate on all of its qubits
    last = {}
    for g in Circuit.from_dict(r.circuit):
        key = (g.name, g.qubits)
        assert not all(last.get(q) == key for q in g.qubits)
        last.update(dict.fromkeys(g.qubits, key))


def test_random_search_errors():
    from crlqas.envs.random_search import random_search

    with pytest.raises(ValidationError, match="episodes"):
        random_search("h2-2q", episodes=0)
    with pytest.raises(ValidationError, match="time_limit"):
        random_search("h2-2q", time_limit=-1)
    with pytest.raises(ValidationError, match="its own arguments"):
        random_search("h2-2q", success_metric="noisy")
    with pytest.raises(ValidationError, match="max_stepz"):
        random_search("h2-2q", max_stepz=3)


# ---------------------------------------------------------------------- noise floor
def test_noise_floor_of_records():
    common = dict(layers=1, rotations=["ry"], entanglers=["cx-linear"], optimizer_budget=150)
    floor = find_noise_floor("h2-2q", "mumbai-median", methods=["hea", "adapt:minimal-sym"], **common)
    assert [r.metric for r in floor.records] == ["noisy", "noisy"]
    for m in ("noisy", "mitigated"):
        lowest = min(r.energies[m] for r in floor.records)
        assert floor.energies[m] == lowest and floor.errors[m] == pytest.approx(lowest - floor.e0)
    assert floor.errors["noisy"] > get_problem("h2-2q").chemical_accuracy  # Mumbai readout: no noisy accuracy
    assert floor.accurate_possible is False
    assert "noise floor of h2-2q under mumbai-median" in floor.summary()
    assert json.loads(json.dumps(floor.to_dict()))["methods"]["noisy"] in ("hea:1:ry:cx-linear", "adapt:minimal-sym")
    with pytest.raises(ValidationError, match="one problem"):
        noise_floor([floor.records[0], run_baseline("hea", "h2-3q", **common)])
    with pytest.raises(ValidationError, match="no baseline takes"):
        find_noise_floor("h2-2q", bogus=1)


# ---------------------------------------------------------------------- command line
def test_cli_adapt_json_and_out(tmp_path, capsys):
    out = tmp_path / "sub" / "adapt.json"
    rc = main(["baseline", "adapt", "--problem", "h2-2q", "--pool", "minimal-sym", "--json", "--out", str(out)])
    printed = json.loads(capsys.readouterr().out)
    assert rc == 0 and printed["method"] == "adapt:minimal-sym" and printed["accurate"]
    record = ResultRecord.read_json(out)
    assert record.to_dict() == printed
    _check_record(record, "h2-2q", "none", "noiseless")


def test_cli_hea_and_random_text(tmp_path, capsys):
    rc = main(["baseline", "hea", "--problem", "h2-2q", "--layers", "1", "--rotations", "ry", "--budget", "400"])
    text = capsys.readouterr().out
    assert rc == 0 and "method             hea:1:ry:" in text and "within chemical accuracy" in text
    out = tmp_path / "random.json"
    args = ["baseline", "random", "--preset", "h2-2q", "--episodes", "2", "--env", "max_steps=5"]
    rc = main([*args, "--env", "halting=off", "--metric", "noisy", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "method             random" in text
    record = ResultRecord.read_json(out)
    assert record.method == "random" and record.metric == "noisy" and record.extra["env"]["max_steps"] == 5


def test_cli_floor(capsys):
    args = ["baseline", "floor", "--problem", "h2-2q", "--noise", "depol-1e-3", "--methods", "hea", "--layers", "1"]
    rc = main([*args, "--optimizer-budget", "100", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["noise"] == "depol-1e-3" and data["methods"]["noisy"].startswith("hea:1:")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["baseline", "adapt", "--problem", "h2-2q", "--pool", "bogus"], "unknown operator pool 'bogus'"),
        (["baseline", "adapt", "--noise", "depol-1e-3"], "give --problem"),
        (["baseline", "hea", "--problem", "h2-2q", "--noise", "nope"], "unknown noise preset"),
        (["baseline", "hea", "--problem", "h2-2q", "--entangler", "ring"], "unknown entangler"),
        (["baseline", "adapt", "--problem", "h2-2q", "--optimizer", "newton"], "unknown optimizer"),
        (["baseline", "random", "--problem", "h2-2q", "--env", "max_stepz=3"], "max_stepz"),
        (["baseline", "random", "--preset", "h2-9q"], "unknown preset"),
        (["baseline", "floor", "--problem", "h2-2q", "--methods", "qaoa"], "unknown baseline method"),
    ],
)
def test_cli_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("crlqas: error:") and message in err and "Traceback" not in err


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["baseline", "adapt", "--problem", "h2-2q", "--budget", "0"]) == 2
    assert "positive integer" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["baseline", "hea", "--problem", "h2-2q", "--out", str(tmp_path / "afile" / "r.json")]) == 2
    capsys.readouterr()
    assert main(["baseline"]) == 2  # the group alone: its help, listing the methods
    out = capsys.readouterr().out
    assert all(m in out for m in ("adapt", "hea", "random", "floor"))
