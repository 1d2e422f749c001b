"""Action tables and the 3-D moment encoding of a circuit (method spec, sections 2 and 3).

Action table
------------
For ``n`` qubits with all-to-all connectivity there are ``n(n+2)`` actions, in the published order:

* indices ``0 .. n(n-1)-1``: CNOTs. Control ``c = 0..n-1`` is the outer loop and the offset
  ``x = 1..n-1`` the inner one; the target is ``(c + x) mod n``, so index ``c(n-1) + x - 1`` is
  ``CNOT(c, (c + x) mod n)``;
* indices ``n(n-1) + 3q + a``: rotation about axis ``a`` (0 = X, 1 = Y, 2 = Z) on qubit ``q``.

With a coupling map only the CNOTs on coupled (directed) pairs are kept; the kept actions retain
the relative order of the all-to-all table (CNOTs first, then the ``3n`` rotations).

Moment encoding
---------------
The observation tensor has shape ``[L, n + 3 (+ 3), n]`` (``L`` = maximum steps). Slice ``d`` is
circuit *moment* ``d`` (ASAP layer), not the step index: qubit ``q`` keeps a counter ``m[q]``
(starting at 0); a rotation on ``q`` is written at slice ``m[q]`` and then ``m[q] += 1``; a
``CNOT(c, t)`` is written at slice ``max(m[c], m[t])`` and then ``m[c] = m[t] =`` that ``+ 1``.

* rows ``0..n-1``: ``T[d, t, c] = 1`` for a CNOT with control ``c`` and target ``t`` in moment d;
* rows ``n, n+1, n+2``: ``T[d, n + a, q] = 1`` for a rotation about axis ``a`` on qubit ``q``;
* optional rows ``n+3 .. n+5`` (``angles=True``): ``T[d, n + 3 + a, q]`` = that rotation's current
  angle wrapped to ``[-pi, pi]``.

Since every step adds one gate, moments never exceed ``L - 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crlqas.qnoise.errors import QubitError, ValidationError

ROTATION_GATES = ("rx", "ry", "rz")


@dataclass(frozen=True)
class GateAction:
    """One action: ``kind`` is ``"cx"`` (``qubits = (control, target)``) or ``"rot"``
    (``qubits = (q,)``, ``axis`` 0/1/2 for X/Y/Z)."""

    kind: str
    qubits: tuple[int, ...]
    axis: int = -1

    @property
    def gate(self) -> str:
        """The qnoise gate name: ``cx``, ``rx``, ``ry`` or ``rz``."""
        return "cx" if self.kind == "cx" else ROTATION_GATES[self.axis]

    def __str__(self) -> str:
        if self.kind == "cx":
            return f"cx({self.qubits[0]},{self.qubits[1]})"
        return f"{self.gate}({self.qubits[0]})"


def all_to_all_actions(n: int) -> list[GateAction]:
    """The published ``n(n+2)`` action table (see the module docstring)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise QubitError(f"the number of qubits must be a positive integer; got {n!r}")
    acts = [GateAction("cx", (c, (c + x) % n)) for c in range(n) for x in range(1, n)]
    acts += [GateAction("rot", (q,), a) for q in range(n) for a in range(3)]
    return acts


NAMED_COUPLING_MAPS = {
    # IBM Ourense (5 qubits, T-shaped): 0-1, 1-2, 1-3, 3-4; restricted to the qubits in use
    "ourense": ((0, 1), (1, 2), (1, 3), (3, 4))
}


