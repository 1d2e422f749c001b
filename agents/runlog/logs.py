"""The episode and evaluation logs of a seed (``progress.csv``, ``eval.csv``, TensorBoard), the
errors by metric of an env step, and the JSON writer of the run directory.

The logs are cut back to a checkpoint atomically on resume (a row torn by a kill is dropped);
torch is imported by :class:`EpisodeLog` only when it is created (for TensorBoard).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

from crlqas.qnoise.fileio import atomic_write_json as _atomic_write_json
from crlqas.qnoise.fileio import atomic_write_text, json_default
from crlqas.qnoise.results import METRICS  # the three errors against E0 (noisy, mitigated, noiseless)

EPISODE_COLUMNS = (
    "episode",
    "timesteps",
    "length",
    "reward",
    "energy_error",
    "best_error",
    "threshold",
    "success",
    "success_rate",
    "num_gates",
    "num_cnots",
    "num_rotations",
    "depth",
    "episode_time",
    "wall_time",
    "epsilon",
    "error_noisy",
    "error_mitigated",
    "error_noiseless",
)
EVAL_COLUMNS = (
    "episode",
    "timesteps",
    "error",
    "energy",
    "accurate",
    "length",
    "reward",
    "num_gates",
    "num_cnots",
    "depth",
    "streak",
    "eval_time",
    "wall_time",
    "error_noisy",
    "error_mitigated",
    "error_noiseless",
)


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _csv_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV file ([] when it is missing or unreadable)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _truncate_csv(path: Path, columns, resume_episodes: int) -> None:
    """Start ``path`` afresh (header only), or keep its rows up to episode ``resume_episodes``.

    The file is replaced atomically (a run killed meanwhile keeps the old one); a torn last row
    (a run killed while writing it: fewer cells than the header) is dropped.  A file written with
    other columns (an older crlqas) is rewritten with ``columns`` (cells by column name; a new
    column is empty in the old rows)."""
    rows = _csv_rows(path) if resume_episodes else []
    keep = [list(columns)]
    if rows:
        header = rows[0]
        kept = [
            r for r in rows[1:] if len(r) == len(header) and (ep := _int(r[0])) is not None and ep <= resume_episodes
        ]
        if header == keep[0]:
            keep += kept
        else:
            keep += [[dict(zip(header, r)).get(c, "") for c in columns] for r in kept]
    buf = io.StringIO()
    csv.writer(buf).writerows(keep)
    atomic_write_text(path, buf.getvalue())


def logged_episodes(seed_dir) -> int:
    """The last episode the logs of a seed directory (``progress.csv``, ``eval.csv``) record (0 for
    none)."""
    done = 0
    for name in ("progress.csv", "eval.csv"):
        for row in _csv_rows(Path(seed_dir) / name)[1:]:
            ep = _int(row[0])
            if ep is not None:
                done = max(done, ep)
    return done


def atomic_write_json(path, data) -> None:
    _atomic_write_json(path, data, indent=2)


def plain_json(data):
    """``data`` as it reads back from JSON (tuples as lists, NumPy values as numbers)."""
    return json.loads(json.dumps(data, default=json_default))


class EpisodeLog:
    """Appends episode rows to ``progress.csv`` and TensorBoard; truncates on resume."""

    def __init__(self, seed_dir: Path, resume_episodes: int = 0):
        self.path = Path(seed_dir) / "progress.csv"
        self.tb_dir = Path(seed_dir) / "tb"
        _truncate_csv(self.path, EPISODE_COLUMNS, resume_episodes)
        self._fh = open(self.path, "a", newline="")  # noqa: SIM115 (open for the whole run; close())
        self._csv = csv.writer(self._fh)
        self._tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(self.tb_dir), purge_step=resume_episodes + 1 if resume_episodes else None)
        except ImportError:  # tensorboard not installed: CSV only
            self._tb = None

    def write(self, row: dict) -> None:
        self._csv.writerow([_fmt(row.get(c)) for c in EPISODE_COLUMNS])
        self._fh.flush()
        if self._tb is not None:
            ep = int(row["episode"])
            for key in (
                "energy_error",
                "best_error",
                "threshold",
                "success_rate",
                "num_gates",
                "num_cnots",
                "depth",
                "episode_time",
                "reward",
                "length",
                *(f"error_{m}" for m in METRICS),
            ):
                v = row.get(key)
                if v is not None and np.isfinite(v):
                    self._tb.add_scalar(f"episode/{key}", float(v), ep)

    def scalars(self, values: dict, step: int) -> None:
        """Extra TensorBoard scalars (``tag -> value``) at episode ``step``."""
        if self._tb is not None:
            for tag, v in values.items():
                if v is not None and np.isfinite(v):
                    self._tb.add_scalar(tag, float(v), int(step))

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        if self._tb is not None:
            self._tb.close()


class EvalLog:
    """``eval.csv``: one row per greedy evaluation (truncated on resume like ``progress.csv``)."""

    def __init__(self, seed_dir: Path, resume_episodes: int = 0):
        self.path = Path(seed_dir) / "eval.csv"
        _truncate_csv(self.path, EVAL_COLUMNS, resume_episodes)
        self._fh = open(self.path, "a", newline="")  # noqa: SIM115 (open for the whole run; close())
        self._csv = csv.writer(self._fh)

    def write(self, row: dict) -> None:
        self._csv.writerow([_fmt(row.get(c)) for c in EVAL_COLUMNS])
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, float):
        return f"{v:.10g}"
    return v


def step_energies(info: dict) -> dict:
    """The energies by metric (:data:`METRICS`) of a QAS env step's ``info``: ``energy_exact`` (the
    noisy one), ``energy_mitigated`` and ``energy_noiseless``; ``None`` where unknown."""
    keys = {"noisy": "energy_exact", "mitigated": "energy_mitigated", "noiseless": "energy_noiseless"}
    return {m: None if info.get(k) is None else float(info[k]) for m, k in keys.items()}


def step_errors(info: dict, e0: float | None) -> dict:
    """Signed ``E - E0`` by metric of a step's ``info`` (:func:`step_energies`; ``None`` where
    unknown)."""
    return {m: None if (e0 is None or e is None) else e - e0 for m, e in step_energies(info).items()}


def metric_error(errors: dict | None, metric: str = "noisy") -> float:
    """``|error|`` of ``metric`` in ``errors`` (signed errors by metric); infinite when unknown."""
    err = None if not isinstance(errors, dict) else errors.get(metric)
    return math.inf if err is None else abs(float(err))


def read_log(path: Path) -> list[dict]:
    """A run's CSV log (``progress.csv``, ``eval.csv``) as rows of numbers (``None``: empty); ``[]`` if missing."""
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        out.append({k: (float(v) if v not in ("", None) else None) for k, v in r.items()})
    return out
