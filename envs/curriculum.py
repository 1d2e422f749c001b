"""Threshold curricula (method spec, section 6): plain classes usable with any agent.

A curriculum owns the success threshold ``xi`` on the offset ``|E - E_ref|`` and updates it at the
end of every episode::

    cur = MovingThresholdCurriculum(accept_err=2.45, shift_threshold_ball=0.5e-3,
                                    shift_threshold_time=500, success_thresh=25,
                                    succ_radius_shift=10, succes_switch=4.0)
    ...
    cur.on_episode_end(success, best_offset)   # best_offset = min_t E_t - E_ref of the episode
    env.set_threshold(cur.threshold)

Offsets are *signed* ``E - E_ref`` (``info["episode_best_offset"]`` of :class:`envs.qas_env.QASEnv`);
the curriculum keeps the lowest one seen, which is the paper's "lowest energy" minus ``E_ref``.
:class:`envs.wrappers.SharedCurriculumDriver` applies a curriculum to an env or a vector env
(:class:`envs.wrappers.CurriculumWrapper` and ``agents.curriculum_callback`` for SB3 are adapters of
it). ``state_dict``/``load_state_dict`` checkpoint it.
"""

from __future__ import annotations

import itertools
import math

from crlqas.qnoise.errors import ValidationError


def _pos(name: str, v, allow_zero: bool = False) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number; got {v!r}") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise ValidationError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite; got {v!r}")
    return x


def _count(name: str, v, allow_zero: bool = True) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < (0 if allow_zero else 1):
        raise ValidationError(f"{name} must be an integer >= {0 if allow_zero else 1}; got {v!r}")
    return v


class Curriculum:
    """Interface: ``threshold``, ``on_episode_end(success, best_offset)``, ``state_dict()``,
    ``load_state_dict(state)``."""

    threshold: float

    def on_episode_end(self, success: bool, best_offset: float | None = None, **info) -> float:
        raise NotImplementedError

    def _set(self, x: float) -> None:
        """``threshold = x``, not below ``min_threshold`` when the curriculum has one."""
        floor = getattr(self, "min_threshold", None)
        self.threshold = x if floor is None else max(x, floor)

    def state_dict(self) -> dict:
        return {k: v for k, v in vars(self).items()}

    def load_state_dict(self, state: dict) -> None:
        unknown = set(state) - set(vars(self))
        if unknown:
            raise ValidationError(f"{type(self).__name__} state has unknown key(s) {sorted(unknown)}")
        for k, v in state.items():
            setattr(self, k, list(v) if isinstance(v, tuple) else v)


