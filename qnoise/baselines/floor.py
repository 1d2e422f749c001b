"""The noise floor of a problem under a noise model: the lowest exact noisy energy the baselines
find, next to E0.

A circuit's noisy energy under gate and readout noise cannot reach E0: noise mixes the state, and
readout errors bias every measured term.  When the lowest noisy energy any method finds is still
above ``E0 + chemical accuracy``, "not chemically accurate (noisy)" says more about the noise than
about the method.  :func:`noise_floor` takes result records (any methods, the agent's included)
of one problem and noise model and reports, for the ``noisy`` and ``mitigated`` metrics, the lowest
energy among them, its error against E0 and the method that found it.  :func:`find_noise_floor`
runs the baselines for it (:data:`FLOOR_METHODS`, each with ``metric="noisy"``, so each returns its
circuit of lowest noisy energy); the mitigated floor is then the lowest readout-mitigated energy of
those circuits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ValidationError

FLOOR_METHODS = ("adapt:odd-y4", "adapt:minimal-sym", "hea")
"""The methods :func:`find_noise_floor` runs by default."""

FLOOR_METRICS = ("noisy", "mitigated")


@dataclass(frozen=True)
class NoiseFloor:
    """``energies``/``errors``/``methods`` map ``"noisy"`` and ``"mitigated"`` to the lowest energy
    of the records, its error against ``e0`` and the record's method (``None`` where no record
    has that energy)."""

    problem: str
    noise: str
    e0: float | None
    chemical_accuracy: float
    energies: dict
    errors: dict
    methods: dict
    records: list = field(default_factory=list, repr=False)

    @property
    def accurate_possible(self) -> bool | None:
        """Whether some record's noisy energy is chemically accurate (``None`` without E0)."""
        err = self.errors.get("noisy")
        return None if err is None else err <= self.chemical_accuracy

    def to_dict(self) -> dict:
        return {
            "problem": self.problem,
            "noise": self.noise,
            "e0": self.e0,
            "chemical_accuracy": self.chemical_accuracy,
            "energies": dict(self.energies),
            "errors": dict(self.errors),
            "methods": dict(self.methods),
            "accurate_possible": self.accurate_possible,
            "records": [r.row() for r in self.records],
        }

    def write_json(self, path):
        """Write :meth:`to_dict` to ``path`` atomically; returns the path."""
        from ..fileio import atomic_write_json

        atomic_write_json(path, self.to_dict())
        return path

    def summary(self) -> str:
        lines = [
            f"noise floor of {self.problem} under {self.noise}"
            + (f"  (E0 = {self.e0:.10f})" if self.e0 is not None else "")
        ]
        for m in FLOOR_METRICS:
            e = self.energies[m]
            if e is None:
                lines.append(f"  {m:9s}  (none)")
                continue
            err = "" if self.errors[m] is None else f"  error {self.errors[m]:+.3e}"
            lines.append(f"  {m:9s}  {e:.10f}{err}  ({self.methods[m]})")
        for r in self.records:
            errs = "  ".join(f"{m} {r.errors[m]:+.3e}" for m in FLOOR_METRICS if r.errors[m] is not None)
            lines.append(f"  {r.method:28s} {errs}  cnots {r.num_cnots}  evals {r.evaluations}")
        return "\n".join(lines)


def noise_floor(records) -> NoiseFloor:
    """The floor of ``records`` (:class:`~qnoise.results.ResultRecord` of one problem and noise)."""
    records = list(records)
    if not records:
        raise ValidationError("noise_floor needs at least one result record")
    keys = {(r.problem, r.noise) for r in records}
    if len(keys) > 1:
        raise ValidationError(f"noise_floor takes records of one problem and noise model; got {sorted(keys)}")
    energies, errors, methods = {}, {}, {}
    for m in FLOOR_METRICS:
        have = [r for r in records if r.energies[m] is not None]
        best = min(have, key=lambda r: r.energies[m]) if have else None
        energies[m] = None if best is None else best.energies[m]
        errors[m] = None if best is None else best.errors[m]
        methods[m] = None if best is None else best.method
    first = records[0]
    return NoiseFloor(first.problem, first.noise, first.e0, first.chemical_accuracy, energies, errors, methods, records)


def find_noise_floor(
    problem, noise="none", *, seed: int = 0, budget: int | None = None, methods=FLOOR_METHODS, progress=None, **options
) -> NoiseFloor:
    """Run ``methods`` (names of :func:`~.run.run_baseline`, default :data:`FLOOR_METHODS`) with
    ``metric="noisy"`` on ``problem`` under ``noise`` and return their :func:`noise_floor`.
    ``budget`` caps each method's evaluations; ``options`` go to every method that takes them
    (``layers`` only to ``hea``, the inner optimiser's to all)."""
    from .run import OPTIONS, run_baseline, split_method

    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    if not methods:
        raise ValidationError("find_noise_floor needs at least one method")
    known = set().union(*OPTIONS.values())
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValidationError(f"no baseline takes option(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
    records = []
    for method in methods:
        taken = {k: v for k, v in options.items() if k in OPTIONS[split_method(method)[0]]}
        records.append(
            run_baseline(method, problem, noise, seed=seed, metric="noisy", budget=budget, progress=progress, **taken)
        )
    return noise_floor(records)


__all__ = ["FLOOR_METHODS", "NoiseFloor", "find_noise_floor", "noise_floor"]
