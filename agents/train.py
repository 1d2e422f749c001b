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
(only the wall-clock columns differ) and loses at most the episodes since its last checkpoint:
one is taken after ``[run] checkpoint_every`` episodes or ``checkpoint_seconds`` of training,
whichever comes first (time-based ones take at most 5% of the time; when a checkpoint is taken does
not change the run).  Each checkpoint is verified (SHA-256 per file) before older ones are deleted,
and ``resume`` takes the newest valid one, reporting the damaged ones it skips; it refuses a run
whose ``config.json`` no longer matches the configuration its checkpoints were made with, and an
``episodes`` total below the episodes already done.
The run's callback is :class:`crlqas.agents.callbacks.RunCallback`; checkpoints are written and
restored by :mod:`crlqas.agents.checkpoint`; a seed's envs are built by :mod:`crlqas.agents.vecenv`.

Several envs per seed (``[run] n_envs = N > 1``, ``--n-envs N``): the seed's N envs step in N
processes (``SubprocVecEnv``, start method ``forkserver``, else ``spawn``; one Numba and one torch
thread each) and feed one agent in the seed's process; a seed then uses N + 1 processes (scripts
that call :func:`train` need the ``if __name__ == "__main__":`` guard of ``multiprocessing``).  The
curriculum and the episode log see every episode of every env once (numbered in the order they
end), and the episode budget counts them all (the last vector step may end up to N - 1 more
episodes, logged too).  Resume stays exact: a checkpoint holds each env process's pickled env
(``env_method("get_state")``, mid-episode for the envs whose episode goes on, with its RNG) and
each env's episode in progress, and the resumed processes get them back
(``env_method("set_state")``).  ``n_envs = 1`` is the single ``DummyVecEnv`` env of this process,
as before.  ``n_envs`` may not change on resume (it changes what is computed: the seeds of the
envs, the replay buffer's layout, the updates per transition).

Device (``[agent] device``, ``--device``): ``"auto"`` (CUDA when available, else the CPU),
``"cpu"`` or ``"cuda"``; ``"cuda"`` without CUDA is refused before any work.  Checkpoints load
onto the configured device, whichever device saved them, and the device may change on resume (a
run continued on another device may differ in the last bits of its floating-point results).

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
import sys
from pathlib import Path

from crlqas.qnoise.errors import InputFileError, OutputPathError, ValidationError
from crlqas.qnoise.fileio import check_output_dir, read_json_object

from .runlog import RESULT_FILE, agent_method, atomic_write_json, episodes_done, find_checkpoint, seed_result
from .vecenv import close_vec_env, make_eval_env, make_vec_env, single_threaded, worker_init

__all__ = ["load_run_config", "resume", "seed_dir", "train", "train_seed"]

_HUGE = 10**12


def seed_dir(run_dir, seed: int) -> Path:
    return Path(run_dir) / f"seed_{seed}"


# ---------------------------------------------------------------------------- one seed
def train_seed(
    config_dict: dict, run_dir: str, seed: int, resume: bool = False, progress_queue=None, episodes: int | None = None
) -> dict:
    """Train (or resume) one seed in this process; returns its summary (also ``summary.json``)."""
    with single_threaded():
        return _train_seed(config_dict, run_dir, seed, resume, progress_queue, episodes)


def _train_seed(config_dict: dict, run_dir: str, seed: int, resume: bool, progress_queue, episodes) -> dict:
    from .config import TrainConfig, resolve_device

    cfg = TrainConfig.from_dict(config_dict)
    device = resolve_device(cfg.agent.device)
    vec_env = make_vec_env(cfg.env, cfg.run.n_envs)
    try:
        return _train_on(cfg, config_dict, vec_env, device, run_dir, seed, resume, progress_queue, episodes)
    finally:
        close_vec_env(vec_env)  # (SubprocVecEnv: ends its processes, also when the run dies)


def _train_on(cfg, config_dict, vec_env, device, run_dir, seed, resume, progress_queue, episodes) -> dict:
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.logger import configure

    from .callbacks import RunCallback
    from .checkpoint import load_checkpoint
    from .curriculum_callback import CurriculumCallback
    from .ppo import agent_class, make_agent

    target = episodes or cfg.run.episodes
    sdir = seed_dir(run_dir, seed)
    sdir.mkdir(parents=True, exist_ok=True)
    config_path = Path(run_dir) / "config.json"
    curriculum = cfg.make_curriculum(target)
    model, state = (
        load_checkpoint(
            sdir, agent_class(cfg.agent.name), vec_env, config=config_dict, config_path=config_path, device=device
        )
        if resume
        else (None, None)
    )
    for reason in [] if state is None else state["skipped"]:
        if "cannot be loaded" in reason:  # (damaged ones were reported by resume() already)
            _warn(f"seed {seed}: skipping checkpoint {reason}; resuming from {Path(state['checkpoint']).name}")
    if model is None:
        model = make_agent(cfg.agent.name, vec_env, seed=seed, device=device, **cfg.agent_params())
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
    run_cb = RunCallback(
        sdir,
        episodes=target,
        checkpoint_every=cfg.run.checkpoint_every,
        curriculum_cb=cur_cb,
        progress=progress,
        state=None if state is None else state["run"],
        log_every=cfg.run.log_every,
        eval_env=eval_env,
        eval_every=cfg.run.eval_every,
        stop_after_success=cfg.run.stop_after_success,
        max_seconds=cfg.run.max_seconds,
        checkpoint_seconds=cfg.run.checkpoint_seconds,
        config=config_dict,
        eval_workers=eval_workers(cfg.run.eval_workers) if eval_env is not None else 0,
    )
    if run_cb.episodes < target and not run_cb.stopped_early:
        callbacks = CallbackList([cb for cb in (cur_cb, run_cb) if cb is not None])
        try:
            model.learn(
                total_timesteps=_HUGE, callback=callbacks, reset_num_timesteps=state is None, log_interval=10**9
            )
        finally:
            run_cb.close()  # also when the run dies (its logs end at the last finished episode)
        run_cb.checkpoint()  # final state (between steps for the built-in DQN)
    else:  # nothing left to train: the logs and best circuits as of the checkpoint
        run_cb.open()
        run_cb.close()
    summary = {
        "seed": seed,
        "dir": str(sdir),
        "episodes": run_cb.episodes,
        "timesteps": int(model.num_timesteps),
        "wall_time": run_cb.elapsed(),
        "agent": cfg.agent.name,
        "profile": cfg.agent.profile,
        "config": cfg.name,
        "device": str(model.device),
        "n_envs": vec_env.num_envs,
        "stopped_early": run_cb.stopped_early,
        "last_eval": run_cb.last_eval,
        "first_greedy_accurate": run_cb.first_greedy,
        "e0": vec_env.get_attr("e0", indices=0)[0],
        "chemical_accuracy": vec_env.get_attr("chemical_accuracy", indices=0)[0],
        "resumed_from": None if state is None else state["run"]["episodes"],
        "skipped_checkpoints": [] if state is None else state["skipped"],
    }
    for name in ("best_energy", "first_accurate", "shortest_accurate", "greedy"):
        rec = run_cb.best.get(name)
        summary[name] = None if rec is None else {k: v for k, v in rec.items() if k not in ("circuit",)}
    summary["evaluations"] = run_cb.evaluations
    noise = cfg.env.noise
    result = seed_result(
        sdir,
        method=agent_method(cfg.agent.name, cfg.agent.profile),
        problem=str(vec_env.get_attr("problem_id", indices=0)[0]),
        noise="none" if noise in (None, "noiseless") else getattr(noise, "name", noise),
        seed=seed,
        metric=cfg.env.success_metric,
        e0=summary["e0"],
        chemical_accuracy=summary["chemical_accuracy"],
        evaluations=run_cb.evaluations,
        wall_time=summary["wall_time"],
        extra={"episodes": run_cb.episodes, "first_greedy_accurate": run_cb.first_greedy},
    )
    summary["result"] = None if result is None else RESULT_FILE
    atomic_write_json(sdir / "summary.json", summary)
    return summary


# ---------------------------------------------------------------------------- several seeds
def train(
    config,
    out_dir,
    seeds=None,
    episodes: int | None = None,
    parallel: bool | None = None,
    progress: bool = True,
    header: bool = False,
    _resume: bool = False,
) -> list[dict]:
    """Train every seed of ``config`` (a :class:`~agents.config.TrainConfig`) into ``out_dir``.

    ``out_dir`` is checked before any work: it must be a new or empty directory that can be created
    (:class:`~crlqas.qnoise.errors.OutputPathError` otherwise; one that holds a run's
    ``config.json`` is refused with a pointer to ``--resume``); so is ``[agent] device``
    (``"cuda"`` without CUDA is a :class:`~crlqas.qnoise.errors.ValidationError`).  ``header``:
    print one line first (what trains where: seeds, episodes, agent, device, envs per seed)."""
    from .config import resolve_device

    out = Path(out_dir)
    if seeds is not None:
        config = config.with_run(seeds=tuple(seeds))
    if episodes is not None:
        config = config.with_run(episodes=int(episodes))
    device = resolve_device(config.agent.device)
    if not _resume:
        check_output_dir(out, "run directory")
        if (out / "config.json").exists():
            raise ValidationError(f"{out} already holds a run; use --resume {out} or another --out")
        if out.is_dir() and any(out.iterdir()):
            names = sorted(p.name for p in out.iterdir())
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            raise OutputPathError(
                f"run directory {str(out)!r} is not empty ({shown}) and holds no run to resume; "
                "give a new or empty directory with --out"
            )
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "config.json", config.to_dict(resolved=True))
    cfg_dict = config.to_dict(resolved=True)
    seeds = list(config.run.seeds)
    if header:
        print(header_line(config, out, device, _resume), flush=True)
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


