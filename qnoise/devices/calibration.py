"""Device calibration data: what a Qiskit ``BackendV2`` Target says about its qubits and gates.

:class:`Calibration` is a plain, Qiskit-free record (times in seconds):

* per physical qubit: ``t1``, ``t2`` (``None`` when unknown), readout ``(P(1|0), P(0|1))``;
* per gate name and qubit tuple: ``(error, duration)`` (either may be ``None``), for every
  instruction of the Target that is a :class:`qiskit.circuit.Gate` (measure, reset, delay and
  control flow are not gates);
* the backend's name, ``dt``, and the calibration date when the backend reports one.

:func:`calibration_from_backend` reads a BackendV2 exactly as Qiskit Aer's
``NoiseModel.from_backend`` does (``basic_device_readout_errors`` and
``_basic_device_target_gate_errors``): readout from ``target["measure"]`` (``prob_meas1_prep0`` /
``prob_meas0_prep1`` when present, else ``error`` for both), T1/T2 from
``target.qubit_properties``.  :func:`resolve_backend` turns a name such as ``fake_mumbai``,
``FakeMumbaiV2`` or ``mumbai`` into one of ``qiskit_ibm_runtime.fake_provider``'s fake backends
(offline).

Broken entries, which some snapshots contain (a two-qubit gate with error 1.0, a qubit with
readout error 0.5, a missing T1), are kept as they are: Aer uses them.  :func:`is_broken_error`
and :func:`is_broken_readout` say which ones the reductions and the "best" layout skip.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from dataclasses import dataclass, field

from ..errors import ValidationError, require

#: two-qubit native gates, in order of preference when a Target has several
TWO_QUBIT_NATIVE = ("cx", "ecr", "cz")
#: single-qubit gates whose calibration stands for "one single-qubit gate" (paper mode)
ONE_QUBIT_PULSE = ("sx", "u2", "x", "u3")


class UnknownBackendError(ValidationError):
    """No fake backend has the requested name."""


@dataclass
class Calibration:
    """Calibration of a whole device (physical qubit indices)."""

    name: str
    num_qubits: int
    t1: list = field(default_factory=list)
    t2: list = field(default_factory=list)
    readout: list = field(default_factory=list)  # (p1_given0, p0_given1) or None per qubit
    gates: dict = field(default_factory=dict)  # name -> {qubits tuple: (error, duration)}
    dt: float | None = None
    date: str | None = None
    source: str = ""

    @property
    def operation_names(self) -> list[str]:
        return sorted(self.gates)

    @property
    def two_qubit_gate(self) -> str | None:
        """The native entangling gate (``cx``, ``ecr`` or ``cz``), None for a 1-qubit device."""
        return next((g for g in TWO_QUBIT_NATIVE if self.gates.get(g)), None)

    @property
    def one_qubit_gate(self) -> str:
        """The single-pulse 1-qubit gate whose numbers stand for "a 1-qubit gate" (``sx`` ...)."""
        g = next((g for g in ONE_QUBIT_PULSE if self.gates.get(g)), None)
        if g is None:
            raise ValidationError(
                f"device {self.name!r} has none of the 1-qubit gates {ONE_QUBIT_PULSE}; "
                f"its gates are {self.operation_names}"
            )
        return g

    def edges(self, gate: str | None = None) -> list[tuple[int, int]]:
        """Directed qubit pairs of the 2-qubit ``gate`` (default: the native one), sorted."""
        gate = gate or self.two_qubit_gate
        return sorted(q for q in self.gates.get(gate, {}) if len(q) == 2)

    def gate_props(self, gate: str, qubits) -> tuple[float | None, float | None]:
        return self.gates.get(gate, {}).get(tuple(qubits), (None, None))

    def check_qubits(self, qubits) -> tuple[int, ...]:
        from ..errors import QubitError

        try:
            qs = tuple(int(q) for q in qubits)
        except (TypeError, ValueError):
            raise QubitError(f"a layout is a list of physical qubit indices; got {qubits!r}") from None
        if len(qs) > self.num_qubits:
            raise QubitError(
                f"layout {list(qs)} has {len(qs)} qubits but device {self.name!r} has only {self.num_qubits}"
            )
        bad = [q for q in qs if not 0 <= q < self.num_qubits]
        if bad or len(set(qs)) != len(qs) or not qs:
            raise QubitError(
                f"layout must be distinct qubits in 0..{self.num_qubits - 1} of device {self.name!r}; got {list(qs)}"
            )
        return qs


def is_broken_error(error) -> bool:
    """A gate error that is missing, not finite, or >= 1 (a dead gate)."""
    return error is None or not math.isfinite(error) or not 0 <= error < 1


def is_broken_readout(readout) -> bool:
    """A readout entry that is missing or at least 0.5 (a qubit that cannot be read)."""
    return readout is None or not all(0 <= p < 0.5 for p in readout)


def is_broken_time(t) -> bool:
    return t is None or not math.isfinite(t) or t <= 0


# ---------------------------------------------------------------------- Qiskit extraction
def calibration_from_backend(backend) -> Calibration:
    """Read a Qiskit BackendV2 (fake or live) into a :class:`Calibration`."""
    qiskit = require("qiskit", "qiskit")
    target = getattr(backend, "target", None)
    if target is None or getattr(backend, "version", None) != 2:
        raise ValidationError(f"expected a Qiskit BackendV2 with a Target; got {type(backend).__name__}")
    n = int(target.num_qubits)
    qprops = target.qubit_properties or [None] * n
    cal = Calibration(
        name=str(backend.name),
        num_qubits=n,
        dt=_float(getattr(target, "dt", None)),
        date=_calibration_date(backend),
        source=_source(backend),
    )
    cal.t1 = [_float(getattr(p, "t1", None)) for p in qprops]
    cal.t2 = [_float(getattr(p, "t2", None)) for p in qprops]
    cal.readout = [_readout(target, q) for q in range(n)]
    for name in target.operation_names:
        op = target.operation_from_name(name)
        if not isinstance(op, qiskit.circuit.Gate) or isinstance(op, qiskit.circuit.Measure):
            continue
        props = target[name] or {}
        entries = {
            tuple(int(x) for x in qs): (_float(p.error), _float(p.duration))
            for qs, p in props.items()
            if qs is not None and p is not None
        }
        if entries:
            cal.gates[name] = entries
    return cal


def _float(x) -> float | None:
    return None if x is None else float(x)


def _readout(target, q: int):
    meas = target.get("measure", None) if hasattr(target, "get") else None
    prop = None if meas is None else meas.get((q,), None)
    if prop is None:
        return None
    if hasattr(prop, "prob_meas1_prep0") and hasattr(prop, "prob_meas0_prep1"):
        return (float(prop.prob_meas1_prep0), float(prop.prob_meas0_prep1))
    if prop.error is None:
        return None
    return (float(prop.error), float(prop.error))


def _calibration_date(backend) -> str | None:
    props = getattr(backend, "_props_dict", None)
    if isinstance(props, dict) and props.get("last_update_date"):
        return str(props["last_update_date"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = backend.properties()
        date = getattr(p, "last_update_date", None)
        return None if date is None else str(date.isoformat() if hasattr(date, "isoformat") else date)
    except Exception:
        return None


def _source(backend) -> str:
    cls = type(backend)
    return f"{cls.__module__.split('.backends')[0]}.{cls.__name__}"


# ---------------------------------------------------------------------- fake backends by name
def _normalise(name: str) -> str:
    s = re.sub(r"[^a-z0-9]", "", str(name).lower())
    s = s[4:] if s.startswith("fake") else s
    return s[:-2] if s.endswith("v2") else s


def fake_backend_names() -> list[str]:
    """Names (``fake_mumbai``, ...) of the fake backends of the installed qiskit-ibm-runtime."""
    return sorted(_fake_classes())


def _fake_classes() -> dict:
    fp = require("qiskit_ibm_runtime.fake_provider", "qiskit")
    out = {}
    for attr in dir(fp):
        cls = getattr(fp, attr)
        if isinstance(cls, type) and attr.startswith("Fake") and hasattr(cls, "target"):
            key = _normalise(attr)
            skip = key in ("", "provider", "providerforbackendv2", "backendv2", "backend")
            # prefer the V2 class (FakeMumbaiV2 over FakeMumbai when both exist)
            if not skip and (key not in out or attr.endswith("V2")):
                out[key] = cls
    return {f"fake_{k}": v for k, v in out.items()}


def resolve_backend(name_or_backend):
    """A BackendV2 object: passed through, or a fake backend made from its name."""
    if not isinstance(name_or_backend, str):
        return name_or_backend
    classes = _fake_classes()
    key = f"fake_{_normalise(name_or_backend)}"
    if key not in classes:
        close = difflib.get_close_matches(key, list(classes), n=5, cutoff=0.6)
        near = (
            f" Close matches: {', '.join(close)}." if close else f" Known fake backends: {', '.join(sorted(classes))}."
        )
        raise UnknownBackendError(f"unknown backend {name_or_backend!r}.{near}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return classes[key]()
