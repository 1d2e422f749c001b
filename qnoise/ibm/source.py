"""The circuit to verify or submit: a :class:`CircuitSource` (circuit, parameter values, origin).

* :class:`CircuitSource` ``(circuit, params, origin, problem=None, record={})``: built directly from
  a circuit and its parameter values, e.g. from the best circuit of a training run (``crlqas
  verify/submit --run`` reads it with :mod:`crlqas.agents.runlog` and passes the record's fields as
  ``record``);
* :func:`from_qasm` ``(qasm, params=None)``: an OpenQASM 2/3 file, its bound angles the parameters,
  ``params`` the values of its free parameters.

qnoise knows nothing of training-run directories: their format belongs to ``crlqas.agents``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..circuit import Circuit
from ..errors import ParameterError


@dataclass
class CircuitSource:
    """A circuit with its parameter values, where it came from, the problem id if known, and the
    fields of the record it came from (a training run's best-circuit record) if any."""

    circuit: Circuit
    params: np.ndarray
    origin: str
    problem: str | None = None
    record: dict = field(default_factory=dict)

    def info(self) -> dict:
        keep = ("energy", "error", "energy_noiseless", "e0", "num_gates", "num_cnots", "depth", "episode")
        return {
            "origin": self.origin,
            "problem": self.problem,
            "num_qubits": self.circuit.num_qubits,
            "num_parameters": self.circuit.num_parameters,
            **{f"run_{k}": self.record[k] for k in keep if k in self.record},
        }


def _parse_params(text) -> list[float] | None:
    if text is None or isinstance(text, (list, tuple, np.ndarray)):
        return text
    try:
        return [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ParameterError(f"parameter values must be comma-separated numbers; got {text!r}") from None


def from_qasm(qasm, params=None) -> CircuitSource:
    """The circuit of an OpenQASM 2/3 file ``qasm``; ``params``: values of its free parameters (a
    list, or text ``"v1,v2,..."``)."""
    from ..qiskit_bridge import from_qiskit, load_qasm

    circuit, values = from_qiskit(load_qasm(qasm), _parse_params(params))
    return CircuitSource(circuit, values, str(qasm))
