"""Success metrics that mean what they say: every step, evaluation, best-circuit record and report
carries the three errors against E0 of one circuit and its angles (noisy as measured, readout-
mitigated, noiseless), and ``[env] success_metric`` decides which one "chemically accurate" means.
"""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from crlqas.envs.config import METRICS, QASConfig
from crlqas.envs.qas_env import QASEnv
from crlqas.qnoise import Circuit, NoiseModel, Simulator, get_problem
from crlqas.qnoise.channels import ReadoutError
from crlqas.qnoise.devices import device_preset
from crlqas.qnoise.errors import ValidationError

H2 = get_problem("h2-2q")
#: RY(1), RY(0), CNOT(0 -> 1): chemically accurate without noise (4e-5 Ha), not in its noisy energy
#: under mumbai-median (about 42 mHa) nor after readout mitigation (about 7 mHa)
ACCURATE_NOISELESS = (6, 3, 0)
SMALL = {"problem": "h2-2q", "noise": "mumbai-median", "optimizer": "cobyla", "optimizer_budget": 40}


def _csv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _energies(info) -> dict:
    return {"noisy": info["energy_exact"], "mitigated": info["energy_mitigated"], "noiseless": info["energy_noiseless"]}


def test_info_has_the_three_errors_of_independent_simulations():
    env = QASEnv(SMALL, max_steps=4)
    model = env.noise_model
    assert model.has_readout_error and model.has_gate_noise
    gates_only = dataclasses.replace(device_preset("mumbai-median"), readout=(), _cache={}).noise_model
    assert not gates_only.has_readout_error
    _, info = env.reset(seed=0)
    infos = [info]
    for action in (*ACCURATE_NOISELESS, 7):
        infos.append(env.step(action)[4])
    for info in infos:
        circuit, angles = (info["circuit"], info["angles"]) if "circuit" in info else (Circuit(2), np.zeros(0))
        noisy = Simulator(circuit, H2.hamiltonian, model).energy(angles)
        mitigated = Simulator(circuit, H2.hamiltonian, model, mitigation="readout").energy(angles)
        assert info["energy_exact"] == pytest.approx(noisy, abs=1e-12)
        assert info["energy_mitigated"] == pytest.approx(mitigated, abs=1e-12)
        # mitigation undoes the readout errors exactly: the model without them gives the same energy
        assert info["energy_mitigated"] == pytest.approx(Simulator(circuit, H2.hamiltonian, gates_only).energy(angles))
        assert info["energy_noiseless"] == pytest.approx(Simulator(circuit, H2.hamiltonian).energy(angles), abs=1e-12)
        for metric, energy in _energies(info).items():
            assert info[f"error_{metric}"] == energy - H2.e0
        assert info["success_metric"] == "noisy"
    last = infos[3]  # the accurate circuit: the three errors tell three stories
    assert abs(last["error_noiseless"]) < 1e-4 < 1.6e-3 < abs(last["error_mitigated"]) < 1e-2 < abs(last["error_noisy"])
    assert last["energy"] == last["energy_exact"] and not last["success"]  # exact energies, noisy metric
    # the env's best-circuit records carry them too
    record = env.export_circuit("best")
    assert set(record["energies"]) == set(record["errors"]) == set(METRICS)
    assert record["errors"]["noiseless"] == pytest.approx(record["energies"]["noiseless"] - H2.e0)


def test_without_noise_the_three_are_one_number():
    env = QASEnv(problem="h2-2q", max_steps=3, optimizer="cobyla", optimizer_budget=30)
    _, info = env.reset(seed=1)
    for action in (None, *ACCURATE_NOISELESS):
        info = info if action is None else env.step(action)[4]
        assert info["energy_exact"] == info["energy_mitigated"] == info["energy_noiseless"]
        assert info["error_noisy"] == info["error_mitigated"] == info["error_noiseless"]


def test_noiseless_energy_only_at_the_episode_end_when_asked():
    env = QASEnv(SMALL, max_steps=3, compute_noiseless=False)
    env.reset(seed=0)
    infos = [env.step(a)[4] for a in ACCURATE_NOISELESS]
    assert [i["energy_noiseless"] is None for i in infos] == [True, True, False]
    assert infos[-1]["error_noiseless"] == pytest.approx(
        Simulator(infos[-1]["circuit"], H2.hamiltonian).energy(infos[-1]["angles"]) - H2.e0
    )
    assert all(i["energy_mitigated"] is not None for i in infos)


