"""Where the circuit comes from: a training run directory or an OpenQASM file.

* :func:`best_from_run` ``(run_dir)``: the best circuit of a ``crlqas train`` run.  Candidates are
  every ``best/<name>.json`` record (``best_energy``, ``first_accurate``, ``shortest_accurate``,
  ``greedy``; :mod:`agents.runlog`) of every ``seed_<S>/`` directory; ``run_dir`` may also be one
  seed directory, its ``best/`` directory, or one record file.  The pick is the lowest
  ``|energy - e0|`` (the record's ``error``: the energy under the run's noise model), then the fewest
  gates.  The record's ``circuit`` and ``angles`` give the circuit and its parameter values.
* :func:`load_source` ``(run=None, qasm=None, params=None)``: a :class:`CircuitSource` from either;
  the run's ``config.json`` names the problem (``env.problem``) when ``--problem`` is not given.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..circuit import Circuit
from ..errors import ParameterError, ValidationError


@dataclass
class CircuitSource:
    """A circuit with its parameter values, where it came from, and the run's problem id if known."""

    circuit: Circuit
    params: np.ndarray
    origin: str
    problem: str | None = None
    record: dict = field(default_factory=dict)

    def info(self) -> dict:
        keep = ("energy", "error", "energy_noiseless", "e0", "num_gates", "num_cnots", "depth", "episode")
        return {"origin": self.origin, "problem": self.problem, "num_qubits": self.circuit.num_qubits,
                "num_parameters": self.circuit.num_parameters,
                **{f"run_{k}": self.record[k] for k in keep if k in self.record}}


def _records(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = []
    for pattern in ("*.json", "best/*.json", "seed_*/best/*.json"):
        found += sorted(p for p in path.glob(pattern) if p.parent.name == "best" or path.name == "best")
    return sorted(set(found))


def _score(rec: dict) -> tuple:
    err = rec.get("error")
    if err is None and rec.get("e0") is not None and rec.get("energy") is not None:
        err = rec["energy"] - rec["e0"]
    err = math.inf if err is None or not math.isfinite(float(err)) else abs(float(err))
    return err, int(rec.get("num_gates", len(rec.get("circuit", {}).get("gates", []))))


def best_from_run(run_dir) -> tuple[dict, Path]:
    """``(record, path)`` of the best circuit record under ``run_dir`` (see the module docstring)."""
    path = Path(run_dir)
    if not path.exists():
        raise ValidationError(f"run directory {run_dir} does not exist")
    best = None
    for rec_path in _records(path):
        try:
            rec = json.loads(rec_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(rec, dict) or "circuit" not in rec or "angles" not in rec:
            continue
        key = _score(rec)
        if best is None or key < best[0]:
            best = (key, rec, rec_path)
    if best is None:
        raise ValidationError(f"no best-circuit records (seed_<S>/best/<name>.json with 'circuit' and "
                              f"'angles') under {run_dir}; is it a 'crlqas train' run directory?")
    return best[1], best[2]


def _run_problem(path: Path) -> str | None:
    for d in (path, *path.parents[:3]):
        cfg = d / "config.json" if d.is_dir() else None
        if cfg is not None and cfg.exists():
            try:
                env = json.loads(cfg.read_text()).get("env", {})
            except (OSError, json.JSONDecodeError, AttributeError):
                return None
            return env.get("problem") if isinstance(env, dict) else None
    return None


def _parse_params(text) -> list[float] | None:
    if text is None or isinstance(text, (list, tuple, np.ndarray)):
        return text
    try:
        return [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ParameterError(f"parameter values must be comma-separated numbers; got {text!r}") from None


def load_source(run=None, qasm=None, params=None) -> CircuitSource:
    """The circuit of ``--run DIR`` or ``--qasm FILE`` (exactly one); ``params``: values of a QASM
    program's free parameters (a list, or text ``"v1,v2,..."``)."""
    if (run is None) == (qasm is None):
        raise ValidationError("give exactly one circuit source: a run directory (--run) or a QASM file (--qasm)")
    if run is not None:
        rec, rec_path = best_from_run(run)
        try:
            circuit = Circuit.from_dict(rec["circuit"])
        except (TypeError, AttributeError):
            raise ValidationError(f"malformed circuit in {rec_path}") from None
        values = circuit.check_parameters(rec["angles"])
        return CircuitSource(circuit, values, str(rec_path), _run_problem(rec_path.parent), rec)
    from ..qiskit_bridge import from_qiskit, load_qasm

    circuit, values = from_qiskit(load_qasm(qasm), _parse_params(params))
    return CircuitSource(circuit, values, str(qasm))
