"""The masked double DQN (agents/dqn.py) and MaskablePPO on the toy masked task (agents/toy.py)."""

from __future__ import annotations

import numpy as np
import pytest

th = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")
pytest.importorskip("sb3_contrib")

from stable_baselines3.common.env_util import make_vec_env

from crlqas.agents.dqn import MaskedDQN, MaskedReplayBufferSamples, cpu_dqn_kwargs, paper_dqn_kwargs, paper_gamma
from crlqas.agents.toy import IllegalActionError, MaskedCueEnv, greedy_success_rate

th.set_num_threads(1)
SMALL = dict(policy_kwargs=dict(net_arch=[32, 32]), buffer_size=2000, batch_size=32, device="cpu")


def _toy_vec(seed=0, n_envs=1, **kw):
    return make_vec_env(lambda: MaskedCueEnv(**kw), n_envs=n_envs, seed=seed)


def test_paper_defaults():
    assert paper_gamma(40) == 0.88
    kw = paper_dqn_kwargs(40, 2)
    assert kw["policy_kwargs"]["net_arch"] == [1000] * 5
    assert kw["policy_kwargs"]["activation_fn"] is th.nn.LeakyReLU
    assert (kw["buffer_size"], kw["batch_size"], kw["learning_starts"], kw["n_steps"]) == (20000, 1000, 1000, 5)
    assert paper_dqn_kwargs(40, 6)["policy_kwargs"]["net_arch"] == [2000] * 5
    assert paper_dqn_kwargs(40, 6)["n_steps"] == 6


