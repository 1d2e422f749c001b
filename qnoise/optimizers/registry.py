"""Optimizers by name: :func:`get_optimizer` and :func:`list_optimizers`.

>>> from crlqas.qnoise.optimizers import get_optimizer
>>> get_optimizer("adam-spsa", preset="lih-4q").hyper["a"]
1.8658

Names: ``spsa``, ``adam-spsa``, ``spsa3``, ``cobyla``, ``cobyqa``, ``nelder-mead``, ``powell``,
``l-bfgs-b``, ``bfgs``, ``rotosolve``, ``aqgd`` (case and ``_``/``-`` insensitive).  Keyword options
go to the optimizer's constructor; the paper's tuned Adam-SPSA settings are named presets
(``preset="lih-4q" | "lih-6q" | "h2-2q" | "h2-3q"``, see :data:`~qnoise.optimizers.adam_spsa.PRESETS`).
"""

from __future__ import annotations

import difflib
import inspect

from ..errors import ValidationError

DESCRIPTIONS = {
    "spsa": "Spall's SPSA (calibrated gain, resamplings, blocking)",
    "adam-spsa": "Adam-SPSA of the CRLQAS paper (presets lih-4q, lih-6q, h2-2q, h2-3q)",
    "spsa3": "three-stage Adam-SPSA: shots N/100, N/10, N; evaluations split 10:3:1",
    "cobyla": "scipy COBYLA (linear models, derivative-free)",
    "cobyqa": "scipy COBYQA (quadratic models, derivative-free)",
    "nelder-mead": "scipy Nelder-Mead simplex",
    "powell": "scipy Powell (conjugate directions)",
    "l-bfgs-b": "scipy L-BFGS-B with exact simulator gradients",
    "bfgs": "scipy BFGS with exact simulator gradients",
    "rotosolve": "closed-form sinusoid minimisation, one angle at a time (kick: random restarts)",
    "aqgd": "analytic (parameter-shift) gradient descent with momentum (Qiskit's AQGD)",
}

#: evaluation budget used when none is given (``run_vqe``, ``crlqas vqe``): the SPSA family gets the
#: paper's per-step Adam-SPSA budget for LiH-6q (1000) and SPSA3 its LiH-4q total (1191 + 357 + 119);
#: derivative-free local methods the env's LiH-4q COBYLA step (500, 1000 for the slower simplex and
#: Powell); gradient methods 200 (each evaluation also pays an exact gradient).
DEFAULT_BUDGETS = {
    "spsa": 1000,
    "adam-spsa": 1000,
    "spsa3": 1667,
    "cobyla": 500,
    "cobyqa": 500,
    "nelder-mead": 1000,
    "powell": 1000,
    "l-bfgs-b": 200,
    "bfgs": 200,
    "rotosolve": 500,
    "aqgd": 500,
}


def default_budget(name: str) -> int:
    """The evaluation budget of optimizer ``name`` when the caller gives none."""
    return DEFAULT_BUDGETS[_check_name(name)]


def list_optimizers() -> list[str]:
    return list(DESCRIPTIONS)


def _normalise(name) -> str:
    if not isinstance(name, str):
        raise ValidationError(f"an optimizer name must be a string; got {type(name).__name__}")
    return name.strip().lower().replace("_", "-").replace("lbfgsb", "l-bfgs-b")


def _check_name(name) -> str:
    key = _normalise(name)
    if key not in DESCRIPTIONS:
        close = difflib.get_close_matches(key, list(DESCRIPTIONS), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValidationError(f"unknown optimizer {name!r}{hint} (known: {', '.join(DESCRIPTIONS)})")
    return key


def _factory(name: str):
    from . import adam_spsa, aqgd, rotosolve, scipy_methods, spsa

    table = {
        "spsa": spsa.SPSA,
        "adam-spsa": adam_spsa.AdamSPSA,
        "spsa3": adam_spsa.SPSA3,
        "rotosolve": rotosolve.Rotosolve,
        "aqgd": aqgd.AQGD,
    }
    if name in table:
        return table[name], table[name]
    cls = scipy_methods.ScipyOptimizer

    def make(**options):
        return cls(name, **options)

    return make, cls


def get_optimizer(name: str, **options):
    """The optimizer ``name`` configured with ``options`` (errors list the allowed names/options)."""
    key = _check_name(name)
    make, cls = _factory(key)
    if cls.__name__ != "ScipyOptimizer":
        allowed = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
        if cls.__name__ == "SPSA3":
            allowed += [
                p
                for p in inspect.signature(cls.__mro__[1].__init__).parameters
                if p not in ("self", "kwargs", *allowed)
            ]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ValidationError(
                f"optimizer {key!r} has no option(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
    return make(**options)
