"""What the baselines share: the problem and noise they run on, the inner optimiser every circuit's
angles go through, and the evaluation budget.

Every baseline optimises its angles the way the QAS environment does after each gate: one
optimizer of :mod:`qnoise.optimizers` (``optimizer``, ``optimizer_options``) with ``optimizer_budget``
energy evaluations per optimisation, minimising the noisy energy as measured (with the paper's
Gaussian shot noise when ``shots``), through :func:`qnoise.vqe.run_vqe`.  The energies a result
reports are exact (:data:`qnoise.results.METRICS`): noisy, readout-mitigated and noiseless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ValidationError

#: the env's default inner optimizer (:class:`crlqas.envs.config.QASConfig`), so a baseline run
#: without options optimises like the agent's default environment
DEFAULT_OPTIMIZER = "cobyla"
NOISELESS_NAMES = ("none", "noiseless", "ideal")


def resolve(problem, noise):
    """``(Problem, NoiseModel or None, noise label)`` from a problem id (or Problem) and a noise
    preset name (``"none"`` for no noise; the label is then ``"none"``)."""
    from ..problems import Problem, get_problem
    from ..vqe import resolve_noise

    if isinstance(problem, str):
        problem = get_problem(problem)
    if not isinstance(problem, Problem):
        raise ValidationError(f"problem must be a problem id (see 'crlqas problems list'); got {problem!r}")
    if noise is None or (isinstance(noise, str) and noise.strip().lower() in NOISELESS_NAMES):
        return problem, None, "none"
    if not isinstance(noise, str):
        raise ValidationError(f"noise must be a preset name (see 'crlqas noise list') or 'none'; got {noise!r}")
    model, label = resolve_noise(noise)
    if model is not None and model.max_qubit() >= problem.num_qubits:
        raise ValidationError(
            f"noise preset {noise!r} names qubit {model.max_qubit()}, but {problem.id} has {problem.num_qubits} qubits"
        )
    return problem, (None if model is None or model.is_ideal() else model), label.strip().lower()


def check_metric_possible(model, num_qubits: int, metric: str) -> None:
    """:class:`ValidationError` when ``metric`` is ``"mitigated"`` and a readout error of ``model``
    has no inverse (that metric would then be undefined for every circuit)."""
    if metric != "mitigated" or model is None or not model.has_readout_error:
        return
    from ..hamiltonian import readout_affine

    try:
        readout_affine([model.readout_error(q) for q in range(num_qubits)], num_qubits, invert=True)
    except ValidationError as exc:
        raise ValidationError(f"the success metric 'mitigated' is impossible here: {exc}") from None


def check_budget(budget) -> int | None:
    """``budget`` (energy evaluations in all, ``None`` for no limit) or :class:`ValidationError`."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValidationError(f"budget must be a positive number of energy evaluations or None; got {budget!r}")
    return int(budget)


@dataclass
class Budget:
    """Energy evaluations spent against a total (``None``: no limit)."""

    total: int | None
    spent: int = 0

    @property
    def remaining(self) -> float:
        return math.inf if self.total is None else self.total - self.spent

    def affords(self, k: int) -> bool:
        return self.remaining >= k

    def charge(self, k: int) -> None:
        self.spent += int(k)


