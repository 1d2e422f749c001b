"""Registry of named problems: qubit Hamiltonians with exact reference energies.

>>> from crlqas.qnoise.problems import get_problem
>>> p = get_problem("h2-2q")
>>> p.num_qubits, round(p.e0, 6)
(2, -1.13727)
>>> p.is_solved(p.e0 + 1e-3)
True

Ids:

* **Molecules** (STO-3G, shipped JSON made by :mod:`qnoise.problems.generate`): ``h2-2q``,
  ``h2-3q``, ``h2-4q`` (H2 at 0.7414 A), ``h2-2q-d<R>`` (H2 dissociation curve), ``lih-4q-<R>``
  (R = 1.2, 2.2, 3.4), ``lih-6q-2.2``, ``h2o-8q``, ``beh2-6q`` and ``beh2-6q-d<R>``.  Their
  Hamiltonian constant holds nuclear repulsion and frozen-core energy, so ``e0`` is a total energy.
* **Spin chains** built on the fly (J = 1; see :mod:`qnoise.problems.spin`):
  ``tfim-<n>-<h>[-periodic]`` (``-sum ZZ - h sum X``) and ``heisenberg-<n>[-periodic]``
  (``sum XX + YY + ZZ``).
* Any ``crlqas-problem/1`` JSON file, by path (e.g. one written by the generator for a new
  molecule), or a :class:`Problem` added with :func:`register_problem`.

``e1`` is the second-lowest eigenvalue of the qubit Hamiltonian counted with multiplicity (over
every sector the qubit space holds); ``lower_bound`` is ``constant - sum |w|``, the cheap bound
used by the reward.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import ValidationError

CHEMICAL_ACCURACY = 1.6e-3  # Hartree

__all__ = [
    "CHEMICAL_ACCURACY",
    "Problem",
    "UnknownProblemError",
    "get_problem",
    "list_problems",
    "load_problem",
    "register_problem",
]

EXAMPLE_SPIN_IDS = ("tfim-4-1.0", "tfim-6-1.0-periodic", "heisenberg-4", "heisenberg-6-periodic")
_TFIM = re.compile(r"^tfim-(\d+)-(\d+(?:\.\d*)?(?:e-?\d+)?)(-periodic)?$")
_HEIS = re.compile(r"^heisenberg-(\d+)(-periodic)?$")
_CUSTOM: dict[str, Problem] = {}


class UnknownProblemError(ValidationError):
    """No problem has the requested id."""


@dataclass(frozen=True)
class Problem:
    """A named qubit Hamiltonian with its exact energies (Hartree for molecules)."""

    id: str
    num_qubits: int
    hamiltonian: object  # qnoise.Hamiltonian
    e0: float | None
    e1: float | None
    lower_bound: float
    description: str
    mapping: str = ""
    active_space: str = ""
    geometry: str = ""
    basis: str = ""
    source: str = ""
    chemical_accuracy: float = CHEMICAL_ACCURACY
    kind: str = "molecule"  # or "spin"
    metadata: dict = field(default_factory=dict, compare=False)

    @property
    def num_terms(self) -> int:
        return self.hamiltonian.num_terms

    @property
    def constant(self) -> float:
        return self.hamiltonian.constant

    def error(self, energy: float) -> float:
        """``energy - e0``."""
        if self.e0 is None:
            raise ValidationError(f"{self.id} has no exact ground energy (too many qubits)")
        return float(energy) - self.e0

    def is_solved(self, energy: float) -> bool:
        """True when ``energy`` is within chemical accuracy of ``e0``."""
        return self.error(energy) < self.chemical_accuracy

    def summary(self, terms: bool = False) -> dict:
        """JSON-ready fields (``terms=True`` adds ``[[label, coeff], ...]``)."""
        out = {
            "id": self.id,
            "num_qubits": self.num_qubits,
            "num_terms": self.num_terms,
            "constant": self.constant,
            "e0": self.e0,
            "e1": self.e1,
            "lower_bound": self.lower_bound,
            "chemical_accuracy": self.chemical_accuracy,
            "description": self.description,
            "kind": self.kind,
            "mapping": self.mapping,
            "active_space": self.active_space,
            "geometry": self.geometry,
            "basis": self.basis,
            "source": self.source,
        }
        if terms:
            out["terms"] = [[lab, float(w)] for lab, w in zip(self.hamiltonian.labels, self.hamiltonian.coeffs)]
        return out


def _spin_problem(model: str, n: int, h: float | None, periodic: bool) -> Problem:
    from . import spin

    bc = "periodic" if periodic else "open"
    if model == "tfim":
        ham = spin.tfim(n, h, 1.0, periodic)
        pid = f"tfim-{n}-{h!r}" + ("-periodic" if periodic else "")
        desc = f"transverse-field Ising chain, {n} qubits, {bc}: -sum Z_i Z_i+1 - {h!r} sum X_i"
        how = (
            "free fermions (Majorana single-particle energies)"
            if not periodic
            else "exact diagonalisation"
            if n <= spin.MAX_ED_QUBITS
            else "free-fermion closed form (E0 only)"
        )
    else:
        ham = spin.heisenberg(n, 1.0, periodic)
        pid = f"heisenberg-{n}" + ("-periodic" if periodic else "")
        desc = f"Heisenberg chain, {n} qubits, {bc}: sum (X_i X_i+1 + Y_i Y_i+1 + Z_i Z_i+1)"
        how = "exact diagonalisation" if n <= spin.MAX_ED_QUBITS else "none (too many qubits)"
    e0, e1 = spin.spin_energies(model, n, h if h is not None else 1.0, 1.0, periodic)
    return Problem(
        id=pid,
        num_qubits=n,
        hamiltonian=ham,
        e0=e0,
        e1=e1,
        lower_bound=ham.lower_bound,
        description=desc,
        mapping="spin model (none)",
        source=f"crlqas.qnoise.problems.spin; energies: {how}",
        kind="spin",
        metadata={"model": model, "h": h, "J": 1.0, "periodic": periodic},
    )


def _parse_spin(pid: str):
    m = _TFIM.match(pid)
    if m:
        return "tfim", int(m.group(1)), float(m.group(2)), bool(m.group(3))
    m = _HEIS.match(pid)
    if m:
        return "heisenberg", int(m.group(1)), None, bool(m.group(2))
    return None


@lru_cache(maxsize=64)
def _get(pid: str) -> Problem:
    from . import molecules

    if pid in _CUSTOM:
        return _CUSTOM[pid]
    if pid.endswith(".json"):
        return molecules.load_problem(pid)
    if pid in molecules.shipped_ids():
        return molecules.load_problem(pid)
    spin_args = _parse_spin(pid)
    if spin_args:
        return _spin_problem(*spin_args)
    hint = ""
    if pid.startswith(("tfim", "heisenberg")):
        hint = (
            " Spin ids have the form tfim-<n>-<h>[-periodic] (e.g. tfim-6-0.5-periodic) or heisenberg-<n>[-periodic]."
        )
    close = difflib.get_close_matches(pid, list_problems(), n=5, cutoff=0.5)
    near = f" Close matches: {', '.join(close)}." if close else ""
    raise UnknownProblemError(f"unknown problem id {pid!r}.{near}{hint} Known ids: {', '.join(list_problems())}.")


def get_problem(problem_id) -> Problem:
    """The problem with this id (case-insensitive), or from a ``.json`` path (``str`` or ``Path``)."""
    if isinstance(problem_id, os.PathLike):
        problem_id = os.fspath(problem_id)
    if not isinstance(problem_id, str) or not problem_id.strip():
        raise UnknownProblemError(f"a problem id must be a non-empty string; got {problem_id!r}")
    pid = problem_id.strip()
    return _get(pid if pid.endswith(".json") else pid.lower())


def list_problems(include_spin_examples: bool = True) -> list[str]:
    """Ids of the shipped molecules, registered problems and (optionally) example spin chains.

    Any ``tfim-<n>-<h>[-periodic]`` / ``heisenberg-<n>[-periodic]`` id also works.
    """
    from .molecules import shipped_ids

    ids = shipped_ids() + sorted(_CUSTOM)
    if include_spin_examples:
        ids += list(EXAMPLE_SPIN_IDS)
    return ids


def register_problem(problem) -> Problem:
    """Add a :class:`Problem` (or a ``crlqas-problem/1`` JSON path) to this session's registry."""
    from .molecules import load_problem as _load

    if not isinstance(problem, Problem):
        problem = _load(problem)
    if problem.id in list_problems(False) and problem.id not in _CUSTOM:
        raise ValidationError(f"problem id {problem.id!r} is already taken by a shipped problem")
    _CUSTOM[problem.id] = problem
    _get.cache_clear()
    return problem


def load_problem(path) -> Problem:
    """A problem from a ``crlqas-problem/1`` JSON file."""
    from .molecules import load_problem as _load

    return _load(path)
