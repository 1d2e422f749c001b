"""The paper's agent: masked double DQN with n-step returns, built on stable-baselines3's ``DQN``.

:class:`MaskedDQN` changes four things of SB3's DQN:

* **Masked acting.**  Every action (warm-up, epsilon-greedy exploration and greedy) is drawn from
  the legal actions only: the environment's ``action_masks()`` (``True`` = allowed, the sb3-contrib
  convention).  Greedy acting sets illegal Q-values to ``-inf``; exploration draws uniformly among
  the legal actions.  ``predict(obs, action_masks=...)`` does the same for evaluation.
* **Masked double-DQN bootstrap.**  The target is ``R^(n) + gamma^k Q_target(s', argmax_{a legal
  in s'} Q_online(s', a))``: the online net chooses among the legal actions of the next state, the
  target net evaluates.  :class:`MaskedNStepReplayBuffer` stores the next state's mask with every
  transition (the mask of the terminal state comes from ``info["action_mask"]`` when the env
  auto-resets) and computes n-step returns (SB3's ``NStepReplayBuffer`` logic).
* **Schedules of the paper.**  Epsilon starts at ``exploration_initial_eps`` and is multiplied by
  ``exploration_decay`` per gradient step down to ``exploration_final_eps``; the target network is
  copied (hard) every ``target_update_interval`` *gradient updates*.
* Huber loss and Adam as in SB3.

:func:`paper_dqn_kwargs` gives the paper's hyper-parameters (network 5 x 1000 LeakyReLU, lr 3e-4,
buffer 20 000, batch 1000, learning starts 1000, gamma ``round(0.005 ** (1/L), 2)``, n = 5).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import DQN
from stable_baselines3.common.buffers import NStepReplayBuffer
from stable_baselines3.common.vec_env import VecEnv, VecNormalize
from torch.nn import functional as F

__all__ = [
    "PROFILES",
    "PROFILE_PARAMS",
    "MaskedDQN",
    "MaskedNStepReplayBuffer",
    "MaskedReplayBufferSamples",
    "cpu_dqn_kwargs",
    "dqn_kwargs",
    "env_action_masks",
    "paper_dqn_kwargs",
    "paper_gamma",
]

#: agent profiles of ``[agent] profile``: the paper's network and schedules, or a CPU-sized variant
PROFILES = ("paper", "cpu")


def paper_gamma(max_steps: int) -> float:
    """The paper's discount ``round(0.005 ** (1 / L), 2)`` (0.88 at ``L = 40``)."""
    return round(0.005 ** (1.0 / int(max_steps)), 2)


#: the profiles' fixed hyper-parameters, ``name: (paper, cpu)`` (in :data:`PROFILES` order); the
#: discount, the n-step horizon and the network depend on the task (:func:`dqn_kwargs`)
PROFILE_PARAMS = {
    "learning_rate": (3e-4, 1e-3),
    "buffer_size": (20_000, 20_000),
    "learning_starts": (1000, 200),
    "batch_size": (1000, 64),
    "train_freq": (1, 1),
    "gradient_steps": (1, 1),
    "target_update_interval": (500, 100),
    "exploration_initial_eps": (1.0, 1.0),
    "exploration_final_eps": (0.05, 0.05),
    "exploration_decay": (0.99995, 0.999),
    # proportional prioritised replay (agents/prioritized.py): not in the paper's agent (section 7 of
    # the method spec); the cpu profile's default (measured: bench/README.md, bench_goals.py)
    "prioritized_replay": (False, True),
    # with envs in other processes, the learner's gradient steps overlap the envs' next step (an
    # implementation choice, not in the method; see MaskedDQN)
    "overlap_training": (True, True),
}


