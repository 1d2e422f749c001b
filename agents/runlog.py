"""Per-seed run records: the episode log (CSV + TensorBoard), best circuits and atomic checkpoints.

Layout of one seed's directory (``RUN/seed_<S>/``)::

    progress.csv            one row per episode (see EPISODE_COLUMNS)
    eval.csv                one row per greedy evaluation (with [run] eval_every; EVAL_COLUMNS)
                            (both with the three errors of METRICS: see "Errors" below)
    tb/                     TensorBoard event files (episode metrics, SB3's train/ metrics)
    best/                   best circuits, one record per kind (CIRCUIT_KINDS), each <file>.json
                            (with its "kind", "kind_label", "seed", "episode") and <file>.qasm
                            (a // comment header names them): best_energy (kind lowest-energy),
                            first_accurate (first-accurate), shortest_accurate
                            (shortest-accurate) and greedy (greedy: the shortest chemically
                            accurate circuit built by a greedy evaluation of the policy)
    checkpoint.json         points at the latest verified checkpoint (episode, dir)
    checkpoints/ep<N>/      model.zip, replay_buffer.pkl (off-policy agents), state.pkl and
                            checkpoint.json, the manifest: episode, SHA-256 and size of each file,
                            the run's configuration (the newest two checkpoints are kept)
    summary.json            written at the end of the run

and the run directory ``RUN/`` holds ``config.json`` (the run's configuration; ``env.problem`` names
the problem) next to the ``seed_<S>/`` directories.

Errors: every circuit is scored against E0 three ways (:data:`METRICS`, the env's
``info["errors"]``): ``noisy`` (its exact noisy energy as measured, readout errors included),
``mitigated`` (readout-mitigated) and ``noiseless`` (same circuit and angles, no noise); the run's
``env.success_metric`` (default ``noisy``) decides which one "chemically accurate" means
(``|E_metric - E0| <= chemical accuracy``): the ``success`` and ``accurate`` columns and the kinds
first-accurate, shortest-accurate and greedy.  ``progress.csv``: ``energy_error`` (the episode's
lowest ``|E_noisy - E0|``) and ``best_error`` (the lowest-energy record's ``|E_noisy - E0|``) are as
they always were; ``error_noisy``, ``error_mitigated``, ``error_noiseless`` are the three
``|E - E0|`` of the episode's best circuit by the success metric (the step with the lowest
``|E_metric - E0|``; empty when unknown).  ``eval.csv``: the evaluation's circuit is its step with
the lowest ``|E_metric - E0|``; ``error`` and ``energy`` are its noisy ones (as always),
``error_noisy``/``error_mitigated``/``error_noiseless`` its three ``|E - E0|``.  Best-circuit
records (:func:`circuit_record`) keep ``energy``/``error`` (noisy) and add ``energies``,
``errors`` (signed ``E - E0``) by metric and their ``success_metric``.

A checkpoint directory is written under a temporary name, its files flushed to disk and listed with
their checksums in its manifest, renamed when complete and verified against the manifest; only then
does the seed's ``checkpoint.json`` point at it and are older checkpoints deleted (the previous one
is kept).  So a run killed at any moment leaves a complete checkpoint, and ``--resume`` takes the
newest one that verifies (:func:`find_checkpoint`), naming the damaged ones it skips.  Best
circuits and summaries are replaced atomically, and on resume the logs are cut back to the
checkpoint atomically (a row torn by a kill is dropped).

This module owns the run-directory format: the writers above and the readers of best circuits
(:func:`best_circuit_records`, :func:`read_circuits`, :func:`record_circuit`, :func:`run_problem`)
with the one resolver of which circuit a command uses, :func:`best_from_run` (``--which KIND``, and
the default rule :func:`default_kind`), used by ``crlqas train``, ``report`` and
``verify/submit --run``.  It needs numpy and crlqas.qnoise only (torch is imported
by :class:`EpisodeLog` when it is created), so reading a run stays light.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from crlqas.qnoise.errors import CrlqasError, InputFileError
from crlqas.qnoise.fileio import atomic_write_json as _atomic_write_json
from crlqas.qnoise.fileio import atomic_write_text, read_json_object

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
#: the three errors against E0 of every circuit (noisy as measured, readout-mitigated, noiseless):
#: ``success_metric`` names one (:data:`crlqas.envs.config.METRICS`, not imported: no gymnasium here)
METRICS = ("noisy", "mitigated", "noiseless")


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


def circuit_record(
    info: dict, e0: float | None, episode: int, timesteps: int, wall: float, chemical_accuracy: float
) -> dict:
    """JSON-ready description of the circuit of a step's ``info`` (QAS env): ``energy`` and
    ``error`` (the exact noisy energy, as measured, and ``E - E0``), ``energy_noiseless`` and
    ``error_noiseless``, ``energies`` and ``errors`` by metric (:data:`METRICS`), the
    ``success_metric`` (``info["success_metric"]``, default ``"noisy"``) and ``chemically_accurate``
    on it, size, where and when it was found, angles and circuit."""
    circuit = info["circuit"]
    exact = float(info["energy_exact"])
    energies = step_energies(info)
    errors = {m: None if (e0 is None or e is None) else e - e0 for m, e in energies.items()}
    metric = info.get("success_metric", "noisy")
    noiseless = energies["noiseless"]
    return {
        "energy": exact,
        "energy_estimate": float(info["energy"]),
        "error": None if e0 is None else exact - e0,
        "energy_noiseless": noiseless,
        "error_noiseless": errors["noiseless"],
        "energies": energies,
        "errors": errors,
        "success_metric": metric,
        "e0": e0,
        "chemically_accurate": metric_error(errors, metric) <= chemical_accuracy,
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
    """``best/<name>.json`` and ``best/<name>.qasm`` (atomically); ``name`` is the kind's file name
    (:data:`CIRCUIT_KINDS`).  The record gets its ``kind``, ``kind_label`` and ``seed`` (from the seed
    directory's name) when it lacks them; the QASM file opens with comment lines naming them, the
    episode, the energy and the error."""
    from crlqas.qnoise.circuit import Circuit
    from crlqas.qnoise.qiskit_bridge import to_qasm  # Qiskit-free

    best_dir = Path(best_dir)
    if name in _BY_NAME and "kind" not in record:
        record = with_kind(record, name, seed_of(best_dir.parent))
    atomic_write_json(best_dir / f"{name}.json", record)
    circuit = Circuit.from_dict(record["circuit"])
    atomic_write_text(best_dir / f"{name}.qasm", _with_header(to_qasm(circuit, record["angles"]), record))


def _with_header(qasm: str, record: dict) -> str:
    """``qasm`` (OpenQASM 2) with ``//`` comment lines after its ``OPENQASM 2.0;`` line naming the
    record's kind, seed and episode, its energy and error (OpenQASM 2 readers skip comments; the
    version line stays first)."""
    first, _, rest = qasm.partition("\n")
    kind = _BY_NAME.get(record.get("kind"))
    facts = [f"{key} {record[key]}" for key in ("seed", "episode") if record.get(key) is not None]
    facts += [
        f"{text} = {record[key]:{spec}}"
        for key, text, spec in (("energy", "E", ".10g"), ("e0", "E0", ".10g"), ("error", "E - E0", ".3e"))
        if record.get(key) is not None
    ]
    head = f"// crlqas {kind.name}: {kind.label}" if kind else "// crlqas circuit"
    lines = [first, head, *(["// " + ", ".join(facts)] if facts else [])]
    errors = record.get("errors")
    if isinstance(errors, dict) and len({errors.get(m) for m in METRICS}) > 1:  # a noisy run: all three
        metric = record.get("success_metric", "noisy")
        lines.append(
            "// E - E0 by metric: "
            + ", ".join(f"{m} {'-' if errors.get(m) is None else format(errors[m], '.3e')}" for m in METRICS)
            + f" (success metric: {metric})"
        )
    return "\n".join([*lines, rest])


# ---------------------------------------------------------------------------- kinds of best circuit
class CircuitKind(NamedTuple):
    """One kind of best circuit a seed records: its stable ``name`` (the ``kind`` field of its
    records, ``--which``), its ``file`` name (``best/<file>.json`` and ``.qasm``) and a ``label``
    for people."""

    name: str
    file: str
    label: str


#: the kinds of best circuit, in the order they are listed (``--which`` choices)
CIRCUIT_KINDS = (
    CircuitKind("greedy", "greedy", "shortest chemically accurate circuit built by the trained (greedy) policy"),
    CircuitKind("shortest-accurate", "shortest_accurate", "shortest chemically accurate circuit seen in training"),
    CircuitKind("first-accurate", "first_accurate", "first chemically accurate circuit seen in training"),
    CircuitKind("lowest-energy", "best_energy", "lowest-energy circuit seen in training"),
)
KIND_NAMES = tuple(k.name for k in CIRCUIT_KINDS)
_BY_NAME = {**{k.file: k for k in CIRCUIT_KINDS}, **{k.name: k for k in CIRCUIT_KINDS}}
#: the default rule (:func:`default_kind`): the first of these kinds that the run holds
DEFAULT_ORDER = ("greedy", "shortest-accurate", "lowest-energy")


def circuit_kind(kind: str) -> CircuitKind:
    """The :class:`CircuitKind` of a kind name (``"lowest-energy"``) or of its file name
    (``"best_energy"``); raises :class:`~crlqas.qnoise.errors.ValidationError` otherwise."""
    from crlqas.qnoise.errors import ValidationError

    try:
        return _BY_NAME[kind]
    except (KeyError, TypeError):
        raise ValidationError(f"unknown kind of circuit {kind!r}; expected one of {', '.join(KIND_NAMES)}") from None


def default_kind(kinds) -> str | None:
    """The default choice among the kinds of circuit a run holds (``kinds``: kind names), the one
    rule of ``crlqas report``, ``verify --run``, ``submit --run`` and the circuit ``crlqas train``
    prints: the greedy policy's circuit when greedy evaluations built a chemically accurate one (a
    ``greedy`` record exists only then), else the shortest chemically accurate circuit seen in
    training, else the lowest-energy one (else ``first-accurate``, else ``None``)."""
    kinds = set(kinds)
    return next((k for k in (*DEFAULT_ORDER, *KIND_NAMES) if k in kinds), None)


def with_kind(record: dict, kind: str, seed: int | None = None) -> dict:
    """``record`` (a :func:`circuit_record`) with the ``kind`` (stable name), ``kind_label`` and
    ``seed`` fields of a best-circuit record of kind ``kind`` (a kind or file name)."""
    k = circuit_kind(kind)
    return {**record, "kind": k.name, "kind_label": k.label, "seed": seed}


def seed_of(seed_dir) -> int | None:
    """The seed of a seed directory ``seed_<S>`` (``None`` for another name)."""
    m = re.fullmatch(r"seed_(\d+)", Path(seed_dir).name)
    return int(m.group(1)) if m else None


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


def _damaged(path, problem: str) -> InputFileError:
    return InputFileError(
        f"best-circuit record {str(path)!r} is damaged: {problem}; repair or remove it (or pass one "
        "intact record file instead of the run directory)"
    )


def read_record(path) -> dict:
    """The best-circuit record in file ``path``, checked: a JSON object with ``circuit`` and
    ``angles`` that :func:`record_circuit` accepts; raises
    :class:`~crlqas.qnoise.errors.InputFileError` naming the file otherwise."""
    try:
        rec = read_json_object(path, "best-circuit record")
    except InputFileError as exc:
        raise InputFileError(f"{exc}; repair or remove it (or pass one intact record file instead)") from None
    missing = [k for k in ("circuit", "angles") if k not in rec]
    if missing:
        raise _damaged(path, f"no {' and no '.join(map(repr, missing))}")
    record_circuit(rec, path)
    return rec


class FoundCircuit(NamedTuple):
    """A best-circuit record read from a run: its ``kind`` name (``None`` for an unknown one), the
    seed (``None`` if unknown), the record and its file."""

    kind: str | None
    seed: int | None
    record: dict
    path: Path


def read_circuits(run_dir) -> list[FoundCircuit]:
    """Every best-circuit record under ``run_dir`` (:func:`best_circuit_records`; also a list of such
    paths), each read with :func:`read_record` (a damaged one raises, naming its file), in path
    order.  A record's kind is its ``kind`` field, else (records written before it existed) its file
    name; its seed the ``seed`` field, else the seed directory's name; records without them get
    them (``kind``, ``kind_label``, ``seed``) as they are read."""
    from crlqas.qnoise.errors import ValidationError

    paths = [Path(p) for p in run_dir] if isinstance(run_dir, (list, tuple)) else [Path(run_dir)]
    files = set()
    for path in paths:
        if not path.exists():
            raise ValidationError(f"run directory {path} does not exist")
        files.update(best_circuit_records(path))
    found = []
    for path in sorted(files):
        rec = read_record(path)
        kind = _BY_NAME.get(rec.get("kind")) or _BY_NAME.get(path.stem)
        seed = rec.get("seed") if isinstance(rec.get("seed"), int) else seed_of(path.parent.parent)
        if kind is not None and rec.get("kind") != kind.name:  # a record written before kinds were named
            rec = {**rec, "kind": kind.name, "kind_label": kind.label}
        if seed is not None and rec.get("seed") is None:
            rec = {**rec, "seed": seed}
        found.append(FoundCircuit(None if kind is None else kind.name, seed, rec, path))
    return found


def _abs_error(rec: dict, path, by_metric: bool = False) -> float:
    """``|error|`` of a record (``energy - e0`` when it has no ``error``; infinite when unknown);
    ``by_metric``: the error of the record's ``success_metric`` when it has ``errors``."""
    err, errors, metric = rec.get("error"), rec.get("errors"), rec.get("success_metric")
    if by_metric and isinstance(errors, dict) and metric in METRICS and errors.get(metric) is not None:
        err = errors[metric]
    try:
        if err is None and rec.get("e0") is not None and rec.get("energy") is not None:
            err = float(rec["energy"]) - float(rec["e0"])
        return math.inf if err is None or not math.isfinite(float(err)) else abs(float(err))
    except (TypeError, ValueError):
        raise _damaged(path, "its 'error' (or 'energy' and 'e0') is not a number") from None


