"""The dense reference simulator itself: conventions, Kraus application, readout, gradients."""

import numpy as np
import pytest
from helpers import random_circuit, random_hamiltonian, random_noise_model, random_params, random_unitary

from crlqas.qnoise import channels, oracle
from crlqas.qnoise.channels import ReadoutError
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.paulis import pauli_matrix

ATOL = 1e-12


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_apply_matches_dense_embedding(n):
    rng = np.random.default_rng(n)
    d = 2**n
    rho = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    targets = [(q,) for q in range(n)] + [(a, b) for a in range(n) for b in range(n) if a != b]
    for qs in targets:
        u = random_unitary(2 ** len(qs), rng)
        full = oracle.embed(u, qs, n)
        np.testing.assert_allclose(oracle.apply_unitary(rho, u, qs), full @ rho @ full.conj().T, atol=ATOL)


def test_embed_convention_against_kron():
    rng = np.random.default_rng(0)
    a, b = random_unitary(2, rng), random_unitary(2, rng)
    # qubit 0 is the right-most Kronecker factor
    np.testing.assert_allclose(oracle.embed(a, (0,), 3), np.kron(np.eye(4), a), atol=ATOL)
    np.testing.assert_allclose(oracle.embed(a, (2,), 3), np.kron(a, np.eye(4)), atol=ATOL)
    # (q0, q1) local index bit_q0 + 2 bit_q1: np.kron(b, a) has a on local bit 0
    np.testing.assert_allclose(oracle.embed(np.kron(b, a), (0, 1), 2), np.kron(b, a), atol=ATOL)
    np.testing.assert_allclose(oracle.embed(np.kron(b, a), (1, 0), 2), np.kron(a, b), atol=ATOL)
    np.testing.assert_allclose(oracle.embed(np.kron(b, a), (0, 2), 3), np.kron(b, np.kron(np.eye(2), a)), atol=ATOL)


@pytest.mark.parametrize("n,q", [(1, 0), (3, 0), (3, 1), (3, 2), (5, 4)])
def test_x_flips_bit_q(n, q):
    rho = oracle.density_matrix(Circuit(n).x(q), [])
    assert rho[1 << q, 1 << q] == pytest.approx(1.0)


@pytest.mark.parametrize("c,t", [(0, 1), (1, 0), (0, 3), (3, 1)])
def test_cx_control_target(c, t):
    n = 4
    rho = oracle.density_matrix(Circuit(n).x(c).cx(c, t), [])
    assert rho[(1 << c) | (1 << t), (1 << c) | (1 << t)] == pytest.approx(1.0)
    rho = oracle.density_matrix(Circuit(n).x(t).cx(c, t), [])  # control off: nothing happens
    assert rho[1 << t, 1 << t] == pytest.approx(1.0)


def test_bell_state_and_rotation_convention():
    rho = oracle.density_matrix(Circuit(2).h(0).cx(0, 1), [])
    psi = np.array([1, 0, 0, 1]) / np.sqrt(2)
    np.testing.assert_allclose(rho, np.outer(psi, psi), atol=ATOL)
    theta = 0.7
    rho = oracle.density_matrix(Circuit(1).ry(0), [theta])
    psi = np.array([np.cos(theta / 2), np.sin(theta / 2)])
    np.testing.assert_allclose(rho, np.outer(psi, psi), atol=ATOL)
    # fixed angle and shared parameters
    c = Circuit(1).rx(0, angle=0.3).rz(0, param=0).rz(0, param=0)
    rho = oracle.density_matrix(c, [0.2])
    ref = oracle.density_matrix(Circuit(1).rx(0, angle=0.3).rz(0, angle=0.4), [])
    np.testing.assert_allclose(rho, ref, atol=ATOL)


