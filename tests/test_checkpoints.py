"""Checkpoints that survive damage (agents/runlog/checkpoints.py, agents/checkpoint.py, agents/train.py): a
manifest with a SHA-256 per file, the previous checkpoint kept until the new one is verified,
``--resume`` falling back to the newest valid checkpoint and saying why, a clear error when none is
valid, a changed configuration refused, ``--episodes`` below the episodes done refused, and output
paths checked before any work."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil

import pytest

th = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from crlqas.agents import runlog
from crlqas.agents.config import TrainConfig
from crlqas.agents.runlog import (
    CheckpointInvalid,
    checkpoint_dirs,
    config_differences,
    find_checkpoint,
    verify_checkpoint,
    write_checkpoint,
)
from crlqas.agents.train import resume, train
from crlqas.cli import main
from crlqas.qnoise.errors import CrlqasError, InputFileError, OutputPathError, ValidationError

th.set_num_threads(1)
SEED = 5
TIME_COLUMNS = ("episode_time", "wall_time", "eval_time")


def small_config(episodes=6) -> dict:
    return {
        "name": "small",
        "env": {"problem": "h2-2q", "max_steps": 8, "optimizer": "cobyla", "optimizer_budget": 40},
        "agent": {
            "name": "dqn",
            "params": {
                "learning_starts": 8,
                "batch_size": 8,
                "buffer_size": 200,
                "target_update_interval": 10,
                "policy_kwargs": {"net_arch": [16]},
            },
        },
        "curriculum": {"kind": "fixed-schedule", "thresholds": [0.5, 0.2], "switch_episodes": [3, 100]},
        "run": {
            "episodes": episodes,
            "seeds": [SEED],
            "checkpoint_every": 2,
            "checkpoint_seconds": 0,
            "parallel": False,
            "eval_every": 2,
        },
    }


def rows(path):
    with open(path, newline="") as fh:
        return [{k: v for k, v in r.items() if k not in TIME_COLUMNS} for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 6-episode run (checkpoints ep2, ep4, ep6; ep4 and ep6 kept)."""
    out = tmp_path_factory.mktemp("base") / "run"
    train(TrainConfig.from_dict(small_config()), out, progress=False)
    return out


@pytest.fixture
def run(finished_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished_run, out)
    return out


def sdir(run):
    return run / f"seed_{SEED}"


def ckpt(run, episode):
    return sdir(run) / "checkpoints" / f"ep{episode:08d}"


# ---------------------------------------------------------------------------- writing
def test_manifest_checksums_and_rotation(run):
    s = sdir(run)
    assert [ep for ep, _ in checkpoint_dirs(s)] == [6, 4]
    manifest = json.loads((ckpt(run, 6) / "checkpoint.json").read_text())
    assert manifest["episode"] == 6 and manifest["format"] == runlog.CHECKPOINT_FORMAT
    assert set(manifest["files"]) == {"model.zip", "replay_buffer.pkl", "state.pkl"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == runlog.file_sha256(ckpt(run, 6) / name)
        assert entry["bytes"] == (ckpt(run, 6) / name).stat().st_size
    # the configuration the checkpoint was made with is the run's config.json
    config = json.loads((run / "config.json").read_text())
    assert manifest["config"] == config and manifest["config_sha256"] == runlog.config_sha256(config)
    assert verify_checkpoint(ckpt(run, 4))["episode"] == 4
    assert json.loads((s / "checkpoint.json").read_text())["dir"] == "checkpoints/ep00000006"


def test_when_checkpoints_are_taken_does_not_change_the_run(finished_run, tmp_path):
    data = small_config()
    data["run"].update(checkpoint_every=1)  # a checkpoint after every episode instead of every second one
    train(TrainConfig.from_dict(data), tmp_path / "run", progress=False)
    for name in ("progress.csv", "eval.csv"):
        assert rows(sdir(tmp_path / "run") / name) == rows(sdir(finished_run) / name)


def test_time_based_checkpoints_cost_at_most_a_share_of_the_time(tmp_path, monkeypatch):
    from crlqas.agents import callbacks
    from crlqas.agents.callbacks import MAX_CHECKPOINT_OVERHEAD, RunCallback

    now = [1000.0]
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: now[0])
    cb = RunCallback(tmp_path, episodes=100, checkpoint_every=50, checkpoint_seconds=10)
    now[0] += 60
    assert not cb.due()  # no episode has ended since the last checkpoint
    cb.episodes = 1
    assert cb.due()
    cb._ckpt_time, cb._ckpt_cost = now[0], 2.0  # a slow checkpoint: wait 2 / 5% = 40 s, not 10 s
    now[0] += 39
    assert not cb.due() and MAX_CHECKPOINT_OVERHEAD == 0.05
    now[0] += 1
    assert cb.due()
    cb.every_seconds = 0  # episodes only
    assert not cb.due()
    cb.episodes = 50
    assert cb.due()