@dataclass(frozen=True)
class InnerOptimizer:
    """The optimiser each circuit's angles go through (module docstring)."""

    optimizer: str = DEFAULT_OPTIMIZER
    optimizer_budget: int | None = None
    optimizer_options: dict = field(default_factory=dict)
    shots: int | None = None

    def __post_init__(self):
        from ..measurement import check_shots
        from ..optimizers import get_optimizer
        from ..optimizers.registry import default_budget

        if not isinstance(self.optimizer_options, dict):
            raise ValidationError(f"optimizer_options must be a dict; got {self.optimizer_options!r}")
        name = get_optimizer(self.optimizer, **self.optimizer_options).name  # validates name and options
        object.__setattr__(self, "optimizer", name)
        if self.optimizer_budget is None:
            object.__setattr__(self, "optimizer_budget", default_budget(name))
        b = self.optimizer_budget
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1:
            raise ValidationError(f"optimizer_budget must be a positive number of energy evaluations; got {b!r}")
        if self.shots is not None:
            object.__setattr__(self, "shots", check_shots(self.shots))

    def optimize(self, problem, circuit, model, initial, budget: Budget, rng) -> tuple[np.ndarray, dict, int]:
        """Optimise ``circuit``'s angles from ``initial`` (``None``: small random angles) with at
        most ``optimizer_budget`` evaluations and what ``budget`` has left; charges ``budget`` and
        returns ``(angles, exact energies by metric, evaluations)``."""
        from ..vqe import run_vqe

        allowed = int(min(self.optimizer_budget, budget.remaining))
        res = run_vqe(
            problem,
            circuit,
            noise=model,
            optimizer=self.optimizer,
            budget=allowed,
            shots=self.shots,
            seed=int(rng.integers(2**63 - 1)),
            initial_params=initial,
            optimizer_options=dict(self.optimizer_options),
        )
        budget.charge(res.nfev)
        energies = {"noisy": res.energy, "mitigated": res.mitigated_energy, "noiseless": res.noiseless_energy}
        return np.asarray(res.params, dtype=float), energies, int(res.nfev)

    def describe(self) -> dict:
        return {
            "optimizer": self.optimizer,
            "optimizer_budget": int(self.optimizer_budget),
            "optimizer_options": dict(self.optimizer_options),
            "shots": self.shots,
        }


@dataclass
class Run:
    """One baseline run's setting (:func:`start`): the problem, the noise model and its label, the
    metric, the seed, the inner optimiser, the budget, the random stream and the start time."""

    problem: object
    model: object
    noise_label: str
    metric: str
    seed: int
    inner: InnerOptimizer
    budget: Budget
    rng: np.random.Generator
    t0: float

    def record(self, method: str, circuit, angles, energies: dict, evaluations: int, wall_time=None, extra=None):
        """The :class:`~qnoise.results.ResultRecord` of ``circuit`` at ``angles`` in this run
        (``wall_time``: since the start unless given)."""
        import time

        from ..results import ResultRecord

        return ResultRecord.from_circuit(
            method=method,
            problem=self.problem,
            noise=self.noise_label,
            seed=self.seed,
            metric=self.metric,
            circuit=circuit,
            angles=angles,
            noise_model=self.model,
            evaluations=evaluations,
            wall_time=time.perf_counter() - self.t0 if wall_time is None else wall_time,
            energies=energies,
            extra=extra,
        )


INNER_OPTIONS = ("optimizer", "optimizer_budget", "optimizer_options", "shots")
"""The inner optimiser's options (:class:`InnerOptimizer`), taken by every baseline."""


def start(problem, noise, *, seed, metric, budget, **inner) -> Run:
    """Check a baseline's common arguments and set up its :class:`Run`; ``inner``: the
    :data:`INNER_OPTIONS` (``None`` values: the defaults)."""
    import time

    from ..results import check_metric

    t0 = time.perf_counter()
    unknown = sorted(set(inner) - set(INNER_OPTIONS))
    if unknown:
        raise ValidationError(f"unknown option(s) {', '.join(unknown)}; the inner optimiser takes {INNER_OPTIONS}")
    check_metric(metric)
    problem, model, noise_label = resolve(problem, noise)
    check_metric_possible(model, problem.num_qubits, metric)
    inner = InnerOptimizer(
        inner.get("optimizer") or DEFAULT_OPTIMIZER,
        inner.get("optimizer_budget"),
        dict(inner.get("optimizer_options") or {}),
        inner.get("shots"),
    )
    spent = Budget(check_budget(budget))
    return Run(problem, model, noise_label, metric, seed, inner, spent, np.random.default_rng(seed), t0)


def metric_error(energies: dict, e0: float | None, metric: str) -> float:
    """``|energies[metric] - e0|`` (the energy itself without ``e0``; ``inf`` when undefined): the
    distance to the ground energy, as the env and the agents judge chemical accuracy."""
    e = energies.get(metric)
    if e is None:
        return math.inf
    return float(e) if e0 is None else abs(float(e) - e0)


__all__ = [
    "DEFAULT_OPTIMIZER",
    "INNER_OPTIONS",
    "Budget",
    "InnerOptimizer",
    "Run",
    "check_budget",
    "check_metric_possible",
    "metric_error",
    "resolve",
    "start",
]
