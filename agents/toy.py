"""A small masked task that a correct masked agent solves in a few thousand steps.

:class:`MaskedCueEnv` ("identity with masks", in the spirit of SB3's ``IdentityEnv``): at each of
``horizon`` steps the observation shows a cue ``c`` (one-hot) and the legal actions.  Action ``c``
itself is always illegal, as are ``num_illegal - 1`` further random actions; the rewarded action is
``(c + 1) % n`` (always legal).  Taking an illegal action raises ``IllegalActionError``, so an agent
that ignores the masks fails loudly.  The reward is ``+1`` for the rewarded action, ``0`` otherwise;
an episode is a success (``info["is_success"]``) when every step was right.  Random guessing among
the legal actions succeeds with probability ``(1 / (n - num_illegal)) ** horizon``.

The environment exposes ``action_masks()`` (sb3-contrib convention, ``True`` = legal) and the mask
of the new state in ``info["action_mask"]``, like the QAS environment.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["IllegalActionError", "MaskedCueEnv", "greedy_success_rate"]


class IllegalActionError(RuntimeError):
    """An agent took an action its mask forbids."""


class MaskedCueEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, n_actions: int = 6, horizon: int = 3, num_illegal: int = 2, illegal_reward: float | None = None):
        if not 1 <= num_illegal <= n_actions - 2:
            raise ValueError(f"num_illegal must be in [1, n_actions - 2]; got {num_illegal}")
        self.n_actions, self.horizon, self.num_illegal = int(n_actions), int(horizon), int(num_illegal)
        #: reward of an illegal action instead of raising (to measure what masks prevent)
        self.illegal_reward = illegal_reward
        self.action_space = spaces.Discrete(self.n_actions)
        # cue one-hot, step one-hot, legal-action mask
        size = 2 * self.n_actions + self.horizon
        self.observation_space = spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)
        self._t = 0
        self._cue = 0
        self._mask = np.ones(self.n_actions, dtype=bool)
        self._all_right = True

    def _draw(self) -> None:
        rng = self.np_random
        self._cue = int(rng.integers(self.n_actions))
        self._mask = np.ones(self.n_actions, dtype=bool)
        self._mask[self._cue] = False
        others = [a for a in range(self.n_actions) if a not in (self._cue, self.target)]
        for a in rng.choice(others, size=self.num_illegal - 1, replace=False):
            self._mask[a] = False

    @property
    def target(self) -> int:
        return (self._cue + 1) % self.n_actions

    def _obs(self) -> np.ndarray:
        obs = np.zeros(self.observation_space.shape, dtype=np.float32)
        obs[self._cue] = 1.0
        obs[self.n_actions + min(self._t, self.horizon - 1)] = 1.0
        obs[self.n_actions + self.horizon :] = self._mask
        return obs

    def action_masks(self) -> np.ndarray:
        return self._mask.copy()

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._t, self._all_right = 0, True
        self._draw()
        return self._obs(), {"action_mask": self.action_masks()}

    def step(self, action):
        action = int(action)
        if not self._mask[action]:
            if self.illegal_reward is None:
                raise IllegalActionError(f"action {action} is illegal; legal: {np.flatnonzero(self._mask).tolist()}")
            reward, right = float(self.illegal_reward), False
        else:
            right = action == self.target
            reward = 1.0 if right else 0.0
        self._all_right &= right
        self._t += 1
        done = self._t >= self.horizon
        if not done:
            self._draw()
        info = {"action_mask": self.action_masks()}
        if done:
            info["is_success"] = bool(self._all_right)
        return self._obs(), reward, done, False, info


def greedy_success_rate(model, env: MaskedCueEnv, episodes: int = 50, seed: int = 0) -> float:
    """Fraction of ``episodes`` the model solves acting greedily with masks."""
    wins = 0
    for k in range(episodes):
        obs, info = env.reset(seed=seed + k)
        done = False
        while not done:
            action, _ = model.predict(obs, deterministic=True, action_masks=env.action_masks())
            obs, _, done, _, info = env.step(int(action))
        wins += bool(info["is_success"])
    return wins / episodes
