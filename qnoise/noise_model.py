"""Noise models: channels attached after gates, and readout errors per qubit.

Matching rules (those of Qiskit Aer's ``NoiseModel``):

* ``add_all_qubit_error(channel, gates)`` attaches a default channel to the named gates on every
  qubit (tuple).  ``add_error(channel, gates, qubits)`` attaches a channel to the named gates on
  exactly those qubits, in that order; for a gate on those qubits it *replaces* the defaults.
* Adding again to the same (gate, qubits) key composes: the later channel acts after the earlier.
  An ideal (identity) channel is ignored, as Aer ignores ideal errors, so it does not switch the
  defaults off for those qubits.
* A channel acts on all of the gate's qubits (a 2-qubit channel on ``cx`` sees ``(control,
  target)`` as its local qubits 0 and 1).  A 1-qubit channel attached to a 2-qubit gate acts on
  each of the gate's qubits independently (``channel (x) channel``; Aer would refuse it, or for a
  2-qubit ``unitary`` apply it to the first qubit only).
* Readout errors: ``add_all_qubit_readout_error`` and ``add_readout_error(error, qubit)``; a
  per-qubit entry replaces the default for that qubit.

Gate names are those of :mod:`qnoise.gates` (aliases accepted; ``unitary`` for custom matrices).
"""

from __future__ import annotations

from collections.abc import Iterable

from . import validate
from .channels import Channel, ReadoutError
from .errors import NoiseModelError, QubitError
from .gates import GATES, canonical_name


class NoiseModel:
    def __init__(self, name: str = "custom"):
        self.name = name
        self._default: dict[str, Channel] = {}
        self._local: dict[tuple[str, tuple[int, ...]], Channel] = {}
        self._readout_default: ReadoutError | None = None
        self._readout_local: dict[int, ReadoutError] = {}

    # ------------------------------------------------------------------ building
    def add_all_qubit_error(self, channel: Channel, gates: Iterable[str] | str) -> NoiseModel:
        for g in self._gate_names(gates):
            self._check_arity(channel, g, None)
            if not channel.is_identity():
                self._default[g] = self._compose(self._default.get(g), channel)
        return self

    def add_error(self, channel: Channel, gates: Iterable[str] | str, qubits) -> NoiseModel:
        qubits = self._check_qubits(qubits)
        for g in self._gate_names(gates):
            self._check_arity(channel, g, qubits)
            if not channel.is_identity():
                key = (g, qubits)
                self._local[key] = self._compose(self._local.get(key), channel)
        return self

    def add_all_qubit_readout_error(self, error: ReadoutError) -> NoiseModel:
        self._readout_default = self._check_readout(error)
        return self

    def add_readout_error(self, error: ReadoutError, qubit: int) -> NoiseModel:
        (q,) = self._check_qubits((qubit,))
        self._readout_local[q] = self._check_readout(error)
        return self

    # ------------------------------------------------------------------ queries
    def gate_channel(self, gate: str, qubits) -> Channel | None:
        """The channel acting on all of ``qubits`` after ``gate``, or None when it is noiseless."""
        g = canonical_name(gate)
        qubits = tuple(int(q) for q in qubits)
        ch = self._local.get((g, qubits), self._default.get(g))
        if ch is None or ch.is_identity():
            return None
        if ch.num_qubits == 1 and len(qubits) == 2:
            ch = ch.tensor(ch)
        if ch.num_qubits != len(qubits):
            raise NoiseModelError(
                f"the {ch.num_qubits}-qubit channel attached to {g!r} cannot follow that gate "
                f"on {len(qubits)} qubit(s) {qubits}"
            )
        return ch

    def readout_error(self, qubit: int) -> ReadoutError | None:
        err = self._readout_local.get(int(qubit), self._readout_default)
        return None if err is None or err.is_ideal() else err

    @property
    def has_gate_noise(self) -> bool:
        return any(not ch.is_identity() for ch in (*self._default.values(), *self._local.values()))

    @property
    def has_readout_error(self) -> bool:
        errs = [self._readout_default, *self._readout_local.values()]
        return any(e is not None and not e.is_ideal() for e in errs)

    def is_ideal(self) -> bool:
        return not (self.has_gate_noise or self.has_readout_error)

    def max_qubit(self) -> int:
        """Largest qubit index named by a local entry (-1 when there is none)."""
        qs = [q for (_, qubits) in self._local for q in qubits] + list(self._readout_local)
        return max(qs, default=-1)

    def noisy_gates(self) -> list[str]:
        return sorted({g for g in self._default} | {g for g, _ in self._local})

    def __repr__(self) -> str:
        return (
            f"NoiseModel({self.name!r}, gates={self.noisy_gates()}, "
            f"readout={'yes' if self.has_readout_error else 'no'})"
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _compose(old: Channel | None, new: Channel) -> Channel:
        if old is None:
            return new
        if old.num_qubits == 1 and new.num_qubits == 2:
            old = old.tensor(old)
        elif old.num_qubits == 2 and new.num_qubits == 1:
            new = new.tensor(new)
        return old.compose(new)

    @staticmethod
    def _gate_names(gates) -> list[str]:
        if isinstance(gates, str):
            gates = [gates]
        names = [canonical_name(g) for g in gates]
        for raw, g in zip(gates, names):
            if g not in GATES:
                raise NoiseModelError(f"unknown gate {raw!r} in noise model; allowed: {', '.join(sorted(GATES))}")
        if not names:
            raise NoiseModelError("no gate names given")
        return names

    @staticmethod
    def _check_arity(channel: Channel, gate: str, qubits) -> None:
        if not isinstance(channel, Channel):
            raise NoiseModelError(f"expected a qnoise Channel; got {type(channel).__name__}")
        arity = GATES[gate].num_qubits or (len(qubits) if qubits else channel.num_qubits)
        if qubits is not None and len(qubits) != arity:
            raise NoiseModelError(f"gate {gate!r} acts on {arity} qubit(s); got qubits {qubits}")
        if channel.num_qubits not in (1, arity):
            raise NoiseModelError(
                f"a {channel.num_qubits}-qubit channel cannot follow the {arity}-qubit "
                f"gate {gate!r}; give a 1-qubit or a {arity}-qubit channel"
            )

    @staticmethod
    def _check_qubits(qubits) -> tuple[int, ...]:
        return validate.qubits(qubits, "qubits", error=QubitError)

    @staticmethod
    def _check_readout(error) -> ReadoutError:
        if not isinstance(error, ReadoutError):
            raise NoiseModelError(f"expected a qnoise ReadoutError; got {type(error).__name__}")
        return error
