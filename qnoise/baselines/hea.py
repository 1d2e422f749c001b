"""Layered hardware-efficient ansatze (:mod:`qnoise.ansatz`) as a baseline.

Every ansatz ``hea:LAYERS:ROTATIONS:ENTANGLER`` with ``LAYERS`` in ``1..layers``, ``ROTATIONS`` one of
``rotations`` (default: every non-empty subset of rx, ry, rz, in that order: ``rx``, ``ry``, ``rz``,
``rx,ry``, ``rx,rz``, ``ry,rz``, ``rx,ry,rz``) and ``ENTANGLER`` one of ``entanglers`` (default:
every entangler of :data:`qnoise.ansatz.ENTANGLERS`), fewest layers first; an ansatz whose circuit
equals one already tried (on 2 qubits the linear, circular and full CNOT entanglers coincide) is
skipped.  Each is optimised by the same inner optimiser with the same per-ansatz budget
(:mod:`.common`; small random initial angles from the run's seed); the result is the one with
the lowest error by the chosen metric (fewer CNOTs, then fewer gates, breaking ties), with the
whole table in ``extra["candidates"]``.  ``budget`` caps the evaluations of the whole sweep: the
sweep stops when it is spent (the last ansatz gets what is left).
"""

from __future__ import annotations

import time
from itertools import combinations

from ..ansatz import ENTANGLERS, ROTATIONS, hardware_efficient
from ..errors import ValidationError
from .common import start
from .progress import Progress

DEFAULT_LAYERS = 3
ROTATION_SETS = tuple(",".join(c) for k in (1, 2, 3) for c in combinations(ROTATIONS, k))
"""The default rotation choices: every non-empty subset of rx, ry, rz."""


def hea_specs(num_qubits: int, layers: int = DEFAULT_LAYERS, rotations=None, entanglers=None) -> list:
    """``[(spec, circuit), ...]`` of the sweep (module docstring), duplicates removed."""
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise ValidationError(f"layers must be a positive integer; got {layers!r}")
    rotations = _choices(rotations, ROTATION_SETS, "rotations")
    entanglers = _choices(entanglers, ENTANGLERS, "entanglers")
    out, seen = [], []
    for k in range(1, layers + 1):
        for rot in rotations:
            for ent in entanglers:
                circuit = hardware_efficient(num_qubits, k, rot, ent)  # validates rot and ent
                if any(circuit == c for c in seen):
                    continue
                seen.append(circuit)
                out.append((f"{k}:{rot}:{ent}", circuit))
    return out


def _choices(given, default, what: str) -> tuple[str, ...]:
    if given is None:
        return tuple(default)
    if isinstance(given, str):
        given = [given]
    try:
        values = tuple(str(g).strip().lower().replace(" ", "") for g in given)
    except TypeError:
        raise ValidationError(f"{what} must be a list of names; got {given!r}") from None
    if not values:
        raise ValidationError(f"{what} must not be empty; allowed: {', '.join(default)}")
    return values


def run_hea(
    problem,
    noise="none",
    *,
    seed: int = 0,
    metric: str = "noiseless",
    budget: int | None = None,
    progress=None,
    layers: int = DEFAULT_LAYERS,
    rotations=None,
    entanglers=None,
    **inner,
):
    """The layered hardware-efficient sweep on ``problem`` under ``noise`` (module docstring);
    returns the best :class:`~qnoise.results.ResultRecord`, method ``"hea:<spec>"``; ``inner``:
    the inner optimiser's options (:data:`.common.INNER_OPTIONS`)."""
    from ..results import best_record

    run = start(problem, noise, seed=seed, metric=metric, budget=budget, **inner)
    spent = run.budget
    specs = hea_specs(run.problem.num_qubits, layers, rotations, entanglers)
    report = Progress(progress, "hea", len(specs))
    records, table = [], []
    try:
        for spec, circuit in specs:
            if not spent.affords(1):
                break
            t1 = time.perf_counter()
            angles, energies, nfev = run.inner.optimize(run.problem, circuit, run.model, None, spent, run.rng)
            rec = run.record(f"hea:{spec}", circuit, angles, energies, nfev, time.perf_counter() - t1)
            records.append(rec)
            table.append(
                {"spec": spec, "errors": rec.errors, "num_cnots": rec.num_cnots, "num_gates": rec.num_gates}
                | {"depth": rec.depth, "evaluations": nfev}
            )
            best = best_record(records)
            report.update(len(records), spec=spec, best=best.method[4:], error=best.error, evals=spent.spent)
    finally:
        report.close()
    if not records:
        raise ValidationError(f"budget {budget} is too small for one ansatz")
    best = best_record(records)
    extra = {
        "spec": best.method[4:],
        "layers": layers,
        "tried": len(records),
        "planned": len(specs),
        "candidates": table,
        "budget": spent.total,
        **run.inner.describe(),
    }
    from dataclasses import replace

    return replace(best, evaluations=spent.spent, wall_time=time.perf_counter() - run.t0, extra=extra)


__all__ = ["DEFAULT_LAYERS", "ROTATION_SETS", "hea_specs", "run_hea"]