def eval_workers(setting) -> int:
    """``[run] eval_workers`` resolved: ``"auto"`` is 1 (a worker process) with at least two cores."""
    import os

    return (1 if (os.cpu_count() or 1) >= 2 else 0) if setting == "auto" else int(setting)


def header_line(config, out, device: str, resumed: bool = False) -> str:
    """``crlqas train``'s first line: the run, seeds, episodes, agent, torch device and envs per seed."""
    seeds, r = config.run.seeds, config.run
    return (
        f"{'resuming' if resumed else 'training'} {config.name}: "
        f"seed{'s' if len(seeds) > 1 else ''} {','.join(map(str, seeds))}, {r.episodes} episodes, "
        f"agent {config.agent.name} ({config.agent.profile} profile) on {device}"
        + (f" (device = {config.agent.device})" if config.agent.device != device else "")
        + f", {r.n_envs} env{'s' if r.n_envs > 1 else ''} per seed -> {out}"
    )


def _warn(message: str) -> None:
    print(f"crlqas: warning: {message}", file=sys.stderr, flush=True)


def load_run_config(run_dir):
    """``(TrainConfig, path)`` of the run in ``run_dir`` (its ``config.json``); a missing
    directory, a file, or a damaged or invalid ``config.json`` raise errors naming the path."""
    from .checkpoint import with_unrecorded_defaults
    from .config import TrainConfig

    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise InputFileError(f"run directory {str(run_dir)!r} does not exist")
    if not run_dir.is_dir():
        raise InputFileError(f"{str(run_dir)!r} is a file; give a run directory (the --out of 'crlqas train')")
    path = run_dir / "config.json"
    if not path.exists():
        raise InputFileError(f"{str(run_dir)!r} is not a run directory (no config.json)")
    data = with_unrecorded_defaults(read_json_object(path, "run configuration"))
    try:
        return TrainConfig.from_dict(data), path
    except ValidationError as exc:
        raise ValidationError(f"run configuration {str(path)!r}: {exc}") from None


