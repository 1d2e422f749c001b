"""qubit-ADAPT-VQE pieces against independent references: compiled Pauli exponentials against dense
matrix exponentials, pool completeness by the Lie-algebraic orbit rank, noisy pool gradients
against finite differences and the dense density-matrix oracle, and ADAPT itself on H2."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from crlqas.qnoise import Circuit, get_problem, noise_preset
from crlqas.qnoise.baselines.adapt import lowest_basis_state, pool_gradients, reference_bits, run_adapt
from crlqas.qnoise.baselines.pauli_exp import append_pauli_exp, cnot_count, pauli_exp_circuit
from crlqas.qnoise.baselines.pools import (
    apply_real_generator,
    get_pool,
    is_complete,
    minimal_pool,
    odd_y_pool,
    odd_y_pool_size,
    orbit_rank,
    sector,
    symmetry_adapted_pool,
    z_symmetries,
)
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.oracle import density_matrix, embed, instruction_unitary
from crlqas.qnoise.paulis import label_to_index, pauli_matrix
from crlqas.qnoise.simulator import Simulator


def _dense(label: str) -> np.ndarray:
    return pauli_matrix(label_to_index(label), len(label))


def _circuit_unitary(circuit: Circuit, params) -> np.ndarray:
    """The circuit's unitary as the product of its embedded gate matrices (the oracle's gates)."""
    u = np.eye(2**circuit.num_qubits, dtype=complex)
    for ins in circuit:
        u = embed(instruction_unitary(ins, params), ins.qubits, circuit.num_qubits) @ u
    return u


def _equal_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    overlap = np.vdot(a.ravel(), b.ravel())
    return abs(overlap) > 0 and np.allclose(a * (overlap / abs(overlap)), b, atol=1e-12)


def _random_label(rng, n: int) -> str:
    while True:
        label = "".join(rng.choice(list("IXYZ"), n))
        if set(label) != {"I"}:
            return label


# ---------------------------------------------------------------------- Pauli exponentials
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_compiled_pauli_exponential_equals_expm(n):
    rng = np.random.default_rng(n)
    for _ in range(25):
        label = _random_label(rng, n)
        theta = float(rng.uniform(-2 * np.pi, 2 * np.pi))
        circuit = pauli_exp_circuit(label)
        assert circuit.num_parameters == 1
        assert circuit.num_two_qubit_gates == cnot_count(label) == 2 * (sum(c != "I" for c in label) - 1)
        assert _equal_up_to_phase(_circuit_unitary(circuit, [theta]), expm(-0.5j * theta * _dense(label)))


def test_product_of_compiled_exponentials_equals_product_of_expm():
    rng = np.random.default_rng(7)
    labels = [_random_label(rng, 4) for _ in range(6)]
    thetas = rng.uniform(-3, 3, len(labels))
    reference = np.eye(16, dtype=complex)
    for label, theta in zip(labels, thetas):
        reference = expm(-0.5j * theta * _dense(label)) @ reference  # the first label acts first
    assert _equal_up_to_phase(_circuit_unitary(pauli_exp_circuit(labels), thetas), reference)


def test_pauli_exponential_fixed_angle_and_errors():
    c = append_pauli_exp(Circuit(3), "XZY", angle=0.7)
    assert c.num_parameters == 0
    assert _equal_up_to_phase(_circuit_unitary(c, []), expm(-0.35j * _dense("XZY")))
    with pytest.raises(ValidationError, match="identity"):
        append_pauli_exp(Circuit(2), "II")
    with pytest.raises(ValidationError, match="2 letters"):
        append_pauli_exp(Circuit(2), "XYZ")
    with pytest.raises(ValidationError, match="allowed characters"):
        append_pauli_exp(Circuit(2), "XQ")


# ---------------------------------------------------------------------- pools
@pytest.mark.parametrize("n", [2, 3, 4])
def test_minimal_pool_is_minimal_and_complete(n):
    pool = minimal_pool(n)
    assert len(pool) == len(set(pool)) == 2 * n - 2
    assert all(p.count("Y") % 2 == 1 for p in pool)  # real generators i P
    assert is_complete(pool, n)
    # minimal: without any one operator the orbit is no longer the whole real sphere
    assert not any(is_complete(pool[:k] + pool[k + 1 :], n) for k in range(len(pool)))


def test_completeness_check_refuses_incomplete_pools():
    assert not is_complete(["IY", "YI"], 2)  # product rotations: only product states
    assert not is_complete(["ZY", "YZ"], 2)
    with pytest.raises(ValidationError, match="odd-Y"):
        orbit_rank(["ZZ"], np.eye(4)[0])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_odd_y_pool(n):
    pool = odd_y_pool(n)
    assert len(pool) == len(set(pool)) == odd_y_pool_size(n)
    assert all(p.count("Y") % 2 == 1 and 1 <= sum(c != "I" for c in p) <= 4 for p in pool)
    assert [odd_y_pool_size(k) for k in (2, 3, 4, 6)] == [6, 28, 120, 926]
    if n <= 4:  # every odd-Y string: the whole algebra so(2^n)
        assert len(pool) == 2**n * (2**n - 1) // 2


def test_real_generator_matches_dense_matrices():
    rng = np.random.default_rng(3)
    for label in odd_y_pool(3, 3):
        psi = rng.standard_normal(8)
        dense = 1j * _dense(label) @ psi
        assert np.allclose(dense.imag, 0) and np.allclose(apply_real_generator(label, psi), dense.real)


@pytest.mark.parametrize("pid, size", [("h2-2q", 1), ("h2-3q", 1), ("lih-4q-3.4", 6), ("lih-6q-2.2", 6)])
def test_symmetry_adapted_pool(pid, size):
    problem = get_problem(pid)
    h, n = problem.hamiltonian, problem.num_qubits
    bits = reference_bits(problem)
    pool = symmetry_adapted_pool(h, bits)
    assert len(pool) == size
    matrix = h.to_matrix()
    for s in z_symmetries(h):  # the symmetries found do commute with H
        zs = _dense("".join("Z" if (s >> q) & 1 else "I" for q in reversed(range(n))))
        assert np.allclose(zs @ matrix, matrix @ zs)
        for p in pool:  # and with every pool operator
            assert np.allclose(zs @ _dense(p), _dense(p) @ zs)
    states = sector(n, z_symmetries(h), bits)
    # a minimal complete pool of the sector: 2 m - 2 operators for 2^m states (one for a circle)
    assert size == max(1, 2 * int(np.log2(states.size)) - 2)
    psi = np.zeros(2**n)
    psi[states] = np.random.default_rng(1).standard_normal(states.size)
    assert orbit_rank(pool, psi / np.linalg.norm(psi)) == states.size - 1


def test_reference_states():
    assert reference_bits(get_problem("h2-2q")) == "01"  # the problem's Hartree-Fock bit string
    assert reference_bits(get_problem("lih-4q-3.4"), "zero") == "0000"
    tfim = get_problem("tfim-4-1.0")
    diag = np.real(np.diag(tfim.hamiltonian.to_matrix()))
    assert int(lowest_basis_state(tfim.hamiltonian), 2) == int(np.argmin(diag))
    assert int(lowest_basis_state(get_problem("lih-6q-2.2").hamiltonian), 2) == int(
        np.argmin(np.real(np.diag(get_problem("lih-6q-2.2").hamiltonian.to_matrix())))
    )
    with pytest.raises(ValidationError, match="bit string"):
        reference_bits(get_problem("h2-2q"), "012")
    with pytest.raises(ValidationError, match="allowed: minimal, minimal-sym, odd-y4"):
        get_pool("full", 2)


# ---------------------------------------------------------------------- gradients on the noisy state
@pytest.mark.parametrize("noise", [None, "depol-1e-3-5e-3", "mumbai-median"])
def test_pool_gradients_match_finite_differences_of_the_noisy_energy(noise):
    problem = get_problem("lih-4q-3.4")
    model = noise_preset(noise) if noise else None
    h = problem.hamiltonian
    rng = np.random.default_rng(5)
    circuit = append_pauli_exp(append_pauli_exp(Circuit(4).x(0).x(1), "IYXX"), "YXII")
    angles = rng.uniform(-0.5, 0.5, circuit.num_parameters)
    labels = [odd_y_pool(4)[k] for k in rng.choice(odd_y_pool_size(4), 8, replace=False)]
    grads = pool_gradients(circuit, angles, labels, h, model)
    step = 1e-4
    for label, g in zip(labels, grads):
        c = append_pauli_exp(circuit.copy(), label)
        sim = Simulator(c, h, model)
        fd = (sim.energy(np.append(angles, step)) - sim.energy(np.append(angles, -step))) / (2 * step)
        assert g == pytest.approx(fd, abs=1e-7)
    assert np.max(np.abs(grads)) > 1e-3  # not a trivially zero comparison


def test_noisy_gradient_differs_from_the_noiseless_one_and_matches_the_oracle():
    problem = get_problem("h2-2q")
    model = noise_preset("depol-1e-3-5e-3")
    circuit = Circuit(2).x(0)
    noisy = pool_gradients(circuit, [], ["YX"], problem.hamiltonian, model)[0]
    clean = pool_gradients(circuit, [], ["YX"], problem.hamiltonian, None)[0]
    # the oracle: dense density matrices with Kraus noise, parameter shift by hand
    c = append_pauli_exp(circuit.copy(), "YX")
    matrix = problem.hamiltonian.to_matrix()
    e = [np.trace(density_matrix(c, [s], model) @ matrix).real for s in (np.pi / 2, -np.pi / 2)]
    assert noisy == pytest.approx((e[0] - e[1]) / 2, abs=1e-12)
    assert abs(noisy) < abs(clean) and abs(noisy - clean) > 1e-4  # the appended gates' noise counts


# ---------------------------------------------------------------------- ADAPT
@pytest.mark.parametrize("pool", ["odd-y4", "minimal-sym"])
def test_adapt_noiseless_h2_reaches_chemical_accuracy(pool):
    problem = get_problem("h2-2q")
    r = run_adapt("h2-2q", pool=pool)
    assert r.method == f"adapt:{pool}" and r.noise == "none" and r.metric == "noiseless"
    assert r.accurate and abs(r.errors["noiseless"]) <= problem.chemical_accuracy
    assert r.extra["stop"] == "chemical accuracy" and r.extra["num_operators"] == 1
    # the record's circuit and angles give its energy (recomputed from the record alone)
    circuit = Circuit.from_dict(r.circuit)
    assert Simulator(circuit, problem.hamiltonian).energy(r.angles) == pytest.approx(r.energies["noiseless"], abs=1e-12)
    assert r.num_cnots == circuit.num_two_qubit_gates == 2


def test_adapt_minimal_pool_stalls_at_the_hartree_fock_state():
    # every operator of V_2 anticommutes with H2's symmetry ZZ: all gradients vanish at |01>
    r = run_adapt("h2-2q", pool="minimal")
    assert r.extra["stop"] == "gradient norm" and r.extra["num_operators"] == 0
    assert r.errors["noiseless"] == pytest.approx(0.0205858, abs=1e-6)  # the Hartree-Fock error


def test_adapt_under_noise_respects_budget_and_metric():
    r = run_adapt("h2-2q", "depol-1e-3-5e-3", pool="minimal-sym", metric="noisy", budget=40, seed=3)
    assert r.evaluations <= 40
    assert r.noise == "depol-1e-3-5e-3" and r.metric == "noisy"
    assert r.errors["noisy"] > r.errors["noiseless"]  # noise costs energy
    assert r.extra["stop"] in ("budget", "chemical accuracy", "patience", "gradient norm")


def test_adapt_errors():
    with pytest.raises(ValidationError, match="max_operators"):
        run_adapt("h2-2q", max_operators=0)
    with pytest.raises(ValidationError, match="patience"):
        run_adapt("h2-2q", patience=0)
    with pytest.raises(ValidationError, match="not a non-identity Pauli label"):
        run_adapt("h2-2q", pool=["YXZ"])
    with pytest.raises(ValidationError, match="unknown optimizer"):
        run_adapt("h2-2q", optimizer="newton")
    with pytest.raises(ValidationError, match=r"unknown option.*layers"):
        run_adapt("h2-2q", layers=2)
