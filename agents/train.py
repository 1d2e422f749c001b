"""Training runs: one seed per process, curriculum attached, logs, best circuits, resumable checkpoints.

``train(config, out_dir)`` trains ``config.run.episodes`` episodes for every seed of
``config.run.seeds`` (parallel processes by default, each with one numba and one torch thread) and
``resume(run_dir)`` continues an interrupted run from each seed's last checkpoint.

Exact resume: a checkpoint is taken between two environment steps (at the start of an SB3 rollout)
and holds the model (weights, optimizer, counters, last observation), the replay buffer, the
curriculum, the pickled environments (training and greedy-evaluation: their state and RNG), the
run's counters and the episode in progress, and the python/numpy/torch RNG states; the model is
loaded without SB3's forced env reset.  For the built-in DQN (one environment step per rollout)
checkpoints fall right after an episode end; on-policy agents (MaskablePPO) checkpoint at rollout
boundaries, possibly mid-episode.  Either way a resumed run reproduces the uninterrupted one exactly
(only the wall-clock columns differ) and loses at most the episodes since its last checkpoint.

Greedy evaluation (``[run] eval_every``): after every N-th training episode, once the agent has
made a gradient update, one episode of the deterministic masked policy runs on a separate env
(same settings, own RNG stream, the env's default threshold: an episode ends when its circuit is
chemically accurate); rows go to ``eval.csv``.  ``[run] stop_after_success = K`` ends the run
once K evaluations in a row were chemically accurate; ``[run] max_seconds`` ends it (checkpointed;
``--resume`` continues) after that much time in one invocation.
"""

from __future__ import annotations

import os
import pickle
import random
import time
from pathlib import Path

import numpy as np

from crlqas.qnoise.errors import ValidationError

from .runlog import (EpisodeLog, EvalLog, atomic_write_json, circuit_record, read_manifest,
                     write_checkpoint, write_circuit)

__all__ = ["train", "resume", "train_seed", "seed_dir"]

_HUGE = 10**12


def seed_dir(run_dir, seed: int) -> Path:
    return Path(run_dir) / f"seed_{seed}"


def _single_thread() -> None:
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)


def _accepts_masks(model) -> bool:
    import inspect

    return "action_masks" in inspect.signature(model.predict).parameters


def make_eval_env(env_config, seed: int):
    """The greedy-evaluation env: same settings, its own RNG stream, the env's default threshold
    (chemical accuracy), so an evaluation episode ends when the greedy circuit is accurate."""
    from crlqas.envs.qas_env import QASEnv

    env = QASEnv(env_config)
    env.reset(seed=seed + 1_000_003)
    return env


def make_vec_env(env_config):
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from crlqas.envs.qas_env import QASEnv

    return DummyVecEnv([lambda: Monitor(QASEnv(env_config))])


