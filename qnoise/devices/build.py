"""Build a :class:`~qnoise.devices.model.DeviceModel` from a device :class:`Calibration`.

Modes (``mode=``):

* ``"native"``: the circuit runs in the device's basis (``rz``, ``sx``, ``x``, ``id`` and ``cx``,
  ``ecr`` or ``cz``; :meth:`DeviceModel.compile` rewrites other gates).  Every Target gate on the
  layout gets Aer's channel (depolarizing from its calibrated error, then relaxation over its
  duration); ``rz`` has error 0 and duration 0 on IBM devices, so it is noiseless.  A logical
  ``rx``/``ry`` costs two ``sx``.  Equal to ``qiskit_aer.noise.NoiseModel.from_backend`` on the
  same physical qubits (checked to 1e-9 in ``tests/test_devices_aer.py``).  Aer's delay noise only
  acts on explicit ``delay`` instructions, which qnoise circuits do not have; idle qubits are
  noiseless in both.  Needs a backend whose basis holds ``rz`` and ``sx``.
* ``"paper"``: as in the CRLQAS experiments, every 1-qubit gate of the circuit (``rx``, ``ry``,
  ``rz``, ``h``, ...) is one noisy 1-qubit gate with the numbers of the device's single-pulse gate
  (``sx``, or ``u2`` on old devices) on that qubit, and every ``cx``/``cz``/``ecr`` one noisy
  2-qubit gate with the numbers of the native 2-qubit gate on that pair (``swap`` counts three).
  A pair of layout qubits that is not coupled gets the median error and duration of the layout's
  couplings (the paper's circuits ignore connectivity).

Reductions (``reduce=``, :mod:`qnoise.devices.reduce`) give a uniform model on every qubit.
"""

from __future__ import annotations

import itertools
import math

from ..errors import NoiseModelError, QubitError
from ..gates import GATES
from .calibration import Calibration
from .model import DeviceModel, GateNoise, ReadoutSpec, aer_depolarizing_param, check_mode, clip_t2, relaxation_trace
from .reduce import UniformValues, best_layout, check_reduce, reduce_calibration

