"""Applying a curriculum to envs, single or vectorised, for any agent.

* :class:`CurriculumWrapper`: a Gymnasium wrapper. At every episode end it calls
  ``curriculum.on_episode_end(info["success"], info["episode_best_offset"])`` and pushes the new
  threshold into the wrapped env (``env.unwrapped.set_threshold``), so the next episode uses it.
  Inside a vector env each sub-env then has its *own* curriculum copy.
* For one curriculum shared by all sub-envs of a vector env, keep the curriculum in the main
  process, feed it the episode ends found in the step ``infos`` (:func:`episode_ends`) and push the
  threshold with :func:`push_threshold` (``env_method("set_threshold", x)`` for SB3 vector envs,
  ``call("set_threshold", x)`` for Gymnasium ones). ``agents.curriculum_callback.CurriculumCallback``
  does this for stable-baselines3; a threshold pushed mid-episode applies from the next step.

Never use ``set_attr("threshold", x)`` on an SB3 vector env: it sets an attribute of the outer
wrapper (e.g. ``Monitor``), not of the env.
"""

from __future__ import annotations

import gymnasium as gym

from crlqas.qnoise.errors import ValidationError

from .curriculum import Curriculum


class CurriculumWrapper(gym.Wrapper):
    """Drive the wrapped QAS env's success threshold from ``curriculum``.

    ``info`` of the last step of an episode gets ``"curriculum_threshold"`` (the threshold for the
    next episode). The wrapped env must have ``set_threshold`` (e.g. :class:`envs.qas_env.QASEnv`).
    """

    def __init__(self, env: gym.Env, curriculum: Curriculum):
        super().__init__(env)
        if not hasattr(env.unwrapped, "set_threshold"):
            raise ValidationError(f"CurriculumWrapper needs an env with set_threshold(x); got "
                                  f"{type(env.unwrapped).__name__}")
        if not all(hasattr(curriculum, a) for a in ("threshold", "on_episode_end")):
            raise ValidationError("curriculum must have a threshold attribute and on_episode_end(success, best_offset)")
        self.curriculum = curriculum
        env.unwrapped.set_threshold(curriculum.threshold)

    def reset(self, *, seed=None, options=None):
        self.env.unwrapped.set_threshold(self.curriculum.threshold)
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self.curriculum.on_episode_end(bool(info.get("success", False)), info.get("episode_best_offset"))
            self.env.unwrapped.set_threshold(self.curriculum.threshold)
            info = dict(info, curriculum_threshold=self.curriculum.threshold)
        return obs, reward, terminated, truncated, info


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
        raise ValidationError(f"cannot push a threshold into {type(vec_env).__name__}: expected an SB3 VecEnv, "
                              f"a gymnasium VectorEnv or an env with set_threshold")


class SharedCurriculumDriver:
    """Agent-agnostic driver of one curriculum over a vector env: call :meth:`update` after each
    vector step with the done flags and per-env infos; it returns whether the threshold changed."""

    def __init__(self, vec_env, curriculum: Curriculum):
        self.vec_env, self.curriculum = vec_env, curriculum
        push_threshold(vec_env, curriculum.threshold)

    def update(self, dones, infos) -> bool:
        before = self.curriculum.threshold
        for _, success, best in episode_ends(dones, infos):
            self.curriculum.on_episode_end(success, best)
        if self.curriculum.threshold != before:
            push_threshold(self.vec_env, self.curriculum.threshold)
            return True
        return False