# ---------------------------------------------------------------------------- the callback
def make_run_callback(**kwargs):
    from stable_baselines3.common.callbacks import BaseCallback

    class RunCallback(BaseCallback):
        """Episode log, best circuits, checkpoints and the episode budget (see module docstring)."""

        def __init__(self, seed_path: Path, episodes: int, checkpoint_every: int, curriculum_cb,
                     progress=None, state: dict | None = None, log_every: int = 1, eval_env=None,
                     eval_every: int = 0, stop_after_success: int = 0):
            super().__init__(0)
            self.dir, self.target, self.every = Path(seed_path), episodes, checkpoint_every
            self.curriculum_cb, self.progress, self.log_every = curriculum_cb, progress, log_every
            self.eval_env, self.eval_every, self.stop_after = eval_env, eval_every, stop_after_success
            s = state or {}
            self.episodes = s.get("episodes", 0)
            self.last_ckpt = s.get("last_ckpt", self.episodes)
            self.best = s.get("best", {})  # name -> record
            self.successes = list(s.get("successes", []))
            self.elapsed0 = s.get("elapsed", 0.0)
            self.eval_streak = s.get("eval_streak", 0)  # consecutive chemically accurate greedy evals
            self.last_eval = s.get("last_eval")  # row of the latest greedy evaluation
            self.first_greedy = s.get("first_greedy")  # first chemically accurate greedy evaluation
            # False, "success" (final) or "time" (a new invocation, --resume, continues)
            self.stopped_early = s.get("stopped_early", False) or False
            if self.stopped_early == "time":
                self.stopped_early = False
            self.max_seconds = 0.0
            self._ep = s.get("ep") or self._new_episode()
            self._ep["t"] = time.perf_counter()
            self.log = EpisodeLog(self.dir, resume_episodes=self.episodes)
            self.eval_log = EvalLog(self.dir, resume_episodes=self.episodes) if eval_every else None
            if state is not None:  # files of episodes lost since the checkpoint: back to its records
                best_dir = self.dir / "best"
                for f in best_dir.glob("*.*") if best_dir.exists() else []:
                    if f.stem not in self.best:
                        f.unlink()
                for name, rec in self.best.items():
                    write_circuit(best_dir, name, rec)
            self.t0 = time.perf_counter()
            self.finished = False

        @staticmethod
        def _new_episode():
            return {"min_error": np.inf, "reward": 0.0, "length": 0, "t": time.perf_counter()}

        def elapsed(self) -> float:
            return self.elapsed0 + time.perf_counter() - self.t0

        def state(self) -> dict:
            return {"episodes": self.episodes, "last_ckpt": self.episodes, "best": self.best,
                    "successes": self.successes[-100:], "elapsed": self.elapsed(), "ep": self._ep,
                    "eval_streak": self.eval_streak, "last_eval": self.last_eval,
                    "stopped_early": self.stopped_early, "first_greedy": self.first_greedy}

        def _on_step(self) -> bool:
            env = self.training_env.envs[0].unwrapped
            e0, chem = env.e0, env.chemical_accuracy
            for info, reward, done in zip(self.locals["infos"], self.locals["rewards"], self.locals["dones"]):
                ep = self._ep
                ep["reward"] += float(reward)
                ep["length"] += 1
                if "energy_exact" in info and "circuit" in info:
                    self._track(info, e0, chem)
                if done:
                    self._episode_end(info)
            if (self.episodes >= self.target or self.stopped_early) and not self.finished:
                self.finished = True
                if hasattr(self.model, "_stop_requested"):
                    self.model._stop_requested = True  # MaskedDQN: stop cleanly between steps
                    return True
                return False
            return not self.finished

        def _track(self, info, e0, chem) -> None:
            err = np.inf if e0 is None else abs(float(info["energy_exact"]) - e0)
            self._ep["min_error"] = min(self._ep["min_error"], err)
            make = lambda: circuit_record(info, e0, self.episodes + 1, self.num_timesteps,  # noqa: E731
                                          self.elapsed(), chem)
            updates = []
            if float(info["energy_exact"]) < self.best.get("best_energy", {}).get("energy", np.inf):
                updates.append("best_energy")
            if err <= chem:
                if "first_accurate" not in self.best:
                    updates.append("first_accurate")
                old = self.best.get("shortest_accurate")
                if old is None or (len(info["circuit"]), err) < (old["num_gates"], abs(old["error"])):
                    updates.append("shortest_accurate")
            if updates:
                rec = make()
                for name in updates:
                    self.best[name] = rec
                    write_circuit(self.dir / "best", name, rec)

        def _episode_end(self, info) -> None:
            self.episodes += 1
            success = bool(info.get("success", False))
            self.successes = (self.successes + [success])[-100:]
            ep, now = self._ep, time.perf_counter()
            circ = info.get("circuit")
            best = self.best.get("best_energy", {}).get("error")
            row = {"episode": self.episodes, "timesteps": self.num_timesteps, "length": ep["length"],
                   "reward": ep["reward"], "energy_error": ep["min_error"],
                   "best_error": abs(best) if best is not None else None,
                   "threshold": info.get("curriculum_threshold", self._threshold(info)),
                   "success": success, "success_rate": float(np.mean(self.successes)),
                   "num_gates": None if circ is None else len(circ),
                   "num_cnots": info.get("num_cnots"), "num_rotations": info.get("num_rotations"),
                   "depth": info.get("depth"), "episode_time": now - ep["t"],
                   "wall_time": self.elapsed(), "epsilon": getattr(self.model, "exploration_rate", None)}
            if self.episodes % self.log_every == 0 or self.episodes == self.target:
                self.log.write(row)
            if self.eval_every and self.episodes % self.eval_every == 0 and self.learning():
                self.evaluate()
            self._ep = self._new_episode()  # after the evaluation: episode_time is training only
            if self.last_eval is not None:
                row["greedy_error"] = self.last_eval["error"]
            if self.progress is not None:
                self.progress(row)
            if self.max_seconds and time.perf_counter() - self.t0 >= self.max_seconds and not self.stopped_early:
                self.stopped_early = "time"

        def learning(self) -> bool:
            """Has the agent made a gradient update?  (Before that its greedy policy is its random
            initialisation: no evaluation then.)"""
            return getattr(self.model, "_n_updates", 1) > 0

        def evaluate(self) -> dict:
            """One greedy episode (deterministic, masked policy) on the evaluation env."""
            env = self.eval_env
            e0, chem = env.e0, env.chemical_accuracy
            t = time.perf_counter()
            obs, _ = env.reset()
            masked = _accepts_masks(self.model)
            best, done, length, reward = None, False, 0, 0.0
            while not done:
                kw = {"action_masks": env.action_masks()} if masked else {}
                action, _ = self.model.predict(obs, deterministic=True, **kw)
                obs, r, term, trunc, info = env.step(int(np.asarray(action).item()))
                done, length, reward = term or trunc, length + 1, reward + float(r)
                err = np.inf if e0 is None else abs(float(info["energy_exact"]) - e0)
                if best is None or err < best[0]:
                    best = (err, info)
            err, info = best
            accurate = bool(err <= chem)
            self.eval_streak = self.eval_streak + 1 if accurate else 0
            circ = info["circuit"]
            row = {"episode": self.episodes, "timesteps": self.num_timesteps, "error": err,
                   "energy": float(info["energy_exact"]), "accurate": accurate, "length": length,
                   "reward": reward, "num_gates": len(circ), "num_cnots": int(circ.num_two_qubit_gates),
                   "depth": int(circ.depth()), "streak": self.eval_streak,
                   "eval_time": time.perf_counter() - t, "wall_time": self.elapsed()}
            self.last_eval = row
            if accurate and self.first_greedy is None:
                self.first_greedy = row
            self.eval_log.write(row)
            self.log.scalars({"greedy/error": err, "greedy/num_gates": len(circ),
                              "greedy/accurate": float(accurate)}, self.episodes)
            old = self.best.get("greedy")
            if accurate and (old is None or (len(circ), err) < (old["num_gates"], abs(old["error"]))):
                # the shortest chemically accurate circuit a greedy evaluation has built
                rec = circuit_record(info, e0, self.episodes, self.num_timesteps, self.elapsed(), chem)
                rec["greedy_streak"] = self.eval_streak
                self.best["greedy"] = rec
                write_circuit(self.dir / "best", "greedy", rec)
            if self.stop_after and self.eval_streak >= self.stop_after:
                self.stopped_early = "success"
            return row

        def _threshold(self, info):
            if self.curriculum_cb is not None:
                return float(self.curriculum_cb.curriculum.threshold)
            return info.get("threshold")

        def _on_rollout_start(self) -> None:
            if self.episodes - self.last_ckpt >= self.every and not self.finished:
                self.checkpoint()

        def checkpoint(self) -> None:
            save_checkpoint(self.dir, self.model, self.curriculum_cb, self.state(), self.eval_env)
            self.last_ckpt = self.episodes

        def _on_training_end(self) -> None:
            self.log.close()
            if self.eval_log is not None:
                self.eval_log.close()

    return RunCallback(**kwargs)