def _rank(found: FoundCircuit) -> tuple:
    """The order among seeds of records of one kind (the first wins): the shortest for ``greedy`` and
    ``shortest-accurate``, the earliest episode for ``first-accurate``, the lowest ``|error|`` for
    ``lowest-energy`` (and an unknown kind); ties go to the lower ``|error|`` (of the success metric
    for the chemically accurate kinds, else the noisy one), the fewer gates, the first path."""
    rec, path = found.record, found.path
    accurate_kind = found.kind in ("greedy", "shortest-accurate", "first-accurate")
    err, gates = _abs_error(rec, path, by_metric=accurate_kind), len(record_circuit(rec, path)[0])
    if found.kind in ("greedy", "shortest-accurate"):
        return gates, err, str(path)
    if found.kind == "first-accurate":
        episode = rec.get("episode")
        return (episode if isinstance(episode, int) else math.inf), err, gates, str(path)
    return err, gates, str(path)


def describe_kinds(found: list[FoundCircuit]) -> str:
    """``"greedy (seed 100), lowest-energy (seeds 100, 101)"``: the kinds of circuit ``found`` holds."""
    seeds = {}
    for f in found:
        seeds.setdefault(f.kind or f"{f.path.stem} (unknown kind)", set()).add(f.seed)
    order = sorted(seeds, key=lambda k: (KIND_NAMES.index(k) if k in KIND_NAMES else len(KIND_NAMES), k))
    parts = []
    for kind in order:
        known = sorted(s for s in seeds[kind] if s is not None)
        parts.append(f"{kind} (seed{'s' if len(known) > 1 else ''} {', '.join(map(str, known))})" if known else kind)
    return ", ".join(parts)


