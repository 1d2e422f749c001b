"""Throughput (issue 13): several environments per seed (``[run] n_envs``, ``--n-envs``: a
SubprocVecEnv feeding one agent, the curriculum and the episode log seeing every episode once,
checkpoints and resume exact), the agent's torch device (``[agent] device``, ``--device``), the
masks of several envs without extra env calls, and replay-buffer checkpoints of the filled part
only.  Speed itself is measured in ``bench/bench_train.py --n-envs 1,2`` (no timed tests)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

th = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from test_agents_train import _Crash, _rows, tiny_config

from crlqas.agents.config import DEVICES, TrainConfig, resolve_device
from crlqas.agents.runlog import RESUME_MAY_CHANGE, config_differences
from crlqas.agents.train import resume, train, train_seed
from crlqas.agents.vecenv import make_vec_env
from crlqas.cli import main
from crlqas.qnoise.errors import ValidationError

th.set_num_threads(1)
CUDA = th.cuda.is_available()


def two_env_config(episodes=12, checkpoint_every=4, agent="dqn") -> dict:
    data = tiny_config(episodes=episodes, checkpoint_every=checkpoint_every, agent=agent)
    data["run"].update(n_envs=2, eval_every=4)
    # learning (and greedy evaluations) from the first episodes; PPO rollouts of 2 x 8 steps
    data["agent"]["params"].update({"learning_starts": 8} if agent == "dqn" else {"n_steps": 8, "batch_size": 8})
    return data


def checkpoint_state(seed_dir) -> dict:
    """``state.pkl`` of the seed's latest checkpoint."""
    latest = json.loads((seed_dir / "checkpoint.json").read_text())["dir"]
    return pickle.loads((seed_dir / latest / "state.pkl").read_bytes())


# ---------------------------------------------------------------------------- configuration
@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_n_envs_must_be_an_integer_of_at_least_one(bad):
    data = tiny_config()
    data["run"]["n_envs"] = bad
    with pytest.raises(ValidationError, match=r"\[run\] n_envs \(environments per seed\) must be an integer >= 1"):
        TrainConfig.from_dict(data)


def test_device_values_and_resolution(monkeypatch):
    data = tiny_config()
    data["agent"]["device"] = "gpu"
    with pytest.raises(ValidationError, match=r"\[agent\] device must be one of 'auto', 'cpu', 'cuda'; got 'gpu'"):
        TrainConfig.from_dict(data)
    data["agent"].pop("device")
    data["agent"]["params"]["device"] = "cpu"
    with pytest.raises(ValidationError, match=r"set the device in \[agent\]"):
        TrainConfig.from_dict(data)
    cfg = TrainConfig.from_dict(tiny_config())
    assert cfg.agent.device == "auto" and cfg.to_dict()["agent"]["device"] == "auto"
    assert cfg.to_dict()["run"]["n_envs"] == 1
    assert DEVICES == ("auto", "cpu", "cuda") and "agent.device" in RESUME_MAY_CHANGE
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if CUDA else "cpu")
    monkeypatch.setattr(th.cuda, "is_available", lambda: True)  # a machine with CUDA
    assert resolve_device("auto") == resolve_device("cuda") == "cuda" and resolve_device("cpu") == "cpu"


@pytest.mark.skipif(CUDA, reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_clear_error_before_any_work(tmp_path, capsys):
    with pytest.raises(ValidationError, match=r"device = 'cuda' but torch.cuda.is_available\(\) is False"):
        resolve_device("cuda")
    cfg = TrainConfig.from_dict(tiny_config()).with_device("cuda")
    with pytest.raises(ValidationError, match="use device = 'auto' or 'cpu'"):
        train(cfg, tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(tiny_config()))
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "r"), "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "crlqas: error:" in err and "Traceback" not in err and "--device cpu" in err