def coupling_pairs(coupling_map, n: int, symmetric: bool = True) -> list[tuple[int, int]] | None:
    """Directed ``(control, target)`` pairs of a coupling map, or ``None`` for all-to-all.

    ``coupling_map``: ``None``/``"all-to-all"``; ``"linear"`` (0-1-...-n-1); ``"ring"``;
    ``"ourense"`` (IBM Ourense's T: 0-1, 1-2, 1-3, 3-4, pairs on qubits >= n dropped); or a list of
    ``(a, b)`` pairs. With ``symmetric`` each pair is allowed in both directions.
    """
    if coupling_map is None or coupling_map == "all-to-all":
        return None
    if isinstance(coupling_map, str):
        if coupling_map == "linear":
            edges = [(q, q + 1) for q in range(n - 1)]
        elif coupling_map == "ring":
            edges = [(q, (q + 1) % n) for q in range(n)] if n > 2 else [(q, q + 1) for q in range(n - 1)]
        elif coupling_map in NAMED_COUPLING_MAPS:
            edges = [e for e in NAMED_COUPLING_MAPS[coupling_map] if max(e) < n]
        else:
            raise ValidationError(
                f"unknown coupling map {coupling_map!r}; allowed names: all-to-all, "
                f"linear, ring, {', '.join(NAMED_COUPLING_MAPS)}, or a list of qubit pairs"
            )
    else:
        try:
            edges = [(int(a), int(b)) for a, b in coupling_map]
        except (TypeError, ValueError):
            raise ValidationError(
                f"a coupling map must be a name or a list of (qubit, qubit) pairs; got {coupling_map!r}"
            ) from None
    pairs: set[tuple[int, int]] = set()
    for a, b in edges:
        if not (0 <= a < n and 0 <= b < n) or a == b:
            raise QubitError(
                f"coupling-map pair ({a}, {b}) is invalid for {n} qubits (need two distinct qubits in 0..{n - 1})"
            )
        pairs.add((a, b))
        if symmetric:
            pairs.add((b, a))
    return sorted(pairs)


def action_table(n: int, pairs=None) -> list[GateAction]:
    """Actions for ``n`` qubits; ``pairs`` (from :func:`coupling_pairs`) restricts the CNOTs."""
    acts = all_to_all_actions(n)
    if pairs is None:
        return acts
    allowed = set(map(tuple, pairs))
    return [a for a in acts if a.kind == "rot" or a.qubits in allowed]


def wrap_angle(theta: float) -> float:
    """``theta`` wrapped to ``[-pi, pi)``."""
    return (theta + math.pi) % (2 * math.pi) - math.pi


class MomentEncoder:
    """Incremental moment bookkeeping and the ``[L, rows, n]`` tensor of one episode.

    ``add(action, param)`` records a gate (``param``: the circuit parameter index of a rotation);
    ``tensor(angles)`` returns the encoding (angles written when the encoder has angle rows).
    """

    def __init__(self, num_qubits: int, max_steps: int, angles: bool = False):
        self.n, self.L, self.with_angles = int(num_qubits), int(max_steps), bool(angles)
        self.rows = self.n + (6 if self.with_angles else 3)
        self.reset()

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.L, self.rows, self.n)

    def reset(self) -> None:
        self.moment = [0] * self.n
        self._t = np.zeros(self.shape, dtype=np.float32)
        self._rot_slots: list[tuple[int, int, int, int]] = []  # (d, axis, q, param)

    @property
    def depth(self) -> int:
        """Number of moments used (the circuit's ASAP depth)."""
        return max(self.moment, default=0)

    def add(self, action: GateAction, param: int | None = None) -> int:
        """Record ``action``; returns the moment it was written at."""
        m = self.moment
        if action.kind == "cx":
            c, t = action.qubits
            d = max(m[c], m[t])
            self._check(d)
            self._t[d, t, c] = 1.0
            m[c] = m[t] = d + 1
        else:
            (q,) = action.qubits
            d = m[q]
            self._check(d)
            self._t[d, self.n + action.axis, q] = 1.0
            m[q] = d + 1
            if param is not None:
                self._rot_slots.append((d, action.axis, q, param))
        return d

    def _check(self, d: int) -> None:
        if d >= self.L:
            raise ValidationError(f"moment {d} exceeds the encoding's {self.L} slices (more steps than max_steps?)")

    def tensor(self, angles=None) -> np.ndarray:
        """A copy of the encoding; with angle rows, ``angles[param]`` fills them."""
        out = self._t.copy()
        if self.with_angles and angles is not None:
            for d, a, q, p in self._rot_slots:
                out[d, self.n + 3 + a, q] = wrap_angle(float(angles[p]))
        return out