def dqn_kwargs(max_steps: int, num_qubits: int = 2, profile: str = "paper") -> dict[str, Any]:
    """Keyword arguments of :class:`MaskedDQN` for agent profile ``"paper"`` or ``"cpu"``: the
    profile's column of :data:`PROFILE_PARAMS`, the paper's discount (:func:`paper_gamma`), n-step 5
    (6 from 6 qubits) and a LeakyReLU MLP of 5 x 1000 (paper: 2000 for 5-6 qubits, 5000 beyond) or
    2 x 256 (cpu: 512 from 5 qubits)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown DQN profile {profile!r}; allowed: {', '.join(PROFILES)}")
    column = PROFILES.index(profile)
    kw = {name: values[column] for name, values in PROFILE_PARAMS.items()}
    if profile == "paper":
        hidden = [1000 if num_qubits <= 4 else (2000 if num_qubits <= 6 else 5000)] * 5
    else:
        hidden = [256 if num_qubits <= 4 else 512] * 2
    kw.update(
        gamma=paper_gamma(max_steps),
        n_steps=5 if num_qubits <= 4 else 6,
        policy_kwargs=dict(net_arch=hidden, activation_fn=th.nn.LeakyReLU),
    )
    return kw


def paper_dqn_kwargs(max_steps: int, num_qubits: int = 2) -> dict[str, Any]:
    """Keyword arguments of :class:`MaskedDQN` reproducing the paper's agent (section 7).

    Hidden width 1000 for up to 4 qubits, 2000 for 5-6, 5000 beyond; n-step 5 (6 from 6 qubits).
    """
    return dqn_kwargs(max_steps, num_qubits, "paper")


def cpu_dqn_kwargs(max_steps: int, num_qubits: int = 2) -> dict[str, Any]:
    """The ``"cpu"`` profile: the paper's algorithm (masked double DQN, n-step, Huber, Adam, gamma,
    buffer, one gradient step per env step, epsilon schedule *shape*) with a network and batch sized
    for a laptop CPU, so that learning starts after a few episodes and each gradient step costs about
    a millisecond instead of a second:

    MLP 2 x 256 LeakyReLU (512 from 5 qubits), batch 64, learning starts 200 transitions,
    lr 1e-3, hard target copy every 100 updates, epsilon x0.999 per update (0.05 after ~3000
    updates, about 100 episodes of H2-2q) down to 0.05, and proportional prioritised replay
    (:mod:`agents.prioritized`; with it the greedy policy of LiH-4q was chemically accurate within
    10 minutes for 3 of 3 seeds, against 1 of 2 without).
    """
    return dqn_kwargs(max_steps, num_qubits, "cpu")


def _fused_adam(policy_kwargs: dict | None) -> dict:
    """``policy_kwargs`` with Adam's fused kernel (``optimizer_kwargs["fused"] = True``) unless the
    caller chose another optimiser or set ``fused``: one kernel per step instead of a dozen tensor ops
    per parameter; on the cpu profile's LiH-4q network (1121 x 256 x 256 x 24) an Adam step takes
    0.37 ms instead of 1.65 ms in a LiH-4q run (bench/README.md, "bench/bench_step.py"); the update
    is Adam's either way."""
    kw = dict(policy_kwargs or {})
    if kw.get("optimizer_class", th.optim.Adam) is th.optim.Adam:
        kw["optimizer_kwargs"] = {"fused": True, **(kw.get("optimizer_kwargs") or {})}
    return kw


def env_action_masks(env: VecEnv, n_actions: int) -> np.ndarray:
    """``(n_envs, n_actions)`` bool masks of the envs' current states (all ``True`` without masks)."""
    if env.has_attr("action_masks"):
        return np.stack(env.env_method("action_masks")).astype(bool).reshape(env.num_envs, n_actions)
    return np.ones((env.num_envs, n_actions), dtype=bool)


class MaskedReplayBufferSamples(NamedTuple):
    observations: th.Tensor
    actions: th.Tensor
    next_observations: th.Tensor
    dones: th.Tensor
    rewards: th.Tensor
    discounts: th.Tensor | None
    next_action_masks: th.Tensor  # bool (batch, n_actions): legal actions in next_observations
    weights: th.Tensor | None = None  # importance weights (batch, 1) of prioritised sampling
    indices: np.ndarray | None = None  # the sampled transitions, for new priorities


