"""The environments of one training seed and the threads of the processes they run in.

:func:`make_vec_env` builds a seed's training envs (``[run] n_envs``: one ``DummyVecEnv`` env in
the seed's process, or a ``SubprocVecEnv`` of N env processes, start method ``forkserver``, else
``spawn``, each with one Numba and one torch thread: :class:`SubprocEnvFactory`) and
:func:`close_vec_env` closes them, also after their processes are gone; :func:`make_eval_env`
builds the greedy-evaluation env.  :func:`worker_init` (a parallel seed's or an env's process) and
:func:`single_threaded` (a seed training in this process) keep each process to one Numba and one
torch thread.  Importing this module loads nothing heavy.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["SubprocEnvFactory", "close_vec_env", "make_eval_env", "make_vec_env", "single_threaded", "worker_init"]


def worker_init() -> None:
    """Initializer of each parallel seed's (spawned) process, before Numba or torch load: the seeds
    are the parallel level, so each process runs one Numba and one OpenMP thread."""
    os.environ["NUMBA_NUM_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"


@contextlib.contextmanager
def single_threaded():
    """One Numba and one torch thread while a seed trains; the caller's settings come back after.

    Runtime settings only (``numba.set_num_threads``, ``torch.set_num_threads``): the process
    environment is left alone, since Numba refuses a changed ``NUMBA_NUM_THREADS`` once its
    threads run."""
    import numba
    import torch

    numba_threads, torch_threads = numba.get_num_threads(), torch.get_num_threads()
    numba.set_num_threads(1)
    torch.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(numba_threads)
        torch.set_num_threads(torch_threads)


def make_eval_env(env_config, seed: int):
    """The greedy-evaluation env: same settings, its own RNG stream, the env's default threshold
    (chemical accuracy), so an evaluation episode ends when the greedy circuit is accurate."""
    from crlqas.envs.qas_env import QASEnv

    env = QASEnv(env_config)
    env.reset(seed=seed + 1_000_003)
    return env


def make_vec_env(env_config, n_envs: int = 1):
    """The training envs of one seed: ``n_envs = 1``, a ``DummyVecEnv`` of one ``Monitor(QASEnv)``
    in this process; ``n_envs > 1``, a ``SubprocVecEnv`` of ``n_envs`` envs, each
    ``EnvStateWrapper(Monitor(QASEnv))`` (checkpointed through ``env_method("get_state")``) in its
    own process (start method ``forkserver``, else ``spawn``; one Numba and one torch thread each:
    :class:`SubprocEnvFactory`).  ``env_config``: a ``QASConfig`` or its dict."""
    if n_envs == 1:
        from stable_baselines3.common.monitor import Monitor
        from stable_baselines3.common.vec_env import DummyVecEnv

        from crlqas.envs.qas_env import QASEnv

        return DummyVecEnv([lambda: Monitor(QASEnv(env_config))])
    import multiprocessing as mp

    from stable_baselines3.common.vec_env import SubprocVecEnv

    config = env_config if isinstance(env_config, dict) else env_config.to_dict()
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return SubprocVecEnv([SubprocEnvFactory(config) for _ in range(n_envs)], start_method=method)


class SubprocEnvFactory:
    """Builds one training env in a ``SubprocVecEnv`` process: one Numba and one OpenMP/torch thread
    there (``NUMBA_NUM_THREADS=1`` and ``OMP_NUM_THREADS=1`` are set before this process loads Numba,
    which the env's config and this module do not import), then
    ``EnvStateWrapper(Monitor(QASEnv(config)))``.  ``config``: the env's settings as a dict (plain
    data: unpickling it loads nothing heavy)."""

    def __init__(self, config: dict):
        self.config = config

    def __call__(self):
        worker_init()
        import numba
        import torch
        from stable_baselines3.common.monitor import Monitor

        from crlqas.envs.qas_env import QASEnv
        from crlqas.envs.wrappers import EnvStateWrapper

        numba.set_num_threads(1)  # (a no-op when the variable above took effect)
        torch.set_num_threads(1)  # torch was loaded before this call (by stable-baselines3)
        return EnvStateWrapper(Monitor(QASEnv(self.config)))


def close_vec_env(vec_env) -> None:
    """Close the training envs, also a ``SubprocVecEnv`` whose processes are gone (Ctrl-C reaches
    them too: they end, and ``close()`` would fail waiting for them, hiding the interrupt)."""
    try:
        vec_env.close()
    except (EOFError, OSError):  # (BrokenPipeError, ConnectionResetError: OSErrors)
        for process in getattr(vec_env, "processes", ()):
            if process.is_alive():
                process.terminate()
            process.join(timeout=10)
        vec_env.closed = True
