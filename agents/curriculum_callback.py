"""stable-baselines3 callback that drives one shared curriculum over all sub-envs of a VecEnv.

>>> from crlqas.envs.curriculum import MovingThresholdCurriculum
>>> cb = CurriculumCallback(MovingThresholdCurriculum.paper("lih-4q"))   # doctest: +SKIP
>>> model.learn(100_000, callback=cb)                                     # doctest: +SKIP

A thin adapter of :class:`crlqas.envs.wrappers.SharedCurriculumDriver` (the one implementation of
curriculum driving): when training starts the driver is attached to the training env (the current
threshold is pushed to every sub-env); after every vector step the callback hands
``locals["dones"]`` and ``locals["infos"]`` to the driver, which feeds the episode ends (the QAS env
puts ``success`` and ``episode_best_offset`` in ``info``) to the curriculum (kept in the training
process) and, when the threshold changed, pushes it with ``env_method("set_threshold", x)`` (which
reaches the real env through ``Monitor`` and any other wrapper, also in ``SubprocVecEnv``). The
threshold is logged as ``curriculum/threshold``.  ``state_dict``/``load_state_dict`` are the
driver's (``{"curriculum": ..., "episodes_seen": ...}``).
"""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback

from crlqas.envs.wrappers import SharedCurriculumDriver

__all__ = ["CurriculumCallback"]


class CurriculumCallback(BaseCallback):
    """``CurriculumCallback(curriculum)`` or ``CurriculumCallback(driver)`` (a
    :class:`~crlqas.envs.wrappers.SharedCurriculumDriver`, attached to the training env when
    training starts)."""

    def __init__(self, curriculum, verbose: int = 0):
        super().__init__(verbose)
        self.driver = (
            curriculum if isinstance(curriculum, SharedCurriculumDriver) else SharedCurriculumDriver(None, curriculum)
        )

    @property
    def curriculum(self):
        return self.driver.curriculum

    @property
    def episodes_seen(self) -> int:
        return self.driver.episodes_seen

    def _on_training_start(self) -> None:
        self.driver.attach(self.training_env)

    def _on_step(self) -> bool:
        dones = self.locals.get("dones")
        if dones is None:
            return True
        before = self.driver.threshold
        if self.driver.update(dones, self.locals.get("infos") or []) and self.verbose:
            print(
                f"curriculum: threshold {before:.6g} -> {self.driver.threshold:.6g} "
                f"after {self.driver.episodes_seen} episodes"
            )
        self.logger.record("curriculum/threshold", self.driver.threshold)
        return True

    def state_dict(self) -> dict:
        return self.driver.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.driver.load_state_dict(state)
