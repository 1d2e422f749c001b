"""Running one trial, in a Ray worker or in the calling process, and the files that record it.

A trial's directory, ``DIR/trials/<id>/``::

    status.json     the current attempt: state (running, done, failed), attempt number, pid, host,
                    start time, and for the agent the checkpoint episode it resumed from
    result.json     the trial's :class:`~crlqas.qnoise.results.ResultRecord`, written atomically
                    when it finishes: a trial with a valid result.json is done and never run again
    error.json      the last failed attempt's error (message and traceback)
    run/            the agent's training run (config.json, seed_<S>/ with its checkpoints)

:func:`execute_trial` is idempotent: a trial already done returns its record; an agent trial whose
seed directory holds a checkpoint resumes from it (the agent's exact resume, so a resumed trial
ends with the same circuit as an uninterrupted one); a partial agent attempt without a checkpoint,
and the baselines (which keep no checkpoints), start again from the beginning.  An attempt that
finds an earlier one still running on this host (the worker of a driver that was killed, which
Ray ends a few seconds later) waits for it to end first, so two attempts never write one trial.

Threads: the trial's cores (``trial.cpus``) set Numba's and torch's thread counts in the worker
(``NUMBA_NUM_THREADS``/``OMP_NUM_THREADS`` come from the Ray task's environment, see
:func:`thread_env`).  The agent trains each seed on one thread by design (the seeds, or ``n_envs``
environment processes, are its parallel level).
"""

from __future__ import annotations

import os
import socket
import sys
import time
import traceback
from pathlib import Path

from crlqas.qnoise.errors import CrlqasError, InputFileError, ValidationError
from crlqas.qnoise.fileio import atomic_write_json, read_json_object
from crlqas.qnoise.results import ResultRecord

from .trials import Trial

__all__ = ["execute_trial", "read_optional", "read_result", "read_status", "thread_env", "trial_dir", "trial_state"]

EARLIER_ATTEMPT_WAIT = 120.0
RESULT = "result.json"
STATUS = "status.json"
ERROR = "error.json"


def trial_dir(exp_dir, trial_id: str) -> Path:
    return Path(exp_dir) / "trials" / trial_id


def thread_env(cpus: int) -> dict:
    """The environment of a trial's worker process: one Numba/OpenMP/MKL thread per core."""
    n = str(max(1, int(cpus)))
    return {"NUMBA_NUM_THREADS": n, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n}


def read_result(tdir) -> ResultRecord | None:
    """The trial's record when ``result.json`` exists and is a valid record, else ``None``."""
    path = Path(tdir) / RESULT
    if not path.is_file():
        return None
    try:
        return ResultRecord.read_json(path)
    except (InputFileError, TypeError, ValueError):
        return None


def read_optional(path, what: str) -> dict | None:
    """The JSON object in ``path``; ``None`` when it is missing, unreadable or not an object (a
    status file another process replaces: the next look tells)."""
    try:
        return read_json_object(path, what)
    except InputFileError:
        return None


def read_status(tdir) -> dict | None:
    """The trial's ``status.json`` (``None`` when missing or unreadable)."""
    return read_optional(Path(tdir) / STATUS, "trial status")


def trial_state(tdir) -> str:
    """``"done"`` (a valid result), ``"failed"`` (its last attempt raised), ``"running"`` (an
    attempt started and has not ended: running, or interrupted if its driver is gone) or
    ``"pending"``."""
    if read_result(tdir) is not None:
        return "done"
    status = read_status(tdir) or {}
    if status.get("state") == "failed" or (not status and (Path(tdir) / ERROR).exists()):
        return "failed"
    return "running" if status.get("state") == "running" else "pending"


def execute_trial(trial: dict, exp_dir: str) -> dict:
    """Run ``trial`` (a :meth:`Trial.to_dict`) of the experiment in ``exp_dir`` in this process;
    returns its record (:meth:`ResultRecord.to_dict`), also written to ``result.json``.  An error
    is recorded in ``error.json`` (and ``status.json``) and raised."""
    t = Trial.from_dict(trial)
    tdir = trial_dir(exp_dir, t.id)
    done = read_result(tdir)
    if done is not None:
        return done.to_dict()
    previous = read_status(tdir) or {}
    if _wait_for_earlier_attempt(previous, t.id):
        done = read_result(tdir)  # the earlier attempt may have finished it
        if done is not None:
            return done.to_dict()
        previous = read_status(tdir) or previous
    status = {
        "trial": t.id,
        "state": "running",
        "attempt": int(previous.get("attempt", 0)) + 1,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.time(),
    }
    atomic_write_json(tdir / STATUS, status)
    _set_threads(t.cpus, torch=t.method == "agent")
    try:
        record = _run(t, tdir, status)
        if not isinstance(record, ResultRecord):
            raise ValidationError(f"method {t.method!r} returned {type(record).__name__}, not a ResultRecord")
    except Exception as exc:
        error = {
            "trial": t.id,
            "attempt": status["attempt"],
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(),
            "time": time.time(),
        }
        atomic_write_json(tdir / ERROR, error)
        atomic_write_json(tdir / STATUS, {**status, "state": "failed", "finished": time.time()})
        raise
    record.write_json(tdir / RESULT)
    (tdir / ERROR).unlink(missing_ok=True)
    atomic_write_json(tdir / STATUS, {**status, "state": "done", "finished": time.time()})
    return record.to_dict()


