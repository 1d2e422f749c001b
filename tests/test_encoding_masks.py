"""Action tables, moment bookkeeping, the 3-D encoding and the illegal-action masks, checked
against hand-worked circuits (n = 2, 3, 4, 6 and IBM Ourense's coupling map)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from crlqas.envs.encoding import GateAction, MomentEncoder, action_table, all_to_all_actions, coupling_pairs
from crlqas.envs.masks import ActionMasker
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import QubitError, ValidationError


def cx(c, t):
    return GateAction("cx", (c, t))


def encode_gates(num_qubits, max_steps, actions):
    """The moment tensor of a whole gate sequence."""
    enc = MomentEncoder(num_qubits, max_steps)
    for act in actions:
        enc.add(act)
    return enc.tensor()


def mask_for_sequence(num_qubits, actions, applied):
    """The mask after applying the action indices ``applied``."""
    m = ActionMasker(num_qubits, actions)
    for i in applied:
        m.add(actions[i])
    return m.mask()


def rot(q, a):
    return GateAction("rot", (q,), a)


# ---------------------------------------------------------------- action tables
def test_action_table_n2():
    assert [str(a) for a in all_to_all_actions(2)] == [
        "cx(0,1)",
        "cx(1,0)",
        "rx(0)",
        "ry(0)",
        "rz(0)",
        "rx(1)",
        "ry(1)",
        "rz(1)",
    ]


def test_action_table_n3():
    acts = all_to_all_actions(3)
    assert len(acts) == 15
    assert [a.qubits for a in acts[:6]] == [(0, 1), (0, 2), (1, 2), (1, 0), (2, 0), (2, 1)]
    assert acts[6:] == [rot(q, a) for q in range(3) for a in range(3)]


def test_action_table_n4():
    acts = all_to_all_actions(4)
    assert len(acts) == 24
    assert [a.qubits for a in acts[:12]] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 2),
        (1, 3),
        (1, 0),
        (2, 3),
        (2, 0),
        (2, 1),
        (3, 0),
        (3, 1),
        (3, 2),
    ]
    assert acts[12 + 3 * 2 + 1] == rot(2, 1)  # n(n-1) + 3q + a


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 8])
def test_action_table_formula(n):
    acts = all_to_all_actions(n)
    assert len(acts) == n * (n + 2)
    for c in range(n):
        for x in range(1, n):
            assert acts[c * (n - 1) + x - 1] == cx(c, (c + x) % n)
    for q in range(n):
        for a in range(3):
            assert acts[n * (n - 1) + 3 * q + a] == rot(q, a)
    assert len({(a.kind, a.qubits, a.axis) for a in acts}) == len(acts)


def test_action_table_n6_spot_checks():
    acts = all_to_all_actions(6)
    assert len(acts) == 48
    assert acts[27] == cx(5, 2)  # c = 5, x = 3
    assert acts[4] == cx(0, 5)
    assert acts[46] == rot(5, 1)


def test_ourense_coupling_map():
    pairs = coupling_pairs("ourense", 4)
    assert pairs == [(0, 1), (1, 0), (1, 2), (1, 3), (2, 1), (3, 1)]
    acts = action_table(4, pairs)
    assert len(acts) == 18  # the paper's 18 actions
    assert [a.qubits for a in acts[:6]] == [(0, 1), (1, 2), (1, 3), (1, 0), (2, 1), (3, 1)]
    assert acts[6:] == [rot(q, a) for q in range(4) for a in range(3)]


def test_coupling_map_variants():
    assert coupling_pairs(None, 3) is None and coupling_pairs("all-to-all", 3) is None
    assert coupling_pairs("linear", 3) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    assert coupling_pairs([(0, 2)], 3, symmetric=False) == [(0, 2)]
    assert len(coupling_pairs("ring", 4)) == 8
    with pytest.raises(QubitError, match="invalid for 3 qubits"):
        coupling_pairs([(0, 3)], 3)
    with pytest.raises(ValidationError, match="unknown coupling map"):
        coupling_pairs("star", 3)


# ---------------------------------------------------------------- moments and encoding
def test_encoding_hand_worked_n3():
    gates = [rot(0, 0), cx(0, 1), rot(2, 1), cx(1, 2), rot(0, 2)]
    enc = MomentEncoder(3, 5)
    slices = [enc.add(g, p) for p, g in enumerate(gates)]
    assert slices == [0, 1, 0, 2, 2]
    assert enc.moment == [3, 3, 3] and enc.depth == 3
    expected = np.zeros((5, 6, 3), np.float32)
    expected[0, 3 + 0, 0] = 1  # rx(0) in moment 0
    expected[1, 1, 0] = 1  # CNOT control 0 -> target 1: row target, column control
    expected[0, 3 + 1, 2] = 1  # ry(2) in moment 0
    expected[2, 2, 1] = 1  # CNOT 1 -> 2 in moment max(2, 1) = 2
    expected[2, 3 + 2, 0] = 1  # rz(0) in moment 2
    np.testing.assert_array_equal(enc.tensor(), expected)


def test_encoding_hand_worked_n2_and_depth_matches_circuit():
    gates = [cx(1, 0), rot(1, 2), rot(1, 0), cx(0, 1)]
    t = encode_gates(2, 4, gates)
    expected = np.zeros((4, 5, 2), np.float32)
    expected[0, 0, 1] = 1  # CNOT(1 -> 0)
    expected[1, 2 + 2, 1] = 1  # rz(1)
    expected[2, 2 + 0, 1] = 1  # rx(1)
    expected[3, 1, 0] = 1  # CNOT(0 -> 1) after qubit 1's moment 3
    np.testing.assert_array_equal(t, expected)
    c = Circuit(2).cx(1, 0).rz(1).rx(1).cx(0, 1)
    assert c.depth() == 4


def test_encoding_n4_parallel_moments():
    gates = [rot(0, 1), rot(1, 1), rot(2, 1), rot(3, 1), cx(0, 1), cx(2, 3), cx(1, 2)]
    enc = MomentEncoder(4, 7)
    assert [enc.add(g, i) for i, g in enumerate(gates)] == [0, 0, 0, 0, 1, 1, 2]
    t = enc.tensor()
    assert t[0, 4 + 1].tolist() == [1, 1, 1, 1]
    assert t[1, 1, 0] == 1 and t[1, 3, 2] == 1 and t[2, 2, 1] == 1
    assert t.sum() == 7


def test_encoding_n6_and_angle_rows():
    gates = [cx(5, 2), rot(5, 1), rot(2, 0), cx(0, 5)]
    enc = MomentEncoder(6, 4, angles=True)
    assert enc.shape == (4, 12, 6)
    assert [enc.add(g, p) for g, p in zip(gates, [None, 0, 1, None])] == [0, 1, 1, 2]
    t = enc.tensor(np.array([0.5, 7.0]))
    assert t[0, 2, 5] == 1 and t[1, 6 + 1, 5] == 1 and t[1, 6 + 0, 2] == 1 and t[2, 5, 0] == 1
    assert t[1, 9 + 1, 5] == pytest.approx(0.5)
    assert t[1, 9 + 0, 2] == pytest.approx(7.0 - 2 * np.pi, abs=1e-6)  # wrapped to [-pi, pi)


def test_encoder_overflow_is_an_error():
    enc = MomentEncoder(1, 2)
    enc.add(rot(0, 0), 0)
    enc.add(rot(0, 1), 1)
    with pytest.raises(ValidationError, match="exceeds"):
        enc.add(rot(0, 2), 2)


# ---------------------------------------------------------------- masks (section 4)
def test_masks_n2_hand_worked():
    acts = all_to_all_actions(2)
    assert mask_for_sequence(2, acts, []).all()
    m = mask_for_sequence(2, acts, [0])  # cx(0,1)
    assert m.tolist() == [False, True, True, True, True, True, True, True]
    m = mask_for_sequence(2, acts, [0, 5])  # cx(0,1), rx(1): qubit 1 touched -> cx(0,1) legal again
    assert m.tolist() == [True, True, True, True, True, False, True, True]
    m = mask_for_sequence(2, acts, [0, 1])  # the reversed CNOT is legal; then only cx(1,0) is masked
    assert m.tolist() == [True, False] + [True] * 6


def test_masks_n3_uses_the_n3_table():
    acts = all_to_all_actions(3)
    m = mask_for_sequence(3, acts, [4])  # cx(2,0)
    assert np.flatnonzero(~m).tolist() == [4]
    m = mask_for_sequence(3, acts, [4, 6 + 3 * 1 + 2])  # ... rz(1): does not touch 2 or 0
    assert np.flatnonzero(~m).tolist() == [4, 11]
    m = mask_for_sequence(3, acts, [4, 6 + 3 * 2 + 0])  # ... rx(2): cx(2,0) legal again
    assert np.flatnonzero(~m).tolist() == [12]


def test_masks_n4_rotation_memory():
    acts = all_to_all_actions(4)
    ry1 = 12 + 3 * 1 + 1
    m = mask_for_sequence(4, acts, [ry1])
    assert np.flatnonzero(~m).tolist() == [ry1]
    m = mask_for_sequence(4, acts, [ry1, 12 + 3 * 1 + 2])  # ry(1), rz(1): ry(1) legal again
    assert np.flatnonzero(~m).tolist() == [12 + 3 * 1 + 2]
    m = mask_for_sequence(4, acts, [ry1, 3])  # ry(1), cx(1,2): the CNOT clears qubit 1's memory
    assert np.flatnonzero(~m).tolist() == [3]


def test_masks_n6():
    acts = all_to_all_actions(6)
    m = mask_for_sequence(6, acts, [27])  # cx(5,2)
    assert np.flatnonzero(~m).tolist() == [27]
    m = mask_for_sequence(6, acts, [27, 46])  # ry(5)
    assert np.flatnonzero(~m).tolist() == [46]
    m = mask_for_sequence(6, acts, [27, 30 + 3 * 0 + 0])  # rx(0) leaves 5 and 2 untouched
    assert np.flatnonzero(~m).tolist() == [27, 30]


def test_masks_coupling_map():
    acts = action_table(4, coupling_pairs("ourense", 4))
    m = mask_for_sequence(4, acts, [3])  # cx(1,0) in the 18-action table
    assert acts[3] == cx(1, 0) and np.flatnonzero(~m).tolist() == [3]
    m = mask_for_sequence(4, acts, [3, 1])  # cx(1,2): qubit 1 touched
    assert np.flatnonzero(~m).tolist() == [1]


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_masks_random_sequences_match_definition(n):
    """Mask == "the previous gate on the same qubits is this very gate", by brute force."""
    acts = all_to_all_actions(n)
    rng = np.random.default_rng(n)
    seq = rng.integers(0, len(acts), size=30).tolist()
    for k in range(len(seq) + 1):
        m = mask_for_sequence(n, acts, seq[:k])
        for i, a in enumerate(acts):
            last = {}
            for j in seq[:k]:
                for q in acts[j].qubits:
                    last[q] = j
            illegal = all(q in last and acts[last[q]] == a for q in a.qubits)
            assert m[i] == (not illegal)
        assert m.sum() >= 2 * n
