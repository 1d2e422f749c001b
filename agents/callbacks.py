"""The training-run callback: episode log, best circuits, greedy evaluations, checkpoints, budget.

:class:`RunCallback` is a stable-baselines3 callback (see :mod:`crlqas.agents.train` for the run it
serves); it follows SB3's template methods:

* ``__init__``: settings and the run state (``state``: :meth:`RunCallback.state` of a checkpoint,
  ``None`` for a new run); no files are touched;
* ``_init_callback`` (start of ``learn``): :meth:`RunCallback.open` opens ``progress.csv``,
  ``eval.csv`` and TensorBoard (truncated to the checkpoint's episodes on resume) and brings
  ``best/`` back to the checkpoint's records;
* ``_on_training_start``: reads the reference energy and chemical accuracy of the training env;
* ``_on_rollout_start``: a checkpoint (between two env steps) once ``checkpoint_every`` episodes
  or ``checkpoint_seconds`` seconds have passed since the last one (see :meth:`RunCallback.due`);
* ``_on_step``: per step, the episode's reward, length and best circuit; per episode end, a row of
  ``progress.csv``, a greedy evaluation every ``eval_every`` episodes, the progress hook, the time
  limit; stops the run at the episode budget or early (``stop_after_success``, ``max_seconds``);
* ``_on_training_end``: :meth:`RunCallback.close`.

The only private stable-baselines3 attribute it reads is the model's gradient-update count
(``_n_updates``, :meth:`RunCallback.learning`): SB3 has no public accessor for it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from .checkpoint import save_checkpoint
from .evaluator import Evaluator, GreedyPolicy
from .runlog import (
    METRICS,
    EpisodeLog,
    EvalLog,
    circuit_record,
    metric_error,
    seed_of,
    step_errors,
    with_kind,
    write_circuit,
)

__all__ = ["MAX_CHECKPOINT_OVERHEAD", "RunCallback", "accepts_masks"]

#: time-based checkpoints (``checkpoint_seconds``) take at most this share of the training time
MAX_CHECKPOINT_OVERHEAD = 0.05


def accepts_masks(model) -> bool:
    """Does ``model.predict`` take ``action_masks`` (MaskedDQN, MaskablePPO)?"""
    import inspect

    return "action_masks" in inspect.signature(model.predict).parameters


class RunCallback(BaseCallback):
    """Episode log, best circuits, greedy evaluations, checkpoints and the episode budget of one seed.

    ``seed_path``: the seed's directory; ``episodes``: the episode budget; ``checkpoint_every``:
    at most that many episodes between checkpoints; ``checkpoint_seconds``: also a checkpoint at
    the first rollout start after an episode end once that much time has passed since the last one
    (0: none; see :meth:`due`); ``config``: the run's configuration, recorded in each checkpoint's
    manifest; ``curriculum_cb``: the run's
    :class:`~crlqas.agents.curriculum_callback.CurriculumCallback` (checkpointed; its threshold is
    logged) or ``None``; ``progress``: called with every episode row; ``state``: the run state of a
    checkpoint to resume from; ``log_every``: write every N-th episode row; ``eval_env``,
    ``eval_every``: the greedy-evaluation env and period (0: none); ``stop_after_success``: stop
    after that many chemically accurate greedy evaluations in a row (0: never); ``max_seconds``:
    stop (resumably) after that much time in this invocation (0: no limit).

    Chemical accuracy (``|E - E0| <= chemical_accuracy``; the kinds first-accurate,
    shortest-accurate and greedy, an evaluation's ``accurate``, ``stop_after_success``) is judged on
    the exact energy of the env's success metric (``info["success_metric"]``, see
    :class:`~crlqas.envs.config.QASConfig`: noisy as measured, readout-mitigated or noiseless); the
    lowest-energy kind, ``energy_error`` and ``best_error`` stay on the exact noisy energy.  Each
    episode row and evaluation row carries the three errors (``error_noisy``, ``error_mitigated``,
    ``error_noiseless``: see :mod:`crlqas.agents.runlog`); the progress row's ``greedy_error`` is the
    latest evaluation's error under the success metric.

    Several envs (``[run] n_envs > 1``): each env's episode in progress is tracked apart (and
    checkpointed); episodes are numbered in the order they end (env order within a vector step),
    each gets its row, and the budget counts them all: the vector step that reaches it may end up to
    ``n_envs - 1`` more, which are logged too (so the log holds every episode the curriculum saw).
    A best-circuit record made mid-episode names the episode that ends next (exact with one env).
    """

    def __init__(
        self,
        seed_path,
        episodes: int,
        checkpoint_every: int,
        curriculum_cb=None,
        progress=None,
        state: dict | None = None,
        log_every: int = 1,
        eval_env=None,
        eval_every: int = 0,
        stop_after_success: int = 0,
        max_seconds: float = 0.0,
        checkpoint_seconds: float = 0.0,
        config: dict | None = None,
        eval_workers: int = 0,
    ):
        super().__init__(0)
        self.dir, self.target, self.every = Path(seed_path), episodes, checkpoint_every
        self.every_seconds, self.config = checkpoint_seconds, config
        self._ckpt_time, self._ckpt_cost = time.perf_counter(), 0.0  # end and duration of the last one
        self.curriculum_cb, self.progress, self.log_every = curriculum_cb, progress, log_every
        self.eval_env, self.eval_every, self.stop_after = eval_env, eval_every, stop_after_success
        self.max_seconds = max_seconds
        self.resumed = state is not None
        s = state or {}
        self.episodes = s.get("episodes", 0)
        self.last_ckpt = s.get("last_ckpt", self.episodes)
        self.best = s.get("best", {})  # name -> record
        self.successes = list(s.get("successes", []))
        self.elapsed0 = s.get("elapsed", 0.0)
        self.eval_streak = s.get("eval_streak", 0)  # consecutive chemically accurate greedy evals
        self.last_eval = s.get("last_eval")  # row of the latest greedy evaluation
        self.first_greedy = s.get("first_greedy")  # first chemically accurate greedy evaluation
        # greedy evaluations: submitted at an evaluation point, acted on at the next one (evaluator.py)
        self.evaluator = Evaluator(eval_workers)
        self._submitted = s.get("pending_eval")  # {"meta": ..., "result": finished result or None}
        self.evaluations = s.get("evaluations", 0)  # energy evaluations of training episodes
        # False, "success" (final) or "time" (a new invocation, --resume, continues)
        self.stopped_early = s.get("stopped_early", False) or False
        if self.stopped_early == "time":
            self.stopped_early = False
        # the episode in progress of each env (several with [run] n_envs > 1); _ep: the one at hand
        self._eps = list(s.get("eps") or [s.get("ep") or self._new_episode()])
        for ep in self._eps:
            ep["t"] = time.perf_counter()
        self._ep = self._eps[0]
        self.log = self.eval_log = None
        self.e0 = self.chemical_accuracy = None
        self.t0 = time.perf_counter()
        self.finished = False

    # ------------------------------------------------------------------------- state
    @staticmethod
    def _new_episode():
        # min_error: the lowest |E_noisy - E0|; metric_error and errors: the lowest |E_metric - E0|
        # and the three errors of that step
        return {
            "min_error": np.inf,
            "metric_error": np.inf,
            "errors": None,
            "reward": 0.0,
            "length": 0,
            "t": time.perf_counter(),
        }

    def elapsed(self) -> float:
        return self.elapsed0 + time.perf_counter() - self.t0

    def state(self) -> dict:
        """The run state a checkpoint holds (``state=`` of a resumed callback)."""
        return {
            "episodes": self.episodes,
            "last_ckpt": self.episodes,
            "best": self.best,
            "successes": self.successes[-100:],
            "elapsed": self.elapsed(),
            "eps": self._eps,
            "eval_streak": self.eval_streak,
            "last_eval": self.last_eval,
            "stopped_early": self.stopped_early,
            "first_greedy": self.first_greedy,
            "evaluations": self.evaluations,
            "pending_eval": self._submitted,
        }

    def open(self) -> None:
        """Open the logs (kept up to the checkpoint's episodes on resume) and, on resume, bring
        ``best/`` back to the checkpoint's records (files of episodes lost since the checkpoint are
        removed).  Idempotent."""
        if self.log is not None:
            return
        self.log = EpisodeLog(self.dir, resume_episodes=self.episodes)
        # evaluation rows are written when acted on, after their episode: rows of a checkpoint's still
        # pending evaluation (and later) were written after the checkpoint
        pending = self._submitted
        kept = self.episodes if pending is None else min(self.episodes, pending["meta"]["episode"] - 1)
        self.eval_log = EvalLog(self.dir, resume_episodes=kept) if self.eval_every else None
        if self.resumed:
            best_dir = self.dir / "best"
            for f in best_dir.glob("*.*") if best_dir.exists() else []:
                if f.stem not in self.best:
                    f.unlink()
            for name, rec in self.best.items():
                if "kind" not in rec:  # a checkpoint of an older crlqas: records without their kind
                    self.best[name] = rec = with_kind(rec, name, seed_of(self.dir))
                write_circuit(best_dir, name, rec)

    def close(self) -> None:
        """Close the logs and the evaluation worker (idempotent)."""
        self.evaluator.close()
        if self.log is not None:
            self.log.close()
        if self.eval_log is not None:
            self.eval_log.close()

    def checkpoint(self) -> None:
        t = time.perf_counter()
        self._finish_evaluation()  # (kept pending: acted on at the next evaluation point, as without it)
        save_checkpoint(self.dir, self.model, self.curriculum_cb, self.state(), self.eval_env, self.config)
        self.last_ckpt = self.episodes
        self._ckpt_time = time.perf_counter()
        self._ckpt_cost = self._ckpt_time - t

    def due(self) -> bool:
        """Is a checkpoint due?  Once an episode has ended since the last one: after
        ``checkpoint_every`` episodes, or after ``checkpoint_seconds`` seconds, but then no sooner than
        ``1 / MAX_CHECKPOINT_OVERHEAD`` times the last checkpoint's duration (checkpoints of a large
        replay buffer take at most that share of the time).  When a checkpoint is taken does not
        change the run: a resumed run reproduces the uninterrupted one from any of them."""
        new = self.episodes - self.last_ckpt
        if new <= 0 or self.finished:
            return False
        if new >= self.every:
            return True
        if not self.every_seconds:
            return False
        wait = max(self.every_seconds, self._ckpt_cost / MAX_CHECKPOINT_OVERHEAD)
        return time.perf_counter() - self._ckpt_time >= wait

    def learning(self) -> bool:
        """Has the agent made a gradient update?  (Before that its greedy policy is its random
        initialisation: no evaluation then.)"""
        # private: SB3 exposes the update count only as _n_updates (logged as train/n_updates)
        return getattr(self.model, "_n_updates", 1) > 0

    # ------------------------------------------------------------------------- SB3 template methods
    def _init_callback(self) -> None:
        self.open()

    def _on_training_start(self) -> None:
        env = self.training_env  # the QAS env's reference energy and chemical accuracy (constants)
        self.e0, self.chemical_accuracy = (
            env.get_attr(name, indices=0)[0] if env.has_attr(name) else None for name in ("e0", "chemical_accuracy")
        )

    def _on_rollout_start(self) -> None:
        if self.due():
            self.checkpoint()

    def _on_step(self) -> bool:
        steps = zip(self.locals["infos"], self.locals["rewards"], self.locals["dones"], strict=True)
        for i, (info, reward, done) in enumerate(steps):  # every env's step, in env order
            if i == len(self._eps):  # (a vector env of several envs: one episode in progress each)
                self._eps.append(self._new_episode())
            ep = self._ep = self._eps[i]
            ep["reward"] += float(reward)
            ep["length"] += 1
            if "energy_exact" in info and "circuit" in info:
                self._track(info)
            if done:
                self._episode_end(info)
                self._eps[i] = self._ep  # the env's next episode
        if (self.episodes >= self.target or self.stopped_early) and not self.finished:
            if self.stopped_early == "time":  # to be continued: its result stays pending (checkpointed)
                self._finish_evaluation()
            else:  # the run's end: act on the last one submitted (it may complete the streak)
                self._act_on_evaluation()
            self.finished = True
            request_stop = getattr(self.model, "request_stop", None)
            if request_stop is not None:  # MaskedDQN: stop cleanly between steps
                request_stop()
                return True
            return False
        return not self.finished

    def _on_training_end(self) -> None:
        self.close()

    # ------------------------------------------------------------------------- per step / episode
    def _track(self, info) -> None:
        e0, chem = self.e0, self.chemical_accuracy
        err = np.inf if e0 is None else abs(float(info["energy_exact"]) - e0)
        self._ep["min_error"] = min(self._ep["min_error"], err)
        errors = step_errors(info, e0)
        metric = info.get("success_metric", "noisy")
        merr = metric_error(errors, metric)  # chemical accuracy is judged on this one
        if merr < self._ep.get("metric_error", np.inf):
            self._ep["metric_error"], self._ep["errors"] = merr, errors
        updates = []
        if float(info["energy_exact"]) < self.best.get("best_energy", {}).get("energy", np.inf):
            updates.append("best_energy")
        if merr <= chem:
            if "first_accurate" not in self.best:
                updates.append("first_accurate")
            old = self.best.get("shortest_accurate")
            if old is None or (len(info["circuit"]), merr) < (old["num_gates"], _record_error(old, metric)):
                updates.append("shortest_accurate")
        if updates:
            rec = circuit_record(info, e0, self.episodes + 1, self.num_timesteps, self.elapsed(), chem)
            for name in updates:  # each record names its kind (runlog.CIRCUIT_KINDS) and seed
                self.best[name] = with_kind(rec, name, seed_of(self.dir))
                write_circuit(self.dir / "best", name, self.best[name])

    def _episode_end(self, info) -> None:
        self.episodes += 1
        self.evaluations += int(info.get("episode_nfev", 0))
        success = bool(info.get("success", False))
        self.successes = [*self.successes, success][-100:]
        ep, now = self._ep, time.perf_counter()
        circ = info.get("circuit")
        best = self.best.get("best_energy", {}).get("error")
        row = {
            "episode": self.episodes,
            "timesteps": self.num_timesteps,
            "length": ep["length"],
            "reward": ep["reward"],
            "energy_error": ep["min_error"],
            "best_error": abs(best) if best is not None else None,
            "threshold": info.get("curriculum_threshold", self._threshold(info)),
            "success": success,
            "success_rate": float(np.mean(self.successes)),
            "num_gates": None if circ is None else len(circ),
            "num_cnots": info.get("num_cnots"),
            "num_rotations": info.get("num_rotations"),
            "depth": info.get("depth"),
            "episode_time": now - ep["t"],
            "wall_time": self.elapsed(),
            "epsilon": getattr(self.model, "exploration_rate", None),
            **_abs_errors(ep.get("errors")),
        }
        if self.episodes % self.log_every == 0 or self.episodes == self.target:
            self.log.write(row)
        if self.eval_every and self.episodes % self.eval_every == 0 and self.learning():
            self._act_on_evaluation()
            if not self.stopped_early:
                self._submit_evaluation()
        self._ep = self._new_episode()  # after the evaluation: episode_time is training only
        if self.last_eval is not None:  # under the success metric (the noisy error for older rows)
            row["greedy_error"] = self.last_eval.get("metric_error", self.last_eval["error"])
        if self.progress is not None:
            self.progress(row)
        if self.max_seconds and time.perf_counter() - self.t0 >= self.max_seconds and not self.stopped_early:
            self.stopped_early = "time"

    def _threshold(self, info):
        if self.curriculum_cb is not None:
            return float(self.curriculum_cb.curriculum.threshold)
        return info.get("threshold")

    def evaluate(self) -> dict | None:
        """One greedy evaluation of the current policy now, waited for and acted on at once (a
        pending one is acted on first); training's own evaluations follow ``eval_every``."""
        self._act_on_evaluation()
        self._submit_evaluation()
        return self._act_on_evaluation()

    def _submit_evaluation(self) -> None:
        """Start a greedy evaluation of the current policy (on a snapshot of it)."""
        meta = {"episode": self.episodes, "timesteps": self.num_timesteps, "wall_time": self.elapsed()}
        self.evaluator.submit(GreedyPolicy(self.model), self.eval_env)
        self._submitted = {"meta": meta, "result": None}

    def _finish_evaluation(self) -> None:
        """Wait for the submitted evaluation's result (kept, not acted on) and the env after it."""
        if self._submitted is not None and self._submitted["result"] is None and self.evaluator.pending:
            result, self.eval_env = self.evaluator.wait()
            self._submitted = {**self._submitted, "result": result}

    def _act_on_evaluation(self) -> dict | None:
        """Log the submitted evaluation and act on it: streak, greedy record, stop on success."""
        self._finish_evaluation()
        submitted, self._submitted = self._submitted, None
        if submitted is None or submitted["result"] is None:
            return None
        return self._record_evaluation(submitted["meta"], submitted["result"])

    def _record_evaluation(self, meta: dict, result: dict) -> dict:
        """The evaluation row of a greedy episode's ``result`` (:func:`~agents.evaluator.greedy_episode`)
        made at ``meta`` (episode, timesteps, training time of the policy snapshot)."""
        env = self.eval_env
        e0, chem = env.e0, env.chemical_accuracy
        err, info, errors = result["error"], result["info"], result["errors"]
        accurate = bool(err <= chem)
        self.eval_streak = self.eval_streak + 1 if accurate else 0
        circ = info["circuit"]
        row = {
            "episode": meta["episode"],
            "timesteps": meta["timesteps"],
            "error": np.inf if e0 is None else abs(float(info["energy_exact"]) - e0),  # noisy, as always
            "energy": float(info["energy_exact"]),
            "accurate": accurate,
            "length": result["length"],
            "reward": result["reward"],
            "num_gates": len(circ),
            "num_cnots": int(circ.num_two_qubit_gates),
            "depth": int(circ.depth()),
            "streak": self.eval_streak,
            "eval_time": result["eval_time"],
            "wall_time": meta["wall_time"],
            **_abs_errors(errors),
            "success_metric": info.get("success_metric", "noisy"),
            "metric_error": err,
        }
        self.last_eval = row
        if accurate and self.first_greedy is None:
            self.first_greedy = row
        self.eval_log.write(row)
        scalars = {"greedy/error": row["error"], "greedy/num_gates": len(circ), "greedy/accurate": float(accurate)}
        self.log.scalars({**scalars, **{f"greedy/{k}": v for k, v in _abs_errors(errors).items()}}, meta["episode"])
        old = self.best.get("greedy")
        metric = row["success_metric"]
        if accurate and (old is None or (len(circ), err) < (old["num_gates"], _record_error(old, metric))):
            # the shortest chemically accurate circuit a greedy evaluation has built
            rec = circuit_record(info, e0, meta["episode"], meta["timesteps"], meta["wall_time"], chem)
            rec["greedy_streak"] = self.eval_streak
            rec = self.best["greedy"] = with_kind(rec, "greedy", seed_of(self.dir))
            write_circuit(self.dir / "best", "greedy", rec)
        if self.stop_after and self.eval_streak >= self.stop_after:
            self.stopped_early = "success"
        return row


def _abs_errors(errors: dict | None) -> dict:
    """``{"error_noisy": |E - E0|, "error_mitigated": ..., "error_noiseless": ...}`` of signed errors
    by metric (``None`` where unknown)."""
    errors = errors if isinstance(errors, dict) else {}
    return {f"error_{m}": None if errors.get(m) is None else abs(float(errors[m])) for m in METRICS}


def _record_error(record: dict, metric: str) -> float:
    """``|E - E0|`` of a best-circuit record under ``metric`` (its noisy ``error`` when it has no
    ``errors``: a record of an older crlqas)."""
    err = metric_error(record.get("errors"), metric)
    return err if np.isfinite(err) else abs(record["error"])
