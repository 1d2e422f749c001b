"""One front for the qnoise baselines: :func:`run_baseline`.

>>> from crlqas.qnoise.baselines import run_baseline
>>> r = run_baseline("adapt", "h2-2q", pool="odd-y4")     # noiseless qubit-ADAPT-VQE
>>> r.method, r.accurate
('adapt:odd-y4', True)

Methods (:data:`METHODS`): ``"adapt"`` (qubit-ADAPT-VQE, :mod:`.adapt`; ``"adapt:<pool>"`` is the
same with ``pool=<pool>``) and ``"hea"`` (layered hardware-efficient ansatze, :mod:`.hea`).
Random architecture search needs the QAS environment: ``crlqas.envs.random_search.random_search``.
Options each method takes are in :data:`OPTIONS`; anything else is a :class:`ValidationError`
naming the allowed ones.
"""

from __future__ import annotations

from ..errors import ValidationError
from .common import INNER_OPTIONS

METHODS = ("adapt", "hea")
"""The methods of :func:`run_baseline`."""

COMMON_OPTIONS = INNER_OPTIONS
"""The inner optimiser's options (:class:`.common.InnerOptimizer`), taken by every method."""

OPTIONS = {
    "adapt": ("pool", "reference", "max_operators", "grad_tol", "stop_at_accuracy", "patience", *COMMON_OPTIONS),
    "hea": ("layers", "rotations", "entanglers", *COMMON_OPTIONS),
}
"""Method-specific keyword options of :func:`run_baseline`."""


def run_baseline(
    method: str,
    problem: str,
    noise: str = "none",
    *,
    seed: int = 0,
    metric: str = "noiseless",
    budget: int | None = None,
    progress=None,
    **options,
):
    """Run baseline ``method`` on ``problem`` (an id of ``crlqas problems list``) under the noise
    preset ``noise`` (``"none"``: noiseless); returns a :class:`~qnoise.results.ResultRecord`.

    ``metric`` (``"noisy"``, ``"mitigated"``, ``"noiseless"``) decides what "chemically accurate"
    and "best" mean; ``budget`` caps the energy evaluations of the whole run (``None``: the method's
    own stopping rules only); ``progress``: see :mod:`.progress`; ``seed``: the run's seed (a
    non-negative integer)."""
    from ..results import check_metric

    name, pool = split_method(method)
    allowed = OPTIONS[name]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValidationError(f"method {name!r} has no option(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer; got {seed!r}")
    check_metric(metric)
    common = dict(seed=seed, metric=metric, budget=budget, progress=progress)
    if name == "adapt":
        from .adapt import run_adapt

        if pool is not None:
            if "pool" in options and options["pool"] != pool:
                raise ValidationError(f"method {method!r} names pool {pool!r}, but pool={options['pool']!r} was given")
            options["pool"] = pool
        return run_adapt(problem, noise, **common, **options)
    from .hea import run_hea

    return run_hea(problem, noise, **common, **options)


def split_method(method) -> tuple[str, str | None]:
    """``("adapt", pool)`` for ``"adapt:<pool>"``, else ``(method, None)`` (validated)."""
    if not isinstance(method, str):
        raise ValidationError(f"method must be a string, one of {', '.join(METHODS)}; got {method!r}")
    name, _, pool = method.strip().lower().partition(":")
    if name == "random":
        raise ValidationError(
            "random architecture search runs in the QAS environment: use crlqas.envs.random_search.random_search "
            "(or 'crlqas baseline random')"
        )
    if name not in METHODS or (pool and name != "adapt"):
        raise ValidationError(f"unknown baseline method {method!r}; allowed: adapt, adapt:<pool>, hea")
    return name, pool or None


__all__ = ["COMMON_OPTIONS", "METHODS", "OPTIONS", "run_baseline", "split_method"]
