"""One result record for every method that prepares a ground state: the QAS agent's runs and the
baselines (qubit-ADAPT-VQE, random architecture search, layered ansatze) write the same
:class:`ResultRecord`, so one table compares them.

A record holds the three errors against ``E0`` of one circuit and its angles (see
:func:`circuit_energies`): the exact noisy energy as measured (gate and readout errors), the
readout-mitigated one (per-qubit confusion inverted on the measured observables; ``None`` where a
readout error has no inverse) and the noiseless energy of the same circuit and angles.  Which of
them "chemically accurate" means is the record's ``metric`` (``"noisy"``, ``"mitigated"`` or
``"noiseless"``).  Energies are in the problem's units (Hartree for molecules).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .errors import InputFileError, ValidationError

METRICS = ("noisy", "mitigated", "noiseless")
"""The success metrics, in the order the errors are listed."""

RECORD_VERSION = 1


def check_metric(metric: str) -> str:
    """``metric`` when it is one of :data:`METRICS`, else :class:`ValidationError` naming them."""
    if metric not in METRICS:
        raise ValidationError(f"success metric must be one of {', '.join(METRICS)}; got {metric!r}")
    return metric


def circuit_energies(circuit, angles, hamiltonian, noise_model=None) -> dict:
    """``{"noisy", "mitigated", "noiseless"}`` exact energies of ``circuit`` at ``angles``: under
    ``noise_model`` as measured, readout-mitigated (``None`` when a readout error has no inverse;
    the noisy one without readout errors) and without noise.  Without a noise model all three are
    the same number, computed once."""
    from .errors import CrlqasError
    from .simulator import Simulator

    if noise_model is None or noise_model.is_ideal():
        e = float(Simulator(circuit, hamiltonian).energy(angles))
        return {"noisy": e, "mitigated": e, "noiseless": e}
    sim = Simulator(circuit, hamiltonian, noise_model)
    noisy = float(sim.energy(angles))
    if noise_model.has_readout_error:
        try:
            mitigated = float(sim.mitigated_energy(angles))
        except CrlqasError:  # a confusion matrix without inverse
            mitigated = None
    else:
        mitigated = noisy
    noiseless = float(Simulator(circuit, hamiltonian).energy(angles))
    return {"noisy": noisy, "mitigated": mitigated, "noiseless": noiseless}


@dataclass(frozen=True)
class ResultRecord:
    """What one method reached on one problem under one noise model with one seed.

    ``method`` names the method and its variant (``"agent:dqn/cpu"``, ``"adapt:minimal"``,
    ``"random"``, ``"hea:ry-cx-2"``); ``noise`` is the noise model's name (``"none"`` without noise);
    ``energies``/``errors`` map each of :data:`METRICS` to the energy and ``energy - e0`` (``None``
    where not defined); ``accurate`` is ``|errors[metric]| <= chemical_accuracy``.  Sizes count the
    circuit's gates, two-qubit gates (CNOTs), parameterised rotations and ASAP depth;
    ``evaluations`` counts energy evaluations spent, ``wall_time`` seconds.  ``qasm`` is the circuit
    with its angles bound (OpenQASM 2); ``circuit`` is its :meth:`qnoise.Circuit.to_dict`;
    ``extra`` holds method-specific figures (iterations, episodes, the stop reason...)."""

    method: str
    problem: str
    noise: str
    seed: int
    metric: str
    e0: float | None
    energies: dict
    errors: dict
    accurate: bool
    chemical_accuracy: float
    num_gates: int
    num_cnots: int
    num_rotations: int
    depth: int
    evaluations: int
    wall_time: float
    qasm: str
    angles: list
    circuit: dict
    extra: dict = field(default_factory=dict)
    version: int = RECORD_VERSION

    def __post_init__(self):
        check_metric(self.metric)
        for name in ("energies", "errors"):
            got = getattr(self, name)
            if not isinstance(got, dict) or set(got) != set(METRICS):
                raise ValidationError(f"ResultRecord.{name} must map exactly {METRICS}; got {got!r}")

    @classmethod
    def from_circuit(
        cls,
        *,
        method: str,
        problem,
        noise: str,
        seed: int,
        metric: str,
        circuit,
        angles,
        noise_model=None,
        evaluations: int = 0,
        wall_time: float = 0.0,
        energies: dict | None = None,
        extra: dict | None = None,
    ) -> ResultRecord:
        """The record of ``circuit`` at ``angles`` on ``problem`` (a :class:`qnoise.problems.Problem`):
        energies by :func:`circuit_energies` under ``noise_model`` unless given, errors against the
        problem's ``e0`` (``None`` without one), sizes counted on the circuit."""
        from .qiskit_bridge import to_qasm  # Qiskit-free

        check_metric(metric)
        angles = [float(a) for a in angles]
        if energies is None:
            energies = circuit_energies(circuit, angles, problem.hamiltonian, noise_model)
        e0 = problem.e0
        errors = {m: (None if e0 is None or energies[m] is None else float(energies[m]) - e0) for m in METRICS}
        err = errors[metric]
        return cls(
            method=str(method),
            problem=problem.id,
            noise=str(noise),
            seed=int(seed),
            metric=metric,
            e0=e0,
            energies={m: (None if energies[m] is None else float(energies[m])) for m in METRICS},
            errors=errors,
            accurate=bool(err is not None and abs(err) <= problem.chemical_accuracy),
            chemical_accuracy=float(problem.chemical_accuracy),
            num_gates=len(circuit),
            num_cnots=int(circuit.num_two_qubit_gates),
            num_rotations=int(circuit.num_rotations),
            depth=int(circuit.depth()),
            evaluations=int(evaluations),
            wall_time=float(wall_time),
            qasm=to_qasm(circuit, angles),
            angles=angles,
            circuit=circuit.to_dict(),
            extra=dict(extra or {}),
        )

    @property
    def error(self) -> float | None:
        """The error by the record's own metric."""
        return self.errors[self.metric]

    def to_dict(self) -> dict:
        """JSON-ready fields (plain Python types)."""
        from .fileio import plain_data

        return plain_data(asdict(self))

    def row(self) -> dict:
        """One flat table row: the scalar fields and ``error_<metric>``/``energy_<metric>`` columns
        (no circuit, QASM or angles)."""
        skip = ("energies", "errors", "qasm", "angles", "circuit", "extra")
        out = {k: v for k, v in self.to_dict().items() if k not in skip}
        for m in METRICS:
            out[f"energy_{m}"] = self.energies[m]
            out[f"error_{m}"] = self.errors[m]
        return out

    @classmethod
    def from_dict(cls, data: dict, source: str = "record") -> ResultRecord:
        """The record of :meth:`to_dict`'s output; :class:`InputFileError` naming ``source`` and the
        missing or unknown keys otherwise."""
        if not isinstance(data, dict):
            raise InputFileError(f"{source}: a result record must be a JSON object; got {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.name not in ("extra", "version")}
        missing, unknown = sorted(required - set(data)), sorted(set(data) - names)
        if missing or unknown:
            raise InputFileError(f"{source}: not a result record (missing keys {missing}, unknown keys {unknown})")
        try:
            return cls(**data)
        except ValidationError as exc:
            raise InputFileError(f"{source}: {exc}") from None

    def write_json(self, path) -> Path:
        """Write the record to ``path`` atomically; returns the path."""
        from .fileio import atomic_write_json

        path = Path(path)
        atomic_write_json(path, self.to_dict())
        return path

    @classmethod
    def read_json(cls, path) -> ResultRecord:
        """The record written by :meth:`write_json` (clear errors for missing or malformed files)."""
        from .fileio import read_json_object

        return cls.from_dict(read_json_object(path), source=str(path))


def best_record(records, metric: str | None = None) -> ResultRecord:
    """The record with the lowest ``|error|`` by ``metric`` (default: each record's own), ties broken
    by fewer CNOTs, then fewer gates; records without that error come last."""
    records = list(records)
    if not records:
        raise ValidationError("best_record needs at least one record")

    def key(r: ResultRecord):
        err = r.errors[metric or r.metric]
        return (err is None, math.inf if err is None else abs(err), r.num_cnots, r.num_gates)

    return min(records, key=key)