# ---------------------------------------------------------------------------- checkpoints
def _rng_states() -> dict:
    import torch

    return {"python": random.getstate(), "numpy": np.random.get_state(),
            "torch": torch.get_rng_state()}


def _set_rng_states(s: dict) -> None:
    import torch

    random.setstate(s["python"])
    np.random.set_state(s["numpy"])
    torch.set_rng_state(s["torch"])


def save_checkpoint(seed_path: Path, model, curriculum_cb, run_state: dict, eval_env=None) -> None:
    def files(tmp: Path):
        model.save(tmp / "model.zip")
        if getattr(model, "replay_buffer", None) is not None:
            model.save_replay_buffer(tmp / "replay_buffer.pkl")
        state = {"run": run_state, "rng": _rng_states(),
                 "action_space_rng": model.action_space.np_random.bit_generator.state,
                 "curriculum": None if curriculum_cb is None else curriculum_cb.state_dict(),
                 "envs": pickle.dumps(model.get_env().envs),
                 "eval_env": None if eval_env is None else pickle.dumps(eval_env),
                 "algorithm": type(model).__name__}
        with open(tmp / "state.pkl", "wb") as fh:
            pickle.dump(state, fh)

    write_checkpoint(seed_path, run_state["episodes"], files)


# ---------------------------------------------------------------------------- one seed
def train_seed(config_dict: dict, run_dir: str, seed: int, resume: bool = False, progress_queue=None,
               episodes: int | None = None) -> dict:
    """Train (or resume) one seed in this process; returns its summary (also ``summary.json``)."""
    from stable_baselines3.common.callbacks import CallbackList

    from .config import TrainConfig
    from .curriculum_callback import CurriculumCallback
    from .ppo import agent_class, make_agent

    _single_thread()
    cfg = TrainConfig.from_dict(config_dict)
    target = episodes or cfg.run.episodes
    sdir = seed_dir(run_dir, seed)
    sdir.mkdir(parents=True, exist_ok=True)
    vec_env = make_vec_env(cfg.env)
    curriculum = cfg.make_curriculum(target)
    manifest = read_manifest(sdir) if resume else None
    state = None
    params = cfg.agent_params()
    if manifest is not None:
        path = manifest["path"]
        with open(path / "state.pkl", "rb") as fh:
            state = pickle.load(fh)
        # force_reset=False: keep the saved last observation (the pickled env is mid-run); SB3's
        # default resets the env at the next learn(), which consumes env RNG and, for on-policy
        # agents checkpointed mid-episode, cuts the episode in progress
        model = agent_class(cfg.agent.name).load(path / "model.zip", env=vec_env, device="cpu",
                                                 force_reset=False)
        if (path / "replay_buffer.pkl").exists():
            model.load_replay_buffer(path / "replay_buffer.pkl")
        vec_env.envs = pickle.loads(state["envs"])  # environment state and RNG, mid-run
        vec_env._reset_seeds()
        if hasattr(vec_env, "_reset_options"):
            vec_env._reset_options()
        _set_rng_states(state["rng"])
        model.action_space.np_random.bit_generator.state = state["action_space_rng"]
    else:
        model = make_agent(cfg.agent.name, vec_env, seed=seed, **params)
    from stable_baselines3.common.logger import configure

    model.set_logger(configure(str(sdir / "tb"), ["tensorboard"]))
    cur_cb = CurriculumCallback(curriculum) if curriculum is not None else None
    if cur_cb is not None and state is not None and state["curriculum"] is not None:
        cur_cb.load_state_dict(state["curriculum"])

    def progress(row):
        if progress_queue is not None:
            progress_queue.put((seed, row))

    eval_env = None
    if cfg.run.eval_every:
        if state is not None and state.get("eval_env") is not None:
            eval_env = pickle.loads(state["eval_env"])
        else:
            eval_env = make_eval_env(cfg.env, seed)
    run_cb = make_run_callback(seed_path=sdir, episodes=target, checkpoint_every=cfg.run.checkpoint_every,
                               curriculum_cb=cur_cb, progress=progress,
                               state=None if state is None else state["run"], log_every=cfg.run.log_every,
                               eval_env=eval_env, eval_every=cfg.run.eval_every,
                               stop_after_success=cfg.run.stop_after_success)
    run_cb.max_seconds = cfg.run.max_seconds
    if run_cb.episodes < target and not run_cb.stopped_early:
        callbacks = CallbackList([cb for cb in (cur_cb, run_cb) if cb is not None])
        model.learn(total_timesteps=_HUGE, callback=callbacks, reset_num_timesteps=state is None,
                    log_interval=10**9)
        run_cb.checkpoint()  # final state (between steps for the built-in DQN)
    else:
        run_cb._on_training_end()
    summary = {"seed": seed, "dir": str(sdir), "episodes": run_cb.episodes, "timesteps": int(model.num_timesteps),
               "wall_time": run_cb.elapsed(), "agent": cfg.agent.name, "profile": cfg.agent.profile,
               "config": cfg.name, "stopped_early": run_cb.stopped_early, "last_eval": run_cb.last_eval,
               "first_greedy_accurate": run_cb.first_greedy,
               "e0": vec_env.envs[0].unwrapped.e0,
               "chemical_accuracy": vec_env.envs[0].unwrapped.chemical_accuracy}
    for name in ("best_energy", "first_accurate", "shortest_accurate", "greedy"):
        rec = run_cb.best.get(name)
        summary[name] = None if rec is None else {k: v for k, v in rec.items() if k not in ("circuit",)}
    atomic_write_json(sdir / "summary.json", summary)
    vec_env.close()
    return summary