class MovingThresholdCurriculum(Curriculum):
    """The feedback-driven moving threshold of CRLQAS (parameter names as in the published code).

    * ``accept_err`` (xi_0): the initial threshold.
    * ``shift_threshold_ball`` (delta): the amortisation radius.
    * ``shift_threshold_time``: episodes between greedy shifts.
    * ``success_thresh`` (S): successes needed for one reduction (0 disables reductions).
    * ``succ_radius_shift`` (K): at most K reductions of ``delta / K`` between greedy shifts.
    * ``succes_switch``: reductions only while the best offset is below this value.
    * ``warmup_episodes`` (10 in the paper): no greedy shift during the first episodes.
    * ``min_threshold``: optional floor (``None``, as in the paper: no floor). ``TrainConfig`` sets it
      from ``[curriculum] min_error`` (an error against E0 on the success metric).

    At every episode end (``on_episode_end``), in this order:

    1. the lowest offset seen is updated with the episode's best offset;
    2. on success: ``successes += 1``; if ``successes >= S`` and ``reductions < K`` and
       ``|lowest offset| < succes_switch``: ``xi -= delta / K``, ``successes = 0``,
       ``reductions += 1``;
    3. ``episodes += 1``; if ``episodes > warmup_episodes`` and ``episodes % shift_threshold_time ==
       0``: greedy shift ``xi = |lowest offset| + delta`` (xi may go up) and, when S > 0, both
       counters are reset.

    The lowest offset starts at ``accept_err`` (the paper's ``lowest_energy = E_ref + accept_err``).
    """

    def __init__(
        self,
        accept_err: float,
        shift_threshold_ball: float,
        shift_threshold_time: int,
        success_thresh: int,
        succ_radius_shift: int,
        succes_switch: float,
        warmup_episodes: int = 10,
        min_threshold: float | None = None,
    ):
        self.accept_err = _pos("accept_err", accept_err)
        self.shift_threshold_ball = _pos("shift_threshold_ball", shift_threshold_ball, allow_zero=True)
        self.shift_threshold_time = _count("shift_threshold_time", shift_threshold_time, allow_zero=False)
        self.success_thresh = _count("success_thresh", success_thresh)
        self.succ_radius_shift = _count("succ_radius_shift", succ_radius_shift, allow_zero=False)
        self.succes_switch = _pos("succes_switch", succes_switch, allow_zero=True)
        self.warmup_episodes = _count("warmup_episodes", warmup_episodes)
        self.min_threshold = None if min_threshold is None else _pos("min_threshold", min_threshold)
        self._set(self.accept_err)
        self.lowest_offset = self.accept_err
        self.successes = 0
        self.reductions = 0
        self.episodes = 0

    @classmethod
    def paper(cls, problem: str, accept_err: float | None = None) -> MovingThresholdCurriculum:
        """The paper's settings: 2-4 qubits delta 0.5e-3, every 500 episodes, S 25, K 10; 6-8 qubits
        delta 1e-3, every 2000, S 50, K 10; ``accept_err`` default per problem (H2-2q 0.97,
        H2-3q 1.63, LiH-4q 2.45, LiH-6q 2.90, H2O-8q 5). ``succes_switch`` is set to ``accept_err``."""
        key = problem.lower()
        defaults = {"h2-2q": 0.97, "h2-3q": 1.63, "lih-4q": 2.45, "lih-6q": 2.90, "h2o-8q": 5.0}
        xi0 = (
            accept_err if accept_err is not None else next((v for k, v in defaults.items() if key.startswith(k)), None)
        )
        if xi0 is None:
            raise ValidationError(
                f"no paper accept_err for {problem!r} (known: {', '.join(defaults)}); pass accept_err=..."
            )
        n = int(key.split("-")[1].rstrip("q")) if "-" in key and key.split("-")[1].rstrip("q").isdigit() else 4
        small = n <= 4
        return cls(
            accept_err=xi0,
            shift_threshold_ball=0.5e-3 if small else 1e-3,
            shift_threshold_time=500 if small else 2000,
            success_thresh=25 if small else 50,
            succ_radius_shift=10,
            succes_switch=xi0,
        )

    def on_episode_end(self, success: bool, best_offset: float | None = None, **info) -> float:
        if best_offset is not None and math.isfinite(best_offset) and best_offset < self.lowest_offset:
            self.lowest_offset = float(best_offset)
        delta = self.shift_threshold_ball
        if success and self.success_thresh:
            self.successes += 1
            if (
                self.successes >= self.success_thresh
                and self.reductions < self.succ_radius_shift
                and abs(self.lowest_offset) < self.succes_switch
            ):
                self._set(self.threshold - delta / self.succ_radius_shift)
                self.successes = 0
                self.reductions += 1
        self.episodes += 1
        if self.episodes > self.warmup_episodes and self.episodes % self.shift_threshold_time == 0:
            self._set(abs(self.lowest_offset) + delta)
            if delta and self.success_thresh:
                self.reductions = 0
                self.successes = 0
        return self.threshold


