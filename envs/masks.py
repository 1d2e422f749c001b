"""Illegal-action masks (method spec, section 4).

An action is illegal when the gate it adds would cancel or merge with the previous gate on the same
qubits with nothing in between:

* the same ``CNOT(c, t)`` again when neither ``c`` nor ``t`` was touched since it was applied;
* a rotation about the same axis on the same qubit when that qubit was not touched since.

Each qubit remembers the last gate that touched it. A ``CNOT(c, t)`` clears the memory of ``c`` and
``t`` and then both remember that CNOT; a rotation on ``q`` replaces ``q``'s memory. The reversed
``CNOT(t, c)`` and rotations about other axes stay legal, so at least ``2n`` actions are always
allowed.

The mask is decoded against the env's own action table (:mod:`envs.encoding`), so it is right for
every ``n`` and for coupling-map action sets.
"""

from __future__ import annotations

import numpy as np

from .encoding import GateAction


class ActionMasker:
    """Per-qubit memory of the last gate, and the boolean mask (``True`` = allowed)."""

    def __init__(self, num_qubits: int, actions: list[GateAction]):
        self.n = int(num_qubits)
        self.actions = list(actions)
        # for each action, the memory value that makes it illegal, on the qubits it acts on
        self._keys = [(a.kind, a.qubits, a.axis) for a in self.actions]
        self.reset()

    def reset(self) -> None:
        self.last: list[tuple | None] = [None] * self.n

    def add(self, action: GateAction) -> None:
        """Record a gate that was applied."""
        key = (action.kind, action.qubits, action.axis)
        for q in action.qubits:
            self.last[q] = key

    def is_legal(self, index: int) -> bool:
        key = self._keys[index]
        return not all(self.last[q] == key for q in key[1])

    def mask(self) -> np.ndarray:
        """Boolean array over the action table; ``True`` where the action is allowed."""
        return np.fromiter((self.is_legal(i) for i in range(len(self.actions))), dtype=bool, count=len(self.actions))
