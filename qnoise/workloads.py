"""Loader of the shared benchmark format ``noisy-vqe-workload/1``.

A workload file is a JSON object with ``n_qubits``, ``gates`` (``{"op": "rx"|"ry"|"rz"|"cx",
"qubits": [...], "param": i}``; ``cx`` qubits are ``[control, target]``), ``noise``,
``hamiltonian`` (``{"terms": [[pauli_string, coeff], ...]}``), ``reference_params`` and
``reference_energy`` (``Tr(rho H)`` at ``reference_params``).

Conventions of the format that differ from qnoise's:

* Pauli strings are **little-endian**: character k acts on qubit k.  qnoise labels put qubit 0
  right-most, so the strings are reversed on loading.
* Noise after every gate, on each of the gate's qubits: thermal relaxation (model ``thermal``
  only; amplitude damping ``gamma = 1 - exp(-t/T1)`` then phase damping ``lambda = 1 -
  exp(-2t/Tphi)``, which is :func:`qnoise.channels.thermal_relaxation`), then depolarizing
  ``rho -> (1-p) rho + p I/d`` on the gate's qubits (``p1`` for 1-qubit gates, ``p2`` for ``cx``).
  The parameters are read from the file's ``noise`` field.

Malformed files raise :class:`~qnoise.errors.ValidationError` naming the file and the field.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import channels
from .circuit import Circuit
from .errors import CrlqasError, ValidationError
from .fileio import read_json
from .hamiltonian import Hamiltonian
from .noise_model import NoiseModel

FORMAT = "noisy-vqe-workload/1"
GATE_OPS = {"rx": 1, "ry": 1, "rz": 1, "cx": 2}
NOISE_MODELS = ("depol", "thermal")
#: tolerance for the file's ``derived_*`` thermal values against those recomputed from T1, T2, t
DERIVED_RTOL = 1e-9


@dataclass
class Workload:
    """One benchmark workload as qnoise objects."""

    name: str
    n_qubits: int
    circuit: Circuit
    noise_model: NoiseModel
    hamiltonian: Hamiltonian
    reference_params: np.ndarray
    reference_energy: float
    noise: dict = field(default_factory=dict, repr=False)  # the file's ``noise`` field, as given
    source: str = ""

    @property
    def n_gates(self) -> int:
        return len(self.circuit)

    @property
    def n_params(self) -> int:
        return self.circuit.num_parameters


class _Reader:
    """Field access that turns every problem into a ValidationError naming the file."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, message: str) -> ValidationError:
        return ValidationError(f"workload {self.source}: {message}")

    def get(self, data: dict, key: str, kind, where: str = ""):
        if not isinstance(data, dict) or key not in data:
            raise self.fail(f"missing field {where + key!r}")
        value = data[key]
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            name = getattr(kind, "__name__", str(kind))
            raise self.fail(f"field {where + key!r} must be {name} (finite); got {value!r}")
        return value


def parse_workload(data, source: str = "<dict>") -> Workload:
    """Build a :class:`Workload` from the decoded JSON object of a workload file."""
    r = _Reader(source)
    if not isinstance(data, dict):
        raise r.fail(f"top level must be a JSON object; got {type(data).__name__}")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise r.fail(f"unsupported format {fmt!r}; expected {FORMAT!r}")
    n = r.get(data, "n_qubits", int)
    if n < 1:
        raise r.fail(f"n_qubits must be >= 1; got {n}")
    name = data.get("name", Path(source).stem)
    gates = r.get(data, "gates", list)
    params = r.get(data, "reference_params", list)
    for i, p in enumerate(params):
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not math.isfinite(p):
            raise r.fail(f"reference_params[{i}] must be a finite number; got {p!r}")
    n_params = data.get("n_params", len(params))
    if n_params != len(params):
        raise r.fail(f"n_params is {n_params!r} but reference_params has {len(params)} values")
    if "n_gates" in data and data["n_gates"] != len(gates):
        raise r.fail(f"n_gates is {data['n_gates']!r} but 'gates' lists {len(gates)} gates")
    circuit = _circuit(r, n, gates, len(params))
    noise_field = r.get(data, "noise", dict)
    noise_model = _noise_model(r, noise_field)
    hamiltonian = _hamiltonian(r, n, r.get(data, "hamiltonian", dict))
    energy = r.get(data, "reference_energy", float)
    return Workload(
        str(name),
        n,
        circuit,
        noise_model,
        hamiltonian,
        np.asarray(params, dtype=np.float64),
        float(energy),
        noise_field,
        source,
    )


def _circuit(r: _Reader, n: int, gates: list, n_params: int) -> Circuit:
    circuit = Circuit(n, n_params)
    for i, g in enumerate(gates):
        where = f"gates[{i}]."
        op = r.get(g, "op", str, where)
        if op not in GATE_OPS:
            raise r.fail(f"gates[{i}] has op {op!r}; allowed: {', '.join(GATE_OPS)}")
        qubits = r.get(g, "qubits", list, where)
        if len(qubits) != GATE_OPS[op] or not all(isinstance(q, int) and not isinstance(q, bool) for q in qubits):
            raise r.fail(f"gates[{i}] ({op}) needs {GATE_OPS[op]} integer qubit(s); got {qubits!r}")
        param = None
        if op != "cx":
            param = r.get(g, "param", int, where)
            if not 0 <= param < n_params:
                raise r.fail(f"gates[{i}] uses param {param} but there are {n_params} reference_params")
        try:
            circuit.append(op, qubits, param=param)
        except CrlqasError as exc:
            raise r.fail(f"gates[{i}]: {exc}") from None
    return circuit


