"""Checkpoints of a training run, written and read in one place (see :mod:`crlqas.agents.train`).

A checkpoint (``RUN/seed_<S>/checkpoints/ep<N>/``, written atomically by
:func:`crlqas.agents.runlog.write_checkpoint`) holds:

* ``model.zip``: the model (``model.save``: weights, optimizer, counters, the last observation);
* ``replay_buffer.pkl``: the replay buffer of off-policy agents (``model.save_replay_buffer``);
* ``state.pkl``: the run callback's state, the curriculum (``CurriculumCallback.state_dict()``),
  the pickled training envs (state and RNG, mid-run) and greedy-evaluation env, the
  python/numpy/torch RNG states and the action space's RNG state.

:func:`load_checkpoint` restores all of it so that a resumed run continues exactly.
"""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np

from .runlog import read_manifest, write_checkpoint

__all__ = ["load_checkpoint", "save_checkpoint"]


def _rng_states() -> dict:
    import torch

    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def _set_rng_states(s: dict) -> None:
    import torch

    random.setstate(s["python"])
    np.random.set_state(s["numpy"])
    torch.set_rng_state(s["torch"])


def save_checkpoint(seed_path: Path, model, curriculum_cb, run_state: dict, eval_env=None) -> None:
    """Checkpoint ``model`` (with its training env), the curriculum callback's state, the run state
    (``run_state["episodes"]`` names the checkpoint) and the evaluation env."""

    def files(tmp: Path):
        model.save(tmp / "model.zip")
        if getattr(model, "replay_buffer", None) is not None:
            model.save_replay_buffer(tmp / "replay_buffer.pkl")
        state = {
            "run": run_state,
            "rng": _rng_states(),
            "action_space_rng": model.action_space.np_random.bit_generator.state,
            "curriculum": None if curriculum_cb is None else curriculum_cb.state_dict(),
            "envs": pickle.dumps(model.get_env().envs),
            "eval_env": None if eval_env is None else pickle.dumps(eval_env),
            "algorithm": type(model).__name__,
        }
        with open(tmp / "state.pkl", "wb") as fh:
            pickle.dump(state, fh)

    write_checkpoint(seed_path, run_state["episodes"], files)


def load_checkpoint(seed_path: Path, agent_cls, vec_env):
    """``(model, state)`` from the latest checkpoint of ``seed_path`` (``(None, None)`` without one).

    The model is loaded without an env and then given ``vec_env`` with ``set_env(force_reset=False)``:
    its saved last observation is kept (the pickled envs are mid-run; SB3's default reset at the
    next ``learn()`` would consume env RNG and, for on-policy agents checkpointed mid-episode, cut
    the episode in progress) and ``vec_env``'s seeds for its next reset are left unset (``load(env=)``
    would set them).  The sub-envs of ``vec_env`` (a ``DummyVecEnv``) are replaced by the pickled
    ones, then the python/numpy/torch and action-space RNG states are restored.
    """
    manifest = read_manifest(seed_path)
    if manifest is None:
        return None, None
    path = manifest["path"]
    with open(path / "state.pkl", "rb") as fh:
        state = pickle.load(fh)
    model = agent_cls.load(path / "model.zip", device="cpu")
    model.set_env(vec_env, force_reset=False)
    if (path / "replay_buffer.pkl").exists():
        model.load_replay_buffer(path / "replay_buffer.pkl")
    vec_env.envs = pickle.loads(state["envs"])  # environment state and RNG, mid-run
    _set_rng_states(state["rng"])
    model.action_space.np_random.bit_generator.state = state["action_space_rng"]
    return model, state
