"""``crlqas baseline adapt|hea|random|floor``: the baselines of :mod:`crlqas.qnoise.baselines` and
:mod:`crlqas.envs.random_search` from the shell.

Each of ``adapt``, ``hea`` and ``random`` prints a summary of its result record (``--json``: the
record as JSON) and with ``--out FILE`` writes the record (``ResultRecord.read_json`` reads it);
``floor`` prints (or writes) the noise floor.  ``--preset NAME`` (a training preset, ``crlqas
train --list-presets``) puts a method on the agent's footing: its problem and noise (unless
given), its inner optimiser, per-step budget and shots, and for ``random`` all of its env settings.
"""

from __future__ import annotations

import json
import sys

from .args import (
    add_command,
    command_group,
    json_option,
    key_value,
    nonnegative_int,
    optimizer_options,
    option,
    output_file,
    positive_float,
    positive_int,
    save_output,
)

HELP = "baselines on the agent's footing: qubit-ADAPT-VQE, hardware-efficient ansatze, random search"

_SETTING = (
    option("--problem", help="problem id (see 'crlqas problems list'); required unless --preset gives it"),
    option("--noise", help="noise preset (see 'crlqas noise list') or none (default: none, or the --preset's)"),
    option("--seed", type=nonnegative_int, default=0, help="seed of the run (default 0)"),
    option("--preset", help="training preset whose env settings the method shares (crlqas train --list-presets)"),
    json_option("print the result as JSON (no progress line)"),
    option("--out", metavar="FILE", type=output_file, help="also write the result as JSON to FILE (atomically)"),
)
_COMMON = (
    *_SETTING,
    option(
        "--metric",
        choices=("noisy", "mitigated", "noiseless"),
        help="which energy 'chemically accurate' and 'best' mean (default: the --preset's, else noiseless)",
    ),
)

_INNER = (
    option("--budget", type=positive_int, help="energy evaluations in all (default: no limit but the method's own)"),
    option("--optimizer", help="inner optimizer (see 'crlqas optimizers'; default cobyla, or the --preset's)"),
    option("--optimizer-budget", type=positive_int, help="evaluations per optimisation (default: the optimizer's)"),
    optimizer_options("inner optimizer option (repeatable), e.g. --option preset=lih-4q"),
    option("--shots", type=positive_int, help="Gaussian shot noise on what the optimizer sees (default: exact)"),
)

_ADAPT = (
    option("--pool", default="odd-y4", help="operator pool: minimal, minimal-sym or odd-y4 (default odd-y4)"),
    option("--reference", default="hf", help="reference state: hf, zero or a bit string (default hf)"),
    option("--max-operators", type=positive_int, default=30, help="stop after this many operators (default 30)"),
    option("--grad-tol", type=float, default=1e-3, help="stop when the pool's gradient norm is below (default 1e-3)"),
    option(
        "--patience",
        type=nonnegative_int,
        default=3,
        help="stop after this many operators without a lower error (0: never; default 3)",
    ),
)

_HEA = (
    option("--layers", type=positive_int, default=3, help="try 1..K layers (default 3)"),
    option(
        "--rotations",
        action="append",
        metavar="SET",
        help="rotation set to try, e.g. ry or ry,rz (repeatable; default: every subset of rx,ry,rz)",
    ),
    option(
        "--entangler",
        action="append",
        metavar="NAME",
        help="entangler to try: cx-linear, cx-circular, cx-full, cz-linear, none (repeatable; default: all)",
    ),
)

_RANDOM = (
    option("--episodes", type=positive_int, help="episodes to run (default 20 unless --time)"),
    option("--time", type=positive_float, metavar="SECONDS", help="wall-time limit (the first of --episodes/--time)"),
    option(
        "--env",
        action="append",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="QAS env setting (repeatable), e.g. --env max_steps=20 --env optimizer_budget=300",
    ),
)

_FLOOR = (
    option("--methods", default="adapt:odd-y4,adapt:minimal-sym,hea", help="comma list of methods (default: these)"),
    option("--budget", type=positive_int, help="energy evaluations per method (default: no limit)"),
    option("--layers", type=positive_int, default=3, help="hea: try 1..K layers (default 3)"),
    *_INNER[1:],
)


def register(subparsers) -> None:
    group = command_group(subparsers, "baseline", HELP)
    add_command(group, "adapt", _adapt, (*_COMMON, *_INNER, *_ADAPT))
    add_command(group, "hea", _hea, (*_COMMON, *_INNER, *_HEA))
    add_command(group, "random", _random, (*_COMMON, *_RANDOM))
    add_command(group, "floor", _floor, (*_SETTING, *_FLOOR))


def _adapt(args) -> int:
    """qubit-ADAPT-VQE on the noisy simulator

    Grow a circuit from the Hartree-Fock state by the pool operator with the largest energy
    gradient on the noisy state (exact parameter-shift gradients), compiled into CNOT ladders and one
    RZ, re-optimising all angles after each; stop at chemical accuracy, the gradient norm, the
    operator count, the patience or the budget. Prints the best iteration's record."""
    extra = dict(
        pool=args.pool,
        reference=args.reference,
        max_operators=args.max_operators,
        grad_tol=args.grad_tol,
        patience=args.patience or None,
    )
    return _run_qnoise(args, "adapt", extra)


def _hea(args) -> int:
    """layered hardware-efficient ansatze, the best of a sweep

    Optimise every hea:LAYERS:ROTATIONS:ENTANGLER ansatz for 1..K layers and the chosen rotation sets
    and entanglers with the same inner optimizer and per-ansatz budget; prints the best by the metric."""
    extra = dict(layers=args.layers, rotations=args.rotations, entanglers=args.entangler)
    return _run_qnoise(args, "hea", extra)


