"""Rewrite circuits into an IBM native basis, keeping parameters as parameters.

``to_native(circuit, basis, coupling_map=None)``: the basis holds ``rz`` and ``sx`` (``x``, ``id``
and ``rx`` are used when present) and one entangling gate, ``cx``, ``ecr`` or ``cz``.  Every
output gate is a basis gate and the output equals the input up to a global phase:

* ``rz`` stays (parameter or angle): it is virtual on IBM devices (noiseless, zero duration).
* parametric ``rx(t)``/``ry(t)`` follow Qiskit's ZSX form of ``U(t, phi, lam) = RZ(phi + pi) SX
  RZ(t + pi) SX RZ(lam)`` (matrix order): ``rx(t) = [rz(pi/2), sx, rz(t), rz(pi), sx, rz(pi/2)]``
  and ``ry(t) = [sx, rz(t), rz(pi), sx, rz(pi)]`` in time order; the parameter enters a noiseless
  ``rz`` between two noisy ``sx``, so a rotation costs two ``sx`` as in Qiskit's transpilation.
  A qnoise rotation has a parameter index *or* an angle, so ``rz(t + pi)`` is ``rz(t), rz(pi)``.
* any other 1-qubit gate (fixed rotations, ``h``, ``s``, ``unitary`` ...) goes through its U3
  angles: diagonal -> one ``rz``; ``theta = pi/2`` -> one ``sx``; ``x``/``sx`` stay; else two ``sx``.
* 2-qubit gates become ``cx`` first (``cz = h cx h``, ``swap`` = three ``cx``, ``ecr`` = ``rz(pi/2),
  sx, cx, x``), then the native gate: ``cx``; ``cz`` with ``h`` on the target; or ``ecr`` via
  ``cx(c, t) = [rz(-pi/2) c, sxdg t, ecr(c, t), x c]``.  When the coupling map only has the
  reversed direction, ``cx(c, t) = (h x h) cx(t, c) (h x h)`` (``cz`` just swaps its qubits).
  Two qubits that are not coupled raise :class:`~qnoise.errors.QubitError` (no routing).

Consecutive fixed ``rz`` on a qubit are merged and ``rz(0)`` dropped.
"""

from __future__ import annotations

import math

import numpy as np

from ..circuit import Circuit
from ..errors import QubitError, ValidationError
from ..gates import gate_unitary

PI = math.pi
_ATOL = 1e-12
_PARAM_TEMPLATES = {  # time order; "t" marks the parametric rz
    "rx": [("rz", PI / 2), ("sx", None), ("rz", "t"), ("rz", PI), ("sx", None), ("rz", PI / 2)],
    "ry": [("sx", None), ("rz", "t"), ("rz", PI), ("sx", None), ("rz", PI)],
}


def u3_angles(u: np.ndarray) -> tuple[float, float, float]:
    """``(theta, phi, lam)`` with ``u = e^{ia} U3(theta, phi, lam)``."""
    u = np.asarray(u, dtype=complex)
    theta = 2 * math.atan2(abs(u[1, 0]), abs(u[0, 0]))
    if abs(u[1, 0]) < _ATOL:
        return 0.0, 0.0, float(np.angle(u[1, 1]) - np.angle(u[0, 0]))
    if abs(u[0, 0]) < _ATOL:
        return PI, float(np.angle(u[1, 0])), float(np.angle(-u[0, 1]))
    a = np.angle(u[0, 0])
    return theta, float(np.angle(u[1, 0]) - a), float(np.angle(-u[0, 1]) - a)


def _same_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    k = np.argmax(np.abs(b))
    ph = a.flat[k] / b.flat[k]
    return abs(abs(ph) - 1) < 1e-9 and np.allclose(a, ph * b, atol=1e-9)


def one_qubit_ops(u: np.ndarray, basis) -> list[tuple[str, float | None]]:
    """Native ``[(name, angle)]`` (time order) equal to ``u`` up to phase."""
    for name in ("x", "sx"):
        if name in basis and _same_up_to_phase(u, gate_unitary(name)):
            return [(name, None)]
    theta, phi, lam = u3_angles(u)
    if abs(theta) < 1e-12:
        return [("rz", phi + lam)]
    if abs(theta - PI / 2) < 1e-12:
        return [("rz", lam - PI / 2), ("sx", None), ("rz", phi + PI / 2)]
    return [("rz", lam), ("sx", None), ("rz", theta + PI), ("sx", None), ("rz", phi + PI)]