def test_command_line_options(tmp_path, capsys):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(tiny_config(episodes=2)))
    for bad in (["--n-envs", "0"], ["--device", "gpu"]):
        assert main(["train", "--config", str(config), "--out", str(tmp_path / "x"), *bad]) == 2
        assert bad[0] in capsys.readouterr().err
    out = tmp_path / "run"
    assert main(["train", "--config", str(config), "--out", str(out), "--device", "cpu", "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("training tiny: seed 7, 2 episodes, agent dqn") and "on cpu" in first
    assert "1 env per seed" in first
    assert json.loads((out / "config.json").read_text())["agent"]["device"] == "cpu"
    assert json.loads((out / "seed_7" / "summary.json").read_text())["device"] == "cpu"
    # --n-envs changes what is computed: not on --resume; --device may change
    assert main(["train", "--resume", str(out), "--n-envs", "2"]) == 2
    assert "--n-envs" in capsys.readouterr().err


def test_a_checkpoint_made_on_cpu_resumes_with_device_auto(tmp_path):
    cfg = TrainConfig.from_dict(tiny_config(episodes=6, checkpoint_every=3)).with_device("cpu")
    train(cfg, tmp_path / "run", progress=False)
    (r,) = resume(tmp_path / "run", episodes=9, progress=False, device="auto")
    assert r["episodes"] == 9 and r["resumed_from"] == 6 and r["device"] == ("cuda" if CUDA else "cpu")
    assert json.loads((tmp_path / "run" / "config.json").read_text())["agent"]["device"] == "auto"
    assert config_differences(cfg.to_dict(), cfg.with_device("auto").to_dict()) == []


def test_a_checkpoint_of_a_run_without_n_envs_is_accepted(tmp_path):
    """Checkpoints made before ``n_envs`` existed recorded no ``run.n_envs`` (it was 1)."""
    from crlqas.agents.checkpoint import check_config

    cfg = TrainConfig.from_dict(tiny_config()).to_dict()
    old = json.loads(json.dumps(cfg))
    del old["run"]["n_envs"], old["agent"]["device"]
    check_config({"config": old, "path": tmp_path}, cfg)
    old["run"]["n_envs"] = 2
    with pytest.raises(ValidationError, match=r"run.n_envs: 2 -> 1"):
        check_config({"config": old, "path": tmp_path}, cfg)


# ---------------------------------------------------------------------------- several envs
def test_one_env_is_the_dummy_vec_env_and_several_are_processes():
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    cfg = TrainConfig.from_dict(tiny_config())
    one = make_vec_env(cfg.env)
    assert isinstance(one, DummyVecEnv) and one.num_envs == 1
    one.close()
    two = make_vec_env(cfg.env, 2)
    try:
        assert isinstance(two, SubprocVecEnv) and two.num_envs == 2
        two.seed(3)
        two.reset()
        two.step(np.array([0, 1]))
        blobs = two.env_method("get_state")  # each env, pickled in its process, mid-episode
        two.step(np.array([2, 2]))
        moved = two.get_attr("steps")
        two.env_method("set_state", blobs[0], indices=0)
        two.env_method("set_state", blobs[1], indices=1)
        assert two.get_attr("steps") == [1, 1] != moved
        masks = two.env_method("action_masks")
        assert len(masks) == 2 and masks[0].dtype == bool
    finally:
        two.close()


def test_two_envs_train_to_the_end_and_the_curriculum_sees_every_episode_once(tmp_path):
    data = two_env_config(episodes=12)
    (r,) = train(TrainConfig.from_dict(data), tmp_path / "run", progress=False)
    sdir = tmp_path / "run" / "seed_7"
    rows = _rows(sdir / "progress.csv")
    # the last vector step may end one episode more than the budget: it is logged too
    assert r["n_envs"] == 2 and 12 <= r["episodes"] <= 13 and len(rows) == r["episodes"]
    assert [int(row["episode"]) for row in rows] == list(range(1, len(rows) + 1))
    state = checkpoint_state(sdir)
    assert state["curriculum"]["episodes_seen"] == len(rows)  # every episode of both envs, once
    assert len(state["env_states"]) == 2 and "envs" not in state and len(state["run"]["eps"]) == 2
    # both envs' transitions reached the one agent: timesteps = 2 x vector steps
    assert r["timesteps"] % 2 == 0 and r["timesteps"] >= sum(int(row["length"]) for row in rows)
    assert len(_rows(sdir / "eval.csv")) >= 2


@pytest.mark.parametrize("agent", ["dqn", "maskable-ppo"])
def test_two_env_resume_reproduces_an_uninterrupted_run(tmp_path, agent, capsys):
    """Exact with several envs too: a checkpoint holds each env process's pickled env (mid-episode
    for the envs whose episode had not ended), the model with its last observations, the replay
    buffer, each env's episode in progress and the RNG states."""
    data = two_env_config(episodes=16, checkpoint_every=5, agent=agent)
    data["run"]["n_envs"] = 1  # set on the command line
    config = tmp_path / "two.json"
    config.write_text(json.dumps(data))
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["train", "--config", str(config), "--out", str(whole), "--n-envs", "2", "--no-progress"]) == 0
    # the same run, killed at its 13th episode (the progress hook raises), then resumed
    cut.mkdir()
    (cut / "config.json").write_text((whole / "config.json").read_text())
    settings = json.loads((cut / "config.json").read_text())
    assert settings["run"]["n_envs"] == 2
    with pytest.raises(KeyboardInterrupt):
        train_seed(settings, str(cut), 7, progress_queue=_Crash(13))
    resumed_from = checkpoint_state(cut / "seed_7")["run"]["episodes"]
    assert 5 <= resumed_from < 13
    assert main(["train", "--resume", str(cut), "--no-progress"]) == 0
    assert "resuming tiny: seed 7, 16 episodes" in capsys.readouterr().out
    for name in ("progress.csv", "eval.csv"):
        assert _rows(whole / "seed_7" / name) == _rows(cut / "seed_7" / name)
    assert len(_rows(whole / "seed_7" / "progress.csv")) >= 16
    summaries = [json.loads((d / "seed_7" / "summary.json").read_text()) for d in (whole, cut)]
    assert summaries[0]["timesteps"] == summaries[1]["timesteps"]
    assert summaries[1]["resumed_from"] == resumed_from and summaries[1]["n_envs"] == 2


# ---------------------------------------------------------------------------- agent internals
def test_masks_come_from_the_step_infos_without_env_calls():
    from stable_baselines3.common.env_util import make_vec_env as sb3_vec_env

    from crlqas.agents.dqn import MaskedDQN
    from crlqas.agents.toy import MaskedCueEnv

    env = sb3_vec_env(lambda: MaskedCueEnv(n_actions=8, num_illegal=5), n_envs=2, seed=4)
    calls = []
    original = env.env_method

    def counting(name, *args, **kwargs):
        calls.append(name)
        return original(name, *args, **kwargs)

    env.env_method = counting
    model = MaskedDQN("MlpPolicy", env, learning_starts=20, batch_size=16, buffer_size=500, seed=4, device="cpu")
    model.learn(200)  # the toy env raises on an illegal action: the cached masks are right
    assert calls.count("action_masks") == 1  # only the first step of learn()
    assert model.replay_buffer.next_action_masks.shape == (250, 2, 8)


@pytest.mark.parametrize("overlap", [True, False])
def test_gradient_steps_overlap_the_env_processes_step(overlap):
    """With envs in processes, a vector step's gradient steps run between sending the next actions
    and receiving the results (``overlap_training``); off, between the steps as in SB3."""
    from stable_baselines3.common.env_util import make_vec_env as sb3_vec_env
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from crlqas.agents.dqn import MaskedDQN
    from crlqas.agents.toy import MaskedCueEnv

    env = sb3_vec_env(lambda: MaskedCueEnv(n_actions=8, num_illegal=5), n_envs=2, seed=4, vec_env_cls=SubprocVecEnv)
    try:
        model = MaskedDQN(
            "MlpPolicy",
            env,
            learning_starts=20,
            batch_size=8,
            buffer_size=500,
            seed=4,
            device="cpu",
            overlap_training=overlap,
        )
        log = []
        step_async, step_wait, train_now = env.step_async, env.step_wait, model._train_now
        env.step_async = lambda actions: (log.append("async"), step_async(actions))[1]
        env.step_wait = lambda: (log.append("wait"), step_wait())[1]
        model._train_now = lambda steps, size: (log.append("train"), train_now(steps, size))[1]
        model.learn(60)  # 30 vector steps; learning from transition 21 on (the 11th vector step)
        if overlap:
            assert log[-3:] == ["async", "train", "wait"] and model._pending_train == 1
            assert model._n_updates == log.count("train") == 30 - 10 - 1  # the last one is pending
        else:
            assert log[-3:] == ["async", "wait", "train"] and model._pending_train == 0
            assert model._n_updates == log.count("train") == 30 - 10
    finally:
        env.close()


@pytest.mark.parametrize("fill", [37, 250 + 13])
def test_a_replay_buffer_pickles_its_filled_part(fill):
    from stable_baselines3.common.env_util import make_vec_env as sb3_vec_env

    from crlqas.agents.dqn import MaskedDQN
    from crlqas.agents.toy import MaskedCueEnv

    env = sb3_vec_env(lambda: MaskedCueEnv(n_actions=8, num_illegal=5), n_envs=2, seed=2)
    model = MaskedDQN("MlpPolicy", env, learning_starts=10**6, n_steps=3, buffer_size=500, seed=2, device="cpu")
    model.learn(2 * fill)
    rb = model.replay_buffer
    blob = pickle.dumps(rb)
    back = pickle.loads(blob)
    assert (back.pos, back.full) == (rb.pos, rb.full) == (fill % 250, fill >= 250)
    for name in rb._SLOT_ARRAYS:
        np.testing.assert_array_equal(getattr(back, name), getattr(rb, name))
        assert getattr(back, name).shape == getattr(rb, name).shape
    whole = sum(getattr(rb, name).nbytes for name in rb._SLOT_ARRAYS)
    assert (len(blob) < 0.2 * whole) == (not rb.full)
    np.random.seed(0)
    x = rb.sample(32)
    np.random.seed(0)
    y = back.sample(32)
    for p, q in zip(x, y):
        assert (p is None and q is None) or th.equal(p, q)  # (weights and indices: prioritised only)


def test_bench_step_accounts_for_the_whole_training_time(tmp_path):
    """``bench/bench_step.py`` (a tiny run): every timer fired, the parts are non-negative and the
    top-level parts with the rest add up to the training wall time."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "bench" / "bench_step.py"
    out = tmp_path / "step.json"
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    cmd = [sys.executable, str(script), "--preset", "h2-2q", "--seconds", "2", "--json", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=300)
    data = json.loads(out.read_text())
    rows = {r["part"]: r for r in data["rows"]}
    wall = rows["training (wall time)"]["seconds"]
    assert rows["env step"]["calls"] == data["run"]["timesteps"]
    assert rows["learner update"]["calls"] > 0 and rows["Adam step"]["calls"] == rows["learner update"]["calls"]
    assert all(r["seconds"] >= 0 for r in data["rows"])
    top = sum(r["seconds"] for r in data["rows"] if r["level"] == 1)
    assert top == pytest.approx(wall, abs=0.01)
    assert rows["inner optimisation"]["seconds"] <= rows["env step"]["seconds"]
