"""envs' subcommands of the ``crlqas`` command line (collected by ``agents/cli.py``).

* ``crlqas bench env``: steps/s and s/episode of the QAS env (:mod:`envs.bench`).

Nothing heavy is imported here (no gymnasium, numba): handlers import their modules when they run.
"""

from __future__ import annotations


def register(subparsers) -> None:
    from crlqas.qnoise._cli import group, positive_int

    bench = group(subparsers, "bench")
    p = bench.add_parser(
        "env", help="time the QAS environment: steps/s and seconds per episode",
        description="Steps per second and seconds per episode of the quantum-architecture-search env "
                    "(random legal actions; the inner optimizer re-optimises every step). Cases: "
                    "h2-2q (noiseless, COBYLA 300), h2-2q-adam-spsa, lih-4q-noisy (depolarizing 1e-3, "
                    "1e7 shots, SPSA3 1191/357/119), lih-6q (noiseless, Adam-SPSA 1000), lih-6q-noisy.")
    p.add_argument("--cases", default="h2-2q,lih-4q-noisy,lih-6q",
                   help="comma list of cases (default: h2-2q,lih-4q-noisy,lih-6q)")
    p.add_argument("--episodes", type=positive_int, default=2, help="timed episodes per case (default 2)")
    p.add_argument("--steps", type=positive_int, default=26,
                   help="steps per episode (default 26, the paper's noisy halting step)")
    p.add_argument("--seed", type=int, default=0, help="seed of the actions and the env")
    p.add_argument("--json", metavar="OUT", help="write the results as JSON (atomically) to OUT")
    p.set_defaults(handler=_bench_env)


def _bench_env(args) -> int:
    from .bench import bench_env

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    return bench_env(cases, args.episodes, args.steps, args.seed, args.json)
