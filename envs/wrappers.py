"""Applying a curriculum to envs, single or vectorised, for any agent: one driver, one loop.

* :class:`SharedCurriculumDriver` is the one place a curriculum is driven: it owns one curriculum,
  feeds it the episode ends of each (vector) step (:meth:`~SharedCurriculumDriver.update`, or
  :meth:`~SharedCurriculumDriver.episode_end` for a single episode), counts them and pushes the
  threshold into its env(s) with :func:`push_threshold` (``env_method("set_threshold", x)`` for SB3
  vector envs, ``call("set_threshold", x)`` for Gymnasium ones, ``unwrapped.set_threshold`` for a
  single env); ``state_dict``/``load_state_dict`` checkpoint it.  Used for one curriculum shared by
  all sub-envs of a vector env (kept in the main process; a threshold pushed mid-episode applies
  from the next step) and, through ``agents.curriculum_callback.CurriculumCallback``, by
  stable-baselines3.
* :class:`CurriculumWrapper`: a Gymnasium wrapper around a driver of the wrapped env. At every
  episode end it reports the episode to the driver and pushes the threshold, so the next episode
  uses it. Inside a vector env each sub-env then has its *own* curriculum copy.
* :class:`EnvStateWrapper`: ``get_state()`` / ``set_state(blob)`` pickle and restore the whole
  wrapped env (its state mid-episode and its RNG), reachable through a vector env's
  ``env_method`` also when the env lives in another process (``SubprocVecEnv``): how the training
  run checkpoints and restores the envs of ``[run] n_envs > 1``.

Never use ``set_attr("threshold", x)`` on an SB3 vector env: it sets an attribute of the outer
wrapper (e.g. ``Monitor``), not of the env.
"""

from __future__ import annotations

import pickle

import gymnasium as gym

from crlqas.qnoise.errors import ValidationError

from .curriculum import Curriculum


class CurriculumWrapper(gym.Wrapper):
    """Drive the wrapped QAS env's success threshold from ``curriculum`` (through a
    :class:`SharedCurriculumDriver` of the wrapped env, :attr:`driver`).

    ``info`` of the last step of an episode gets ``"curriculum_threshold"`` (the threshold for the
    next episode). The wrapped env must have ``set_threshold`` (e.g. :class:`envs.qas_env.QASEnv`).
    """

    def __init__(self, env: gym.Env, curriculum: Curriculum):
        super().__init__(env)
        if not hasattr(env.unwrapped, "set_threshold"):
            raise ValidationError(
                f"CurriculumWrapper needs an env with set_threshold(x); got {type(env.unwrapped).__name__}"
            )
        self.driver = SharedCurriculumDriver(env, curriculum)

    @property
    def curriculum(self) -> Curriculum:
        return self.driver.curriculum

    def reset(self, *, seed=None, options=None):
        self.driver.push()
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self.driver.episode_end(bool(info.get("success", False)), info.get("episode_best_offset"))
            self.driver.push()
            info = dict(info, curriculum_threshold=self.driver.threshold)
        return obs, reward, terminated, truncated, info


class EnvStateWrapper(gym.Wrapper):
    """Pickle and restore the wrapped env, whole: :meth:`get_state` returns the pickled env (with
    every wrapper inside this one, its state mid-episode and its ``np_random``), :meth:`set_state`
    replaces the wrapped env by such a pickle.  Through a vector env:
    ``vec_env.env_method("get_state")`` (one ``bytes`` per sub-env) and
    ``vec_env.env_method("set_state", blob, indices=i)``, also across processes."""

    def get_state(self) -> bytes:
        return pickle.dumps(self.env)

    def set_state(self, blob: bytes) -> None:
        env = pickle.loads(blob)
        if env.observation_space != self.env.observation_space or env.action_space != self.env.action_space:
            raise ValidationError("set_state: the pickled env has other observation or action spaces")
        self.env = env