def pick_circuit(found: list[FoundCircuit], which: str | None = None, where="the run") -> FoundCircuit:
    """The record :func:`best_from_run` returns among ``found`` (:func:`read_circuits`): of kind
    ``which`` (a kind or file name; ``None``: :func:`default_kind` of the kinds found), the first of
    its seeds in :func:`_rank` order.  One record alone (a record file given) is returned whatever
    its kind when ``which`` is ``None``.  Raises :class:`~crlqas.qnoise.errors.ValidationError`
    when there is no record, or none of the kind asked for (the message lists the kinds there are)."""
    from crlqas.qnoise.errors import ValidationError

    if not found:
        raise ValidationError(
            f"no best-circuit records (seed_<S>/best/<name>.json with 'circuit' and 'angles') under {where}; "
            "is it a 'crlqas train' run directory?"
        )
    if which is None and len(found) == 1:
        return found[0]
    kind = circuit_kind(which).name if which is not None else default_kind(f.kind for f in found)
    candidates = [f for f in found if f.kind is not None and f.kind == kind]
    if not candidates:
        asked = f"no {kind} circuit ({circuit_kind(kind).label})" if kind else "no circuit of a known kind"
        raise ValidationError(f"{asked} in {where}; it holds: {describe_kinds(found)} (choose one with --which KIND)")
    return min(candidates, key=_rank)


