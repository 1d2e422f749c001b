"""Wall time to the first chemically accurate circuit (CRLQAS training), per preset and seed.

    python bench/bench_train.py                                  # h2-2q, seed 100
    python bench/bench_train.py --presets h2-2q,h2-2q-mumbai-median,lih-4q-depol --seeds 100 \
        --episodes 300 --json bench_train.json

For each (preset, seed) one sequential training run (one torch and one numba thread) is made in a
temporary directory; reported: seconds and episode/timestep of the first circuit with
|E_exact - E0| <= 1.6 mHa (the exact noisy energy of the optimised angles), the episodes and
seconds run, and the best error. Goals (issue): H2-2q noiseless <= 60 s; LiH-4q depol-1e-3 <= 1 h.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", default="h2-2q")
    p.add_argument("--seeds", default="100")
    p.add_argument("--episodes", type=int, default=None, help="episodes per run (default: the preset's)")
    p.add_argument("--json", metavar="OUT")
    args = p.parse_args(argv)
    from agents.presets import load_preset
    from agents.runlog import atomic_write_json
    from agents.train import train

    rows = []
    for name in args.presets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            cfg = load_preset(name)
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                (r,) = train(cfg, f"{tmp}/run", seeds=[seed], episodes=args.episodes, parallel=False,
                             progress=False)
                total = time.perf_counter() - t0
            acc, best = r["first_accurate"], r["best_energy"]
            row = {"preset": name, "seed": seed, "episodes": r["episodes"], "timesteps": r["timesteps"],
                   "seconds_total": total,
                   "seconds_to_accuracy": None if acc is None else acc["wall_time"],
                   "episode_of_accuracy": None if acc is None else acc["episode"],
                   "timestep_of_accuracy": None if acc is None else acc["timesteps"],
                   "best_error": None if best is None else abs(best["error"])}
            rows.append(row)
            print(json.dumps(row))
    if args.json:
        atomic_write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
