"""Adam-SPSA (the CRLQAS paper's variant) and its three-stage shot-budget schedule SPSA3.

Adam-SPSA, exactly as spec section 8: for k = 0, 1, ...::

    a_k = a / (k+1)^alpha,  c_k = c / (k+1)^gamma,  Delta_k Rademacher +-1
    g = [f(x + c_k Delta) - f(x - c_k Delta)] / (2 c_k Delta)          (elementwise)
    beta1_k = beta1 / (k+1)^lambda
    m = beta1_k m + (1 - beta1_k) g;   v = beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1_k^(k+1));   v_hat = v / (1 - beta2^(k+1))
    x -= a_k m_hat / (sqrt(v_hat) + 1e-8)

Each iteration costs two evaluations (iterations = budget // 2); the answer is the best point
evaluated.  The paper's tuned hyper-parameters are available as presets (:data:`PRESETS`, e.g.
``AdamSPSA(preset="lih-4q")``); without a preset the LiH-4q values are used.

SPSA3 runs **one continuous schedule** (k, m, v and x carry over) through three stages whose
evaluations use ``N/100``, ``N/10`` and ``N`` shots (``N`` = the objective's shots) and whose
evaluation budgets are split 10:3:1 (1667 -> 1191/357/119; an odd evaluation left over by a stage
carries to the next).  **Best-so-far compares like with like**: the best point is tracked per stage
and the result is the best point of the *final* (``N``-shot) stage; the earlier stages' bests are in
``result.info["stage_best"]``.  (The published code compared values from different shot budgets,
so a lucky low-shot value could win.)  With exact energies (``shots=None``) the stages differ only
in budget.

Speed: when the objective is an :class:`~qnoise.optimizers.energy.EnergyFunction` (either engine:
PTM for noisy models, statevector for noiseless ones), whole stages run inside one compiled call
(:mod:`qnoise.optimizers._spsa_kernel`); otherwise (``use_kernel=False``, a plain callable, or an
objective whose ``kernel_args()`` is ``None``) each iteration makes one batched call for its
perturbation pair.  The two paths give the same results bit for bit, shot noise and callbacks
included: directions are drawn per stage and shot noise per evaluation from the run's generator in
the same order, the compiled loop computes the same energies and rounds as NumPy does, and with a
callback the compiled loop runs chunks of :data:`CALLBACK_CHUNK` iterations whose bookkeeping
(evaluations, best point, history, callback) is then replayed per iteration, so a callback that
stops the run stops it at its own iteration.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError
from .base import Objective, Optimizer
from .spsa import _nonnegative, _positive, rademacher

#: the paper's tuned values (a, alpha, c, gamma, lam, beta1, beta2) with the shots they were tuned at
PRESETS = {
    "lih-4q": dict(a=1.8658, alpha=0.9451, c=0.046, gamma=0.1397, lam=0.0138, beta1=0.9658, beta2=0.8594),
    "lih-6q": dict(a=1.7564, alpha=0.8365, c=0.1068, gamma=0.1549, lam=0.1223, beta1=0.6841, beta2=0.9048),
    "h2-2q": dict(a=1.2104, alpha=0.9531, c=0.1039, gamma=0.0984, lam=0.9277, beta1=0.9414, beta2=0.9983),
    "h2-3q": dict(a=0.5188, alpha=0.9859, c=0.0938, gamma=0.0974, lam=0.6483, beta1=0.716, beta2=0.6265),
}
PRESET_NOTES = {
    "lih-4q": "LiH 4 qubits, 1e7 shots, SPSA3 budget 1191/357/119",
    "lih-6q": "LiH 6 qubits",
    "h2-2q": "noisy H2 2 qubits, 1e3 shots, maxfev 500",
    "h2-3q": "noisy H2 3 qubits, 1e4 shots, maxfev 500",
}
EPS = 1e-8
CALLBACK_CHUNK = 25  # iterations per compiled call when a callback wants progress


def _preset(name):
    if name is None:
        return dict(PRESETS["lih-4q"])
    if name not in PRESETS:
        import difflib

        close = difflib.get_close_matches(str(name), list(PRESETS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValidationError(f"unknown Adam-SPSA preset {name!r}{hint} (known: {', '.join(PRESETS)})")
    return dict(PRESETS[name])


class _State:
    def __init__(self, x):
        self.x, self.m, self.v, self.k = x, np.zeros_like(x), np.zeros_like(x), 0


class AdamSPSA(Optimizer):
    """Adam-SPSA; keyword arguments override the preset's values (``lam`` is the paper's lambda)."""

    name = "adam-spsa"

    def __init__(
        self,
        preset: str | None = None,
        *,
        a=None,
        alpha=None,
        c=None,
        gamma=None,
        lam=None,
        beta1=None,
        beta2=None,
        eps: float = EPS,
        use_kernel: bool | str = "auto",
    ):
        hp = _preset(preset)
        for key, val in dict(a=a, alpha=alpha, c=c, gamma=gamma, lam=lam, beta1=beta1, beta2=beta2).items():
            if val is not None:
                hp[key] = val
        for key in ("a", "c"):
            hp[key] = _positive(key, hp[key])
        for key in ("alpha", "gamma", "lam"):
            hp[key] = _nonnegative(key, hp[key])
        for key in ("beta1", "beta2"):
            b = _nonnegative(key, hp[key])
            if not b < 1:
                raise ValidationError(f"{key} must be in [0, 1); got {hp[key]!r}")
            hp[key] = b
        if use_kernel not in ("auto", True, False):
            raise ValidationError(f"use_kernel must be 'auto', True or False; got {use_kernel!r}")
        self.hyper = hp
        self.eps = _positive("eps", eps)
        self.use_kernel = use_kernel
        self.preset = preset
        self.options = dict(preset=preset, **hp, eps=eps)

    # ------------------------------------------------------------------ schedule
    def _stages(self, obj: Objective) -> list[tuple[int, int | None]]:
        """``[(evaluations, shots), ...]``; one stage at the objective's shots."""
        return [(obj.budget, obj.shots)]

    def _run(self, obj: Objective, x: np.ndarray, rng: np.random.Generator):
        st = _State(x)
        self._x_last = st.x
        kargs = self._kernel_args(obj)
        stages = self._stages(obj)
        self._info = {
            "hyper": dict(self.hyper),
            "compiled": kargs is not None,
            "stage_budget": [b for b, _ in stages],
            "stage_shots": [s for _, s in stages],
        }
        carry = 0
        for budget, shots in stages:
            if len(stages) > 1:
                obj.new_stage(shots)
            iters = min(budget + carry, obj.remaining) // 2
            carry = budget + carry - 2 * iters
            deltas = rademacher(rng, (iters, x.size))
            if kargs is not None:
                self._stage_kernel(obj, st, deltas, rng, kargs)
            else:
                self._stage_python(obj, st, deltas)
        if len(stages) > 1:
            self._info["stage_best"] = [float(f) for _, f in obj.stage_bests] + [obj.best_fun]
        return st.x, "evaluation budget reached" if obj.remaining < 2 else "schedule complete"

    def _kernel_args(self, obj: Objective):
        if self.use_kernel is False or not obj.energy:
            if self.use_kernel is True:
                raise ValidationError("use_kernel=True needs an EnergyFunction objective")
            return None
        kargs = obj.fun.kernel_args()
        if kargs is None and self.use_kernel is True:
            raise ValidationError("use_kernel=True, but the objective offers no packed program (kernel_args() is None)")
        return kargs

    def _hyper_array(self) -> np.ndarray:
        h = self.hyper
        return np.array([h["a"], h["alpha"], h["c"], h["gamma"], h["lam"], h["beta1"], h["beta2"], self.eps])

    # ------------------------------------------------------------------ one stage
    def _perturbation_gain(self, kp1: float) -> float:
        return self.hyper["c"] / kp1 ** self.hyper["gamma"]

    def _stage_python(self, obj: Objective, st: _State, deltas: np.ndarray) -> None:
        h = self.hyper
        for d in deltas:
            kp1 = st.k + 1.0
            ak, ck = h["a"] / kp1 ** h["alpha"], self._perturbation_gain(kp1)
            fp, fm = obj.batch(_pair(st.x, ck, d))
            g = (fp - fm) / (2.0 * ck) / d
            b1k = h["beta1"] / kp1 ** h["lam"]
            st.m = b1k * st.m + (1.0 - b1k) * g
            st.v = h["beta2"] * st.v + (1.0 - h["beta2"]) * g * g
            m_hat = st.m / (1.0 - b1k**kp1)
            v_hat = st.v / (1.0 - h["beta2"] ** kp1)
            st.x = st.x - ak * m_hat / (np.sqrt(v_hat) + self.eps)
            st.k += 1
            self._x_last = st.x
            obj.record(st.x, 0.5 * (fp + fm))

    def _stage_kernel(self, obj: Objective, st: _State, deltas: np.ndarray, rng, kargs) -> None:
        from ._spsa_kernel import adam_spsa_iterations

        iters = deltas.shape[0]
        # the Python loop's draws (EnergyFunction.evaluate): two normals per iteration with shots
        sigma = obj.fun.sigma(obj.shots)
        noise = np.zeros(2 * iters) if obj.shots is None else sigma * rng.standard_normal(2 * iters)
        hyper = self._hyper_array()
        chunk = iters if obj.callback is None else CALLBACK_CHUNK
        best_x = np.empty_like(st.x)
        for start in range(0, iters, max(chunk, 1)):
            n = min(start + chunk, iters) - start
            vals, xs = np.empty((n, 2)), np.empty((n, st.x.size))
            chunk_deltas, chunk_noise = deltas[start : start + n], noise[2 * start : 2 * (start + n)]
            best = adam_spsa_iterations(
                st.x, st.m, st.v, st.k, chunk_deltas, chunk_noise, hyper, best_x, vals, xs, *kargs
            )
            if not np.all(np.isfinite(vals)):
                raise ValidationError("the objective returned a non-finite value")
            if obj.callback is not None:
                self._replay(obj, st, chunk_deltas, vals, xs)
                continue
            st.k += n
            self._x_last = st.x
            nfev0 = obj.nfev
            obj.add_external(2 * n, best_x if math.isfinite(best) else None, best)
            obj.extend_history(0.5 * (vals[:, 0] + vals[:, 1]), nfev0 + 2 * np.arange(1, n + 1))

    def _replay(self, obj: Objective, st: _State, deltas: np.ndarray, vals: np.ndarray, xs: np.ndarray) -> None:
        """The Python loop's bookkeeping, iteration by iteration, of a chunk the kernel has run
        (``st.x`` is already its last iterate): a stopping callback leaves the run as it was then."""
        after = np.vstack([xs[1:], st.x[None, :]])
        for i, d in enumerate(deltas):
            obj.add_evaluated(_pair(xs[i], self._perturbation_gain(st.k + 1.0), d), vals[i])
            st.k += 1
            self._x_last = after[i]
            obj.record(after[i], 0.5 * (vals[i, 0] + vals[i, 1]))
        self._x_last = st.x


