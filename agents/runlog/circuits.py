"""Best-circuit records of a seed (``best/<file>.json`` and ``.qasm``): how a record is made and
written, its kinds (:data:`CIRCUIT_KINDS`), and how records are read back and chosen
(:func:`best_from_run`, the one resolver of which circuit a command uses; the default rule
:func:`default_kind`).  Reading needs numpy and crlqas.qnoise only."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from crlqas.qnoise.errors import CrlqasError, InputFileError
from crlqas.qnoise.fileio import atomic_write_text, read_json_object

from .logs import METRICS, atomic_write_json, metric_error, step_energies


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
