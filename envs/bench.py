"""``crlqas bench env``: steps per second and seconds per episode of the QAS env.

Each case makes the env, runs one short untimed warm-up episode (Numba compilation, caches), then
times ``episodes`` episodes of at most ``steps`` uniformly random *legal* actions (the action mask
is respected; an episode also ends on success or truncation). Reported per case: steps/s, seconds
per step, seconds per ``steps``-step episode (s/step x steps), mean optimizer evaluations per step,
and microseconds per evaluation. The env's own randomness is seeded, so runs are repeatable.
Figures are comparable within one run/machine only.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

from . import PAPER_NOISY, VARIANTS


def _variant(name: str, **changes) -> dict:
    """The settings of env id ``crlqas/QAS-<name>-v0`` (:data:`crlqas.envs.VARIANTS`) with ``changes``."""
    return {**VARIANTS[f"crlqas/QAS-{name}-v0"], **changes}


CASES: dict[str, dict] = {
    "h2-2q": _variant("H2-2q"),
    "h2-2q-adam-spsa": _variant(
        "H2-2q", optimizer="adam-spsa", optimizer_budget=500, optimizer_options={"preset": "h2-2q"}
    ),
    # without the variant's random halting: the bench sets the episode length
    "lih-4q-noisy": {k: v for k, v in _variant("LiH-4q-noisy").items() if not k.startswith("halting")},
    "lih-6q": _variant("LiH-6q"),
    "lih-6q-noisy": _variant("LiH-6q", **PAPER_NOISY),
}
DEFAULT_CASES = ("h2-2q", "lih-4q-noisy", "lih-6q")


def run_case(name: str, settings: dict, episodes: int, steps: int, seed: int) -> dict:
    from .qas_env import QASEnv

    env = QASEnv(max_steps=max(steps, 1), threshold=1e-9, **settings)  # tiny threshold: no early success
    rng = np.random.default_rng(seed)

    def episode(ep_seed: int, max_steps: int):
        env.reset(seed=ep_seed)
        n, nfev = 0, 0
        while n < max_steps:
            allowed = np.flatnonzero(env.action_masks())
            _, _, term, trunc, info = env.step(int(rng.choice(allowed)))
            n += 1
            nfev += info["nfev"]
            if term or trunc:
                break
        return n, nfev

    episode(seed + 10_000, min(steps, 4))  # warm-up
    total_steps = total_nfev = 0
    t0 = time.perf_counter()
    per_episode = []
    for ep in range(episodes):
        t = time.perf_counter()
        n, nfev = episode(seed + ep, steps)
        per_episode.append(time.perf_counter() - t)
        total_steps += n
        total_nfev += nfev
    elapsed = time.perf_counter() - t0
    s_per_step = elapsed / max(total_steps, 1)
    return {
        "case": name,
        "settings": {k: v for k, v in settings.items()},
        "episodes": episodes,
        "steps": total_steps,
        "seconds": elapsed,
        "steps_per_s": total_steps / elapsed,
        "s_per_step": s_per_step,
        "s_per_episode": s_per_step * steps,
        "s_per_episode_measured": float(np.mean(per_episode)),
        "nfev_per_step": total_nfev / max(total_steps, 1),
        "us_per_eval": 1e6 * elapsed / max(total_nfev, 1),
    }


def bench_env(cases=None, episodes: int = 2, steps: int = 26, seed: int = 0, json_out: str | None = None) -> int:
    from crlqas.qnoise.errors import ValidationError

    names = list(cases or DEFAULT_CASES)
    unknown = [c for c in names if c not in CASES]
    if unknown:
        raise ValidationError(f"unknown env bench case(s) {', '.join(unknown)}; allowed: {', '.join(CASES)}")
    results = []
    print(f"{'case':<16} {'steps/s':>9} {'s/step':>9} {f's/{steps}-step ep':>14} {'nfev/step':>10} {'us/eval':>9}")
    for name in names:
        r = run_case(name, CASES[name], episodes, steps, seed)
        results.append(r)
        print(
            f"{name:<16} {r['steps_per_s']:>9.2f} {r['s_per_step']:>9.4f} {r['s_per_episode']:>14.3f} "
            f"{r['nfev_per_step']:>10.0f} {r['us_per_eval']:>9.1f}",
            flush=True,
        )
    if json_out:
        doc = {
            "benchmark": "crlqas-env",
            "steps_per_episode": steps,
            "episodes": episodes,
            "seed": seed,
            "machine": {
                "python": platform.python_version(),
                "cpu_count": os.cpu_count(),
                "platform": platform.platform(),
            },
            "results": results,
        }
        from crlqas.qnoise.fileio import atomic_write_json

        atomic_write_json(json_out, doc, indent=2)
    return 0
