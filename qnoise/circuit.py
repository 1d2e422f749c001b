"""Parameterised circuits: an ordered list of instructions.

An instruction is a gate name, its qubits, and for rotations either a *parameter index* (the angle
is ``params[index]`` at evaluation time; several rotations may share one index) or a fixed
``angle``.  ``cx`` qubits are ``(control, target)``.  ``unitary`` instructions carry a 2x2 or 4x4
matrix in Qiskit's local qubit order (first listed qubit = bit 0).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace

import numpy as np

from . import validate
from .errors import ParameterError, QubitError, ValidationError
from .gates import GATES, ROTATIONS, canonical_name

MAX_QUBITS = 30


@dataclass(frozen=True)
class Instruction:
    name: str
    qubits: tuple[int, ...]
    param: int | None = None
    angle: float | None = None
    matrix: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def is_rotation(self) -> bool:
        return self.name in ROTATIONS

    def to_dict(self) -> dict:
        out: dict = {"op": self.name, "qubits": list(self.qubits)}
        if self.param is not None:
            out["param"] = self.param
        if self.angle is not None:
            out["angle"] = self.angle
        if self.matrix is not None:
            out["matrix"] = [[[z.real, z.imag] for z in row] for row in self.matrix]
        return out

    def __deepcopy__(self, memo) -> Instruction:
        # frozen: only a unitary's matrix can change under a copy's holder (an env's step infos are
        # deep-copied by SB3's vector envs at every step: this keeps that copy cheap)
        return self if self.matrix is None else replace(self, matrix=self.matrix.copy())


def _fixed_gate(name: str):
    """The :class:`Circuit` method appending fixed gate ``name`` on its qubits (in gate order)."""

    def method(self, *qubits) -> Circuit:
        return self.append(name, qubits)

    method.__name__ = method.__qualname__ = name
    where = "qubit ``q``" if GATES[name].num_qubits == 1 else "qubits ``a, b`` (in this order)"
    method.__doc__ = f"Append ``{name}`` on {where}."
    return method


class Circuit:
    """An n-qubit circuit of gates from :data:`qnoise.gates.GATES`.

    >>> c = Circuit(2)
    >>> c.ry(0).cx(0, 1).rz(1, angle=0.3)   # ry gets parameter 0; rz is fixed
    Circuit(num_qubits=2, gates=3, parameters=1)
    """

    def __init__(self, num_qubits: int, num_parameters: int = 0):
        if not isinstance(num_qubits, (int, np.integer)) or not 1 <= num_qubits <= MAX_QUBITS:
            raise QubitError(f"num_qubits must be an integer in 1..{MAX_QUBITS}; got {num_qubits!r}")
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 0:
            raise ParameterError(f"num_parameters must be a non-negative integer; got {num_parameters!r}")
        self.num_qubits = int(num_qubits)
        self._num_parameters = int(num_parameters)
        self.instructions: list[Instruction] = []

    # ------------------------------------------------------------------ building
    def append(self, name: str, qubits, param: int | None = None, angle: float | None = None, matrix=None) -> Circuit:
        """Append a gate; see the class docstring for the meaning of ``param`` and ``angle``."""
        cname = canonical_name(name)
        spec = GATES.get(cname)
        if spec is None:
            raise ValidationError(f"unknown gate {name!r}; allowed: {', '.join(sorted(GATES))}")
        qubits = self._check_qubits(qubits if hasattr(qubits, "__iter__") else (qubits,), cname)
        if cname == "unitary":
            matrix = _check_unitary(matrix, len(qubits))
        elif matrix is not None:
            raise ValidationError(f"gate {cname!r} takes no matrix; use 'unitary' for a custom gate")
        elif len(qubits) != spec.num_qubits:
            raise QubitError(f"gate {cname!r} acts on {spec.num_qubits} qubit(s); got qubits {qubits}")
        if spec.parametric:
            if param is not None and angle is not None:
                raise ParameterError(f"{cname} takes either a parameter index or a fixed angle, not both")
            if angle is not None:
                if not isinstance(angle, (numbers.Real, np.floating, np.integer)) or isinstance(angle, bool):
                    raise ParameterError(f"{cname} angle must be a real number; got {angle!r}")
                angle = float(angle)
                if not math.isfinite(angle):
                    raise ParameterError(f"{cname} angle must be finite; got {angle!r}")
            else:
                if param is None:
                    param = self.num_parameters
                param = validate.index(param, "parameter index", error=ParameterError)
                self._num_parameters = max(self._num_parameters, param + 1)
        elif param is not None or angle is not None:
            raise ParameterError(f"gate {cname!r} is not parametric; got param={param!r}, angle={angle!r}")
        self.instructions.append(Instruction(cname, qubits, param, angle, matrix))
        return self

    def _check_qubits(self, qubits, name) -> tuple[int, ...]:
        return validate.qubits(qubits, f"gate {name!r}", num_qubits=self.num_qubits, error=QubitError)

    def rx(self, qubit, param=None, angle=None):
        return self.append("rx", qubit, param, angle)

    def ry(self, qubit, param=None, angle=None):
        return self.append("ry", qubit, param, angle)

    def rz(self, qubit, param=None, angle=None):
        return self.append("rz", qubit, param, angle)

    def cx(self, control, target):
        return self.append("cx", (control, target))

    cnot = cx

    # fixed gates: ``c.h(q)``, ``c.cz(a, b)``, ... (one method each, made from the gate table)
    cz = _fixed_gate("cz")
    swap = _fixed_gate("swap")
    h, x, y, z = _fixed_gate("h"), _fixed_gate("x"), _fixed_gate("y"), _fixed_gate("z")
    s, sdg, t, tdg, sx = _fixed_gate("s"), _fixed_gate("sdg"), _fixed_gate("t"), _fixed_gate("tdg"), _fixed_gate("sx")

    def unitary(self, matrix, qubits):
        return self.append("unitary", qubits, matrix=matrix)

    # ------------------------------------------------------------------ queries
    @property
    def num_parameters(self) -> int:
        return self._num_parameters

    def __len__(self) -> int:
        return len(self.instructions)

    def __iter__(self):
        return iter(self.instructions)

    def __repr__(self) -> str:
        return f"Circuit(num_qubits={self.num_qubits}, gates={len(self)}, parameters={self.num_parameters})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Circuit):
            return NotImplemented
        if (self.num_qubits, self.num_parameters, self.instructions) != (
            other.num_qubits,
            other.num_parameters,
            other.instructions,
        ):
            return False
        return all(
            (a.matrix is None and b.matrix is None) or np.array_equal(a.matrix, b.matrix)
            for a, b in zip(self.instructions, other.instructions)
        )

    def copy(self) -> Circuit:
        out = Circuit(self.num_qubits, self.num_parameters)
        out.instructions = list(self.instructions)
        return out

    def count_ops(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ins in self.instructions:
            counts[ins.name] = counts.get(ins.name, 0) + 1
        return counts

    @property
    def num_two_qubit_gates(self) -> int:
        return sum(len(ins.qubits) == 2 for ins in self.instructions)

    @property
    def num_rotations(self) -> int:
        return sum(ins.is_rotation for ins in self.instructions)

    def depth(self) -> int:
        """ASAP depth: the number of moments when every gate starts as early as its qubits allow."""
        level = [0] * self.num_qubits
        for ins in self.instructions:
            d = max(level[q] for q in ins.qubits) + 1
            for q in ins.qubits:
                level[q] = d
        return max(level, default=0)

    def check_parameters(self, params) -> np.ndarray:
        """Return ``params`` as a float64 vector, or raise :class:`ParameterError`."""
        p = np.zeros(0) if params is None else validate.real_array(params, "parameters", error=ParameterError)
        if p.ndim > 1:
            raise ParameterError(
                f"parameters must be one vector of {self.num_parameters} value(s); got shape {p.shape}"
            )
        p = p.reshape(-1)
        if p.shape[0] != self.num_parameters:
            raise ParameterError(f"the circuit has {self.num_parameters} parameter(s); got {p.shape[0]} value(s)")
        return p

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        return {
            "num_qubits": self.num_qubits,
            "num_parameters": self.num_parameters,
            "gates": [ins.to_dict() for ins in self.instructions],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Circuit:
        try:
            out = cls(data["num_qubits"], data.get("num_parameters", 0))
            for g in data["gates"]:
                matrix = g.get("matrix")
                if matrix is not None:
                    matrix = np.array([[complex(re, im) for re, im in row] for row in matrix])
                out.append(g["op"], g["qubits"], g.get("param"), g.get("angle"), matrix)
        except (KeyError, TypeError) as exc:
            raise ValidationError(f"malformed circuit description: missing or bad field {exc}") from None
        return out


def _check_unitary(matrix, k: int) -> np.ndarray:
    if matrix is None:
        raise ValidationError("a 'unitary' gate needs a matrix")
    m = np.asarray(matrix, dtype=complex)
    if k not in (1, 2) or m.shape != (2**k, 2**k):
        raise ValidationError(
            f"a unitary gate acts on 1 or 2 qubits with a 2^k x 2^k matrix; got {k} qubit(s) and shape {m.shape}"
        )
    if not np.allclose(m.conj().T @ m, np.eye(2**k), atol=1e-10):
        raise ValidationError("the matrix of a 'unitary' gate is not unitary (U^dagger U != I within 1e-10)")
    m = m.copy()
    m.setflags(write=False)
    return m
