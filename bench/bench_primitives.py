"""Benchmark: qnoise's Qiskit ``Estimator`` against Qiskit Aer's ``EstimatorV2`` under ``mumbai-median``.

For each problem (H2 2 qubits, LiH 4 and 6 qubits) the ansatz is Qiskit's ``efficient_su2(n,
reps=2)`` (``ry``, ``rz``, ``cx``) and the observable the problem's Hamiltonian (all its terms, one
``SparsePauliOp``).  Both primitives get the same noise: qnoise's ``Estimator("mumbai-median")``
(the preset: depolarizing + thermal relaxation after every gate, as the paper ran IBM Mumbai) and
Aer's ``EstimatorV2`` with ``method="density_matrix"`` and the same channels as an Aer
``NoiseModel`` (each preset channel in Kraus form, attached to the same gates); both compute exact
expectation values (precision 0, readout errors not applied, Aer's semantics).  The script checks
that the two agree (``max |dE|``) before timing.

Figures, measured in the same run, ratio = Aer / qnoise:

* ``first call``: the first ``run`` on the ansatz (qnoise compiles it then; later calls reuse it);
* ``per call``: median wall time of ``estimator.run([(ansatz, H, theta)]).result()`` with fresh
  random ``theta`` each call (the cost of one VQE iteration's energy);
* ``VQE``: ``qiskit_algorithms.VQE`` with COBYLA (``--maxiter`` iterations), wall time per
  energy evaluation.

Run (the machine is shared: low priority)::

    nice -n 15 python bench/bench_primitives.py [--repeats 20] [--maxiter 60] [--problems h2-2q,...] [--json OUT]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

PROBLEMS = ("h2-2q", "lih-4q-3.4", "lih-6q-2.2")
PRESET = "mumbai-median"


def aer_noise_model(preset: str, num_qubits: int):
    """The preset's channels as a Qiskit Aer noise model (Kraus errors on the same gates)."""
    from qiskit.quantum_info import Kraus
    from qiskit_aer.noise import NoiseModel, QuantumError, ReadoutError

    from crlqas.qnoise.devices import device_preset

    device = device_preset(preset).restrict(num_qubits)
    nm = NoiseModel()
    for entry in device.gate_noise:
        channel = entry.channel()
        if channel is None:
            continue
        error = QuantumError(Kraus(channel.kraus))
        if entry.qubits is None:
            nm.add_all_qubit_quantum_error(error, list(entry.gates), warnings=False)
        else:
            nm.add_quantum_error(error, list(entry.gates), list(entry.qubits), warnings=False)
    for r in device.readout:
        err = ReadoutError([[1 - r.p1_given0, r.p1_given0], [r.p0_given1, 1 - r.p0_given1]])
        if r.qubit is None:
            nm.add_all_qubit_readout_error(err, warnings=False)
        else:
            nm.add_readout_error(err, [r.qubit], warnings=False)
    return nm


def call_times(estimator, ansatz, op, rng, repeats: int) -> tuple[float, list[float]]:
    """``(first call seconds, later call seconds)``: fresh random parameters each call."""
    times = []
    for _ in range(repeats + 1):
        theta = rng.uniform(-np.pi, np.pi, ansatz.num_parameters)
        t0 = time.perf_counter()
        estimator.run([(ansatz, op, theta)]).result()
        times.append(time.perf_counter() - t0)
    return times[0], times[1:]


def vqe_time(estimator, ansatz, op, maxiter: int) -> tuple[float, int, float]:
    """``(seconds per energy evaluation, evaluations, eigenvalue)`` of a COBYLA VQE."""
    from qiskit_algorithms import VQE
    from qiskit_algorithms.optimizers import COBYLA

    x0 = np.random.default_rng(7).uniform(-0.1, 0.1, ansatz.num_parameters)
    t0 = time.perf_counter()
    result = VQE(estimator, ansatz, COBYLA(maxiter=maxiter), initial_point=x0).compute_minimum_eigenvalue(op)
    wall = time.perf_counter() - t0
    return wall / result.cost_function_evals, int(result.cost_function_evals), float(result.eigenvalue)