def _files(content: bytes):
    def save(tmp):
        (tmp / "model.zip").write_bytes(content)
        (tmp / "state.pkl").write_bytes(content[::-1])

    return save


def test_the_previous_checkpoint_stays_until_the_new_one_is_verified(tmp_path, monkeypatch):
    write_checkpoint(tmp_path, 1, _files(b"one"))
    write_checkpoint(tmp_path, 2, _files(b"two"))
    (tmp_path / "checkpoints" / "ep00000003.abc.tmp").mkdir()  # a write that was killed
    real = runlog.verify_checkpoint

    def failing(path):
        if path.name == "ep00000003":
            raise CheckpointInvalid("model.zip checksum mismatch")
        return real(path)

    monkeypatch.setattr(runlog.checkpoints, "verify_checkpoint", failing)
    with pytest.raises(
        CrlqasError, match=r"failed verification right after it was written.*older checkpoints are kept"
    ):
        write_checkpoint(tmp_path, 3, _files(b"three"))
    # nothing older was deleted, the pointer still names the last verified checkpoint
    assert {ep for ep, _ in checkpoint_dirs(tmp_path)} == {1, 2, 3}
    assert json.loads((tmp_path / "checkpoint.json").read_text())["episode"] == 2
    monkeypatch.setattr(runlog.checkpoints, "verify_checkpoint", real)
    write_checkpoint(tmp_path, 4, _files(b"four"))
    # the previous complete checkpoint is kept, leftovers and later (abandoned) ones go
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["ep00000003", "ep00000004"]
    write_checkpoint(tmp_path, 2, _files(b"two again"))  # a run that resumed from an earlier one
    assert [ep for ep, _ in checkpoint_dirs(tmp_path)] == [2]
    with pytest.raises(ValueError, match="keep must be at least 2"):
        write_checkpoint(tmp_path, 5, _files(b"five"), keep=1)


def test_a_checkpoint_of_older_crlqas_is_accepted_unverified(tmp_path):
    d = tmp_path / "checkpoints" / "ep00000010"
    d.mkdir(parents=True)
    for name in ("model.zip", "state.pkl"):
        (d / name).write_bytes(b"x")
    with pytest.raises(CheckpointInvalid, match=r"checkpoint\.json missing"):
        verify_checkpoint(d)
    (tmp_path / "checkpoint.json").write_text(json.dumps({"episode": 10, "dir": "checkpoints/ep00000010"}))
    manifest, skipped = find_checkpoint(tmp_path)
    assert manifest["episode"] == 10 and not manifest["verified"] and skipped == []


# ---------------------------------------------------------------------------- damaged checkpoints
def _damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(os.urandom(len(data)))  # same size: only the checksum tells
    else:
        path.unlink()


REASONS = {
    ("truncated", "checkpoint.json"): "checkpoint.json unreadable",
    ("garbage", "checkpoint.json"): "checkpoint.json unreadable",
    ("deleted", "checkpoint.json"): "checkpoint.json missing",
    ("truncated", None): "{name} has \\d+ bytes, the manifest says \\d+",
    ("garbage", None): "{name} checksum mismatch",
    ("deleted", None): "{name} missing",
}


@pytest.mark.parametrize("how", ["truncated", "garbage", "deleted"])
@pytest.mark.parametrize("name", ["state.pkl", "model.zip", "replay_buffer.pkl", "checkpoint.json"])
def test_resume_falls_back_to_the_previous_checkpoint(run, name, how):
    before = rows(sdir(run) / "progress.csv")
    _damage(ckpt(run, 6) / name, how)
    reason = REASONS.get((how, name), REASONS[how, None]).format(name=name)
    warnings = []
    (summary,) = resume(run, progress=False, warn=warnings.append)
    assert len(warnings) == 1
    assert f"seed {SEED}: skipping damaged checkpoint ep00000006: " in warnings[0]
    assert "resuming from ep00000004" in warnings[0]
    assert re.search(reason, warnings[0]), warnings[0]
    assert summary["resumed_from"] == 4 and summary["episodes"] == 6
    assert len(summary["skipped_checkpoints"]) == 1 and re.search(reason, summary["skipped_checkpoints"][0])
    # episodes 5 and 6 trained again: the same rows; a valid ep6 replaces the damaged one
    assert rows(sdir(run) / "progress.csv") == before
    verify_checkpoint(ckpt(run, 6))