def _noise_model(r: _Reader, noise: dict) -> NoiseModel:
    model = r.get(noise, "model", str, "noise.")
    if model not in NOISE_MODELS:
        raise r.fail(f"noise.model is {model!r}; allowed: {', '.join(NOISE_MODELS)}")
    p1 = r.get(noise, "p1", float, "noise.")
    p2 = r.get(noise, "p2", float, "noise.")
    try:
        dep1, dep2 = channels.depolarizing(p1, 1), channels.depolarizing(p2, 2)
        if model == "thermal":
            th = r.get(noise, "thermal", dict, "noise.")
            t1, t2 = (r.get(th, k, float, "noise.thermal.") for k in ("t1", "t2"))
            t_1q, t_2q = (r.get(th, k, float, "noise.thermal.") for k in ("t_1q", "t_2q"))
            pe = th.get("excited_state_population", 0.0)
            th1 = channels.thermal_relaxation(t1, t2, t_1q, pe)
            th2 = channels.thermal_relaxation(t1, t2, t_2q, pe)
            _check_derived(r, th, t1, t2, t_1q, "derived_1q")
            _check_derived(r, th, t1, t2, t_2q, "derived_2q_per_qubit")
            ch1, ch2 = th1.compose(dep1), th2.tensor(th2).compose(dep2)
        else:
            ch1, ch2 = dep1, dep2
    except ValidationError as exc:
        if str(exc).startswith(f"workload {r.source}:"):
            raise
        raise r.fail(f"noise: {exc}") from None
    nm = NoiseModel(f"workload-{model}")
    nm.add_all_qubit_error(ch1, ["rx", "ry", "rz"])
    nm.add_all_qubit_error(ch2, ["cx"])
    return nm


def thermal_parameters(t1: float, t2: float, t: float) -> tuple[float, float]:
    """``(gamma, lambda)`` of amplitude then phase damping equal to thermal relaxation for time t."""
    gamma = 1.0 - math.exp(-t / t1)
    inv_tphi = 1.0 / t2 - 1.0 / (2.0 * t1)
    lam = 1.0 - math.exp(-2.0 * t * inv_tphi)
    return gamma, lam


def _check_derived(r: _Reader, th: dict, t1, t2, t, key: str) -> None:
    """If the file lists derived damping values, they must match those recomputed from T1, T2."""
    derived = th.get(key)
    if derived is None:
        return
    gamma, lam = thermal_parameters(t1, t2, t)
    for field_name, mine in (("amp_damp_gamma", gamma), ("phase_damp_lambda", lam)):
        if field_name in derived:
            given = r.get(derived, field_name, float, f"noise.thermal.{key}.")
            if not math.isclose(given, mine, rel_tol=DERIVED_RTOL, abs_tol=1e-15):
                raise r.fail(
                    f"noise.thermal.{key}.{field_name} = {given!r} does not match "
                    f"{mine!r} computed from t1={t1}, t2={t2}, t={t}"
                )


def _hamiltonian(r: _Reader, n: int, ham: dict) -> Hamiltonian:
    terms = r.get(ham, "terms", list, "hamiltonian.")
    if not terms:
        raise r.fail("hamiltonian.terms is empty")
    out = []
    for i, term in enumerate(terms):
        if (
            not isinstance(term, (list, tuple))
            or len(term) != 2
            or not isinstance(term[0], str)
            or not isinstance(term[1], (int, float))
            or isinstance(term[1], bool)
            or not math.isfinite(term[1])
        ):
            raise r.fail(f"hamiltonian.terms[{i}] must be [pauli_string, real coefficient]; got {term!r}")
        label = term[0].upper()
        if len(label) != n or set(label) - set("IXYZ"):
            raise r.fail(f"hamiltonian.terms[{i}] Pauli string {term[0]!r} must have {n} characters from I, X, Y, Z")
        out.append((label[::-1], float(term[1])))  # little-endian -> qnoise label (qubit 0 right-most)
    constant = ham.get("constant", 0.0)
    try:
        return Hamiltonian(out, constant=float(constant), num_qubits=n)
    except (CrlqasError, TypeError, ValueError) as exc:
        raise r.fail(f"hamiltonian: {exc}") from None


def load_workload(path) -> Workload:
    """Read one workload file."""
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"workload file not found: {str(path)!r}")
    return parse_workload(read_json(p, "workload file"), str(p))


def workload_paths(paths_or_dir) -> list[Path]:
    """Expand a file, a directory (its ``*.json``, sorted by name) or a list of them to files."""
    items: Iterable = [paths_or_dir] if isinstance(paths_or_dir, (str, os.PathLike)) else paths_or_dir
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(p.glob("*.json"))
            if not found:
                raise ValidationError(f"no workload files (*.json) in directory {str(item)!r}")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise ValidationError(f"workload file not found: {str(item)!r}")
    if not out:
        raise ValidationError("no workload files given")
    return out


def load_workloads(paths_or_dir) -> list[Workload]:
    """Load every workload of a file, a directory, or a list of files and directories."""
    return [load_workload(p) for p in workload_paths(paths_or_dir)]


__all__ = [
    "FORMAT",
    "Workload",
    "load_workload",
    "load_workloads",
    "parse_workload",
    "thermal_parameters",
    "workload_paths",
]
