"""Prioritised replay (agents/prioritized.py): the sum tree against prefix sums, the sampling
distribution and importance weights against their definitions, priority updates, and the masked
DQN learning the toy task with it."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

th = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from stable_baselines3.common.env_util import make_vec_env

from crlqas.agents.dqn import MaskedDQN, cpu_dqn_kwargs
from crlqas.agents.prioritized import PrioritizedMaskedReplayBuffer, SumTree
from crlqas.agents.toy import MaskedCueEnv, greedy_success_rate

th.set_num_threads(1)


@pytest.mark.parametrize("capacity", [1, 2, 5, 64, 1000])
def test_sum_tree_finds_the_prefix_sum_interval(capacity):
    rng = np.random.default_rng(capacity)
    values = rng.random(capacity) * (rng.random(capacity) > 0.2)  # some zero leaves: never found
    values[0] = max(values[0], 0.1)
    tree = SumTree(capacity)
    tree.set(np.arange(capacity), values)
    assert tree.total == pytest.approx(values.sum(), rel=1e-12)
    mass = rng.random(5000) * values.sum()
    expected = np.searchsorted(np.cumsum(values), mass, side="right")
    np.testing.assert_array_equal(tree.find(mass), expected)
    # updates (with repeats: the last value wins) keep every sum right
    leaves = rng.integers(0, capacity, 50)
    new = rng.random(50)
    tree.set(leaves, new)
    for leaf in np.unique(leaves):
        values[leaf] = new[np.flatnonzero(leaves == leaf)[-1]]
    assert tree.total == pytest.approx(values.sum(), rel=1e-12)
    np.testing.assert_allclose(tree.get(np.arange(capacity)), values)


def _buffer(n_envs=1, size=8, **kw):
    from gymnasium import spaces

    obs = spaces.Box(-1, 1, (3,), np.float32)
    return PrioritizedMaskedReplayBuffer(size, obs, spaces.Discrete(4), n_envs=n_envs, n_steps=1, gamma=0.9, **kw)


def _fill(rb, count, n_envs=1, start=0):
    for t in range(start, start + count):
        obs = np.full((n_envs, 3), t / 100, np.float32)
        rb.add(obs, obs, np.zeros((n_envs, 1)), np.full(n_envs, t, np.float32), np.zeros(n_envs), [{}] * n_envs)


def test_sampling_follows_priorities_and_weights_correct_it():
    rb = _buffer(size=4, alpha=1.0, beta0=1.0)
    _fill(rb, 4)
    priorities = np.array([1.0, 2.0, 3.0, 4.0])
    rb.update_priorities(np.arange(4), priorities - rb.eps)
    np.random.seed(0)
    counts = np.zeros(4)
    for _ in range(400):
        data = rb.sample(10)
        counts += np.bincount(data.indices, minlength=4)
        # w_i = (N P_i)^-1 / max w: the least likely transition has weight 1
        p = priorities[data.indices] / priorities.sum()
        w = (4 * p) ** -1.0
        np.testing.assert_allclose(data.weights.numpy().ravel(), w / w.max(), rtol=1e-6)
        np.testing.assert_allclose(data.rewards.numpy().ravel(), data.indices)  # the stored transitions
    np.testing.assert_allclose(counts / counts.sum(), priorities / priorities.sum(), atol=0.02)


def test_alpha_zero_is_uniform_with_unit_weights():
    rb = _buffer(size=5, alpha=0.0)
    _fill(rb, 5)
    rb.update_priorities(np.arange(5), [10.0, 0.0, 3.0, 1.0, 7.0])
    np.random.seed(1)
    data = rb.sample(5000)
    np.testing.assert_allclose(data.weights.numpy(), 1.0)
    np.testing.assert_allclose(np.bincount(data.indices, minlength=5) / 5000, 0.2, atol=0.02)


def test_new_transitions_get_the_largest_priority_and_only_filled_slots_are_drawn():
    rb = _buffer(n_envs=2, size=12)  # (SB3: 12 // 2 = 6 slots per env)
    _fill(rb, 3, n_envs=2)
    rb.update_priorities([0, 1], [5.0, 0.5])
    _fill(rb, 1, n_envs=2, start=3)
    np.testing.assert_allclose(rb.tree.get([6, 7]), (5.0 + rb.eps) ** rb.alpha)
    np.random.seed(2)
    data = rb.sample(2000)
    assert data.indices.max() < 8  # 4 slots x 2 envs filled
    slots, envs = np.divmod(data.indices, 2)
    np.testing.assert_allclose(data.rewards.numpy().ravel(), slots)  # each env's own column
    assert set(envs) == {0, 1}


def test_beta_anneals_to_one_and_the_buffer_pickles():
    rb = _buffer(size=4, beta0=0.5, beta_steps=100)
    _fill(rb, 2)
    assert rb.beta == 0.5
    rb.sample(50)
    assert rb.beta == pytest.approx(0.75)
    rb.sample(100)
    assert rb.beta == 1.0
    back = pickle.loads(pickle.dumps(rb))
    np.testing.assert_array_equal(back.tree.tree, rb.tree.tree)
    assert (back.max_priority, back.samples_drawn) == (rb.max_priority, rb.samples_drawn)


@pytest.mark.parametrize("bad", [dict(alpha=1.5), dict(beta0=-0.1), dict(beta_steps=0), dict(eps=0.0)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match=r"alpha|beta|eps"):
        _buffer(**bad)


def test_dqn_with_prioritized_replay_learns_the_toy_task():
    toy = dict(gamma=0.9, n_steps=3, exploration_decay=0.997, buffer_size=5000, policy_kwargs=dict(net_arch=[64, 64]))
    env = make_vec_env(MaskedCueEnv, n_envs=1, seed=0)
    kwargs = {**cpu_dqn_kwargs(3), **toy, "prioritized_replay": {"alpha": 0.6}}  # (the cpu profile's default)
    model = MaskedDQN("MlpPolicy", env, seed=0, device="cpu", **kwargs)
    assert isinstance(model.replay_buffer, PrioritizedMaskedReplayBuffer)
    model.learn(2000)
    assert greedy_success_rate(model, MaskedCueEnv(), 100) >= 0.9
    assert model.replay_buffer.samples_drawn > 0
