"""Checkpoints of a training run, written and read in one place (see :mod:`crlqas.agents.train`).

A checkpoint (``RUN/seed_<S>/checkpoints/ep<N>/``, written by
:func:`crlqas.agents.runlog.write_checkpoint`) holds:

* ``model.zip``: the model (``model.save``: weights, optimizer, counters, the last observation);
* ``replay_buffer.pkl``: the replay buffer of off-policy agents (``model.save_replay_buffer``);
* ``state.pkl``: the run callback's state, the curriculum (``CurriculumCallback.state_dict()``),
  the pickled training envs (state and RNG, mid-run: ``envs``, the ``DummyVecEnv``'s list of one
  env, or ``env_states``, one pickle per env of a ``SubprocVecEnv`` (``[run] n_envs > 1``) from
  ``env_method("get_state")``, see :class:`crlqas.envs.wrappers.EnvStateWrapper`) and the
  greedy-evaluation env, the python/numpy/torch (CPU) RNG states and the action space's RNG state;
* ``checkpoint.json``: the manifest: the episode, the SHA-256 and size of each file above, and the
  run's configuration the checkpoint was made with.

A checkpoint is complete and verified before the older ones are deleted (the previous one is
always kept).  :func:`load_checkpoint` restores the newest valid checkpoint so that a resumed run
continues exactly; damaged newer ones (a file missing, truncated or changed, a manifest that does
not parse) are skipped and reported, and a checkpoint made with another configuration is refused
(:func:`check_config`).

Checkpoints hold no device: the model is loaded onto the run's ``[agent] device`` (``load(...,
device=)``; the replay buffer follows the model), so a checkpoint made on a GPU resumes on a CPU and
the other way round (``agent.device`` may change on resume).
"""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np

from crlqas.qnoise.errors import ValidationError

from .runlog import (
    RESUME_MAY_CHANGE,
    CheckpointInvalid,
    checkpoint_dirs,
    config_differences,
    no_valid_checkpoint,
    verify_checkpoint,
    write_checkpoint,
)

__all__ = ["check_config", "load_checkpoint", "save_checkpoint"]


def _rng_states() -> dict:
    import torch

    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # a run on the GPU (CPU tensors)
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(s: dict) -> None:
    import torch

    random.setstate(s["python"])
    np.random.set_state(s["numpy"])
    torch.set_rng_state(s["torch"])
    cuda = s.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def save_checkpoint(
    seed_path: Path, model, curriculum_cb, run_state: dict, eval_env=None, config: dict | None = None
) -> Path:
    """Checkpoint ``model`` (with its training env), the curriculum callback's state, the run state
    (``run_state["episodes"]`` names the checkpoint), the evaluation env and the run's
    configuration ``config`` (recorded in the manifest); returns the checkpoint's directory."""

    def files(tmp: Path):
        model.save(tmp / "model.zip")
        if getattr(model, "replay_buffer", None) is not None:
            model.save_replay_buffer(tmp / "replay_buffer.pkl")
        state = {
            "run": run_state,
            "rng": _rng_states(),
            "action_space_rng": model.action_space.np_random.bit_generator.state,
            "curriculum": None if curriculum_cb is None else curriculum_cb.state_dict(),
            **_env_states(model.get_env()),
            "eval_env": None if eval_env is None else pickle.dumps(eval_env),
            "algorithm": type(model).__name__,
        }
        with open(tmp / "state.pkl", "wb") as fh:
            pickle.dump(state, fh)

    return write_checkpoint(seed_path, run_state["episodes"], files, config=config)


def _env_states(vec_env) -> dict:
    """The training envs' state: ``{"envs": pickled list of envs}`` for a ``DummyVecEnv`` (as always),
    ``{"env_states": [pickle per env]}`` for a vector env of other processes (``SubprocVecEnv``
    of :class:`~crlqas.envs.wrappers.EnvStateWrapper` envs)."""
    if hasattr(vec_env, "envs"):
        return {"envs": pickle.dumps(vec_env.envs)}
    return {"env_states": list(vec_env.env_method("get_state"))}


#: settings older crlqas did not record, with the value they had then (a checkpoint made before a
#: setting existed compares as if it had recorded this value)
UNRECORDED_DEFAULTS = {("run", "n_envs"): 1, ("env", "success_metric"): "noisy"}


#: DQN settings older crlqas did not record among the run's (resolved) agent parameters, with the
#: value they had then
UNRECORDED_DQN_PARAMS = {"prioritized_replay": False, "overlap_training": False}


def with_unrecorded_defaults(config: dict) -> dict:
    """A recorded run configuration (a run's ``config.json`` or a checkpoint's) with the settings
    older crlqas did not record filled in with their values of then (:data:`UNRECORDED_DEFAULTS`,
    and :data:`UNRECORDED_DQN_PARAMS` where the built-in DQN's parameters were recorded), so that a
    run made before a setting existed resumes as it was made and compares equal to today's."""
    config = dict(config)
    for (section, key), value in UNRECORDED_DEFAULTS.items():
        part = config.get(section)
        if isinstance(part, dict) and key not in part:
            config[section] = {**part, key: value}
    agent = config.get("agent")
    if isinstance(agent, dict) and agent.get("name", "dqn") == "dqn" and isinstance(agent.get("params"), dict):
        params = agent["params"]
        if params and "buffer_size" in params:  # resolved parameters (every crlqas run records them)
            missing = {k: v for k, v in UNRECORDED_DQN_PARAMS.items() if k not in params}
            config["agent"] = {**agent, "params": {**params, **missing}}
    return config


