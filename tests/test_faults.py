"""Nothing a user produced is lost when training is killed: ``crlqas train`` runs in a subprocess,
is killed with SIGKILL at random moments (during an episode, a log write or a checkpoint write),
resumed with ``crlqas train --resume`` each time, and ends with the same episode log as an
uninterrupted run of the same seed."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from crlqas.agents.runlog import checkpoint_dirs
from crlqas.cli import main

SEED = 100
EPISODES = 30
KILLS = 3
TIME_COLUMNS = ("episode_time", "wall_time")
CLI = "import sys; from crlqas.cli import main; sys.exit(main(sys.argv[1:]))"


def fault_config() -> dict:
    """The h2-2q preset, cpu profile, sized to take a few seconds: a small replay buffer, learning
    from the 20th transition (so checkpoints hold a trained network and optimizer), a checkpoint
    every 2 episodes."""
    from crlqas.agents.presets import load_preset

    data = load_preset("h2-2q").with_profile("cpu").to_dict(resolved=False)
    data["agent"]["params"] = {"buffer_size": 1000, "learning_starts": 20}
    data["run"].update(episodes=EPISODES, seeds=[SEED], checkpoint_every=2, checkpoint_seconds=0, parallel=False)
    return data


def rows(path):
    with open(path, newline="") as fh:
        return [{k: v for k, v in r.items() if k not in TIME_COLUMNS} for r in csv.DictReader(fh)]


def records(seed_dir):
    return {
        p.name: {k: v for k, v in json.loads(p.read_text()).items() if k != "wall_time"}
        for p in sorted((seed_dir / "best").glob("*.json"))
    }


def newest(seed_dir) -> int:
    found = checkpoint_dirs(seed_dir)
    return found[0][0] if found else 0


def start(args, stderr):
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "train", *args, "--no-progress"], stdout=subprocess.DEVNULL, stderr=stderr
    )


def kill_after_progress(proc, seed_dir, done: int, delay: float, deadline: float) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds after it has written a checkpoint beyond episode ``done``;
    False when it finished first."""
    while newest(seed_dir) <= done:
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    time.sleep(delay)
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def test_killed_and_resumed_run_matches_an_uninterrupted_one(tmp_path, capsys):
    seed = int(os.environ.get("CRLQAS_FAULT_SEED", random.randrange(2**31)))
    rng = random.Random(seed)
    note = f"(CRLQAS_FAULT_SEED={seed} reproduces the kill times)"
    config = tmp_path / "faults.json"
    config.write_text(json.dumps(fault_config()))

    ref = tmp_path / "uninterrupted"
    assert main(["train", "--config", str(config), "--out", str(ref), "--no-progress"]) == 0
    capsys.readouterr()

    run = tmp_path / "killed"
    sdir = run / f"seed_{SEED}"
    deadline = time.monotonic() + 240
    stderr = tmp_path / "stderr.txt"
    with open(stderr, "w") as err_file:
        proc = start(["--config", str(config), "--out", str(run)], err_file)
        try:
            kills, log = 0, []
            for _ in range(KILLS):
                done = newest(sdir)
                delay = rng.uniform(0.0, 1.5)
                if not kill_after_progress(proc, sdir, done, delay, deadline):
                    break
                kills += 1
                log.append(f"killed {delay:.2f} s after the checkpoint of episode {newest(sdir)} existed")
                proc = start(["--resume", str(run)], err_file)
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:  # the test failed or timed out: leave no process behind
                proc.kill()
                proc.wait()
    err = stderr.read_text()
    assert proc.returncode == 0, f"{note} {log}: {err}"
    assert "Traceback" not in err, err
    assert kills >= 1, f"{note}: the run finished before the first kill"

    assert rows(sdir / "progress.csv") == rows(ref / f"seed_{SEED}" / "progress.csv"), f"{note} {log}"
    assert len(rows(sdir / "progress.csv")) == EPISODES
    assert records(sdir) == records(ref / f"seed_{SEED}"), note
    summary = json.loads((sdir / "summary.json").read_text())
    assert summary["episodes"] == EPISODES and summary["skipped_checkpoints"] == []
