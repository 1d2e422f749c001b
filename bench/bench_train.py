"""Wall time to the first chemically accurate circuit (CRLQAS training), per preset, profile and seed.

    python bench/bench_train.py                                       # h2-2q, paper agent, seed 100
    python bench/bench_train.py --profile cpu --seeds 100,101,102 --stop-on-success 3
    python bench/bench_train.py --presets h2-2q-mumbai-median --profile cpu --eval-every 5 \
        --episodes 300 --max-seconds 900 --json bench_train.json
    timeout 1800 python bench/bench_train.py --presets lih-4q-depol --profile cpu --eval-every 10 \
        --episodes 10000 --max-seconds 1740 --keep runs/bench-lih
    python bench/bench_train.py --presets lih-4q --profile cpu --episodes 40 --n-envs 1,2   # throughput

For each (preset, seed) one sequential training run (one torch and one numba thread) is made in a
temporary directory (or under ``--keep DIR``). One JSON line per run:

* ``seconds_to_accuracy`` / ``episode_of_accuracy``: the first circuit seen in *training* (any
  step, exploration included) with |E_exact - E0| <= 1.6 mHa (the exact noisy energy of the
  optimised angles);
* ``greedy_seconds`` / ``greedy_episode``: the first *greedy evaluation* (deterministic masked
  policy, with ``--eval-every``) whose circuit is chemically accurate: the agent has learnt one;
* ``episodes``, ``seconds_total``, ``best_error``, ``stopped`` (``"success"``: ``--stop-on-success``
  evaluations in a row were accurate; ``"time"``: ``--max-seconds`` reached);
* ``n_envs``, ``episodes_per_second`` and ``steps_per_second`` (episodes and env steps of all the
  seed's envs per second of training, the run's ``wall_time``: process start-up excluded).

``--n-envs 1,2`` runs each (preset, seed) once per value of ``[run] n_envs`` and ends with one line
``{"speedup": {"2": ...}}``: episodes per second relative to the first value's.

Goals (issue): H2-2q noiseless <= 60 s; LiH-4q depol-1e-3 <= 1 h; n_envs = 2 at least 1.7 x the
episodes per second of n_envs = 1 (LiH-4q, two free cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path


def run_one(name: str, seed: int, args, out_dir: Path, n_envs: int = 1) -> dict:
    from crlqas.agents.presets import load_preset
    from crlqas.agents.train import train
    from crlqas.qnoise.results import METRICS

    cfg = load_preset(name)
    if args.profile:
        cfg = cfg.with_profile(args.profile)
    changes = {"n_envs": n_envs}
    if args.eval_every or args.stop_on_success:
        changes.update(eval_every=args.eval_every or 5, stop_after_success=args.stop_on_success or 0)
    if args.max_seconds:
        changes["max_seconds"] = args.max_seconds
    cfg = cfg.with_run(**changes)
    if args.param:
        cfg = cfg.with_agent_params(**dict(_param(p) for p in args.param))
    if getattr(args, "env", None):
        cfg = dataclasses.replace(cfg, env=dataclasses.replace(cfg.env, **dict(_param(p) for p in args.env)))
    if getattr(args, "curriculum", None):
        given = dict(_param(p) for p in args.curriculum)
        same_kind = given.get("kind", cfg.curriculum.get("kind")) == cfg.curriculum.get("kind")
        cur = {**(cfg.curriculum if same_kind else {}), **given}  # another kind: a new table
        if "shift_threshold_time" in cur:
            cur.pop("shift_threshold_fraction", None)
        cfg = dataclasses.replace(cfg, curriculum=cur)
    t0 = time.perf_counter()
    (r,) = train(cfg, out_dir, seeds=[seed], episodes=args.episodes, parallel=False, progress=False)
    total = time.perf_counter() - t0
    acc, best, greedy = r["first_accurate"], r["best_energy"], r.get("first_greedy_accurate")
    return {
        "preset": name,
        "profile": cfg.agent.profile,
        "seed": seed,
        "episodes": r["episodes"],
        "timesteps": r["timesteps"],
        "seconds_total": round(total, 1),
        "seconds_to_accuracy": None if acc is None else round(acc["wall_time"], 1),
        "episode_of_accuracy": None if acc is None else acc["episode"],
        "greedy_seconds": None if greedy is None else round(greedy["wall_time"], 1),
        "greedy_episode": None if greedy is None else greedy["episode"],
        "greedy_gates": None if greedy is None else greedy["num_gates"],
        "best_error": None if best is None else abs(best["error"]),
        "last_greedy_error": None if not r.get("last_eval") else r["last_eval"]["error"],
        "stopped": r.get("stopped_early") or None,
        "params": dict(cfg.agent.params),
        "curriculum": dict(cfg.curriculum),
        "env": dict(_param(p) for p in getattr(args, "env", None) or ()),
        "greedy_errors": None if greedy is None else {m: greedy.get(f"error_{m}") for m in METRICS},
        "wall_time": round(r["wall_time"], 1),
        "n_envs": n_envs,
        "episodes_per_second": round(r["episodes"] / r["wall_time"], 4),
        "steps_per_second": round(r["timesteps"] / r["wall_time"], 3),
    }


def _param(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` of ``--param`` (the value as JSON when it parses, else the string)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise SystemExit(f"bench_train: --param wants KEY=VALUE; got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", default="h2-2q")
    p.add_argument("--seeds", default="100")
    p.add_argument("--profile", choices=("paper", "cpu"), help="agent profile (default: the preset's)")
    p.add_argument("--episodes", type=int, default=None, help="episodes per run (default: the preset's)")
    p.add_argument("--eval-every", type=int, default=0, help="greedy evaluation every N episodes")
    p.add_argument(
        "--stop-on-success", type=int, default=0, help="stop after K consecutive chemically accurate greedy evaluations"
    )
    p.add_argument("--max-seconds", type=float, default=0, help="stop each run after S seconds")
    p.add_argument("--n-envs", default="1", help="environments per seed, one run per value (e.g. 1,2)")
    p.add_argument("--env", action="append", metavar="KEY=VALUE", help="an [env] override (JSON value), repeatable")
    p.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="an [agent.params] override (JSON value), repeatable"
    )
    p.add_argument(
        "--curriculum",
        action="append",
        metavar="KEY=VALUE",
        help="a [curriculum] override (JSON value), repeatable; another kind: a new table",
    )
    p.add_argument("--keep", metavar="DIR", help="keep the run directories under DIR")
    p.add_argument("--json", metavar="OUT")
    args = p.parse_args(argv)
    from crlqas.agents.runlog import atomic_write_json

    rows, n_envs = [], [int(n) for n in args.n_envs.split(",")]
    for name in args.presets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for n in n_envs:
                if args.keep:
                    out = Path(args.keep) / f"{name}-{args.profile or 'preset'}-{seed}"
                    out = out if len(n_envs) == 1 else out / f"n_envs{n}"
                    row = run_one(name, seed, args, out, n)
                    row["dir"] = str(out)
                else:
                    with tempfile.TemporaryDirectory() as tmp:
                        row = run_one(name, seed, args, Path(tmp) / "run", n)
                rows.append(row)
                print(json.dumps(row), flush=True)
    if len(n_envs) > 1:
        rate = {n: sum(r["episodes_per_second"] for r in rows if r["n_envs"] == n) for n in n_envs}
        print(json.dumps({"speedup": {str(n): round(rate[n] / rate[n_envs[0]], 3) for n in n_envs[1:]}}))
    if args.json:
        atomic_write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
