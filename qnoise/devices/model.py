"""Device noise models as parameters: :class:`GateNoise`, :class:`ReadoutSpec`, :class:`DeviceModel`.

A device model is a list of gate-noise entries and readout entries in *parameters* (T1, T2, gate
time, depolarizing probability, readout flip probabilities), small enough to ship as JSON and
loadable without Qiskit.  :meth:`DeviceModel.noise_model` turns it into a :class:`~qnoise.NoiseModel`
on the *logical* qubits ``0..k-1`` (logical qubit ``i`` is physical qubit ``layout[i]``).

The channel after a gate is the one Qiskit Aer's ``NoiseModel.from_backend`` attaches:
``depolarizing(p, k)`` **followed by** thermal relaxation over the gate time on each of the gate's
qubits (Aer's ``depol_error.compose(relax_error)``), with no excited-state population (Aer's
default temperature 0).

T2 and T1: one rule everywhere.  ``T2 <= 2 T1`` is a physical bound: a :class:`GateNoise` (from a
JSON file or built by hand) with ``T2 > 2 T1`` is rejected, as :func:`~qnoise.channels.
thermal_relaxation` rejects it.  Only a backend's *measured* calibration, whose T2 can exceed the
bound by measurement error, is truncated to ``2 T1`` when it is read (:func:`clip_t2`, Aer's
``_truncate_t2_value``); the model then holds the truncated value.  :func:`aer_depolarizing_param` picks ``p`` from the
calibrated gate error ``e`` (1 - average gate fidelity) exactly as Aer's
``_device_depolarizing_error``: with ``F_r`` the average gate fidelity of the relaxation part and
``d = 2^k``, ``p = d (e - (1 - F_r)) / (d F_r - 1)`` when ``e > 1 - F_r`` (else no depolarizing
part), ``e`` clipped to ``d/(d+1)`` and ``p`` to ``4^k/(4^k-1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..channels import Channel, ReadoutError, depolarizing, thermal_relaxation
from ..errors import NoiseModelError, QubitError, ValidationError
from ..fileio import plain_fields
from ..noise_model import NoiseModel

FORMAT = "qnoise-device-model/1"
MODES = ("native", "paper", "depolarizing", "noiseless")


def clip_t2(t1: float | None, t2: float | None) -> tuple[float, float]:
    """A measured calibration's ``(T1, T2)`` as Aer reads it (``_truncate_t2_value``): ``T2`` capped at
    ``2 T1``, unknown T2 taken as ``2 T1``, unknown times as ``inf``."""
    if t1 is not None and t2 is None:
        t2 = 2 * t1
    elif t1 is not None:
        t2 = min(t2, 2 * t1)
    return (math.inf if t1 is None else t1), (math.inf if t2 is None else t2)


def relaxation_trace(t1: float, t2: float, time: float) -> float:
    """Trace of the 1-qubit thermal-relaxation PTM ``diag(1, e2, e2, e1)``."""
    e1 = math.exp(-time / t1) if t1 != math.inf else 1.0
    e2 = math.exp(-time / t2) if t2 != math.inf else 1.0
    return 1.0 + 2.0 * e2 + e1


def aer_depolarizing_param(error, num_qubits: int, ptm_trace: float | None = None) -> float:
    """Aer's depolarizing parameter for gate ``error`` given the relaxation PTM trace (None: no
    relaxation).  Returns 0.0 when Aer adds no depolarizing error."""
    if not error:
        return 0.0
    d = 2**num_qubits
    relax_fid = 1.0 if ptm_trace is None else (ptm_trace / d + 1.0) / (d + 1.0)
    relax_infid = 1.0 - relax_fid
    if not error > relax_infid:
        return 0.0
    error = min(error, d / (d + 1))
    p = d * (error - relax_infid) / (d * relax_fid - 1)
    return min(p, 4**num_qubits / (4**num_qubits - 1))


@dataclass(frozen=True)
class GateNoise:
    """Noise after ``gates`` on ``qubits`` (logical; None = on every qubit / pair).

    ``t1``/``t2`` hold one value per gate qubit (or one value for all when ``qubits`` is None);
    ``None`` means infinite.  ``repeat`` applies the channel that many times (``swap`` in paper
    mode counts as three two-qubit gates).  ``error`` is the calibrated gate error the
    depolarizing parameter came from (information only).
    """

    gates: tuple
    num_qubits: int
    qubits: tuple | None = None
    depolarizing: float = 0.0
    time: float = 0.0
    t1: tuple = ()
    t2: tuple = ()
    error: float | None = None
    repeat: int = 1

    def __post_init__(self):
        for label, values in (("t1", self.t1), ("t2", self.t2)):
            if len(values) not in (0, 1, self.num_qubits):
                raise NoiseModelError(
                    f"{label} of a {self.num_qubits}-qubit gate entry ({', '.join(self.gates)}) takes one value per "
                    f"gate qubit ({self.num_qubits}) or one for all; got {len(values)} value(s)"
                )
            for v in values:
                if v is not None and not (isinstance(v, (int, float)) and v > 0):
                    raise NoiseModelError(f"{label} values must be positive numbers or null (infinite); got {v!r}")
        if self.t2 and len(self.t2) != max(len(self.t1), 1):
            raise NoiseModelError(f"t2 must give as many values as t1 ({len(self.t1)}); got {len(self.t2)}")
        for a, b in zip(self.t1, self.t2):
            if a is not None and b is not None and b > 2 * a:
                raise NoiseModelError(
                    f"T2 cannot exceed 2 T1 (gate entry {', '.join(self.gates)}: t1={a!r}, t2={b!r}); "
                    f"give t2 <= {2 * a!r}"
                )

    def relaxations(self) -> list[tuple[float, float]]:
        t1 = list(self.t1) or [None]
        t2 = list(self.t2) or [None] * len(t1)
        if len(t1) == 1:
            t1, t2 = t1 * self.num_qubits, t2 * self.num_qubits
        return [
            (math.inf if a is None else a, (math.inf if a is None else 2 * a) if b is None else b)
            for a, b in zip(t1, t2)
        ]

    def channel(self) -> Channel | None:
        """Depolarizing then thermal relaxation (per qubit), ``repeat`` times; None if trivial."""
        ch = depolarizing(self.depolarizing, self.num_qubits) if self.depolarizing > 0 else None
        if self.time > 0:
            rel = [thermal_relaxation(t1, t2, self.time) for t1, t2 in self.relaxations()]
            if not all(r.is_identity() for r in rel):
                relax = rel[0] if len(rel) == 1 else rel[1].tensor(rel[0])
                ch = relax if ch is None else ch.compose(relax)
        if ch is None:
            return None
        out = ch
        for _ in range(self.repeat - 1):
            out = out.compose(ch)
        return out

    def to_dict(self) -> dict:
        out = {
            "gates": list(self.gates),
            "num_qubits": self.num_qubits,
            "qubits": None if self.qubits is None else list(self.qubits),
            "depolarizing": self.depolarizing,
            "time": self.time,
            "t1": list(self.t1),
            "t2": list(self.t2),
            "error": self.error,
        }
        if self.repeat != 1:
            out["repeat"] = self.repeat
        return out

    @classmethod
    def from_dict(cls, d: dict) -> GateNoise:
        q = d.get("qubits")
        return cls(
            tuple(d["gates"]),
            int(d["num_qubits"]),
            None if q is None else tuple(q),
            float(d.get("depolarizing", 0.0)),
            float(d.get("time", 0.0)),
            tuple(d.get("t1", ())),
            tuple(d.get("t2", ())),
            d.get("error"),
            int(d.get("repeat", 1)),
        )


@dataclass(frozen=True)
class ReadoutSpec:
    """Readout error ``P(1|0)``, ``P(0|1)`` on a logical ``qubit`` (None: every qubit)."""

    qubit: int | None
    p1_given0: float
    p0_given1: float

    def to_dict(self) -> dict:
        return {"qubit": self.qubit, "p1_given0": self.p1_given0, "p0_given1": self.p0_given1}

    @classmethod
    def from_dict(cls, d: dict) -> ReadoutSpec:
        return cls(d.get("qubit"), float(d["p1_given0"]), float(d["p0_given1"]))


@dataclass(frozen=True)
class DeviceModel:
    """A device (or synthetic) noise model on ``num_qubits`` logical qubits (None: any width).

    ``layout[i]`` is the physical qubit of logical qubit ``i``; ``coupling_map`` the directed
    logical pairs that carry the native 2-qubit gate (None: all pairs); ``basis`` the gate set
    circuits are rewritten into in native mode (:meth:`compile`); ``qubits`` per-logical-qubit
    calibration figures (information); ``reduce`` the device reduction used (median/max/10max).
    """

    name: str
    mode: str
    gate_noise: tuple = ()
    readout: tuple = ()
    num_qubits: int | None = None
    layout: tuple | None = None
    coupling_map: tuple | None = None
    basis: tuple | None = None
    qubits: tuple = ()
    reduce: str | None = None
    source: str = ""
    calibration_date: str | None = None
    description: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ noise model
    @property
    def noise_model(self) -> NoiseModel:
        if "nm" not in self._cache:
            self._cache["nm"] = self._build_noise_model()
        return self._cache["nm"]

    def _build_noise_model(self) -> NoiseModel:
        nm = NoiseModel(self.name)
        for entry in self.gate_noise:
            ch = entry.channel()
            if ch is None:
                continue
            if entry.qubits is None:
                nm.add_all_qubit_error(ch, entry.gates)
            else:
                nm.add_error(ch, entry.gates, entry.qubits)
        for r in self.readout:
            err = ReadoutError(r.p1_given0, r.p0_given1)
            if r.qubit is None:
                nm.add_all_qubit_readout_error(err)
            else:
                nm.add_readout_error(err, r.qubit)
        return nm

    # ------------------------------------------------------------------ circuits
    def restrict(self, num_qubits: int) -> DeviceModel:
        """The model on logical qubits ``0..num_qubits-1`` (entries on other qubits dropped)."""
        if self.num_qubits is None or num_qubits == self.num_qubits:
            return self
        if num_qubits > self.num_qubits:
            raise QubitError(
                f"noise model {self.name!r} covers {self.num_qubits} qubit(s); the circuit "
                f"has {num_qubits}. Use a wider layout or a uniform preset"
            )
        keep = lambda qs: qs is None or max(qs) < num_qubits
        return replace(
            self,
            gate_noise=tuple(g for g in self.gate_noise if keep(g.qubits)),
            readout=tuple(r for r in self.readout if r.qubit is None or r.qubit < num_qubits),
            num_qubits=num_qubits,
            layout=None if self.layout is None else self.layout[:num_qubits],
            coupling_map=None
            if self.coupling_map is None
            else tuple(e for e in self.coupling_map if max(e) < num_qubits),
            qubits=self.qubits[:num_qubits],
            _cache={},
        )

    def without_readout(self) -> DeviceModel:
        """The same gate noise, perfect readout (what a density-matrix simulation sees)."""
        return replace(self, readout=(), _cache={})

    def compile(self, circuit):
        """The circuit as this model runs it: rewritten into the native basis (native mode,
        :func:`qnoise.devices.native.to_native`), else unchanged (2-qubit gates must act on
        coupled qubits when the model has a coupling map)."""
        if self.num_qubits is not None and circuit.num_qubits > self.num_qubits:
            raise QubitError(
                f"the circuit has {circuit.num_qubits} qubits but noise model {self.name!r} covers {self.num_qubits}"
            )
        if self.mode == "native":
            from .native import to_native

            return to_native(circuit, self.basis, self.coupling_map)
        return circuit

    def simulator(self, circuit, hamiltonian, **kwargs):
        """A :class:`qnoise.Simulator` of ``compile(circuit)`` under this model."""
        from ..simulator import Simulator

        model = self.restrict(circuit.num_qubits)
        return Simulator(model.compile(circuit), hamiltonian, model.noise_model, **kwargs)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        return {"format": FORMAT, **plain_fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> DeviceModel:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise NoiseModelError(f"not a {FORMAT} description (missing or wrong 'format')")
        try:
            tup = lambda v: None if v is None else tuple(v)
            model = cls(
                name=d["name"],
                mode=d["mode"],
                gate_noise=tuple(GateNoise.from_dict(g) for g in d.get("gate_noise", [])),
                readout=tuple(ReadoutSpec.from_dict(r) for r in d.get("readout", [])),
                num_qubits=d.get("num_qubits"),
                layout=tup(d.get("layout")),
                coupling_map=None if d.get("coupling_map") is None else tuple(tuple(e) for e in d["coupling_map"]),
                basis=tup(d.get("basis")),
                qubits=tuple(d.get("qubits", [])),
                reduce=d.get("reduce"),
                source=d.get("source", ""),
                calibration_date=d.get("calibration_date"),
                description=d.get("description", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NoiseModelError(f"malformed {FORMAT} description: {exc!r}") from None
        if model.mode not in MODES:
            raise NoiseModelError(f"mode must be one of {MODES}; got {model.mode!r}")
        return model

    def summary(self) -> dict:
        """Key figures: gate-noise entries and readout in compact form (for ``noise show``)."""
        out = {k: v for k, v in self.to_dict().items() if k not in ("gate_noise", "readout", "format")}
        out["gate_noise"] = [_entry_summary(g) for g in self.gate_noise]
        out["readout"] = [r.to_dict() for r in self.readout]
        return out


def _entry_summary(g: GateNoise) -> dict:
    rel = [(1 - math.exp(-g.time / t1)) if t1 != math.inf else 0.0 for t1, _ in g.relaxations()]
    return {
        "gates": ",".join(g.gates),
        "qubits": g.qubits,
        "depolarizing": g.depolarizing,
        "error": g.error,
        "time": g.time,
        "relaxation_1-exp(-t/T1)": rel,
    }


def check_mode(mode: str) -> str:
    if mode not in ("native", "paper"):
        raise ValidationError(f"mode must be 'native' or 'paper'; got {mode!r}")
    return mode
