"""A simulator's energy as an optimizer objective, with the paper's Gaussian shot-noise model.

:class:`EnergyFunction` wraps a :class:`~qnoise.simulator.Simulator`.  With ``shots=None`` the
values are exact noisy energies; with ``shots=N`` each evaluation adds the CRLQAS paper's shot noise
``sum_i w_i N(0, 1/N)`` (:func:`qnoise.measurement.gaussian_shot_noise`).  That sum of independent
normals is itself normal with variance ``sum_i w_i^2 / N``, so it is drawn here as **one** normal of
that variance per evaluation: distributionally identical, and one draw instead of one per term.

The generator is the optimizer's (passed at each call), so a seed reproduces a whole run.

Gradients (:meth:`EnergyFunction.evaluate_with_gradient`) are the simulator's exact gradients; with
shots each component gets the noise of a parameter-shift estimate ``(f(x+pi/2) - f(x-pi/2)) / 2``
under the same model, ``N(0, sigma^2 / 2)`` independently per parameter (exact for parameters used
by one rotation each).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError
from ..measurement import check_shots


class EnergyFunction:
    """``E(x)`` of ``simulator`` with optional Gaussian shot noise (``shots``)."""

    def __init__(self, simulator, shots: int | None = None):
        from ..simulator import Simulator

        if not isinstance(simulator, Simulator):
            raise ValidationError(f"EnergyFunction needs a qnoise Simulator; got {type(simulator).__name__}")
        self.simulator = simulator
        self.shots = None if shots is None else check_shots(shots)
        self.num_params = simulator.circuit.num_parameters
        if self.num_params == 0:
            raise ValidationError("the circuit has no parameters to optimise")
        self._w2 = float(np.sum(np.asarray(simulator.shot_noise_coeffs) ** 2))  # mitigation-aware

    def sigma(self, shots: int | None) -> float:
        """Standard deviation of one energy estimate with ``shots`` (0 for exact)."""
        return 0.0 if shots is None else math.sqrt(self._w2 / shots)

    def __call__(self, x) -> float:
        """The exact noisy energy (no shot noise)."""
        return self.simulator.energy(x)

    def evaluate(self, X: np.ndarray, shots: int | None, rng: np.random.Generator) -> np.ndarray:
        """Energies of the rows of ``X`` (one batched call), plus shot noise when ``shots``."""
        e = self.simulator.energies(X)
        if shots is not None:
            e = e + self.sigma(shots) * rng.standard_normal(e.shape[0])
        return e

    def evaluate_with_gradient(self, x, shots: int | None, rng: np.random.Generator):
        f, g = self.simulator.energy_and_gradient(x)
        if shots is not None:
            s = self.sigma(shots)
            f = f + s * rng.standard_normal()
            g = g + (s / math.sqrt(2.0)) * rng.standard_normal(g.shape[0])
        return float(f), np.asarray(g, dtype=np.float64)

    def kernel_args(self):
        """The simulator's packed program and observable (:attr:`qnoise.simulator.Simulator.packed`,
        either engine) for the in-kernel optimisation loops (:mod:`qnoise.optimizers._spsa_kernel`),
        or ``None`` (the Python loop) when the statevector engine would spread a pair of evaluations
        over threads (large states, where the Python loop's cost is negligible in comparison)."""
        sim = self.simulator
        if sim.engine == "statevector" and sim._sv.parallel_batch(2, sim.observable):
            return None
        return sim.packed

    def __repr__(self) -> str:
        return f"EnergyFunction({self.simulator.circuit!r}, shots={self.shots})"