class RankedThresholdCurriculum(Curriculum):
    """A threshold that keeps the agent's success rate near ``quantile``: after each episode, ``xi``
    is the best offset ``|E - E_ref|`` of rank ``floor(quantile * n)`` (0-based, ascending) among the
    last ``n <= window`` episodes, less ``margin`` (the ranked reward of Laterre et al., 2018,
    arXiv 1807.01672, applied to the CRLQAS success threshold).

    * ``accept_err``: ``xi`` until ``warmup_episodes`` episodes have ended (default: ``window``).
    * ``window``, ``quantile``: the episodes ranked and the rank that succeeds.
    * ``margin`` (Ha): subtracted from the ranked offset, so that success means beating it by
      ``margin``. Many episodes often end on the same plateau (one energy a whole family of
      circuits reaches); with ``margin = 0`` the rank then sits on the plateau and episodes
      "succeed" by rounding noise; with a margin only a real improvement on it succeeds.
    * ``min_threshold``: floor (``TrainConfig`` sets it from ``[curriculum] min_error``, an error
      against E0): once the agent's circuits beat it, every such episode succeeds.

    A successful episode ends as soon as its offset falls below ``xi``, so when more than
    ``quantile`` of the window succeeds the rank falls below ``xi`` and ``xi`` follows the agent
    down; when fewer do, ``xi`` rises again. Unlike :class:`MovingThresholdCurriculum` it does not
    jump to the lowest offset ever seen (one lucky circuit), nor wait a fixed number of episodes.

    >>> c = RankedThresholdCurriculum(accept_err=1.0, window=4, quantile=0.5)
    >>> [round(c.on_episode_end(True, x), 3) for x in (0.9, 0.5, 0.7, 0.3, 0.2)]
    [1.0, 1.0, 1.0, 0.7, 0.5]
    """

    def __init__(
        self,
        accept_err: float,
        window: int = 100,
        quantile: float = 0.3,
        warmup_episodes: int | None = None,
        min_threshold: float | None = None,
        margin: float = 0.0,
    ):
        self.accept_err = _pos("accept_err", accept_err)
        self.window = _count("window", window, allow_zero=False)
        self.margin = _pos("margin", margin, allow_zero=True)
        q = _pos("quantile", quantile)
        if q >= 1:
            raise ValidationError(f"quantile must be in (0, 1); got {quantile!r}")
        self.quantile = q
        self.warmup_episodes = self.window if warmup_episodes is None else _count("warmup_episodes", warmup_episodes)
        self.min_threshold = None if min_threshold is None else _pos("min_threshold", min_threshold)
        self._set(self.accept_err)
        self.offsets: list[float] = []  # |best offset| of the last `window` episodes
        self.episodes = 0

    def on_episode_end(self, success: bool, best_offset: float | None = None, **info) -> float:
        self.episodes += 1
        if best_offset is not None and math.isfinite(best_offset):
            self.offsets = [*self.offsets, abs(float(best_offset))][-self.window :]
        if self.episodes >= self.warmup_episodes and self.offsets:
            ranked = sorted(self.offsets)
            x = ranked[min(len(ranked) - 1, int(self.quantile * len(ranked)))]
            x = x - self.margin if x > self.margin else x
            self._set(x)
        return self.threshold


class FixedScheduleCurriculum(Curriculum):
    """The "vanilla" curriculum: ``thresholds[i]`` is used until ``switch_episodes[i]`` episodes
    have ended (strictly increasing); after the last switch the last threshold stays.

    >>> c = FixedScheduleCurriculum([0.5, 0.1], [2, 4])
    >>> [c.threshold] + [c.on_episode_end(False) for _ in range(5)]
    [0.5, 0.5, 0.1, 0.1, 0.1, 0.1]
    """

    def __init__(self, thresholds, switch_episodes):
        th = [_pos("thresholds[i]", t) for t in thresholds]
        sw = [_count("switch_episodes[i]", s, allow_zero=False) for s in switch_episodes]
        if not th or len(th) != len(sw):
            raise ValidationError(
                f"thresholds and switch_episodes need the same non-zero length; got {len(th)} and {len(sw)}"
            )
        if any(b <= a for a, b in itertools.pairwise(sw)):
            raise ValidationError(f"switch_episodes must be strictly increasing; got {sw}")
        self.thresholds, self.switch_episodes = th, sw
        self.episodes = 0
        self.threshold = th[0]

    def on_episode_end(self, success: bool = False, best_offset: float | None = None, **info) -> float:
        self.episodes += 1
        i = next((i for i, s in enumerate(self.switch_episodes) if s > self.episodes), len(self.thresholds) - 1)
        self.threshold = self.thresholds[i]
        return self.threshold


def make_curriculum(kind: str, **options) -> Curriculum:
    """``"moving-threshold"``, ``"ranked"``, ``"fixed-schedule"`` (or ``"vanilla"``) with their options."""
    table = {
        "moving-threshold": MovingThresholdCurriculum,
        "movingthreshold": MovingThresholdCurriculum,
        "fixed-schedule": FixedScheduleCurriculum,
        "vanilla": FixedScheduleCurriculum,
        "ranked": RankedThresholdCurriculum,
    }
    cls = table.get(str(kind).lower().replace("_", "-"))
    if cls is None:
        raise ValidationError(f"unknown curriculum {kind!r}; allowed: moving-threshold, ranked, fixed-schedule")
    try:
        return cls(**options)
    except TypeError as exc:
        raise ValidationError(f"bad options for curriculum {kind!r}: {exc}") from None
