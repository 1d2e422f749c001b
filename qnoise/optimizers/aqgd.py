"""AQGD: analytic quantum gradient descent with momentum, as Qiskit's ``AQGD`` had it.

Each iteration evaluates ``x`` and the ``2 * num_params`` parameter-shift points ``x +- pi/2 e_i`` in
one batched call (``2 p + 1`` evaluations), takes the gradient ``(f(x + pi/2 e_i) - f(x - pi/2
e_i)) / 2`` (exact for parameters that drive one rotation each, also under parameter-independent
noise) and moves with momentum::

    m = (1 - momentum) * g + momentum * m;   x = x - eta * m

Convergence as Qiskit: the change of the moving average (window ``averaging``) of the objective
values is below ``tol``, or the parameters moved less than ``param_tol`` (infinity norm).  Qiskit
compared the parameters with the *initial* point only (its ``_prev_param`` was never updated);
here they are compared with the previous iterate.  Epoch lists (several eta/momentum phases) are not
supported.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError
from .base import Objective, Optimizer


class AQGD(Optimizer):
    name = "aqgd"

    def __init__(
        self, eta: float = 1.0, momentum: float = 0.25, tol: float = 1e-6, param_tol: float = 1e-6, averaging: int = 10
    ):
        if not (isinstance(eta, (int, float)) and eta > 0 and math.isfinite(eta)):
            raise ValidationError(f"eta must be a positive number; got {eta!r}")
        if not (isinstance(momentum, (int, float)) and 0 <= momentum < 1):
            raise ValidationError(f"momentum must be in [0, 1); got {momentum!r}")
        for name, v in (("tol", tol), ("param_tol", param_tol)):
            if not (isinstance(v, (int, float)) and v >= 0):
                raise ValidationError(f"{name} must be a non-negative number; got {v!r}")
        if isinstance(averaging, bool) or not isinstance(averaging, int) or averaging < 1:
            raise ValidationError(f"averaging must be a positive integer; got {averaging!r}")
        self.eta, self.momentum, self.tol, self.param_tol, self.averaging = (
            float(eta),
            float(momentum),
            float(tol),
            float(param_tol),
            averaging,
        )
        self.options = dict(eta=eta, momentum=momentum, tol=tol, param_tol=param_tol, averaging=averaging)

    def _run(self, obj: Objective, x: np.ndarray, rng):
        p = x.size
        shifts = np.concatenate([np.zeros((1, p)), np.eye(p) * (math.pi / 2), -np.eye(p) * (math.pi / 2)])
        mom = np.zeros(p)
        window: list[float] = []
        x_prev = None
        self._x_last = x
        while True:
            if x_prev is not None and np.max(np.abs(x - x_prev)) < self.param_tol:
                return x, f"parameters changed by less than param_tol={self.param_tol:g}"
            if obj.remaining < 2 * p + 1:
                return x, "evaluation budget reached"
            vals = obj.batch(x + shifts)
            f, grad = vals[0], 0.5 * (vals[1 : p + 1] - vals[p + 1 :])
            window.append(float(f))
            if len(window) > self.averaging:
                prev_avg = np.mean(window[: self.averaging])
                curr_avg = np.mean(window[1:])
                window.pop(0)
                if abs(prev_avg - curr_avg) < self.tol:
                    obj.record(x, f)
                    return x, f"windowed objective average changed by less than tol={self.tol:g}"
            mom = (1 - self.momentum) * grad + self.momentum * mom
            x_prev, x = x, x - self.eta * mom
            self._x_last = x
            obj.record(x, f)
