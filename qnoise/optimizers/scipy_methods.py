"""COBYLA, COBYQA, Nelder-Mead, Powell, L-BFGS-B and BFGS through :func:`scipy.optimize.minimize`.

The evaluation budget is enforced by :class:`~qnoise.optimizers.base.Objective` (scipy's own caps
are set to the budget too, but several methods overrun them, e.g. Powell's line searches and
L-BFGS-B's), and the answer is the best point evaluated, which can be better than scipy's final
point when the budget cuts a run short.

L-BFGS-B and BFGS use the simulator's exact gradient (adjoint differentiation; one value+gradient
call is charged ``1 + 2 * num_params`` evaluations, what the parameter-shift rule would cost on
hardware).  Given a plain callable, they fall back to scipy's finite differences (each difference
counted as an evaluation).  Extra keyword options go to scipy's ``options`` (e.g. ``rhobeg`` for
COBYLA, ``xatol`` for Nelder-Mead), plus ``tol``.

Nelder-Mead starts from the simplex ``x0, x0 + initial_step * e_i`` (``initial_step=0.3`` rad;
scipy's default of 5 % of each coordinate is tiny for angles near zero and stalls); pass scipy's
``initial_simplex`` to override.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ValidationError
from .base import Objective, Optimizer

#: our name -> (scipy method, uses gradients, scipy options that cap evaluations/iterations)
METHODS = {
    "cobyla": ("COBYLA", False, ("maxiter",)),
    "cobyqa": ("COBYQA", False, ("maxfev", "maxiter")),
    "nelder-mead": ("Nelder-Mead", False, ("maxfev", "maxiter")),
    "powell": ("Powell", False, ("maxfev", "maxiter")),
    "l-bfgs-b": ("L-BFGS-B", True, ("maxfun", "maxiter")),
    "bfgs": ("BFGS", True, ("maxiter",)),
}


class ScipyOptimizer(Optimizer):
    """One of :data:`METHODS`; ``tol`` and ``**options`` are passed to scipy."""

    def __init__(self, method: str, tol: float | None = None, **options):
        self.initial_step = None
        if method == "nelder-mead":
            self.initial_step = options.pop("initial_step", 0.3)
            if not (isinstance(self.initial_step, (int, float)) and self.initial_step > 0):
                raise ValidationError(f"initial_step must be a positive number; got {self.initial_step!r}")
        elif "initial_step" in options:
            raise ValidationError("initial_step is an option of nelder-mead only")
        if method not in METHODS:
            raise ValidationError(f"unknown scipy method {method!r}; allowed: {', '.join(METHODS)}")
        self.name = method
        self.method, self.uses_gradient, self._caps = METHODS[method]
        for cap in self._caps:
            if cap in options:
                raise ValidationError(f"{cap!r} is set from the evaluation budget; pass budget= instead")
        if tol is not None and not (isinstance(tol, (int, float)) and tol > 0):
            raise ValidationError(f"tol must be a positive number; got {tol!r}")
        self.tol = tol
        self.scipy_options = dict(options)
        self.options = dict(tol=tol, **options)
        if self.initial_step is not None:
            self.options["initial_step"] = self.initial_step

    def _run(self, obj: Objective, x0: np.ndarray, rng):
        from scipy.optimize import minimize

        options = dict(self.scipy_options)
        for cap in self._caps:
            options[cap] = max(obj.budget, x0.size + 2)  # the Objective enforces the budget
        if self.initial_step is not None and "initial_simplex" not in options:
            options["initial_simplex"] = np.vstack([x0, x0 + self.initial_step * np.eye(x0.size)])
        jac = None
        fun = obj
        if self.uses_gradient and obj.has_gradient:
            fun, jac = obj.value_and_grad, True

        def callback(intermediate_result):
            self._x_last = np.array(intermediate_result.x, dtype=float)
            obj.record(intermediate_result.x, float(intermediate_result.fun))

        self._x_last = x0
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Unknown solver options", category=_optimize_warning())
            try:
                res = minimize(fun, x0, method=self.method, jac=jac, tol=self.tol, options=options, callback=callback)
            except _optimize_warning() as exc:
                raise ValidationError(f"{self.name}: {exc}") from None
        self._x_last = np.array(res.x, dtype=float)
        return self._x_last, str(res.message)


def _optimize_warning():
    from scipy.optimize import OptimizeWarning

    return OptimizeWarning
