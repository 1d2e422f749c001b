"""crlqas experiment: suites (validation, expansion), trials on Ray (the smoke suite end to end, a
worker killed mid-trial, a driver killed and resumed), the table and the CLI's error paths.

The Ray tests share one local Ray session (2 CPUs); the driver-kill test starts its own driver in
a subprocess.  The agent runs with tiny budgets (20-40 episodes of at most 8 gates)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crlqas.agents.experiments import experiment_status, list_suites, load_suite, run_experiment
from crlqas.agents.experiments.execute import read_status, trial_dir
from crlqas.agents.experiments.suite import parse_suite
from crlqas.agents.experiments.table import SUMMARY_COLUMNS, TRIAL_COLUMNS
from crlqas.cli import main
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.results import ResultRecord

METHODS_FILE = Path(__file__).resolve().parent / "experiment_methods.py"

# the agent at the smoke suite's tiny size
TINY_AGENT = """
[set.agent]
profile = "cpu"
device = "cpu"
[set.agent.params]
learning_starts = 30
batch_size = 16
[set.env]
max_steps = 8
halting = "off"
optimizer_budget = 60
[set.run]
episodes = {episodes}
checkpoint_every = 5
"""


def write_suite(path: Path, body: str, episodes: int | None = 20) -> Path:
    """A suite file: the metric, the method ``fixed`` (tests/experiment_methods.py), ``body`` and
    (``episodes`` not None) the tiny agent's settings."""
    text = f'metric = "noiseless"\nmethods = {{ fixed = "{METHODS_FILE}:fixed_ansatz" }}\n' + body
    if episodes is not None:
        text += TINY_AGENT.format(episodes=episodes)
    path.write_text(text)
    return path


def comparable(record: dict) -> dict:
    """A record without its wall-clock figures."""
    extra = {k: v for k, v in record["extra"].items() if "time" not in k}
    return {**{k: v for k, v in record.items() if k != "wall_time"}, "extra": extra}


# ---------------------------------------------------------------------------- suites (no Ray)
def test_shipped_suites_load_and_expand():
    assert {"smoke", "paper-noiseless", "paper-noisy"} <= set(list_suites())
    smoke = load_suite("smoke")
    trials = smoke.trials()
    assert [t.id for t in trials] == [
        "h2-2q_none_agent_s100",
        "h2-2q_none_agent_s101",
        "h2-2q_none_hea_s100",
        "h2-2q_none_hea_s101",
    ]
    agent = trials[0]
    assert agent.config["run"]["seeds"] == [100] and agent.config["env"]["max_steps"] == 8
    assert agent.config["env"]["success_metric"] == "noiseless" and agent.config["agent"]["profile"] == "cpu"
    # the baseline optimises like the agent's env of the setting (Rotosolve, 60 evaluations per optimisation)
    assert trials[2].options == {
        "budget": 300,
        "optimizer": "rotosolve",
        "optimizer_budget": 60,
        "optimizer_options": {"tol": 1e-5},
        "shots": None,
    }
    assert trials[2].config == {}
    scaled = smoke.with_overrides([("run.episodes", 500), ("hea.budget", 10)]).trials()
    assert scaled[0].config["run"]["episodes"] == 500 and scaled[2].options["budget"] == 10
    # another curriculum kind replaces the preset's table (its options would not fit the new kind)
    paper = load_suite("paper-noiseless").with_overrides([("curriculum.kind", "paper")]).trials()
    agent = next(t for t in paper if t.method == "agent")
    assert agent.config["curriculum"] == {"kind": "paper"}
    # env.optimizer=paper: each problem's own (three-stage SPSA with LiH-4q's values, COBYLA for H2)
    inner = load_suite("paper-noiseless").with_overrides([("env.optimizer", "paper")]).trials()
    envs = {t.problem: t.config["env"] for t in inner if t.method == "agent"}
    assert (envs["lih-4q-3.4"]["optimizer"], envs["lih-4q-3.4"]["optimizer_options"]) == ("spsa3", {"preset": "lih-4q"})
    assert (envs["h2-2q"]["optimizer"], envs["h2-2q"]["optimizer_budget"]) == ("cobyla", 300)
    hea = next(t for t in inner if t.method == "hea" and t.problem == "lih-6q-2.2")
    assert (hea.options["optimizer"], hea.options["optimizer_options"]) == ("spsa3", {"preset": "lih-6q"})
    noisy = load_suite("paper-noisy").trials()
    assert {(t.problem, t.noise) for t in noisy} >= {("h2-2q", "mumbai-10max"), ("lih-4q-3.4", "depol-1e-3")}
    assert len(load_suite("paper-noiseless").trials()) > 0


