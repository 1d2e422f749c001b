"""Molecular problems shipped as JSON files in ``qnoise/data/problems``.

Each file (format ``crlqas-problem/1``) holds a qubit Hamiltonian made by
:mod:`qnoise.problems.generate` (qiskit-nature + PySCF, run once by the developers), so loading a
molecule needs neither package.  The constant of the stored Hamiltonian includes the nuclear
repulsion and the frozen-core (inactive) energy: its ground energy is the *total* energy of the
molecule within the active space (the CASCI energy).

Also here: :func:`parse_geometry`, the validated parser of ``"Li 0 0 0; H 0 0 1.6"`` strings used
by the generator and the registry.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from ..errors import InputFileError, ValidationError
from ..fileio import read_json

FORMAT = "crlqas-problem/1"
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "problems"

ELEMENTS = [
    "H",
    "He",
    "Li",
    "Be",
    "B",
    "C",
    "N",
    "O",
    "F",
    "Ne",
    "Na",
    "Mg",
    "Al",
    "Si",
    "P",
    "S",
    "Cl",
    "Ar",
    "K",
    "Ca",
    "Sc",
    "Ti",
    "V",
    "Cr",
    "Mn",
    "Fe",
    "Co",
    "Ni",
    "Cu",
    "Zn",
    "Ga",
    "Ge",
    "As",
    "Se",
    "Br",
    "Kr",
    "Rb",
    "Sr",
    "Y",
    "Zr",
    "Nb",
    "Mo",
    "Tc",
    "Ru",
    "Rh",
    "Pd",
    "Ag",
    "Cd",
    "In",
    "Sn",
    "Sb",
    "Te",
    "I",
    "Xe",
]
_ELEMENT = {e.upper(): e for e in ELEMENTS}

_REQUIRED = ("format", "id", "num_qubits", "constant", "terms", "e0", "e1", "description")


class ProblemFileError(InputFileError):
    """A problem JSON file is malformed."""


def parse_geometry(geometry: str) -> list[tuple[str, float, float, float]]:
    """Parse ``"Sym x y z; Sym x y z; ..."`` (Angstrom) into ``[(symbol, x, y, z), ...]``.

    Atoms are separated by ``;`` or new lines; fields by spaces or commas.  Raises
    :class:`~qnoise.errors.ValidationError` naming the offending atom for an unknown element, a
    wrong number of coordinates, a non-finite coordinate or two atoms at the same place.
    """
    if not isinstance(geometry, str) or not geometry.strip():
        raise ValidationError(f"a geometry must be a non-empty string like 'H 0 0 0; H 0 0 0.74'; got {geometry!r}")
    atoms = []
    chunks = [c.strip() for c in geometry.replace("\n", ";").split(";")]
    for k, chunk in enumerate(c for c in chunks if c):
        fields = chunk.replace(",", " ").split()
        if len(fields) != 4:
            raise ValidationError(
                f"atom {k + 1} of the geometry, {chunk!r}, must be 'Symbol x y z' (4 fields); got {len(fields)}"
            )
        sym = _ELEMENT.get(fields[0].upper())
        if sym is None:
            raise ValidationError(
                f"atom {k + 1} of the geometry has unknown element {fields[0]!r}; known: {', '.join(ELEMENTS)}"
            )
        try:
            xyz = tuple(float(v) for v in fields[1:])
        except ValueError:
            raise ValidationError(
                f"atom {k + 1} of the geometry, {chunk!r}, has a coordinate that is not a number"
            ) from None
        if not all(math.isfinite(v) for v in xyz):
            raise ValidationError(f"atom {k + 1} of the geometry, {chunk!r}, has a non-finite coordinate")
        atoms.append((sym, *xyz))
    if not atoms:
        raise ValidationError(f"the geometry {geometry!r} has no atoms")
    for i in range(len(atoms)):
        for j in range(i):
            if math.dist(atoms[i][1:], atoms[j][1:]) < 1e-3:
                raise ValidationError(f"atoms {j + 1} and {i + 1} of the geometry are at the same place")
    return atoms


def format_geometry(atoms) -> str:
    """Canonical string of parsed atoms: ``"H 0.0 0.0 0.0; H 0.0 0.0 0.7414"`` (repr floats)."""
    return "; ".join(f"{s} {float(x)!r} {float(y)!r} {float(z)!r}" for s, x, y, z in atoms)


def problem_path(problem_id: str) -> Path:
    return DATA_DIR / f"{problem_id}.json"


def shipped_ids() -> list[str]:
    """Ids of the shipped molecular problems, sorted."""
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


def validate_record(record, source: str = "<record>") -> dict:
    """Check the fields of a problem record; return it."""
    if not isinstance(record, dict):
        raise ProblemFileError(f"{source}: expected a JSON object; got {type(record).__name__}")
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise ProblemFileError(f"{source}: missing field(s) {', '.join(missing)}")
    if record["format"] != FORMAT:
        raise ProblemFileError(f"{source}: format {record['format']!r} is not {FORMAT!r}")
    terms = record["terms"]
    if not isinstance(terms, dict) or not terms:
        raise ProblemFileError(f"{source}: 'terms' must be a non-empty object label -> coefficient")
    n = record["num_qubits"]
    if not isinstance(n, int) or n < 1 or any(len(lab) != n for lab in terms):
        raise ProblemFileError(f"{source}: every term label must have num_qubits={n!r} characters")
    return record


@cache
def _load_text(path: str) -> dict:
    try:
        record = read_json(path, "problem file")
    except InputFileError as exc:
        raise ProblemFileError(str(exc)) from None
    return validate_record(record, path)


def load_record(problem_id_or_path) -> dict:
    """The stored record (a fresh copy) of a shipped id or of a JSON file path."""
    path = Path(problem_id_or_path)
    if path.suffix != ".json":
        path = problem_path(str(problem_id_or_path))
    if not path.is_file():
        raise ValidationError(f"no problem file {str(path)!r}")
    return json.loads(json.dumps(_load_text(str(path.resolve()))))


def record_to_problem(record: dict):
    """Build a :class:`qnoise.problems.Problem` from a record."""
    from ..hamiltonian import Hamiltonian
    from . import Problem

    ham = Hamiltonian(sorted(record["terms"].items()), record["constant"], record["num_qubits"])
    return Problem(
        id=record["id"],
        num_qubits=record["num_qubits"],
        hamiltonian=ham,
        e0=float(record["e0"]),
        e1=None if record["e1"] is None else float(record["e1"]),
        lower_bound=ham.lower_bound,
        description=record["description"],
        mapping=record.get("mapping", ""),
        active_space=record.get("active_space", ""),
        geometry=record.get("geometry", ""),
        basis=record.get("basis", ""),
        source=record.get("source", ""),
        kind="molecule",
        metadata={k: record[k] for k in ("charge", "spin", "reference", "generator") if k in record},
    )


def load_problem(problem_id_or_path):
    """A shipped molecule by id, or any ``crlqas-problem/1`` JSON file by path."""
    return record_to_problem(load_record(problem_id_or_path))