def test_the_command_line_warns_on_stderr(run, capsys):
    _damage(ckpt(run, 6) / "model.zip", "garbage")
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert (
        f"crlqas: warning: seed {SEED}: skipping damaged checkpoint ep00000006: model.zip checksum mismatch; "
        "resuming from ep00000004"
    ) in captured.err
    assert f"seed {SEED}: 6 episodes" in captured.out


def test_a_checkpoint_that_verifies_but_does_not_load_is_skipped(run, capsys):
    """Files intact by their checksums that the libraries cannot load (another version)."""
    d = ckpt(run, 6)
    (d / "model.zip").write_bytes(b"not a zip")
    manifest = json.loads((d / "checkpoint.json").read_text())
    manifest["files"]["model.zip"] = {"sha256": runlog.file_sha256(d / "model.zip"), "bytes": 9}
    (d / "checkpoint.json").write_text(json.dumps(manifest))
    (summary,) = resume(run, progress=False)
    assert summary["resumed_from"] == 4
    assert summary["skipped_checkpoints"][0].startswith("ep00000006: cannot be loaded")
    err = capsys.readouterr().err
    assert f"crlqas: warning: seed {SEED}: skipping checkpoint ep00000006: cannot be loaded" in err
    assert "resuming from ep00000004" in err


def test_a_damaged_pointer_does_not_matter(run):
    (sdir(run) / "checkpoint.json").write_text('{"episode": 6, "di')
    warnings = []
    (summary,) = resume(run, progress=False, warn=warnings.append)
    assert warnings == [] and summary["resumed_from"] == 6


def test_no_valid_checkpoint_is_a_clear_error(run, capsys):
    _damage(ckpt(run, 6) / "model.zip", "garbage")
    _damage(ckpt(run, 4) / "state.pkl", "deleted")
    before = (sdir(run) / "progress.csv").read_text()
    message = (
        f"no valid checkpoint in {sdir(run) / 'checkpoints'}: ep00000006: model.zip checksum mismatch; "
        "ep00000004: state.pkl missing"
    )
    with pytest.raises(CrlqasError) as err:
        resume(run, progress=False)
    assert message in str(err.value)
    assert main(["train", "--resume", str(run), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert f"crlqas: error: {message}" in captured.err and "Traceback" not in captured.err
    assert (sdir(run) / "progress.csv").read_text() == before  # nothing touched


# ---------------------------------------------------------------------------- configuration
def test_a_changed_configuration_is_refused_with_the_keys(run, capsys):
    cfg_path = run / "config.json"
    config = json.loads(cfg_path.read_text())
    config["env"]["problem"] = "h2-3q"
    config["agent"]["params"]["policy_kwargs"]["net_arch"] = [32, 32]
    config["run"]["episodes"] = 8  # may change, like --episodes
    cfg_path.write_text(json.dumps(config))
    before = (sdir(run) / "progress.csv").read_text()
    with pytest.raises(ValidationError) as err:
        resume(run, progress=False)
    text = str(err.value)
    assert "env.problem: 'h2-2q' -> 'h2-3q'" in text
    assert "agent.params.policy_kwargs.net_arch: [16] -> [32, 32]" in text
    assert "run.episodes" not in text.split("(checkpoint -> now)")[1].split(".  ")[0]
    assert main(["train", "--resume", str(run), "--no-progress"]) == 2
    err_text = capsys.readouterr().err
    assert "env.problem" in err_text and "Traceback" not in err_text
    assert (sdir(run) / "progress.csv").read_text() == before


def test_config_differences_are_dotted_paths():
    old = {"env": {"problem": "a", "shots": 1}, "agent": {"params": {"lr": 1}}, "run": {"episodes": 3}}
    new = {"env": {"problem": "b"}, "agent": {"params": {"lr": 1, "gamma": 0.9}}, "run": {"episodes": 9}}
    assert config_differences(old, new) == [
        "agent.params.gamma: (not set) -> 0.9",
        "env.problem: 'a' -> 'b'",
        "env.shots: 1 -> (not set)",
    ]


def test_episodes_only_may_change_on_resume(run):
    config = json.loads((run / "config.json").read_text())
    config["run"].update(episodes=7, checkpoint_every=1, checkpoint_seconds=5, parallel=True, max_seconds=100)
    (run / "config.json").write_text(json.dumps(config))
    (summary,) = resume(run, progress=False)
    assert summary["episodes"] == 7 and summary["resumed_from"] == 6


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"name": "small", "env": {"prob', r"config\.json' is not valid JSON"),
        ("[]", "must hold a JSON object"),
        ('{"env": {"problem": "h2-2q"}, "run": {"episodes": -1}}', r"config\.json': \[run\] episodes"),
    ],
)
def test_a_damaged_run_configuration_names_the_file(run, content, message):
    (run / "config.json").write_text(content)
    with pytest.raises(ValidationError, match=message):
        resume(run, progress=False)


# ---------------------------------------------------------------------------- --episodes
def test_episodes_below_those_done_are_refused(run, capsys):
    before = {f: (sdir(run) / f).read_text() for f in ("progress.csv", "eval.csv")}
    config = (run / "config.json").read_text()
    with pytest.raises(ValidationError, match=r"already done 6 episodes \(seed 5\); --episodes must be at least 6"):
        resume(run, episodes=4, progress=False)
    assert main(["train", "--resume", str(run), "--episodes", "3", "--no-progress"]) == 2
    assert "already done 6 episodes" in capsys.readouterr().err
    assert {f: (sdir(run) / f).read_text() for f in before} == before
    assert (run / "config.json").read_text() == config
    (summary,) = resume(run, episodes=6, progress=False)  # as many as done: nothing to train, nothing cut
    assert summary["episodes"] == 6 and len(rows(sdir(run) / "progress.csv")) == 6


# ---------------------------------------------------------------------------- output paths
def _cli_train(capsys, out, config_file):
    code = main(["train", "--config", str(config_file), "--out", str(out), "--no-progress"])
    return code, capsys.readouterr().err


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_config()))
    return path