PAPER_1Q = ("id", "rx", "ry", "rz", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg")
PAPER_2Q = ("cx", "cz", "ecr")


def _finite(t):
    return None if t is None or t == math.inf else float(t)


def gate_entry(gates, qubits, error, duration, t1s, t2s, repeat: int = 1) -> GateNoise | None:
    """Aer's channel for a gate with calibrated ``error`` and ``duration`` on qubits with the given
    T1/T2 (one per gate qubit); None when Aer would attach nothing."""
    k = len(t1s)
    rel = [clip_t2(a, b) for a, b in zip(t1s, t2s)]
    time = float(duration) if duration else 0.0
    trace = math.prod(relaxation_trace(a, b, time) for a, b in rel) if time > 0 else None
    p = aer_depolarizing_param(error, k, trace)
    if p == 0.0 and time == 0.0:
        return None
    return GateNoise(
        tuple(gates),
        k,
        None if qubits is None else tuple(qubits),
        float(p),
        time,
        tuple(_finite(a) for a, _ in rel),
        tuple(_finite(b) for _, b in rel),
        None if error is None else float(error),
        repeat,
    )


def from_calibration(
    cal: Calibration, mode: str = "native", layout=None, reduce=None, num_qubits=None, name: str | None = None
) -> DeviceModel:
    """See :func:`qnoise.devices.from_backend`."""
    check_mode(mode)
    if mode == "native":
        _check_native_basis(cal)
    if isinstance(layout, str):
        if layout != "best":
            raise QubitError(f"layout must be a list of physical qubits, 'best' or None; got {layout!r}")
        if num_qubits is None:
            raise QubitError("layout='best' needs num_qubits (how many qubits to pick)")
        layout = best_layout(cal, int(num_qubits))
    elif layout is None and reduce is None:
        layout = best_layout(cal, int(num_qubits)) if num_qubits is not None else range(cal.num_qubits)
    if layout is not None:
        layout = cal.check_qubits(layout)
        if num_qubits is not None and int(num_qubits) != len(layout):
            raise QubitError(f"num_qubits={num_qubits} but the layout {list(layout)} has {len(layout)} qubits")
    name = name or cal.name
    if reduce is not None:
        check_reduce(reduce)
        values = reduce_calibration(cal, reduce, layout)
        width = len(layout) if layout is not None else num_qubits
        return _uniform_model(cal, values, mode, name, width, layout)
    return _layout_model(cal, mode, layout, name)


def _check_native_basis(cal: Calibration) -> None:
    if not {"rz", "sx"} <= set(cal.gates):
        raise NoiseModelError(
            f"device {cal.name!r} has basis {cal.operation_names}, not rz/sx: native mode "
            f"is not supported for it; use mode='paper'"
        )


def _basis(cal: Calibration) -> tuple:
    names = [g for g in ("id", "rz", "sx", "x", "rx") if g in cal.gates]
    two = cal.two_qubit_gate
    return tuple(names + ([two] if two else []))


def _common(cal: Calibration, mode, name) -> dict:
    return dict(
        name=name,
        mode=mode,
        source=cal.source,
        calibration_date=cal.date,
        basis=_basis(cal) if mode == "native" else None,
    )


# ---------------------------------------------------------------------- per-qubit models
def _layout_model(cal: Calibration, mode: str, layout, name: str) -> DeviceModel:
    pos = {p: i for i, p in enumerate(layout)}
    entries = _native_entries(cal, pos) if mode == "native" else _paper_entries(cal, layout)
    readout = tuple(ReadoutSpec(i, *cal.readout[p]) for i, p in enumerate(layout) if cal.readout[p] is not None)
    two = cal.two_qubit_gate
    coupling = tuple((pos[a], pos[b]) for a, b in cal.edges(two) if a in pos and b in pos) if two else ()
    g1 = cal.one_qubit_gate
    qubits = tuple(
        {
            "physical": p,
            "t1": cal.t1[p],
            "t2": cal.t2[p],
            "readout": None if cal.readout[p] is None else list(cal.readout[p]),
            f"{g1}_error": cal.gate_props(g1, (p,))[0],
        }
        for p in layout
    )
    return DeviceModel(
        gate_noise=tuple(e for e in entries if e is not None),
        readout=readout,
        num_qubits=len(layout),
        layout=tuple(layout),
        coupling_map=coupling,
        qubits=qubits,
        description=f"{cal.name} on physical qubits {list(layout)}, {mode} gate set",
        **_common(cal, mode, name),
    )


def _native_entries(cal: Calibration, pos: dict) -> list:
    out = []
    for g in sorted(cal.gates):
        if g not in GATES:
            continue
        for qs, (err, dur) in sorted(cal.gates[g].items()):
            if all(q in pos for q in qs):
                out.append(
                    gate_entry((g,), [pos[q] for q in qs], err, dur, [cal.t1[q] for q in qs], [cal.t2[q] for q in qs])
                )
    return out


def _paper_entries(cal: Calibration, layout) -> list:
    g1, g2 = cal.one_qubit_gate, cal.two_qubit_gate
    out = []
    for i, p in enumerate(layout):
        err, dur = cal.gate_props(g1, (p,))
        out.append(gate_entry(PAPER_1Q, (i,), err, dur, [cal.t1[p]], [cal.t2[p]]))
    if g2 is None or len(layout) < 2:
        return out
    default = _default_edge(cal, layout)
    for i, j in itertools.permutations(range(len(layout)), 2):
        a, b = layout[i], layout[j]
        props = cal.gates[g2].get((a, b)) or cal.gates[g2].get((b, a)) or default
        t1s, t2s = [cal.t1[a], cal.t1[b]], [cal.t2[a], cal.t2[b]]
        out.append(gate_entry(PAPER_2Q, (i, j), *props, t1s, t2s))
        out.append(gate_entry(("swap",), (i, j), *props, t1s, t2s, repeat=3))
    return out


def _default_edge(cal: Calibration, layout) -> tuple:
    values = reduce_calibration(cal, "median", layout).gates.get(cal.two_qubit_gate)
    if values is None or values[0] is None:
        values = reduce_calibration(cal, "median").gates.get(cal.two_qubit_gate, (None, None))
    return values


# ---------------------------------------------------------------------- uniform models
def _uniform_model(cal: Calibration, v: UniformValues, mode: str, name: str, width, layout) -> DeviceModel:
    t1s, t2s = [v.t1], [v.t2]
    entries = []
    if mode == "native":
        for g in sorted(v.gates):
            if g in GATES:
                k = GATES[g].num_qubits
                entries.append(gate_entry((g,), None, *v.gates[g], t1s * k, t2s * k))
    else:
        entries.append(gate_entry(PAPER_1Q, None, *v.gates[cal.one_qubit_gate], t1s, t2s))
        two = cal.two_qubit_gate
        if two is not None:
            entries.append(gate_entry(PAPER_2Q, None, *v.gates[two], t1s * 2, t2s * 2))
            entries.append(gate_entry(("swap",), None, *v.gates[two], t1s * 2, t2s * 2, repeat=3))
    entries = [_uniform_relaxation(e) for e in entries if e is not None]
    readout = () if v.readout is None else (ReadoutSpec(None, *v.readout),)
    over = f"physical qubits {list(layout)}" if layout is not None else f"all {cal.num_qubits} qubits"
    qubits = (
        {
            "t1": v.t1,
            "t2": v.t2,
            "readout": None if v.readout is None else list(v.readout),
            **{f"{g}_error": e for g, (e, _) in sorted(v.gates.items())},
            **{f"{g}_time": d for g, (_, d) in sorted(v.gates.items())},
        },
    )
    return DeviceModel(
        gate_noise=tuple(entries),
        readout=readout,
        num_qubits=width,
        qubits=qubits,
        reduce=v.reduce,
        description=f"{cal.name}: {v.reduce} over {over}, {mode} gate set, uniform on every qubit",
        **_common(cal, mode, name),
    )


def _uniform_relaxation(e: GateNoise) -> GateNoise:
    """Uniform entries keep one T1/T2 for all qubits."""
    from dataclasses import replace

    return replace(e, t1=e.t1[:1], t2=e.t2[:1])
