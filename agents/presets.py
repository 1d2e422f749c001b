"""Named training presets reproducing the paper's settings (``agents/presets/<name>.toml``).

``crlqas train --preset NAME`` loads one; ``list_presets()`` names them and ``preset_path(name)``
gives the file to copy and edit.  Each file states the paper's value next to any setting that is
scaled for the short default run.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from crlqas.qnoise.errors import ValidationError

__all__ = ["PRESET_DIR", "list_presets", "load_preset", "preset_path"]

PRESET_DIR = Path(__file__).resolve().parent / "presets"


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def preset_path(name: str) -> Path:
    names = list_presets()
    if name not in names:
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise ValidationError(f"unknown preset {name!r}{hint}; known: {', '.join(names)}")
    return PRESET_DIR / f"{name}.toml"


def load_preset(name: str):
    """The :class:`~agents.config.TrainConfig` of preset ``name``."""
    from .config import load_config

    return load_config(preset_path(name))