def test_out_that_is_a_file_fails_up_front(tmp_path, capsys, config_file):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for out, message in [
        (afile, f"run directory {str(afile)!r} is a file; give a directory"),
        (afile / "sub", f"{str(afile)!r} is a file, not a directory"),
    ]:
        code, err = _cli_train(capsys, out, config_file)
        assert code == 2 and message in err and "Traceback" not in err, err
    assert afile.read_text() == "keep me"
    with pytest.raises(OutputPathError):
        train(TrainConfig.from_dict(small_config()), afile, progress=False)


def test_out_that_holds_other_files_or_a_run_fails_up_front(tmp_path, capsys, config_file, run):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    code, err = _cli_train(capsys, other, config_file)
    assert code == 2 and "is not empty (notes.txt) and holds no run to resume" in err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    before = (sdir(run) / "progress.csv").read_text()
    code, err = _cli_train(capsys, run, config_file)
    assert code == 2 and f"already holds a run; use --resume {run}" in err
    assert (sdir(run) / "progress.csv").read_text() == before


def test_resume_of_a_file_or_a_missing_directory(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["train", "--resume", str(afile), "--no-progress"]) == 2
    assert "is a file; give a run directory" in capsys.readouterr().err
    with pytest.raises(InputFileError, match="does not exist"):
        resume(tmp_path / "missing", progress=False)
    with pytest.raises(InputFileError, match=r"not a run directory \(no config\.json\)"):
        resume(tmp_path, progress=False)


def test_a_run_made_before_prioritized_replay_existed_resumes_as_it_was_made(run):
    """Runs of older crlqas recorded no ``prioritized_replay``: they resume with uniform replay (the
    setting's value then), not with today's default, and compare equal to their checkpoints."""
    from crlqas.agents.runlog import config_sha256
    from crlqas.agents.train import load_run_config

    def strip(config):  # a cpu-profile run (today's default there: prioritised replay) of older crlqas
        config["agent"]["params"].pop("prioritized_replay", None)
        config["agent"]["profile"] = "cpu"
        return config

    cfg_path = run / "config.json"
    cfg_path.write_text(json.dumps(strip(json.loads(cfg_path.read_text()))))
    for manifest_path in (sdir(run) / "checkpoints").glob("*/checkpoint.json"):
        manifest = json.loads(manifest_path.read_text())
        manifest["config"] = strip(manifest["config"])
        manifest["config_sha256"] = config_sha256(manifest["config"])
        manifest_path.write_text(json.dumps(manifest))
    cfg, _ = load_run_config(run)
    assert cfg.agent_params()["prioritized_replay"] is False
    (summary,) = resume(run, episodes=8, progress=False)
    assert summary["episodes"] == 8 and summary["resumed_from"] == 6
