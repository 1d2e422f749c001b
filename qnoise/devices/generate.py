"""Generator of the shipped noise presets ``qnoise/data/noise/*.json`` (needs the ``qiskit`` extra).

Every preset is a :class:`~qnoise.devices.model.DeviceModel` written with sorted keys, ``repr``
floats and no timestamp, so ``--all`` regenerates every file bit-for-bit from the fake backends
of ``qiskit_ibm_runtime.fake_provider`` (same package data) and ``--check`` verifies it::

    python -m crlqas.qnoise.devices.generate --all [--check] [--out DIR]
    python -m crlqas.qnoise.devices.generate --name mumbai-median
    python -m crlqas.qnoise.devices.generate --list

Presets:

* ``noiseless``; ``depol-1e-3`` (every 1-qubit gate: depolarizing 1e-3); ``depol-1e-3-5e-3``
  (also 5e-3 after every 2-qubit gate): the CRLQAS depolarizing-only LiH-4q models.
* ``ourense``: the CRLQAS "IBM Ourense-like" model with the paper's figures (1-qubit
  depolarizing 5.22e-4, 2-qubit 1.25e-2, readout 0.017/0.024/0.016/0.040 on qubits 0-3);
  ``ourense-calibrated``: FakeOurenseV2's own calibration on qubits 0-3 in paper mode.
* ``mumbai-median``, ``mumbai-max``, ``mumbai-10max``: FakeMumbaiV2 reduced over its 27 qubits
  (:mod:`qnoise.devices.reduce`), paper gate set, uniform on every qubit.
* ``sherbrooke-median`` (127-qubit heavy-hex Eagle, ECR) and ``torino-median`` (133-qubit
  heavy-hex Heron, CZ): the same median reduction, paper gate set.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from .build import PAPER_1Q, PAPER_2Q
from .model import DeviceModel, GateNoise, ReadoutSpec

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "noise"

OURENSE_PAPER = {"p1": 5.22e-4, "p2": 1.25e-2, "readout": (0.017, 0.024, 0.016, 0.040)}


def _depolarizing(
    name: str, p1: float, p2: float | None, description: str, readout=(), num_qubits=None, source="CRLQAS paper"
) -> DeviceModel:
    entries = [GateNoise(PAPER_1Q, 1, None, p1)]
    if p2 is not None:
        entries += [GateNoise(PAPER_2Q, 2, None, p2), GateNoise(("swap",), 2, None, p2, repeat=3)]
    return DeviceModel(
        name=name,
        mode="depolarizing",
        gate_noise=tuple(entries),
        readout=tuple(readout),
        num_qubits=num_qubits,
        source=source,
        description=description,
    )


def _ourense() -> DeviceModel:
    ro = tuple(ReadoutSpec(q, p, p) for q, p in enumerate(OURENSE_PAPER["readout"]))
    return _depolarizing(
        "ourense",
        OURENSE_PAPER["p1"],
        OURENSE_PAPER["p2"],
        "IBM Ourense-like model of the CRLQAS experiments (4-qubit H2): depolarizing "
        "5.22e-4 after 1-qubit gates, 1.25e-2 after 2-qubit gates, per-qubit readout",
        readout=ro,
        num_qubits=4,
    )


def _device(name: str, backend: str, reduce=None, layout=None, description: str = "") -> DeviceModel:
    from dataclasses import replace

    from . import from_backend

    model = from_backend(backend, mode="paper", layout=layout, reduce=reduce)
    return replace(model, name=name, description=description or model.description)


#: presets reduced over a whole fake backend, paper gate set: name -> (backend, reduction, description)
REDUCED = {
    "mumbai-median": (
        "fake_mumbai",
        "median",
        "IBM Mumbai (FakeMumbaiV2) median of every calibrated number, paper gate set",
    ),
    "mumbai-max": (
        "fake_mumbai",
        "max",
        "IBM Mumbai (FakeMumbaiV2) maximum of every calibrated number (T1/T2 too), paper gate set",
    ),
    "mumbai-10max": (
        "fake_mumbai",
        "10max",
        "IBM Mumbai (FakeMumbaiV2) 'max' with 10x gate errors and durations, readout unchanged",
    ),
    "sherbrooke-median": (
        "fake_sherbrooke",
        "median",
        "IBM Sherbrooke (127-qubit heavy-hex Eagle, ECR) median values, paper gate set",
    ),
    "torino-median": (
        "fake_torino",
        "median",
        "IBM Torino (133-qubit heavy-hex Heron, CZ) median values, paper gate set",
    ),
}

PRESETS = {
    "noiseless": lambda: DeviceModel(name="noiseless", mode="noiseless", description="no noise at all"),
    "depol-1e-3": lambda: _depolarizing(
        "depol-1e-3", 1e-3, None, "depolarizing p=1e-3 after every 1-qubit gate (CRLQAS LiH-4q)"
    ),
    "depol-1e-3-5e-3": lambda: _depolarizing(
        "depol-1e-3-5e-3",
        1e-3,
        5e-3,
        "depolarizing p=1e-3 after 1-qubit gates and 5e-3 after 2-qubit gates (CRLQAS LiH-4q)",
    ),
    "ourense": _ourense,
    "ourense-calibrated": lambda: _device(
        "ourense-calibrated",
        "fake_ourense",
        layout=[0, 1, 2, 3],
        description="FakeOurenseV2 calibration on physical qubits 0-3, paper gate set (Aer's channels)",
    ),
    **{
        name: partial(_device, name, backend, reduce=reduce, description=text)
        for name, (backend, reduce, text) in REDUCED.items()
    },
}


def render(model: DeviceModel) -> str:
    """The deterministic JSON text of a preset."""
    return json.dumps(model.to_dict(), indent=1, sort_keys=True, allow_nan=False) + "\n"


def generate(names, out_dir: Path, check: bool) -> int:
    import warnings

    bad = 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = render(PRESETS[name]())
        path = out_dir / f"{name}.json"
        if check:
            same = path.exists() and path.read_text() == text
            bad += not same
            print(f"{'ok     ' if same else 'DIFFERS'} {path}")
            continue
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(text)
        tmp.replace(path)
        print(f"wrote {path}")
    return 1 if bad else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crlqas.qnoise.devices.generate",
        description="Regenerate the shipped noise presets from Qiskit's fake backends.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every preset")
    which.add_argument("--name", action="append", choices=sorted(PRESETS), help="one preset (repeatable)")
    which.add_argument("--list", action="store_true", help="list the preset names")
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output directory (default {DATA_DIR})")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(sorted(PRESETS)))
        return 0
    return generate(sorted(PRESETS) if args.all else args.name, args.out, args.check)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
