"""Train the CRLQAS agent on H2 (2 qubits, noiseless) and print the circuit it learned.

    python examples/train_h2.py                      # CPU profile, stops when the greedy policy is
                                                     # accurate 3 evaluations in a row (~1 minute)
    python examples/train_h2.py --profile paper      # the paper's network (slow on a CPU)

Same as ``crlqas train --preset h2-2q --profile cpu --stop-on-success 3`` (``make demo``); the run
directory holds the logs (progress.csv, eval.csv, TensorBoard), checkpoints and the best circuits
(OpenQASM + JSON); ``crlqas report RUN_DIR`` plots the learning curves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Args:
    seed: int = 100  # the paper's seeds are 100, 101, 102
    preset: str = "h2-2q"  # any name of `crlqas train --list-presets`
    profile: str = "cpu"  # "cpu" (2 x 256 MLP, batch 64) or "paper" (5 x 1000, batch 1000)
    episodes: int | None = None  # None: the preset's short default (an upper bound with the stop)
    eval_every: int = 5  # a greedy evaluation episode every N episodes
    stop_on_success: int = 3  # stop after K chemically accurate greedy evaluations in a row (0: off)
    out: str = "runs/example-h2-2q"


def main(args: Args) -> None:
    from crlqas.agents.presets import load_preset
    from crlqas.agents.report import print_best
    from crlqas.agents.train import train

    config = load_preset(args.preset).with_profile(args.profile)
    config = config.with_run(eval_every=args.eval_every, stop_after_success=args.stop_on_success)
    results = train(config, args.out, seeds=[args.seed], episodes=args.episodes)
    print_best(results)


if __name__ == "__main__":
    from _args import parse_args  # examples/_args.py: the Args fields as command-line options

    main(parse_args(Args, __doc__))
