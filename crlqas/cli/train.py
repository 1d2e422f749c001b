"""``crlqas train`` and ``crlqas report``: train the QAS agents and summarise a run
(:mod:`crlqas.agents`).  Handlers import torch / stable-baselines3 when they run."""

from __future__ import annotations

from .args import add_command, json_option, one_of, option, positive_int, seed_list, which_option

_TRAIN_OPTIONS = (
    one_of(
        option("--config", metavar="FILE", help="training config (.toml or .json)"),
        option(
            "--preset",
            metavar="NAME",
            help="a preset: the paper's problem and noise settings with this machine class's inner optimiser, "
            "agent and curriculum (h2-2q, h2-3q, h2-2q-mumbai-median, "
            "h2-2q-mumbai-max, h2-3q-mumbai-median, lih-4q, lih-4q-depol, lih-6q)",
        ),
        option("--resume", metavar="DIR", help="continue the interrupted run in DIR"),
    ),
    one_of(
        option("--seed", type=int, metavar="S", help="one seed (overrides the config's seeds)"),
        option("--seeds", type=seed_list, metavar="S1,S2,...", help="several seeds (parallel)"),
    ),
    option("--out", metavar="DIR", help="run directory (default runs/<config>-<date-time>)"),
    option("--episodes", type=positive_int, metavar="N", help="episodes per seed"),
    option(
        "--profile",
        choices=("paper", "cpu"),
        help="agent profile: 'cpu' (the presets' default: MLP 2 x 256, batch 64, learning starts "
        "200, epsilon x0.999 per update, prioritised replay: minutes on a laptop) or 'paper' (the "
        "paper's agent: MLP 5 x 1000, batch 1000, learning starts 1000; about a second per "
        "gradient step on a CPU)",
    ),
    option(
        "--curriculum",
        choices=("config", "paper"),
        help="'config' (default): the config's [curriculum] (the presets': a ranked threshold); "
        "'paper': the paper's moving threshold (a greedy shift every 500 episodes, 2000 from 6 "
        "qubits) from the config's accept_err",
    ),
    option(
        "--inner-optimizer",
        choices=("config", "paper"),
        help="'config' (default): the config's [env] optimizer (the presets': Rotosolve); "
        "'paper': the paper's for the problem (three-stage Adam-SPSA for LiH, COBYLA for noiseless "
        "H2, Adam-SPSA for noisy H2)",
    ),
    option(
        "--paper",
        action="store_true",
        help="the paper's method: the same as --profile paper --curriculum paper --inner-optimizer paper",
    ),
    option(
        "--eval-every",
        type=positive_int,
        metavar="N",
        help="a greedy evaluation episode (deterministic masked policy, its own env) every N "
        "episodes, logged to eval.csv",
    ),
    option(
        "--stop-on-success",
        type=positive_int,
        metavar="K",
        help="stop once K consecutive greedy evaluations build a chemically accurate circuit "
        "(evaluates every 5 episodes unless --eval-every is given)",
    ),
    option(
        "--max-seconds",
        type=float,
        metavar="S",
        help="stop each seed cleanly (checkpointed, resumable) after S seconds of training",
    ),
    option(
        "--n-envs",
        type=positive_int,
        metavar="N",
        help="environments per seed ([run] n_envs): with N > 1 they step in N parallel processes "
        "(one thread each) feeding one agent",
    ),
    option(
        "--device",
        choices=("auto", "cpu", "cuda"),
        help="torch device of the agent's networks (overrides [agent] device, by default auto: "
        "CUDA when available, else the CPU); may change on --resume",
    ),
    option("--sequential", action="store_true", help="run the seeds one after the other"),
    option("--no-progress", action="store_true", help="no progress bar"),
    option("--list-presets", action="store_true", help="list the presets and exit"),
)

_REPORT_OPTIONS = (
    option("run_dir", metavar="RUN_DIR"),
    json_option("print the summary as JSON"),
    option("--no-plots", action="store_true", help="skip the PNG files"),
    which_option(),
    option(
        "--metric",
        choices=("noisy", "mitigated", "noiseless"),
        help="which error the learning curves plot (default: the run's [env] success_metric)",
    ),
)


def register(subparsers) -> None:
    add_command(subparsers, "train", _train, _TRAIN_OPTIONS)
    add_command(subparsers, "report", _report, _REPORT_OPTIONS)


