"""Per-seed run records: the episode log (CSV + TensorBoard), best circuits and atomic checkpoints.

Layout of one seed's directory (``RUN/seed_<S>/``)::

    progress.csv            one row per episode (see EPISODE_COLUMNS)
    eval.csv                one row per greedy evaluation (with [run] eval_every; EVAL_COLUMNS)
    tb/                     TensorBoard event files (episode metrics, SB3's train/ metrics)
    best/                   best circuits: best_energy, first_accurate, shortest_accurate, and
                            greedy (the shortest chemically accurate circuit built by a greedy
                            evaluation of the policy)
                            (each <name>.json and <name>.qasm)
    checkpoint.json         manifest of the latest complete checkpoint (written last, atomically)
    checkpoints/ep<N>/      model.zip, replay_buffer.pkl (off-policy agents), state.pkl
    summary.json            written at the end of the run

and the run directory ``RUN/`` holds ``config.json`` (the run's configuration; ``env.problem`` names
the problem) next to the ``seed_<S>/`` directories.

A checkpoint directory is written under a temporary name and renamed when complete; the manifest
is replaced (``os.replace``) only after that, so a run killed at any moment leaves a complete
checkpoint that ``--resume`` can use.

This module owns the run-directory format: the writers above and the readers of best circuits
(:func:`best_circuit_records`, :func:`best_from_run`, :func:`record_circuit`, :func:`run_problem`),
used by ``crlqas verify/submit --run``.  It needs numpy and crlqas.qnoise only (torch is imported
by :class:`EpisodeLog` when it is created), so reading a run stays light.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from crlqas.qnoise.fileio import atomic_write_json as _atomic_write_json
from crlqas.qnoise.fileio import atomic_write_text

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
)


def _truncate_csv(path: Path, columns, resume_episodes: int) -> None:
    """Start ``path`` afresh (header only), or keep the rows up to episode ``resume_episodes``."""
    if resume_episodes and path.exists():
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        keep = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= resume_episodes]
        with open(path, "w", newline="") as fh:
            csv.writer(fh).writerows(keep)
    elif not path.exists() or not resume_episodes:
        with open(path, "w", newline="") as fh:
            csv.writer(fh).writerow(columns)


def atomic_write_json(path, data) -> None:
    _atomic_write_json(path, data, indent=2, default=_json_default)


def _json_default(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.bool_,)):
        return bool(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


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


def circuit_record(
    info: dict, e0: float | None, episode: int, timesteps: int, wall: float, chemical_accuracy: float
) -> dict:
    """JSON-ready description of the circuit of a step's ``info`` (QAS env)."""
    circuit = info["circuit"]
    exact = float(info["energy_exact"])
    noiseless = info.get("energy_noiseless")
    return {
        "energy": exact,
        "energy_estimate": float(info["energy"]),
        "error": None if e0 is None else exact - e0,
        "energy_noiseless": None if noiseless is None else float(noiseless),
        "error_noiseless": None if (e0 is None or noiseless is None) else float(noiseless) - e0,
        "e0": e0,
        "chemically_accurate": e0 is not None and abs(exact - e0) <= chemical_accuracy,
        "num_gates": len(circuit),
        "num_cnots": int(circuit.num_two_qubit_gates),
        "num_rotations": int(circuit.num_rotations),
        "depth": int(circuit.depth()),
        "episode": int(episode),
        "step": int(info.get("step", 0)),
        "timesteps": int(timesteps),
        "wall_time": float(wall),
        "threshold": float(info.get("threshold", np.nan)),
        "angles": [float(a) for a in info["angles"]],
        "circuit": circuit.to_dict(),
    }


def write_circuit(best_dir: Path, name: str, record: dict) -> None:
    """``best/<name>.json`` and ``best/<name>.qasm`` (atomically)."""
    from crlqas.qnoise.circuit import Circuit
    from crlqas.qnoise.qiskit_bridge import to_qasm  # Qiskit-free

    atomic_write_json(Path(best_dir) / f"{name}.json", record)
    circuit = Circuit.from_dict(record["circuit"])
    atomic_write_text(Path(best_dir) / f"{name}.qasm", to_qasm(circuit, record["angles"]))


# ---------------------------------------------------------------------------- reading best circuits
def best_circuit_records(run_dir) -> list[Path]:
    """The best-circuit record files (``best/<name>.json``) under ``run_dir``, sorted.

    ``run_dir`` is a run directory (every ``seed_<S>/best/<name>.json``), one seed directory
    (``best/<name>.json``), its ``best/`` directory, or one record file (returned alone).
    """
    path = Path(run_dir)
    if path.is_file():
        return [path]
    found = []
    for pattern in ("*.json", "best/*.json", "seed_*/best/*.json"):
        found += sorted(p for p in path.glob(pattern) if p.parent.name == "best" or path.name == "best")
    return sorted(set(found))


