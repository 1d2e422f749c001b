"""Greedy evaluations beside training (agents/evaluator.py): the policy snapshot acts as the model's
greedy masked policy, the worker process gives the in-process result, and a dead worker is a clear
error."""

from __future__ import annotations

import numpy as np
import pytest

th = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from stable_baselines3.common.env_util import make_vec_env

from crlqas.agents.dqn import MaskedDQN
from crlqas.agents.evaluator import Evaluator, GreedyPolicy
from crlqas.agents.toy import MaskedCueEnv
from crlqas.qnoise.errors import CrlqasError

th.set_num_threads(1)


def _model():
    env = make_vec_env(lambda: MaskedCueEnv(n_actions=8, num_illegal=5), n_envs=1, seed=3)
    return MaskedDQN("MlpPolicy", env, seed=3, device="cpu", policy_kwargs=dict(net_arch=[16]))


def test_the_snapshot_is_the_models_greedy_masked_policy():
    model = _model()
    policy = GreedyPolicy(model)
    rng = np.random.default_rng(0)
    for _ in range(50):
        obs = rng.random(model.observation_space.shape).astype(np.float32)
        mask = rng.random(8) < 0.4
        expected, _ = model.predict(obs, deterministic=True, action_masks=mask)
        assert policy(obs, mask) == int(expected)
    # a snapshot: later training does not change it
    before = [policy(np.full(model.observation_space.shape, 0.5, np.float32), np.ones(8, bool))]
    with th.no_grad():
        for p in model.q_net.parameters():
            p.add_(1.0)
    assert [policy(np.full(model.observation_space.shape, 0.5, np.float32), np.ones(8, bool))] == before


def test_a_dead_worker_is_a_clear_error():
    from crlqas.agents.vecenv import make_eval_env
    from crlqas.envs.config import QASConfig

    env = make_eval_env(QASConfig(problem="h2-2q", max_steps=3, optimizer="cobyla", optimizer_budget=20), 1)
    evaluator = Evaluator(workers=1)
    try:
        evaluator._start()
        evaluator._proc.kill()
        evaluator._proc.join()
        with pytest.raises(CrlqasError, match=r"worker process died.*eval_workers = 0"):
            evaluator.submit(GreedyPolicy(_FirstLegal()), env)
            evaluator.wait()
    finally:
        evaluator.close()


class _FirstLegal:
    """A stand-in model: the first legal action."""

    def predict(self, obs, deterministic=True, action_masks=None):
        return np.array(int(np.flatnonzero(action_masks)[0])), None