def best_from_run(run_dir, which: str | None = None) -> tuple[dict, Path]:
    """``(record, path)`` of the circuit of kind ``which`` under ``run_dir`` (the one resolver of
    ``crlqas report``, ``verify --run``, ``submit --run`` and of the circuit ``crlqas train`` prints).

    ``run_dir``: a run directory, one seed directory, its ``best/`` directory, one record file, or a
    list of such paths.  ``which``: a kind name of :data:`CIRCUIT_KINDS` (``greedy``,
    ``shortest-accurate``, ``first-accurate``, ``lowest-energy``; file names such as
    ``best_energy`` are accepted too), or ``None`` for :func:`default_kind`: the greedy policy's
    circuit when greedy evaluations built a chemically accurate one, else the shortest chemically
    accurate circuit, else the lowest-energy one.  Among the seeds, the shortest greedy or shortest
    accurate circuit, the earliest first accurate one, the lowest ``|energy - e0|`` (the energy
    under the run's noise model); ties go to the lower ``|error|``, then the fewer gates.

    Every record is read with :func:`read_record`: a damaged record (not JSON, not an object, no
    ``circuit`` or ``angles``, a malformed circuit) raises
    :class:`~crlqas.qnoise.errors.InputFileError` naming its file rather than being passed over.
    Raises :class:`~crlqas.qnoise.errors.ValidationError` when ``run_dir`` does not exist, holds no
    record, or none of kind ``which`` (the message lists the kinds it holds).
    """
    where = ", ".join(map(str, run_dir)) if isinstance(run_dir, (list, tuple)) else str(run_dir)
    found = pick_circuit(read_circuits(run_dir), which, where)
    return found.record, found.path