def _process_started(pid: int) -> float | None:
    """The start time (epoch seconds) of process ``pid`` on Linux; ``None`` elsewhere or if unknown."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _alive(status: dict) -> bool:
    """Whether the attempt of ``status`` still runs in another process of this host (a worker of a
    driver that was killed ends a few seconds later, or finishes its trial): its pid exists and
    (where known) started before the attempt did, so a reused pid does not count."""
    pid = status.get("pid")
    if status.get("state") != "running" or status.get("host") != socket.gethostname() or pid in (None, os.getpid()):
        return False
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    started = _process_started(int(pid))
    return started is None or started <= float(status.get("started", 0)) + 1.0


def _wait_for_earlier_attempt(status: dict, trial_id: str) -> bool:
    """Wait (up to :data:`EARLIER_ATTEMPT_WAIT` seconds) until an earlier attempt of the trial that
    still runs on this host has ended, so that two attempts never write one trial; ``True`` if
    there was one."""
    if not _alive(status):
        return False
    deadline = time.monotonic() + EARLIER_ATTEMPT_WAIT
    while _alive(status):
        if time.monotonic() > deadline:
            raise CrlqasError(
                f"trial {trial_id}: an earlier attempt still runs (process {status['pid']} on {status['host']}); "
                "stop it, then resume"
            )
        time.sleep(0.5)
    return True


def _set_threads(cpus: int, torch: bool) -> None:
    import numba

    numba.set_num_threads(max(1, min(int(cpus), numba.config.NUMBA_NUM_THREADS)))
    if torch or "torch" in sys.modules:
        import torch as _torch

        _torch.set_num_threads(max(1, int(cpus)))


def _run(t: Trial, tdir: Path, status: dict) -> ResultRecord:
    if t.method == "agent":
        return _run_agent(t, tdir, status)
    if t.function is not None:
        return _load_function(t.function)(t.problem, t.noise, seed=t.seed, metric=t.metric, **t.options)
    if t.method == "random":
        from crlqas.envs.random_search import random_search

        options = dict(t.options)
        if "episodes" not in options and "time_limit" not in options:
            options["episodes"] = t.config["run"]["episodes"]  # the agent's episodes of this setting
        env = {
            k: v for k, v in t.config["env"].items() if k not in ("problem", "hamiltonian", "noise", "success_metric")
        }
        return random_search(t.problem, t.noise, seed=t.seed, metric=t.metric, **{**env, **options})
    from crlqas.qnoise.baselines import run_baseline

    return run_baseline(t.method, t.problem, t.noise, seed=t.seed, metric=t.metric, **t.options)


def _run_agent(t: Trial, tdir: Path, status: dict) -> ResultRecord:
    """Train (or resume) the trial's seed in ``tdir/run``; its record is the run's ``result.json``."""
    import shutil

    from crlqas.agents.runlog import RESULT_FILE, find_checkpoint
    from crlqas.agents.train import seed_dir, train_seed

    run_dir = tdir / "run"
    sdir = seed_dir(run_dir, t.seed)
    manifest = None
    if sdir.exists():
        try:
            manifest, _ = find_checkpoint(sdir)
        except CrlqasError as exc:  # checkpoints, none valid: train the seed again
            print(f"crlqas: warning: trial {t.id}: {exc}; training it again", file=sys.stderr, flush=True)
    if manifest is None:  # a fresh start: no leftovers of an attempt that died before its first checkpoint
        shutil.rmtree(sdir, ignore_errors=True)
        atomic_write_json(run_dir / "config.json", t.config)
    else:
        status["resumed_from"] = int(manifest["episode"])
        atomic_write_json(tdir / STATUS, status)
    train_seed(t.config, str(run_dir), t.seed, resume=manifest is not None)
    path = sdir / RESULT_FILE
    if not path.exists():
        raise CrlqasError(f"trial {t.id}: the agent's run recorded no circuit ({path} is missing)")
    return ResultRecord.read_json(path)


def _load_function(target: str):
    """The function of ``"module:function"`` or ``"/path/file.py:function"``."""
    import importlib
    import importlib.util

    module_name, func = target.rsplit(":", 1)
    if module_name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(f"crlqas_suite_{Path(module_name).stem}", module_name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    try:
        return getattr(module, func)
    except AttributeError:
        raise ValidationError(f"method {target!r}: {module_name} has no function {func!r}") from None