class MaskedNStepReplayBuffer(NStepReplayBuffer):
    """n-step replay buffer that also stores the legal actions of every next state.

    ``add`` reads the masks from ``infos[i]["next_action_mask"]`` (set by :class:`MaskedDQN`);
    missing masks mean "all legal".  ``n_steps=1`` gives ordinary one-step returns.  Several envs
    (``n_envs``) store side by side, one column each (SB3's layout: ``buffer_size // n_envs``
    transitions per env), and the n-step returns follow each env's own column.

    Pickled (``save_replay_buffer``, checkpoints) while not yet full, only the filled slots are
    written (the others are restored as they were: never written); a pickle of an early checkpoint
    is then a few megabytes, not the whole buffer's size.
    """

    #: the per-slot arrays, and the value of a slot never written (the masks: all legal)
    _SLOT_ARRAYS = {
        "observations": 0,
        "next_observations": 0,
        "actions": 0,
        "rewards": 0,
        "dones": 0,
        "timeouts": 0,
        "next_action_masks": True,
    }

    def __init__(self, *args, n_steps: int = 1, gamma: float = 0.99, **kwargs):
        super().__init__(*args, n_steps=n_steps, gamma=gamma, **kwargs)
        if not isinstance(self.action_space, spaces.Discrete):
            raise TypeError("MaskedNStepReplayBuffer needs a Discrete action space")
        self.n_actions = int(self.action_space.n)
        self.next_action_masks = np.ones((self.buffer_size, self.n_envs, self.n_actions), dtype=bool)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if not self.full:
            for name in self._SLOT_ARRAYS:
                if isinstance(state.get(name), np.ndarray):
                    state[name] = state[name][: self.pos]  # (pickling a view writes just that part)
            state["_filled_slots"] = self.pos
        return state

    def __setstate__(self, state: dict) -> None:
        filled = state.pop("_filled_slots", None)
        if filled is not None:
            for name, blank in self._SLOT_ARRAYS.items():
                part = state.get(name)
                if isinstance(part, np.ndarray):
                    shape = (state["buffer_size"], *part.shape[1:])
                    whole = np.full(shape, blank, dtype=part.dtype) if blank else np.zeros(shape, part.dtype)
                    whole[:filled] = part
                    state[name] = whole
        self.__dict__.update(state)

    def add(self, obs, next_obs, action, reward, done, infos) -> None:
        for i, info in enumerate(infos):
            mask = info.get("next_action_mask")
            self.next_action_masks[self.pos, i] = True if mask is None else np.asarray(mask, bool)
        super().add(obs, next_obs, action, reward, done, infos)

    def _get_samples(self, batch_inds: np.ndarray, env: VecNormalize | None = None, env_indices=None):
        # Same computation as stable_baselines3's NStepReplayBuffer._get_samples (v2.9), plus the
        # mask of the state the n-step return bootstraps from (and the envs' columns when given).
        if env_indices is None:
            env_indices = np.random.randint(0, self.n_envs, size=batch_inds.shape)
        last_valid_index = self.pos - 1
        original_timeout_values = self.timeouts[last_valid_index].copy()
        self.timeouts[last_valid_index] = np.logical_or(
            original_timeout_values, np.logical_not(self.dones[last_valid_index])
        )
        steps = np.arange(self.n_steps).reshape(1, -1)
        indices = (batch_inds[:, None] + steps) % self.buffer_size
        rewards_seq = self._normalize_reward(self.rewards[indices, env_indices[:, None]], env)
        dones_seq = self.dones[indices, env_indices[:, None]]
        truncated_seq = self.timeouts[indices, env_indices[:, None]]
        done_or_truncated = np.logical_or(dones_seq, truncated_seq)
        done_idx = np.where(done_or_truncated.any(axis=1), done_or_truncated.argmax(axis=1), self.n_steps - 1)
        mask = np.arange(self.n_steps).reshape(1, -1) <= done_idx[:, None]
        target_q_discounts = self.gamma ** mask.sum(axis=1, keepdims=True).astype(np.float32)
        discounts = self.gamma ** np.arange(self.n_steps, dtype=np.float32).reshape(1, -1)
        n_step_returns = (rewards_seq * discounts * mask).sum(axis=1, keepdims=True)
        last_indices = (batch_inds + done_idx) % self.buffer_size
        next_obs = self._normalize_obs(self.next_observations[last_indices, env_indices], env)
        next_dones = self.dones[last_indices, env_indices][:, None].astype(np.float32)
        next_timeouts = self.timeouts[last_indices, env_indices][:, None].astype(np.float32)
        final_dones = next_dones * (1.0 - next_timeouts)
        self.timeouts[last_valid_index] = original_timeout_values
        obs = self._normalize_obs(self.observations[batch_inds, env_indices], env)
        return MaskedReplayBufferSamples(
            observations=self.to_torch(obs),
            actions=self.to_torch(self.actions[batch_inds, env_indices]),
            next_observations=self.to_torch(next_obs),
            dones=self.to_torch(final_dones),
            rewards=self.to_torch(n_step_returns.astype(np.float32)),
            discounts=self.to_torch(target_q_discounts.astype(np.float32)),
            next_action_masks=self.to_torch(self.next_action_masks[last_indices, env_indices]),
        )