def test_expansion_order_overrides_and_resources(tmp_path):
    suite = load_suite(
        write_suite(
            tmp_path / "grid.toml",
            """
seeds = [1, 2]
cpus = 2
[set.run]
episodes = 7
[[grid]]
presets = ["h2-2q"]
noise = ["noiseless", "depol-1e-3"]
methods = ["agent", "fixed"]
set = { fixed = { sleep = 0.5 }, run = { episodes = 9 } }
[grid.variants.base]
[grid.variants.short]
run = { episodes = 3 }
fixed = { sleep = 0.0 }
""",
            episodes=None,
        )
    )
    trials = suite.trials()
    assert len(trials) == 2 * 2 * 2 * 2  # noise x variants x methods x seeds
    by_id = {t.id: t for t in trials}
    assert by_id["h2-2q_depol-1e-3_agent_short_s2"].config["run"]["episodes"] == 3  # variant over grid over suite
    assert by_id["h2-2q_none_agent_base_s1"].config["run"]["episodes"] == 9
    assert by_id["h2-2q_none_fixed_base_s1"].options == {"sleep": 0.5}
    assert by_id["h2-2q_none_fixed_short_s1"].options == {"sleep": 0.0}
    assert by_id["h2-2q_depol-1e-3_agent_base_s1"].config["env"]["noise"] == "depol-1e-3"
    assert all(t.cpus == 2 and t.gpus == 0 for t in trials)
    cuda = parse_suite({"grid": [{"presets": ["h2-2q"], "methods": ["agent"]}], "set": {"agent": {"device": "cuda"}}})
    assert cuda.trials()[0].gpus == 1


BAD_SUITES = [
    (
        {"grid": [{"presets": ["h2-2q"], "methods": ["agent"]}], "metrik": "noisy"},
        "unknown key(s) 'metrik' (did you mean 'metric'?)",
    ),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["agnet"]}]}, "unknown method 'agnet' (did you mean 'agent'?)"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["agent"]}], "metric": "exact"}, "metric must be one of"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["agent"]}], "seeds": [1, 1]}, "seeds must be distinct"),
    ({"grid": [{"presets": ["h2-9q"], "methods": ["agent"]}]}, "unknown preset 'h2-9q'"),
    ({"grid": []}, "at least one [[grid]]"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["hea"]}], "set": {"env": {"max_stepz": 3}}}, "max_stepz"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["agent"], "noise": ["mumbai-mediam"]}]}, "mumbai-mediam"),
    ({"grid": [{"presets": ["h2-2q", "h2-2q-mumbai-median"], "methods": ["hea"], "noise": ["none"]}]}, "also given by"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["agent"]}], "retries": -1}, "retries must be an integer >= 0"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["hea"]}], "set": {"hea": {"layer": 2}}}, "(did you mean 'layers'?)"),
    ({"grid": [{"presets": ["h2-2q"], "methods": ["random"]}], "set": {"random": {"noise": "x"}}}, "option 'noise'"),
]


@pytest.mark.parametrize(("data", "message"), BAD_SUITES)
def test_bad_suites_name_the_file(tmp_path, data, message):
    with pytest.raises(ValidationError) as info:
        parse_suite(data, path=str(tmp_path / "bad.toml")).trials()
    assert "bad.toml" in str(info.value) and message in str(info.value)


