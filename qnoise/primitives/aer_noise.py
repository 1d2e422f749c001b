"""Qiskit Aer ``NoiseModel`` -> qnoise :class:`~qnoise.noise_model.NoiseModel`, exactly or not at all.

:func:`from_aer_noise_model` converts every entry of an Aer model:

* quantum errors, all-qubit (``add_all_qubit_quantum_error``) and per-qubit (``add_quantum_error``),
  on 1- and 2-qubit gates qnoise knows (:data:`qnoise.gates.GATES`: ``id x y z h s sdg t tdg sx
  sxdg rx ry rz cx cz swap ecr``; ``unitary`` with a 2-qubit error).  The channel is the error's
  Pauli transfer matrix (Qiskit's ``PTM`` of ``error.to_quantumchannel()``, the same basis order
  as qnoise), so any Aer error kind (depolarizing, thermal relaxation, Pauli, Kraus, mixtures with
  ``reset``) converts exactly.  The matching rules are Aer's: a per-qubit entry replaces the
  all-qubit one for that gate on those qubits, in that order (the same as qnoise's).
* readout errors (single-qubit assignment matrices), all-qubit and per-qubit.

``qubits`` keeps a subset of the model's qubits, renumbered ``0..k-1`` (qnoise qubit ``i`` is
the model's ``qubits[i]``): per-qubit entries wholly inside the subset are kept, the others
dropped; all-qubit entries are kept.  This is how the primitives simulate a device-wide model
(``NoiseModel.from_backend``) on the qubits a circuit uses.

Errors on ``reset`` and ``delay`` are skipped: qnoise circuits have neither (the primitives refuse
``reset``, and refuse ``delay`` under a model with delay noise, :func:`has_delay_noise`: quantum
errors on ``delay`` or Aer's custom noise passes, such as the thermal relaxation during delays that
``from_backend`` adds).  What cannot be converted raises :class:`~qnoise.errors.NoiseModelError`
listing every such entry (gate, qubits, reason): errors on instructions qnoise has no gate for
(``measure``, ``u3``, ``ccx``, custom labels ...), errors on three or more qubits, a 1-qubit
all-qubit error on ``unitary`` (Aer applies it to the first qubit of a 2-qubit unitary, qnoise to
each qubit) and multi-qubit readout errors.
"""

from __future__ import annotations

import numpy as np

from ..channels import Channel, ReadoutError
from ..errors import NoiseModelError, ValidationError, require
from ..gates import GATES, canonical_name
from ..noise_model import NoiseModel

#: instructions qnoise circuits never hold (the primitives refuse ``reset``, and ``delay`` under a
#: model with delay noise): their errors are skipped
NOT_IN_CIRCUITS = ("reset", "delay")


def is_aer_noise_model(obj) -> bool:
    """True for a ``qiskit_aer.noise.NoiseModel`` (without importing Aer when it is not loaded)."""
    return type(obj).__name__ == "NoiseModel" and type(obj).__module__.startswith("qiskit_aer")


def has_delay_noise(aer_model) -> bool:
    """True when the Aer model has noise on ``delay`` instructions: custom noise passes
    (``from_backend``'s thermal relaxation) or quantum errors on ``delay``."""
    on_delay = "delay" in aer_model._default_quantum_errors or "delay" in aer_model._local_quantum_errors
    return on_delay or bool(getattr(aer_model, "_custom_noise_passes", None))


def _channel(error, where: str, problems: list) -> Channel | None:
    from qiskit.quantum_info import PTM

    if error.num_qubits > 2:
        problems.append(f"{where}: a {error.num_qubits}-qubit error (qnoise channels act on 1 or 2 qubits)")
        return None
    ptm = np.asarray(PTM(error.to_quantumchannel()).data)
    if np.abs(ptm.imag).max(initial=0.0) > 1e-12:
        problems.append(f"{where}: the error's Pauli transfer matrix is not real (not a valid channel)")
        return None
    return Channel(ptm.real, name=f"aer:{where}")


def _gate_name(label: str, where: str, problems: list) -> str | None:
    name = canonical_name(label)
    if name not in GATES:
        problems.append(f"{where}: qnoise has no gate {label!r} (gates: {', '.join(sorted(GATES))})")
        return None
    return name


def _readout(error, where: str, problems: list) -> ReadoutError | None:
    probs = np.asarray(error.probabilities, dtype=float)
    if probs.shape != (2, 2):
        problems.append(
            f"{where}: a {error.number_of_qubits}-qubit readout error (qnoise's readout errors are per qubit)"
        )
        return None
    return ReadoutError.from_matrix(probs)


def from_aer_noise_model(aer_model, qubits=None, name: str | None = None) -> NoiseModel:
    """The qnoise model of a ``qiskit_aer.noise.NoiseModel`` (see the module docstring).

    ``qubits``: None (keep the model's qubit numbers) or a sequence of distinct qubits of the model
    (qnoise qubit ``i`` = ``qubits[i]``).  Raises ``NoiseModelError`` listing every entry that
    cannot be converted.
    """
    require("qiskit_aer", "qiskit")
    if not is_aer_noise_model(aer_model):
        raise ValidationError(f"expected a qiskit_aer.noise.NoiseModel; got {type(aer_model).__name__}")
    pos = None
    if qubits is not None:
        qs = [int(q) for q in qubits]
        if len(set(qs)) != len(qs) or any(q < 0 for q in qs):
            raise ValidationError(f"qubits must be distinct non-negative integers; got {list(qubits)}")
        pos = {q: i for i, q in enumerate(qs)}
    inside = lambda qs: pos is None or all(q in pos for q in qs)
    mapped = lambda qs: tuple(qs) if pos is None else tuple(pos[q] for q in qs)

    out = NoiseModel(name or "aer")
    problems: list[str] = []
    for label, error in aer_model._default_quantum_errors.items():
        if label in NOT_IN_CIRCUITS:
            continue
        where = f"all-qubit error on {label!r}"
        gate = _gate_name(label, where, problems)
        if gate == "unitary" and error.num_qubits == 1:
            problems.append(
                f"{where}: a 1-qubit error on 'unitary' (Aer applies it to the first qubit of a 2-qubit "
                f"unitary, qnoise to each qubit); attach it per qubit with add_quantum_error"
            )
            continue
        channel = _channel(error, where, problems)
        if gate is not None and channel is not None:
            out.add_all_qubit_error(channel, [gate])
    for label, per_qubits in aer_model._local_quantum_errors.items():
        for qs, error in per_qubits.items():
            if label in NOT_IN_CIRCUITS or not inside(qs):
                continue
            where = f"error on {label!r} qubits {list(qs)}"
            gate = _gate_name(label, where, problems)
            channel = _channel(error, where, problems)
            if gate is not None and channel is not None:
                out.add_error(channel, [gate], mapped(qs))
    default = aer_model._default_readout_error
    if default is not None:
        err = _readout(default, "all-qubit readout error", problems)
        if err is not None:
            out.add_all_qubit_readout_error(err)
    for qs, error in aer_model._local_readout_errors.items():
        if inside(qs):
            err = _readout(error, f"readout error on qubits {list(qs)}", problems)
            if err is not None:
                out.add_readout_error(err, mapped(qs)[0])
    if problems:
        raise NoiseModelError(
            f"the Aer noise model has entries qnoise cannot convert exactly ({len(problems)} problem(s)):\n  "
            + "\n  ".join(problems)
        )
    return out
