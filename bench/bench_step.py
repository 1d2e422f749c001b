"""Where the time of a training step goes: one CRLQAS training run (one env, one torch and one numba
thread) with wall-clock timers around the parts of a step, then a table of each part's share.

    NUMBA_NUM_THREADS=1 python bench/bench_step.py --preset lih-4q --seconds 90
    NUMBA_NUM_THREADS=1 python bench/bench_step.py --preset lih-6q --seconds 300 --json step-6q.json
    NUMBA_NUM_THREADS=1 python bench/bench_step.py --param 'policy_kwargs={"optimizer_kwargs": {"fused": false}}'

Timers (``time.perf_counter`` around a method, about a microsecond each; no profiler, whose
overhead would inflate the Python-heavy parts) sit on:

* the env step (``QASEnv.step``), and within it the inner optimisation (``Optimizer.minimize``);
* the learner update (``MaskedDQN._train_now``), and within it replay sampling and priority updates
  (the replay buffer's ``sample`` / ``update_priorities``), the double-DQN target (``td_target``) and
  the Adam step; the rest of the update is the forward and backward pass and the loss;
* acting (``MaskedDQN._sample_action``: the policy's forward pass and epsilon-greedy), storing
  transitions (``_store_transition``), and the run's callbacks (run log, checkpoints, curriculum);
* what is left of the training wall time: SB3's loop, the vector env wrapper, the logger.

One env only: with ``n_envs > 1`` the envs step in other processes (``bench_goals.py --goals
throughput`` measures that). The run is the preset's defaults with the agent profile ``cpu``.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: (label, indent level, "module:Class.method") of the timed methods, in table order
TIMERS = (
    ("env step", 1, "crlqas.envs:QASEnv.step"),
    ("inner optimisation", 2, "crlqas.qnoise.optimizers.base:Optimizer.minimize"),
    ("learner update", 1, "crlqas.agents.dqn:MaskedDQN._train_now"),
    ("replay sampling", 2, "crlqas.agents.prioritized:PrioritizedMaskedReplayBuffer.sample"),
    ("replay sampling (uniform)", 2, "crlqas.agents.dqn:MaskedNStepReplayBuffer.sample"),
    ("priority updates", 2, "crlqas.agents.prioritized:PrioritizedMaskedReplayBuffer.update_priorities"),
    ("double-DQN target", 2, "crlqas.agents.dqn:MaskedDQN.td_target"),
    ("Adam step", 2, "torch.optim:Adam.step"),
    ("acting", 1, "crlqas.agents.dqn:MaskedDQN._sample_action"),
    ("storing transitions", 1, "crlqas.agents.dqn:MaskedDQN._store_transition"),
    ("run callback (log, checkpoints)", 1, "crlqas.agents.callbacks:RunCallback._on_step"),
    ("curriculum callback", 1, "crlqas.agents.curriculum_callback:CurriculumCallback._on_step"),
)


def install_timers() -> dict[str, list[float]]:
    """Wrap every method of :data:`TIMERS` with a timer; ``{label: [seconds, calls]}``. A method
    reached again from inside itself (a subclass calling its parent's) is timed once."""
    import importlib

    totals: dict[str, list[float]] = {}
    for label, _, target in TIMERS:
        module, _, path = target.partition(":")
        owner_name, method = path.split(".")
        owner = getattr(importlib.import_module(module), owner_name)
        original = getattr(owner, method)  # (inherited ones are timed on this class)
        acc = totals.setdefault(label, [0.0, 0])
        depth = [0]

        @functools.wraps(original)
        def timed(*args, __original=original, __acc=acc, __depth=depth, **kwargs):
            if __depth[0]:
                return __original(*args, **kwargs)
            __depth[0] += 1
            t0 = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                __acc[0] += time.perf_counter() - t0
                __acc[1] += 1
                __depth[0] -= 1

        setattr(owner, method, timed)
    return totals


def breakdown(totals: dict[str, list[float]], wall: float) -> list[dict]:
    """Rows ``{part, level, seconds, calls, share}`` in table order, with the untimed remainders."""
    rows = []

    def add(part, level, seconds, calls=None):
        rows.append(dict(part=part, level=level, seconds=round(seconds, 3), calls=calls, share=seconds / wall))

    sec = {label: totals[label][0] for label, _, _ in TIMERS}
    calls = {label: totals[label][1] for label, _, _ in TIMERS}
    add("training (wall time)", 0, wall)
    for label, level, _ in TIMERS:
        if calls[label] or level == 1:
            add(label, level, sec[label], calls[label])
        if label == "inner optimisation":
            add("rest of the env step", 2, sec["env step"] - sec[label])
        if label == "Adam step":
            parts = ("replay sampling", "replay sampling (uniform)", "priority updates", "double-DQN target", label)
            add("forward, backward, loss", 2, sec["learner update"] - sum(sec[p] for p in parts))
    top = sum(sec[label] for label, level, _ in TIMERS if level == 1)
    add("rest (SB3 loop, vector env, logger)", 1, wall - top)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="lih-4q")
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--seconds", type=float, default=90, help="training time (default 90)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="[agent.params] override")
    p.add_argument("--json", metavar="OUT", help="write the rows to this file")
    args = p.parse_args(argv)
    from bench_train import run_one

    totals = install_timers()
    run_args = SimpleNamespace(
        profile="cpu", eval_every=0, stop_on_success=0, max_seconds=args.seconds, episodes=1_000_000, param=args.param
    )
    with tempfile.TemporaryDirectory() as tmp:
        r = run_one(args.preset, args.seed, run_args, Path(tmp) / "run")
    wall = r["wall_time"]
    rows = breakdown(totals, wall)
    steps = r["timesteps"]
    print(f"{args.preset}, seed {args.seed}: {r['episodes']} episodes, {steps} env steps in {wall} s of training")
    print("| part | s | calls | ms per call | ms per env step | share |\n|---|---|---|---|---|---|")
    for row in rows:
        name = "&nbsp;&nbsp;" * row["level"] + row["part"]
        calls, per_call = ("", "") if not row["calls"] else (row["calls"], f"{1e3 * row['seconds'] / row['calls']:.2f}")
        per_step = 1e3 * row["seconds"] / steps
        print(f"| {name} | {row['seconds']:.1f} | {calls} | {per_call} | {per_step:.2f} | {row['share']:.1%} |")
    if args.json:
        from crlqas.qnoise.fileio import atomic_write_json

        atomic_write_json(args.json, {"preset": args.preset, "seed": args.seed, "run": r, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