def test_cli_error_paths(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[grid]]\npresets = ["h2-2q"]\nmethods = ["agent"]\nbogus = 1\n')
    cases = [
        (["experiment", "run", str(bad), "--out", str(tmp_path / "x")], "bad.toml"),
        (["experiment", "run", str(tmp_path / "missing.toml")], "does not exist"),
        (["experiment", "run", "smok"], "did you mean 'smoke'"),
        (["experiment", "run", "--resume"], "give --out"),
        (["experiment", "run"], "give a suite"),
        (["experiment", "table", str(tmp_path)], "not an experiment directory"),
        (["experiment", "status", str(tmp_path / "nowhere")], "does not exist"),
    ]
    (tmp_path / "notes.txt").write_text("x")
    cases.append((["experiment", "run", "smoke", "--out", str(tmp_path)], "not empty"))
    cases.append(
        (["experiment", "run", "smoke", "--address", "auto", "--cpus", "2", "--out", str(tmp_path / "y")], "--cpus")
    )
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("crlqas: error: ") and message in err, (argv, err)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_ray_only_in_the_experiment_runner():
    """Nothing imports Ray but a run: the experiment layer, ``table``/``status`` and the parser stay
    Ray-free (and the parser torch-free)."""
    code = (
        "import sys, crlqas.cli as c; c.build_parser(); assert 'torch' not in sys.modules; "
        "import crlqas.agents.experiments, crlqas.agents.experiments.table; assert 'ray' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- on Ray
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray session (2 CPUs) for this module's runs."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()


def test_smoke_suite_end_to_end(ray_session, tmp_path, capsys):
    out = tmp_path / "smoke"
    assert main(["experiment", "run", "smoke", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "done h2-2q_none_hea_s101" in captured.err and "4/4 done" in captured.err
    assert "| h2-2q | none | agent |" in captured.out
    records = {}
    for t in load_suite("smoke").trials():
        records[t.id] = ResultRecord.read_json(trial_dir(out, t.id) / "result.json")
        assert read_status(trial_dir(out, t.id))["attempt"] == 1
    assert records["h2-2q_none_agent_s100"].method == "agent:dqn/cpu"
    # the table from the files: one row per trial, one aggregate per setting, computed here again
    assert main(["experiment", "table", str(out), "--json", "--no-plots"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert [r["trial"] for r in table["trials"]] == list(records)
    assert set(table["trials"][0]) == set(TRIAL_COLUMNS) and set(table["summary"][0]) == set(SUMMARY_COLUMNS)
    for agg in table["summary"]:
        mine = [r for k, r in records.items() if f"_{agg['method']}_" in k]
        errors = [abs(r.errors["noiseless"]) for r in mine]
        assert agg["done"] == agg["trials"] == 2 and agg["failed"] == 0
        assert agg["error_median"] == pytest.approx(statistics.median(errors))
        assert agg["error_best"] == min(errors)
        assert agg["success"] == sum(e <= 1.6e-3 for e in errors) / 2
        best = min(mine, key=lambda r: (abs(r.errors["noiseless"]), r.num_cnots, r.num_gates))
        assert (agg["best_num_gates"], agg["best_num_cnots"]) == (best.num_gates, best.num_cnots)
        assert agg["wall_time_total"] == pytest.approx(sum(r.wall_time for r in mine))
    for name in ("trials.csv", "summary.csv", "trials.json", "summary.json", "table.md", "error_vs_time.png"):
        assert (out / "table" / name).stat().st_size > 0
    assert main(["experiment", "table", str(out), "--csv", "--trials", "--no-plots"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",") == list(TRIAL_COLUMNS) and len(lines) == 5
    assert main(["experiment", "status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 trials, 4 done, 0 running, 0 failed" in text and "driver: finished" in text
    # a second run of a finished experiment runs nothing
    before = {k: (trial_dir(out, k) / "result.json").stat().st_mtime_ns for k in records}
    assert run_experiment(None, out, resume=True, progress=False)["done"] == 4
    assert before == {k: (trial_dir(out, k) / "result.json").stat().st_mtime_ns for k in records}


def test_failed_trial_is_recorded_and_rerun_on_resume(ray_session, tmp_path, capsys):
    path = write_suite(
        tmp_path / "fail.toml",
        """
seeds = [5]
[[grid]]
presets = ["h2-2q"]
methods = ["fixed"]
[grid.variants.ok]
[grid.variants.bad]
fixed = { fail = true }
""",
    )
    out = tmp_path / "exp"
    assert main(["experiment", "run", str(path), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "1 trial(s) failed: h2-2q_none_fixed_bad_s5" in err
    error = json.loads((trial_dir(out, "h2-2q_none_fixed_bad_s5") / "error.json").read_text())
    assert error["type"] == "ValidationError" and "told to fail" in error["message"] and error["traceback"]
    status = experiment_status(out)
    assert (status["done"], status["failed"]) == (1, 1)
    ok = trial_dir(out, "h2-2q_none_fixed_ok_s5") / "result.json"
    mtime = ok.stat().st_mtime_ns
    assert run_experiment(load_suite(path), out, resume=True, progress=False)["failed"] == 1
    assert ok.stat().st_mtime_ns == mtime  # finished: not run again
    assert read_status(trial_dir(out, "h2-2q_none_fixed_bad_s5"))["attempt"] == 2
    other = write_suite(tmp_path / "other.toml", '[[grid]]\npresets = ["h2-2q"]\nmethods = ["fixed"]\n')
    with pytest.raises(ValidationError, match="does not match the experiment"):
        run_experiment(load_suite(other), out, resume=True, progress=False)


def _kill_after_checkpoint(tdir: Path, seed: int, stop: threading.Event, killed: list, pid_of=None, ready=None):
    """Watch a running agent trial; once it has a checkpoint (and ``ready()``), SIGKILL its worker
    (or ``pid_of()``)."""
    from crlqas.agents.runlog import read_manifest

    while not stop.is_set():
        status = read_status(tdir) or {}
        manifest = read_manifest(tdir / "run" / f"seed_{seed}")
        running = status.get("state") == "running" and manifest is not None and manifest["episode"] >= 5
        if running and (ready is None or ready()):
            pid = pid_of() if pid_of else status["pid"]
            os.kill(pid, signal.SIGKILL)
            killed.append(manifest["episode"])
            return
        time.sleep(0.02)


def test_killed_worker_resumes_trial_from_its_checkpoint(ray_session, tmp_path):
    """Two identical agent trials run side by side; one's worker is SIGKILLed after its first
    checkpoint. Ray runs it again, it resumes from the checkpoint and ends with the same record."""
    path = write_suite(
        tmp_path / "kill.toml",
        "seeds = [100]\n[[grid]]\npresets = ['h2-2q']\nmethods = ['agent']\n"
        "[grid.variants.killed]\n[grid.variants.whole]\n",
        episodes=30,
    )
    out = tmp_path / "exp"
    killed_dir = trial_dir(out, "h2-2q_none_agent_killed_s100")
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=_kill_after_checkpoint, args=(killed_dir, 100, stop, killed), daemon=True)
    watcher.start()
    try:
        result = run_experiment(load_suite(path), out, progress=False, tables=False)
    finally:
        stop.set()
        watcher.join()
    assert killed, "the trial ended before its worker could be killed"
    assert result["done"] == 2 and result["failed"] == 0
    status = read_status(killed_dir)
    assert status["attempt"] == 2 and status["resumed_from"] >= killed[0]
    summary = json.loads((killed_dir / "run" / "seed_100" / "summary.json").read_text())
    assert summary["resumed_from"] == status["resumed_from"] and summary["episodes"] == 30
    a = json.loads((killed_dir / "result.json").read_text())
    b = json.loads((trial_dir(out, "h2-2q_none_agent_whole_s100") / "result.json").read_text())
    assert comparable(a) == comparable(b)


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def test_killed_driver_resumes_without_rerunning_finished_trials(ray_session, tmp_path):
    path = write_suite(
        tmp_path / "driver.toml",
        "seeds = [100]\n[[grid]]\npresets = ['h2-2q']\nmethods = ['fixed', 'agent']\n",
        episodes=40,
    )
    out = tmp_path / "exp"
    cmd = [sys.executable, "-m", "crlqas", "experiment", "run", str(path), "--out", str(out), "--cpus", "2"]
    driver = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    agent_dir = trial_dir(out, "h2-2q_none_agent_s100")
    fixed_result = trial_dir(out, "h2-2q_none_fixed_s100") / "result.json"
    stop, killed = threading.Event(), []
    watcher = threading.Thread(
        target=_kill_after_checkpoint,
        args=(agent_dir, 100, stop, killed, lambda: driver.pid, fixed_result.exists),
        daemon=True,
    )
    watcher.start()
    try:
        watcher.join(timeout=120)
    finally:
        stop.set()
        if driver.poll() is None and not killed:
            driver.kill()
        driver.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)  # the Ray processes the driver started (its session)
    stderr = driver.stderr.read().decode()
    driver.stderr.close()
    assert killed, stderr
    with contextlib.suppress(ProcessLookupError):  # the whole machine stops: the trial's worker too
        os.kill(read_status(agent_dir)["pid"], signal.SIGKILL)
    _wait_gone(read_status(agent_dir)["pid"])
    assert fixed_result.exists()  # finished before the kill
    mtime = fixed_result.stat().st_mtime_ns
    status = experiment_status(out)
    assert status["driver"] == "stopped" and status["interrupted"] == 1 and status["done"] == 1
    result = run_experiment(None, out, resume=True, progress=False)
    assert result["done"] == 2 and result["failed"] == 0
    assert fixed_result.stat().st_mtime_ns == mtime and read_status(fixed_result.parent)["attempt"] == 1
    agent = read_status(agent_dir)
    assert agent["attempt"] == 2 and agent["resumed_from"] >= killed[0]
    assert experiment_status(out)["driver"] == "finished"