def test_noise_applies_after_gate_on_its_qubits():
    nm = NoiseModel().add_error(channels.amplitude_damping(1.0), ["x"], [1])
    rho = oracle.density_matrix(Circuit(2).x(0).x(1), [], nm)
    assert rho[1, 1] == pytest.approx(1.0)  # qubit 1 relaxed, qubit 0 kept
    nm = NoiseModel().add_all_qubit_error(channels.depolarizing(1.0, 1), ["h"])
    rho = oracle.density_matrix(Circuit(2).x(1).h(0), [], nm)
    np.testing.assert_allclose(rho, np.diag([0, 0, 0.5, 0.5]), atol=ATOL)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_random_noisy_state_is_a_density_matrix(n):
    rng = np.random.default_rng(100 + n)
    c = random_circuit(n, 25, rng)
    rho = oracle.density_matrix(c, random_params(c, rng), random_noise_model(n, rng))
    np.testing.assert_allclose(rho, rho.conj().T, atol=ATOL)
    assert np.trace(rho).real == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.eigvalsh(rho).min() > -1e-12


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_energy_equals_trace_with_matrix(n):
    rng = np.random.default_rng(200 + n)
    c = random_circuit(n, 20, rng)
    h = random_hamiltonian(n, 6, rng)
    nm = random_noise_model(n, rng, readout=False)
    params = random_params(c, rng)
    rho = oracle.density_matrix(c, params, nm)
    hm = sum(w * pauli_matrix(int(i), n) for w, i in zip(h.coeffs, h.indices))
    expected = np.trace(rho @ hm).real + h.constant
    assert oracle.energy(c, params, h, nm) == pytest.approx(expected, abs=1e-12)
    # the measurement path without readout error gives the same
    for lab, _w in zip(h.labels, h.coeffs):
        codes = ["IXYZ".index(ch) for ch in reversed(lab)]
        probs = oracle.measured_distribution(rho, codes)
        assert probs.sum() == pytest.approx(1.0)
        support = [q for q, cc in enumerate(codes) if cc]
        assert probs @ oracle._parity_signs(support, n) == pytest.approx(
            oracle.pauli_expectation(rho, codes), abs=1e-12
        )
    # Pauli vector
    vec = oracle.pauli_vector(rho)
    np.testing.assert_allclose(vec, oracle.pauli_vector_slow(rho), atol=1e-13)
    assert vec[0] == pytest.approx(1 / np.sqrt(2**n))
    assert vec @ vec == pytest.approx(np.trace(rho @ rho).real)


def test_readout_single_qubit_values():
    h = Hamiltonian({"Z": 1.0})
    nm = NoiseModel().add_all_qubit_readout_error(ReadoutError(0.1, 0.25))
    assert oracle.energy(Circuit(1), [], h, nm) == pytest.approx(1 - 2 * 0.1)
    assert oracle.energy(Circuit(1).x(0), [], h, nm) == pytest.approx(-(1 - 2 * 0.25))
    # X measured by rotating with H: |+> reads 0 -> (1 - 2 p10)
    assert oracle.energy(Circuit(1).h(0), [], Hamiltonian({"X": 1.0}), nm) == pytest.approx(0.8)
    # Y eigenstate +1: S H |0>
    assert oracle.energy(Circuit(1).h(0).s(0), [], Hamiltonian({"Y": 1.0}), nm) == pytest.approx(0.8)
    assert oracle.energy(Circuit(1).h(0).sdg(0), [], Hamiltonian({"Y": 1.0}), nm) == pytest.approx(-0.5)


def test_readout_only_on_support_and_per_qubit_override():
    nm = NoiseModel().add_all_qubit_readout_error(ReadoutError(0.2, 0.2))
    nm.add_readout_error(ReadoutError(0.0, 0.0), 1)
    h = Hamiltonian({"ZI": 1.0, "IZ": 10.0, "ZZ": 100.0})
    # |00>: <Z1> read exactly, <Z0> read with 0.2 flips; ZZ parity with one noisy bit
    assert oracle.energy(Circuit(2), [], h, nm) == pytest.approx(1.0 + 10 * 0.6 + 100 * 0.6)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_readout_energy_matches_hamiltonian_folding(n):
    rng = np.random.default_rng(300 + n)
    c = random_circuit(n, 15, rng)
    h = random_hamiltonian(n, 8, rng)
    nm = random_noise_model(n, rng)
    params = random_params(c, rng)
    rho = oracle.density_matrix(c, params, nm)
    idx, w, const = h.readout_folded(nm)
    folded = const + sum(wi * np.trace(rho @ pauli_matrix(int(i), n)).real for i, wi in zip(idx, w))
    assert oracle.energy(c, params, h, nm) == pytest.approx(folded, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parameter_shift_matches_finite_differences(n):
    rng = np.random.default_rng(400 + n)
    c = random_circuit(n, 15, rng, shared_param_prob=0.4)
    h = random_hamiltonian(n, 5, rng)
    nm = random_noise_model(n, rng)
    params = random_params(c, rng)
    g = oracle.parameter_shift_gradient(c, params, h, nm)
    eps = 1e-5
    fd = np.array(
        [
            (oracle.energy(c, params + eps * e, h, nm) - oracle.energy(c, params - eps * e, h, nm)) / (2 * eps)
            for e in np.eye(len(params))
        ]
    )
    np.testing.assert_allclose(g, fd, atol=1e-8)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_noiseless_oracle_matches_qiskit_statevector(n):
    qi = pytest.importorskip("qiskit.quantum_info")
    from qiskit import QuantumCircuit

    rng = np.random.default_rng(500 + n)
    c = random_circuit(n, 25, rng)
    params = random_params(c, rng)
    qc = QuantumCircuit(n)
    for ins in c.instructions:
        u = oracle.instruction_unitary(ins, params)
        qc.unitary(u, list(ins.qubits))
    psi = qi.Statevector(qc).data
    np.testing.assert_allclose(oracle.density_matrix(c, params), np.outer(psi, psi.conj()), atol=1e-12)