def _pair(x: np.ndarray, ck: float, d: np.ndarray) -> np.ndarray:
    """The perturbation pair ``x +- ck d`` (rows)."""
    return np.stack([x + ck * d, x - ck * d])


class SPSA3(AdamSPSA):
    """Three-stage Adam-SPSA: shots ``N * shot_fractions[s]``, evaluations split by ``split``."""

    name = "spsa3"

    def __init__(self, preset: str | None = None, *, split=(10, 3, 1), shot_fractions=(0.01, 0.1, 1.0), **kwargs):
        super().__init__(preset, **kwargs)
        split = tuple(split)
        fracs = tuple(shot_fractions)
        if len(split) != len(fracs) or not split:
            raise ValidationError(
                f"split and shot_fractions need the same (non-zero) length; got {split!r} and {fracs!r}"
            )
        for w in split:
            _positive("split weight", w)
        for f in fracs:
            _positive("shot fraction", f)
        self.split, self.shot_fractions = split, fracs
        self.options.update(split=split, shot_fractions=fracs)

    def stage_budgets(self, budget: int) -> list[int]:
        """Evaluations per stage: ``round(budget * w / sum(w))``, the last stage gets the rest."""
        total = float(sum(self.split))
        out = [round(budget * w / total) for w in self.split[:-1]]
        return out + [budget - sum(out)]

    def _stages(self, obj: Objective):
        shots = obj.shots
        stage_shots = [None if shots is None else max(1, round(shots * f)) for f in self.shot_fractions]
        return list(zip(self.stage_budgets(obj.budget), stage_shots))
