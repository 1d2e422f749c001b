"""``QASConfig``: every setting of the quantum-architecture-search env, validated at construction.

>>> cfg = QASConfig(problem="lih-4q-3.4", noise="depol-1e-3", shots=10**7, max_steps=40,
...                 optimizer="spsa3", optimizer_budget=1667, optimizer_options={"preset": "lih-4q"})
>>> QASConfig.from_dict(cfg.to_dict()) == cfg
True

A bad value raises :class:`qnoise.errors.ValidationError` saying what was given and what is
allowed. ``to_dict``/``from_dict`` give plain data (TOML/JSON ready) when the problem is an id and
the noise a preset name (a custom :class:`~qnoise.Hamiltonian` is written with its ``to_dict``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from types import SimpleNamespace

import numpy as np

from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.fileio import plain_fields
from crlqas.qnoise.results import METRICS  # the three errors the env reports; the success_metric choices

CHOICES = {
    "reference": ("lower_bound", "e0"),
    "reward": ("incremental", "sparse"),
    "angle_init": ("zero", "uniform"),
    "energy_estimate": ("exact", "sampled"),
    "halting": ("off", "negative-binomial"),
    "halting_redraw": ("episode", "once"),
    "illegal_action": ("allow", "error"),
    "success_metric": METRICS,
}
DEFAULT_PROBLEM = "h2-2q"


def _spsa3(preset: str) -> dict:
    return dict(optimizer="spsa3", optimizer_budget=1667, optimizer_options={"preset": preset})


#: The paper's inner optimiser per problem family (``problem`` id prefix), ``(noiseless, noisy)``:
#: three-stage Adam-SPSA (1191/357/119 evaluations) with the problem's tuned values for LiH; COBYLA
#: (300 evaluations) for noiseless H2 and Adam-SPSA with the tuned values (500 evaluations) for noisy
#: H2 (Patel et al., ICLR 2024; ``../shared/spec``, section 8).  See :meth:`QASConfig.with_paper_optimizer`.
PAPER_OPTIMIZERS = {
    "lih-4q": (_spsa3("lih-4q"), _spsa3("lih-4q")),
    "lih-6q": (_spsa3("lih-6q"), _spsa3("lih-6q")),
    **{
        h2: (
            dict(optimizer="cobyla", optimizer_budget=300, optimizer_options={}),
            dict(optimizer="adam-spsa", optimizer_budget=500, optimizer_options={"preset": h2}),
        )
        for h2 in ("h2-2q", "h2-3q")
    },
}


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, (bool, np.bool_))
        and math.isfinite(float(x))
    )


@dataclass(frozen=True)
class QASConfig:
    """Settings of :class:`envs.qas_env.QASEnv` (see that class for their effect).

    Problem: ``problem`` (a :func:`qnoise.problems.get_problem` id or JSON path) or ``hamiltonian``
    (a :class:`~qnoise.Hamiltonian` or its dict; then ``e0`` defaults to exact diagonalisation);
    neither given: ``"h2-2q"``.
    ``e0`` overrides the exact ground energy. Noise: ``noise`` is ``None``/``"noiseless"``, a preset
    name of :func:`qnoise.devices.noise_preset`, or a :class:`~qnoise.NoiseModel`. ``shots``:
    ``None`` for exact energies, else the paper's Gaussian shot noise with that many shots.
    ``max_steps``: L, the maximum number of gates per episode (and slices of the encoding).
    ``coupling_map``: ``None``/``"all-to-all"``, ``"linear"``, ``"ring"``, ``"ourense"`` or a list of
    qubit pairs (both directions allowed when ``coupling_symmetric``).
    Inner optimizer: ``optimizer`` name for :func:`qnoise.optimizers.get_optimizer`,
    ``optimizer_budget`` (energy evaluations per step), ``optimizer_options`` (e.g. ``preset``).
    ``angle_init``: the new rotation's initial angle, ``"zero"`` or ``"uniform"`` in
    ``[-angle_init_scale, angle_init_scale]`` (drawn from the env's ``np_random``; gradient
    optimizers such as ``l-bfgs-b`` need ``"uniform"``, since a new rotation at angle 0 often sits on
    a stationary point; earlier angles are never overwritten, unlike the published code).
    ``monotone``: keep the warm start (the previous angles with the new gate) when the optimiser's
    answer is worse, compared on the energies the agent observes (one more evaluation per step; off
    in the paper, where a step's optimisation can lose what earlier steps found).
    Reward: ``reward`` (``"incremental"``: the paper's incremental with fixed ends; ``"sparse"``:
    only the fixed ends), ``success_reward``,
    ``failure_reward``, ``reference`` (E_ref: ``"lower_bound"`` as in the paper, or ``"e0"``),
    ``threshold`` (initial success threshold on ``|E - E_ref|``; default: the offset that means
    chemical accuracy, ``(E0 - E_ref) + chemical_accuracy``). ``energy_estimate``: the energy after
    each step is ``"exact"`` (exact noisy energy of the optimised angles) or ``"sampled"`` (one
    Gaussian shot-noise sample). Random halting: ``halting`` ``"off"`` or ``"negative-binomial"``
    (numpy's ``negative_binomial(halting_n, halting_p)``; ``halting_draws`` draws and their mode;
    clipped to ``halting_clip`` (default ``(1, max_steps)``); redrawn every ``"episode"`` or drawn
    ``"once"``). Observation extras: ``obs_energy``, ``obs_threshold``, ``obs_angles``.
    ``illegal_action``: masked actions are applied (``"allow"``) or rejected (``"error"``).
    ``compute_noiseless``: also compute the noiseless energy of the same angles at every step (else
    only at the episode's last step; ``success_metric="noiseless"`` needs it at every step).

    Success metric: every step reports three energies of the circuit and angles and their errors
    against E0 (``info["error_<metric>"]``, see :class:`~envs.qas_env.QASEnv`): ``"noisy"``, the
    exact noisy energy as measured (readout errors included), ``"mitigated"``, the exact
    readout-mitigated energy (the gate-noisy ``Tr(rho H)``; the noisy one when the noise has no
    readout errors), and ``"noiseless"``, the same circuit and angles without noise (:data:`METRICS`
    in this order). ``success_metric`` (``"noisy"``, the default, ``"mitigated"`` or
    ``"noiseless"``) chooses the energy that decides success, everywhere success is decided:

    * the env's success check (``info["success"]``, the success reward, termination, and so the
      curriculum, which counts successes and moves ``threshold``): ``|E_metric - E_ref| <
      threshold``, where ``E_metric`` is the energy the agent observes (``E_t``: exact, or one
      shot-noise sample with ``energy_estimate="sampled"``; exactly as before) for ``"noisy"``, and
      the exact mitigated or noiseless energy otherwise; ``info["episode_best_offset"]`` (the
      curriculum's best offset) is the episode's lowest ``E_metric - E_ref``;
    * chemical accuracy in training runs (``agents``): the greedy evaluation's ``accurate`` and
      ``stop_after_success``, and the best-circuit kinds first-accurate, shortest-accurate and
      greedy are judged on ``|E_metric - E0| <= chemical_accuracy`` with the exact energy of the
      metric (no shot noise).

    What the agent optimises does not change: the inner optimizer minimises the noisy energy
    (sampled when ``shots``), and the observation and the incremental reward use ``E_t``, the energy
    the agent observes. Without noise the three energies are the same number (computed once), so
    the choice changes nothing. ``"noiseless"`` judges the circuit found under noise by its
    noiseless energy, as the CRLQAS paper reports its noisy results (under IBM Mumbai readout errors
    no H2 circuit reaches chemical accuracy in its noisy energy; after readout mitigation a few
    mHa remain). ``"mitigated"`` needs every readout error invertible (``P(1|0) + P(0|1) < 1``);
    with another metric the mitigated energy of such a model is reported as ``None``.
    """

    problem: str | None = None
    hamiltonian: object = None
    e0: float | None = None
    noise: object = None
    shots: int | None = None
    max_steps: int = 40
    coupling_map: object = None
    coupling_symmetric: bool = True
    optimizer: str = "cobyla"
    optimizer_budget: int = 300
    optimizer_options: dict = field(default_factory=dict)
    angle_init: str = "zero"
    angle_init_scale: float = 0.1
    monotone: bool = False
    reward: str = "incremental"
    success_reward: float = 5.0
    failure_reward: float = -5.0
    reference: str = "lower_bound"
    threshold: float | None = None
    energy_estimate: str = "exact"
    halting: str = "off"
    halting_n: float = 40.0
    halting_p: float = 0.6
    halting_draws: int = 1
    halting_clip: tuple | None = None
    halting_redraw: str = "episode"
    obs_energy: bool = True
    obs_threshold: bool = False
    obs_angles: bool = False
    illegal_action: str = "allow"
    compute_noiseless: bool = True
    success_metric: str = "noisy"

    # ------------------------------------------------------------------ validation
    def __post_init__(self):
        for name, allowed in CHOICES.items():
            v = getattr(self, name)
            if v not in allowed:
                raise ValidationError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {v!r}")
        if self.problem is None and self.hamiltonian is None:
            object.__setattr__(self, "problem", DEFAULT_PROBLEM)
        if self.problem is not None and self.hamiltonian is not None:
            raise ValidationError(
                "give exactly one of problem (an id such as 'lih-4q-3.4') and hamiltonian; "
                f"got problem={self.problem!r}, hamiltonian="
                f"{'None' if self.hamiltonian is None else type(self.hamiltonian).__name__}"
            )
        if self.problem is not None and not isinstance(self.problem, str):
            raise ValidationError(f"problem must be a problem id string; got {self.problem!r}")
        if isinstance(self.hamiltonian, dict):
            from crlqas.qnoise.hamiltonian import Hamiltonian

            object.__setattr__(self, "hamiltonian", Hamiltonian.from_dict(self.hamiltonian))
        if self.shots is not None and (not _is_int(self.shots) or self.shots < 1):
            raise ValidationError(f"shots must be a positive integer or None (exact energies); got {self.shots!r}")
        if not _is_int(self.max_steps) or self.max_steps < 1:
            raise ValidationError(f"max_steps must be a positive integer; got {self.max_steps!r}")
        if not _is_int(self.optimizer_budget) or self.optimizer_budget < 1:
            raise ValidationError(
                f"optimizer_budget must be a positive integer (energy evaluations per step); "
                f"got {self.optimizer_budget!r}"
            )
        if not isinstance(self.optimizer, str):
            raise ValidationError(f"optimizer must be a name string; got {self.optimizer!r}")
        if not isinstance(self.optimizer_options, dict):
            raise ValidationError(f"optimizer_options must be a dict; got {self.optimizer_options!r}")
        for name in ("angle_init_scale", "success_reward", "failure_reward", "halting_n", "halting_p"):
            if not _is_real(getattr(self, name)):
                raise ValidationError(f"{name} must be a finite number; got {getattr(self, name)!r}")
        if self.angle_init_scale < 0:
            raise ValidationError(f"angle_init_scale must be >= 0; got {self.angle_init_scale!r}")
        for name in ("e0", "threshold"):
            v = getattr(self, name)
            if v is not None and not _is_real(v):
                raise ValidationError(f"{name} must be a finite number or None; got {v!r}")
        if self.threshold is not None and self.threshold <= 0:
            raise ValidationError(f"threshold must be > 0; got {self.threshold!r}")
        if not self.halting_n > 0 or not 0 < self.halting_p <= 1:
            raise ValidationError(
                f"the negative binomial needs halting_n > 0 and 0 < halting_p <= 1; got "
                f"halting_n={self.halting_n!r}, halting_p={self.halting_p!r}"
            )
        if not _is_int(self.halting_draws) or self.halting_draws < 1:
            raise ValidationError(f"halting_draws must be a positive integer; got {self.halting_draws!r}")
        if self.halting_clip is not None:
            clip = tuple(self.halting_clip) if isinstance(self.halting_clip, (list, tuple)) else None
            if clip is None or len(clip) != 2 or not all(_is_int(c) for c in clip) or not 0 <= clip[0] <= clip[1]:
                raise ValidationError(f"halting_clip must be two integers 0 <= lo <= hi; got {self.halting_clip!r}")
            object.__setattr__(self, "halting_clip", (int(clip[0]), int(clip[1])))
        if self.success_metric == "noiseless" and not self.compute_noiseless:
            raise ValidationError(
                "success_metric='noiseless' needs compute_noiseless=True (the noiseless energy of every "
                "step decides success)"
            )
        flags = ("coupling_symmetric", "obs_energy", "obs_threshold", "obs_angles", "compute_noiseless", "monotone")
        for name in flags:
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValidationError(f"{name} must be True or False; got {getattr(self, name)!r}")
        if isinstance(self.coupling_map, list):
            object.__setattr__(
                self, "coupling_map", tuple(tuple(p) if isinstance(p, list) else p for p in self.coupling_map)
            )
        self.resolve()  # problem, noise, optimizer and coupling map errors surface here

    # ------------------------------------------------------------------ resolution
    def resolve(self) -> SimpleNamespace:
        """The objects the env needs: ``hamiltonian``, ``num_qubits``, ``e0`` (or None),
        ``lower_bound``, ``e_ref``, ``chemical_accuracy``, ``noise_model`` (or None),
        ``coupling_pairs`` (or None for all-to-all), ``threshold`` (initial), ``problem_id``."""
        from crlqas.qnoise.problems import CHEMICAL_ACCURACY, get_problem
        from crlqas.qnoise.vqe import resolve_noise

        from .encoding import coupling_pairs

        if self.problem is not None:
            prob = get_problem(self.problem)
            ham, e0, chem, pid = prob.hamiltonian, prob.e0, prob.chemical_accuracy, prob.id
        else:
            from crlqas.qnoise.hamiltonian import Hamiltonian

            if not isinstance(self.hamiltonian, Hamiltonian):
                raise ValidationError(
                    f"hamiltonian must be a qnoise Hamiltonian or its dict; got {type(self.hamiltonian).__name__}"
                )
            ham, e0, chem, pid = self.hamiltonian, None, CHEMICAL_ACCURACY, "custom"
            if self.e0 is None and ham.num_qubits <= 14:
                e0 = float(ham.ground_energy())
        if self.e0 is not None:
            e0 = float(self.e0)
        n = ham.num_qubits
        lb = float(ham.lower_bound)
        if self.reference == "e0" and e0 is None:
            raise ValidationError(f"reference='e0' needs the exact ground energy, which {pid} lacks; give e0=...")
        e_ref = lb if self.reference == "lower_bound" else e0
        threshold = self.threshold
        if threshold is None:
            if e0 is None:
                raise ValidationError(
                    f"{pid} has no exact ground energy: give threshold=... (success when "
                    f"|E - E_ref| < threshold) or e0=..."
                )
            threshold = (e0 - e_ref) + chem
        pairs = coupling_pairs(self.coupling_map, n, bool(self.coupling_symmetric))
        self._check_optimizer()
        noise_model, _ = resolve_noise(self.noise)
        if noise_model is not None and noise_model.is_ideal():
            noise_model = None
        if self.success_metric == "mitigated" and noise_model is not None:
            from crlqas.qnoise.hamiltonian import readout_affine

            try:  # the mitigated energy needs every readout error inverted
                readout_affine([noise_model.readout_error(q) for q in range(n)], n, invert=True)
            except ValidationError as exc:
                raise ValidationError(f"success_metric='mitigated' is impossible here: {exc}") from None
        return SimpleNamespace(
            hamiltonian=ham,
            num_qubits=n,
            e0=e0,
            lower_bound=lb,
            e_ref=float(e_ref),
            chemical_accuracy=chem,
            noise_model=noise_model,
            coupling_pairs=pairs,
            threshold=float(threshold),
            problem_id=pid,
        )

    def _check_optimizer(self) -> None:
        from crlqas.qnoise.optimizers import get_optimizer

        get_optimizer(self.optimizer, **self.optimizer_options)

    def make_optimizer(self):
        from crlqas.qnoise.optimizers import get_optimizer

        return get_optimizer(self.optimizer, **self.optimizer_options)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict:
        """Plain data; raises ValidationError for a noise model object (write a preset name)."""
        if self.noise is not None and not isinstance(self.noise, str):
            raise ValidationError(
                "a NoiseModel object cannot be written to a config file; use a "
                "preset name (qnoise.devices.noise_preset) instead"
            )
        return plain_fields(self)

    @classmethod
    def from_dict(cls, data: dict) -> QASConfig:
        if not isinstance(data, dict):
            raise ValidationError(f"a QAS config must be a dict; got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            import difflib

            hints = [
                f"{u!r} (did you mean {difflib.get_close_matches(u, known, 1)[0]!r}?)"
                if difflib.get_close_matches(u, known, 1)
                else repr(u)
                for u in unknown
            ]
            raise ValidationError(f"unknown QAS config key(s) {', '.join(hints)}; allowed: {', '.join(sorted(known))}")
        if isinstance(data.get("noise"), dict):
            raise ValidationError("noise models cannot be read from dicts; use a preset name")
        return cls(**data)

    def with_paper_optimizer(self) -> QASConfig:
        """The same config with the paper's inner optimiser for its problem and noise
        (:data:`PAPER_OPTIMIZERS`: optimizer, budget and options; everything else kept)."""
        pid = self.problem if isinstance(self.problem, str) else None
        family = next((k for k in PAPER_OPTIMIZERS if pid and pid.lower().startswith(k)), None)
        if family is None:
            raise ValidationError(
                f"the paper gives no inner optimiser for problem {pid or 'custom'!r} "
                f"(known: {', '.join(PAPER_OPTIMIZERS)}); set [env] optimizer, optimizer_budget and optimizer_options"
            )
        from crlqas.qnoise.vqe import resolve_noise

        model, _ = resolve_noise(self.noise)
        noisy = model is not None and not model.is_ideal()
        settings = PAPER_OPTIMIZERS[family][noisy]
        return self.replace(**{**settings, "optimizer_options": dict(settings["optimizer_options"])})

    def replace(self, **changes) -> QASConfig:
        from dataclasses import replace

        return replace(self, **changes)