def bench_problem(problem_id: str, repeats: int, maxiter: int) -> dict:
    from qiskit.circuit.library import efficient_su2
    from qiskit_aer.primitives import EstimatorV2 as AerEstimator

    from crlqas.qnoise import get_problem
    from crlqas.qnoise.primitives import Estimator

    problem = get_problem(problem_id)
    n = problem.hamiltonian.num_qubits
    op = problem.hamiltonian.to_sparse_pauli_op()
    ansatz = efficient_su2(n, reps=2)
    engines = {
        "qnoise": Estimator(PRESET),
        "aer": AerEstimator(
            options={"backend_options": {"method": "density_matrix", "noise_model": aer_noise_model(PRESET, n)}}
        ),
    }
    check = np.random.default_rng(1).uniform(-np.pi, np.pi, (3, ansatz.num_parameters))
    values = {k: e.run([(ansatz, op, check)]).result()[0].data.evs for k, e in engines.items()}
    engines["qnoise"] = Estimator(PRESET)  # a fresh one: its first call below compiles
    out = {
        "problem": problem_id,
        "qubits": n,
        "terms": len(op),
        "ansatz_gates": dict(ansatz.count_ops()),
        "max_abs_dE": float(np.abs(values["qnoise"] - values["aer"]).max()),
    }
    for name, estimator in engines.items():
        rng = np.random.default_rng(3)
        first, later = call_times(estimator, ansatz, op, rng, repeats)
        per_eval, evals, eigenvalue = vqe_time(estimator, ansatz, op, maxiter)
        out[name] = {
            "first_call_s": first,
            "per_call_s": statistics.median(later),
            "vqe_per_eval_s": per_eval,
            "vqe_evals": evals,
            "vqe_eigenvalue": eigenvalue,
        }
    out["compilations"] = engines["qnoise"].cache.compilations
    for key in ("first_call_s", "per_call_s", "vqe_per_eval_s"):
        out[f"ratio_{key}"] = out["aer"][key] / out["qnoise"][key]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", default=",".join(PROBLEMS), help="comma-separated problem ids")
    ap.add_argument("--repeats", type=int, default=20, help="timed estimator calls per engine (after the first)")
    ap.add_argument("--maxiter", type=int, default=60, help="COBYLA iterations of the VQE runs")
    ap.add_argument("--json", default=None, help="write the results here (JSON)")
    args = ap.parse_args(argv)
    rows = [bench_problem(p.strip(), args.repeats, args.maxiter) for p in args.problems.split(",") if p.strip()]
    ms = lambda s: f"{1e3 * s:9.2f}"
    print(f"Estimator under {PRESET}: qnoise vs Aer EstimatorV2 (density matrix), ms; ratio = Aer / qnoise")
    print(
        f"{'problem':12s} {'n':>2s} {'terms':>5s} {'|dE|':>8s}  {'first qn':>9s} {'first aer':>9s} {'ratio':>6s}"
        f"  {'call qn':>9s} {'call aer':>9s} {'ratio':>6s}  {'vqe qn':>9s} {'vqe aer':>9s} {'ratio':>6s} {'evals':>5s}"
    )
    for r in rows:
        q, a = r["qnoise"], r["aer"]
        print(
            f"{r['problem']:12s} {r['qubits']:2d} {r['terms']:5d} {r['max_abs_dE']:8.1e}"
            f"  {ms(q['first_call_s'])} {ms(a['first_call_s'])} {r['ratio_first_call_s']:6.1f}"
            f"  {ms(q['per_call_s'])} {ms(a['per_call_s'])} {r['ratio_per_call_s']:6.1f}"
            f"  {ms(q['vqe_per_eval_s'])} {ms(a['vqe_per_eval_s'])} {r['ratio_vqe_per_eval_s']:6.1f}"
            f" {q['vqe_evals']:5d}"
        )
    if args.json:
        from crlqas.qnoise.fileio import atomic_write_json

        atomic_write_json(args.json, {"preset": PRESET, "settings": vars(args), "results": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
