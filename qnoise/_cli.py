"""qnoise's subcommands of the ``crlqas`` command line (``agents/cli.py`` collects them).

Each package that adds commands has a ``register(subparsers)`` function.  A leaf parser sets
``handler=function(args) -> int``.  Nothing heavy is imported here: handlers import their modules
when they run, so ``crlqas --help`` stays fast.

Subcommands registered here:

* ``crlqas bench simulator``: time qnoise and peer simulators on the shared workloads
  (:mod:`qnoise.bench`).
"""

from __future__ import annotations

import argparse


#: help of the command groups shared by several packages
GROUP_HELP = {"bench": "benchmarks (timings; figures comparable within one run only)"}


def group(subparsers, name: str, help: str | None = None):
    """The sub-subparsers of command group ``name`` (``bench``, ...), created on first use.

    Lets several packages add commands to one group, e.g. ``bench simulator`` here and a later
    ``bench env`` elsewhere.
    """
    parser = subparsers.choices.get(name)
    if parser is None:
        help = help or GROUP_HELP[name]
        parser = subparsers.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=lambda args, p=parser: _usage(p))
        parser._crlqas_group = parser.add_subparsers(title="commands", metavar="COMMAND")
    return parser._crlqas_group


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def register(subparsers) -> None:
    bench = group(subparsers, "bench")
    p = bench.add_parser(
        "simulator", help="time exact noisy energy evaluations: qnoise vs Qiskit Aer / qulacs",
        description="Median microseconds per exact noisy energy evaluation (fresh random parameters "
                    "each call) of qnoise, qnoise batched, and the installed peer simulators, on "
                    "noisy-vqe-workload/1 files. Each engine's energy at the reference parameters is "
                    "checked against the file's reference_energy (exit code 1 if off by > 1e-8).")
    p.add_argument("--workloads", nargs="+", metavar="PATH",
                   help="workload files and/or directories of *.json (default: ../shared/bench/workloads "
                        "if present, else the bundled tests/data copies)")
    p.add_argument("--peers", default="auto",
                   help="comma list of peers (aer, qulacs), 'auto' = the installed ones (default), 'none'")
    p.add_argument("--repeats", type=positive_int, default=10, help="timed calls per engine (default 10)")
    p.add_argument("--batch", type=positive_int, default=64,
                   help="parameter vectors per Simulator.energies call (default 64)")
    p.add_argument("--cap", type=positive_float, default=2.0, metavar="SECONDS",
                   help="skip an engine whose single evaluation exceeds this (default 2)")
    p.add_argument("--budget", type=positive_float, default=5.0, metavar="SECONDS",
                   help="time budget per engine and workload for the timed calls (default 5)")
    p.add_argument("--seed", type=int, default=1234, help="seed of the random parameters")
    p.add_argument("--json", metavar="OUT", help="write the results as JSON (atomically) to OUT")
    p.set_defaults(handler=_bench_simulator)


def _number(text: str, kind: str, convert, ok) -> float:
    try:
        v = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}; got {text!r}") from None
    if not ok(v):
        raise argparse.ArgumentTypeError(f"expected {kind}; got {text!r}")
    return v


def _int(text: str) -> int:
    """An integer, also written like ``1e7``."""
    value = float(text) if "e" in text.lower() else int(text)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(text)
    return int(value)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (``1e7`` accepted)."""
    return _number(text, "a positive integer", _int, lambda v: v >= 1)


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _number(text, "a non-negative integer", _int, lambda v: v >= 0)


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return _number(text, "a positive number", float, lambda v: 0 < v < float("inf"))


def _bench_simulator(args) -> int:
    from .bench import BenchSettings, bench_simulator

    settings = BenchSettings(repeats=args.repeats, batch=args.batch, cap_s=args.cap,
                             budget_s=args.budget, seed=args.seed)
    return bench_simulator(args.workloads, args.peers, settings, args.json)
