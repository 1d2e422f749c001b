"""Classical optimizers for (noisy) VQE, all behind one interface.

``get_optimizer(name, **options).minimize(fun, x0, budget, seed=None, callback=None)`` returns an
:class:`OptimizeResult` (``x``, ``fun``, ``nfev``, ``nit``, ``history``, ``message``, ...).  The
budget counts every evaluation and is enforced here (:class:`~qnoise.optimizers.base.Objective`).
``fun`` is a callable or an :class:`EnergyFunction` (batched, exact gradients, Gaussian shot noise,
compiled Adam-SPSA loops).  See :mod:`qnoise.optimizers.registry` for the names.
"""

from __future__ import annotations

from ..lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "get_optimizer": "registry",
        "list_optimizers": "registry",
        "DESCRIPTIONS": "registry",
        "OptimizeResult": "base",
        "Optimizer": "base",
        "Objective": "base",
        "IterationInfo": "base",
        "EnergyFunction": "energy",
        "SPSA": "spsa",
        "AdamSPSA": "adam_spsa",
        "SPSA3": "adam_spsa",
        "PRESETS": "adam_spsa",
        "ScipyOptimizer": "scipy_methods",
        "Rotosolve": "rotosolve",
        "AQGD": "aqgd",
    },
)