def test_adam_is_fused_unless_the_caller_chose_otherwise():
    def make(**policy_kwargs):
        kw = dict(SMALL, policy_kwargs=dict(net_arch=[32, 32], **policy_kwargs))
        return MaskedDQN("MlpPolicy", _toy_vec(), learning_starts=10, seed=3, **kw)

    assert isinstance(make(optimizer_class=th.optim.SGD).policy.optimizer, th.optim.SGD)
    # the same update: both learn the same steps from the same seed, to float rounding
    fused = make().learn(60)
    plain = make(optimizer_kwargs=dict(fused=False)).learn(60)
    assert fused.policy.optimizer.param_groups[0]["fused"] is True
    assert not plain.policy.optimizer.param_groups[0]["fused"]
    for a, b in zip(fused.policy.parameters(), plain.policy.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("gradient_steps, updates", [(1, 25), (-1, 50)])
def test_gradient_steps_minus_one_keeps_one_update_per_transition(gradient_steps, updates):
    model = MaskedDQN(
        "MlpPolicy", _toy_vec(n_envs=2), learning_starts=10, gradient_steps=gradient_steps, seed=1, **SMALL
    )
    model.learn(60)  # 30 vector steps of 2 transitions; updates after the first 10 transitions
    assert model.num_timesteps == 60 and model._n_updates == updates


def test_epsilon_schedule_per_gradient_step():
    model = MaskedDQN(
        "MlpPolicy", _toy_vec(), learning_starts=50, exploration_decay=0.99, exploration_final_eps=0.3, seed=1, **SMALL
    )
    model.learn(60)
    assert model._n_updates == 60 - 50
    assert model.exploration_rate == pytest.approx(0.99**model._n_updates)
    model.learn(400, reset_num_timesteps=False)
    assert model.exploration_rate == pytest.approx(0.3)


@pytest.mark.parametrize("exploration", [1.0, 0.3, 0.0])
def test_acting_never_picks_an_illegal_action(exploration):
    # Toy env with 5 of 8 actions illegal in every state; the env raises on an illegal action.
    env = _toy_vec(seed=3, n_envs=2, n_actions=8, num_illegal=5)
    model = MaskedDQN(
        "MlpPolicy",
        env,
        learning_starts=100,
        exploration_initial_eps=exploration,
        exploration_final_eps=exploration,
        exploration_decay=1.0,
        seed=3,
        **SMALL,
    )
    model.learn(400)  # warm-up (random legal) and then epsilon-greedy acting
    rng = np.random.default_rng(0)
    for _ in range(300):  # random states and random masks, batched and single
        obs = rng.random((4, env.observation_space.shape[0]), dtype=np.float32)
        masks = rng.random((4, 8)) < 0.3
        masks[np.arange(4), rng.integers(0, 8, 4)] = True
        for det in (True, False):
            actions, _ = model.predict(obs, deterministic=det, action_masks=masks)
            assert masks[np.arange(4), actions].all()
            a, _ = model.predict(obs[0], deterministic=det, action_masks=masks[0])
            assert masks[0, int(a)]


def test_illegal_actions_do_happen_without_masks():
    env = MaskedCueEnv(n_actions=8, num_illegal=5)
    env.reset(seed=0)
    with pytest.raises(IllegalActionError):
        for a in range(8):
            env.step(a)


def test_bootstrap_argmax_is_over_legal_actions_only():
    model = MaskedDQN("MlpPolicy", _toy_vec(), learning_starts=10, gamma=0.5, seed=0, **SMALL)
    n = model.n_actions
    batch = 64
    rng = np.random.default_rng(1)
    masks = rng.random((batch, n)) < 0.5
    masks[:, 0] = False
    masks[np.arange(batch), rng.integers(1, n, batch)] = True
    online = th.as_tensor(rng.normal(size=(batch, n)), dtype=th.float32)
    online[:, 0] = 1e6  # the illegal action 0 would win an unmasked argmax
    target = th.as_tensor(rng.normal(size=(batch, n)), dtype=th.float32)
    target[:, 0] = 1e6
    model.q_net = lambda obs: online
    model.q_net_target = lambda obs: target
    data = MaskedReplayBufferSamples(
        observations=th.zeros(batch, 1),
        actions=th.zeros(batch, 1, dtype=th.long),
        next_observations=th.zeros(batch, 1),
        dones=th.zeros(batch, 1),
        rewards=th.ones(batch, 1),
        discounts=th.full((batch, 1), 0.25),
        next_action_masks=th.as_tensor(masks),
    )
    y = model.td_target(data).numpy()[:, 0]
    on = online.numpy().copy()
    on[~masks] = -np.inf
    chosen = on.argmax(axis=1)  # double DQN: online net chooses among the legal actions ...
    expected = 1.0 + 0.25 * target.numpy()[np.arange(batch), chosen]  # ... target net evaluates
    assert masks[np.arange(batch), chosen].all()
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    assert (y < 1e5).all()


def test_replay_buffer_stores_next_state_masks():
    env = _toy_vec(seed=5, n_actions=8, num_illegal=5)
    model = MaskedDQN("MlpPolicy", env, learning_starts=10**6, n_steps=3, gamma=0.9, seed=5, **SMALL)
    model.learn(300)
    rb = model.replay_buffer
    size = rb.pos
    # the mask stored with transition t is the legal-action mask encoded in next_observation
    stored = rb.next_action_masks[:size, 0]
    encoded = rb.next_observations[:size, 0, -8:] > 0.5
    np.testing.assert_array_equal(stored, encoded)
    assert (~stored).sum(axis=1).min() == 5
    # sampled bootstrap masks (n-step) match the bootstrap observations
    data = rb.sample(256)
    np.testing.assert_array_equal(data.next_action_masks.numpy(), data.next_observations.numpy()[:, -8:] > 0.5)
    # n-step returns: rewards are 0/1 per step, horizon 3 -> return <= 1 + 0.9 + 0.81
    assert data.rewards.max().item() <= 1 + 0.9 + 0.81 + 1e-6


def test_dqn_learns_the_toy_task():
    """The ``cpu`` profile with a toy-sized network, replay buffer, horizon and epsilon decay."""
    toy = dict(gamma=0.9, n_steps=3, exploration_decay=0.997, buffer_size=5000, policy_kwargs=dict(net_arch=[64, 64]))
    model = MaskedDQN("MlpPolicy", _toy_vec(seed=0), seed=0, device="cpu", **{**cpu_dqn_kwargs(3), **toy})
    eval_env = MaskedCueEnv()
    assert greedy_success_rate(model, eval_env, 100) < 0.3  # untrained: near chance (1/4)^3
    model.learn(2000)
    assert greedy_success_rate(model, eval_env, 100) >= 0.9


def test_maskable_ppo_learns_the_toy_task():
    from crlqas.agents.ppo import make_agent

    model = make_agent(
        "maskable-ppo",
        _toy_vec(seed=0),
        seed=0,
        n_steps=256,
        batch_size=64,
        learning_rate=3e-3,
        ent_coef=0.0,
        policy_kwargs=dict(net_arch=[64, 64]),
    )
    model.learn(2560)
    assert greedy_success_rate(model, MaskedCueEnv(), 100) >= 0.9