def resume(
    run_dir,
    episodes: int | None = None,
    parallel: bool | None = None,
    progress: bool = True,
    warn=None,
    device: str | None = None,
    header: bool = False,
):
    """Continue the run in ``run_dir`` from each seed's newest valid checkpoint (``episodes``: new
    total per seed; ``device``: another ``[agent] device``, written to ``config.json``: checkpoints
    load on either device).

    Checked before anything is written: the run's ``config.json`` (it must parse and be valid, and
    match the configuration the checkpoints were made with, apart from
    :data:`~crlqas.agents.runlog.RESUME_MAY_CHANGE`), each seed's checkpoints (a damaged newest one
    is skipped and reported through ``warn``, default a ``crlqas: warning:`` line on stderr; with
    none valid a :class:`~crlqas.qnoise.errors.CrlqasError` lists why), and ``episodes``, which may
    not be below the episodes a seed has already done (its logs would be cut)."""
    from .checkpoint import check_config
    from .config import resolve_device

    run_dir = Path(run_dir)
    cfg, cfg_path = load_run_config(run_dir)
    check_output_dir(run_dir, "run directory")
    warn = _warn if warn is None else warn
    resolve_device(cfg.agent.device if device is None else device)  # before anything is written
    reference = cfg.to_dict(resolved=True)
    done = {}
    for s in cfg.run.seeds:
        sdir = seed_dir(run_dir, s)
        manifest, skipped = find_checkpoint(sdir)
        if manifest is not None:
            check_config(manifest, reference, cfg_path)
        for reason in skipped:
            warn(f"seed {s}: skipping damaged checkpoint {reason}; resuming from {manifest['path'].name}")
        if manifest is not None and not manifest["verified"]:
            warn(f"seed {s}: checkpoint {manifest['path'].name} has no checksums (older crlqas); not verified")
        done[s] = episodes_done(sdir)
    if episodes is not None:
        most = max(done.values(), default=0)
        if int(episodes) < most:
            worst = max(done, key=done.get)
            raise ValidationError(
                f"the run {run_dir} has already done {most} episodes (seed {worst}); --episodes must "
                f"be at least {most} (a smaller total would cut its logs)"
            )
        cfg = cfg.with_run(episodes=int(episodes))
    if device is not None:
        cfg = cfg.with_device(device)
    if episodes is not None or device is not None:
        atomic_write_json(cfg_path, cfg.to_dict(resolved=True))
    return train(cfg, run_dir, parallel=parallel, progress=progress, header=header, _resume=True)


def _train_parallel(cfg_dict, out: Path, seeds, resume_flag, bars) -> list[dict]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        queue = manager.Queue()
        workers = min(len(seeds), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_init) as pool:
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
                self.bars[s] = tqdm(
                    total=total, desc=f"seed {s}", position=i, unit="ep", dynamic_ncols=True, leave=True
                )

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