def _train(args) -> int:
    """train a curriculum RL agent that searches for a short accurate circuit

    Train the paper's agent (masked double DQN, n-step) or MaskablePPO on the
    quantum-architecture-search env with the curriculum, one process per seed. Writes a run
    directory (config.json, per seed: progress.csv, tb/, best/ circuits as OpenQASM + JSON,
    checkpoints) and prints the run's circuit with its kind and episode: the greedy policy's
    circuit when greedy evaluations built a chemically accurate one, else the shortest chemically
    accurate circuit, else the lowest-energy one (what 'crlqas report' draws by default)."""
    from crlqas.qnoise.errors import ValidationError

    if args.list_presets:
        from crlqas.agents.presets import list_presets, load_preset

        for name in list_presets():
            try:
                cfg = load_preset(name)
                print(f"{name:22s} {cfg.env.problem:12s} noise={cfg.env.noise}  episodes={cfg.run.episodes}")
            except ValidationError as exc:
                print(f"{name:22s} (unavailable: {exc})")
        return 0
    if args.resume:
        if (
            args.seed is not None
            or args.seeds
            or args.out
            or args.profile
            or args.curriculum
            or args.inner_optimizer
            or args.paper
            or args.eval_every
            or args.stop_on_success
            or args.max_seconds is not None
            or args.n_envs is not None
        ):
            raise ValidationError(
                "--resume continues a run as configured: do not combine it with "
                "--seed/--seeds/--out/--profile/--curriculum/--inner-optimizer/--paper/--eval-every/--stop-on-success/"
                "--max-seconds/--n-envs "
                "(use --episodes to extend it, --device to move it)"
            )
        from crlqas.agents.train import resume

        results = resume(
            args.resume,
            episodes=args.episodes,
            parallel=False if args.sequential else None,
            progress=not args.no_progress,
            device=args.device,
            header=True,
        )
        out = args.resume
    else:
        if not (args.config or args.preset):
            raise ValidationError(
                "give --config FILE.toml, --preset NAME or --resume DIR (crlqas train --list-presets lists the presets)"
            )
        from crlqas.agents.config import load_config
        from crlqas.agents.presets import load_preset
        from crlqas.agents.train import train

        cfg = load_config(args.config) if args.config else load_preset(args.preset)
        if args.paper:
            if args.profile == "cpu" or args.curriculum == "config" or args.inner_optimizer == "config":
                raise ValidationError(
                    "--paper means --profile paper --curriculum paper --inner-optimizer paper; "
                    "do not combine it with other values of those options"
                )
            cfg = cfg.with_paper_method()
        if args.profile:
            cfg = cfg.with_profile(args.profile)
        if args.curriculum == "paper":
            cfg = cfg.with_paper_curriculum()
        if args.inner_optimizer == "paper":
            cfg = cfg.with_paper_optimizer()
        if args.max_seconds is not None:
            cfg = cfg.with_run(max_seconds=args.max_seconds)
        if args.n_envs is not None:
            cfg = cfg.with_run(n_envs=args.n_envs)
        if args.device is not None:
            cfg = cfg.with_device(args.device)
        if args.eval_every or args.stop_on_success:
            cfg = cfg.with_run(
                eval_every=args.eval_every or cfg.run.eval_every or 5,
                stop_after_success=args.stop_on_success or cfg.run.stop_after_success,
            )
        seeds = [args.seed] if args.seed is not None else args.seeds
        out = args.out or _default_out(cfg.name)
        results = train(
            cfg,
            out,
            seeds=seeds,
            episodes=args.episodes,
            parallel=False if args.sequential else None,
            progress=not args.no_progress,
            header=True,
        )
    from crlqas.agents.report import print_best

    print(f"run directory: {out}")
    print_best(results)
    return 0


def _default_out(name: str) -> str:
    import time

    return f"runs/{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _report(args) -> int:
    """summarise a training run: table, learning curves, the run's circuit

    Per seed: best error vs E0, first episode reaching chemical accuracy, greedy evaluations, and
    its best circuits by kind (greedy, shortest-accurate, first-accurate, lowest-energy) with the
    episode each came from. Writes PNG learning curves and a drawing of the circuit chosen by
    --which (default: the circuit 'crlqas train' printed) into RUN_DIR/report/."""
    from crlqas.agents.report import report

    return report(args.run_dir, as_json=args.json, plots=not args.no_plots, which=args.which, metric=args.metric)
