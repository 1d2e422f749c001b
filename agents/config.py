"""``TrainConfig``: everything ``crlqas train`` needs, read from TOML (or JSON) and validated at load.

A config file has four sections::

    [env]          # envs.config.QASConfig fields (problem, noise, shots, max_steps, optimizer, ...)
    problem = "h2-2q"

    [agent]
    name = "dqn"                     # "dqn" (the paper's), "maskable-ppo", or "sb3:<Algorithm>"
    profile = "paper"                # "paper" (5 x 1000 MLP, batch 1000, ...) or "cpu" (2 x 256,
                                     # batch 64, learning starts 200: minutes on a laptop CPU)
    device = "auto"                  # torch device of the networks: "auto" (CUDA when
                                     # torch.cuda.is_available(), else the CPU), "cpu" or "cuda";
                                     # may change on --resume (checkpoints load on either)
    [agent.params]                   # overrides of the agent's defaults (the paper's for "dqn")
    learning_rate = 3e-4
    policy_kwargs = { net_arch = [1000, 1000, 1000, 1000, 1000], activation = "leaky_relu" }

    [curriculum]
    kind = "paper"                   # "paper" (MovingThresholdCurriculum.paper), "moving-threshold",
                                     # "ranked" (RankedThresholdCurriculum: the presets'),
                                     # "fixed-schedule" or "none"; other keys are its options, and
    min_error = 0.0008               # (moving-threshold, ranked) a floor on the threshold as an
                                     # error against E0 on the success metric, in hartree

    [run]
    episodes = 300                   # episodes per seed
    seeds = [100, 101, 102]
    checkpoint_every = 50            # at most this many episodes between checkpoints
    checkpoint_seconds = 10          # and a checkpoint after this much training time (0: off), at
                                     # most 5% of the time (see agents.callbacks.RunCallback.due)
    parallel = true                  # seeds as parallel processes
    n_envs = 1                       # environments per seed, stepping in parallel processes
                                     # (SubprocVecEnv) when > 1, feeding one agent
    eval_every = 0                   # a greedy evaluation episode every N training episodes (0: none)
    stop_after_success = 0           # stop once K consecutive greedy evaluations are chemically
                                     # accurate (0: run all the episodes; needs eval_every)
    max_seconds = 0                  # stop after this much training time per seed (0: no limit)

Every problem raises :class:`qnoise.errors.ValidationError` naming the section and key.
``TrainConfig.resolved()`` fills in the agent's defaults so that the run directory's
``config.json`` states every setting.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from pathlib import Path

from crlqas.qnoise.errors import InputFileError, ValidationError
from crlqas.qnoise.fileio import read_json_object, read_toml

__all__ = [
    "DEVICES",
    "AgentConfig",
    "RunConfig",
    "TrainConfig",
    "default_agent_params",
    "load_config",
    "resolve_device",
]

SECTIONS = ("env", "agent", "curriculum", "run")
CURRICULUM_KINDS = ("paper", "moving-threshold", "ranked", "fixed-schedule", "vanilla", "none")
_RESERVED_AGENT = ("env", "seed", "device", "tensorboard_log", "replay_buffer_class", "_init_setup_model")
#: values of ``[agent] device``
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """The torch device ``[agent] device`` names on this machine: ``"auto"`` is ``"cuda"`` when
    ``torch.cuda.is_available()``, else ``"cpu"``; ``"cuda"`` without a usable CUDA device raises a
    :class:`ValidationError` saying so (not a torch traceback)."""
    if device not in DEVICES:
        raise ValidationError(f"[agent] device must be one of {', '.join(map(repr, DEVICES))}; got {device!r}")
    if device == "cpu":
        return "cpu"
    import torch

    available = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if available else "cpu"
    if not available:
        why = "this torch is built without CUDA" if torch.version.cuda is None else "no CUDA device is visible"
        raise ValidationError(
            f"[agent] device = 'cuda' but torch.cuda.is_available() is False on this machine ({why}; "
            f"torch {torch.__version__}); use device = 'auto' or 'cpu' (crlqas train --device cpu; "
            "a run may change its device on --resume)"
        )
    return "cuda"


def _unknown(section: str, given, allowed) -> None:
    import difflib

    bad = sorted(set(given) - set(allowed))
    if bad:
        hints = []
        for b in bad:
            close = difflib.get_close_matches(b, list(allowed), 1)
            hints.append(f"{b!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValidationError(f"[{section}]: unknown key(s) {', '.join(hints)}; allowed: {', '.join(sorted(allowed))}")


@dataclass(frozen=True)
class RunConfig:
    episodes: int = 300
    seeds: tuple = (100,)
    checkpoint_every: int = 50
    parallel: bool = True
    log_every: int = 1  # CSV/TensorBoard row every N episodes
    eval_every: int = 0  # greedy evaluation episode every N training episodes (0: none)
    stop_after_success: int = 0  # stop after K consecutive chemically accurate greedy evaluations
    max_seconds: float = 0  # stop (cleanly, checkpointed) after this much training time per seed (0: none)
    checkpoint_seconds: float = 10  # also checkpoint after this much training time (0: episodes only)
    n_envs: int = 1  # environments per seed (> 1: parallel processes, SubprocVecEnv)
    # greedy evaluations in a worker process beside training (1), in the trainer (0), or "auto"
    # (1 with at least two cores); the run is the same either way (agents/evaluator.py)
    eval_workers: int | str = "auto"

    def __post_init__(self):
        if self.eval_workers not in (0, 1, "auto") or isinstance(self.eval_workers, bool):
            raise ValidationError(f'[run] eval_workers must be 0, 1 or "auto"; got {self.eval_workers!r}')
        for name in ("episodes", "checkpoint_every", "log_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValidationError(f"[run] {name} must be a positive integer; got {v!r}")
        if isinstance(self.n_envs, bool) or not isinstance(self.n_envs, int) or self.n_envs < 1:
            raise ValidationError(f"[run] n_envs (environments per seed) must be an integer >= 1; got {self.n_envs!r}")
        for name in ("eval_every", "stop_after_success"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValidationError(f"[run] {name} must be an integer >= 0; got {v!r}")
        for name in ("max_seconds", "checkpoint_seconds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0 or v == float("inf"):
                raise ValidationError(f"[run] {name} must be a finite number >= 0; got {v!r}")
        if self.stop_after_success and not self.eval_every:
            raise ValidationError(
                f"[run] stop_after_success = {self.stop_after_success} counts greedy "
                "evaluations: set eval_every (e.g. eval_every = 5) too"
            )
        seeds = self.seeds
        if isinstance(seeds, int) and not isinstance(seeds, bool):
            seeds = (seeds,)
        if (
            not isinstance(seeds, (list, tuple))
            or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
        ):
            raise ValidationError(f"[run] seeds must be a non-empty list of integers >= 0; got {self.seeds!r}")
        if len(set(seeds)) != len(seeds):
            raise ValidationError(f"[run] seeds must be distinct; got {list(seeds)}")
        object.__setattr__(self, "seeds", tuple(seeds))
        if not isinstance(self.parallel, bool):
            raise ValidationError(f"[run] parallel must be true or false; got {self.parallel!r}")


@dataclass(frozen=True)
class AgentConfig:
    name: str = "dqn"
    params: dict = field(default_factory=dict)
    profile: str = "paper"  # "paper" or "cpu" (see agents.dqn.cpu_dqn_kwargs)
    device: str = "auto"  # "auto", "cpu" or "cuda" (see resolve_device)

    def __post_init__(self):
        from .dqn import PROFILES

        if self.device not in DEVICES:
            raise ValidationError(f"[agent] device must be one of {', '.join(map(repr, DEVICES))}; got {self.device!r}")
        if self.profile not in PROFILES:
            import difflib

            close = difflib.get_close_matches(str(self.profile), PROFILES, 1)
            raise ValidationError(
                f"[agent] profile must be one of {', '.join(map(repr, PROFILES))}; got "
                f"{self.profile!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            )


@dataclass(frozen=True)
class TrainConfig:
    env: object  # envs.config.QASConfig
    agent: AgentConfig = field(default_factory=AgentConfig)
    curriculum: dict = field(default_factory=lambda: {"kind": "paper"})
    run: RunConfig = field(default_factory=RunConfig)
    name: str = "custom"

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dict(cls, data: dict, name: str = "custom") -> TrainConfig:
        from crlqas.envs.config import QASConfig

        if not isinstance(data, dict):
            raise ValidationError(f"a training config must be a table; got {type(data).__name__}")
        _unknown("top level", [k for k in data if k != "name"], SECTIONS)
        for sec in SECTIONS:
            if sec in data and not isinstance(data[sec], dict):
                raise ValidationError(f"[{sec}] must be a table; got {data[sec]!r}")
        if "env" not in data:
            raise ValidationError('the config has no [env] section (at least: problem = "h2-2q")')
        try:
            env = QASConfig.from_dict(data["env"])
        except ValidationError as exc:
            raise ValidationError(f"[env] {exc}") from None
        agent_d = dict(data.get("agent", {}))
        _unknown("agent", agent_d, ("name", "params", "profile", "device"))
        if "device" in dict(agent_d.get("params") or {}):
            raise ValidationError("[agent.params] device: set the device in [agent] (device = 'auto', 'cpu' or 'cuda')")
        agent = AgentConfig(
            str(agent_d.get("name", "dqn")),
            dict(agent_d.get("params", {})),
            agent_d.get("profile", "paper"),
            agent_d.get("device", "auto"),
        )
        run_d = dict(data.get("run", {}))
        _unknown("run", run_d, RunConfig.__dataclass_fields__)
        run = RunConfig(**run_d)
        cur = dict(data.get("curriculum", {"kind": "paper"}))
        cfg = cls(env=env, agent=agent, curriculum=cur, run=run, name=str(data.get("name", name)))
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Check the agent and curriculum sections (the env and run ones check themselves)."""
        from .ppo import agent_class

        cls = agent_class(self.agent.name)
        params = self.agent_params()
        allowed = set()
        for klass in cls.__mro__:
            if "__init__" in vars(klass):
                allowed |= set(inspect.signature(klass.__init__).parameters) - {"self", "args", "kwargs"}
        allowed -= set(_RESERVED_AGENT)
        _unknown(f"agent.params] (agent {self.agent.name!r}", params, allowed)
        pk = params.get("policy_kwargs", {})
        if not isinstance(pk, dict):
            raise ValidationError(f"[agent.params] policy_kwargs must be a table; got {pk!r}")
        from .ppo import resolve_policy_kwargs

        resolve_policy_kwargs(pk)
        self.make_curriculum()

    # ------------------------------------------------------------------ resolution
    def agent_params(self) -> dict:
        """The agent's defaults (the paper's for ``dqn``) updated with ``[agent.params]``."""
        params = default_agent_params(
            self.agent.name, self.env.max_steps, self.env.resolve().num_qubits, self.agent.profile
        )
        for k, v in self.agent.params.items():
            if k == "policy_kwargs" and isinstance(v, dict):
                params[k] = {**params.get(k, {}), **v}
            else:
                params[k] = v
        if params.get("gamma") == "paper":
            from .dqn import paper_gamma

            params["gamma"] = paper_gamma(self.env.max_steps)
        return params

    def make_curriculum(self, episodes: int | None = None):
        """The curriculum object (``None`` for ``kind = "none"``) for a run of ``episodes`` episodes
        (default ``[run] episodes``).  ``shift_threshold_fraction = f`` (moving threshold) sets
        ``shift_threshold_time = max(1, round(f * episodes))``: the paper's period relative to the
        run's length (500 of 15000 episodes is f = 1/30)."""
        from crlqas.envs.curriculum import MovingThresholdCurriculum, make_curriculum

        opts = dict(self.curriculum)
        kind = str(opts.pop("kind", "paper")).lower()
        if "shift_threshold_fraction" in opts:
            frac = opts.pop("shift_threshold_fraction")
            if "shift_threshold_time" in opts:
                raise ValidationError("[curriculum] give shift_threshold_time or shift_threshold_fraction, not both")
            if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 < frac <= 1:
                raise ValidationError(f"[curriculum] shift_threshold_fraction must be a number in (0, 1]; got {frac!r}")
            opts["shift_threshold_time"] = max(1, round(frac * (episodes or self.run.episodes)))
        if kind not in CURRICULUM_KINDS:
            raise ValidationError(f"[curriculum] kind must be one of {', '.join(CURRICULUM_KINDS)}; got {kind!r}")
        if "min_error" in opts:
            opts["min_threshold"] = self._min_threshold(kind, opts)
        try:
            if kind == "none":
                if opts:
                    raise ValidationError(f"[curriculum] kind 'none' takes no options; got {sorted(opts)}")
                return None
            if kind == "paper":
                _unknown("curriculum", opts, ("accept_err", "problem"))
                problem = opts.get("problem", self.env.problem or "custom")
                return MovingThresholdCurriculum.paper(problem, opts.get("accept_err"))
            return make_curriculum(kind, **opts)
        except ValidationError as exc:
            msg = str(exc)
            raise ValidationError(msg if msg.startswith("[curriculum]") else f"[curriculum] {msg}") from None

    def _min_threshold(self, kind: str, opts: dict) -> float:
        """``[curriculum] min_error = e`` (Ha, on the success metric, against E0) as the moving
        threshold's floor on the offset: ``min_threshold = (E0 - E_ref) + e``."""
        err = opts.pop("min_error")
        if kind not in ("moving-threshold", "ranked"):
            raise ValidationError(
                f"[curriculum] min_error needs kind 'moving-threshold' or 'ranked'; got kind {kind!r}"
            )
        if "min_threshold" in opts:
            raise ValidationError("[curriculum] give min_error or min_threshold, not both")
        if isinstance(err, bool) or not isinstance(err, (int, float)) or not 0 < err < float("inf"):
            raise ValidationError(f"[curriculum] min_error must be a positive number of hartree; got {err!r}")
        r = self.env.resolve()
        if r.e0 is None:
            raise ValidationError(f"[curriculum] min_error needs the exact ground energy, which {r.problem_id} lacks")
        return (r.e0 - r.e_ref) + float(err)

    def to_dict(self, resolved: bool = True) -> dict:
        return {
            "name": self.name,
            "env": self.env.to_dict(),
            "agent": {
                "name": self.agent.name,
                "profile": self.agent.profile,
                "device": self.agent.device,
                "params": self.agent_params() if resolved else dict(self.agent.params),
            },
            "curriculum": dict(self.curriculum),
            "run": {
                "episodes": self.run.episodes,
                "seeds": list(self.run.seeds),
                "checkpoint_every": self.run.checkpoint_every,
                "checkpoint_seconds": self.run.checkpoint_seconds,
                "parallel": self.run.parallel,
                "log_every": self.run.log_every,
                "eval_every": self.run.eval_every,
                "stop_after_success": self.run.stop_after_success,
                "max_seconds": self.run.max_seconds,
                "n_envs": self.run.n_envs,
                "eval_workers": self.run.eval_workers,
            },
        }

    def with_run(self, **changes) -> TrainConfig:
        try:
            return replace(self, run=replace(self.run, **changes))
        except TypeError as exc:
            raise ValidationError(f"[run] {exc}") from None

    def with_profile(self, profile: str) -> TrainConfig:
        """The same config with agent profile ``profile`` (``"paper"`` or ``"cpu"``)."""
        return replace(self, agent=replace(self.agent, profile=profile))

    def with_paper_curriculum(self) -> TrainConfig:
        """The same config with the paper's moving threshold for its problem
        (:meth:`~crlqas.envs.curriculum.MovingThresholdCurriculum.paper`: a greedy shift every 500
        episodes, 2000 from 6 qubits) from the config's ``accept_err`` (the paper's by default)."""
        cur = {"kind": "paper"}
        if "accept_err" in self.curriculum:
            cur["accept_err"] = self.curriculum["accept_err"]
        if self.env.problem is None:
            cur["problem"] = "custom"
        return replace(self, curriculum=cur)

    def with_paper_optimizer(self) -> TrainConfig:
        """The same config with the paper's inner optimiser for its problem and noise
        (:meth:`~crlqas.envs.config.QASConfig.with_paper_optimizer`)."""
        return replace(self, env=self.env.with_paper_optimizer())

    def with_paper_method(self) -> TrainConfig:
        """The paper's method on this config's problem: its agent (profile ``"paper"``), its
        moving-threshold curriculum and its inner optimiser."""
        return self.with_profile("paper").with_paper_curriculum().with_paper_optimizer()

    def with_agent_params(self, **params) -> TrainConfig:
        """The same config with ``[agent.params]`` updated by ``params``."""
        return replace(self, agent=replace(self.agent, params={**self.agent.params, **params}))

    def with_device(self, device: str) -> TrainConfig:
        """The same config with ``[agent] device`` = ``device`` (``"auto"``, ``"cpu"`` or ``"cuda"``)."""
        return replace(self, agent=replace(self.agent, device=device))


def default_agent_params(name: str, max_steps: int, num_qubits: int, profile: str = "paper") -> dict:
    """JSON-ready default hyper-parameters of agent ``name`` (profile ``"paper"`` or ``"cpu"``;
    the profile sizes the built-in DQN only: the other agents have one set of defaults)."""
    if name == "dqn":
        from .dqn import dqn_kwargs

        params = dqn_kwargs(max_steps, num_qubits, profile)
        params["policy_kwargs"] = {"net_arch": params["policy_kwargs"]["net_arch"], "activation": "leaky_relu"}
        return params
    if name == "maskable-ppo":
        from .ppo import ppo_defaults

        return ppo_defaults(max_steps)
    return {}


def load_config(path) -> TrainConfig:
    """A :class:`TrainConfig` from a ``.toml`` or ``.json`` file (errors name the file)."""
    path = Path(path)
    if path.suffix == ".json":
        data = read_json_object(path, "training config file")
    elif path.suffix == ".toml":
        data = read_toml(path, "training config file")
    else:
        raise InputFileError(f"training config file {str(path)!r} must end in .toml or .json")
    try:
        return TrainConfig.from_dict(data, name=data.get("name", path.stem))
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from None
