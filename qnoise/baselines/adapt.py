"""qubit-ADAPT-VQE (Tang et al., PRX Quantum 2, 020310 (2021)) on the noisy simulator.

Start from a reference basis state (``reference="hf"``: the problem's Hartree-Fock bit string, or the
computational basis state of lowest energy when the problem has none; ``"zero"``; or a bit string,
qubit 0 right-most), prepared with ``x`` gates.  Each iteration

1. measures the energy gradient of every pool operator (:mod:`.pools`) on the current **noisy**
   state: ``g_k = dE/dtheta`` at ``theta = 0`` of the current circuit followed by the compiled
   ``exp(-i theta P_k / 2)`` (:mod:`.pauli_exp`), its gates noisy like every other gate; computed
   exactly by the parameter-shift rule ``(E(pi/2) - E(-pi/2)) / 2`` on the noise model (exact,
   since the energy is ``a + b cos theta + c sin theta`` whatever parameter-independent noise acts
   around the rotation), so each gradient costs 2 energy evaluations, as it would on hardware;
2. appends the operator of largest ``|g_k|`` at angle 0 and re-optimises all angles (the inner
   optimiser of :mod:`.common`, warm-started from the previous angles);
3. stops at the first of: gradient norm ``||g|| < grad_tol``; ``max_operators`` operators;
   chemical accuracy by the chosen metric (``stop_at_accuracy``); the evaluation ``budget`` cannot
   pay the next gradient measurement plus one optimiser evaluation; ``patience`` iterations in a
   row without a lower error by the metric (``None``: never).  Under noise the last rule is what
   ends a run: each operator's gates add noise, so past a few operators the noisy error grows while
   the pool's gradients stay above any useful ``grad_tol``.

The result is the iteration (the reference state included) with the lowest error by the metric,
fewer operators breaking ties; ``extra["iterations"]`` lists every iteration.
"""

from __future__ import annotations

import math

import numpy as np

from ..circuit import Circuit
from ..errors import ValidationError
from .common import metric_error, start
from .pauli_exp import append_pauli_exp
from .pools import get_pool
from .progress import Progress

DEFAULT_MAX_OPERATORS = 30
DEFAULT_GRAD_TOL = 1e-3
DEFAULT_PATIENCE = 3
HALF_PI = math.pi / 2


def reference_bits(problem, reference: str = "hf") -> str:
    """The reference basis state as a bit string (qubit 0 right-most; module docstring)."""
    n = problem.num_qubits
    if reference == "zero":
        return "0" * n
    if reference == "hf":
        bits = ((problem.metadata or {}).get("reference") or {}).get("hf_bitstring")
        return bits if bits else lowest_basis_state(problem.hamiltonian)
    if isinstance(reference, str) and len(reference) == n and set(reference) <= {"0", "1"}:
        return reference
    raise ValidationError(
        f"reference must be 'hf', 'zero' or a bit string of {n} 0s and 1s (qubit 0 right-most); got {reference!r}"
    )


def lowest_basis_state(hamiltonian) -> str:
    """The computational basis state ``|b>`` of lowest ``<b|H|b>`` (only I/Z terms contribute)."""
    n = hamiltonian.num_qubits
    if n > 24:
        raise ValidationError(f"the lowest basis state of {n} qubits is too costly to find; give reference='zero'")
    b = np.arange(2**n)
    diag = np.full(2**n, float(hamiltonian.constant))
    for codes, w in zip(hamiltonian.codes, hamiltonian.coeffs):
        if np.all((codes == 0) | (codes == 3)):
            parity = np.zeros_like(b)
            for q in np.flatnonzero(codes == 3):
                parity ^= (b >> q) & 1
            diag += w * (1 - 2 * parity)
    return format(int(np.argmin(diag)), f"0{n}b")


def reference_circuit(num_qubits: int, bits: str) -> Circuit:
    """``x`` on every qubit whose bit is 1 (``bits[-1 - q]`` is qubit ``q``)."""
    circuit = Circuit(num_qubits)
    for q in range(num_qubits):
        if bits[-1 - q] == "1":
            circuit.x(q)
    return circuit


def pool_gradients(circuit: Circuit, angles, labels, hamiltonian, noise_model=None) -> np.ndarray:
    """``dE/dtheta`` at ``theta = 0`` of ``circuit`` (at ``angles``) followed by the compiled
    ``exp(-i theta P / 2)``, for every label ``P``: exact noisy parameter-shift gradients (module
    docstring), 2 energy evaluations each."""
    from ..simulator import Simulator

    angles = np.asarray(angles, dtype=float).reshape(-1)
    shifted = np.tile(np.append(angles, 0.0), (2, 1))
    shifted[0, -1], shifted[1, -1] = HALF_PI, -HALF_PI
    out = np.empty(len(labels))
    for k, label in enumerate(labels):
        c = append_pauli_exp(circuit.copy(), label, param=circuit.num_parameters)
        e = Simulator(c, hamiltonian, noise_model).energies(shifted)
        out[k] = 0.5 * (e[0] - e[1])
    return out


