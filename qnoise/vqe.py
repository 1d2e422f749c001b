"""VQE on simulated noisy hardware in a few lines.

>>> from crlqas.qnoise.vqe import run_vqe
>>> r = run_vqe("h2-2q", "hea:1", noise=None, optimizer="cobyla", budget=300, seed=1)
>>> r.within_chemical_accuracy
True

:func:`run_vqe` builds the :class:`~qnoise.simulator.Simulator` (noise = ``None``, a
:class:`~qnoise.noise_model.NoiseModel` or a preset name of :func:`qnoise.devices.noise_preset`),
optimises with any optimizer of :mod:`qnoise.optimizers` under an evaluation budget (default:
the optimizer's entry in :data:`~qnoise.optimizers.registry.DEFAULT_BUDGETS`; ``shots`` adds the
paper's Gaussian shot noise to every evaluation), and reports

* ``energy``: the exact noisy energy ``Tr(rho H)`` of the final parameters (no shot noise; readout
  errors as measured),
* ``error = energy - E0``,
* ``mitigated_energy`` and ``mitigated_error``: the exact readout-mitigated energy of the same
  parameters (:meth:`~qnoise.simulator.Simulator.mitigated_energy`; equal to ``energy`` without
  readout errors; None when a readout error cannot be inverted and no mitigation was asked for),
* ``within_chemical_accuracy``: whether the optimised energy (``mitigated_energy`` with
  ``mitigation="readout"``, else ``energy``) is below ``E0 + problem.chemical_accuracy``,
* ``noiseless_energy``: the same parameters on an ideal device,
* ``estimate``: the optimizer's own (shot-noisy) value of its answer,
* ``nfev``, ``time_s``, ``params`` and the per-iteration ``history``.

``mitigation`` decides what the optimizer sees: ``"none"`` (default) the energy as measured,
``"readout"`` the readout-mitigated energy (exact, or with ``shots`` the paper's Gaussian noise with
the mitigation's amplified coefficients, :func:`qnoise.measurement.shot_noise_coeffs`).

Seeds: an int ``seed`` is split (``SeedSequence.spawn``) into one stream for the initial
parameters and one for the optimizer (perturbations and shot noise), so a seed reproduces a run.
Initial parameters default to ``uniform(-0.1, 0.1)`` per angle (near the all-zero state).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .errors import ValidationError
from .fileio import atomic_write_json, plain_fields

DEFAULT_INIT_SCALE = 0.1


@dataclass
class VQEResult:
    problem: str | None
    energy: float
    e0: float | None
    error: float | None
    within_chemical_accuracy: bool | None
    chemical_accuracy: float
    noiseless_energy: float
    estimate: float
    nfev: int
    nit: int
    budget: int
    time_s: float
    params: np.ndarray
    initial_params: np.ndarray
    history: np.ndarray
    history_nfev: np.ndarray
    optimizer: str
    optimizer_options: dict
    noise: str
    shots: int | None
    seed: int | None
    message: str
    num_qubits: int
    num_parameters: int
    circuit: dict = field(repr=False, default_factory=dict)
    optimizer_info: dict = field(repr=False, default_factory=dict)
    mitigation: str = "none"
    mitigated_energy: float | None = None
    mitigated_error: float | None = None

    def to_dict(self) -> dict:
        return plain_fields(self)

    def write_json(self, path) -> None:
        """Write :meth:`to_dict` to ``path`` atomically (temporary file + rename)."""
        atomic_write_json(path, self.to_dict())

    def summary(self) -> str:
        lines = [
            f"problem            {self.problem or '(custom Hamiltonian)'}  ({self.num_qubits} qubits, "
            f"{self.num_parameters} parameters)",
            f"noise              {self.noise}" + (f", {self.shots} shots" if self.shots else ", exact energies"),
            f"optimizer          {self.optimizer}  ({self.message})",
            f"energy             {self.energy:.10f} Ha  (exact noisy energy of the final parameters"
            + (", readout errors as measured)" if self.mitigation == "readout" else ")"),
        ]
        mitigated = self.mitigated_energy is not None and (
            self.mitigation == "readout" or self.mitigated_energy != self.energy
        )
        if self.e0 is not None:
            lines.append(self._error_line("error vs E0", self.error, self.mitigation == "none"))
        if mitigated:
            lines.append(
                f"mitigated energy   {self.mitigated_energy:.10f} Ha  (readout-mitigated"
                + ("; what the optimizer minimised)" if self.mitigation == "readout" else ")")
            )
            if self.e0 is not None:
                lines.append(self._error_line("mitigated error", self.mitigated_error, self.mitigation == "readout"))
        lines += [
            f"noiseless energy   {self.noiseless_energy:.10f} Ha  (same parameters, ideal device)",
            f"optimizer estimate {self.estimate:.10f} Ha",
            f"evaluations        {self.nfev} / {self.budget}  ({self.nit} iterations)",
            f"time               {self.time_s:.3f} s",
        ]
        return "\n".join(lines)

    def _error_line(self, name: str, error: float, verdict: bool) -> str:
        judged = ""
        if verdict:
            judged = f"; {'within' if self.within_chemical_accuracy else 'NOT within'} chemical accuracy "
            judged += f"{self.chemical_accuracy:g}"
        return f"{name:18s} {error:+.3e} Ha  (E0 = {self.e0:.10f}{judged})"


# ---------------------------------------------------------------------- inputs
def resolve_problem(problem_or_hamiltonian):
    """``(problem id or None, Hamiltonian, e0 or None, chemical accuracy)``."""
    from .hamiltonian import Hamiltonian
    from .problems import CHEMICAL_ACCURACY, Problem, get_problem

    if isinstance(problem_or_hamiltonian, str):
        problem_or_hamiltonian = get_problem(problem_or_hamiltonian)
    if isinstance(problem_or_hamiltonian, Problem):
        p = problem_or_hamiltonian
        return p.id, p.hamiltonian, p.e0, p.chemical_accuracy
    if isinstance(problem_or_hamiltonian, Hamiltonian):
        h = problem_or_hamiltonian
        e0 = float(h.ground_energy()) if h.num_qubits <= 14 else None
        return None, h, e0, CHEMICAL_ACCURACY
    raise ValidationError(
        f"expected a problem id, a Problem or a Hamiltonian; got {type(problem_or_hamiltonian).__name__}"
    )


def resolve_noise(noise):
    """``(NoiseModel or None, label)`` from None, a NoiseModel or a preset name."""
    from .noise_model import NoiseModel

    if noise is None:
        return None, "noiseless"
    if isinstance(noise, NoiseModel):
        return noise, noise.name
    if isinstance(noise, str):
        if noise.strip().lower() in ("noiseless", "none", "ideal"):
            return None, "noiseless"
        from .devices import noise_preset

        return noise_preset(noise), noise
    raise ValidationError(f"noise must be None, a NoiseModel or a preset name; got {type(noise).__name__}")


def resolve_circuit(ansatz_or_circuit, num_qubits: int):
    from .ansatz import from_spec
    from .circuit import Circuit

    if isinstance(ansatz_or_circuit, Circuit):
        return ansatz_or_circuit
    if isinstance(ansatz_or_circuit, str):
        return from_spec(ansatz_or_circuit, num_qubits)
    if callable(ansatz_or_circuit):
        c = ansatz_or_circuit(num_qubits)
        if isinstance(c, Circuit):
            return c
    raise ValidationError(
        f"expected a Circuit, an ansatz spec like 'hea:2' or a callable "
        f"num_qubits -> Circuit; got {type(ansatz_or_circuit).__name__}"
    )


def _streams(seed):
    if isinstance(seed, np.random.Generator):
        return seed, seed
    from .measurement import as_generator

    as_generator(seed)  # validates
    init, opt = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init), np.random.default_rng(opt)


# ---------------------------------------------------------------------- runner
def run_vqe(
    problem_or_hamiltonian,
    ansatz_or_circuit,
    noise=None,
    optimizer="adam-spsa",
    budget: int | None = None,
    shots: int | None = None,
    seed=0,
    callback=None,
    progress: bool = False,
    initial_params=None,
    optimizer_options: dict | None = None,
    mitigation: str = "none",
) -> VQEResult:
    """Run VQE; see the module docstring.  ``callback(info)`` gets each iteration's
    :class:`~qnoise.optimizers.base.IterationInfo` (return True to stop)."""
    from .optimizers import EnergyFunction, get_optimizer
    from .optimizers.base import Optimizer, check_budget
    from .simulator import Simulator

    pid, ham, e0, chem = resolve_problem(problem_or_hamiltonian)
    model, noise_label = resolve_noise(noise)
    circuit = resolve_circuit(ansatz_or_circuit, ham.num_qubits)
    if isinstance(optimizer, Optimizer):
        opt, opt_name = optimizer, optimizer.name
        if optimizer_options:
            raise ValidationError("optimizer_options apply to an optimizer given by name only")
    else:
        opt = get_optimizer(optimizer, **(optimizer_options or {}))
        opt_name = opt.name
    if budget is None:
        from .optimizers.registry import DEFAULT_BUDGETS

        budget = DEFAULT_BUDGETS.get(opt_name, 1000)
    budget = check_budget(budget)
    sim = Simulator(circuit, ham, model)
    target = sim.with_mitigation(mitigation)  # what the optimizer sees (validates mitigation)
    fun = EnergyFunction(target, shots=shots)
    init_rng, opt_rng = _streams(seed)
    if initial_params is None:
        x0 = init_rng.uniform(-DEFAULT_INIT_SCALE, DEFAULT_INIT_SCALE, circuit.num_parameters)
    else:
        x0 = circuit.check_parameters(initial_params).copy()

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=budget, unit="eval", desc=f"VQE {opt_name}", disable=None, leave=False)

    def cb(info):
        if bar is not None:
            bar.update(info.nfev - bar.n)
            bar.set_postfix_str(f"E={info.fun:.6f}", refresh=False)
        return bool(callback(info)) if callback is not None else False

    t0 = time.perf_counter()
    try:
        res = opt.minimize(fun, x0, budget, seed=opt_rng, callback=cb if (bar or callback) else None)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0
    energy = sim.energy(res.x)
    try:
        mitigated = sim.mitigated_energy(res.x)
    except ValidationError:  # a readout error without inverse (mitigation="none" was asked for)
        mitigated = None
    noiseless = energy if model is None or model.is_ideal() else Simulator(circuit, ham, None).energy(res.x)
    error = None if e0 is None else energy - e0
    mitigated_error = None if e0 is None or mitigated is None else mitigated - e0
    judged = mitigated_error if mitigation == "readout" else error
    return VQEResult(
        problem=pid,
        energy=energy,
        e0=e0,
        error=error,
        within_chemical_accuracy=None if judged is None else bool(judged < chem),
        chemical_accuracy=chem,
        noiseless_energy=float(noiseless),
        estimate=float(res.fun),
        nfev=res.nfev,
        nit=res.nit,
        budget=budget,
        time_s=elapsed,
        params=np.asarray(res.x, dtype=float),
        initial_params=x0,
        history=res.history,
        history_nfev=res.history_nfev,
        optimizer=opt_name,
        optimizer_options=dict(getattr(opt, "options", {})),
        noise=noise_label,
        shots=fun.shots,
        seed=seed if isinstance(seed, (int, np.integer)) else None,
        message=res.message,
        num_qubits=circuit.num_qubits,
        num_parameters=circuit.num_parameters,
        circuit=circuit.to_dict(),
        optimizer_info=res.info,
        mitigation=target.mitigation,
        mitigated_energy=mitigated,
        mitigated_error=mitigated_error,
    )


def plot_history(result: VQEResult, path) -> None:
    """Energy history (optimizer values per iteration, against evaluations) and E0, to the PNG
    ``path`` (written atomically).  Draws on its own matplotlib ``Figure``: no pyplot, no change
    of the process's backend."""
    from io import BytesIO

    from .errors import require
    from .fileio import atomic_write_bytes

    require("matplotlib", "plot")
    from matplotlib.figure import Figure

    unit = _energy_unit(result.problem)
    u = f" {unit}" if unit else ""
    final = "final energy" if result.noise == "noiseless" else "final noisy energy"
    errors = result.e0 is not None and len(result.history) > 0
    fig = Figure(figsize=(6.4, 6.0 if errors else 4.0), layout="constrained")
    axes = fig.subplots(2 if errors else 1, 1, sharex=True, squeeze=False, height_ratios=[3, 2] if errors else None)
    ax = axes[0, 0]
    if len(result.history):
        ax.plot(result.history_nfev, result.history, lw=1.0, label=f"{result.optimizer} (per iteration)")
    ax.axhline(result.energy, color="C1", lw=1.0, label=f"{final} = {result.energy:.6f}{u}")
    if result.mitigation == "readout" and result.mitigated_energy is not None:  # what the optimizer saw
        m = result.mitigated_energy
        ax.axhline(m, color="C2", lw=1.0, label=f"final readout-mitigated energy = {m:.6f}{u}")
    if result.e0 is not None:  # drawn over the final energy, which is often within a line width of it
        ax.axhline(result.e0, color="k", ls="--", lw=1.0, zorder=3, label=f"E0 (exact) = {result.e0:.6f}{u}")
    ax.set_ylabel(f"energy ({unit})" if unit else "energy")
    ax.set_title(
        f"VQE {result.problem or '(custom Hamiltonian)'}, noise {result.noise}"
        + (f", {result.shots} shots" if result.shots else "")
    )
    ax.legend(fontsize=8)
    if errors:  # the approach to E0 on a log scale, where chemical accuracy is visible
        ax = axes[1, 0]
        ax.plot(result.history_nfev, np.abs(np.asarray(result.history) - result.e0), lw=1.0)
        ax.axhline(
            result.chemical_accuracy,
            color="g",
            ls="--",
            lw=1.0,
            label=f"{'chemical accuracy' if unit else 'accuracy threshold'} ({result.chemical_accuracy:g}{u})",
        )
        ax.set_yscale("log")
        ax.set_ylabel(f"|E - E0| ({unit})" if unit else "|E - E0|")
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("energy evaluations")
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    atomic_write_bytes(path, buf.getvalue())


def _energy_unit(problem) -> str:
    """``"Ha"`` for a molecule's energies; ``""`` (no unit) for a spin model (units of its
    couplings) or a Hamiltonian of unknown origin."""
    from .errors import CrlqasError
    from .problems import get_problem

    try:
        return "Ha" if problem and get_problem(problem).kind == "molecule" else ""
    except CrlqasError:
        return ""


__all__ = ["VQEResult", "plot_history", "resolve_circuit", "resolve_noise", "resolve_problem", "run_vqe"]
