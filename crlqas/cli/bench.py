"""``crlqas bench simulator`` and ``crlqas bench env``: the benchmark commands.

* ``bench simulator``: time qnoise and peer simulators on the shared workloads
  (:mod:`crlqas.qnoise.bench`);
* ``bench env``: steps/s and s/episode of the QAS env (:mod:`crlqas.envs.bench`).

Both are registered here, in one ``bench`` group.  Handlers import their modules when they run.
"""

from __future__ import annotations

from .args import add_command, command_group, option, output_file, positive_float, positive_int

HELP = "benchmarks (timings; figures comparable within one run only)"

#: ``--json OUT`` of both benchmarks
_JSON_OUT = option("--json", metavar="OUT", type=output_file, help="write the results as JSON (atomically) to OUT")

_SIMULATOR_OPTIONS = (
    option(
        "--workloads",
        nargs="+",
        metavar="PATH",
        help="workload files and/or directories of *.json (default: ../shared/bench/workloads "
        "if present, else the bundled tests/data copies)",
    ),
    option(
        "--peers",
        default="auto",
        help="comma list of peers (aer, qulacs), 'auto' = the installed ones (default), 'none'",
    ),
    option("--repeats", type=positive_int, default=10, help="timed calls per engine (default 10)"),
    option("--batch", type=positive_int, default=64, help="parameter vectors per Simulator.energies call (default 64)"),
    option(
        "--cap",
        type=positive_float,
        default=2.0,
        metavar="SECONDS",
        help="skip an engine whose single evaluation exceeds this (default 2)",
    ),
    option(
        "--budget",
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="time budget per engine and workload for the timed calls (default 5)",
    ),
    option("--seed", type=int, default=1234, help="seed of the random parameters"),
    _JSON_OUT,
)

_ENV_OPTIONS = (
    option(
        "--cases", default="h2-2q,lih-4q-noisy,lih-6q", help="comma list of cases (default: h2-2q,lih-4q-noisy,lih-6q)"
    ),
    option("--episodes", type=positive_int, default=2, help="timed episodes per case (default 2)"),
    option(
        "--steps", type=positive_int, default=26, help="steps per episode (default 26, the paper's noisy halting step)"
    ),
    option("--seed", type=int, default=0, help="seed of the actions and the env"),
    _JSON_OUT,
)


def register(subparsers) -> None:
    bench = command_group(subparsers, "bench", HELP)
    add_command(bench, "simulator", _bench_simulator, _SIMULATOR_OPTIONS)
    add_command(bench, "env", _bench_env, _ENV_OPTIONS)


def _bench_simulator(args) -> int:
    """time exact noisy energy evaluations: qnoise vs Qiskit Aer / qulacs

    Median microseconds per exact noisy energy evaluation (fresh random parameters each call) of
    qnoise, qnoise batched, and the installed peer simulators, on noisy-vqe-workload/1 files. Each
    engine's energy at the reference parameters is checked against the file's reference_energy
    (exit code 1 if off by > 1e-8)."""
    from crlqas.qnoise.bench import BenchSettings, bench_simulator

    settings = BenchSettings(
        repeats=args.repeats, batch=args.batch, cap_s=args.cap, budget_s=args.budget, seed=args.seed
    )
    return bench_simulator(args.workloads, args.peers, settings, args.json)


def _bench_env(args) -> int:
    """time the QAS environment: steps/s and seconds per episode

    Steps per second and seconds per episode of the quantum-architecture-search env (random legal
    actions; the inner optimizer re-optimises every step). Cases: h2-2q (noiseless, COBYLA 300),
    h2-2q-adam-spsa, lih-4q-noisy (depolarizing 1e-3, 1e7 shots, SPSA3 1191/357/119), lih-6q
    (noiseless, Adam-SPSA 1000), lih-6q-noisy."""
    from crlqas.envs.bench import bench_env

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    return bench_env(cases, args.episodes, args.steps, args.seed, args.json)
