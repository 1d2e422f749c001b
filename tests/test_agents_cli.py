"""CLI smoke tests: ``crlqas train`` (config and resume), ``crlqas report``, with tiny budgets."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from crlqas.cli import main

TINY = """
name = "tiny"
[env]
problem = "h2-2q"
max_steps = 10
optimizer = "cobyla"
optimizer_budget = 40
[agent]
name = "dqn"
[agent.params]
learning_starts = 20
batch_size = 8
buffer_size = 200
policy_kwargs = { net_arch = [16] }
[curriculum]
kind = "fixed-schedule"
thresholds = [0.5, 0.2]
switch_episodes = [3, 100]
[run]
episodes = 6
seeds = [1]
checkpoint_every = 3
parallel = false
"""


def test_train_resume_report(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "seed 1: 6 episodes" in text and "OPENQASM 2.0;" in text
    assert (
        json.loads((out / "config.json").read_text())["agent"]["params"]["gamma"] == 0.59
    )  # round(0.005 ** (1 / 10), 2)
    # extend the finished run by 3 episodes from its last checkpoint
    assert main(["train", "--resume", str(out), "--episodes", "9", "--no-progress"]) == 0
    assert "seed 1: 9 episodes" in capsys.readouterr().out
    assert main(["report", str(out), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["seeds"][0]["episodes"] == 9 and s["seeds"][0]["best_error"] is not None
    assert all(p.endswith(".png") and (tmp_path / p).exists() for p in s["plots"])
    assert main(["report", str(out), "--no-plots"]) == 0
    assert "best |err|" in capsys.readouterr().out


def test_train_profile_and_stop_flags(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY.replace("episodes = 6", "episodes = 2"))
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--config",
                str(cfg),
                "--out",
                str(out),
                "--no-progress",
                "--profile",
                "cpu",
                "--curriculum",
                "paper",
                "--stop-on-success",
                "3",
                "--max-seconds",
                "600",
            ]
        )
        == 0
    )
    saved = json.loads((out / "config.json").read_text())
    assert saved["agent"]["profile"] == "cpu" and saved["agent"]["params"]["batch_size"] == 8  # file wins
    assert saved["agent"]["params"]["exploration_decay"] == 0.999
    assert saved["curriculum"] == {"kind": "paper"}  # the problem's paper settings
    assert (saved["run"]["eval_every"], saved["run"]["stop_after_success"], saved["run"]["max_seconds"]) == (
        5,
        3,
        600.0,
    )
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--profile", "cpu"]) == 2
    assert "do not combine it" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--curriculum", "paper"]) == 2
    assert "--curriculum" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--paper"]) == 2
    assert "--paper" in capsys.readouterr().err


def test_train_paper_switches(tmp_path, capsys):
    """--paper is the paper's agent, curriculum and inner optimiser; --inner-optimizer paper alone
    changes only the optimiser."""
    out = tmp_path / "run"
    args = ["train", "--preset", "h2-2q", "--episodes", "1", "--no-progress", "--seed", "3"]
    assert main([*args, "--out", str(out), "--paper"]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["agent"]["profile"] == "paper" and saved["curriculum"]["kind"] == "paper"
    assert (saved["env"]["optimizer"], saved["env"]["optimizer_budget"]) == ("cobyla", 300)
    assert main([*args, "--out", str(tmp_path / "inner"), "--inner-optimizer", "paper"]) == 0
    saved = json.loads((tmp_path / "inner" / "config.json").read_text())
    assert saved["env"]["optimizer"] == "cobyla" and saved["agent"]["profile"] == "cpu"
    assert saved["curriculum"]["kind"] == "ranked"
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "x"), "--paper", "--profile", "cpu"]) == 2
    assert "--paper means" in capsys.readouterr().err


def test_train_errors(tmp_path, capsys):
    assert main(["train", "--preset", "h2-2qq"]) == 2
    assert "did you mean 'h2-2q'" in capsys.readouterr().err
    assert main(["train"]) == 2
    assert "give --config" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[env]\nproblem = 'h2-2q'\n[agent]\nname = 'dqn'\n[agent.params]\nbatch = 3\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "did you mean 'batch_size'" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert main(["train", "--list-presets"]) == 0
    assert "lih-4q-depol" in capsys.readouterr().out