# ---------------------------------------------------------------------------- several seeds
def train(config, out_dir, seeds=None, episodes: int | None = None, parallel: bool | None = None,
          progress: bool = True, _resume: bool = False) -> list[dict]:
    """Train every seed of ``config`` (a :class:`~agents.config.TrainConfig`) into ``out_dir``."""
    out = Path(out_dir)
    if seeds is not None:
        config = config.with_run(seeds=tuple(seeds))
    if episodes is not None:
        config = config.with_run(episodes=int(episodes))
    if not _resume:
        if (out / "config.json").exists():
            raise ValidationError(f"{out} already holds a run; use --resume {out} or another --out")
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "config.json", config.to_dict(resolved=True))
    cfg_dict = config.to_dict(resolved=True)
    seeds = list(config.run.seeds)
    par = config.run.parallel if parallel is None else parallel
    bars = _Bars(seeds, config.run.episodes, enabled=progress)
    try:
        if par and len(seeds) > 1:
            return _train_parallel(cfg_dict, out, seeds, _resume, bars)
        results = []
        for s in seeds:
            results.append(train_seed(cfg_dict, str(out), s, resume=_resume, progress_queue=bars))
        return results
    finally:
        bars.close()


def resume(run_dir, episodes: int | None = None, parallel: bool | None = None, progress: bool = True):
    """Continue the run in ``run_dir`` from each seed's last checkpoint (``episodes``: new total)."""
    from .config import TrainConfig

    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise ValidationError(f"{run_dir} is not a run directory (no config.json)")
    import json

    cfg = TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    if episodes is not None:
        cfg = cfg.with_run(episodes=int(episodes))
        atomic_write_json(run_dir / "config.json", cfg.to_dict(resolved=True))
    return train(cfg, run_dir, parallel=parallel, progress=progress, _resume=True)


