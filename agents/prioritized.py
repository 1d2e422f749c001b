"""Prioritised experience replay (Schaul et al., ICLR 2016, proportional variant) for the masked
n-step DQN, as the CRLQAS paper's code uses it.

A transition ``i`` (one slot of one env's column) is drawn with probability
``P(i) = p_i^alpha / sum_k p_k^alpha``; new transitions get the largest priority seen so far, and
after each gradient step the sampled ones get ``p_i = |delta_i| + eps`` (``delta``: their TD error).
The bias this sampling adds is corrected by importance weights ``w_i = (N P(i))^-beta / max_j w_j``
on the loss, ``beta`` annealed linearly from ``beta0`` to 1 over ``beta_steps`` samples.  Draws are
stratified: the total priority is cut into ``batch`` equal segments and one transition is drawn in
each (the paper's scheme), by a sum tree over ``buffer_size * n_envs`` leaves (``O(log N)`` per
draw and per update, vectorised over the batch).

``alpha = 0`` gives uniform sampling with unit weights (the plain buffer's distribution).
"""

from __future__ import annotations

import numpy as np

from .dqn import MaskedNStepReplayBuffer

__all__ = ["PrioritizedMaskedReplayBuffer", "SumTree"]


class SumTree:
    """Non-negative leaf values with their prefix sums: ``set`` and ``find`` in ``O(log N)``,
    vectorised over arrays of leaves.  Leaves live at ``tree[size - 1 + i]`` of a complete binary
    tree stored in one array (the root is ``tree[0]``); ``size`` is rounded up to a power of two."""

    def __init__(self, capacity: int):
        self.capacity = int(capacity)
        self.size = 1 << max(0, (self.capacity - 1).bit_length())
        self.tree = np.zeros(2 * self.size - 1)

    @property
    def total(self) -> float:
        return float(self.tree[0])

    def get(self, leaves) -> np.ndarray:
        return self.tree[self.size - 1 + np.asarray(leaves, dtype=np.int64)]

    def set(self, leaves, values) -> None:
        """Set leaves (an index array; the last value wins for repeats) and their ancestors."""
        nodes = self.size - 1 + np.asarray(leaves, dtype=np.int64).ravel()
        self.tree[nodes] = np.asarray(values, dtype=np.float64).ravel()
        while nodes[0] > 0:  # all nodes are on the same level; a repeated node gets the same sum twice
            nodes = (nodes - 1) // 2
            self.tree[nodes] = self.tree[2 * nodes + 1] + self.tree[2 * nodes + 2]

    def find(self, mass) -> np.ndarray:
        """The leaf whose prefix-sum interval holds each value of ``mass`` (in ``[0, total)``)."""
        mass = np.array(mass, dtype=np.float64)
        nodes = np.zeros(mass.shape, dtype=np.int64)
        while self.size > 1 and nodes[0] < self.size - 1:  # all nodes are on the same level
            left = 2 * nodes + 1
            go_right = mass >= self.tree[left]
            mass = np.where(go_right, mass - self.tree[left], mass)
            nodes = np.where(go_right, left + 1, left)
        leaves = nodes - (self.size - 1)
        return np.minimum(leaves, self.capacity - 1)


class PrioritizedMaskedReplayBuffer(MaskedNStepReplayBuffer):
    """:class:`~agents.dqn.MaskedNStepReplayBuffer` with proportional prioritised sampling.

    Arguments over the base buffer (``[agent.params] replay_buffer_kwargs`` or the agent's
    ``prioritized_replay`` settings): ``alpha`` (priority exponent, default 0.6), ``beta0``
    (initial importance exponent, 0.4), ``beta_steps`` (samples over which beta reaches 1,
    100 000), ``eps`` (priority floor, 1e-6).  :meth:`sample` returns the samples with
    ``weights`` (importance weights, ``(batch, 1)``) and ``indices`` (for
    :meth:`update_priorities`)."""

    def __init__(
        self, *args, alpha: float = 0.6, beta0: float = 0.4, beta_steps: int = 100_000, eps: float = 1e-6, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"prioritised replay alpha must be in [0, 1]; got {alpha!r}")
        if not 0.0 <= beta0 <= 1.0:
            raise ValueError(f"prioritised replay beta0 must be in [0, 1]; got {beta0!r}")
        if int(beta_steps) < 1 or eps <= 0:
            raise ValueError(f"beta_steps must be >= 1 and eps > 0; got {beta_steps!r}, {eps!r}")
        self.alpha, self.beta0, self.beta_steps, self.eps = float(alpha), float(beta0), int(beta_steps), float(eps)
        self.tree = SumTree(self.buffer_size * self.n_envs)
        self.max_priority = 1.0
        self.samples_drawn = 0

    @property
    def beta(self) -> float:
        return min(1.0, self.beta0 + (1.0 - self.beta0) * self.samples_drawn / self.beta_steps)

    def add(self, obs, next_obs, action, reward, done, infos) -> None:
        leaves = self.pos * self.n_envs + np.arange(self.n_envs)
        super().add(obs, next_obs, action, reward, done, infos)
        self.tree.set(leaves, np.full(self.n_envs, self.max_priority**self.alpha))

    def sample(self, batch_size: int, env=None):
        total = self.tree.total
        bounds = np.linspace(0.0, total, batch_size + 1)
        mass = np.random.uniform(bounds[:-1], bounds[1:])
        filled = (self.buffer_size if self.full else self.pos) * self.n_envs
        # (rounding could land past the last filled leaf, on a zero priority: clamp into the filled ones)
        leaves = np.minimum(self.tree.find(np.minimum(mass, np.nextafter(total, 0.0))), filled - 1)
        slots, env_indices = np.divmod(leaves, self.n_envs)
        probs = self.tree.get(leaves) / total
        weights = (filled * probs) ** (-self.beta)
        weights /= weights.max()
        self.samples_drawn += batch_size
        data = self._get_samples(slots, env=env, env_indices=env_indices)
        return data._replace(weights=self.to_torch(weights.astype(np.float32)[:, None]), indices=leaves)

    def update_priorities(self, indices, td_errors) -> None:
        """New priorities ``|td_error| + eps`` of the transitions ``indices`` (of :meth:`sample`)."""
        priorities = np.abs(np.asarray(td_errors, dtype=np.float64).ravel()) + self.eps
        self.max_priority = max(self.max_priority, float(priorities.max()))
        self.tree.set(indices, priorities**self.alpha)
