"""Channels and their PTMs: known matrices, Kraus consistency, CPTP, errors, compose/tensor, Qiskit."""

import itertools
import math

import numpy as np
import pytest
from helpers import random_density_matrix, random_kraus, random_pauli_probs, random_unitary

from crlqas.qnoise import channels, conversions, oracle
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ChannelError, ValidationError
from crlqas.qnoise.gates import FIXED_UNITARIES, gate_unitary
from crlqas.qnoise.paulis import label_to_index, pauli_matrix

ATOL = 1e-12


def ptm_by_definition(kraus) -> np.ndarray:
    """``R[i, j] = Tr(P_i E(P_j)) / d`` with E applied by the oracle (independent of conversions)."""
    ops = [np.asarray(k, dtype=complex) for k in kraus]
    d = ops[0].shape[0]
    k = d.bit_length() - 1
    paulis = [pauli_matrix(i, k) for i in range(4**k)]
    out = np.zeros((4**k, 4**k))
    for j, pj in enumerate(paulis):
        img = oracle.apply_kraus(pj.astype(complex), ops, list(range(k)))
        for i, pi in enumerate(paulis):
            v = np.trace(pi @ img) / d
            assert abs(v.imag) < 1e-13
            out[i, j] = v.real
    return out


def apply_ptm(ptm, rho) -> np.ndarray:
    """Apply a PTM to a density matrix through the Pauli vector."""
    vec = oracle.pauli_vector(rho)
    return conversions.pauli_vector_to_density_matrix(ptm @ vec)


# ---------------------------------------------------------------------------- known PTMs
@pytest.mark.parametrize(
    "name,diag", [("id", [1, 1, 1, 1]), ("x", [1, 1, -1, -1]), ("y", [1, -1, 1, -1]), ("z", [1, -1, -1, 1])]
)
def test_pauli_gate_ptms_are_diagonal_signs(name, diag):
    ptm = channels.unitary_channel(gate_unitary(name)).ptm
    np.testing.assert_array_equal(np.round(ptm, 14), np.diag(diag).astype(float))
    np.testing.assert_allclose(ptm, np.diag(diag), atol=ATOL, rtol=0)


def test_hadamard_swaps_x_z_and_negates_y():
    expected = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, -1, 0], [0, 1, 0, 0]], dtype=float)
    np.testing.assert_allclose(channels.unitary_channel(gate_unitary("h")).ptm, expected, atol=ATOL, rtol=0)


def test_s_gate_maps_x_to_y():
    expected = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)
    np.testing.assert_allclose(channels.unitary_channel(gate_unitary("s")).ptm, expected, atol=ATOL, rtol=0)
    np.testing.assert_allclose(channels.unitary_channel(gate_unitary("sdg")).ptm, expected.T, atol=ATOL, rtol=0)


@pytest.mark.parametrize("theta", [0.0, 0.3, -1.7, np.pi, 2.5])
def test_rotation_ptms(theta):
    c, s = math.cos(theta), math.sin(theta)
    # R_P(theta) rotates the other two Paulis: rz: X -> c X + s Y, rx: Y -> c Y + s Z, ry: Z -> c Z + s X
    rz = np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1]])
    rx = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, c, -s], [0, 0, s, c]])
    ry = np.array([[1, 0, 0, 0], [0, c, 0, s], [0, 0, 1, 0], [0, -s, 0, c]])
    for name, expected in (("rx", rx), ("ry", ry), ("rz", rz)):
        got = channels.unitary_channel(gate_unitary(name, theta)).ptm
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0, err_msg=name)


def _images_of(ptm, k):
    """{label_in: (sign, label_out)} for a signed-permutation PTM."""
    out = {}
    from crlqas.qnoise.paulis import index_to_label

    for j in range(4**k):
        col = ptm[:, j]
        i = int(np.argmax(np.abs(col)))
        out[index_to_label(j, k)] = (int(np.sign(col[i])), index_to_label(i, k))
    return out