def record_circuit(record: dict, path=None):
    """``(Circuit, parameter values)`` of a best-circuit record (its ``circuit`` and ``angles``);
    a malformed circuit or angles raise :class:`~crlqas.qnoise.errors.InputFileError` naming
    ``path`` (the record's file)."""
    from crlqas.qnoise.circuit import Circuit

    where = str(path) if path is not None else "the record"
    try:
        circuit = Circuit.from_dict(record["circuit"])
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
        detail = f": {exc}" if isinstance(exc, CrlqasError) else ""
        raise InputFileError(f"malformed circuit in best-circuit record {where}{detail}") from None
    try:
        params = circuit.check_parameters(record["angles"])
    except (TypeError, KeyError, ValueError, IndexError) as exc:
        detail = f": {exc}" if isinstance(exc, CrlqasError) else ""
        raise InputFileError(f"malformed angles in best-circuit record {where}{detail}") from None
    return circuit, params


def run_problem(path) -> str | None:
    """The problem id (``env.problem`` of ``config.json``) of the run holding ``path`` (the run
    directory, a seed directory, its ``best/`` directory or a record file); ``None`` when there is
    no ``config.json`` or it names no problem.  ``path`` and up to three of its parents are searched
    for ``config.json``; a damaged one raises :class:`~crlqas.qnoise.errors.InputFileError` naming
    it."""
    path = Path(path)
    for d in (path, *path.parents[:3]):
        cfg = d / "config.json" if d.is_dir() else None
        if cfg is not None and cfg.exists():
            env = read_json_object(cfg, "run configuration").get("env", {})
            if not isinstance(env, dict):
                raise InputFileError(f"run configuration {str(cfg)!r}: 'env' must be an object; got {env!r}")
            problem = env.get("problem")
            return problem if isinstance(problem, str) else None
    return None


# ---------------------------------------------------------------------------- checkpoints
CHECKPOINT_FORMAT = "crlqas-checkpoint/1"
MANIFEST = "checkpoint.json"  # in every checkpoint directory, and the seed's pointer to the latest
_CHECKPOINT_DIR = re.compile(r"ep(\d{8})")
# settings a resumed run may change: how long it runs and how often it checkpoints, not what it computes
RESUME_MAY_CHANGE = (
    "name",
    "run.episodes",
    "run.parallel",
    "run.max_seconds",
    "run.checkpoint_every",
    "run.checkpoint_seconds",
    "agent.device",  # where the networks run (checkpoints load on either device)
)


class CheckpointInvalid(CrlqasError):
    """A checkpoint directory is incomplete or damaged (the message says which file and how)."""


