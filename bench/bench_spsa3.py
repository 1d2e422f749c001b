"""Benchmark: one three-stage Adam-SPSA (SPSA3) optimisation with the LiH-4q budget.

Target (issue): at most 50 ms on one core for 1191/357/119 evaluations (1667 in all) on a
20-rotation, 10-CNOT 4-qubit circuit under ``depol-1e-3`` (1-qubit depolarizing p = 1e-3) with
1e7-shot Gaussian noise, LiH-4q (R = 3.4 A) Hamiltonian, preset ``lih-4q``.  ``--noiseless``
times the same optimisation without the noise model (the statevector engine, as noiseless
training problems use it), still with the 1e7-shot noise.

Run (one core)::

    NUMBA_NUM_THREADS=1 taskset -c 0 python bench/bench_spsa3.py [--noiseless] [--repeats 20] [--json OUT]

Prints the median and minimum wall time of ``SPSA3.minimize`` over ``--repeats`` runs with
different seeds, after one warm-up run (Numba compilation excluded), plus the Python-loop path for
comparison.  Timings are comparable within one machine and run only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class Args:
    seed: int = 0
    repeats: int = 20
    shots: int = 10**7
    budget: int = 1667  # -> 1191/357/119
    python_loop: bool = True
    noiseless: bool = False
    json: str | None = None


def bench_circuit(seed: int = 0):
    """Deterministic 4-qubit circuit: 20 rotations (random axis/qubit), 10 CNOTs, interleaved."""
    from crlqas.qnoise.circuit import Circuit

    rng = np.random.default_rng(seed)
    c = Circuit(4)
    ops = ["rot"] * 20 + ["cx"] * 10
    rng.shuffle(ops)
    for op in ops:
        if op == "cx":
            a, b = rng.choice(4, size=2, replace=False)
            c.cx(int(a), int(b))
        else:
            c.append(str(rng.choice(["rx", "ry", "rz"])), int(rng.integers(4)))
    return c


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=Args.seed)
    ap.add_argument("--repeats", type=int, default=Args.repeats)
    ap.add_argument("--no-python-loop", action="store_true", help="skip timing the Python loop path")
    ap.add_argument("--noiseless", action="store_true", help="no noise model: the statevector engine")
    ap.add_argument("--json", default=None, help="write the figures to this JSON file")
    ns = ap.parse_args(argv)
    args = Args(
        seed=ns.seed, repeats=ns.repeats, python_loop=not ns.no_python_loop, noiseless=ns.noiseless, json=ns.json
    )

    from crlqas.qnoise.devices import noise_preset
    from crlqas.qnoise.optimizers import EnergyFunction, get_optimizer
    from crlqas.qnoise.problems import get_problem
    from crlqas.qnoise.simulator import Simulator

    problem = get_problem("lih-4q-3.4")
    circuit = bench_circuit(args.seed)
    opt = get_optimizer("spsa3", preset="lih-4q")
    x0 = np.zeros(circuit.num_parameters)
    print(
        f"circuit: {circuit.count_ops()}  terms={problem.hamiltonian.num_terms}  "
        f"stages={opt.stage_budgets(args.budget)}  load average {os.getloadavg()[0]:.2f}"
    )
    sim = Simulator(circuit, problem.hamiltonian, None if args.noiseless else noise_preset("depol-1e-3"))
    ops = sim.program.ops.shape[0] if sim.engine == "ptm" else sim._sv.num_ops
    print(f"-- Simulator: {sim.engine} engine, {ops} ops, noise {sim.noise_model!r}")
    report = run_one(args, sim, problem, opt, x0, EnergyFunction(sim, shots=args.shots))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


def run_one(args, sim, problem, opt, x0, fun):
    from crlqas.qnoise.optimizers import get_optimizer

    def timed(optimizer, repeats):
        optimizer.minimize(fun, x0, args.budget, seed=args.seed)  # warm-up / compile
        times, results = [], []
        for r in range(repeats):
            t = time.perf_counter()
            res = optimizer.minimize(fun, x0, args.budget, seed=args.seed + 1 + r)
            times.append(time.perf_counter() - t)
            results.append(res)
        return times, results

    times, results = timed(opt, args.repeats)
    errs = [sim.energy(r.x) - problem.e0 for r in results]
    out = {
        "median_ms": 1e3 * statistics.median(times),
        "min_ms": 1e3 * min(times),
        "nfev": results[0].nfev,
        "compiled": results[0].info["compiled"],
        "median_error_vs_e0": statistics.median(errs),
        "repeats": args.repeats,
        "threads": os.environ.get("NUMBA_NUM_THREADS"),
        "engine": sim.engine,
    }
    print(
        f"SPSA3 {'compiled' if out['compiled'] else 'Python'} loop: "
        f"median {out['median_ms']:.1f} ms, min {out['min_ms']:.1f} ms, "
        f"nfev {out['nfev']}, median E - E0 = {out['median_error_vs_e0']:.2e} Ha"
    )
    if args.python_loop:
        ptimes, _ = timed(get_optimizer("spsa3", preset="lih-4q", use_kernel=False), max(3, args.repeats // 5))
        out["python_loop_median_ms"] = 1e3 * statistics.median(ptimes)
        print(f"SPSA3 Python loop (batched pair per iteration): median {out['python_loop_median_ms']:.1f} ms")
    per_eval = statistics.median(times) / out["nfev"] * 1e6
    print(f"= {per_eval:.1f} us per evaluation; target <= 50 ms: {'met' if out['median_ms'] <= 50 else 'NOT met'}")
    return out


if __name__ == "__main__":
    sys.exit(main())