class MaskedDQN(DQN):
    """Double DQN with action masks, n-step returns and the paper's epsilon schedule.

    Extra arguments over :class:`stable_baselines3.DQN`: ``exploration_decay`` (epsilon factor per
    gradient step; the linear ``exploration_fraction`` schedule is not used).  ``n_steps`` sets the
    n-step return of the built-in :class:`MaskedNStepReplayBuffer`.  ``target_update_interval``
    counts gradient updates.  The environment should expose ``action_masks()``; without it every
    action is legal.

    ``prioritized_replay``: ``False`` (uniform replay), ``True`` or a dict of
    :class:`~agents.prioritized.PrioritizedMaskedReplayBuffer` settings (``alpha``, ``beta0``,
    ``beta_steps``, ``eps``): proportional prioritised replay with importance-weighted Huber loss.

    Several envs (a vector env of ``n_envs``): each acts on its own mask; one gradient step
    (``gradient_steps``) follows each vector step of ``n_envs`` transitions, and
    ``learning_starts`` counts transitions.  ``overlap_training`` (default ``True``; it acts only
    with envs in other processes, a ``SubprocVecEnv``): a vector step's gradient steps run while the
    env processes compute the next step (after its actions are sent), instead of between the
    steps, so the learner uses the time the envs take and the core the faster env leaves idle. The
    next actions are then chosen before that update (a one-step lag); the pending steps are saved
    with the model, so a resumed run stays exact.  The masks of the envs' current states come from the
    step's infos (``info["action_mask"]``, after an auto-reset the reset info's), so a step costs no
    extra ``env_method`` round trip to the env processes; without them, from ``action_masks()``.
    """

    def __init__(
        self,
        policy,
        env,
        *,
        exploration_decay: float = 0.99995,
        n_steps: int = 1,
        replay_buffer_kwargs: dict | None = None,
        prioritized_replay: bool | dict = False,
        overlap_training: bool = True,
        **kwargs,
    ):
        if not 0.0 < exploration_decay <= 1.0:
            raise ValueError(f"exploration_decay must be in (0, 1]; got {exploration_decay!r}")
        if not isinstance(prioritized_replay, (bool, dict)):
            raise ValueError(f"prioritized_replay must be true, false or a table; got {prioritized_replay!r}")
        gamma = kwargs.get("gamma", 0.99)
        rb_kwargs = {"n_steps": int(n_steps), "gamma": gamma, **(replay_buffer_kwargs or {})}
        buffer_class = MaskedNStepReplayBuffer
        if prioritized_replay is not False:
            from .prioritized import PrioritizedMaskedReplayBuffer

            buffer_class = PrioritizedMaskedReplayBuffer
            rb_kwargs.update(prioritized_replay if isinstance(prioritized_replay, dict) else {})
        if not isinstance(overlap_training, bool):
            raise ValueError(f"overlap_training must be true or false; got {overlap_training!r}")
        self.prioritized_replay = prioritized_replay
        self.overlap_training = overlap_training
        self._pending_train = 0  # gradient steps deferred to the next env step (overlap_training)
        self.exploration_decay = float(exploration_decay)
        self._stop_requested = False
        self._mask_cache = None  # (num_timesteps, masks of the envs' current states), from the last step
        kwargs.setdefault("train_freq", 1)
        kwargs["policy_kwargs"] = _fused_adam(kwargs.get("policy_kwargs"))
        super().__init__(policy, env, replay_buffer_class=buffer_class, replay_buffer_kwargs=rb_kwargs, **kwargs)
        self.exploration_rate = self.exploration_initial_eps

    # ----------------------------------------------------------------------------- acting
    @property
    def n_actions(self) -> int:
        return int(self.action_space.n)

    def current_action_masks(self) -> np.ndarray:
        """Masks of the training env's current states, ``(n_envs, n_actions)``."""
        if self.env is None:
            return np.ones((1, self.n_actions), dtype=bool)
        return env_action_masks(self.env, self.n_actions)

    def _acting_masks(self) -> np.ndarray:
        """The current masks as the last step's infos gave them (no env call), else fetched."""
        cached, self._mask_cache = self._mask_cache, None
        if cached is not None and cached[0] == self.num_timesteps:
            return cached[1]
        return self.current_action_masks()

    def predict(
        self,
        observation,
        state=None,
        episode_start=None,
        deterministic: bool = False,
        action_masks: np.ndarray | None = None,
    ):
        """Epsilon-greedy (``deterministic=False``) or greedy action among the legal ones.

        ``action_masks``: bool ``(n_actions,)`` or ``(batch, n_actions)``, ``True`` = legal;
        ``None`` = all legal.
        """
        obs_tensor, vectorized = self.policy.obs_to_tensor(observation)
        n_batch = next(iter(obs_tensor.values())).shape[0] if isinstance(obs_tensor, dict) else obs_tensor.shape[0]
        if action_masks is None:
            masks = np.ones((n_batch, self.n_actions), dtype=bool)
        else:
            masks = np.asarray(action_masks, dtype=bool).reshape(n_batch, self.n_actions)
        legal_any = masks.any(axis=1)
        masks = np.where(legal_any[:, None], masks, True)  # a state with no legal action: any
        with th.no_grad():
            q = self.q_net(obs_tensor)
            q = q.masked_fill(~th.as_tensor(masks, device=q.device), -th.inf)
            actions = q.argmax(dim=1).cpu().numpy()
        if not deterministic:
            for i in range(n_batch):
                if np.random.rand() < self.exploration_rate:
                    actions[i] = np.random.choice(np.flatnonzero(masks[i]))
        if not vectorized:
            return actions[0], state
        return actions, state

    def _sample_action(self, learning_starts: int, action_noise=None, n_envs: int = 1):
        masks = self._acting_masks()
        if self.num_timesteps < learning_starts:
            action = np.array(
                [np.random.choice(np.flatnonzero(m)) if m.any() else np.random.randint(self.n_actions) for m in masks]
            )
        else:
            action, _ = self.predict(self._last_obs, deterministic=False, action_masks=masks)
        action = np.asarray(action).reshape(n_envs)
        return action, action

    def _store_transition(self, replay_buffer, buffer_action, new_obs, reward, dones, infos):
        masks = None  # the envs' current masks, fetched only when an info has none
        reset_infos = getattr(self.env, "reset_infos", None) or [{}] * len(infos)
        now = []  # the mask of each env's current state: the step's, or after an auto-reset the reset's
        for i, info in enumerate(infos):
            if "action_mask" in info:  # the mask of the state the step led to (terminal or not)
                info["next_action_mask"] = np.asarray(info["action_mask"], dtype=bool)
            elif not dones[i]:
                masks = self.current_action_masks() if masks is None else masks  # after auto-reset: right
                info["next_action_mask"] = masks[i]  # for the envs not done
            now.append((reset_infos[i] if dones[i] else info).get("action_mask"))
        if masks is None and all(m is not None for m in now):
            masks = np.stack(now).astype(bool).reshape(len(infos), self.n_actions)
        self._mask_cache = None if masks is None else (self.num_timesteps, masks)
        super()._store_transition(replay_buffer, buffer_action, new_obs, reward, dones, infos)

    def request_stop(self) -> None:
        """End the current ``learn()`` cleanly before the next env step (for a callback's
        ``_on_step``: returning ``False`` there would drop the step's transition and last
        observation, so a checkpoint taken afterwards would not resume exactly)."""
        self._stop_requested = True

    def learn(self, *args, **kwargs):
        self._stop_requested = False
        self._mask_cache = None
        return super().learn(*args, **kwargs)

    def collect_rollouts(self, env, *args, **kwargs):
        if self._stop_requested:  # set by request_stop() between steps: stop before acting again
            from stable_baselines3.common.type_aliases import RolloutReturn

            return RolloutReturn(0, 0, continue_training=False)
        if not self._pending_train:
            return super().collect_rollouts(env, *args, **kwargs)

        def step(actions):  # the deferred gradient steps run while the env processes step
            env.step_async(actions)
            self._run_pending_train()
            return env.step_wait()

        env.step = step  # (an instance attribute, for this call only)
        try:
            return super().collect_rollouts(env, *args, **kwargs)
        finally:
            del env.step

    # ----------------------------------------------------------------------------- schedules
    def _update_exploration(self) -> None:
        self.exploration_rate = max(
            self.exploration_final_eps, self.exploration_initial_eps * self.exploration_decay**self._n_updates
        )

    def _on_step(self) -> None:
        self._n_calls += 1
        self._update_exploration()
        self.logger.record("rollout/exploration_rate", self.exploration_rate)

    # ----------------------------------------------------------------------------- learning
    def td_target(self, data: MaskedReplayBufferSamples) -> th.Tensor:
        """Masked double-DQN n-step target, ``(batch, 1)``."""
        discounts = data.discounts if data.discounts is not None else self.gamma
        with th.no_grad():
            legal = data.next_action_masks.bool()
            q_online = self.q_net(data.next_observations).masked_fill(~legal, -th.inf)
            best = q_online.argmax(dim=1, keepdim=True)
            q_next = th.gather(self.q_net_target(data.next_observations), 1, best)
            q_next = th.where(legal.any(dim=1, keepdim=True), q_next, th.zeros_like(q_next))
            return data.rewards + (1.0 - data.dones) * discounts * q_next

    def _overlaps(self) -> bool:
        from stable_baselines3.common.vec_env import SubprocVecEnv

        return self.overlap_training and isinstance(self.env, SubprocVecEnv)

    def _run_pending_train(self) -> None:
        steps, self._pending_train = self._pending_train, 0
        if steps:
            self._train_now(steps, self.batch_size)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        if self._overlaps() and batch_size == self.batch_size:  # with the next env step (collect_rollouts)
            self._pending_train += gradient_steps
            return
        self._run_pending_train()  # (pending from a run with envs in processes)
        self._train_now(gradient_steps, batch_size)

    def _train_now(self, gradient_steps: int, batch_size: int) -> None:
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses = []
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self.get_vec_normalize_env())
            target = self.td_target(data)
            current = th.gather(self.q_net(data.observations), 1, data.actions.long())
            if data.weights is None:
                loss = F.smooth_l1_loss(current, target)
            else:  # prioritised replay: importance-weighted loss, new priorities from the TD errors
                loss = (data.weights * F.smooth_l1_loss(current, target, reduction="none")).mean()
                self.replay_buffer.update_priorities(data.indices, (target - current).detach().cpu().numpy())
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
            self._n_updates += 1
            if self._n_updates % self.target_update_interval == 0:
                self.q_net_target.load_state_dict(self.q_net.state_dict())
        self._update_exploration()
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        if losses:
            self.logger.record("train/loss", float(np.mean(losses)))

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_stop_requested", "_mask_cache"]
