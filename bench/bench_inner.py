"""Benchmark: how reliably an inner optimiser re-optimises one gate sequence, step by step.

The QAS env re-optimises every angle after each gate, warm-started from the previous angles. An
agent can only learn a gate sequence if building it again gives the same energies; this replays a
fixed sequence through :class:`crlqas.envs.QASEnv` with ``--seeds`` fresh seeds per inner optimiser
and reports, per replay, the lowest error along the way and the final error (mHa, against E0).

The built-in sequences (``--sequence``) are circuits that the paper's three-stage Adam-SPSA built
in training: LiH-4q (3.4 A), 29 gates, 0.90 mHa; LiH-6q (2.2 A), 30 gates, 2.01 mHa.
``--circuit FILE`` replays any best-circuit record (``seed_<S>/best/*.json``) of a run instead.
Run (one core)::

    NUMBA_NUM_THREADS=1 python bench/bench_inner.py --json inner-4q.json
    NUMBA_NUM_THREADS=1 python bench/bench_inner.py --sequence lih-6q --json inner-6q.json
    NUMBA_NUM_THREADS=1 python bench/bench_inner.py --noise depol-1e-3

Each line: the optimiser setting, replays whose lowest error is chemically accurate (< 1.6 mHa), the
median lowest and final errors, and the seconds the replays took.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

#: built-in gate sequences (op + qubits; cx: control, target), each with its problem: circuits that
#: the paper's three-stage SPSA built in training (LiH-4q: a greedy evaluation at 0.90 mHa, 11 CNOTs;
#: LiH-6q: the best circuit of a 1-hour run at 2.01 mHa, 18 CNOTs)
SEQUENCES = {
    "lih-4q": (
        "lih-4q-3.4",
        "ry3 rx3 ry2 ry0 cx32 ry2 ry3 cx02 ry0 ry2 ry1 cx01 cx02 cx01 ry0 cx01 ry0 cx10 ry0 cx10 ry0 cx03 "
        "rx0 ry3 cx03 ry3 ry1 cx21 ry1",
    ),
    "lih-6q": (
        "lih-6q-2.2",
        "ry3 cx15 cx50 cx32 ry3 cx25 cx30 ry4 rz1 ry1 cx43 cx30 ry3 cx30 rz4 cx40 cx42 rz4 cx42 rz4 cx42 "
        "cx21 ry1 cx21 ry1 rz4 cx21 ry1 ry3 cx12",
    ),
}


def settings(spsa_preset: str) -> dict:
    """name: [env] settings of the inner optimiser (SPSA with the problem's tuned values)."""
    spsa = dict(optimizer="spsa3", optimizer_budget=1667, optimizer_options={"preset": spsa_preset})
    roto = dict(optimizer="rotosolve", optimizer_options={"tol": 1e-5})
    return {
        "spsa3 (paper)": spsa,
        "spsa3 + monotone": dict(spsa, monotone=True),
        "spsa3 x2 budget": dict(spsa, optimizer_budget=3334),
        "spsa3 x4 budget": dict(spsa, optimizer_budget=6668),
        "adam-spsa": dict(spsa, optimizer="adam-spsa"),
        "cobyla": dict(optimizer="cobyla", optimizer_budget=1667, optimizer_options={}),
        "rotosolve 150": dict(roto, optimizer_budget=150),
        "rotosolve 300": dict(roto, optimizer_budget=300),
        "rotosolve 1667": dict(roto, optimizer_budget=1667),
        "rotosolve 300 kick 0.2": dict(roto, optimizer_budget=300, optimizer_options={"tol": 1e-5, "kick": 0.2}),
        "rotosolve 300 kick 0.5": dict(roto, optimizer_budget=300, optimizer_options={"tol": 1e-5, "kick": 0.5}),
    }


def gates_of(path: str | None, sequence: str) -> list[tuple[str, tuple[int, ...]]]:
    if path is None:
        return [(g[:2], tuple(int(c) for c in g[2:])) for g in SEQUENCES[sequence][1].split()]
    with open(path) as fh:
        record = json.load(fh)
    return [(g["op"], tuple(g["qubits"])) for g in record["circuit"]["gates"]]


def replay(env, actions: list[int], seed: int) -> np.ndarray:
    """Errors (Ha, noisy energy vs E0) after each gate of one replay."""
    env.reset(seed=seed)
    env.set_threshold(1e-12)  # no early success: the whole sequence is built
    errors = []
    for a in actions:
        info = env.step(a)[-1]
        errors.append(info["error_noisy"])
    return np.array(errors)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sequence", choices=sorted(SEQUENCES), default="lih-4q", help="a built-in gate sequence")
    p.add_argument("--circuit", help="a best-circuit record (JSON) to replay instead (give --problem)")
    p.add_argument("--problem", help="the problem (default: the sequence's)")
    p.add_argument("--noise", default="noiseless")
    p.add_argument("--shots", type=int, default=10**7)
    p.add_argument("--seeds", type=int, default=20, help="replays per setting")
    p.add_argument("--settings", help="comma-separated names of settings() (default: all)")
    p.add_argument("--json", help="write the rows to this file")
    args = p.parse_args(argv)

    from crlqas.envs import QASConfig, QASEnv

    problem = args.problem or SEQUENCES[args.sequence][0]
    table = settings("lih-6q" if problem.startswith("lih-6q") else "lih-4q")
    names = args.settings.split(",") if args.settings else list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        p.error(f"unknown settings {unknown}; known: {', '.join(table)}")
    gates = gates_of(args.circuit, args.sequence)
    rows = []
    for name in names:
        cfg = QASConfig(problem=problem, noise=args.noise, shots=args.shots, halting="off", **table[name])
        env = QASEnv(cfg)
        index = {(a.kind if a.kind == "cx" else a.gate, tuple(a.qubits)): i for i, a in enumerate(env.actions)}
        actions = [index[g] for g in gates]
        t0 = time.perf_counter()
        runs = [replay(env, actions, 1000 + s) for s in range(args.seeds)]
        lowest = [1e3 * float(r.min()) for r in runs]
        final = [1e3 * float(r[-1]) for r in runs]
        row = dict(
            setting=name,
            accurate=sum(x < 1.6 for x in lowest),
            replays=args.seeds,
            median_lowest_mHa=round(statistics.median(lowest), 2),
            median_final_mHa=round(statistics.median(final), 2),
            seconds=round(time.perf_counter() - t0, 2),
        )
        rows.append(row)
        print(
            f"{name:26s} lowest < 1.6 mHa in {row['accurate']:2d}/{row['replays']}, median lowest "
            f"{row['median_lowest_mHa']:6.2f}, final {row['median_final_mHa']:6.2f} mHa, {row['seconds']:5.1f} s",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(problem=problem, noise=args.noise, gates=len(gates), rows=rows), fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
