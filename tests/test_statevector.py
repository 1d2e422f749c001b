"""The noiseless state-vector engine against dense NumPy references."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import random_unitary

from crlqas.qnoise._kernels import statevector as K
from crlqas.qnoise.circuit import Circuit, Instruction
from crlqas.qnoise.errors import ParameterError, QubitError, ValidationError
from crlqas.qnoise.gates import gate_unitary
from crlqas.qnoise.paulis import pauli_matrix
from crlqas.qnoise.statevector import StatevectorEngine, compile_circuit

FIXED_1Q = ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "id")
ALL_KINDS = ("rx", "ry", "rz") + FIXED_1Q + ("cx", "cz", "swap", "unitary1", "unitary2", "diag2")


# ---------------------------------------------------------------------------- references
def embed(u, qubits, n):
    """Full 2^n matrix of ``u`` on ``qubits`` (first listed = local bit 0)."""
    b = np.arange(2**n)
    loc = sum(((b >> q) & 1) << j for j, q in enumerate(qubits))
    rest = b & ~sum(1 << q for q in qubits)
    return np.where(rest[:, None] == rest[None, :], u[loc[:, None], loc[None, :]], 0)


def dense_state(circuit, params):
    n = circuit.num_qubits
    psi = np.zeros(2**n, complex)
    psi[0] = 1
    for ins in circuit.instructions:
        if ins.name == "unitary":
            u = ins.matrix
        else:
            u = gate_unitary(ins.name, params[ins.param] if ins.param is not None else ins.angle)
        psi = embed(u, ins.qubits, n) @ psi
    return psi


def ham(n, rng, terms=20, constant=0.0):
    """Stand-in with the Hamiltonian attributes the engine uses (random, incl. identity, Y's)."""
    idx = rng.integers(0, 4**n, size=terms).astype(np.int64)
    idx[0] = 0
    return SimpleNamespace(num_qubits=n, constant=constant, coeffs=rng.normal(size=terms), indices=idx, labels=None)


def dense_energy(h, psi):
    n = h.num_qubits
    m = sum(w * pauli_matrix(int(i), n) for w, i in zip(h.coeffs, h.indices))
    return float(np.vdot(psi, m @ psi).real) + h.constant


def append_two_qubit(c, kind, pair, rng):
    """``cx``/``cz``/``swap``, or a Haar-random ``unitary2`` or a diagonal ``diag2`` unitary, on ``pair``."""
    if kind == "unitary2":
        c.unitary(random_unitary(4, rng), pair)
    elif kind == "diag2":
        c.unitary(np.diag(np.exp(1j * rng.uniform(0, 6, 4))), pair)
    else:
        c.append(kind, pair)


def random_circuit(n, num_gates, rng, kinds=ALL_KINDS):
    c = Circuit(n)
    pool = [k for k in kinds if n >= 2 or k not in ("cx", "cz", "swap", "unitary2", "diag2")]
    for _ in range(num_gates):
        k = pool[rng.integers(len(pool))]
        q = int(rng.integers(n))
        pair = tuple(int(v) for v in rng.choice(n, size=2, replace=False)) if n >= 2 else None
        if k in ("rx", "ry", "rz"):
            u = rng.uniform()
            if u < 0.2:
                c.append(k, q, angle=float(rng.uniform(-np.pi, np.pi)))
            elif u < 0.4 and c.num_parameters:
                c.append(k, q, param=int(rng.integers(c.num_parameters)))
            else:
                c.append(k, q)
        elif k in FIXED_1Q:
            c.append(k, q)
        elif k == "unitary1":
            c.unitary(random_unitary(2, rng), [q])
        else:
            append_two_qubit(c, k, pair, rng)
    return c


def cases():
    for n in range(1, 8):
        for seed in range(3):
            yield n, seed


# ---------------------------------------------------------------------------- states and energies
@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("n,seed", list(cases()))
def test_state_and_energy_match_dense(n, seed, fuse):
    rng = np.random.default_rng(100 * n + seed)
    c = random_circuit(n, 12 * n + 5, rng)
    eng = StatevectorEngine(c, fuse=fuse)
    p = rng.uniform(-np.pi, np.pi, c.num_parameters)
    ref = dense_state(c, p)
    np.testing.assert_allclose(eng.state(p), ref, atol=1e-12, rtol=0)
    h = ham(n, rng, constant=0.37)
    assert abs(eng.energy(p, h) - dense_energy(h, ref)) < 1e-12


@pytest.mark.parametrize("name", ("cx", "cz", "swap", "unitary2", "diag2"))
@pytest.mark.parametrize("pair", [(0, 1), (1, 0), (0, 4), (4, 0), (1, 3), (3, 1), (2, 3)])
def test_two_qubit_targets(name, pair):
    rng = np.random.default_rng(7)
    c = Circuit(5)
    for q in range(5):
        c.unitary(random_unitary(2, rng), [q])  # generic input state
    append_two_qubit(c, name, pair, rng)
    c.ry(pair[0]).rx(pair[1])
    p = np.array([0.4, -1.1])
    np.testing.assert_allclose(StatevectorEngine(c).state(p), dense_state(c, p), atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", ("rx", "ry", "rz") + FIXED_1Q)
@pytest.mark.parametrize("q", [0, 2, 3])
def test_each_one_qubit_gate(name, q):
    rng = np.random.default_rng(3)
    c = Circuit(4)
    for k in range(4):
        c.unitary(random_unitary(2, rng), [k])
    c.append(name, q)
    p = np.array([0.83]) if name.startswith("r") else np.zeros(0)
    np.testing.assert_allclose(StatevectorEngine(c, fuse=False).state(p), dense_state(c, p), atol=1e-12, rtol=0)


def test_fusion_and_special_paths():
    c = Circuit(3).h(0).h(0).s(1).sdg(1).x(2).t(2).rz(2, angle=0.3)
    prog, _, _ = compile_circuit(c)
    assert prog.shape[0] == 1  # h h, s sdg cancel; x t rz fuse to one 2x2
    assert prog.shape[0] == StatevectorEngine(c).num_ops
    prog, _, _ = compile_circuit(Circuit(2).z(0).x(1).rz(0).cz(0, 1).cx(1, 0))
    assert prog.tolist() == [
        [K.OP_D1, 0, 0, 0],
        [K.OP_RZ, 0, 0, 0],
        [K.OP_X, 1, 0, 0],
        [K.OP_CZ, 0, 1, 0],
        [K.OP_CX, 1, 0, 0],
    ]


def test_empty_circuit_and_hamiltonian():
    eng = StatevectorEngine(Circuit(3))
    np.testing.assert_array_equal(eng.state([]), np.eye(8)[0])
    h = SimpleNamespace(num_qubits=3, constant=1.5, coeffs=np.zeros(0), indices=np.zeros(0, np.int64))
    assert eng.energy([], h) == 1.5
    e, g = eng.energy_and_gradient([], h)
    assert e == 1.5 and g.shape == (0,)
    np.testing.assert_array_equal(eng.energies(np.zeros((3, 0)), h), [1.5] * 3)


def test_real_hamiltonian_class():
    hmod = pytest.importorskip("crlqas.qnoise.hamiltonian")
    h = hmod.Hamiltonian({"ZZI": 1.0, "XYZ": -0.4, "IIX": 0.25, "YYI": 0.7}, constant=-0.3)
    rng = np.random.default_rng(1)
    c = random_circuit(3, 30, rng)
    p = rng.uniform(-3, 3, c.num_parameters)
    eng = StatevectorEngine(c)
    psi = dense_state(c, p)
    ref = float(np.vdot(psi, h.to_matrix() @ psi).real)  # constant included
    assert abs(eng.energy(p, h) - dense_energy(h, psi)) < 1e-12
    assert abs(eng.energy(p, h) - ref) < 1e-12


# ---------------------------------------------------------------------------- gradients
def with_fixed(circuit, position, angle):
    out = circuit.copy()
    ins = out.instructions[position]
    out.instructions[position] = Instruction(ins.name, ins.qubits, None, angle)
    return out


@pytest.mark.parametrize("n,seed", list(cases()))
def test_gradient_vs_finite_difference_and_parameter_shift(n, seed):
    rng = np.random.default_rng(7 * n + seed)
    c = random_circuit(n, 10 * n + 6, rng)
    h = ham(n, rng)
    eng = StatevectorEngine(c)
    p = rng.uniform(-np.pi, np.pi, c.num_parameters)
    e, g = eng.energy_and_gradient(p, h)
    assert abs(e - eng.energy(p, h)) < 1e-12
    np.testing.assert_array_equal(g, eng.gradient(p, h))
    step = 1e-5
    fd = np.array(
        [(eng.energy(p + step * d, h) - eng.energy(p - step * d, h)) / (2 * step) for d in np.eye(len(p))]
    ).reshape(len(p))
    np.testing.assert_allclose(g, fd, atol=1e-6, rtol=0)
    shift = np.zeros(len(p))  # parameter shift per rotation occurrence, summed per parameter
    for pos, ins in enumerate(c.instructions):
        if ins.param is not None:
            th = p[ins.param]
            plus = StatevectorEngine(with_fixed(c, pos, th + np.pi / 2)).energy(p, h)
            minus = StatevectorEngine(with_fixed(c, pos, th - np.pi / 2)).energy(p, h)
            shift[ins.param] += (plus - minus) / 2
    np.testing.assert_allclose(g, shift, atol=1e-10, rtol=0)


def test_shared_and_fixed_rotations():
    c = Circuit(2).ry(0, param=0).cx(0, 1).rx(1, param=0).rz(0, angle=0.7).ry(1, param=1).rz(0, param=0)
    h = SimpleNamespace(
        num_qubits=2, constant=0.0, coeffs=np.array([1.0, 0.5]), indices=np.array([3 + 4 * 3, 1 + 4 * 2], np.int64)
    )
    eng = StatevectorEngine(c)
    p = np.array([0.3, -0.9])
    g = eng.gradient(p, h)
    fd = [(eng.energy(p + 1e-6 * d, h) - eng.energy(p - 1e-6 * d, h)) / 2e-6 for d in np.eye(2)]
    np.testing.assert_allclose(g, fd, atol=1e-8)


# ---------------------------------------------------------------------------- batches and probabilities
@pytest.mark.parametrize("n", [1, 3, 6])
def test_batched_equals_single(n):
    rng = np.random.default_rng(n)
    c = random_circuit(n, 25, rng)
    h = ham(n, rng, constant=-0.2)
    eng = StatevectorEngine(c)
    batch = rng.uniform(-3, 3, (7, c.num_parameters))
    out = eng.energies(batch, h)
    assert out.shape == (7,)
    np.testing.assert_allclose(out, [eng.energy(row, h) for row in batch], atol=1e-14, rtol=0)
    np.testing.assert_allclose(eng.energies(np.asfortranarray(batch), h), out, atol=1e-14, rtol=0)


def test_batch_shape_errors():
    eng = StatevectorEngine(Circuit(2).ry(0).ry(1))
    h = ham(2, np.random.default_rng(0))
    for bad in (np.zeros(2), np.zeros((3, 1)), np.zeros((2, 2, 2))):
        with pytest.raises(ParameterError):
            eng.energies(bad, h)
    with pytest.raises(ParameterError):
        eng.energies([[0.0, np.nan]], h)
    with pytest.raises(QubitError):
        eng.energy([0.0, 0.0], ham(3, np.random.default_rng(0)))


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 1), (3, 2), (5, 3)])
def test_probabilities_match_dense_rotation(n, seed):
    rng = np.random.default_rng(seed)
    c = random_circuit(n, 20, rng)
    p = rng.uniform(-3, 3, c.num_parameters)
    psi = dense_state(c, p)
    codes = rng.integers(0, 4, n)
    rot = {0: np.eye(2), 3: np.eye(2), 1: gate_unitary("h"), 2: gate_unitary("h") @ gate_unitary("sdg")}
    u = np.ones((1, 1))
    for code in codes[::-1]:
        u = np.kron(u, rot[int(code)])
    probs = StatevectorEngine(c).probabilities(p, codes)
    np.testing.assert_allclose(probs, np.abs(u @ psi) ** 2, atol=1e-12, rtol=0)
    assert abs(probs.sum() - 1) < 1e-12
    np.testing.assert_allclose(StatevectorEngine(c).probabilities(p), np.abs(psi) ** 2, atol=1e-12)
    with pytest.raises(ValidationError):
        StatevectorEngine(c).probabilities(p, [4] * n)


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("n,terms", [(3, 64), (4, 40), (5, 12)])
def test_dense_hamiltonians_and_lazy_diagonals(n, terms, lazy, monkeypatch):
    """Many terms per x-mask group (Walsh path) and few (direct path); precomputed or per call."""
    import crlqas.qnoise.statevector as sv

    if lazy:
        monkeypatch.setattr(sv, "MAX_DIAGONAL_ENTRIES", 0)
    rng = np.random.default_rng(n + terms)
    c = random_circuit(n, 30, rng)
    h = ham(n, rng, terms, constant=0.1)
    if terms == 4**n:
        h.indices = np.arange(4**n, dtype=np.int64)  # every Pauli
    else:
        zonly = rng.integers(0, 2**n, size=6)
        h.indices[-6:] = [sum(3 * 4**k for k in range(n) if r >> k & 1) for r in zonly]
    eng = StatevectorEngine(c)
    p = rng.uniform(-3, 3, c.num_parameters)
    assert abs(eng.energy(p, h) - dense_energy(h, dense_state(c, p))) < 1e-12
    assert (eng._hamiltonian(h)[0][4].shape[0] == 0) == lazy
    step = 1e-5
    fd = [(eng.energy(p + step * d, h) - eng.energy(p - step * d, h)) / (2 * step) for d in np.eye(len(p))]
    np.testing.assert_allclose(eng.gradient(p, h), np.reshape(fd, -1), atol=1e-6, rtol=0)


