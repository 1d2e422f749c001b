"""The training-run callback (agents/callbacks.py) on its own: a few episodes, no full training run."""

from __future__ import annotations

import csv
import json
import pickle

import numpy as np
import pytest

th = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")
pytest.importorskip("sb3_contrib")

from stable_baselines3.common.callbacks import CallbackList
from stable_baselines3.common.env_util import make_vec_env

from crlqas.agents.callbacks import RunCallback
from crlqas.agents.curriculum_callback import CurriculumCallback
from crlqas.agents.ppo import make_agent
from crlqas.agents.toy import MaskedCueEnv
from crlqas.envs.curriculum import FixedScheduleCurriculum

th.set_num_threads(1)
TINY = {
    "dqn": dict(learning_starts=5, batch_size=4, buffer_size=100, policy_kwargs={"net_arch": [8]}),
    "maskable-ppo": dict(n_steps=8, batch_size=8, n_epochs=1, policy_kwargs={"net_arch": [8]}),
}


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("agent", ["dqn", "maskable-ppo"])
def test_run_callback_logs_episodes_and_stops_at_the_budget(tmp_path, agent):
    env = make_vec_env(lambda: MaskedCueEnv(horizon=3), n_envs=1, seed=0)
    model = make_agent(agent, env, seed=0, **TINY[agent])
    rows = []
    cb = RunCallback(tmp_path, episodes=4, checkpoint_every=100, progress=rows.append)
    assert cb.log is None and not (tmp_path / "progress.csv").exists()  # no files before learn()
    model.learn(10**6, callback=cb)
    # DQN stops cleanly between steps (request_stop), MaskablePPO by the callback's False
    assert cb.finished and cb.episodes == 4 and model.num_timesteps == 12
    assert [r["episode"] for r in rows] == [1, 2, 3, 4]
    logged = _csv(tmp_path / "progress.csv")
    assert [int(r["episode"]) for r in logged] == [1, 2, 3, 4]
    assert [int(r["timesteps"]) for r in logged] == [3, 6, 9, 12]
    assert [int(r["length"]) for r in logged] == [3, 3, 3, 3]
    monitor = env.envs[0].get_episode_rewards()  # the Monitor's own episode returns
    assert [float(r["reward"]) for r in logged] == pytest.approx(monitor)
    assert all(r["threshold"] == "" and r["energy_error"] == "inf" for r in logged)  # no curriculum, no QAS env
    assert cb.best == {} and not (tmp_path / "eval.csv").exists()
    cb.close()  # closed at the training end already: idempotent
    state = cb.state()
    assert (state["episodes"], state["last_ckpt"], state["stopped_early"]) == (4, 4, False)


def test_run_callback_on_a_tiny_qas_env(tmp_path):
    from crlqas.agents.vecenv import make_eval_env
    from crlqas.agents.vecenv import make_vec_env as make_qas_vec_env

    env_cfg = {"problem": "h2-2q", "max_steps": 3, "optimizer": "cobyla", "optimizer_budget": 30}
    venv = make_qas_vec_env(env_cfg)
    model = make_agent("dqn", venv, seed=1, **dict(TINY["dqn"], learning_starts=2))
    cur_cb = CurriculumCallback(FixedScheduleCurriculum([0.5, 0.2], [2, 4]))
    cb = RunCallback(
        tmp_path,
        episodes=4,
        checkpoint_every=2,
        curriculum_cb=cur_cb,
        eval_env=make_eval_env(env_cfg, seed=1),
        eval_every=2,
    )
    model.learn(10**6, callback=CallbackList([cur_cb, cb]))
    assert cb.episodes == 4 and cur_cb.episodes_seen == 4
    assert cb.e0 == pytest.approx(venv.envs[0].unwrapped.e0) and cb.chemical_accuracy == 1.6e-3
    logged = _csv(tmp_path / "progress.csv")
    # the threshold column is the curriculum's threshold after each episode end
    assert [float(r["threshold"]) for r in logged] == [0.5, 0.2, 0.2, 0.2]
    assert venv.env_method("get_threshold") == [0.2]
    assert sum(int(r["length"]) for r in logged) == model.num_timesteps == int(logged[-1]["timesteps"])
    # greedy evaluations every second episode once the agent has learnt (it has after 2 steps)
    evals = _csv(tmp_path / "eval.csv")
    assert [int(r["episode"]) for r in evals] == [2, 4] and cb.last_eval["episode"] == 4
    # best circuits: the lowest energy seen, as JSON and OpenQASM
    best = json.loads((tmp_path / "best" / "best_energy.json").read_text())
    assert best == cb.best["best_energy"] and best["error"] == pytest.approx(best["energy"] - cb.e0)
    assert float(logged[-1]["best_error"]) == pytest.approx(abs(best["error"]))
    assert (tmp_path / "best" / "best_energy.qasm").read_text().startswith("OPENQASM 2.0;")
    # a checkpoint after episode 2 (at the next rollout start) with the curriculum's state
    manifest = json.loads((tmp_path / "checkpoint.json").read_text())
    assert manifest["episode"] == 2  # DQN: one step per rollout, so right after the episode end
    state = pickle.loads((tmp_path / manifest["dir"] / "state.pkl").read_bytes())
    assert set(state["curriculum"]) == {"curriculum", "episodes_seen"}
    assert state["curriculum"]["episodes_seen"] == state["run"]["episodes"] == manifest["episode"]
    # a callback resumed from that state keeps the logs up to its episode
    resumed = RunCallback(
        tmp_path, episodes=4, checkpoint_every=2, curriculum_cb=cur_cb, state=state["run"], eval_every=2
    )
    resumed.open()
    resumed.close()
    assert len(_csv(tmp_path / "progress.csv")) == manifest["episode"]
    assert all(int(r["episode"]) <= manifest["episode"] for r in _csv(tmp_path / "eval.csv"))
    assert np.isfinite(resumed.elapsed())
