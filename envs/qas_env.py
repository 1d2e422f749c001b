"""The quantum-architecture-search environment (CRLQAS method spec, sections 2-6)."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from crlqas.qnoise.errors import ValidationError

from .config import METRICS, QASConfig
from .encoding import MomentEncoder, action_table
from .masks import ActionMasker


class QASEnv(gym.Env):
    """Build a parameterised circuit gate by gate; the angles are re-optimised after every gate.

    ## Description
    The agent appends one gate per step from {CNOT, RX, RY, RZ}. After each step *all* rotation
    angles of the circuit that includes the new gate are re-optimised by a classical optimizer
    (warm start from the previous angles; the new angle starts at 0 or small random), and the
    energy ``E_t = Tr(H rho(theta)) + shift`` of the (noisy) circuit drives the reward. This is the
    environment of CRLQAS (Patel et al., ICLR 2024) built on :mod:`qnoise`.

    ## Action space
    ``Discrete(n(n+2))`` for ``n`` qubits (all-to-all), in the published order: indices
    ``0..n(n-1)-1`` are ``CNOT(c, (c + x) mod n)`` at ``c(n-1) + x - 1`` (control ``c`` outer,
    offset ``x = 1..n-1`` inner); index ``n(n-1) + 3q + a`` is a rotation about axis ``a`` (0 X,
    1 Y, 2 Z) on qubit ``q``. With a coupling map only the coupled CNOTs remain, in the same
    relative order. ``env.actions[i]`` decodes an index. Illegal actions (section 4: a repeat that
    would cancel/merge with the previous gate on the same qubits) are reported by
    :meth:`action_masks` and ``info["action_mask"]`` (``True`` = allowed); by default they are still
    applied if taken (``illegal_action="error"`` rejects them).

    ## Observation space
    ``Box(float32)`` of shape ``(L * R * n + extras,)``: first the moment tensor ``T`` of shape
    ``[L, R, n]`` flattened in C order (``R = n + 3``, or ``n + 6`` with ``obs_angles``; see
    :mod:`envs.encoding`: ``T[d, t, c] = 1`` for ``CNOT(c -> t)`` in moment ``d``,
    ``T[d, n + a, q] = 1`` for a rotation about axis ``a`` on qubit ``q``, and the angle rows
    ``T[d, n + 3 + a, q]`` = that rotation's angle in ``[-pi, pi]``), then, when enabled, the
    current energy ``E_t`` (``obs_energy``, on by default as in the paper; clipped to
    ``[const - sum|w| - pad, const + sum|w| + pad]``, ``pad = max(1, 10 sigma_shots)``) and the
    current threshold (``obs_threshold``; clipped to ``4 sum|w| + 2 xi_0 + 1``).
    :meth:`split_observation` undoes the flattening. At L = 40 with the energy the size is 401
    (2 qubits), 721 (3) and 1121 (4), as in the paper.

    ## Rewards
    With ``E_ref`` the reference energy (``reference="lower_bound"``, the paper's
    ``-sum_i |w_i| + shift``, or ``"e0"``) and ``xi`` the current threshold:
    ``success_reward`` (+5) on success (``|E_t - E_ref| < xi``); else ``failure_reward`` (-5) when
    the ``L``-th gate is placed (the last allowed step) without success, *not* on a random halt;
    otherwise ``clip((E_{t-1} - E_t) / |E_{t-1} - E_ref|, -1, 1)`` (``reward="incremental"``) or 0
    (``reward="sparse"``). ``E_0`` (before any gate) is the energy of ``|0...0>`` (noisy, readout
    included). Success compares the *offset* to the reference: with the paper's lower bound,
    ``xi`` is an offset from ``E_ref``, not an error; the default ``xi_0 = (E0 - E_ref) +
    chemical_accuracy`` makes success mean chemical accuracy (``E_t - E0 < 1.6e-3`` Ha) for either
    reference. ``E_t`` is the exact noisy energy of the optimised angles
    (``energy_estimate="exact"``) or one Gaussian shot-noise sample of it (``"sampled"``).
    With ``success_metric="mitigated"`` or ``"noiseless"`` the success check compares the exact
    readout-mitigated or noiseless energy of the same circuit and angles instead of ``E_t``
    (``|E_metric - E_ref| < xi``); the observation and the incremental reward keep ``E_t``.

    ## Episode end
    ``terminated`` on success. ``truncated`` after ``L`` gates or at the random-halting step drawn
    at reset (``halting="negative-binomial"``). The error against the exact ground energy
    (``info["error"] = E_t - E0``) is always reported, whatever ``E_ref`` is.

    ## Info
    ``energy`` (``E_t``, as the reward sees it); the three energies of the circuit and angles, one
    per metric (:data:`envs.config.METRICS`), and their errors against E0 (``None`` without E0):
    ``energy_exact``/``error_noisy`` (exact noisy energy, as measured: readout errors included),
    ``energy_mitigated``/``error_mitigated`` (exact readout-mitigated energy: the noisy one when the
    noise has no readout errors; ``None`` when a readout error cannot be inverted) and
    ``energy_noiseless``/``error_noiseless`` (no noise; ``None`` at the steps before the last when
    ``compute_noiseless=False``); without noise all three are ``energy_exact``, computed once
    (flat keys: Gymnasium vector envs stack them); ``error`` (``E_t - E0``), ``energy_offset``
    (``E_t - E_ref``), ``success_metric`` and ``success_offset`` (``E_metric - E_ref``, what the
    success check compares with ``threshold``), ``reference_energy``, ``e0``,
    ``threshold``, ``success``/``is_success``, ``num_gates``, ``num_cnots``, ``num_rotations``,
    ``depth``, ``circuit`` (a :class:`qnoise.Circuit`; its rotation ``i`` uses ``angles[i]``),
    ``angles`` (a tuple of floats), ``nfev`` (optimizer evaluations this step), ``episode_nfev``,
    ``step``, ``halting_step``, ``episode_best_energy`` (lowest ``E_t``), ``episode_best_offset``
    (lowest ``E_metric - E_ref`` of the episode: the curriculum's best offset) and ``action_mask``.
    ``reset`` reports the three energies and errors of ``|0...0>``.
    Vector envs (``gymnasium.make_vec(..., vectorization_mode="sync"|"async")``): Gymnasium stacks
    each info key over the envs into an array shaped by the first env's value (NumPy arrays:
    their shape; numbers: a 1-d array; other objects: an object array). ``angles`` changes length
    from step to step, so it is a tuple, which lands in an object array (one tuple per env), like
    ``circuit``; every array-valued key (``action_mask``) has a fixed shape. A key that is a number
    in one env and ``None`` in another (``energy_noiseless`` with ``compute_noiseless=False``)
    reads as ``nan`` in a float array, or ``None`` in an object array when the first env's is.
    The best circuit of the episode and of all episodes (lowest ``E_t``) are kept in
    ``episode_best_record`` / ``best_record`` (energies, errors, circuit, angles, episode, step) and
    exported as JSON-ready dicts by :meth:`export_circuit` (``"episode_best"``, ``"best"``).

    ## Arguments
    ``QASEnv(config=None, render_mode=None, **settings)``: ``config`` is a
    :class:`~envs.config.QASConfig` or a dict of its fields; keyword settings override it (all the
    settings are documented on :class:`~envs.config.QASConfig`). ``render_mode="ansi"`` renders
    the circuit as text. Randomness (halting step, random initial angles, optimizer seeds,
    sampled energies) comes only from ``self.np_random``, so ``reset(seed=s)`` fixes a rollout.

    ## Curriculum
    :meth:`set_threshold` changes ``xi`` from the next step on (use
    ``vec_env.env_method("set_threshold", x)`` inside vectorised envs);
    :class:`envs.wrappers.CurriculumWrapper` drives it from a curriculum.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, config: QASConfig | dict | None = None, render_mode: str | None = None, **settings):
        if config is None:
            config = QASConfig(**settings)
        elif isinstance(config, dict):
            config = QASConfig.from_dict({**config, **settings})
        elif isinstance(config, QASConfig):
            config = config.replace(**settings) if settings else config
        else:
            raise ValidationError(f"config must be a QASConfig, a dict or None; got {type(config).__name__}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValidationError(f"render_mode must be None or 'ansi'; got {render_mode!r}")
        if config.energy_estimate == "sampled" and config.shots is None:
            raise ValidationError("energy_estimate='sampled' needs shots=<positive integer>")
        self.config, self.render_mode = config, render_mode
        r = config.resolve()
        self.problem_id, self.hamiltonian, self.noise_model = r.problem_id, r.hamiltonian, r.noise_model
        self.num_qubits, self.max_steps = r.num_qubits, config.max_steps
        self.e0, self.lower_bound, self.reference_energy = r.e0, r.lower_bound, r.e_ref
        self.chemical_accuracy, self.coupling_pairs = r.chemical_accuracy, r.coupling_pairs
        self.threshold = r.threshold
        self.success_metric = config.success_metric
        self._readout, self._mitigable = self._readout_errors()
        self.actions = action_table(self.num_qubits, r.coupling_pairs)
        self.action_space = spaces.Discrete(len(self.actions))
        self.encoder = MomentEncoder(self.num_qubits, self.max_steps, config.obs_angles)
        self.masker = ActionMasker(self.num_qubits, self.actions)
        self._sigma = math.sqrt(float(np.sum(self.hamiltonian.coeffs**2)) / config.shots) if config.shots else 0.0
        self.observation_space = self._make_observation_space()
        self._optimizer = None
        self._initial = None  # the energies (by metric) of |0..0>
        self._halt_once = None
        self.circuit = None
        self.best_energy, self.best_record = math.inf, None
        self.episode_best_energy, self.episode_best_record = math.inf, None
        self.episode_best_metric = math.inf  # the episode's lowest E_metric (success_metric's energy)
        self.episodes = 0

    # ------------------------------------------------------------------ spaces
    def _make_observation_space(self) -> spaces.Box:
        L, rows, n = self.encoder.shape
        low = np.zeros((L, rows, n), dtype=np.float32)
        high = np.ones((L, rows, n), dtype=np.float32)
        if self.config.obs_angles:
            low[:, n + 3 :, :], high[:, n + 3 :, :] = -np.pi, np.pi
        lows, highs = [low.ravel()], [high.ravel()]
        # exact energies lie in [const - sum|w|, const + sum|w|]; shot noise may leave it, so the
        # observed value is clipped to the box (a margin of max(1, 10 sigma) either side)
        norm1 = float(np.sum(np.abs(self.hamiltonian.coeffs)))
        pad = max(1.0, 10.0 * self._sigma)
        const = float(self.hamiltonian.constant)
        self._energy_box = (const - norm1 - pad, const + norm1 + pad)
        self._threshold_max = 4.0 * norm1 + 2.0 * self.threshold + 1.0
        if self.config.obs_energy:
            lows.append(np.array([self._energy_box[0]], np.float32))
            highs.append(np.array([self._energy_box[1]], np.float32))
        if self.config.obs_threshold:
            lows.append(np.array([0.0], np.float32))
            highs.append(np.array([self._threshold_max], np.float32))
        return spaces.Box(np.concatenate(lows), np.concatenate(highs), dtype=np.float32)

    def split_observation(self, obs) -> tuple[np.ndarray, dict]:
        """``(tensor [L, R, n], {"energy": ..., "threshold": ...})`` from a flat observation."""
        obs = np.asarray(obs)
        size = int(np.prod(self.encoder.shape))
        extras, k = {}, size
        for name, on in (("energy", self.config.obs_energy), ("threshold", self.config.obs_threshold)):
            if on:
                extras[name] = float(obs[k])
                k += 1
        return obs[:size].reshape(self.encoder.shape), extras

    def _observation(self) -> np.ndarray:
        parts = [self.encoder.tensor(self.angles).ravel()]
        if self.config.obs_energy:
            parts.append(np.array([np.clip(self.energy, *self._energy_box)], np.float32))
        if self.config.obs_threshold:
            parts.append(np.array([min(self.threshold, self._threshold_max)], np.float32))
        return np.concatenate(parts).astype(np.float32, copy=False)

    # ------------------------------------------------------------------ helpers
    @property
    def optimizer(self):
        if self._optimizer is None:
            self._optimizer = self.config.make_optimizer()
        return self._optimizer

    def _simulator(self, noisy: bool = True):
        from crlqas.qnoise.simulator import Simulator

        return Simulator(self.circuit, self.hamiltonian, self.noise_model if noisy else None)

    def _readout_errors(self) -> tuple[bool, bool]:
        """``(any readout error?, all invertible?)``: without readout errors the mitigated energy is
        the noisy one; one without inverse has no mitigated energy (the config refuses it for
        ``success_metric="mitigated"``)."""
        n, model = self.num_qubits, self.noise_model
        readout = [None if model is None else model.readout_error(q) for q in range(n)]
        if all(e is None for e in readout):
            return False, True
        from crlqas.qnoise.hamiltonian import readout_affine

        try:
            readout_affine(readout, n, invert=True)
        except ValidationError:
            return True, False
        return True, True

    def _energies(self, sim, exact: float, noiseless: bool) -> dict:
        """The energies by metric (:data:`envs.config.METRICS`) of the current circuit and angles:
        ``exact`` (noisy, of ``sim``), the mitigated one (``exact`` without readout errors) and,
        when ``noiseless``, the noiseless one (else ``None``); all ``exact`` without noise."""
        if self.noise_model is None:
            return dict.fromkeys(METRICS, exact)
        mitigated = exact
        if self._readout:
            mitigated = float(sim.mitigated_energy(self.angles)) if self._mitigable else None
        free = float(self._simulator(False).energy(self.angles)) if noiseless else None
        return {"noisy": exact, "mitigated": mitigated, "noiseless": free}

    def _errors(self, energies: dict) -> dict:
        """``energies`` minus E0 (``None`` where unknown)."""
        return {k: None if (self.e0 is None or v is None) else v - self.e0 for k, v in energies.items()}

    def _metric_info(self, energies: dict) -> dict:
        """The info entries of the three energies and errors (flat keys)."""
        errors = self._errors(energies)
        return {
            "energy_exact": energies["noisy"],
            "energy_mitigated": energies["mitigated"],
            "energy_noiseless": energies["noiseless"],
            **{f"error_{m}": errors[m] for m in METRICS},
            "success_metric": self.success_metric,
        }

    def _estimate(self, exact: float) -> float:
        if self.config.energy_estimate == "sampled":
            return exact + self._sigma * float(self.np_random.standard_normal())
        return exact

    def _draw_halting(self) -> int | None:
        cfg = self.config
        if cfg.halting == "off":
            return None
        if cfg.halting_redraw == "once" and self._halt_once is not None:
            return self._halt_once
        draws = self.np_random.negative_binomial(cfg.halting_n, cfg.halting_p, size=cfg.halting_draws)
        values, counts = np.unique(draws, return_counts=True)
        lo, hi = cfg.halting_clip or (1, self.max_steps)
        h = max(1, int(np.clip(values[np.argmax(counts)], lo, hi)))
        self._halt_once = h
        return h

    def set_threshold(self, threshold: float) -> None:
        """Set the success threshold ``xi`` on ``|E - E_ref|`` (used from the next step on)."""
        x = float(threshold)
        if not (math.isfinite(x) and x > 0):
            raise ValidationError(f"a threshold must be a positive finite number; got {threshold!r}")
        self.threshold = x

    def get_threshold(self) -> float:
        return self.threshold

    def action_masks(self) -> np.ndarray:
        """Boolean mask over the actions, ``True`` = allowed (sb3-contrib's MaskablePPO API)."""
        return self.masker.mask()

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "threshold" in options:
            self.set_threshold(options["threshold"])
        from crlqas.qnoise.circuit import Circuit

        self.circuit = Circuit(self.num_qubits)
        self.angles = np.zeros(0)
        self.encoder.reset()
        self.masker.reset()
        self.steps, self.episode_nfev = 0, 0
        if self._initial is None:
            sim = self._simulator()
            self._initial = self._energies(sim, sim.energy(self.angles), noiseless=True)
        self.energy = self._estimate(self._initial["noisy"])
        self.halting_step = self._draw_halting()
        self.episode_best_energy, self.episode_best_record = math.inf, None
        self.episode_best_metric = math.inf
        self.episodes += 1
        info = {
            "energy": self.energy,
            **self._metric_info(self._initial),
            "threshold": self.threshold,
            "halting_step": self.halting_step,
            "step": 0,
            "action_mask": self.action_masks(),
        }
        return self._observation(), info

    def step(self, action):
        if self.circuit is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        cfg = self.config
        try:
            a = int(action)
        except (TypeError, ValueError):
            raise ValidationError(
                f"an action must be an integer in 0..{self.action_space.n - 1}; got {action!r}"
            ) from None
        if not 0 <= a < self.action_space.n or a != np.asarray(action).item():
            raise ValidationError(f"action {action!r} is out of range 0..{self.action_space.n - 1}")
        act = self.actions[a]
        if cfg.illegal_action == "error" and not self.masker.is_legal(a):
            raise ValidationError(
                f"action {a} ({act}) is masked: it would cancel or merge with the previous gate on the same qubits"
            )
        if act.kind == "cx":
            self.circuit.cx(*act.qubits)
            self.encoder.add(act)
        else:
            p = self.circuit.num_parameters
            self.circuit.append(act.gate, act.qubits[0], param=p)
            theta = (
                self.np_random.uniform(-cfg.angle_init_scale, cfg.angle_init_scale)
                if cfg.angle_init == "uniform"
                else 0.0
            )
            self.angles = np.append(self.angles, theta)
            self.encoder.add(act, p)
        self.masker.add(act)
        self.steps += 1

        sim = self._simulator()
        nfev, start = 0, None
        if self.circuit.num_parameters:
            from crlqas.qnoise.optimizers import EnergyFunction

            seed = int(self.np_random.integers(0, 2**63 - 1))
            start = self.angles
            res = self.optimizer.minimize(EnergyFunction(sim, cfg.shots), self.angles, cfg.optimizer_budget, seed=seed)
            self.angles, nfev = np.array(res.x, dtype=np.float64), int(res.nfev)
        exact = float(sim.energy(self.angles))
        energy = self._estimate(exact)
        if cfg.monotone and start is not None:  # keep the warm start when the optimiser ended above it
            start_exact = float(sim.energy(start))
            start_energy = self._estimate(start_exact)
            nfev += 1
            if start_energy < energy:
                self.angles, exact, energy = start, start_exact, start_energy
        self.episode_nfev += nfev
        energies = self._energies(sim, exact, noiseless=cfg.compute_noiseless)
        prev = self.energy
        self.energy = energy

        e_ref = self.reference_energy
        offset = energy - e_ref
        # success on the chosen metric (QASConfig.success_metric): E_t itself for "noisy"
        metric = energy if self.success_metric == "noisy" else energies[self.success_metric]
        success = abs(metric - e_ref) < self.threshold
        terminated = truncated = False
        if success:
            reward, terminated = float(cfg.success_reward), True
        elif self.steps >= self.max_steps:
            reward, truncated = float(cfg.failure_reward), True
        else:
            reward = 0.0
            if cfg.reward == "incremental":
                reward = float(np.clip((prev - energy) / max(abs(prev - e_ref), 1e-12), -1.0, 1.0))
            truncated = self.halting_step is not None and self.steps >= self.halting_step
        if energies["noiseless"] is None and (terminated or truncated):  # the episode's last circuit
            energies["noiseless"] = float(self._simulator(False).energy(self.angles))
        errors = self._errors(energies)

        record = None
        if energy < self.episode_best_energy:
            record = self._record(energy, energies, errors)
            self.episode_best_energy, self.episode_best_record = energy, record
        if energy < self.best_energy:
            self.best_energy, self.best_record = energy, record or self._record(energy, energies, errors)
        self.episode_best_metric = min(self.episode_best_metric, metric)
        info = {
            "energy": energy,
            **self._metric_info(energies),
            "error": None if self.e0 is None else energy - self.e0,
            "energy_offset": offset,
            "success_offset": metric - e_ref,
            "reference_energy": e_ref,
            "e0": self.e0,
            "threshold": self.threshold,
            "success": success,
            "is_success": success,
            "num_gates": len(self.circuit),
            "num_cnots": self.circuit.num_two_qubit_gates,
            "num_rotations": self.circuit.num_rotations,
            "depth": self.encoder.depth,
            "circuit": self.circuit.copy(),
            "angles": tuple(float(a) for a in self.angles),  # a tuple: see "Info" (vector envs)
            "nfev": nfev,
            "episode_nfev": self.episode_nfev,
            "step": self.steps,
            "halting_step": self.halting_step,
            "episode_best_energy": self.episode_best_energy,
            "episode_best_offset": self.episode_best_metric - e_ref,
            "action_mask": self.action_masks(),
        }
        return self._observation(), reward, terminated, truncated, info

    def _record(self, energy: float, energies: dict, errors: dict) -> dict:
        return {
            "energy": energy,
            "energy_exact": energies["noisy"],
            "energy_noiseless": energies["noiseless"],
            "energies": dict(energies),
            "errors": dict(errors),
            "success_metric": self.success_metric,
            "error": None if self.e0 is None else energy - self.e0,
            "offset": energy - self.reference_energy,
            "circuit": self.circuit.copy(),
            "angles": self.angles.copy(),
            "episode": self.episodes,
            "step": self.steps,
            "threshold": self.threshold,
        }

    # ------------------------------------------------------------------ export, render, pickling
    def export_circuit(self, which: str = "current") -> dict:
        """JSON-ready ``{"circuit": Circuit.to_dict(), "angles": [...], ...}`` of the current circuit,
        this episode's best (``"episode_best"``) or the best over all episodes (``"best"``)."""
        if which == "current":
            if self.circuit is None:
                raise ValidationError("no circuit yet: call reset() first")
            rec = {"circuit": self.circuit, "angles": self.angles, "energy": self.energy}
        elif which in ("best", "episode_best"):
            rec = self.best_record if which == "best" else self.episode_best_record
            if rec is None:
                raise ValidationError(f"no {which} circuit yet: take a step first")
        else:
            raise ValidationError(f"which must be 'current', 'episode_best' or 'best'; got {which!r}")
        out = {k: v for k, v in rec.items() if k not in ("circuit", "angles")}
        out.update(
            circuit=rec["circuit"].to_dict(),
            angles=[float(x) for x in rec["angles"]],
            problem=self.problem_id,
            noise=_noise_name(self.config.noise),
        )
        return out

    def render(self):
        if self.render_mode != "ansi":
            return None
        if self.circuit is None:
            return "(no circuit: call reset())"
        gates = []
        for ins in self.circuit.instructions:
            q = ",".join(map(str, ins.qubits))
            gates.append(f"{ins.name}({q})" + (f"[{self.angles[ins.param]:+.4f}]" if ins.param is not None else ""))
        return f"step {self.steps}/{self.max_steps}  E={self.energy:.8f}  threshold={self.threshold:.3e}\n" + (
            " ".join(gates) or "(empty)"
        )

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_optimizer"] = None  # rebuilt from the config on first use
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "success_metric" not in state:  # pickled by a crlqas without success metrics (a checkpoint)
            self.success_metric = "noisy"  # what success meant then
            self.episode_best_metric = self.episode_best_energy
            self._readout, self._mitigable = self._readout_errors()
            self._initial = None  # then a tuple; recomputed at the next reset (no randomness)


def _noise_name(noise):
    return noise if noise is None or isinstance(noise, str) else noise.name
