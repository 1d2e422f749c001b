"""Rotosolve (Ostaszewski, Grant, Benedetti 2021): closed-form minimisation one angle at a time.

With the other angles fixed, the energy of a circuit whose parameter ``d`` drives one rotation
``exp(-i theta P / 2)`` is ``f(theta) = C + R cos(theta - phi)`` -- also under parameter-independent
noise, since a noisy rotation's transfer matrix is quadratic in ``(cos, sin)(theta/2)``.  From
``f(theta0)`` and ``f(theta0 +- pi/2)`` (one batched call for the two shifts)::

    C = (f(+) + f(-)) / 2,   R cos(theta0 - phi) = f(theta0) - C,   R sin(theta0 - phi) = (f(-) - f(+)) / 2
    theta* = phi + pi,       f(theta*) = C - R

and ``f(theta*)`` becomes the next coordinate's ``f(theta0)`` without a new evaluation (exact for
exact energies; an estimate under shot noise).  A parameter shared by several rotations is not a
single sinusoid; there the update is a heuristic.  Each sweep over the parameters costs
``2 * num_params`` evaluations; one evaluation is kept for the final iterate, which is then among the
points evaluated (the answer is the best point evaluated).

Coordinate-wise minimisation stops at any point that is a minimum along every single angle, saddles
included (a product state after a CNOT is often one; SPSA's simultaneous steps leave them).  With
``kick > 0`` a converged descent that leaves budget for another sweep restarts from the best point
evaluated plus Gaussian noise of standard deviation ``kick`` on every angle (randomness from the
run's generator), until the budget is spent; the answer is still the best point evaluated, so a kick
that leads nowhere costs evaluations, not energy.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError
from .base import Objective, Optimizer


class Rotosolve(Optimizer):
    """Sweeps until the budget is spent or a sweep improves the estimate by less than ``tol``; with
    ``kick > 0``, restarts from the best point plus ``N(0, kick^2)`` angle noise until the budget is spent."""

    name = "rotosolve"

    def __init__(self, tol: float = 1e-12, kick: float = 0.0):
        for label, v in (("tol", tol), ("kick", kick)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValidationError(f"{label} must be a non-negative number; got {v!r}")
        self.tol, self.kick = float(tol), float(kick)
        self.options = dict(tol=tol, kick=kick)

    def _run(self, obj: Objective, x: np.ndarray, rng):
        x, message = self._descend(obj, x)
        while self.kick > 0 and obj.remaining >= 2 * x.size + 2:
            x, _ = self._descend(obj, obj.best_x + rng.normal(0.0, self.kick, x.size))
            message = f"kicks until the budget was spent (kick={self.kick:g})"
        return x, message

    def _descend(self, obj: Objective, x: np.ndarray):
        f0 = obj(x)
        self._x_last = x
        message = "evaluation budget reached"
        while True:
            f_start = f0
            for d in range(x.size):
                if obj.remaining < 3:
                    break
                pts = np.repeat(x[None, :], 2, axis=0)
                pts[0, d] += math.pi / 2
                pts[1, d] -= math.pi / 2
                fp, fm = obj.batch(pts)
                c = 0.5 * (fp + fm)
                rc, rs = f0 - c, 0.5 * (fm - fp)
                x = x.copy()
                x[d] = _wrap(x[d] - math.atan2(rs, rc) + math.pi)
                f0 = c - math.hypot(rc, rs)
                self._x_last = x
            else:
                obj.record(x, f0)
                if f_start - f0 < self.tol:
                    message = f"a sweep improved the energy by less than tol={self.tol:g}"
                    break
                continue
            break
        if obj.remaining >= 1:
            obj(x)
        return x, message


def _wrap(theta: float) -> float:
    """Angle in [-pi, pi)."""
    return (theta + math.pi) % (2 * math.pi) - math.pi
