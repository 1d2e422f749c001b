"""The common optimizer interface: :class:`Optimizer`, :class:`OptimizeResult`, :class:`Objective`.

Every optimizer is used the same way::

    result = get_optimizer("adam-spsa", preset="lih-4q").minimize(fun, x0, budget=1000, seed=7)

``fun`` is either a plain callable ``f(x) -> float`` or an :class:`~qnoise.optimizers.energy.
EnergyFunction` (a simulator's energy, optionally with Gaussian shot noise, batched evaluation and
exact gradients).  ``seed`` is an int, ``None`` or a NumPy ``Generator``; all randomness of a run
(perturbations and shot noise) comes from that generator, so an int seed reproduces a run and a
shared ``Generator`` passed to successive calls gives fresh perturbations each call.

The :class:`Objective` wrapper enforces ``budget`` itself (several scipy methods overrun their own
caps): every evaluation is counted, including calibration, blocking and gradient evaluations (an
exact gradient costs ``2 * num_params`` evaluations, what the parameter-shift rule costs on
hardware), and a call that would go past the budget raises the internal :class:`BudgetExhausted`
instead of evaluating.  The wrapper also keeps the best point evaluated (per *stage*, see
:meth:`Objective.new_stage`) and the per-iteration history.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import ValidationError
from ..measurement import as_generator


class BudgetExhausted(Exception):
    """Internal: the evaluation budget is spent (caught by :meth:`Optimizer.minimize`)."""


class StopRequested(Exception):
    """Internal: the callback asked to stop (caught by :meth:`Optimizer.minimize`)."""


@dataclass(frozen=True)
class IterationInfo:
    """What a callback receives after each iteration; return ``True`` from it to stop."""

    nit: int
    nfev: int
    x: np.ndarray
    fun: float
    best_fun: float


@dataclass
class OptimizeResult:
    """Outcome of :meth:`Optimizer.minimize`.

    ``x``/``fun``: the best point evaluated and its (possibly shot-noisy) value (for ``spsa3``: the
    best of the final stage, see :mod:`qnoise.optimizers.adam_spsa`); ``nfev``: every evaluation
    used; ``nit``: iterations; ``history``/``history_nfev``: the optimizer's objective value at each
    iteration and the evaluations used by then; ``x_last``: the last iterate.
    """

    x: np.ndarray
    fun: float
    nfev: int
    nit: int
    history: np.ndarray
    history_nfev: np.ndarray
    message: str
    budget: int
    x_last: np.ndarray | None = None
    time_s: float = 0.0
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "x": self.x.tolist(),
            "fun": self.fun,
            "nfev": self.nfev,
            "nit": self.nit,
            "message": self.message,
            "budget": self.budget,
            "time_s": self.time_s,
            "x_last": None if self.x_last is None else self.x_last.tolist(),
            "history": self.history.tolist(),
            "history_nfev": self.history_nfev.tolist(),
            "info": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.info.items()},
        }


def check_budget(budget) -> int:
    if isinstance(budget, (bool, np.bool_)) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValidationError(f"budget must be a positive integer number of evaluations; got {budget!r}")
    return int(budget)


def check_x0(x0) -> np.ndarray:
    try:
        x = np.array(x0, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValidationError(f"x0 must be a vector of numbers; got {x0!r}") from None
    if x.size == 0:
        raise ValidationError("x0 must have at least one parameter")
    if not np.all(np.isfinite(x)):
        raise ValidationError("x0 must be finite")
    return x


def is_energy_function(fun) -> bool:
    return hasattr(fun, "evaluate") and hasattr(fun, "sigma") and hasattr(fun, "num_params")


class Objective:
    """Budget-enforcing, counting wrapper around ``fun`` used by the optimizers.

    ``shots`` (for an :class:`EnergyFunction`) selects the shot budget of evaluations; optimizers
    with stages change it.  ``rng`` draws the shot noise.
    """

    def __init__(self, fun, budget: int, num_params: int, rng: np.random.Generator, callback: Callable | None = None):
        self.fun, self.budget, self.num_params, self.rng = fun, budget, num_params, rng
        self.energy = is_energy_function(fun)
        if self.energy and fun.num_params != num_params:
            raise ValidationError(f"x0 has {num_params} parameters but the objective takes {fun.num_params}")
        if not self.energy and not callable(fun):
            raise ValidationError(f"the objective must be callable; got {type(fun).__name__}")
        self.shots = fun.shots if self.energy else None
        self.callback = callback
        self.nfev = 0
        self.nit = 0
        self.history: list[float] = []
        self.history_nfev: list[int] = []
        self.best_x: np.ndarray | None = None
        self.best_fun = math.inf
        self.stage_bests: list[tuple[np.ndarray | None, float]] = []

    # ------------------------------------------------------------------ budget
    @property
    def remaining(self) -> int:
        return self.budget - self.nfev

    @property
    def gradient_cost(self) -> int:
        """Evaluations charged for one gradient (parameter-shift equivalent)."""
        return 2 * self.num_params

    @property
    def has_gradient(self) -> bool:
        return self.energy

    def _charge(self, k: int) -> None:
        if k > self.remaining:
            raise BudgetExhausted
        self.nfev += k

    # ------------------------------------------------------------------ evaluations
    def _track(self, X: np.ndarray, values: np.ndarray) -> None:
        i = int(np.argmin(values))
        if values[i] < self.best_fun:
            self.best_fun, self.best_x = float(values[i]), X[i].copy()

    def batch(self, X) -> np.ndarray:
        """Values at the rows of ``X`` (one batched simulator call); charges ``len(X)``."""
        X = np.ascontiguousarray(X, dtype=np.float64).reshape(-1, self.num_params)
        self._charge(X.shape[0])
        if self.energy:
            values = np.asarray(self.fun.evaluate(X, self.shots, self.rng), dtype=np.float64)
        else:
            values = np.array([float(self.fun(x)) for x in X])
        if not np.all(np.isfinite(values)):
            raise ValidationError("the objective returned a non-finite value")
        self._track(X, values)
        return values

    def __call__(self, x) -> float:
        return float(self.batch(np.asarray(x, dtype=np.float64)[None, :])[0])

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        """Value and exact gradient; charges ``1 + 2 * num_params`` evaluations."""
        if not self.energy:
            raise ValidationError(
                "this optimizer needs gradients: pass a qnoise EnergyFunction "
                "(e.g. from run_vqe) rather than a plain callable"
            )
        x = np.array(x, dtype=np.float64)
        self._charge(1 + self.gradient_cost)
        f, g = self.fun.evaluate_with_gradient(x, self.shots, self.rng)
        self._track(x[None, :], np.array([f]))
        return float(f), np.asarray(g, dtype=np.float64)

    # ------------------------------------------------------------------ bookkeeping
    def record(self, x, fun: float) -> None:
        """End of an iteration: append to the history and call the callback."""
        self.nit += 1
        self.history.append(float(fun))
        self.history_nfev.append(self.nfev)
        if self.callback is not None:
            info = IterationInfo(self.nit, self.nfev, np.array(x, dtype=float), float(fun), self.best_fun)
            if self.callback(info):
                raise StopRequested

    def extend_history(self, values, nfevs) -> None:
        """Record many iterations at once (runs without a callback; with one, see :meth:`record`)."""
        assert self.callback is None
        self.nit += len(values)
        self.history.extend(float(f) for f in values)
        self.history_nfev.extend(int(e) for e in nfevs)

    def new_stage(self, shots) -> None:
        """Start a stage evaluated with ``shots``: the best point is tracked afresh (values from
        different shot budgets are never compared); earlier stages' bests stay in ``stage_bests``."""
        if self.best_x is not None:
            self.stage_bests.append((self.best_x, self.best_fun))
        self.best_x, self.best_fun = None, math.inf
        self.shots = shots

    def add_evaluated(self, X: np.ndarray, values: np.ndarray) -> None:
        """Account for the values at the rows of ``X`` computed outside (a compiled loop) as
        :meth:`batch` accounts for its own: charges ``len(X)`` and tracks the best."""
        self._charge(X.shape[0])
        self._track(X, values)

    def add_external(self, nfev: int, best_x, best_fun: float) -> None:
        """Account for evaluations made outside Python (a compiled loop)."""
        if nfev > self.remaining:  # pragma: no cover - kernels are given the remaining budget
            raise RuntimeError("a compiled loop overran the evaluation budget")
        self.nfev += int(nfev)
        if best_x is not None and best_fun < self.best_fun:
            self.best_fun, self.best_x = float(best_fun), np.array(best_x, dtype=float)