def file_sha256(path) -> str:
    """The SHA-256 (hex) of the file ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def plain_json(data):
    """``data`` as it reads back from JSON (tuples as lists, NumPy values as numbers)."""
    return json.loads(json.dumps(data, default=_json_default))


def config_sha256(config: dict) -> str:
    """SHA-256 of a configuration dict (canonical JSON: sorted keys)."""
    return hashlib.sha256(json.dumps(plain_json(config), sort_keys=True).encode()).hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_checkpoint(seed_dir: Path, episode: int, save_files, keep: int = 2, config: dict | None = None) -> Path:
    """Write checkpoint ``checkpoints/ep<episode>`` of a seed directory; returns its path.

    ``save_files(tmpdir)`` fills a temporary directory; its files are flushed to disk, their SHA-256
    checksums (and ``episode``, ``config``: the run's configuration) go to the directory's
    ``checkpoint.json`` manifest, and the directory is renamed into place.  The new checkpoint is
    then verified against its manifest (:func:`verify_checkpoint`; a failure raises and keeps every
    older checkpoint); only after that the seed's ``checkpoint.json`` points to it and older
    checkpoints are deleted, keeping the ``keep - 1`` newest (``keep >= 2``: at least the previous
    complete checkpoint survives).  Checkpoints of later episodes (left by a run that resumed from
    an earlier one because they were damaged) and the leftovers of interrupted writes are removed.
    """
    if keep < 2:
        raise ValueError(f"keep must be at least 2 (the new checkpoint and the previous one); got {keep}")
    seed_dir = Path(seed_dir)
    root = seed_dir / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    name = f"ep{episode:08d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=name + ".", suffix=".tmp"))
    final, aside = root / name, None
    try:
        save_files(tmp)
        files = {}
        for f in sorted(tmp.iterdir()):
            if f.name == MANIFEST or not f.is_file():
                raise ValueError(f"a checkpoint holds plain files other than {MANIFEST}; got {f.name}")
            with open(f, "rb") as fh:  # flush the contents before the rename makes them visible
                os.fsync(fh.fileno())
            files[f.name] = {"sha256": file_sha256(f), "bytes": f.stat().st_size}
        manifest = {"format": CHECKPOINT_FORMAT, "episode": int(episode), "files": files}
        if config is not None:
            manifest["config_sha256"] = config_sha256(config)
            manifest["config"] = plain_json(config)
        atomic_write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        if final.exists():  # a damaged one of an abandoned later run, or the same episode again
            aside = root / f"{name}.{tmp.name.split('.')[1]}.old"
            os.replace(final, aside)
        os.replace(tmp, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if aside is not None and not final.exists():
            os.replace(aside, final)
        raise
    try:
        verify_checkpoint(final)
    except CheckpointInvalid as exc:
        raise CrlqasError(
            f"checkpoint {final} failed verification right after it was written ({exc}); "
            "the older checkpoints are kept: check the disk, then resume the run"
        ) from None
    atomic_write_json(
        seed_dir / MANIFEST, {"format": CHECKPOINT_FORMAT, "episode": int(episode), "dir": f"checkpoints/{name}"}
    )
    older = [p for ep, p in checkpoint_dirs(seed_dir) if ep < episode]
    for p in [p for ep, p in checkpoint_dirs(seed_dir) if ep > episode] + older[keep - 1 :]:
        os.replace(p, root / f"{p.name}.{tmp.name.split('.')[1]}.old")  # gone as a whole, then deleted
    for p in root.iterdir():
        if p.suffix in (".tmp", ".old"):
            shutil.rmtree(p, ignore_errors=True)
    return final


def checkpoint_dirs(seed_dir) -> list[tuple[int, Path]]:
    """``(episode, path)`` of the checkpoint directories (``checkpoints/ep<N>``) of a seed, newest
    first (complete or not: see :func:`verify_checkpoint`)."""
    root = Path(seed_dir) / "checkpoints"
    found = []
    for p in root.iterdir() if root.is_dir() else ():
        m = _CHECKPOINT_DIR.fullmatch(p.name)
        if m and p.is_dir():
            found.append((int(m.group(1)), p))
    return sorted(found, reverse=True)


def _legacy_pointer(seed_dir: Path, path: Path) -> bool:
    """Does the seed's ``checkpoint.json`` (written by crlqas before checkpoints had checksums)
    point at ``path``?"""
    try:
        data = json.loads((seed_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "format" not in data and data.get("dir") == f"checkpoints/{path.name}"


def verify_checkpoint(path) -> dict:
    """The manifest of checkpoint directory ``path`` once every file it lists is there with its
    recorded size and SHA-256; raises :class:`CheckpointInvalid` naming the file and the problem.

    A checkpoint written by crlqas before checksums existed (no manifest in the directory; the
    seed's ``checkpoint.json`` points at it) is accepted unverified (``"verified": False``)."""
    path = Path(path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        if _legacy_pointer(path.parent.parent, path) and all((path / f).is_file() for f in ("model.zip", "state.pkl")):
            return {"episode": int(path.name[2:]), "files": {}, "verified": False, "path": path}
        raise CheckpointInvalid(f"{MANIFEST} missing")
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointInvalid(f"{MANIFEST} unreadable ({type(exc).__name__}: {exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(files, dict)
        or manifest.get("format") != CHECKPOINT_FORMAT
        or manifest.get("episode") != int(path.name[2:])
        or not all(isinstance(v, dict) and {"sha256", "bytes"} <= set(v) for v in files.values())
        or not {"model.zip", "state.pkl"} <= set(files)
    ):
        raise CheckpointInvalid(f"{MANIFEST} is not a manifest of this checkpoint")
    for name, want in files.items():
        f = path / name
        if not f.is_file():
            raise CheckpointInvalid(f"{name} missing")
        size = f.stat().st_size
        if size != want["bytes"]:
            raise CheckpointInvalid(f"{name} has {size} bytes, the manifest says {want['bytes']}")
        if file_sha256(f) != want["sha256"]:
            raise CheckpointInvalid(f"{name} checksum mismatch")
    return {**manifest, "verified": True, "path": path}


def find_checkpoint(seed_dir) -> tuple[dict | None, list[str]]:
    """``(manifest, skipped)``: the newest valid checkpoint of a seed (its manifest, with ``path``;
    ``None`` when the seed has no checkpoint) and ``"ep<N>: <why>"`` for each newer one that is
    damaged.  Raises :class:`~crlqas.qnoise.errors.CrlqasError` when checkpoints exist but none
    is valid."""
    skipped = []
    for _, path in checkpoint_dirs(seed_dir):
        try:
            return verify_checkpoint(path), skipped
        except CheckpointInvalid as exc:
            skipped.append(f"{path.name}: {exc}")
    if skipped:
        raise no_valid_checkpoint(seed_dir, skipped)
    return None, skipped


def no_valid_checkpoint(seed_dir, skipped) -> CrlqasError:
    root = Path(seed_dir) / "checkpoints"
    return CrlqasError(
        f"no valid checkpoint in {root}: {'; '.join(skipped)} (to train this seed again from the "
        f"start, move {root} away)"
    )


def config_differences(old: dict, new: dict, ignore=RESUME_MAY_CHANGE) -> list[str]:
    """Dotted paths (``env.problem``, ``agent.params.policy_kwargs.net_arch``) where the plain JSON
    forms of two configurations differ, except the paths in ``ignore``, each as
    ``"path: old -> new"``."""
    out = []

    def walk(a, b, prefix):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), key=str):
                walk(a.get(k, _MISSING), b.get(k, _MISSING), f"{prefix}{k}" if not prefix else f"{prefix}.{k}")
        elif a != b and prefix not in ignore:
            out.append(f"{prefix}: {_short(a)} -> {_short(b)}")

    walk(plain_json(old), plain_json(new), "")
    return out


class _Missing:
    def __repr__(self):
        return "(not set)"


_MISSING = _Missing()


def _short(v, limit: int = 60) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def episodes_done(seed_dir) -> int:
    """The most episodes a seed directory records: its logs (``progress.csv``, ``eval.csv``), its
    ``summary.json`` and its checkpoints (0 for none)."""
    seed_dir = Path(seed_dir)
    done = max((ep for ep, _ in checkpoint_dirs(seed_dir)), default=0)
    for name in ("progress.csv", "eval.csv"):
        for row in _csv_rows(seed_dir / name)[1:]:
            ep = _int(row[0])
            if ep is not None:
                done = max(done, ep)
    try:
        summary = json.loads((seed_dir / "summary.json").read_text())
        done = max(done, int(summary["episodes"]))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    return done


def read_manifest(seed_dir: Path) -> dict | None:
    """The seed's pointer to its latest checkpoint (``episode``, ``dir``, ``path``), or ``None``."""
    path = Path(seed_dir) / MANIFEST
    try:
        data = json.loads(path.read_text())
        data["path"] = Path(seed_dir) / data["dir"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return data