def check_config(manifest: dict, config: dict, config_path=None) -> None:
    """Refuse to resume from a checkpoint made with another configuration than ``config`` (the run's
    ``config.json``): :class:`~crlqas.qnoise.errors.ValidationError` listing the differing settings
    as dotted paths.  The settings of :data:`~crlqas.agents.runlog.RESUME_MAY_CHANGE` (episodes,
    checkpoint frequency, time limit, parallelism, torch device) may differ.  Checkpoints without a
    recorded configuration (older crlqas) are not checked; settings older crlqas did not record
    compare as their defaults of then (:data:`UNRECORDED_DEFAULTS`)."""
    made_with = manifest.get("config")
    if made_with is None:
        return
    diff = config_differences(with_unrecorded_defaults(made_with), config)
    if diff:
        where = config_path or "the run's configuration"
        raise ValidationError(
            f"{where} differs from the configuration checkpoint {manifest['path']} was made with "
            f"(checkpoint -> now): {'; '.join(diff)}.  Resuming would continue a different run: "
            f"restore those settings, or train a new run (--out); a resumed run may change only "
            f"{', '.join(k for k in RESUME_MAY_CHANGE if k != 'name')}"
        )


def _load_files(path: Path, agent_cls, vec_env, device) -> tuple:
    """Everything a checkpoint holds, read before anything is changed (a file that does not load
    leaves ``vec_env`` and the RNGs as they were)."""
    with open(path / "state.pkl", "rb") as fh:
        state = pickle.load(fh)
    model = agent_cls.load(path / "model.zip", device=device)
    if (path / "replay_buffer.pkl").exists():
        model.load_replay_buffer(path / "replay_buffer.pkl")
    if "env_states" in state:  # one pickle per env of another process: loadable here too?
        envs = [pickle.loads(blob) for blob in state["env_states"]]
    else:
        envs = pickle.loads(state["envs"])  # environment state and RNG, mid-run
    if len(envs) != vec_env.num_envs:
        raise ValidationError(f"the checkpoint holds {len(envs)} envs; the run has {vec_env.num_envs}")
    model.set_env(vec_env, force_reset=False)
    return model, state, envs


def _restore_envs(vec_env, state: dict, envs: list) -> None:
    """Put the checkpoint's envs (state and RNG) into ``vec_env``."""
    if hasattr(vec_env, "envs"):  # DummyVecEnv: the envs themselves
        vec_env.envs = envs
    else:  # SubprocVecEnv: each env process unpickles its own
        for i, blob in enumerate(state["env_states"]):
            vec_env.env_method("set_state", blob, indices=i)


def load_checkpoint(
    seed_path: Path, agent_cls, vec_env, config: dict | None = None, config_path=None, device: str = "cpu"
):
    """``(model, state)`` from the newest valid checkpoint of ``seed_path`` (``(None, None)``
    without one).

    Each checkpoint, newest first, is verified against its manifest (sizes and SHA-256) and loaded;
    one that fails is skipped: ``state["skipped"]`` lists ``"ep<N>: <why>"`` for each, and
    ``state["checkpoint"]`` is the directory used.  When checkpoints exist and none is valid a
    :class:`~crlqas.qnoise.errors.CrlqasError` lists them with the reasons.  ``config`` (the run's
    configuration, from ``config_path``) is checked against the checkpoint's (:func:`check_config`).

    The model is loaded without an env and then given ``vec_env`` with ``set_env(force_reset=False)``:
    its saved last observation is kept (the pickled envs are mid-run; SB3's default reset at the
    next ``learn()`` would consume env RNG and, for on-policy agents checkpointed mid-episode, cut
    the episode in progress) and ``vec_env``'s seeds for its next reset are left unset (``load(env=)``
    would set them).  The sub-envs of ``vec_env`` (a ``DummyVecEnv``) are replaced by the pickled
    ones (a ``SubprocVecEnv``'s envs restore theirs with ``env_method("set_state")``), then the
    python/numpy/torch and action-space RNG states are restored.  The model (and its replay
    buffer) is loaded onto torch device ``device``, whichever device it was saved from.
    """
    skipped = []
    for _, path in checkpoint_dirs(seed_path):
        try:
            manifest = verify_checkpoint(path)
        except CheckpointInvalid as exc:
            skipped.append(f"{path.name}: {exc}")
            continue
        if config is not None:
            check_config(manifest, config, config_path)
        try:
            model, state, envs = _load_files(path, agent_cls, vec_env, device)
        except Exception as exc:  # verified files that do not load (another version of the libraries)
            skipped.append(f"{path.name}: cannot be loaded ({type(exc).__name__}: {exc})")
            continue
        _restore_envs(vec_env, state, envs)
        _set_rng_states(state["rng"])
        model.action_space.np_random.bit_generator.state = state["action_space_rng"]
        state["skipped"], state["checkpoint"] = skipped, str(path)
        return model, state
    if skipped:
        raise no_valid_checkpoint(seed_path, skipped)
    return None, None