def _record_score(rec: dict) -> tuple:
    """Sort key of a record: ``(|error|, number of gates)``; a missing error counts as infinite."""
    err = rec.get("error")
    if err is None and rec.get("e0") is not None and rec.get("energy") is not None:
        err = rec["energy"] - rec["e0"]
    err = math.inf if err is None or not math.isfinite(float(err)) else abs(float(err))
    return err, int(rec.get("num_gates", len(rec.get("circuit", {}).get("gates", []))))


def best_from_run(run_dir) -> tuple[dict, Path]:
    """``(record, path)`` of the best circuit record under ``run_dir``.

    Candidates: :func:`best_circuit_records` (every record kind, ``best_energy``,
    ``first_accurate``, ``shortest_accurate``, ``greedy``, of every seed) that parse as JSON objects
    with ``circuit`` and ``angles``.  The pick is the lowest ``|energy - e0|`` (the record's
    ``error``: the energy under the run's noise model), then the fewest gates; ties go to the first
    path in sorted order.  Raises :class:`~crlqas.qnoise.errors.ValidationError` when ``run_dir``
    does not exist or holds no record.
    """
    from crlqas.qnoise.errors import ValidationError

    path = Path(run_dir)
    if not path.exists():
        raise ValidationError(f"run directory {run_dir} does not exist")
    best = None
    for rec_path in best_circuit_records(path):
        try:
            rec = json.loads(rec_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(rec, dict) or "circuit" not in rec or "angles" not in rec:
            continue
        key = _record_score(rec)
        if best is None or key < best[0]:
            best = (key, rec, rec_path)
    if best is None:
        raise ValidationError(
            f"no best-circuit records (seed_<S>/best/<name>.json with 'circuit' and "
            f"'angles') under {run_dir}; is it a 'crlqas train' run directory?"
        )
    return best[1], best[2]


def record_circuit(record: dict, path=None):
    """``(Circuit, parameter values)`` of a best-circuit record (its ``circuit`` and ``angles``);
    ``path`` (the record's file) names it in the error raised for a malformed circuit."""
    from crlqas.qnoise.circuit import Circuit
    from crlqas.qnoise.errors import ValidationError

    try:
        circuit = Circuit.from_dict(record["circuit"])
    except (TypeError, AttributeError):
        raise ValidationError(f"malformed circuit in {path if path is not None else 'the record'}") from None
    return circuit, circuit.check_parameters(record["angles"])


def run_problem(path) -> str | None:
    """The problem id (``env.problem`` of ``config.json``) of the run holding ``path`` (the run
    directory, a seed directory, its ``best/`` directory or a record file); ``None`` when there is none or it is
    unreadable.  ``path`` and up to three of its parents are searched for ``config.json``."""
    path = Path(path)
    for d in (path, *path.parents[:3]):
        cfg = d / "config.json" if d.is_dir() else None
        if cfg is not None and cfg.exists():
            try:
                env = json.loads(cfg.read_text()).get("env", {})
            except (OSError, json.JSONDecodeError, AttributeError):
                return None
            return env.get("problem") if isinstance(env, dict) else None
    return None


# ---------------------------------------------------------------------------- checkpoints
def write_checkpoint(seed_dir: Path, episode: int, save_files, keep: int = 2) -> Path:
    """Write a checkpoint: ``save_files(tmpdir)`` fills a temporary directory, which is renamed to
    ``checkpoints/ep<episode>``; then the manifest ``checkpoint.json`` is replaced atomically."""
    root = Path(seed_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    name = f"ep{episode:08d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=name + ".", suffix=".tmp"))
    try:
        save_files(tmp)
        for f in tmp.iterdir():  # flush file contents before the rename makes them visible
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        final = root / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_json(Path(seed_dir) / "checkpoint.json", {"episode": episode, "dir": f"checkpoints/{name}"})
    olds = sorted(p for p in root.iterdir() if p.is_dir() and p.name != name)
    for p in olds:
        if p.suffix == ".tmp" or p in olds[: max(0, len(olds) - (keep - 1))]:
            shutil.rmtree(p, ignore_errors=True)
    return final


def read_manifest(seed_dir: Path) -> dict | None:
    path = Path(seed_dir) / "checkpoint.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["path"] = Path(seed_dir) / data["dir"]
    return data
