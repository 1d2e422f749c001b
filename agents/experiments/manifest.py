"""An experiment directory's manifest: the suite and its trial list, written before any trial runs.

Layout of an experiment directory (``crlqas experiment run --out DIR``)::

    experiment.json     the manifest: format, the suite (validated, as data), every trial (with its
                        resolved config), creation time, crlqas version
    suite.toml          the suite file as it was given
    driver.json         the driver's progress: pid, host, start, last update, counts, elapsed and
                        estimated time left, whether it finished
    trials/<id>/        one directory per trial (see :mod:`crlqas.agents.experiments.execute`)
    table/              the table (CSV, JSON, Markdown) and plots, written at the end of a run
                        and by ``crlqas experiment table``

``--resume`` reads the manifest and runs the trials it lists that have no valid ``result.json``;
the suite given must still expand to the same trials (else the differing trials are named).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from crlqas.qnoise.errors import InputFileError, ValidationError
from crlqas.qnoise.fileio import atomic_write_json, atomic_write_text, json_default, read_json_object

from .suite import Suite
from .trials import Trial

__all__ = ["DRIVER", "MANIFEST", "check_same_trials", "read_manifest", "write_manifest"]

MANIFEST = "experiment.json"
DRIVER = "driver.json"
FORMAT = 1


def write_manifest(exp_dir, suite: Suite, trials: list[Trial]) -> Path:
    """Write ``experiment.json`` (and ``suite.toml``, the suite's text) into ``exp_dir``."""
    from crlqas import __version__

    exp_dir = Path(exp_dir)
    if suite.text is not None:
        atomic_write_text(exp_dir / "suite.toml", suite.text)
    data = {
        "format": FORMAT,
        "suite": suite.to_dict(),
        "trials": [t.to_dict() for t in trials],
        "created": time.time(),
        "crlqas": __version__,
    }
    return atomic_write_json(exp_dir / MANIFEST, data)


def read_manifest(exp_dir) -> tuple[Suite, list[Trial]]:
    """``(suite, trials)`` of the experiment in ``exp_dir``; errors name the directory."""
    exp_dir = Path(exp_dir)
    if not exp_dir.exists():
        raise InputFileError(f"experiment directory {str(exp_dir)!r} does not exist")
    if not exp_dir.is_dir():
        raise InputFileError(f"{str(exp_dir)!r} is a file; give an experiment directory (the --out of a run)")
    path = exp_dir / MANIFEST
    if not path.exists():
        raise InputFileError(
            f"{str(exp_dir)!r} is not an experiment directory (no {MANIFEST}; it is the --out of "
            "'crlqas experiment run')"
        )
    data = read_json_object(path, "experiment manifest")
    if data.get("format") != FORMAT:
        raise InputFileError(f"experiment manifest {str(path)!r}: format {data.get('format')!r} (expected {FORMAT})")
    try:
        return Suite.from_dict(data["suite"]), [Trial.from_dict(t) for t in data["trials"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(f"experiment manifest {str(path)!r} is damaged ({type(exc).__name__}: {exc})") from None


def _plain(value):
    return json.loads(json.dumps(value, default=json_default))


def check_same_trials(exp_dir, recorded: list[Trial], trials: list[Trial]) -> None:
    """Refuse to resume when the suite no longer expands to the recorded trials (added, removed or
    changed ones are named)."""
    old = {t.id: _plain(t.to_dict()) for t in recorded}
    new = {t.id: _plain(t.to_dict()) for t in trials}
    if old == new:
        return
    parts = []
    for what, ids in (
        ("new", [i for i in new if i not in old]),
        ("missing", [i for i in old if i not in new]),
        ("changed", [i for i in new if i in old and new[i] != old[i]]),
    ):
        if ids:
            parts.append(f"{what}: {', '.join(ids[:4])}{', ...' if len(ids) > 4 else ''}")
    raise ValidationError(
        f"the suite does not match the experiment in {exp_dir} ({'; '.join(parts)}); resume it with the suite "
        f"it was started with ({Path(exp_dir) / 'suite.toml'}) or start a new experiment with another --out"
    )