def test_success_metric_is_validated():
    with pytest.raises(
        ValidationError, match="success_metric must be one of 'noisy', 'mitigated', 'noiseless'; got 'exact'"
    ):
        QASConfig(success_metric="exact")
    with pytest.raises(ValidationError, match="success_metric='noiseless' needs compute_noiseless=True"):
        QASConfig(success_metric="noiseless", compute_noiseless=False)
    flips = NoiseModel().add_all_qubit_readout_error(ReadoutError(0.6, 0.5))  # no inverse
    with pytest.raises(
        ValidationError, match=r"success_metric='mitigated' is impossible here: .*qubit 0 cannot be inverted"
    ):
        QASConfig(noise=flips, success_metric="mitigated")
    env = QASEnv(noise=flips, max_steps=2)  # another metric: the mitigated energy is unknown, no error
    env.reset(seed=0)
    info = env.step(3)[4]
    assert info["energy_mitigated"] is None and info["error_mitigated"] is None and info["energy_noiseless"] is not None
    assert QASConfig().success_metric == "noisy"
    assert QASConfig.from_dict(QASConfig(success_metric="mitigated").to_dict()).success_metric == "mitigated"


def test_train_config_names_the_section():
    pytest.importorskip("stable_baselines3")
    from crlqas.agents.config import TrainConfig

    data = {"env": {"problem": "h2-2q", "success_metric": "chemical"}, "agent": {"name": "dqn"}, "run": {}}
    with pytest.raises(ValidationError, match="success_metric must be one of 'noisy', 'mitigated', 'noiseless'"):
        TrainConfig.from_dict(data)


@pytest.mark.parametrize("metric", METRICS)
def test_success_is_judged_on_the_chosen_metric(metric):
    """The env's success check (success reward, termination, the curriculum's input): |E_metric -
    E_ref| < threshold; a circuit accurate only without noise succeeds only under "noiseless"."""
    env = QASEnv(SMALL, max_steps=5, success_metric=metric)
    env.reset(seed=0)
    for action in ACCURATE_NOISELESS:
        _, reward, terminated, _, info = env.step(action)
    expected = metric == "noiseless"
    assert (info["success"], terminated, reward == env.config.success_reward) == (expected, expected, expected)
    energy = info["energy"] if metric == "noisy" else _energies(info)[metric]
    assert info["success_offset"] == energy - env.reference_energy
    assert info["episode_best_offset"] <= info["success_offset"]  # the curriculum's offset: the same metric
    assert info["energy_offset"] == info["energy"] - env.reference_energy  # what the agent observes
    assert abs(info["success_offset"]) < env.threshold if expected else abs(info["success_offset"]) >= env.threshold


def test_noisy_metric_is_the_observed_energy_as_before():
    env = QASEnv(SMALL, max_steps=4, shots=1000, energy_estimate="sampled")
    env.reset(seed=3)
    best = np.inf
    for action in ACCURATE_NOISELESS:
        info = env.step(action)[4]
        best = min(best, info["energy"])
        assert info["success_offset"] == info["energy_offset"] and info["energy"] != info["energy_exact"]
        assert info["episode_best_offset"] == best - env.reference_energy


def test_an_env_pickled_before_success_metrics_goes_on():
    """A checkpoint's env of a crlqas without success metrics: the noisy metric, as then."""
    env = QASEnv(SMALL, max_steps=4)
    env.reset(seed=0)
    env.step(6)
    state = env.__getstate__()
    for key in ("success_metric", "episode_best_metric", "_readout", "_mitigable"):
        del state[key]
    state["_initial"] = (state["_initial"]["noisy"], state["_initial"]["noiseless"])
    old = QASEnv.__new__(QASEnv)
    old.__setstate__(state)
    info = old.step(3)[4]
    assert info["success_metric"] == "noisy" and info["success_offset"] == info["energy_offset"]
    assert info["error_mitigated"] < info["error_noisy"]
    assert old.reset(seed=1)[1]["energy_exact"] == env.reset(seed=1)[1]["energy_exact"]


# ---------------------------------------------------------------------------- training runs
torch = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")
torch.set_num_threads(1)


