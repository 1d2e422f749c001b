"""Spall's SPSA with calibration, resamplings and blocking (Qiskit's semantics, explicit RNG).

Gains ``a_k = a / (A + k + 1)^alpha`` and ``c_k = c / (k + 1)^gamma`` (k = 0, 1, ...; Spall's
``alpha = 0.602``, ``gamma = 0.101``).  Each iteration draws ``resamplings`` Rademacher directions
``Delta`` and evaluates the ``2 * resamplings`` points ``x +- c_k Delta`` in **one** batched
simulator call; the gradient estimate is the mean of ``(f(x + c_k Delta) - f(x - c_k Delta)) /
(2 c_k) * Delta`` and ``x <- x - a_k g``.

* Calibration (``a=None``, the default): as ``qiskit_algorithms.SPSA.calibrate``, 25 random
  directions at ``x0`` give the mean first-step magnitude ``|f(x0 + c D) - f(x0 - c D)| / (2c)``
  and ``a = target_magnitude * (A + 1)^alpha / magnitude`` so the first step has length about
  ``target_magnitude`` (Qiskit omits the ``(A + 1)^alpha`` factor; identical for the default A = 0).
  The 50 calibration evaluations count against the budget.
* Blocking: ``f(x0)`` and ``f`` at each candidate are evaluated (1 + 1 per iteration); a step is
  rejected when ``f(x_next) >= f(x) + allowed_increase``.  ``allowed_increase=None`` uses twice the
  standard deviation of 25 evaluations at ``x0`` (25 more evaluations).
* Iterations run while the budget holds a whole iteration.  The per-iteration history value is
  ``f(x_next)`` with blocking, else the mean of the iteration's evaluations (Qiskit's estimate).

Unlike the published CRLQAS code, directions are drawn from the run's generator (``seed``), so a
fixed seed reproduces a run and successive runs with a shared generator differ.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError
from .base import Objective, Optimizer

CALIBRATION_STEPS = 25
STDDEV_EVALS = 25


def rademacher(rng: np.random.Generator, size) -> np.ndarray:
    """Independent +-1 entries (float64)."""
    return 1.0 - 2.0 * rng.integers(0, 2, size=size)


def _positive(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a positive number; got {value!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise ValidationError(f"{name} must be a positive number; got {value!r}")
    return v


def _nonnegative(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a non-negative number; got {value!r}") from None
    if not (v >= 0 and math.isfinite(v)):
        raise ValidationError(f"{name} must be a non-negative number; got {value!r}")
    return v


class SPSA(Optimizer):
    """Simultaneous-perturbation stochastic approximation (Spall 1998), see the module docstring."""

    name = "spsa"

    def __init__(
        self,
        a: float | None = None,
        c: float = 0.2,
        alpha: float = 0.602,
        gamma: float = 0.101,
        stability_constant: float = 0.0,
        target_magnitude: float = 2 * math.pi / 10,
        resamplings: int | dict = 1,
        blocking: bool = False,
        allowed_increase: float | None = None,
    ):
        self.options = {k: v for k, v in locals().items() if k != "self"}  # the arguments as given
        self.a = _positive("a", a, allow_none=True)
        self.c = _positive("c", c)
        self.alpha = _nonnegative("alpha", alpha)
        self.gamma = _nonnegative("gamma", gamma)
        self.stability_constant = _nonnegative("stability_constant", stability_constant)
        self.target_magnitude = _positive("target_magnitude", target_magnitude)
        if isinstance(resamplings, dict):
            bad = [r for r in resamplings.values() if not isinstance(r, (int, np.integer)) or r < 1]
            if bad:
                raise ValidationError(f"resamplings must be positive integers; got {bad}")
        elif isinstance(resamplings, bool) or not isinstance(resamplings, (int, np.integer)) or resamplings < 1:
            raise ValidationError(
                f"resamplings must be a positive integer or a dict {{iteration: count}}; got {resamplings!r}"
            )
        self.resamplings = resamplings
        self.blocking = bool(blocking)
        self.allowed_increase = None if allowed_increase is None else _nonnegative("allowed_increase", allowed_increase)

    def _samples(self, k: int) -> int:
        if isinstance(self.resamplings, dict):
            return int(self.resamplings.get(k, 1))
        return int(self.resamplings)

    def calibrate(self, obj: Objective, x0: np.ndarray, rng: np.random.Generator) -> float:
        """The gain ``a`` from ``CALIBRATION_STEPS`` direction pairs at ``x0`` (see module doc)."""
        deltas = np.array([rademacher(rng, x0.size) for _ in range(CALIBRATION_STEPS)])
        pts = np.empty((2 * CALIBRATION_STEPS, x0.size))
        pts[0::2] = x0 + self.c * deltas
        pts[1::2] = x0 - self.c * deltas
        vals = obj.batch(pts)
        magnitude = float(np.mean(np.abs((vals[0::2] - vals[1::2]) / (2 * self.c))))
        a = self.target_magnitude * (self.stability_constant + 1) ** self.alpha / magnitude if magnitude else 0.0
        return a if a >= 1e-10 else self.target_magnitude

    def _run(self, obj: Objective, x: np.ndarray, rng: np.random.Generator):
        a = self.a if self.a is not None else self.calibrate(obj, x, rng)
        self._info = {
            "a": a,
            "c": self.c,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "stability_constant": self.stability_constant,
        }
        fx = allowed = None
        if self.blocking:
            fx = obj(x)
            allowed = self.allowed_increase
            if allowed is None:
                allowed = 2.0 * float(np.std(obj.batch(np.repeat(x[None, :], STDDEV_EVALS, axis=0))))
            self._info["allowed_increase"] = allowed
        k = 0
        accepted = rejected = 0
        self._x_last = x
        while True:
            r = self._samples(k)
            if obj.remaining < 2 * r + self.blocking:
                return x, "evaluation budget reached"
            ck = self.c / (k + 1) ** self.gamma
            ak = a / (self.stability_constant + k + 1) ** self.alpha
            deltas = np.array([rademacher(rng, x.size) for _ in range(r)])
            pts = np.empty((2 * r, x.size))
            pts[0::2] = x + ck * deltas
            pts[1::2] = x - ck * deltas
            vals = obj.batch(pts)
            g = np.mean(((vals[0::2] - vals[1::2]) / (2 * ck))[:, None] * deltas, axis=0)
            x_next = x - ak * g
            k += 1
            if self.blocking:
                f_next = obj(x_next)
                if fx + allowed <= f_next:
                    rejected += 1
                    self._info.update(accepted=accepted, rejected=rejected)
                    obj.record(x, fx)
                    continue
                x, fx = x_next, f_next
                accepted += 1
                self._info.update(accepted=accepted, rejected=rejected)
                self._x_last = x
                obj.record(x, fx)
            else:
                x = x_next
                self._x_last = x
                obj.record(x, float(np.mean(vals)))
