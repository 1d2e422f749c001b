"""Experiment suites: a TOML file that declares a grid of trials, validated at load.

A suite file (the shipped ones are ``suites/<name>.toml``; :func:`list_suites` names them)::

    name = "my-suite"            # default: the file name
    description = "..."
    metric = "noiseless"         # success metric of every trial and of the table: "noisy",
                                 # "mitigated" or "noiseless" (default "noisy")
    seeds = [100, 101, 102]      # default seeds of every grid
    retries = 2                  # a trial whose worker dies is run again (from its checkpoint) up
                                 # to this many times (default 2)
    cpus = 1                     # cores per trial (default: the agent's [run] n_envs, else 1)
    gpus = 0                     # GPUs per agent trial (default: 1 when [agent] device = "cuda")

    [set]                        # settings of every trial, nested like a training config:
    run = { episodes = 200 }     #   env, agent, curriculum, run: the agent's config sections
    hea = { budget = 2000 }      #   (env also for the baselines: problem, noise; random search:
                                 #   every env setting); adapt, hea, random, or a method of
                                 #   [methods]: that method's options
    [methods]                    # methods of your own: "module:function" or "file.py:function"
    mine = "my_methods.py:run"   # (relative to the suite file), called as
                                 # function(problem, noise, seed=S, metric=M, **options) and
                                 # returning a crlqas.qnoise.results.ResultRecord

    [[grid]]                     # one or more grids; each is a product
    presets = ["h2-2q"]          # training presets or config files (relative to the suite file):
                                 # the agent's settings and the problem and noise of every method
    problems = ["h2-3q"]         # optional: each replaces [env] problem
    noise = ["mumbai-median"]    # optional: each replaces [env] noise
    methods = ["agent", "hea"]   # agent (the preset's agent), adapt, hea, random, or [methods]
    seeds = [100]                # optional: this grid's seeds
    set = { env = { shots = 1000 } }   # optional: this grid's settings (over the suite's)
    [grid.variants.short]        # optional: named variants, one more product dimension
    run = { episodes = 50 }

The trials of a suite are, for every grid, the product presets x problems x noise x variants x
methods x seeds (:func:`crlqas.agents.experiments.trials.expand`).  Everything is checked at load:
unknown keys, wrong types and bad values raise :class:`~crlqas.qnoise.errors.ValidationError` naming
the file and the place (``suite 'x.toml': [grid 2] methods: ...``); each agent setting is built as a
:class:`~crlqas.agents.config.TrainConfig` (so its errors are the training config's).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path

from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.fileio import read_toml
from crlqas.qnoise.results import METRICS

__all__ = [
    "AGENT_SECTIONS",
    "BUILTIN_METHODS",
    "SUITE_DIR",
    "Grid",
    "Suite",
    "deep_merge",
    "list_suites",
    "load_suite",
    "suite_path",
]

SUITE_DIR = Path(__file__).resolve().parent / "suites"
#: the methods every suite knows: the QAS agent and the baselines
BUILTIN_METHODS = ("agent", "adapt", "hea", "random")
#: the sections of a training config that ``set`` and variants may change
AGENT_SECTIONS = ("env", "agent", "curriculum", "run")
_TOP_KEYS = ("name", "description", "metric", "seeds", "retries", "cpus", "gpus", "set", "methods", "grid")
_GRID_KEYS = ("presets", "problems", "noise", "methods", "seeds", "set", "variants")


@dataclass(frozen=True)
class Grid:
    """One product of trials: ``presets`` x ``problems`` x ``noise`` x ``variants`` x ``methods`` x
    ``seeds`` (``problems``/``noise`` ``None``: the presets' own)."""

    presets: tuple
    methods: tuple
    seeds: tuple
    problems: tuple | None = None
    noise: tuple | None = None
    set: dict = field(default_factory=dict)
    variants: dict = field(default_factory=lambda: {"default": {}})

    def to_dict(self) -> dict:
        from crlqas.qnoise.fileio import plain_fields

        return plain_fields(self)


@dataclass(frozen=True)
class Suite:
    """A validated suite (see the module docstring); ``path`` is its file, ``text`` the file's
    text (copied into the experiment directory)."""

    name: str
    grids: tuple
    metric: str = "noisy"
    seeds: tuple = (100,)
    retries: int = 2
    cpus: int | None = None
    gpus: float | None = None
    description: str = ""
    set: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    path: str | None = None
    text: str | None = None

    @property
    def where(self) -> str:
        return f"suite {self.path or self.name!r}"

    def with_overrides(self, pairs) -> Suite:
        """The suite with ``pairs`` (``[("run.episodes", 10000), ("agent.profile", "paper"), ...]``,
        ``crlqas experiment run --set``) applied over every other setting of every trial."""
        nested = {}
        for key, value in pairs:
            parts = str(key).split(".")
            if len(parts) < 2 or not all(parts):
                raise ValidationError(f"--set {key}: expected SECTION.KEY=VALUE, e.g. run.episodes=10000")
            deep = nested
            for part in parts[:-1]:
                deep = deep.setdefault(part, {})
                if not isinstance(deep, dict):
                    raise ValidationError(f"--set {key}: {part} is set to a value and a table")
            deep[parts[-1]] = value
        sections = (*AGENT_SECTIONS, *BUILTIN_METHODS, *self.methods)

        def fail(msg):
            raise ValidationError(f"{self.where}: {msg}")

        return replace(self, overrides=deep_merge(self.overrides, _settings(nested, sections, "--set", fail)))

    def trials(self) -> list:
        """The suite's trials (:func:`~crlqas.agents.experiments.trials.expand`), checked."""
        from .trials import expand

        return expand(self)

    def to_dict(self) -> dict:
        """JSON-ready fields (the experiment manifest's copy; ``text`` left out)."""
        from crlqas.qnoise.fileio import plain_fields

        out = plain_fields(self)
        out.pop("text")
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Suite:
        """The suite of :meth:`to_dict`'s output."""
        grids = tuple(Grid(**{k: _tuple_or_none(k, v) for k, v in g.items()}) for g in data["grids"])
        return cls(**{**data, "grids": grids, "seeds": tuple(data["seeds"]), "text": None})


def _tuple_or_none(key: str, value):
    return tuple(value) if key in ("presets", "methods", "seeds", "problems", "noise") and value is not None else value


# ---------------------------------------------------------------------------- finding suites
def list_suites() -> list[str]:
    """The names of the shipped suites."""
    return sorted(p.stem for p in SUITE_DIR.glob("*.toml"))


def suite_path(spec) -> Path:
    """The file of suite ``spec``: a path to a ``.toml`` file, or a shipped suite's name."""
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        return path
    names = list_suites()
    if str(spec) not in names:
        close = difflib.get_close_matches(str(spec), names, n=2, cutoff=0.5)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise ValidationError(
            f"unknown suite {str(spec)!r}{hint}: give a suite file (.toml) or a shipped suite: {', '.join(names)}"
        )
    return SUITE_DIR / f"{spec}.toml"


def load_suite(spec) -> Suite:
    """The :class:`Suite` of a file or shipped name (:func:`suite_path`), validated; errors name the
    file.  Its trials are expanded and checked too (:meth:`Suite.trials`)."""
    from crlqas.qnoise.fileio import read_text

    path = suite_path(spec)
    data = read_toml(path, "suite file")
    suite = parse_suite(data, path=str(path), text=read_text(path, "suite file"))
    suite.trials()
    return suite


# ---------------------------------------------------------------------------- validation
def parse_suite(data: dict, path: str | None = None, text: str | None = None) -> Suite:
    """A :class:`Suite` from a parsed suite file (``path`` names it in errors and resolves the
    relative paths of presets and methods)."""
    where = f"suite {path!r}" if path else "suite"

    def fail(msg):
        raise ValidationError(f"{where}: {msg}")

    if not isinstance(data, dict):
        fail(f"a suite must be a table; got {type(data).__name__}")
    _unknown(data, _TOP_KEYS, "top level", fail)
    base = Path(path).parent if path else Path.cwd()
    name = data.get("name", Path(path).stem if path else "suite")
    if not isinstance(name, str) or not name:
        fail(f"name must be a non-empty string; got {name!r}")
    metric = data.get("metric", "noisy")
    if metric not in METRICS:
        fail(f"metric must be one of {', '.join(map(repr, METRICS))}; got {metric!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        fail(f"description must be a string; got {description!r}")
    seeds = _seeds(data.get("seeds", [100]), "seeds", fail)
    retries = data.get("retries", 2)
    if not _is_int(retries) or retries < 0:
        fail(f"retries must be an integer >= 0; got {retries!r}")
    cpus = data.get("cpus")
    if cpus is not None and (not _is_int(cpus) or cpus < 1):
        fail(f"cpus (cores per trial) must be an integer >= 1; got {cpus!r}")
    gpus = data.get("gpus")
    if gpus is not None and (isinstance(gpus, bool) or not isinstance(gpus, (int, float)) or not gpus >= 0):
        fail(f"gpus (per agent trial) must be a number >= 0; got {gpus!r}")
    methods = _custom_methods(data.get("methods", {}), base, fail)
    sections = (*AGENT_SECTIONS, *BUILTIN_METHODS, *methods)
    set_ = _settings(data.get("set", {}), sections, "[set]", fail)
    grids = data.get("grid")
    if not isinstance(grids, list) or not grids or not all(isinstance(g, dict) for g in grids):
        fail("needs at least one [[grid]] table (presets = [...], methods = [...])")
    parsed = tuple(
        _grid(g, f"[grid {i}]", seeds, (*BUILTIN_METHODS, *methods), sections, base, fail)
        for i, g in enumerate(grids, 1)
    )
    return Suite(
        name=name,
        grids=parsed,
        metric=metric,
        seeds=seeds,
        retries=int(retries),
        cpus=cpus,
        gpus=gpus,
        description=description,
        set=set_,
        methods=methods,
        path=path,
        text=text,
    )


def _grid(g: dict, where: str, seeds, methods, sections, base: Path, fail) -> Grid:
    _unknown(g, _GRID_KEYS, where, fail)
    presets = _strings(g.get("presets"), f"{where} presets", fail, required=True)
    presets = tuple(_preset_ref(p, base) for p in presets)
    chosen = _strings(g.get("methods"), f"{where} methods", fail, required=True)
    for m in chosen:
        if m not in methods:
            close = difflib.get_close_matches(m, methods, 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            fail(
                f"{where} methods: unknown method {m!r}{hint}; known: {', '.join(methods)} (or declare it in [methods])"
            )
    if len(set(chosen)) != len(chosen):
        fail(f"{where} methods must be distinct; got {list(chosen)}")
    problems = _strings(g["problems"], f"{where} problems", fail, required=True) if "problems" in g else None
    noise = _strings(g["noise"], f"{where} noise", fail, required=True) if "noise" in g else None
    variants = g.get("variants", {"default": {}})
    if not isinstance(variants, dict) or not variants:
        fail(f"{where} variants must be a table of named variants ([grid.variants.NAME]); got {variants!r}")
    variants = {str(k): _settings(v, sections, f"{where} variant {k!r}", fail) for k, v in variants.items()}
    return Grid(
        presets=presets,
        methods=chosen,
        seeds=_seeds(g["seeds"], f"{where} seeds", fail) if "seeds" in g else seeds,
        problems=problems,
        noise=noise,
        set=_settings(g.get("set", {}), sections, f"{where} set", fail),
        variants=variants,
    )


def _preset_ref(ref: str, base: Path) -> str:
    """A preset name as it is; a config file (``.toml``/``.json``) as an absolute path."""
    if ref.endswith((".toml", ".json")):
        return str((base / ref).resolve())
    return ref


def _custom_methods(methods, base: Path, fail) -> dict:
    if not isinstance(methods, dict):
        fail(f'[methods] must be a table of name = "module:function"; got {methods!r}')
    out = {}
    for name, target in methods.items():
        if name in BUILTIN_METHODS or name in AGENT_SECTIONS:
            fail(f"[methods] {name!r} is a built-in name; choose another")
        if not isinstance(target, str) or target.count(":") != 1 or not all(target.split(":")):
            fail(f'[methods] {name} must be "module:function" or "file.py:function"; got {target!r}')
        module, func = target.split(":")
        if module.endswith(".py"):
            module = str((base / module).resolve())
            if not Path(module).is_file():
                fail(f"[methods] {name}: file {module!r} does not exist")
        out[str(name)] = f"{module}:{func}"
    return out


def _settings(value, sections, where: str, fail) -> dict:
    if not isinstance(value, dict):
        fail(f"{where} must be a table; got {value!r}")
    _unknown(value, sections, where, fail)
    for sec, body in value.items():
        if not isinstance(body, dict):
            fail(f"{where} {sec} must be a table; got {body!r}")
    return {k: dict(v) for k, v in value.items()}


def _unknown(given: dict, allowed, where: str, fail) -> None:
    bad = [k for k in given if k not in allowed]
    if bad:
        hints = []
        for b in bad:
            close = difflib.get_close_matches(str(b), list(allowed), 1)
            hints.append(f"{b!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        fail(f"{where}: unknown key(s) {', '.join(hints)}; allowed: {', '.join(allowed)}")


def _strings(value, where: str, fail, required: bool = False) -> tuple:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or (required and not value) or not all(isinstance(v, str) and v for v in value):
        fail(f"{where} must be a non-empty list of strings; got {value!r}")
    return tuple(value)


def _seeds(value, where: str, fail) -> tuple:
    if _is_int(value):
        value = [value]
    if not isinstance(value, list) or not value or not all(_is_int(s) and s >= 0 for s in value):
        fail(f"{where} must be a non-empty list of integers >= 0; got {value!r}")
    if len(set(value)) != len(value):
        fail(f"{where} must be distinct; got {value}")
    return tuple(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def deep_merge(base: dict, *updates: dict) -> dict:
    """``base`` updated with each of ``updates`` in turn, tables merged key by key (a new copy)."""
    out = {k: (deep_merge(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for update in updates:
        for k, v in update.items():
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = deep_merge(out[k], v)
            else:
                out[k] = deep_merge(v) if isinstance(v, dict) else v
    return out