class Optimizer:
    """Base class: subclasses implement ``_run(obj, x0, rng) -> (x_last, message)``."""

    name = ""

    def minimize(self, fun, x0, budget: int, seed=None, callback: Callable | None = None) -> OptimizeResult:
        x0 = check_x0(x0)
        budget = check_budget(budget)
        rng = as_generator(seed)
        obj = Objective(fun, budget, x0.size, rng, callback)
        t0 = time.perf_counter()
        x_last, self._x_last, self._info = None, None, {}
        try:
            x_last, message = self._run(obj, x0.copy(), rng)
        except BudgetExhausted:
            message = "evaluation budget reached"
        except StopRequested:
            message = "stopped by the callback"
        x_last = self._x_last if x_last is None else x_last
        if obj.best_x is None and obj.stage_bests:
            obj.best_x, obj.best_fun = obj.stage_bests.pop()
        if obj.best_x is None:  # nothing fitted in the budget: evaluate x0 if possible
            obj.best_x, obj.best_fun = x0, (obj(x0) if obj.remaining > 0 else math.nan)
        return OptimizeResult(
            x=obj.best_x,
            fun=obj.best_fun,
            nfev=obj.nfev,
            nit=obj.nit,
            history=np.array(obj.history, dtype=float),
            history_nfev=np.array(obj.history_nfev, dtype=np.int64),
            message=message,
            budget=budget,
            x_last=None if x_last is None else np.asarray(x_last, dtype=float),
            time_s=time.perf_counter() - t0,
            info=dict(self._info),
        )

    def _run(self, obj: Objective, x0: np.ndarray, rng: np.random.Generator):  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in getattr(self, "options", {}).items())
        return f"{type(self).__name__}({opts})"
