"""Where an experiment stands: trials done, running, failed and pending, the best error so far of
each setting, elapsed and estimated time; read from its directory alone (``crlqas experiment
status DIR``) or kept by the driver (the ``crlqas experiment run`` progress lines on stderr).

The best error of a setting (problem, noise, method, variant) is the lowest ``|E - E0|`` by the
suite's metric over its finished trials and, for the agent, also over the circuits its running
trials have recorded so far (``run/seed_<S>/best/*.json``).  The driver writes ``driver.json``
(pid, host, start, last update, counts, elapsed, estimate, finished); a driver that is gone (its
process ended on this host, or no update for :data:`STALE_SECONDS` from another host) makes the
trials it was running "interrupted": ``--resume`` continues them.
"""

from __future__ import annotations

import math
import os
import socket
import time
from pathlib import Path

from .execute import read_optional, read_result, trial_dir, trial_state
from .manifest import DRIVER, read_manifest

__all__ = ["STALE_SECONDS", "driver_alive", "experiment_status", "format_duration", "format_status", "setting_name"]

STALE_SECONDS = 120.0
STATES = ("done", "running", "failed", "pending")
SHOWN = 6  # settings whose best error a progress line shows


def setting_name(setting: tuple) -> str:
    """``problem/noise/method[/variant]``."""
    problem, noise, method, variant = setting
    return f"{problem}/{noise}/{method}" + (f"/{variant}" if variant != "default" else "")


def format_duration(seconds: float | None) -> str:
    """``1:02:03``, ``2:03``; ``?`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    h, m = divmod(s, 3600)
    m, s = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def trial_error(exp_dir, trial, record=None) -> float | None:
    """``|E - E0|`` by the trial's metric of its record, or (an agent trial still running) of the
    best circuit its run has recorded so far; ``None`` when there is none."""
    record = record if record is not None else read_result(trial_dir(exp_dir, trial.id))
    if record is not None:
        err = record.errors.get(trial.metric)
        return None if err is None else abs(err)
    if trial.method != "agent":
        return None
    best = trial_dir(exp_dir, trial.id) / "run" / f"seed_{trial.seed}" / "best"
    errors = []
    for path in best.glob("*.json") if best.is_dir() else ():
        err = ((read_optional(path, "best-circuit record") or {}).get("errors") or {}).get(trial.metric)
        if isinstance(err, (int, float)):
            errors.append(abs(err))
    return min(errors, default=None)


def setting_bests(exp_dir, trials, records: dict | None = None) -> dict:
    """``{setting: lowest |error| so far or None}`` over ``trials`` (``records``: known records by
    trial id, read from the directory otherwise)."""
    bests = {}
    for t in trials:
        err = trial_error(exp_dir, t, (records or {}).get(t.id))
        old = bests.get(t.setting)
        bests[t.setting] = err if old is None or (err is not None and err < old) else old
    return bests


def driver_alive(driver: dict | None) -> bool:
    """Whether the driver of ``driver.json`` still runs: on this host its process exists; from
    another host it updated the file within :data:`STALE_SECONDS`."""
    if not driver or driver.get("finished"):
        return False
    if driver.get("host") == socket.gethostname():
        try:
            os.kill(int(driver["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return True
    return time.time() - float(driver.get("updated", 0)) < STALE_SECONDS


def read_driver(exp_dir) -> dict | None:
    """The experiment's ``driver.json`` (``None`` when missing or unreadable)."""
    return read_optional(Path(exp_dir) / DRIVER, "driver status")


def experiment_status(exp_dir) -> dict:
    """The state of the experiment in ``exp_dir``: suite, counts by state (``interrupted``: trials
    whose attempt started under a driver that is gone), the driver, elapsed and estimated time, and
    per setting its trials done and failed and its best error so far."""
    suite, trials = read_manifest(exp_dir)
    driver = read_driver(exp_dir)
    alive = driver_alive(driver)
    states = {t.id: trial_state(trial_dir(exp_dir, t.id)) for t in trials}
    if not alive:
        states = {k: ("interrupted" if v == "running" else v) for k, v in states.items()}
    counts = {s: sum(v == s for v in states.values()) for s in (*STATES, "interrupted")}
    bests = setting_bests(exp_dir, trials)
    settings = {}
    for t in trials:
        row = settings.setdefault(
            t.setting, {"setting": setting_name(t.setting), "trials": 0, "done": 0, "failed": 0, "running": 0}
        )
        row["trials"] += 1
        for s in ("done", "failed", "running"):
            row[s] += states[t.id] == s
        row["best_error"] = bests[t.setting]
    if driver is None:
        driver_state = "not started"
    elif driver.get("finished"):
        driver_state = "finished"
    else:
        driver_state = "running" if alive else "stopped"
    elapsed = (driver or {}).get("elapsed")
    if alive and driver.get("updated"):
        elapsed = (elapsed or 0) + time.time() - float(driver["updated"])
    return {
        "suite": suite.name,
        "dir": str(exp_dir),
        "metric": suite.metric,
        "total": len(trials),
        **counts,
        "driver": driver_state,
        "driver_pid": (driver or {}).get("pid"),
        "driver_host": (driver or {}).get("host"),
        "elapsed": elapsed,
        "eta": (driver or {}).get("eta") if alive else None,
        "settings": list(settings.values()),
    }


def progress_line(name: str, counts: dict, total: int, elapsed: float, eta, bests: dict, metric: str) -> str:
    """The driver's progress line: counts, times and the best error of each setting."""
    known = [f"{setting_name(k)} {v:.2e}" for k, v in bests.items() if v is not None]
    best = ", ".join(known[:SHOWN])
    if len(known) > SHOWN:
        best += f", ... ({len(known) - SHOWN} more: experiment status)"
    return (
        f"experiment {name}: {counts.get('done', 0)}/{total} done, {counts.get('running', 0)} running, "
        f"{counts.get('failed', 0)} failed | {format_duration(elapsed)} elapsed, ~{format_duration(eta)} left"
        + (f" | best |error| ({metric}): {best}" if best else "")
    )


def format_status(s: dict) -> str:
    """``crlqas experiment status``'s text."""
    driver = s["driver"]
    if driver in ("running", "stopped"):
        driver += f" (pid {s['driver_pid']} on {s['driver_host']})"
    lines = [
        f"experiment {s['suite']} in {s['dir']}: {s['total']} trials, {s['done']} done, {s['running']} running, "
        f"{s['failed']} failed, {s['interrupted']} interrupted, {s['pending']} pending",
        f"driver: {driver}; {format_duration(s['elapsed'])} elapsed"
        + (f", ~{format_duration(s['eta'])} left" if s["eta"] is not None else ""),
    ]
    if s["driver"] == "stopped" or (s["driver"] != "running" and s["done"] < s["total"]):
        lines.append(f"resume with: crlqas experiment run --out {s['dir']} --resume")
    width = max(len(r["setting"]) for r in s["settings"])
    lines.append(f"{'setting':{width}s}  done  failed  best |error| ({s['metric']})")
    for r in s["settings"]:
        best = "-" if r["best_error"] is None else f"{r['best_error']:.3e}"
        lines.append(f"{r['setting']:{width}s}  {r['done']:>2d}/{r['trials']:<2d} {r['failed']:>6d}  {best}")
    return "\n".join(lines)
