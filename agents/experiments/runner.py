"""The experiment driver: every trial of a suite as a Ray task, fault tolerant and resumable.

:func:`run_experiment` writes the manifest (:mod:`.manifest`), submits each trial that has no valid
``result.json`` as one Ray task (:func:`crlqas.agents.experiments.execute.execute_trial`) with the
trial's resources (``num_cpus``, ``num_gpus``, thread variables in its ``runtime_env``), prints
progress lines on stderr and keeps ``driver.json`` current, and writes the table and plots at the end.

Ray: without ``address`` a local Ray instance starts with this machine's cores (``cpus``/``gpus``
size it); with ``address`` (``"auto"``, ``"HOST:PORT"``, ``"ray://HOST:PORT"``) the same trials run
on an existing cluster, whose nodes need crlqas installed and ``out`` on a shared file system (the
workers write each trial's files, agent checkpoints included, there; records also come back to the
driver, which writes any ``result.json`` a worker could not).  When Ray is already initialised in
this process, its session is used as it is (``address``, ``cpus`` and ``gpus`` are then not used).

Faults: a trial whose worker process dies (killed, out of memory, node lost) is run again by Ray up
to the suite's ``retries`` times (``max_retries``; an exception a trial raises is not retried: it is
recorded in its ``error.json`` and the trial counts as failed); the new attempt resumes the agent
from its last checkpoint.  A driver that is killed leaves the directory as it was:
``run_experiment(..., resume=True)`` (``crlqas experiment run --out DIR --resume``) skips the trials
with a valid ``result.json`` and runs the others, resuming the agent trials from their checkpoints.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from pathlib import Path

from crlqas.qnoise.errors import CrlqasError, OutputPathError, ValidationError, require
from crlqas.qnoise.fileio import atomic_write_json, check_output_dir
from crlqas.qnoise.results import ResultRecord

from .execute import ERROR, RESULT, STATUS, execute_trial, read_result, read_status, thread_env, trial_dir, trial_state
from .manifest import DRIVER, MANIFEST, check_same_trials, read_manifest, write_manifest
from .progress import driver_alive, progress_line, read_driver, setting_bests

__all__ = ["run_experiment"]


def run_experiment(
    suite=None,
    out=None,
    *,
    address: str | None = None,
    cpus: int | None = None,
    gpus: float | None = None,
    resume: bool = False,
    progress: bool = True,
    interval: float = 30.0,
    tables: bool = True,
) -> dict:
    """Run ``suite`` (a :class:`~crlqas.agents.experiments.suite.Suite`) into the new experiment
    directory ``out``, or with ``resume`` continue the experiment in ``out`` (``suite``, if given,
    must expand to the trials it records).  ``progress``: progress lines on stderr, at least every
    ``interval`` seconds and at each finished trial.  ``tables``: write ``out/table/`` at the end.
    Returns ``{dir, suite, total, done, failed, elapsed}``."""
    ray = require("ray", "scale")
    if address is not None and (cpus is not None or gpus is not None):
        raise ValidationError("--cpus/--gpus size a local Ray instance; a cluster (--address) has its own resources")
    if out is None:
        raise ValidationError("give the experiment directory (--out DIR)")
    out = Path(out)
    if resume:
        recorded, trials = read_manifest(out)
        if suite is not None:
            check_same_trials(out, trials, suite.trials())
        suite = recorded
        driver = read_driver(out)
        if driver_alive(driver):
            raise ValidationError(
                f"the experiment in {out} is being run by process {driver['pid']} on {driver['host']}; stop it first"
            )
    else:
        if suite is None:
            raise ValidationError("give a suite (a .toml file or a shipped suite's name)")
        trials = suite.trials()
        _check_new(out)
        out.mkdir(parents=True, exist_ok=True)
        write_manifest(out, suite, trials)
    driver = _Driver(suite, trials, out, progress, interval)
    driver.run(ray, address, cpus, gpus)
    if tables:
        from .table import write_tables

        write_tables(out)
    return driver.summary()


def _check_new(out: Path) -> None:
    check_output_dir(out, "experiment directory")
    if (out / MANIFEST).exists():
        raise ValidationError(f"{out} already holds an experiment; continue it with --resume or give another --out")
    if out.is_dir() and any(out.iterdir()):
        raise OutputPathError(f"experiment directory {str(out)!r} is not empty; give a new or empty directory")


def _init_ray(ray, address, cpus, gpus) -> None:
    kwargs = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if address is not None:
            ray.init(address=address, **kwargs)
        else:
            ray.init(address="local", num_cpus=cpus or os.cpu_count(), num_gpus=gpus, **kwargs)
    except ConnectionError as exc:
        raise CrlqasError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from None


class _Driver:
    """Submits the trials, collects their results and keeps the progress (stderr, ``driver.json``)."""

    def __init__(self, suite, trials, out: Path, progress: bool, interval: float):
        self.suite, self.trials, self.out = suite, trials, out
        self.progress, self.interval = progress, interval
        self.states = {t.id: trial_state(trial_dir(out, t.id)) for t in trials}
        self.states = {k: ("done" if v == "done" else "pending") for k, v in self.states.items()}
        self.records = {}
        self.started = time.time()
        self.before = float((read_driver(out) or {}).get("elapsed") or 0.0)  # earlier invocations
        self.finished_now = 0

    def say(self, message: str) -> None:
        if self.progress:
            print(message, file=sys.stderr, flush=True)

    def run(self, ray, address, cpus, gpus) -> None:
        todo = [t for t in self.trials if self.states[t.id] != "done"]
        done = len(self.trials) - len(todo)
        self.say(
            f"experiment {self.suite.name}: {len(self.trials)} trials"
            + (f", {done} done before" if done else "")
            + f", {len(todo)} to run -> {self.out}"
        )
        if not todo:
            self.write_driver(finished=True)
            return
        own = not ray.is_initialized()
        if own:
            _init_ray(ray, address, cpus, gpus)
        try:
            self._check_resources(ray, todo)
            self._loop(ray, todo)
        except KeyboardInterrupt:
            self.write_driver()
            self.say(f"interrupted; continue with: crlqas experiment run --out {self.out} --resume")
            raise
        finally:
            if own:
                ray.shutdown()

    def _check_resources(self, ray, todo) -> None:
        res = ray.cluster_resources()
        cpus, gpus = res.get("CPU", 0), res.get("GPU", 0)
        for t in todo:
            if t.cpus > cpus or t.gpus > gpus:
                raise ValidationError(
                    f"trial {t.id} needs {t.cpus} cores and {t.gpus:g} GPUs; the Ray cluster has {cpus:g} cores "
                    f"and {gpus:g} GPUs (set cpus/gpus in the suite, --cpus/--gpus, or use a larger cluster)"
                )

    def _loop(self, ray, todo) -> None:
        remote = ray.remote(execute_trial)
        exp = str(self.out.resolve())
        refs = {}
        for t in todo:
            options = {
                "num_cpus": t.cpus,
                "num_gpus": t.gpus,
                "max_retries": self.suite.retries,
                "retry_exceptions": False,
                "runtime_env": {"env_vars": thread_env(t.cpus)},
                "name": f"trial:{t.id}",
            }
            refs[remote.options(**options).remote(t.to_dict(), exp)] = t
        pending, last = list(refs), 0.0
        self.write_driver()
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=min(5.0, self.interval))
            for ref in ready:
                self._collect(ray, refs[ref], ref)
            self.write_driver([refs[r] for r in pending])
            if ready or time.monotonic() - last >= self.interval:
                self.say(self.line([refs[r] for r in pending]))
                last = time.monotonic()
        self.write_driver(finished=True)

    def _collect(self, ray, t, ref) -> None:
        try:
            record = ResultRecord.from_dict(ray.get(ref), source=f"trial {t.id}")
        except ray.exceptions.RayTaskError as exc:  # the trial raised: recorded by its worker
            cause = getattr(exc, "cause", None) or exc
            text = str(cause) if isinstance(cause, CrlqasError) else f"{type(cause).__name__}: {cause}"
            self._failed(t, type(cause).__name__, text)
            return
        except ray.exceptions.RayError as exc:  # its worker died more often than the suite retries
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._failed(t, type(exc).__name__, f"its worker died {self.suite.retries + 1} times ({first})", True)
            return
        tdir = trial_dir(self.out, t.id)
        if read_result(tdir) is None:  # a worker that does not share the directory
            record.write_json(tdir / RESULT)
        self.records[t.id] = record
        self.states[t.id] = "done"
        self.finished_now += 1
        err = record.errors.get(t.metric)
        ok = err is not None and abs(err) <= record.chemical_accuracy
        self.say(
            f"done {t.id}: |error| {'-' if err is None else f'{abs(err):.2e}'} ({t.metric}"
            f"{', chemically accurate' if ok else ''}), {record.num_gates} gates, {record.num_cnots} CNOTs, "
            f"{record.wall_time:.1f} s"
        )

    def _failed(self, t, kind: str, message: str, from_driver: bool = False) -> None:
        self.states[t.id] = "failed"
        tdir = trial_dir(self.out, t.id)
        if from_driver or not (tdir / ERROR).exists():
            status = read_status(tdir) or {}
            error = {"trial": t.id, "attempt": status.get("attempt"), "type": kind, "message": message}
            atomic_write_json(tdir / ERROR, {**error, "time": time.time()})
            atomic_write_json(tdir / STATUS, {**status, "trial": t.id, "state": "failed", "finished": time.time()})
        self.say(f"failed {t.id}: {message} (see {tdir / ERROR})")

    def counts(self, pending=()) -> dict:
        counts = {s: sum(v == s for v in self.states.values()) for s in ("done", "failed")}
        running = 0
        for t in pending:
            status = read_status(trial_dir(self.out, t.id)) or {}
            running += status.get("state") == "running" and float(status.get("started", 0)) >= self.started
        counts["running"] = running
        counts["pending"] = len(self.trials) - counts["done"] - counts["failed"] - running
        return counts

    def eta(self) -> float | None:
        left = sum(v == "pending" for v in self.states.values())
        if not left:
            return 0.0
        if not self.finished_now:
            return None
        return left * (time.time() - self.started) / self.finished_now

    def line(self, pending=()) -> str:
        bests = setting_bests(self.out, self.trials, self.records)
        elapsed = self.before + time.time() - self.started
        return progress_line(
            self.suite.name, self.counts(pending), len(self.trials), elapsed, self.eta(), bests, self.suite.metric
        )

    def write_driver(self, pending=(), finished: bool = False) -> None:
        now = time.time()
        data = {
            "suite": self.suite.name,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": self.started,
            "updated": now,
            "elapsed": self.before + now - self.started,
            "eta": 0.0 if finished else self.eta(),
            "counts": self.counts(pending),
            "finished": finished and all(v != "pending" for v in self.states.values()),
        }
        atomic_write_json(self.out / DRIVER, data)

    def summary(self) -> dict:
        counts = self.counts()
        return {
            "dir": str(self.out),
            "suite": self.suite.name,
            "total": len(self.trials),
            "done": counts["done"],
            "failed": counts["failed"],
            "elapsed": self.before + time.time() - self.started,
            "failed_trials": [k for k, v in self.states.items() if v == "failed"],
        }