class FixedPolicy:
    """A stand-in for a trained model: ``predict`` plays ``actions`` in turn."""

    def __init__(self, actions):
        self.actions, self.k = list(actions), 0

    def predict(self, obs, deterministic=False):
        a = self.actions[self.k % len(self.actions)]
        self.k += 1
        return np.array(a), None


def _callback(tmp_path, metric, **kw):
    from crlqas.agents.callbacks import RunCallback

    cb = RunCallback(tmp_path / "seed_5", episodes=10, checkpoint_every=100, **kw)
    cb.e0, cb.chemical_accuracy = H2.e0, H2.chemical_accuracy
    return cb


@pytest.mark.parametrize("metric", METRICS)
def test_best_circuit_kinds_follow_the_metric(tmp_path, metric):
    cb = _callback(tmp_path, metric)
    cb.open()
    circuit = Circuit(2).ry(1).ry(0).cx(0, 1)
    info = {
        "circuit": circuit,
        "angles": np.array([0.1, 0.2]),
        "energy": H2.e0 + 0.042,
        "energy_exact": H2.e0 + 0.042,
        "energy_mitigated": H2.e0 + 0.0066,
        "energy_noiseless": H2.e0 + 4e-5,
        "success_metric": metric,
    }
    cb._track(info)
    cb.close()
    accurate = metric == "noiseless"
    assert set(cb.best) == ({"best_energy", "first_accurate", "shortest_accurate"} if accurate else {"best_energy"})
    for rec in cb.best.values():
        assert rec["success_metric"] == metric and rec["chemically_accurate"] == accurate
        assert rec["errors"] == pytest.approx({"noisy": 0.042, "mitigated": 0.0066, "noiseless": 4e-5})
        assert rec["error"] == pytest.approx(0.042)  # "error" stays the noisy one
    assert cb._ep["metric_error"] == pytest.approx(
        abs(info[f"energy_{'exact' if metric == 'noisy' else metric}"] - H2.e0)
    )


@pytest.mark.parametrize("metric", METRICS)
def test_greedy_evaluation_accuracy_and_stop_follow_the_metric(tmp_path, metric):
    env = QASEnv(SMALL, max_steps=4, success_metric=metric)
    env.reset(seed=11)
    cb = _callback(tmp_path, metric, eval_env=env, eval_every=1, stop_after_success=1)
    cb.model = FixedPolicy([*ACCURATE_NOISELESS, 7])
    cb.open()
    row = cb.evaluate()
    cb.close()
    accurate = metric == "noiseless"
    assert row["accurate"] == accurate and row["length"] == (3 if accurate else 4)
    assert (cb.stopped_early == "success") == accurate and ("greedy" in cb.best) == accurate
    assert row["error_noiseless"] < 1e-4 < 1.6e-3 < row["error_mitigated"] < row["error_noisy"] == row["error"]
    assert row["metric_error"] == row[f"error_{metric}"]
    (logged,) = _csv(tmp_path / "seed_5" / "eval.csv")
    assert float(logged["error_noiseless"]) == pytest.approx(row["error_noiseless"]) and logged["accurate"] == str(
        int(accurate)
    )