def run_adapt(
    problem,
    noise="none",
    *,
    seed: int = 0,
    metric: str = "noiseless",
    budget: int | None = None,
    progress=None,
    pool="odd-y4",
    reference: str = "hf",
    max_operators: int = DEFAULT_MAX_OPERATORS,
    grad_tol: float = DEFAULT_GRAD_TOL,
    stop_at_accuracy: bool = True,
    patience: int | None = DEFAULT_PATIENCE,
    **inner,
):
    """qubit-ADAPT-VQE on ``problem`` under ``noise`` (module docstring); returns a
    :class:`~qnoise.results.ResultRecord` with method ``"adapt:<pool>"``.  ``pool`` is a name of
    :data:`.pools.POOLS` or a list of Pauli labels (method ``"adapt:custom"``); ``inner``: the
    inner optimiser's options (:data:`.common.INNER_OPTIONS`: ``optimizer``, ``optimizer_budget``,
    ``optimizer_options``, ``shots``)."""
    from ..results import circuit_energies

    run = start(problem, noise, seed=seed, metric=metric, budget=budget, **inner)
    problem, model, spent = run.problem, run.model, run.budget
    n, h = problem.num_qubits, problem.hamiltonian
    bits = reference_bits(problem, reference)
    if isinstance(pool, str):
        labels, pool_name = get_pool(pool, n, h, bits), pool
    else:
        labels, pool_name = _check_labels(pool, n), "custom"
    if isinstance(max_operators, bool) or not isinstance(max_operators, int) or max_operators < 1:
        raise ValidationError(f"max_operators must be a positive integer; got {max_operators!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValidationError(f"patience must be a positive integer or None; got {patience!r}")
    if not isinstance(grad_tol, (int, float)) or isinstance(grad_tol, bool) or not grad_tol >= 0:
        raise ValidationError(f"grad_tol must be a number >= 0; got {grad_tol!r}")
    report = Progress(progress, f"adapt:{pool_name}", max_operators)
    circuit, angles = reference_circuit(n, bits), np.zeros(0)
    energies = circuit_energies(circuit, angles, h, model)
    best = (circuit.copy(), angles, energies)
    best_key = (metric_error(energies, problem.e0, metric), 0)
    iterations = [_iteration(0, None, None, None, energies, problem.e0, circuit, 0)]
    ops: list[str] = []
    stop = "max operators"
    try:
        while True:
            error = metric_error(energies, problem.e0, metric)
            if stop_at_accuracy and problem.e0 is not None and error <= problem.chemical_accuracy:
                stop = "chemical accuracy"
                break
            if patience is not None and len(ops) - best_key[1] >= patience:
                stop = "patience"
                break
            if len(ops) >= max_operators:
                stop = "max operators"
                break
            if not spent.affords(2 * len(labels) + 1):
                stop = "budget"
                break
            grads = pool_gradients(circuit, angles, labels, h, model)
            spent.charge(2 * len(labels))
            norm = float(np.linalg.norm(grads))
            if norm < grad_tol:
                stop = "gradient norm"
                iterations[-1]["next_gradient_norm"] = norm
                break
            k = int(np.argmax(np.abs(grads)))
            append_pauli_exp(circuit, labels[k], param=circuit.num_parameters)
            ops.append(labels[k])
            angles, energies, nfev = run.inner.optimize(problem, circuit, model, np.append(angles, 0.0), spent, run.rng)
            iterations.append(
                _iteration(len(ops), labels[k], float(grads[k]), norm, energies, problem.e0, circuit, nfev)
            )
            key = (metric_error(energies, problem.e0, metric), len(ops))
            if key < best_key:
                best, best_key = (circuit.copy(), angles.copy(), dict(energies)), key
            report.update(len(ops), op=labels[k], grad=norm, error=iterations[-1]["errors"][metric], evals=spent.spent)
    finally:
        report.close()
    best_circuit, best_angles, best_energies = best
    return run.record(
        f"adapt:{pool_name}",
        best_circuit,
        best_angles,
        best_energies,
        spent.spent,
        extra={
            "operators": ops[: best_key[1]],
            "num_operators": best_key[1],
            "stop": stop,
            "reference": bits,
            "pool": pool_name,
            "pool_size": len(labels),
            "iterations": iterations,
            "budget": spent.total,
            "patience": patience,
            **run.inner.describe(),
        },
    )


def _iteration(index, label, gradient, norm, energies, e0, circuit, nfev) -> dict:
    return {
        "operators": index,
        "added": label,
        "gradient": gradient,
        "gradient_norm": norm,
        "energies": dict(energies),
        "errors": {m: (None if e0 is None or v is None else float(v) - e0) for m, v in energies.items()},
        "num_cnots": circuit.num_two_qubit_gates,
        "num_gates": len(circuit),
        "depth": circuit.depth(),
        "evaluations": nfev,
    }


def _check_labels(pool, n: int) -> list[str]:
    from .pauli_exp import support

    try:
        labels = [str(p).upper() for p in pool]
    except TypeError:
        raise ValidationError(f"pool must be a pool name or a list of Pauli labels; got {pool!r}") from None
    if not labels:
        raise ValidationError("a custom pool needs at least one Pauli label")
    for p in labels:
        if len(p) != n or not support(p):
            raise ValidationError(f"pool label {p!r} is not a non-identity Pauli label on {n} qubits")
    return labels


__all__ = ["lowest_basis_state", "pool_gradients", "reference_bits", "reference_circuit", "run_adapt"]