def episode_ends(dones, infos):
    """``(index, success, best_offset)`` for each sub-env whose episode ended this step.

    ``dones``: the vector env's done flags (SB3: ``terminated | truncated``); ``infos``: its list of
    info dicts (SB3) — for Gymnasium vector envs pass ``gymnasium_infos_to_list(infos, n)``.
    """
    out = []
    for i, done in enumerate(dones):
        if done:
            info = infos[i] if i < len(infos) else {}
            out.append((i, bool(info.get("success", False)), info.get("episode_best_offset")))
    return out


def gymnasium_infos_to_list(infos: dict, num_envs: int) -> list[dict]:
    """Gymnasium vector envs return one dict of arrays (with ``_key`` masks); make per-env dicts."""
    out = [{} for _ in range(num_envs)]
    for key, values in infos.items():
        if key.startswith("_"):
            continue
        mask = infos.get("_" + key)
        for i in range(num_envs):
            if mask is None or mask[i]:
                out[i][key] = values[i]
    return out


def push_threshold(vec_env, threshold: float) -> None:
    """Set the success threshold of every sub-env of an SB3 ``VecEnv`` or a Gymnasium ``VectorEnv``
    (or of a single env)."""
    if hasattr(vec_env, "env_method"):  # stable-baselines3 VecEnv (reaches the inner env's method)
        vec_env.env_method("set_threshold", threshold)
    elif hasattr(vec_env, "call") and hasattr(vec_env, "num_envs"):  # gymnasium.vector.VectorEnv
        vec_env.call("set_threshold", threshold)
    elif hasattr(getattr(vec_env, "unwrapped", None), "set_threshold"):
        vec_env.unwrapped.set_threshold(threshold)
    else:
        raise ValidationError(
            f"cannot push a threshold into {type(vec_env).__name__}: expected an SB3 VecEnv, "
            f"a gymnasium VectorEnv or an env with set_threshold"
        )


class SharedCurriculumDriver:
    """Agent-agnostic driver of one curriculum over an env or all sub-envs of a vector env.

    Call :meth:`update` after each vector step with the done flags and per-env infos; it returns
    whether the threshold changed (and then pushes it).  ``vec_env`` may be ``None`` and be given
    later with :meth:`attach` (an SB3 callback knows its training env only when training starts).
    :attr:`episodes_seen` counts the episode ends fed to the curriculum.
    """

    def __init__(self, vec_env, curriculum: Curriculum):
        if not all(hasattr(curriculum, a) for a in ("threshold", "on_episode_end")):
            raise ValidationError("curriculum must have a threshold attribute and on_episode_end(success, best_offset)")
        self.vec_env, self.curriculum = None, curriculum
        self.episodes_seen = 0
        if vec_env is not None:
            self.attach(vec_env)

    @property
    def threshold(self) -> float:
        return self.curriculum.threshold

    def attach(self, vec_env) -> None:
        """Drive ``vec_env`` from now on and push the current threshold into it."""
        self.vec_env = vec_env
        self.push()

    def push(self) -> None:
        """Set the current threshold in the env(s) (nothing while no env is attached)."""
        if self.vec_env is not None:
            push_threshold(self.vec_env, self.curriculum.threshold)

    def episode_end(self, success: bool, best_offset: float | None = None) -> float:
        """Feed one episode end to the curriculum (no push); returns the new threshold."""
        self.curriculum.on_episode_end(success, best_offset)
        self.episodes_seen += 1
        return self.curriculum.threshold

    def update(self, dones, infos) -> bool:
        """Feed the episode ends of one vector step; push the threshold if it changed."""
        before = self.curriculum.threshold
        for _, success, best in episode_ends(dones, infos):
            self.episode_end(success, best)
        if self.curriculum.threshold != before:
            self.push()
            return True
        return False

    def state_dict(self) -> dict:
        return {"curriculum": self.curriculum.state_dict(), "episodes_seen": self.episodes_seen}

    def load_state_dict(self, state: dict) -> None:
        self.curriculum.load_state_dict(state["curriculum"])
        self.episodes_seen = int(state.get("episodes_seen", 0))
