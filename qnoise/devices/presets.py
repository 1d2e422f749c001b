"""Named noise presets, shipped as ``qnoise/data/noise/<name>.json`` (no Qiskit needed to load).

Each file is a :class:`~qnoise.devices.model.DeviceModel` in its ``qnoise-device-model/1`` JSON
form, written by :mod:`qnoise.devices.generate` (``python -m crlqas.qnoise.devices.generate --all``).
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from ..errors import ValidationError
from ..fileio import read_json
from .model import DeviceModel

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "noise"


class UnknownPresetError(ValidationError):
    """No noise preset has the requested name."""


def list_presets() -> list[str]:
    """Names of the shipped presets, sorted."""
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise UnknownPresetError(f"a preset name must be a non-empty string; got {name!r}")
    key = name.strip().lower()
    names = list_presets()
    if key not in names:
        close = difflib.get_close_matches(key, names, n=5, cutoff=0.5)
        near = f" Close matches: {', '.join(close)}." if close else ""
        raise UnknownPresetError(f"unknown noise preset {name!r}.{near} Known presets: {', '.join(names)}.")
    return key


@cache
def _load(key: str) -> DeviceModel:
    path = DATA_DIR / f"{key}.json"
    return DeviceModel.from_dict(read_json(path, "noise preset file"))


def device_preset(name: str) -> DeviceModel:
    """The preset as a :class:`DeviceModel` (noise parameters, calibration figures, source)."""
    return _load(_check_name(name))


def noise_preset(name: str):
    """The preset's :class:`~qnoise.NoiseModel` (on logical qubits 0, 1, ...)."""
    return device_preset(name).noise_model


def preset_info(name: str) -> dict:
    """Summary of a preset: description, mode, source, calibration date, entries, readout."""
    return device_preset(name).summary()


def is_preset(name) -> bool:
    return isinstance(name, str) and name.strip().lower() in list_presets()
