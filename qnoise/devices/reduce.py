"""Reductions of a device calibration: uniform median/max/10max values and the "best" layout.

* :func:`reduce_calibration` collapses the device (or a layout of it) to one value per quantity,
  each reduced separately over its valid entries: T1, T2, readout ``P(1|0)`` and ``P(0|1)``, and
  for every gate its error and its duration.  ``"median"``; ``"max"``: the largest value of every
  column, T1 and T2 included (the CRLQAS paper's "max" model of IBM Mumbai; its published
  relaxation figures need the largest T1, so this is not a worst case for T1); ``"10max"``: "max"
  with every gate error and duration multiplied by 10, readout unchanged.  T2 is clipped to 2 T1
  afterwards (as Aer does).  Broken entries (gate error >= 1 or missing, readout >= 0.5, T1/T2
  missing or <= 0) are skipped.
* :func:`best_layout` picks ``k`` connected physical qubits of low error: grown greedily from every
  seed qubit, adding the neighbour with the smallest ``readout + 1q error + 2q error of the
  connecting edge``; the cheapest set wins (ties: more internal couplings, then lower indices).
  Broken qubits and edges are never used.  Logical qubit ``i`` is the ``i``-th qubit added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import QubitError, ValidationError
from .calibration import Calibration, is_broken_error, is_broken_readout, is_broken_time

REDUCTIONS = ("median", "max", "10max")


@dataclass(frozen=True)
class UniformValues:
    """One value per quantity (seconds; ``None`` where the device gives none)."""

    t1: float | None
    t2: float | None
    readout: tuple | None  # (p1_given0, p0_given1)
    gates: dict  # name -> (error, duration)
    reduce: str
    num_qubits: int  # qubits the values were reduced over


def check_reduce(reduce) -> str:
    if reduce not in REDUCTIONS:
        raise ValidationError(f"reduce must be one of {', '.join(REDUCTIONS)} (or None); got {reduce!r}")
    return reduce


def _stat(values, how: str):
    vals = [float(v) for v in values]
    if not vals:
        return None
    return float(np.median(vals)) if how == "median" else float(max(vals))


def reduce_calibration(cal: Calibration, reduce: str, qubits=None) -> UniformValues:
    """Uniform values of ``cal`` over ``qubits`` (default: every qubit) by ``reduce``."""
    check_reduce(reduce)
    qs = list(range(cal.num_qubits)) if qubits is None else list(qubits)
    inside = set(qs)
    how = "median" if reduce == "median" else "max"
    scale = 10.0 if reduce == "10max" else 1.0
    t1 = _stat([cal.t1[q] for q in qs if not is_broken_time(cal.t1[q])], how)
    t2 = _stat([cal.t2[q] for q in qs if not is_broken_time(cal.t2[q])], how)
    if t1 is not None and t2 is not None:
        t2 = min(t2, 2 * t1)
    ro = [cal.readout[q] for q in qs if not is_broken_readout(cal.readout[q])]
    readout = None if not ro else (_stat([r[0] for r in ro], how), _stat([r[1] for r in ro], how))
    gates = {}
    for name, entries in cal.gates.items():
        sel = [v for k, v in entries.items() if set(k) <= inside]
        errs = [e for e, _ in sel if not is_broken_error(e)]
        durs = [d for _, d in sel if d is not None and math.isfinite(d) and d >= 0]
        if not sel:
            continue
        err, dur = _stat(errs, how), _stat(durs, how)
        gates[name] = (None if err is None else err * scale, None if dur is None else dur * scale)
    return UniformValues(t1, t2, readout, gates, reduce, len(qs))


# ---------------------------------------------------------------------- layouts
def _qubit_costs(cal: Calibration) -> list[float]:
    g1 = cal.one_qubit_gate
    costs = []
    for q in range(cal.num_qubits):
        e1, _ = cal.gate_props(g1, (q,))
        ro = cal.readout[q]
        bad = is_broken_readout(ro) or is_broken_error(e1) or is_broken_time(cal.t1[q])
        costs.append(math.inf if bad else 0.5 * (ro[0] + ro[1]) + e1)
    return costs


def _edge_costs(cal: Calibration) -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    for a, b in cal.edges():
        e, _ = cal.gate_props(cal.two_qubit_gate, (a, b))
        if is_broken_error(e):
            continue
        key = (min(a, b), max(a, b))
        out[key] = min(out.get(key, math.inf), e)
    return out


def best_layout(cal: Calibration, k: int) -> tuple[int, ...]:
    """``k`` connected, low-error physical qubits (see the module docstring)."""
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= cal.num_qubits:
        raise QubitError(f"cannot pick {k!r} qubits on device {cal.name!r} ({cal.num_qubits} qubits)")
    qcost = _qubit_costs(cal)
    ecost = _edge_costs(cal)
    nbrs: dict[int, dict[int, float]] = {}
    for (a, b), c in ecost.items():
        nbrs.setdefault(a, {})[b] = c
        nbrs.setdefault(b, {})[a] = c
    best = None
    for seed in range(cal.num_qubits):
        if qcost[seed] == math.inf:
            continue
        grown = _grow(seed, k, qcost, nbrs)
        if grown is None:
            continue
        chosen, cost = grown
        internal = sum(1 for (a, b) in ecost if a in chosen and b in chosen)
        key = (round(cost, 15), -internal, sorted(chosen))
        if best is None or key < best[0]:
            best = (key, tuple(chosen))
    if best is None:  # no connected set: the k cheapest usable qubits
        order = sorted((c, q) for q, c in enumerate(qcost) if c < math.inf)
        if len(order) < k:
            raise QubitError(f"device {cal.name!r} has only {len(order)} usable qubits; asked for {k}")
        return tuple(q for _, q in order[:k])
    return best[1]


def _grow(seed: int, k: int, qcost, nbrs):
    chosen, cost = [seed], qcost[seed]
    while len(chosen) < k:
        cand = None
        for q in chosen:
            for r, ec in nbrs.get(q, {}).items():
                if r in chosen or qcost[r] == math.inf:
                    continue
                c = qcost[r] + ec
                if cand is None or (c, r) < cand:
                    cand = (c, r)
        if cand is None:
            return None
        chosen.append(cand[1])
        cost += cand[0]
    return chosen, cost
