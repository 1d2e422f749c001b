"""The trials of a suite: one method on one problem under one noise model with one seed.

:func:`expand` turns a :class:`~crlqas.agents.experiments.suite.Suite` into its :class:`Trial` list,
for every grid the product presets x problems x noise x variants x methods x seeds, in that order.
Each trial carries everything its worker needs (so an experiment directory's manifest alone can
resume it): the agent's resolved training config (``[run] seeds`` = the trial's seed, ``[env]
success_metric`` = the suite's metric), the method's options, and its resources.

Settings are merged in this order, later ones winning: the preset, the suite's ``[set]``, the
grid's ``set``, the variant, the command line's ``--set`` (:meth:`Suite.with_overrides`), then the
grid's ``problems``/``noise`` entries and the suite's metric.  The baselines adapt and hea optimise
their angles like the agent's env of the same setting (``optimizer``, ``optimizer_budget``,
``optimizer_options`` and ``shots`` of ``[env]``) unless their own options say otherwise; random
search runs the setting's env itself, for the agent's ``[run] episodes`` unless told otherwise.

Resources: ``cpus`` is the suite's ``cpus``, else the agent's ``[run] n_envs`` (its environment
processes; a seed trains on one thread), else 1; ``gpus`` (agent trials only) the suite's ``gpus``,
else 1 when ``[agent] device = "cuda"`` and 0 otherwise (``"auto"`` then finds no GPU in the worker
and trains on the CPU).

A trial's id names its setting, ``<problem>_<noise>_<method>[_<variant>]_s<seed>``; two trials of one
setting (problem, noise, method, variant, seed), e.g. two presets of the same problem, are refused.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from crlqas.qnoise.errors import ValidationError

from .suite import AGENT_SECTIONS, deep_merge

__all__ = ["KEY_COLUMNS", "Trial", "expand", "noise_label", "setting_key"]

#: the columns that name a trial in tables, and (less ``seed``) its setting
KEY_COLUMNS = ("problem", "noise", "method", "variant", "seed")
_NOISELESS = ("none", "noiseless", "ideal")


@dataclass(frozen=True)
class Trial:
    """One trial: ``method`` (``agent``, ``adapt``, ``hea``, ``random`` or a suite's own) on
    ``problem`` under ``noise`` (``"none"`` without noise) with ``seed``, in ``variant``, judged by
    ``metric``; ``config`` is the resolved training config (the agent's, and the env of random
    search), ``options`` the method's options, ``function`` a custom method's ``module:function``."""

    id: str
    problem: str
    noise: str
    method: str
    variant: str
    seed: int
    preset: str
    metric: str
    cpus: int = 1
    gpus: float = 0
    config: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    function: str | None = None

    def keys(self) -> dict:
        """``{trial, problem, noise, method, variant, seed, preset}``: the trial's table keys."""
        return {"trial": self.id, **{k: getattr(self, k) for k in KEY_COLUMNS}, "preset": self.preset}

    @property
    def setting(self) -> tuple:
        return setting_key(self.keys())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Trial:
        return cls(**data)


def setting_key(row: dict) -> tuple:
    """``(problem, noise, method, variant)`` of a trial's row: what the table aggregates over seeds."""
    return tuple(row[k] for k in KEY_COLUMNS if k != "seed")


def noise_label(noise) -> str:
    """The table's name of a noise setting: ``"none"`` without noise, else the preset's name."""
    if noise is None or (isinstance(noise, str) and noise.strip().lower() in _NOISELESS):
        return "none"
    return str(noise)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", str(text)).strip("-") or "x"


def expand(suite) -> list[Trial]:
    """The trials of ``suite``, each agent setting validated as a training config (errors name the
    suite file, the grid, preset and variant)."""
    trials, seen, presets = [], {}, {}
    for gi, grid in enumerate(suite.grids, 1):
        for preset in grid.presets:
            base = presets.get(preset) or presets.setdefault(preset, _load_preset(suite, gi, preset))
            for problem in grid.problems or (None,):
                for noise in grid.noise or (None,):
                    for variant, variant_set in grid.variants.items():
                        settings = (suite.set, grid.set, variant_set, suite.overrides)
                        where = f"{suite.where}: [grid {gi}] preset {preset!r}" + (
                            f" variant {variant!r}" if variant != "default" else ""
                        )
                        cfg = _agent_config(suite, base, settings, problem, noise, where)
                        for method in grid.methods:
                            options = _options(method, cfg, settings, where)
                            for seed in grid.seeds:
                                t = _trial(suite, cfg, preset, method, variant, seed, options)
                                if t.setting + (seed,) in seen:
                                    raise ValidationError(
                                        f"{where}: trial {t.id} is also given by preset {seen[t.setting + (seed,)]!r} "
                                        "(one setting per problem, noise, method, variant and seed: use variants "
                                        "to tell them apart)"
                                    )
                                seen[t.setting + (seed,)] = preset
                                trials.append(t)
    return trials


def _load_preset(suite, gi: int, preset: str):
    from crlqas.agents.config import load_config
    from crlqas.agents.presets import load_preset

    try:
        return load_config(preset) if preset.endswith((".toml", ".json")) else load_preset(preset)
    except ValidationError as exc:
        raise ValidationError(f"{suite.where}: [grid {gi}] presets: {exc}") from None


def _agent_config(suite, base, settings, problem, noise, where: str):
    from crlqas.agents.config import TrainConfig

    data = base.to_dict(resolved=False)
    for s in settings:
        cur = s.get("curriculum")
        if isinstance(cur, dict) and "kind" in cur and cur["kind"] != data["curriculum"].get("kind"):
            data["curriculum"] = {}  # another curriculum kind: its own options, not the preset's
        data = deep_merge(data, {k: s[k] for k in AGENT_SECTIONS if k in s})
    env = data["env"]
    if problem is not None:
        env["problem"] = problem
    if noise is not None:
        env["noise"] = noise
    env["success_metric"] = suite.metric
    paper_inner = env.get("optimizer") == "paper"  # the paper's inner optimiser for each problem
    if paper_inner:
        for key in ("optimizer", "optimizer_budget", "optimizer_options"):
            env.pop(key, None)
    try:
        cfg = TrainConfig.from_dict(data, name=base.name)
        return cfg.with_paper_optimizer() if paper_inner else cfg
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None


#: the options of the built-in baselines that default to the agent's env of the same setting (the
#: inner optimiser and shots: the baselines optimise their angles like the agent's environment)
SAME_FOOTING = ("optimizer", "optimizer_budget", "optimizer_options", "shots")


def _options(method: str, cfg, settings, where: str) -> dict:
    """The options of ``method`` (``[set.<method>]`` merged in order), checked against what the
    method takes; the agent has none (its settings are its config); adapt and hea get
    :data:`SAME_FOOTING` from the env unless set."""
    if method == "agent":
        return {}
    options = deep_merge({}, *(s.get(method, {}) for s in settings))
    allowed = _allowed_options(method)
    if allowed is not None:
        _unknown_options(options, allowed, f"{where}: [set.{method}]")
    if method in ("adapt", "hea"):
        env = cfg.env.to_dict()
        for key in SAME_FOOTING:
            options.setdefault(key, env[key])
    return options


def _allowed_options(method: str) -> tuple | None:
    """The options a built-in method takes (``None``: a suite's own method, not checked here)."""
    if method in ("adapt", "hea"):
        from crlqas.qnoise.baselines import OPTIONS

        return ("budget", *OPTIONS[method])
    if method == "random":
        from dataclasses import fields

        from crlqas.envs.config import QASConfig

        skip = ("problem", "hamiltonian", "noise", "success_metric")
        return ("episodes", "time_limit", *(f.name for f in fields(QASConfig) if f.name not in skip))
    return None


def _unknown_options(options: dict, allowed, where: str) -> None:
    import difflib

    for key in options:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValidationError(f"{where}: unknown option {key!r}{hint}; allowed: {', '.join(allowed)}")


def _trial(suite, cfg, preset: str, method: str, variant: str, seed: int, options: dict) -> Trial:
    problem, noise = str(cfg.env.problem), noise_label(cfg.env.noise)
    agent = method == "agent"
    device = cfg.agent.device
    if agent and device != "cpu":
        gpus = suite.gpus if suite.gpus is not None else (1 if device == "cuda" else 0)
    else:
        gpus = 0
    parts = [problem, noise, method] + ([variant] if variant != "default" else []) + [f"s{seed}"]
    return Trial(
        id="_".join(_slug(p) for p in parts),
        problem=problem,
        noise=noise,
        method=method,
        variant=variant,
        seed=int(seed),
        preset=preset.rsplit("/", 1)[-1],
        metric=suite.metric,
        cpus=suite.cpus or (cfg.run.n_envs if agent else 1),
        gpus=gpus,
        config=cfg.with_run(seeds=(int(seed),)).to_dict(resolved=True) if method in ("agent", "random") else {},
        options=options,
        function=suite.methods.get(method),
    )