def _train_parallel(cfg_dict, out: Path, seeds, resume_flag, bars) -> list[dict]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        queue = manager.Queue()
        workers = min(len(seeds), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_single_thread) as pool:
            futures = [pool.submit(train_seed, cfg_dict, str(out), s, resume_flag, queue) for s in seeds]
            while not all(f.done() for f in futures):
                bars.drain(queue, timeout=0.2)
            bars.drain(queue, timeout=0.0)
            return [f.result() for f in futures]


class _Bars:
    """tqdm bars per seed: episode, best error, threshold, success rate, episodes per second."""

    def __init__(self, seeds, total, enabled=True):
        self.bars = {}
        if enabled:
            from tqdm import tqdm

            for i, s in enumerate(seeds):
                self.bars[s] = tqdm(total=total, desc=f"seed {s}", position=i, unit="ep",
                                    dynamic_ncols=True, leave=True)

    def put(self, item) -> None:  # queue interface, for the in-process path
        self._update(*item)

    def drain(self, queue, timeout: float) -> None:
        import queue as q

        try:
            item = queue.get(timeout=timeout) if timeout else queue.get_nowait()
            while True:
                self._update(*item)
                item = queue.get_nowait()
        except q.Empty:
            pass

    def _update(self, seed, row) -> None:
        bar = self.bars.get(seed)
        if bar is None:
            return
        bar.n = int(row["episode"])
        best = row.get("best_error")
        rate = row["episode"] / max(row["wall_time"], 1e-9)
        text = f"thr {row['threshold']:.4g} | succ {row['success_rate']:.2f} | {rate:.1f} ep/s"
        if best is not None:
            text = f"best err {best:.2e} | " + text
        if row.get("greedy_error") is not None:
            text = f"greedy err {row['greedy_error']:.2e} | " + text
        bar.set_postfix_str(text, refresh=True)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