def test_parallel_batch_matches_serial(monkeypatch):
    import crlqas.qnoise.statevector as sv

    rng = np.random.default_rng(5)
    c = random_circuit(4, 30, rng)
    h = ham(4, rng)
    eng = StatevectorEngine(c)
    batch = rng.uniform(-3, 3, (9, c.num_parameters))
    serial = eng.energies(batch, h)
    monkeypatch.setattr(sv, "PARALLEL_WORK", 0)
    np.testing.assert_array_equal(eng.energies(batch, h), serial)
    data, const = eng._hamiltonian(h)
    direct = K.energies_parallel(eng._prog, eng._mats, batch, 4, *data) + const
    np.testing.assert_array_equal(direct, serial)


# ---------------------------------------------------------------------------- packed program
@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("n,seed", list(cases()))
def test_packed_program_equals_energies(n, seed, lazy, monkeypatch):
    """``energies_packed`` on ``packed(h)`` (two buffers, for compiled loops) is ``energies``, bit for bit."""
    import crlqas.qnoise.statevector as sv

    if lazy:
        monkeypatch.setattr(sv, "MAX_DIAGONAL_ENTRIES", 0)
    rng = np.random.default_rng(300 + 10 * n + seed)
    c = random_circuit(n, 12 * n + 5, rng)
    h = ham(n, rng, terms=int(rng.integers(1, 40)), constant=float(rng.normal()))
    eng = StatevectorEngine(c)
    ibuf, cbuf = eng.packed(h)
    assert ibuf.dtype == np.int64 and cbuf.dtype == np.complex128
    assert eng.packed(h)[0] is ibuf  # built once per Hamiltonian
    data, const = eng._hamiltonian(h)
    views = K.unpack(ibuf, cbuf)
    assert views[0] == n and views[-1] == const and (views[-2].shape[0] == 0) == lazy
    for view, array in zip(views[1:-1], (eng._prog, eng._mats, *data)):
        np.testing.assert_array_equal(view, array)
    batch = rng.uniform(-np.pi, np.pi, (5, c.num_parameters))
    out = K.energies_packed(batch, ibuf, cbuf)
    np.testing.assert_array_equal(out, eng.energies(batch, h))
    assert abs(out[0] - dense_energy(h, dense_state(c, batch[0]))) < 1e-12


def test_packed_program_follows_the_hamiltonian():
    rng = np.random.default_rng(11)
    c = random_circuit(3, 20, rng)
    eng = StatevectorEngine(c)
    h1, h2 = ham(3, rng, constant=0.5), ham(3, rng, constant=-1.0)
    empty = SimpleNamespace(num_qubits=3, constant=2.5, coeffs=np.zeros(0), indices=np.zeros(0, np.int64))
    batch = rng.uniform(-3, 3, (3, c.num_parameters))
    for h in (h1, h2, empty, h1):
        np.testing.assert_array_equal(K.energies_packed(batch, *eng.packed(h)), eng.energies(batch, h))
    np.testing.assert_array_equal(K.energies_packed(batch, *eng.packed(empty)), [2.5] * 3)
    no_params = StatevectorEngine(Circuit(2).h(0).cx(0, 1))
    zz = SimpleNamespace(num_qubits=2, constant=0.0, coeffs=np.ones(1), indices=np.array([15]))
    np.testing.assert_allclose(K.energies_packed(np.zeros((2, 0)), *no_params.packed(zz)), [1.0, 1.0], atol=1e-15)