def test_a_tiny_noisy_run_logs_and_reports_the_three_errors(tmp_path, capsys):
    from crlqas.agents.config import TrainConfig
    from crlqas.agents.plots import curves_figure
    from crlqas.agents.report import format_table, print_best, report, summarize
    from crlqas.agents.train import train

    data = {
        "name": "tiny-noisy",
        "env": {**SMALL, "max_steps": 5, "optimizer_budget": 30, "success_metric": "noiseless"},
        "agent": {
            "name": "dqn",
            "params": {"learning_starts": 2, "batch_size": 4, "buffer_size": 200, "policy_kwargs": {"net_arch": [16]}},
        },
        "curriculum": {
            "kind": "moving-threshold",
            "accept_err": 0.2,  # success: |E_noiseless - E0| below about 18 mHa
            "shift_threshold_ball": 5e-4,
            "shift_threshold_time": 5,
            "success_thresh": 3,
            "succ_radius_shift": 10,
            "succes_switch": 0.2,
            "warmup_episodes": 2,
        },
        "run": {"episodes": 6, "seeds": [2], "checkpoint_every": 100, "eval_every": 2, "parallel": False},
    }
    results = train(TrainConfig.from_dict(data), tmp_path / "run", progress=False)
    print_best(results)  # what crlqas train prints: the greedy error under the success metric too
    (greedy,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  greedy policy: ")]
    assert " (noiseless " in greedy
    sdir = tmp_path / "run" / "seed_2"
    rows = _csv(sdir / "progress.csv")
    assert len(rows) == 6
    for r in rows:
        errors = {m: float(r[f"error_{m}"]) for m in METRICS}
        assert float(r["energy_error"]) <= errors["noisy"]  # the episode's lowest noisy error
        assert all(np.isfinite(v) and v >= 0 for v in errors.values())
    evals = _csv(sdir / "eval.csv")
    assert evals
    for r in evals:
        assert r["accurate"] == str(int(float(r["error_noiseless"]) <= 1.6e-3)) and r["error"] == r["error_noisy"]
    model = QASEnv(SMALL).noise_model
    assert (sdir / "best" / "best_energy.json").exists()
    for path in sorted((sdir / "best").glob("*.json")):
        rec = json.loads(path.read_text())
        assert rec["success_metric"] == "noiseless"
        assert rec["chemically_accurate"] == (abs(rec["errors"]["noiseless"]) <= 1.6e-3)
        circuit = Circuit.from_dict(rec["circuit"])
        sims = {
            "noisy": Simulator(circuit, H2.hamiltonian, model),
            "mitigated": Simulator(circuit, H2.hamiltonian, model, mitigation="readout"),
            "noiseless": Simulator(circuit, H2.hamiltonian),
        }
        for metric, sim in sims.items():
            assert rec["energies"][metric] == pytest.approx(sim.energy(rec["angles"]), abs=1e-9)
            assert rec["errors"][metric] == pytest.approx(rec["energies"][metric] - H2.e0, abs=1e-12)
        assert "// E - E0 by metric: noisy " in path.with_suffix(".qasm").read_text()
    # crlqas report: the metric, each circuit's three errors, the curves of the success metric
    s = summarize(tmp_path / "run")
    assert s["success_metric"] == "noiseless"
    seed = s["seeds"][0]
    assert set(seed["greedy_errors"]) == set(METRICS)
    assert all(set(c["errors"]) == set(METRICS) for c in seed["circuits"].values())
    text = format_table(s)
    assert "success metric noiseless" in text and "|E-E0| noiseless*" in text and "greedy noiseless" in text
    labels = [ax.get_ylabel() for ax in curves_figure(s).axes]
    assert "|E - E0| noiseless (Ha)" in labels
    assert any(
        lab == "|E - E0| mitigated (Ha)" for lab in (ax.get_ylabel() for ax in curves_figure(s, "mitigated").axes)
    )
    with pytest.raises(ValidationError, match="metric must be one of"):
        curves_figure(s, "exact")
    assert report(tmp_path / "run", as_json=True, plots=False) == 0
    chosen = json.loads(capsys.readouterr().out)["best_circuit"]
    assert set(chosen["errors"]) == set(METRICS) and chosen["success_metric"] == "noiseless"
    assert report(tmp_path / "run", plots=False) == 0
    assert "|E - E0| by metric: noisy " in capsys.readouterr().out


def test_logs_of_an_older_run_get_the_new_columns_on_resume(tmp_path):
    from crlqas.agents.runlog import EPISODE_COLUMNS, EpisodeLog

    old = [c for c in EPISODE_COLUMNS if not c.startswith("error_")]
    rows = [old, *([str(e) if c == "episode" else "0.5" for c in old] for e in (1, 2, 3))]
    with open(tmp_path / "progress.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    log = EpisodeLog(tmp_path, resume_episodes=2)
    log.write({"episode": 3, "energy_error": 0.25, "error_noisy": 0.25, "error_noiseless": 0.125})
    log.close()
    kept = _csv(tmp_path / "progress.csv")
    assert list(kept[0]) == list(EPISODE_COLUMNS) and [r["episode"] for r in kept] == ["1", "2", "3"]
    assert kept[0]["energy_error"] == "0.5" and kept[0]["error_noisy"] == ""
    assert (kept[2]["error_noisy"], kept[2]["error_mitigated"], kept[2]["error_noiseless"]) == ("0.25", "", "0.125")
