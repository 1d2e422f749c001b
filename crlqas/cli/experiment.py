"""``crlqas experiment run|table|status|suites``: suites of trials on Ray
(:mod:`crlqas.agents.experiments`).  Handlers import Ray, torch and the experiment layer when they
run."""

from __future__ import annotations

import json
import sys

from .args import add_command, command_group, json_option, key_value, nonnegative_int, one_of, option, positive_int

_RUN_OPTIONS = (
    option(
        "suite",
        nargs="?",
        metavar="SUITE",
        help="suite file (.toml) or a shipped suite (smoke, paper-noiseless, paper-noisy; 'crlqas experiment "
        "suites' lists them); optional with --resume (the experiment's own suite)",
    ),
    option("--out", metavar="DIR", help="experiment directory (default runs/<suite>-<date-time>)"),
    option(
        "--address",
        metavar="auto|HOST:PORT",
        help="run on an existing Ray cluster ('auto': the one this machine belongs to); default: start Ray "
        "locally with this machine's cores",
    ),
    option("--cpus", type=positive_int, metavar="N", help="cores of the local Ray instance (default: all)"),
    option("--gpus", type=nonnegative_int, metavar="N", help="GPUs of the local Ray instance (default: detected)"),
    option(
        "--resume",
        action="store_true",
        help="continue the experiment in --out DIR: finished trials are kept, the others run (agent trials "
        "from their checkpoints)",
    ),
    option(
        "--set",
        action="append",
        type=key_value,
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="change a setting of every trial, over the suite's (repeatable; VALUE as JSON when it is JSON): "
        "run.episodes=10000, agent.profile=paper, env.optimizer=paper (each problem's), hea.budget=20000, "
        "env.shots=1000",
    ),
    option("--no-progress", action="store_true", help="no progress lines on stderr"),
)

_TABLE_OPTIONS = (
    option("dir", metavar="DIR", help="experiment directory"),
    one_of(
        json_option("print the table as JSON (summary and trials)"),
        option("--csv", action="store_true", help="print CSV"),
        option("--markdown", action="store_true", help="print Markdown (the default)"),
    ),
    option("--trials", action="store_true", help="one row per trial instead of one per setting (CSV, Markdown)"),
    option("--no-plots", action="store_true", help="do not redraw the plots"),
)


def register(subparsers) -> None:
    sub = command_group(subparsers, "experiment", "suites of trials (problems x noise x methods x seeds) on Ray")
    add_command(sub, "run", _run, _RUN_OPTIONS)
    add_command(sub, "table", _table, _TABLE_OPTIONS)
    add_command(sub, "status", _status, (option("dir", metavar="DIR", help="experiment directory"), json_option()))
    add_command(sub, "suites", _suites, (json_option(),))


def _run(args) -> int:
    """run a suite of trials on Ray, fault tolerant and resumable

    Expands the suite into trials (presets/problems x noise models x methods x variants x seeds), runs
    each as a Ray task with its cores (and GPU for a CUDA agent) on a local Ray instance or the
    cluster at --address, retries a trial whose worker dies from its checkpoint, prints progress on
    stderr, and writes one directory per trial and the table and plots (DIR/table/). A killed run
    continues with --out DIR --resume. Needs crlqas[scale] (Ray)."""
    from crlqas.agents.experiments import load_suite, run_experiment
    from crlqas.agents.experiments.table import format_markdown, summarize, trial_rows
    from crlqas.qnoise.errors import ValidationError

    if args.resume and not args.out:
        raise ValidationError("--resume continues the experiment in --out DIR: give --out")
    if args.suite is None and not args.resume:
        raise ValidationError("give a suite: a .toml file or a shipped suite (crlqas experiment suites lists them)")
    if args.set and args.suite is None:
        raise ValidationError("--set changes the suite given: give the suite too (with --resume: the same --set)")
    suite = load_suite(args.suite) if args.suite is not None else None
    if args.set:
        suite = suite.with_overrides(args.set)
        suite.trials()
    out = args.out or _default_out(suite.name)
    result = run_experiment(
        suite,
        out,
        address=args.address,
        cpus=args.cpus,
        gpus=args.gpus,
        resume=args.resume,
        progress=not args.no_progress,
    )
    recorded, trials, rows = trial_rows(out)
    print(format_markdown(recorded, summarize(out, trials, rows)), end="")
    print(f"\nexperiment directory: {out} (tables and plots in {out}/table/)")
    if result["failed"]:
        failed = result["failed_trials"]
        print(
            f"crlqas: {len(failed)} trial(s) failed: {', '.join(failed[:5])}{', ...' if len(failed) > 5 else ''} "
            f"(see {out}/trials/<trial>/error.json; --resume runs them again)",
            file=sys.stderr,
        )
        return 1
    return 0


def _default_out(name: str) -> str:
    import time

    return f"runs/{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _table(args) -> int:
    """print and write an experiment's table

    One row per setting (problem, noise, method, variant) over its seeds: success fraction, median
    and best error by the suite's metric, gates, CNOTs and depth of the best circuit, evaluations and
    wall time (--trials: one row per trial). Also writes DIR/table/ (CSV, JSON, Markdown, plots)."""
    from crlqas.agents.experiments.table import (
        SUMMARY_COLUMNS,
        TRIAL_COLUMNS,
        format_csv,
        format_markdown,
        write_tables,
    )

    res = write_tables(args.dir, plots=not args.no_plots)
    if args.json:
        suite = res["suite"]
        print(
            json.dumps(
                {"suite": suite.name, "metric": suite.metric, "summary": res["summary"], "trials": res["trials"]}
            )
        )
    elif args.csv:
        rows, columns = (res["trials"], TRIAL_COLUMNS) if args.trials else (res["summary"], SUMMARY_COLUMNS)
        print(format_csv(rows, columns), end="")
    else:
        print(format_markdown(res["suite"], res["summary"], res["trials"] if args.trials else None), end="")
    return 0


def _status(args) -> int:
    """show where an experiment stands

    Trials done, running, failed, interrupted and pending, whether its driver still runs, elapsed
    and estimated time left, and per setting the trials done and the best error so far (the agent's
    running trials included). Reads the directory only (no Ray needed)."""
    from crlqas.agents.experiments import experiment_status, format_status

    status = experiment_status(args.dir)
    print(json.dumps(status) if args.json else format_status(status))
    return 0


def _suites(args) -> int:
    """list the shipped suites

    Name, number of trials and description of each suite shipped with crlqas (run one with
    'crlqas experiment run NAME'; copy its file, printed here, to make your own)."""
    from crlqas.agents.experiments import list_suites, load_suite
    from crlqas.agents.experiments.suite import suite_path

    rows = []
    for name in list_suites():
        suite = load_suite(name)
        rows.append({"name": name, "trials": len(suite.trials()), "file": str(suite_path(name)), **_about(suite)})
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['name']:16s} {r['trials']:4d} trials  {r['description']}\n{'':16s} {r['file']}")
    return 0


def _about(suite) -> dict:
    return {"description": suite.description, "metric": suite.metric}
