"""Curricula step by step (method spec, section 6), their checkpoints, and how they reach envs."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium")

from crlqas.envs.curriculum import (
    FixedScheduleCurriculum,
    MovingThresholdCurriculum,
    RankedThresholdCurriculum,
    make_curriculum,
)
from crlqas.envs.wrappers import CurriculumWrapper, SharedCurriculumDriver, episode_ends, gymnasium_infos_to_list
from crlqas.qnoise.errors import ValidationError


def moving(**kw):
    opts = dict(
        accept_err=1.0,
        shift_threshold_ball=0.1,
        shift_threshold_time=12,
        success_thresh=2,
        succ_radius_shift=2,
        succes_switch=0.5,
    )
    opts.update(kw)
    return MovingThresholdCurriculum(**opts)


def test_moving_threshold_scripted():
    c = moving()
    assert c.threshold == 1.0 and c.lowest_offset == 1.0
    # a success while the best offset (0.9) is above succes_switch (0.5): no reduction
    c.on_episode_end(True, 0.9)
    c.on_episode_end(True, 0.95)
    assert (c.threshold, c.successes, c.reductions, c.lowest_offset) == (1.0, 2, 0, 0.9)
    # best offset now 0.3 < 0.5 and successes reach S = 2 (3 >= 2): xi -= delta / K = 0.05
    c.on_episode_end(True, 0.3)
    assert c.threshold == pytest.approx(0.95) and (c.successes, c.reductions) == (0, 1)
    c.on_episode_end(False, 0.4)  # failures do not count
    c.on_episode_end(True, 0.4)
    assert c.successes == 1 and c.threshold == pytest.approx(0.95)
    c.on_episode_end(True, 0.35)  # second reduction
    assert c.threshold == pytest.approx(0.90) and c.reductions == 2
    c.on_episode_end(True, 0.3)
    c.on_episode_end(True, 0.3)  # K = 2 reductions used up: no more until a greedy shift
    assert c.threshold == pytest.approx(0.90) and c.successes == 2 and c.episodes == 8
    for _ in range(3):
        c.on_episode_end(False, 0.6)
    assert c.episodes == 11 and c.threshold == pytest.approx(0.90)
    c.on_episode_end(False, 0.6)  # episode 12 > 10 and 12 % 12 == 0: greedy shift
    assert c.threshold == pytest.approx(0.3 + 0.1)
    assert (c.successes, c.reductions) == (0, 0)


def test_greedy_shift_can_raise_the_threshold_and_respects_warmup():
    c = moving(accept_err=0.2, shift_threshold_time=5, success_thresh=0)
    for _ in range(5):
        c.on_episode_end(False, 0.8)  # episode 5 <= 10 warm-up: no shift
    assert c.threshold == 0.2
    for _ in range(5):
        c.on_episode_end(False, 0.8)  # episode 10: still not > 10
    assert c.threshold == 0.2
    for _ in range(5):
        c.on_episode_end(True, 0.8)  # episode 15; S = 0 disables reductions
    assert c.threshold == pytest.approx(0.2 + 0.1) and c.successes == 0
    # the lowest offset started at accept_err (0.2), so offsets of 0.8 never replaced it


def test_negative_offset_uses_absolute_value_and_floor():
    c = moving(shift_threshold_time=11, min_threshold=0.05)
    c.on_episode_end(False, -0.02)
    for _ in range(10):
        c.on_episode_end(False, None)
    assert c.lowest_offset == -0.02 and c.threshold == pytest.approx(0.12)
    d = moving(shift_threshold_ball=0.0, shift_threshold_time=11, min_threshold=0.05)
    d.on_episode_end(False, 0.01)
    for _ in range(10):
        d.on_episode_end(False, None)
    assert d.threshold == 0.05  # |0.01| + 0 floored at min_threshold


def test_state_dict_round_trip():
    c = moving()
    for s in (True, True, True, False):
        c.on_episode_end(s, 0.3)
    d = moving()
    d.load_state_dict(c.state_dict())
    assert d.state_dict() == c.state_dict()
    c.on_episode_end(True, 0.2)
    d.on_episode_end(True, 0.2)
    assert d.threshold == c.threshold
    with pytest.raises(ValidationError, match="unknown key"):
        d.load_state_dict({"nonsense": 1})


def test_the_floor_holds_from_the_start():
    assert moving(accept_err=0.1, min_threshold=0.4).threshold == 0.4
    c = moving(shift_threshold_time=11, success_thresh=0, min_threshold=0.4)
    for _ in range(11):
        c.on_episode_end(True, 0.05)
    assert c.threshold == 0.4  # 0.05 + 0.1 floored at min_threshold


def test_ranked_threshold_keeps_the_success_rate_near_its_quantile():
    c = RankedThresholdCurriculum(accept_err=1.0, window=10, quantile=0.3, warmup_episodes=3)
    c.on_episode_end(False, 0.8)
    c.on_episode_end(False, float("nan"))  # an episode without an energy is not ranked
    assert c.threshold == 1.0 and c.offsets == [0.8]
    c.on_episode_end(False, -0.6)  # signed offsets are ranked by their size
    assert c.threshold == 0.6  # ranks [0.6, 0.8]: floor(0.3 * 2) = 0
    c.on_episode_end(False, 0.6)
    assert c.threshold == 0.6
    # a simulated agent whose best offsets are uniform in [a, a + 1] while a falls: the threshold
    # follows it, and about `quantile` of the episodes succeed
    import numpy as np

    rng = np.random.default_rng(0)
    d = RankedThresholdCurriculum(accept_err=5.0, window=50, quantile=0.3)
    wins = []
    for t in range(600):
        a = 2.0 - t / 400
        x = a + rng.random()
        wins.append(x < d.threshold)
        d.on_episode_end(x < d.threshold, x)
    assert 0.2 < np.mean(wins[100:]) < 0.4
    assert 2.0 - 599 / 400 < d.threshold < 2.0 - 599 / 400 + 0.5
    # a floor: never below it; a checkpoint round trip
    e = RankedThresholdCurriculum(accept_err=1.0, window=5, quantile=0.5, warmup_episodes=1, min_threshold=0.5)
    for x in (0.1, 0.2, 0.3):
        e.on_episode_end(True, x)
    assert e.threshold == 0.5
    f = RankedThresholdCurriculum(accept_err=1.0, window=5, quantile=0.5, warmup_episodes=1, min_threshold=0.5)
    f.load_state_dict(e.state_dict())
    assert f.state_dict() == e.state_dict()
    for bad, match in (
        (dict(quantile=1.0), "quantile must be in"),
        (dict(quantile=0), "quantile must be > 0"),
        (dict(window=0), "window must be an integer >= 1"),
    ):
        with pytest.raises(ValidationError, match=match):
            RankedThresholdCurriculum(accept_err=1.0, **bad)
    assert isinstance(make_curriculum("ranked", accept_err=1.0), RankedThresholdCurriculum)


def test_ranked_threshold_margin_asks_for_a_real_improvement_on_a_plateau():
    plateau = [0.5 + 1e-9 * k for k in range(8)] + [0.3, 0.4]  # 80% of the episodes on one plateau
    bare = RankedThresholdCurriculum(accept_err=1.0, window=10, quantile=0.3, warmup_episodes=1)
    kept = RankedThresholdCurriculum(accept_err=1.0, window=10, quantile=0.3, warmup_episodes=1, margin=0.01)
    for x in plateau:
        bare.on_episode_end(False, x)
        kept.on_episode_end(False, x)
    assert bare.threshold == pytest.approx(0.5, abs=1e-8)  # on the plateau: rounding noise succeeds
    assert kept.threshold == pytest.approx(0.49, abs=1e-8)  # beat it by the margin
    small = RankedThresholdCurriculum(accept_err=1.0, window=2, quantile=0.5, warmup_episodes=1, margin=0.5)
    small.on_episode_end(False, 0.2)
    assert small.threshold == 0.2  # a margin larger than the rank is not applied (xi stays > 0)
    with pytest.raises(ValidationError, match="margin must be >= 0"):
        RankedThresholdCurriculum(accept_err=1.0, margin=-1)


def test_paper_presets():
    c = MovingThresholdCurriculum.paper("lih-4q-3.4")
    assert (c.accept_err, c.shift_threshold_ball, c.shift_threshold_time, c.success_thresh, c.succ_radius_shift) == (
        2.45,
        0.5e-3,
        500,
        25,
        10,
    )
    c6 = MovingThresholdCurriculum.paper("lih-6q-2.2")
    assert (c6.accept_err, c6.shift_threshold_ball, c6.shift_threshold_time, c6.success_thresh) == (
        2.90,
        1e-3,
        2000,
        50,
    )
    with pytest.raises(ValidationError, match="accept_err"):
        MovingThresholdCurriculum.paper("beh2-6q")


def test_fixed_schedule():
    c = FixedScheduleCurriculum([0.5, 0.2, 0.1], [2, 3, 5])
    seen = [c.threshold] + [c.on_episode_end(True) for _ in range(6)]
    assert seen == [0.5, 0.5, 0.2, 0.1, 0.1, 0.1, 0.1]
    d = FixedScheduleCurriculum([0.5, 0.2, 0.1], [2, 3, 5])
    d.load_state_dict(c.state_dict())
    assert d.threshold == 0.1 and d.episodes == 6


def test_bad_curricula():
    with pytest.raises(ValidationError, match="same non-zero length"):
        FixedScheduleCurriculum([0.5], [1, 2])
    with pytest.raises(ValidationError, match="strictly increasing"):
        FixedScheduleCurriculum([0.5, 0.1], [3, 3])
    with pytest.raises(ValidationError, match="accept_err must be > 0"):
        moving(accept_err=-1)
    with pytest.raises(ValidationError, match="shift_threshold_time"):
        moving(shift_threshold_time=0)
    with pytest.raises(ValidationError, match="unknown curriculum"):
        make_curriculum("annealing")
    assert isinstance(make_curriculum("vanilla", thresholds=[1.0], switch_episodes=[1]), FixedScheduleCurriculum)


# ---------------------------------------------------------------- applying curricula to envs
def small_env(**kw):
    from crlqas.envs.qas_env import QASEnv

    opts = dict(problem="h2-2q", max_steps=3, optimizer="l-bfgs-b", optimizer_budget=60, angle_init="uniform")
    opts.update(kw)
    return QASEnv(**opts)


def test_wrapper_pushes_thresholds_at_episode_ends():
    cur = FixedScheduleCurriculum([50.0, 1e-9], [1, 2])
    env = CurriculumWrapper(small_env(), cur)
    assert env.unwrapped.threshold == 50.0
    env.reset(seed=0)
    _, r, term, trunc, info = env.step(3)  # any energy is within 50 of E_ref: success
    assert term and r == 5.0 and info["curriculum_threshold"] == 1e-9
    assert env.unwrapped.threshold == 1e-9
    env.reset(seed=1)
    for k in range(3):
        _, r, term, trunc, info = env.step([3, 6, 0][k])
    assert not term and trunc and r == -5.0  # the L-th step without success


def test_moving_threshold_with_env_episode_ends():
    cur = moving(accept_err=50.0, shift_threshold_ball=1.0, success_thresh=1, succ_radius_shift=1, succes_switch=100.0)
    env = CurriculumWrapper(small_env(), cur)
    env.reset(seed=0)
    _, _, term, _, info = env.step(3)
    assert term
    assert cur.lowest_offset == pytest.approx(info["episode_best_offset"])
    assert cur.threshold == pytest.approx(49.0)  # one reduction of delta / K = 1
    assert env.unwrapped.threshold == cur.threshold


def test_shared_driver_with_gymnasium_vector_env():
    import gymnasium as gym

    venv = gym.vector.SyncVectorEnv([lambda: small_env(), lambda: small_env()])
    cur = FixedScheduleCurriculum([40.0, 1e-6], [1, 5])
    driver = SharedCurriculumDriver(venv, cur)
    assert list(venv.call("get_threshold")) == [40.0, 40.0]
    venv.reset(seed=0)
    _, _, term, trunc, infos = venv.step([3, 6])
    assert term.all()
    changed = driver.update(term | trunc, gymnasium_infos_to_list(infos, 2))
    assert changed and cur.episodes == 2 and list(venv.call("get_threshold")) == [1e-6, 1e-6]


def test_driver_counts_episodes_attaches_later_and_checkpoints():
    cur = FixedScheduleCurriculum([40.0, 1e-6], [2, 5])
    driver = SharedCurriculumDriver(None, cur)  # no env yet (an SB3 callback attaches at training start)
    assert not driver.update([True, False], [{"success": True}, {}])  # counted, threshold unchanged
    assert driver.episodes_seen == 1 and cur.episodes == 1
    env = small_env()
    driver.attach(env)
    assert env.get_threshold() == 40.0
    assert driver.update([True], [{}]) and env.get_threshold() == 1e-6 and driver.episodes_seen == 2
    other = SharedCurriculumDriver(None, FixedScheduleCurriculum([40.0, 1e-6], [2, 5]))
    other.load_state_dict(driver.state_dict())
    assert set(driver.state_dict()) == {"curriculum", "episodes_seen"}
    assert (other.threshold, other.episodes_seen, other.curriculum.episodes) == (1e-6, 2, 2)
    # the wrapper is a driver of its env: the same counting
    wrapped = CurriculumWrapper(small_env(), FixedScheduleCurriculum([50.0, 1e-9], [1, 2]))
    wrapped.reset(seed=0)
    wrapped.step(3)
    assert wrapped.driver.episodes_seen == 1 and wrapped.curriculum is wrapped.driver.curriculum


def test_episode_ends_reads_infos():
    infos = [{"success": True, "episode_best_offset": 0.1}, {}, {"episode_best_offset": 0.3}]
    assert episode_ends([True, False, True], infos) == [(0, True, 0.1), (2, False, 0.3)]


def test_sb3_callback_pushes_into_subprocess_free_vec_env():
    pytest.importorskip("stable_baselines3")
    sb3_contrib = pytest.importorskip("sb3_contrib")
    from stable_baselines3.common.env_util import make_vec_env

    from crlqas.agents.curriculum_callback import CurriculumCallback

    venv = make_vec_env(lambda: small_env(max_steps=2, optimizer_budget=20), n_envs=2, seed=0)
    cur = FixedScheduleCurriculum([30.0, 20.0, 10.0], [2, 4, 6])
    cb = CurriculumCallback(cur)
    model = sb3_contrib.MaskablePPO(
        "MlpPolicy", venv, n_steps=4, batch_size=8, n_epochs=1, seed=0, policy_kwargs={"net_arch": [8]}
    )
    model.learn(total_timesteps=8, callback=cb)
    assert cb.episodes_seen >= 4  # every first step succeeds (threshold >= 10)
    assert cur.threshold in (20.0, 10.0)
    assert venv.env_method("get_threshold") == [cur.threshold, cur.threshold]
    state = cb.state_dict()
    cb2 = CurriculumCallback(FixedScheduleCurriculum([30.0, 20.0, 10.0], [2, 4, 6]))
    cb2.load_state_dict(state)
    assert cb2.curriculum.threshold == cur.threshold and cb2.episodes_seen == cb.episodes_seen