def test_cnot_is_signed_permutation_with_known_images():
    ptm = channels.unitary_channel(gate_unitary("cx")).ptm
    # signed permutation
    assert np.allclose(np.abs(ptm).sum(axis=0), 1, atol=ATOL) and np.allclose(np.abs(ptm).sum(axis=1), 1, atol=ATOL)
    assert np.allclose(np.abs(ptm), np.round(np.abs(ptm)), atol=ATOL)
    images = _images_of(ptm, 2)
    # control = qubit 0 (right-most label char), target = qubit 1
    assert images["IX"] == (1, "XX")  # X_c -> X_c X_t
    assert images["XI"] == (1, "XI")  # X_t -> X_t
    assert images["IZ"] == (1, "IZ")  # Z_c -> Z_c
    assert images["ZI"] == (1, "ZZ")  # Z_t -> Z_c Z_t
    assert images["IY"] == (1, "XY")  # Y_c -> Y_c X_t
    assert images["YI"] == (1, "YZ")  # Y_t -> Z_c Y_t
    assert images["YY"] == (-1, "ZX")  # Y_c Y_t -> -X_c Z_t
    # and the local index convention: p_c + 4 p_t
    assert ptm[label_to_index("XX"), 1] == pytest.approx(1.0, abs=ATOL)
    assert label_to_index("XX") == 1 + 4 * 1


def test_cz_and_swap_images():
    cz = _images_of(channels.unitary_channel(gate_unitary("cz")).ptm, 2)
    assert cz["IX"] == (1, "ZX") and cz["XI"] == (1, "XZ") and cz["ZZ"] == (1, "ZZ")
    sw = _images_of(channels.unitary_channel(gate_unitary("swap")).ptm, 2)
    for a, b in itertools.product("IXYZ", repeat=2):
        assert sw[a + b] == (1, b + a)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 1.0])
def test_depolarizing_ptm_diagonal(k, p):
    d2 = 4**k
    ch = channels.depolarizing(p, k)
    np.testing.assert_allclose(ch.ptm, np.diag([1.0] + [1.0 - p] * (d2 - 1)), atol=ATOL, rtol=0)
    # rho -> (1 - p) rho + p I / d
    rng = np.random.default_rng(7)
    rho = random_density_matrix(k, rng)
    expected = (1 - p) * rho + p * np.eye(2**k) / 2**k
    np.testing.assert_allclose(oracle.apply_kraus(rho, ch.kraus, list(range(k))), expected, atol=ATOL)


def test_depolarizing_upper_bound_allowed():
    for k in (1, 2):
        ch = channels.depolarizing(4**k / (4**k - 1), k)
        assert np.linalg.eigvalsh(conversions.ptm_to_choi(ch.ptm)).min() > -1e-12


# ---------------------------------------------------------------------------- constructors vs Kraus
def _constructor_cases():
    rng = np.random.default_rng(11)
    cases = [
        ("depolarizing1", lambda: channels.depolarizing(0.13, 1)),
        ("depolarizing2", lambda: channels.depolarizing(0.07, 2)),
        ("depolarizing_max", lambda: channels.depolarizing(4 / 3, 1)),
        ("pauli1", lambda p=random_pauli_probs(1, rng): channels.pauli_channel(p)),
        ("pauli2", lambda p=random_pauli_probs(2, rng): channels.pauli_channel(p)),
        ("pauli_sparse", lambda: channels.pauli_channel({"XZ": 0.25, "II": 0.75})),
        ("amp_damp", lambda: channels.amplitude_damping(0.23)),
        ("amp_damp_full", lambda: channels.amplitude_damping(1.0)),
        ("amp_damp_excited", lambda: channels.amplitude_damping(0.31, 0.2)),
        ("amp_damp_excited_one", lambda: channels.amplitude_damping(0.31, 1.0)),
        ("phase_damp", lambda: channels.phase_damping(0.4)),
        ("thermal_t2_lt_t1", lambda: channels.thermal_relaxation(50.0, 30.0, 4.0)),
        ("thermal_t2_gt_t1", lambda: channels.thermal_relaxation(50.0, 85.0, 4.0, 0.1)),
        ("thermal_t2_2t1", lambda: channels.thermal_relaxation(50.0, 100.0, 7.0, 0.3)),
        ("thermal_inf", lambda: channels.thermal_relaxation(math.inf, math.inf, 7.0)),
        ("thermal_zero_time", lambda: channels.thermal_relaxation(10.0, 5.0, 0.0)),
        ("kraus1", lambda ops=random_kraus(1, rng, 3): channels.kraus_channel(ops)),
        ("kraus2", lambda ops=random_kraus(2, rng, 2): channels.kraus_channel(ops)),
        ("unitary1", lambda u=random_unitary(2, rng): channels.unitary_channel(u)),
        ("unitary2", lambda u=random_unitary(4, rng): channels.unitary_channel(u)),
    ]
    return cases


