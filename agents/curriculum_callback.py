"""stable-baselines3 callback that drives one shared curriculum over all sub-envs of a VecEnv.

>>> from crlqas.envs.curriculum import MovingThresholdCurriculum
>>> cb = CurriculumCallback(MovingThresholdCurriculum.paper("lih-4q"))   # doctest: +SKIP
>>> model.learn(100_000, callback=cb)                                     # doctest: +SKIP

After every vector step the callback reads the episode ends from ``locals["dones"]`` and
``locals["infos"]`` (the QAS env puts ``success`` and ``episode_best_offset`` in ``info``), updates
the curriculum (kept in the training process) and, when the threshold changed, pushes it to every
sub-env with ``env_method("set_threshold", x)`` (which reaches the real env through ``Monitor`` and
any other wrapper, also in ``SubprocVecEnv``). The threshold is logged as ``curriculum/threshold``.
"""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback

from crlqas.envs.wrappers import episode_ends, push_threshold


class CurriculumCallback(BaseCallback):
    def __init__(self, curriculum, verbose: int = 0):
        super().__init__(verbose)
        self.curriculum = curriculum
        self.episodes_seen = 0

    def _on_training_start(self) -> None:
        push_threshold(self.training_env, self.curriculum.threshold)

    def _on_step(self) -> bool:
        dones = self.locals.get("dones")
        infos = self.locals.get("infos") or []
        if dones is None:
            return True
        before = self.curriculum.threshold
        for _, success, best in episode_ends(dones, infos):
            self.curriculum.on_episode_end(success, best)
            self.episodes_seen += 1
        if self.curriculum.threshold != before:
            push_threshold(self.training_env, self.curriculum.threshold)
            if self.verbose:
                print(f"curriculum: threshold {before:.6g} -> {self.curriculum.threshold:.6g} "
                      f"after {self.episodes_seen} episodes")
        self.logger.record("curriculum/threshold", self.curriculum.threshold)
        return True

    def state_dict(self) -> dict:
        return {"curriculum": self.curriculum.state_dict(), "episodes_seen": self.episodes_seen}

    def load_state_dict(self, state: dict) -> None:
        self.curriculum.load_state_dict(state["curriculum"])
        self.episodes_seen = int(state.get("episodes_seen", 0))
