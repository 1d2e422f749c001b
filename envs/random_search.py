"""Random architecture search: the QAS environment driven by uniformly random legal actions.

The baseline every QAS agent must beat, on exactly its footing: the same environment
(:class:`~envs.qas_env.QASEnv`, built from the same :class:`~envs.config.QASConfig` settings), so
the same gate set, the same illegal-action masks (actions are drawn uniformly among the allowed
ones), the same inner optimiser and budget re-optimising all angles after every gate, the same
noise model, shots, episode length and halting rule.  ``success_metric`` is the run's ``metric``,
so an episode ends on chemical accuracy by that metric, as the agent's do.

Over ``episodes`` episodes or ``time_limit`` seconds (the first reached; checked after every step,
so a time limit can end an episode early; neither given: :data:`DEFAULT_EPISODES`), the result is
the circuit of lowest error by the metric seen after any step (fewer CNOTs, then fewer gates,
breaking ties), as a :class:`~crlqas.qnoise.results.ResultRecord` with method ``"random"``;
``extra`` holds the episodes and steps run, the first episode with a chemically accurate circuit,
the shortest accurate circuit's size and the env settings.  ``evaluations`` counts the inner
optimiser's energy evaluations (the env's ``nfev``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from crlqas.qnoise.errors import ValidationError

DEFAULT_EPISODES = 20


def random_search(
    problem: str,
    noise: str = "none",
    *,
    seed: int = 0,
    metric: str = "noiseless",
    episodes: int | None = None,
    time_limit: float | None = None,
    progress=None,
    **env_overrides,
):
    """Random legal actions in the QAS environment for ``problem`` under ``noise`` (module
    docstring); ``env_overrides`` are :class:`~envs.config.QASConfig` settings (``optimizer``,
    ``optimizer_budget``, ``max_steps``, ``shots``, ``halting``, ...)."""
    from crlqas.qnoise.baselines.common import resolve
    from crlqas.qnoise.baselines.progress import Progress
    from crlqas.qnoise.results import ResultRecord, check_metric

    from .config import QASConfig
    from .qas_env import QASEnv

    t0 = time.perf_counter()
    check_metric(metric)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer; got {seed!r}")
    episodes, time_limit = _limits(episodes, time_limit)
    for key in ("problem", "hamiltonian", "noise", "success_metric"):
        if key in env_overrides:
            raise ValidationError(f"random_search takes {key!r} from its own arguments, not as an env setting")
    prob, _, noise_label = resolve(problem, noise)
    config = QASConfig(problem=prob.id, noise=None if noise_label == "none" else noise, success_metric=metric)
    if env_overrides:
        config = QASConfig.from_dict({**config.to_dict(), **env_overrides})
    env = QASEnv(config)
    rng = np.random.default_rng(seed)
    report = Progress(progress, "random", episodes)
    best, best_key = None, (math.inf, math.inf, math.inf)
    evaluations = steps = done_episodes = 0
    first_accurate = shortest = None
    out_of_time = False
    try:
        _, info = env.reset(seed=seed)
        while not out_of_time and (episodes is None or done_episodes < episodes):
            finished = False
            while not finished:
                action = int(rng.choice(np.flatnonzero(info["action_mask"])))
                _, _, terminated, truncated, info = env.step(action)
                finished = terminated or truncated
                steps += 1
                evaluations += int(info["nfev"])
                error = None if info[f"error_{metric}"] is None else abs(info[f"error_{metric}"])
                key = (math.inf if error is None else error, info["num_cnots"], info["num_gates"])
                if key < best_key:
                    best, best_key = _snapshot(info), key
                if error is not None and error <= env.chemical_accuracy:
                    size = (info["num_cnots"], info["num_gates"])
                    if first_accurate is None:
                        first_accurate = done_episodes + 1
                    if shortest is None or size < (shortest["num_cnots"], shortest["num_gates"]):
                        shortest = {"num_cnots": size[0], "num_gates": size[1], "episode": done_episodes + 1}
                if time_limit is not None and time.perf_counter() - t0 >= time_limit:
                    out_of_time = True
                    break
            if finished:
                done_episodes += 1
                report.update(done_episodes, error=best_key[0], cnots=best_key[1], evals=evaluations)
                _, info = env.reset()
    finally:
        report.close()
    if best is None:
        raise ValidationError(f"time_limit {time_limit} s ended the search before its first step")
    return ResultRecord.from_circuit(
        method="random",
        problem=prob,
        noise=noise_label,
        seed=seed,
        metric=metric,
        circuit=best["circuit"],
        angles=best["angles"],
        evaluations=evaluations,
        wall_time=time.perf_counter() - t0,
        energies=best["energies"],
        extra={
            "episodes": done_episodes + (1 if out_of_time and steps else 0),
            "complete_episodes": done_episodes,
            "steps": steps,
            "stop": "time limit" if out_of_time else "episodes",
            "episode_limit": episodes,
            "time_limit": time_limit,
            "first_accurate_episode": first_accurate,
            "shortest_accurate": shortest,
            "env": config.to_dict(),
        },
    )


def _limits(episodes, time_limit) -> tuple[int | None, float | None]:
    if episodes is not None and (isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1):
        raise ValidationError(f"episodes must be a positive integer or None; got {episodes!r}")
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit < math.inf:
            raise ValidationError(f"time_limit must be a positive number of seconds or None; got {time_limit!r}")
        time_limit = float(time_limit)
    if episodes is None and time_limit is None:
        episodes = DEFAULT_EPISODES
    return episodes, time_limit


def _snapshot(info: dict) -> dict:
    energies = {"noisy": info["energy_exact"], "mitigated": info["energy_mitigated"]}
    energies["noiseless"] = info["energy_noiseless"]
    return {"circuit": info["circuit"].copy(), "angles": np.array(info["angles"], dtype=float), "energies": energies}


__all__ = ["DEFAULT_EPISODES", "random_search"]