CONSTRUCTORS = _constructor_cases()


@pytest.mark.parametrize("name,make", CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
def test_constructor_ptm_matches_its_kraus(name, make):
    ch = make()
    assert ch.ptm.shape == (4**ch.num_qubits,) * 2
    np.testing.assert_allclose(ch.ptm, ptm_by_definition(ch.kraus), atol=ATOL, rtol=0)
    # Kraus -> PTM of the conversions module agrees with the definition too
    np.testing.assert_allclose(conversions.kraus_to_ptm(ch.kraus), ch.ptm, atol=ATOL, rtol=0)
    # Kraus operators are trace preserving
    d = 2**ch.num_qubits
    np.testing.assert_allclose(sum(k.conj().T @ k for k in ch.kraus), np.eye(d), atol=1e-12)


@pytest.mark.parametrize("name,make", CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
def test_constructor_is_cptp(name, make):
    ch = make()
    ptm = ch.ptm
    assert np.isrealobj(ptm)
    np.testing.assert_allclose(ptm[0], np.eye(len(ptm))[0], atol=ATOL, rtol=0)  # trace preserving
    choi = conversions.ptm_to_choi(ptm)
    np.testing.assert_allclose(choi, choi.conj().T, atol=ATOL)
    assert np.linalg.eigvalsh(choi).min() > -1e-10
    neg, tp = conversions.cptp_violation(ptm)
    assert neg <= 1e-10 and tp <= 1e-12
    # representation round trips
    np.testing.assert_allclose(conversions.choi_to_ptm(choi), ptm, atol=ATOL, rtol=0)
    np.testing.assert_allclose(conversions.kraus_to_ptm(conversions.ptm_to_kraus(ptm)), ptm, atol=1e-11, rtol=0)
    # the PTM maps a density matrix to the Kraus image
    rng = np.random.default_rng(3)
    rho = random_density_matrix(ch.num_qubits, rng)
    expected = oracle.apply_kraus(rho, ch.kraus, list(range(ch.num_qubits)))
    np.testing.assert_allclose(apply_ptm(ptm, rho), expected, atol=ATOL)


def test_thermal_relaxation_formula():
    t1, t2, time, pe = 40.0, 55.0, 3.0, 0.15
    ch = channels.thermal_relaxation(t1, t2, time, pe)
    e1, e2 = math.exp(-time / t1), math.exp(-time / t2)
    expected = np.diag([1, e2, e2, e1])
    expected[3, 0] = (1 - e1) * (1 - 2 * pe)
    np.testing.assert_allclose(ch.ptm, expected, atol=ATOL, rtol=0)
    # steady state is the thermal state with P(1) = pe
    long = channels.thermal_relaxation(t1, t2, 1e6 * t1, pe)
    rho = oracle.apply_kraus(np.diag([0.0, 1.0]).astype(complex), long.kraus, [0])
    np.testing.assert_allclose(rho, np.diag([1 - pe, pe]), atol=1e-10)


def test_amplitude_damping_relaxes_to_excited_population():
    rho = oracle.apply_kraus(np.diag([1.0, 0.0]).astype(complex), channels.amplitude_damping(1.0, 0.3).kraus, [0])
    np.testing.assert_allclose(rho, np.diag([0.7, 0.3]), atol=ATOL)


def test_phase_damping_ptm():
    lam = 0.36
    np.testing.assert_allclose(channels.phase_damping(lam).ptm, np.diag([1, 0.8, 0.8, 1]), atol=ATOL, rtol=0)


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("p,k", [(-0.01, 1), (4 / 3 + 1e-9, 1), (16 / 15 + 1e-9, 2), (np.nan, 1), (2.0, 2)])
def test_depolarizing_rejects_bad_probability(p, k):
    with pytest.raises(ValidationError):
        channels.depolarizing(p, k)


def test_depolarizing_rejects_bad_arity():
    with pytest.raises(ValidationError):
        channels.depolarizing(0.1, 3)


@pytest.mark.parametrize(
    "t1,t2,time",
    [
        (10.0, 20.0 + 1e-9, 1.0),  # T2 > 2 T1
        (10.0, 5.0, -1.0),  # negative time
        (-10.0, 5.0, 1.0),  # negative T1
        (10.0, -5.0, 1.0),  # negative T2
        (0.0, 0.0, 1.0),  # zero T1
        (10.0, 5.0, math.inf),  # infinite time
        (10.0, 5.0, math.nan),
        (math.nan, 5.0, 1.0),
    ],
)
def test_thermal_relaxation_rejects_bad_times(t1, t2, time):
    with pytest.raises(ValidationError):
        channels.thermal_relaxation(t1, t2, time)


@pytest.mark.parametrize("pe", [-0.1, 1.1])
def test_thermal_relaxation_rejects_bad_population(pe):
    with pytest.raises(ValidationError):
        channels.thermal_relaxation(10.0, 5.0, 1.0, pe)


@pytest.mark.parametrize(
    "make",
    [
        lambda: channels.amplitude_damping(1.2),
        lambda: channels.amplitude_damping(-0.1),
        lambda: channels.amplitude_damping(0.1, 1.5),
        lambda: channels.phase_damping(1.01),
        lambda: channels.pauli_channel({"X": 0.2, "I": 0.7}),  # does not sum to 1
        lambda: channels.pauli_channel({"X": -0.2, "I": 1.2}),
        lambda: channels.pauli_channel({"X": 0.2, "IZ": 0.8}),  # mixed lengths
        lambda: channels.pauli_channel({"Q": 1.0}),
        lambda: channels.ReadoutError(1.5),
        lambda: channels.ReadoutError(0.1, -0.1),
        lambda: channels.ReadoutError.from_matrix([[0.9, 0.2], [0.1, 0.9]]),
    ],
)
def test_bad_parameters_raise_validation_error(make):
    with pytest.raises(ValidationError):
        make()


def test_non_trace_preserving_kraus_raises_channel_error():
    with pytest.raises(ChannelError):
        channels.kraus_channel([0.9 * np.eye(2)])
    with pytest.raises(ChannelError):
        channels.kraus_channel([np.eye(2), 0.1 * np.eye(2)])
    with pytest.raises(ChannelError):
        channels.kraus_channel([np.eye(3)])
    with pytest.raises(ChannelError):
        channels.kraus_channel([np.eye(2), np.zeros((4, 4))])


def test_non_unitary_matrix_raises():
    with pytest.raises(ChannelError):
        channels.unitary_channel(np.array([[1, 1], [0, 1]]))
    with pytest.raises(ChannelError):
        channels.unitary_channel(np.eye(3))
    with pytest.raises(ValidationError):
        Circuit(2).unitary(np.array([[1, 1], [0, 1]]), 0)
    with pytest.raises(ValidationError):
        Circuit(2).unitary(np.eye(4), 0)  # 4x4 on one qubit


def test_non_cptp_ptm_raises_channel_error():
    with pytest.raises(ChannelError):
        channels.Channel(np.diag([1.0, 1.0, 1.0, -1.0]))  # transpose map: positive, not CP
    with pytest.raises(ChannelError):
        channels.Channel(np.diag([0.9, 1.0, 1.0, 1.0]))  # not trace preserving
    with pytest.raises(ChannelError):
        channels.Channel(np.eye(3))
    with pytest.raises(ChannelError):
        channels.Channel(np.eye(4) * 1.0 + np.diag([0, 0.5, 0, 0]))  # contraction > 1


# ---------------------------------------------------------------------------- compose / tensor
def test_compose_is_sequential():
    rng = np.random.default_rng(5)
    a = channels.kraus_channel(random_kraus(1, rng, 2))
    b = channels.amplitude_damping(0.3, 0.1)
    ab = a.compose(b)
    np.testing.assert_allclose(ab.ptm, b.ptm @ a.ptm, atol=ATOL, rtol=0)
    rho = random_density_matrix(1, rng)
    seq = oracle.apply_kraus(oracle.apply_kraus(rho, a.kraus, [0]), b.kraus, [0])
    np.testing.assert_allclose(oracle.apply_kraus(rho, ab.kraus, [0]), seq, atol=ATOL)
    np.testing.assert_allclose(apply_ptm(ab.ptm, rho), seq, atol=ATOL)
    # not symmetric in general
    assert not np.allclose(a.compose(b).ptm, b.compose(a).ptm)
    with pytest.raises(ChannelError):
        a.compose(channels.depolarizing(0.1, 2))


def test_compose_without_kraus_uses_ptm():
    a = channels.thermal_relaxation(30.0, 40.0, 2.0, 0.2)  # no explicit Kraus
    b = channels.unitary_channel(gate_unitary("h"))
    ab = a.compose(b)
    np.testing.assert_allclose(ab.ptm, b.ptm @ a.ptm, atol=ATOL, rtol=0)
    np.testing.assert_allclose(ptm_by_definition(ab.kraus), ab.ptm, atol=1e-11, rtol=0)


def test_tensor_puts_other_on_low_qubits():
    rng = np.random.default_rng(6)
    hi = channels.amplitude_damping(0.4)
    lo = channels.kraus_channel(random_kraus(1, rng, 3))
    t = hi.tensor(lo)
    assert t.num_qubits == 2
    rho = random_density_matrix(2, rng)
    expected = oracle.apply_kraus(oracle.apply_kraus(rho, lo.kraus, [0]), hi.kraus, [1])
    np.testing.assert_allclose(apply_ptm(t.ptm, rho), expected, atol=ATOL)
    np.testing.assert_allclose(oracle.apply_kraus(rho, t.kraus, [0, 1]), expected, atol=ATOL)
    np.testing.assert_allclose(ptm_by_definition(t.kraus), t.ptm, atol=ATOL, rtol=0)
    # PTM index p_0 + 4 p_1: X on qubit 0 only is index 1; the high channel leaves it alone
    np.testing.assert_allclose(t.ptm[1, 1], lo.ptm[1, 1], atol=ATOL)
    np.testing.assert_allclose(t.ptm[4, 4], hi.ptm[1, 1], atol=ATOL)


def test_unitary_ptm_of_kron_is_tensor():
    rng = np.random.default_rng(8)
    u0, u1 = random_unitary(2, rng), random_unitary(2, rng)
    # np.kron(u1, u0): u0 on qubit 0 (the low bit)
    full = channels.unitary_channel(np.kron(u1, u0)).ptm
    np.testing.assert_allclose(
        full, channels.unitary_channel(u1).tensor(channels.unitary_channel(u0)).ptm, atol=ATOL, rtol=0
    )


# ---------------------------------------------------------------------------- Qiskit (optional)
def _qiskit_gate(name, theta=None):
    lib = pytest.importorskip("qiskit.circuit.library")
    table = {
        "id": lib.IGate,
        "x": lib.XGate,
        "y": lib.YGate,
        "z": lib.ZGate,
        "h": lib.HGate,
        "s": lib.SGate,
        "sdg": lib.SdgGate,
        "t": lib.TGate,
        "tdg": lib.TdgGate,
        "sx": lib.SXGate,
        "sxdg": lib.SXdgGate,
        "cx": lib.CXGate,
        "cz": lib.CZGate,
        "swap": lib.SwapGate,
        "ecr": lib.ECRGate,
        "rx": lib.RXGate,
        "ry": lib.RYGate,
        "rz": lib.RZGate,
    }
    cls = table[name]
    return cls(theta) if theta is not None else cls()


@pytest.mark.parametrize(
    "name,theta", [(n, None) for n in FIXED_UNITARIES] + [(r, t) for r in ("rx", "ry", "rz") for t in (0.37, -2.1)]
)
def test_gate_unitaries_and_ptms_match_qiskit(name, theta):
    qi = pytest.importorskip("qiskit.quantum_info")
    op = qi.Operator(_qiskit_gate(name, theta))
    np.testing.assert_allclose(gate_unitary(name, theta), op.data, atol=ATOL)
    np.testing.assert_allclose(
        channels.unitary_channel(gate_unitary(name, theta)).ptm, qi.PTM(op).data, atol=ATOL, rtol=0
    )


def test_random_unitary_ptm_matches_qiskit():
    qi = pytest.importorskip("qiskit.quantum_info")
    rng = np.random.default_rng(9)
    for d in (2, 4):
        u = random_unitary(d, rng)
        np.testing.assert_allclose(channels.unitary_channel(u).ptm, qi.PTM(qi.Operator(u)).data, atol=ATOL, rtol=0)


@pytest.mark.parametrize("p,k", [(0.0, 1), (0.1, 1), (4 / 3, 1), (0.05, 2), (16 / 15, 2)])
def test_depolarizing_matches_aer(p, k):
    pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import PTM
    from qiskit_aer.noise import depolarizing_error

    np.testing.assert_allclose(channels.depolarizing(p, k).ptm, PTM(depolarizing_error(p, k)).data, atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "t1,t2,time,pe",
    [
        (50.0, 30.0, 3.0, 0.0),  # T2 < T1
        (50.0, 50.0, 3.0, 0.0),  # T2 = T1
        (50.0, 30.0, 3.0, 0.2),  # with excited population
        (50.0, 70.0, 4.0, 0.0),  # T1 < T2 <= 2 T1
        (50.0, 90.0, 4.0, 0.35),
        (50.0, 100.0, 10.0, 0.1),  # T2 = 2 T1
        (20.0, 10.0, 0.0, 0.1),  # zero time
        (math.inf, math.inf, 1.0, 0.0),
    ],
)
def test_thermal_relaxation_matches_aer(t1, t2, time, pe):
    pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import PTM
    from qiskit_aer.noise import thermal_relaxation_error

    ours = channels.thermal_relaxation(t1, t2, time, pe).ptm
    theirs = PTM(thermal_relaxation_error(t1, t2, time, excited_state_population=pe)).data
    np.testing.assert_allclose(ours, theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize("gamma,pe", [(0.0, 0.0), (0.2, 0.0), (1.0, 0.0), (0.3, 0.25), (0.7, 1.0)])
def test_amplitude_damping_matches_aer(gamma, pe):
    pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import PTM
    from qiskit_aer.noise import amplitude_damping_error

    np.testing.assert_allclose(
        channels.amplitude_damping(gamma, pe).ptm,
        PTM(amplitude_damping_error(gamma, excited_state_population=pe)).data,
        atol=ATOL,
        rtol=0,
    )


@pytest.mark.parametrize("lam", [0.0, 0.15, 1.0])
def test_phase_damping_matches_aer(lam):
    pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import PTM
    from qiskit_aer.noise import phase_damping_error

    np.testing.assert_allclose(channels.phase_damping(lam).ptm, PTM(phase_damping_error(lam)).data, atol=ATOL, rtol=0)


@pytest.mark.parametrize("k", [1, 2])
def test_pauli_and_kraus_channels_match_qiskit(k):
    pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import PTM, Kraus
    from qiskit_aer.noise import pauli_error

    rng = np.random.default_rng(10 + k)
    probs = random_pauli_probs(k, rng)
    np.testing.assert_allclose(
        channels.pauli_channel(probs).ptm, PTM(pauli_error(list(probs.items()))).data, atol=ATOL, rtol=0
    )
    ops = random_kraus(k, rng, 3)
    np.testing.assert_allclose(channels.kraus_channel(ops).ptm, PTM(Kraus(ops)).data, atol=ATOL, rtol=0)


def test_tensor_and_compose_match_qiskit():
    pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import PTM
    from qiskit_aer.noise import amplitude_damping_error, phase_damping_error

    a_q, b_q = amplitude_damping_error(0.3), phase_damping_error(0.2)
    a, b = channels.amplitude_damping(0.3), channels.phase_damping(0.2)
    np.testing.assert_allclose(a.tensor(b).ptm, PTM(a_q.tensor(b_q)).data, atol=ATOL, rtol=0)
    np.testing.assert_allclose(a.compose(b).ptm, PTM(a_q.compose(b_q)).data, atol=ATOL, rtol=0)