class _Writer:
    def __init__(self, circuit: Circuit, basis, coupling):
        self.out = Circuit(circuit.num_qubits, circuit.num_parameters)
        self.basis = set(basis)
        self.two = _two_qubit_gate(self.basis)
        self.coupling = None if coupling is None else {tuple(e) for e in coupling}

    def op1(self, name, q, angle=None, param=None):
        if name == "rz":
            self.out.append("rz", q, param=param, angle=angle)
        else:
            self.out.append(name, q)

    def fixed1(self, u, q):
        for name, angle in one_qubit_ops(u, self.basis):
            self.op1(name, q, angle)

    def rotation(self, ins):
        q = ins.qubits[0]
        if ins.name == "rz" or ins.name in self.basis:
            self.out.append(ins.name, q, param=ins.param, angle=ins.angle)
        elif ins.param is None:
            self.fixed1(gate_unitary(ins.name, ins.angle), q)
        else:
            for name, angle in _PARAM_TEMPLATES[ins.name]:
                self.op1(name, q, None if angle == "t" else angle, ins.param if angle == "t" else None)

    def coupled(self, a, b) -> bool:
        return self.coupling is None or (a, b) in self.coupling

    def native_two(self, name, a, b):
        """Emit the native 2-qubit gate on (a, b), or reversed for the symmetric cz."""
        if name == "cz" and not self.coupled(a, b) and self.coupled(b, a):
            a, b = b, a
        self.out.append(name, (a, b))

    def cx(self, c, t):
        if not (self.coupled(c, t) or self.coupled(t, c)):
            raise QubitError(
                f"logical qubits {c} and {t} are not coupled on this device (coupling map "
                f"{sorted(self.coupling)}); choose a layout where they are neighbours"
            )
        if self.two == "cz":
            h = gate_unitary("h")
            self.fixed1(h, t)
            self.native_two("cz", c, t)
            self.fixed1(h, t)
        elif self.coupled(c, t):
            self._cx_forward(c, t)
        else:
            h = gate_unitary("h")
            self.fixed1(h, c), self.fixed1(h, t)
            self._cx_forward(t, c)
            self.fixed1(h, c), self.fixed1(h, t)

    def _cx_forward(self, c, t):
        if self.two == "cx":
            self.out.append("cx", (c, t))
            return
        self.op1("rz", c, -PI / 2)
        self.fixed1(gate_unitary("sxdg"), t)
        self.out.append("ecr", (c, t))
        self.op1("x", c) if "x" in self.basis else self.fixed1(gate_unitary("x"), c)

    def two_qubit(self, ins):
        a, b = ins.qubits
        name = ins.name
        if name == self.two and (self.coupled(a, b) or (name == "cz" and self.coupled(b, a))):
            self.native_two(name, a, b)
        elif name == "cx":
            self.cx(a, b)
        elif name == "cz":
            self.fixed1(gate_unitary("h"), b), self.cx(a, b), self.fixed1(gate_unitary("h"), b)
        elif name == "swap":
            self.cx(a, b), self.cx(b, a), self.cx(a, b)
        elif name == "ecr":
            self.op1("rz", a, PI / 2), self.fixed1(gate_unitary("sx"), b)
            self.cx(a, b)
            self.fixed1(gate_unitary("x"), a)
        else:
            raise ValidationError(
                f"cannot rewrite a 2-qubit {name!r} gate into native gates; supported "
                f"2-qubit gates: cx, cz, ecr, swap (transpile other gates with Qiskit)"
            )


def _two_qubit_gate(basis) -> str | None:
    """The basis's two-qubit gate (the first of cx, ecr, cz it has), or None."""
    return next((g for g in ("cx", "ecr", "cz") if g in basis), None)


def to_native(circuit: Circuit, basis, coupling_map=None) -> Circuit:
    """``circuit`` rewritten into ``basis`` (see the module docstring); parameters kept."""
    if basis is None or not {"rz", "sx"} <= set(basis):
        raise ValidationError(f"a native basis needs rz and sx (IBM's); got {basis!r}")
    w = _Writer(circuit, basis, coupling_map)
    for ins in circuit.instructions:
        if len(ins.qubits) == 2:
            if w.two is None:
                raise ValidationError(f"basis {sorted(basis)} has no 2-qubit gate for {ins.name!r}")
            w.two_qubit(ins)
        elif ins.is_rotation:
            w.rotation(ins)
        elif ins.name in w.basis:
            w.out.append(ins.name, ins.qubits)
        else:
            w.fixed1(ins.matrix if ins.matrix is not None else gate_unitary(ins.name), ins.qubits[0])
    return merge_rz(w.out)


def merge_rz(circuit: Circuit) -> Circuit:
    """Merge runs of fixed-angle ``rz`` on a qubit; drop those equal to the identity (mod 2 pi)."""
    out = Circuit(circuit.num_qubits, circuit.num_parameters)
    pending: dict[int, float] = {}

    def flush(q):
        a = pending.pop(q, None)
        if a is None:
            return
        a = math.remainder(a, 2 * PI)
        if abs(a) > 1e-14:
            out.append("rz", q, angle=a)

    for ins in circuit.instructions:
        if ins.name == "rz" and ins.param is None:
            q = ins.qubits[0]
            pending[q] = pending.get(q, 0.0) + ins.angle
            continue
        for q in ins.qubits:
            flush(q)
        out.instructions.append(ins)
    for q in sorted(pending):
        flush(q)
    return out
