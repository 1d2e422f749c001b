"""A method of a suite's own for tests/test_experiments.py (declared in a suite's ``[methods]`` by
file path, so Ray workers load it without this folder on their path): a fixed one-layer RY + CNOT
circuit at seeded small angles, its three energies computed exactly by qnoise."""

from __future__ import annotations

import time


def fixed_ansatz(problem, noise, *, seed, metric, sleep: float = 0.0, fail: bool = False):
    """The record of ``RY`` on every qubit and a CNOT chain at angles drawn from ``seed``; ``sleep``
    seconds spent first; ``fail``: raise a ValidationError instead."""
    import numpy as np

    from crlqas.qnoise.circuit import Circuit
    from crlqas.qnoise.errors import ValidationError
    from crlqas.qnoise.problems import get_problem
    from crlqas.qnoise.results import ResultRecord
    from crlqas.qnoise.vqe import resolve_noise

    if fail:
        raise ValidationError(f"fixed_ansatz was told to fail (seed {seed})")
    start = time.perf_counter()
    time.sleep(sleep)
    p = get_problem(problem)
    n = p.hamiltonian.num_qubits
    circuit = Circuit(n)
    for q in range(n):
        circuit.ry(q)
    for q in range(n - 1):
        circuit.cx(q, q + 1)
    angles = np.random.default_rng(seed).uniform(-0.2, 0.2, circuit.num_parameters)
    model, _ = resolve_noise(noise)
    return ResultRecord.from_circuit(
        method="fixed-ansatz",
        problem=p,
        noise=noise,
        seed=seed,
        metric=metric,
        circuit=circuit,
        angles=angles,
        noise_model=model,
        evaluations=1,
        wall_time=time.perf_counter() - start,
    )