def _random(args) -> int:
    """random architecture search in the QAS environment

    Random legal actions (the env's masks) in the agent's environment, with its inner optimizer and
    budget per step; prints the best circuit over the episodes or the time limit."""
    from crlqas.envs.random_search import random_search

    problem, noise, env = _footing(args, whole_env=True)
    env.update(dict(args.env))
    record = random_search(
        problem,
        noise,
        seed=args.seed,
        metric=_metric(args),
        episodes=args.episodes,
        time_limit=args.time,
        progress=_progress(args),
        **env,
    )
    return _emit(args, record)


def _floor(args) -> int:
    """the noise floor: the lowest noisy energy the baselines find

    Run the baselines with metric noisy and report the lowest exact noisy and readout-mitigated
    energies they reach next to E0: tells 'not chemically accurate' from 'impossible at this noise'."""
    from crlqas.qnoise.baselines.floor import find_noise_floor

    problem, noise, inner = _footing(args)
    floor = find_noise_floor(
        problem,
        noise,
        seed=args.seed,
        budget=args.budget,
        methods=[m.strip() for m in args.methods.split(",") if m.strip()],
        progress=_progress(args),
        layers=args.layers,
        **inner,
    )
    return _emit(args, floor, floor.summary())


# ---------------------------------------------------------------------- helpers
def _run_qnoise(args, method: str, extra: dict) -> int:
    from crlqas.qnoise.baselines import run_baseline

    problem, noise, inner = _footing(args)
    record = run_baseline(
        method,
        problem,
        noise,
        seed=args.seed,
        metric=_metric(args),
        budget=args.budget,
        progress=_progress(args),
        **inner,
        **{k: v for k, v in extra.items() if v is not None or k == "patience"},
    )
    return _emit(args, record)


def _footing(args, whole_env: bool = False) -> tuple[str, str, dict]:
    """``(problem, noise, settings)``: the inner optimiser's settings (``whole_env``: every env
    setting) from ``--preset`` and the command line, the command line winning."""
    from crlqas.qnoise.errors import ValidationError

    settings, problem, noise = {}, args.problem, args.noise
    if args.preset:
        env = _preset_env(args.preset)
        problem = problem or env["problem"]
        noise = noise or env["noise"]
        skip = ("problem", "hamiltonian", "noise", "success_metric")
        keys = [k for k in env if k not in skip] if whole_env else ["optimizer", "optimizer_budget", "shots"]
        settings = {k: env[k] for k in keys}
        if not whole_env and env["optimizer_options"]:
            settings["optimizer_options"] = dict(env["optimizer_options"])
    if not problem:
        raise ValidationError("give --problem ID (see 'crlqas problems list') or --preset NAME")
    if whole_env:
        return problem, noise or "none", settings
    for key, value in (("optimizer", args.optimizer), ("optimizer_budget", args.optimizer_budget)):
        if value is not None:
            settings[key] = value
    if args.shots is not None:
        settings["shots"] = args.shots
    if args.option:
        settings["optimizer_options"] = {**settings.get("optimizer_options", {}), **dict(args.option)}
    return problem, noise or "none", settings


def _preset_env(name: str) -> dict:
    from crlqas.agents.presets import load_preset

    return load_preset(name).env.to_dict()


def _metric(args) -> str:
    """``--metric``, else the ``--preset``'s success metric, else ``"noiseless"``."""
    if args.metric:
        return args.metric
    return _preset_env(args.preset)["success_metric"] if args.preset else "noiseless"


def _progress(args) -> bool:
    return not args.json and sys.stderr.isatty()


def _emit(args, result, text: str | None = None) -> int:
    """Print ``result`` (a record, or anything with ``to_dict``, ``write_json`` and its ``text``)
    as JSON or text; write it to ``--out``."""
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(summary(result) if text is None else text)
    if args.out:
        save_output(args.out, result.write_json)
    return 0


def summary(record) -> str:
    """A result record as text: method, errors by metric, sizes, evaluations, time."""
    lines = [
        f"method             {record.method}",
        f"problem            {record.problem}  (noise {record.noise}, seed {record.seed})",
    ]
    if record.e0 is not None:
        lines.append(f"E0                 {record.e0:.10f}")
    for m in ("noisy", "mitigated", "noiseless"):
        e, err = record.energies[m], record.errors[m]
        if e is None:
            lines.append(f"{m + ' energy':18s} (undefined)")
            continue
        mark = ""
        if m == record.metric and err is not None:
            mark = f"; {'within' if record.accurate else 'NOT within'} chemical accuracy {record.chemical_accuracy:g}"
        shown = "" if err is None else f"  error {err:+.3e}"
        lines.append(f"{m + ' energy':18s} {e:.10f}{shown}{mark}")
    lines += [
        f"circuit            {record.num_gates} gates, {record.num_cnots} CNOTs, {record.num_rotations} rotations, "
        f"depth {record.depth}",
        f"evaluations        {record.evaluations}",
        f"time               {record.wall_time:.2f} s",
    ]
    labels = {"stop": "stop", "num_operators": "operators", "operators": "added", "spec": "ansatz", "tried": "tried"}
    labels.update(episodes="episodes", first_accurate_episode="first accurate")
    for k, label in labels.items():
        if k in record.extra:
            v = record.extra[k]
            lines.append(f"{label:18s} {' '.join(v) if isinstance(v, list) else v}")
    return "\n".join(lines)
