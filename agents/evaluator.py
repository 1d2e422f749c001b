"""Greedy evaluation episodes, run beside training.

A greedy evaluation runs the deterministic masked policy for one episode on the evaluation env.
Its cost is that of a training episode of the *current* policy, which early in a run builds the
longest circuits (on H2-2q half of a short run's wall time).  :class:`Evaluator` runs it on a
snapshot of the policy (:class:`GreedyPolicy`), either at once in this process
(``workers=0``) or in one worker process while training goes on (``workers=1``: a second core
does the evaluations).

Both give the same run: the training callback submits evaluation ``k`` at its episode, and acts on
its result (log row, streak, greedy record, the ``--stop-on-success`` decision) at the next
evaluation point, or when training ends; nothing depends on when the result actually arrives.  The
worker is stateless: each request carries the policy snapshot and the evaluation env, and the
reply the episode's result and the env after it, so checkpoints hold the env and any finished,
not yet acted-on result (:meth:`Evaluator.wait`).
"""

from __future__ import annotations

import copy
import multiprocessing as mp
import pickle
import time

import numpy as np

from crlqas.qnoise.errors import CrlqasError

from .runlog import METRICS, metric_error, step_errors

__all__ = ["Evaluator", "GreedyPolicy", "greedy_episode"]


class GreedyPolicy:
    """A picklable copy of a model's greedy, masked policy: ``policy(obs, mask) -> action``.

    :class:`~agents.dqn.MaskedDQN`: argmax of the Q-network over the legal actions; other SB3
    models: their policy's deterministic prediction (with the masks where ``predict`` takes
    ``action_masks``, as MaskablePPO's does); any other object with ``predict``: a copy of it."""

    def __init__(self, model):
        from .callbacks import accepts_masks
        from .dqn import MaskedDQN

        self.masked = accepts_masks(model)
        if isinstance(model, MaskedDQN):
            self.kind, self.net = "q", copy.deepcopy(model.q_net).to("cpu")
            self.net.set_training_mode(False)
        elif hasattr(model, "policy"):
            self.kind, self.net = "policy", copy.deepcopy(model.policy).to("cpu")
            self.net.set_training_mode(False)
        else:
            self.kind, self.net = "model", copy.deepcopy(model)

    def __call__(self, obs, mask) -> int:
        import torch as th

        if self.kind == "q":
            with th.no_grad():
                q = self.net(th.as_tensor(np.asarray(obs, dtype=np.float32)[None]))[0].numpy()
            legal = np.asarray(mask, dtype=bool)
            return int(np.argmax(np.where(legal, q, -np.inf))) if legal.any() else int(np.argmax(q))
        kw = {"action_masks": mask} if self.masked else {}
        action, _ = self.net.predict(obs, deterministic=True, **kw)
        return int(np.asarray(action).item())


def greedy_episode(env, policy: GreedyPolicy) -> dict:
    """One greedy episode of ``policy`` on ``env`` (a QAS env): the step whose error by the env's
    success metric is lowest (its ``info`` and errors by metric), the episode's length, reward and
    wall time."""
    t = time.perf_counter()
    obs, _ = env.reset()
    best, done, length, reward = None, False, 0, 0.0
    while not done:
        obs, r, term, trunc, info = env.step(policy(obs, env.action_masks()))
        done, length, reward = term or trunc, length + 1, reward + float(r)
        errors = step_errors(info, env.e0)
        err = metric_error(errors, info.get("success_metric", "noisy"))
        if best is None or err < best[0]:
            best = (err, info, errors)
    err, info, errors = best
    keep = ("circuit", "angles", "energy", "energy_exact", "success_metric", "step", "threshold")
    keep += tuple(f"energy_{m}" for m in METRICS if m != "noisy")
    info = {k: info[k] for k in keep if k in info}
    return {"error": err, "info": info, "errors": errors, "length": length, "reward": reward,
            "eval_time": time.perf_counter() - t}  # fmt: skip


def _serve(conn) -> None:
    """The worker: answer ``(policy, env)`` requests with ``(result, env)`` until an empty one."""
    import signal

    from .vecenv import single_threaded, worker_init

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to handle: it closes us
    worker_init()  # one Numba thread here (set before the first request's env loads Numba)

    with single_threaded():
        while True:
            request = conn.recv_bytes()
            if not request:
                return
            policy, env = pickle.loads(request)
            try:
                reply = (greedy_episode(env, policy), env)
            except Exception as exc:  # reported to the trainer, which raises it
                reply = exc
            conn.send_bytes(pickle.dumps(reply))


def _died() -> CrlqasError:
    return CrlqasError(
        "the greedy-evaluation worker process died (a script that trains must start from "
        '`if __name__ == "__main__":`, as with every multiprocessing program; or set '
        "[run] eval_workers = 0 to evaluate in the training process)"
    )


class Evaluator:
    """Greedy evaluations in this process (``workers=0``) or in one worker process (``workers=1``).

    ``submit(policy, env)`` starts one; ``wait()`` returns ``(result, env after)`` of the last one
    submitted (``None`` when none is pending), blocking until it is done; ``close()`` ends the
    worker (also when the trainer dies: the worker is a daemon)."""

    def __init__(self, workers: int = 0):
        if workers not in (0, 1):
            raise ValueError(f"evaluation workers must be 0 or 1; got {workers!r}")
        self.workers = workers
        self._pending = None  # workers=0: the finished (result, env); workers=1: True while running
        self._conn = self._proc = None

    def _start(self) -> None:
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="crlqas-greedy-eval")
        self._proc.start()
        child.close()

    def submit(self, policy: GreedyPolicy, env) -> None:
        if self._pending is not None:
            raise RuntimeError("an evaluation is pending: wait() for it first")
        if self.workers == 0:
            self._pending = (greedy_episode(env, policy), env)
            return
        if self._proc is None:
            self._start()
        try:
            self._conn.send_bytes(pickle.dumps((policy, env)))
        except OSError:  # (BrokenPipeError: the worker is gone)
            raise _died() from None
        self._pending = True

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def wait(self):
        pending, self._pending = self._pending, None
        if pending is None or self.workers == 0:
            return pending
        try:
            reply = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            raise _died() from None
        if isinstance(reply, Exception):
            raise reply
        return reply

    def close(self) -> None:
        if self._proc is not None:
            try:
                if self._pending is None:  # idle: ask it to end; busy: its result is not wanted
                    self._conn.send_bytes(b"")
            except (OSError, EOFError):
                pass
            self._proc.join(timeout=5 if self._pending is None else 0)
            if self._proc.is_alive():
                self._proc.kill()
            self._conn.close()
            self._proc = self._conn = None
        self._pending = None
