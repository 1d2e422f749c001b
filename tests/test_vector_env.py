"""The QAS env vectorised by Gymnasium (``make_vec``, sync and async): steps with random masked
actions, episodes ending and auto-resetting, and infos equal, env by env, to those of single envs
driven with the same seeds and actions."""

from __future__ import annotations

import math

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from crlqas import envs  # noqa: F401  (registers crlqas/QAS-v0)
from crlqas.qnoise.circuit import Circuit

ENV_ID = "crlqas.envs:crlqas/QAS-v0"
# noisy (three energies differ; the noiseless one is None before an episode's last step), short
# episodes (auto-reset within the test), a cheap optimizer
SETTINGS = dict(
    problem="h2-2q",
    noise="mumbai-median",
    max_steps=3,
    optimizer="cobyla",
    optimizer_budget=12,
    angle_init="uniform",
    compute_noiseless=False,
)
NUM_ENVS, STEPS, SEED = 3, 7, 11


def same(a, b) -> bool:
    """Equal values, with None and nan the same (Gymnasium stores a None in a float array as nan)."""
    missing = lambda v: v is None or (isinstance(v, float) and math.isnan(v))
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def check_infos(vector_info: dict, single_infos: list[dict]) -> None:
    for i, info in enumerate(single_infos):
        for key, value in info.items():
            assert vector_info[f"_{key}"][i], (key, i)
            assert same(vector_info[key][i], value), (key, i, vector_info[key][i], value)
        for key in vector_info:
            if not key.startswith("_") and key not in info:
                assert not vector_info[f"_{key}"][i], (key, i)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec_steps_and_infos_match_single_envs(mode):
    vec = gym.make_vec(ENV_ID, num_envs=NUM_ENVS, vectorization_mode=mode, **SETTINGS)
    singles = [gym.make(ENV_ID, **SETTINGS) for _ in range(NUM_ENVS)]
    try:
        obs, info = vec.reset(seed=SEED)
        outs = [env.reset(seed=SEED + i) for i, env in enumerate(singles)]
        assert np.array_equal(obs, np.stack([o for o, _ in outs]))
        check_infos(info, [i for _, i in outs])
        rng = np.random.default_rng(0)
        done = np.zeros(NUM_ENVS, dtype=bool)
        ended = 0
        for _ in range(STEPS):
            actions = np.array([rng.choice(np.flatnonzero(info["action_mask"][i])) for i in range(NUM_ENVS)])
            obs, reward, term, trunc, info = vec.step(actions)
            # Gymnasium's default autoreset (next step): an env that ended is reset instead of stepped
            results = [
                (*env.reset(), 0.0, False, False) if done[i] else env.step(int(actions[i]))
                for i, env in enumerate(singles)
            ]
            results = [(r[0], r[2], r[3], r[4], r[1]) if done[i] else r for i, r in enumerate(results)]
            check_infos(info, [r[4] for r in results])
            assert np.array_equal(obs, np.stack([r[0] for r in results]))
            assert np.array_equal(reward, [r[1] for r in results])
            assert np.array_equal(term | trunc, [r[2] or r[3] for r in results])
            for i in np.flatnonzero(~done):
                angles, circuit = info["angles"][i], info["circuit"][i]
                assert isinstance(angles, tuple) and isinstance(circuit, Circuit)
                assert len(angles) == circuit.num_parameters == info["num_rotations"][i]
            ended += int(np.sum(term | trunc))
            done = term | trunc
        assert ended >= 2  # episodes ended and auto-reset within the test
        assert info["action_mask"].shape == (NUM_ENVS, singles[0].action_space.n)
    finally:
        vec.close()
        for env in singles:
            env.close()


def test_same_step_autoreset_keeps_the_final_infos():
    vec = gym.make_vec(
        ENV_ID, num_envs=2, vectorization_mode="sync", vector_kwargs={"autoreset_mode": "SameStep"}, **SETTINGS
    )
    try:
        _, info = vec.reset(seed=SEED)
        finals = 0
        for _ in range(SETTINGS["max_steps"]):
            actions = np.array([np.flatnonzero(info["action_mask"][i])[0] for i in range(2)])
            _, _, term, trunc, info = vec.step(actions)
            if "final_info" in info:
                final = info["final_info"]
                for i in np.flatnonzero(term | trunc):
                    finals += 1
                    assert len(final["angles"][i]) == final["num_rotations"][i]
                    assert math.isfinite(final["energy_noiseless"][i])  # computed at an episode's last step
        assert finals == 2
    finally:
        vec.close()
