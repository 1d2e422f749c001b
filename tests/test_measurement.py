import numpy as np
import pytest
from helpers import random_density_matrix, random_pauli_sum

from crlqas.qnoise import oracle
from crlqas.qnoise.channels import ReadoutError
from crlqas.qnoise.errors import QubitError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.measurement import (
    apply_readout,
    as_generator,
    gaussian_shot_noise,
    sampled_energy,
    sampled_expectations,
)
from crlqas.qnoise.paulis import pauli_matrix


def probabilities_of(rho):
    """The engine callback ``probabilities(basis)`` of a density matrix (ideal measurement)."""
    return lambda basis: oracle.measured_distribution(rho, basis)


def exact_energy(h, rho, readout_errors=None):
    idx, coeffs, const = h.readout_folded(readout_errors)
    n = h.num_qubits
    return const + sum(w * np.trace(pauli_matrix(int(i), n) @ rho).real for i, w in zip(idx, coeffs))


# ---------------------------------------------------------------------- helpers
def test_as_generator():
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert as_generator(5).random() == np.random.default_rng(5).random()
    assert isinstance(as_generator(None), np.random.Generator)
    assert isinstance(as_generator(np.int64(3)), np.random.Generator)
    for bad in ("seed", 1.5, -1, True):
        with pytest.raises(ValidationError):
            as_generator(bad)


def test_apply_readout_matches_explicit_tensor_product():
    rng = np.random.default_rng(0)
    n = 3
    p = rng.dirichlet(np.ones(2**n))
    errors = [ReadoutError(0.1, 0.2), None, ReadoutError(0.03, 0.3)]
    full = np.ones((1, 1))
    for q in reversed(range(n)):
        full = np.kron(full, errors[q].matrix if errors[q] else np.eye(2))
    np.testing.assert_allclose(apply_readout(p, errors), p @ full, atol=1e-15)
    with pytest.raises(QubitError):
        apply_readout(p, errors[:2])


# ---------------------------------------------------------------------- gaussian model
def test_gaussian_shot_noise_statistics():
    w = np.array([0.5, -1.0, 2.0])
    shots = 100
    rng = np.random.default_rng(11)
    draws = np.array([gaussian_shot_noise(1.5, w, shots, rng) for _ in range(20000)])
    var = (w**2).sum() / shots
    assert abs(draws.mean() - 1.5) < 4 * np.sqrt(var / draws.size)
    assert draws.var() == pytest.approx(var, rel=0.05)


def test_gaussian_shot_noise_draw_order_and_seed():
    w = np.array([0.5, -1.0, 2.0])
    expected = 0.25 + w @ np.random.default_rng(3).normal(0.0, 0.1, size=3)
    assert gaussian_shot_noise(0.25, w, 100, 3) == pytest.approx(expected, abs=1e-15)
    assert gaussian_shot_noise(0.25, w, 100, np.random.default_rng(3)) == gaussian_shot_noise(0.25, w, 100, 3)


@pytest.mark.parametrize("shots", [0, -5, 2.5, "100", True, None])
def test_shots_validated(shots):
    with pytest.raises(ValidationError, match="shots"):
        gaussian_shot_noise(0.0, [1.0], shots, 0)
    h = Hamiltonian({"Z": 1.0})
    with pytest.raises(ValidationError, match="shots"):
        sampled_energy(lambda b: np.array([1.0, 0.0]), h, shots, 0)


# ---------------------------------------------------------------------- sampling model
@pytest.mark.parametrize("n, with_readout", [(1, False), (2, True), (3, False), (3, True)])
def test_sampled_energy_mean_matches_exact(n, with_readout):
    rng = np.random.default_rng(20 + n)
    h = random_pauli_sum(n, 4 * n, rng, constant=-0.4)
    rho = random_density_matrix(n, rng)
    errors = [ReadoutError(*rng.uniform(0, 0.15, 2)) for _ in range(n)] if with_readout else None
    exact = exact_energy(h, rho, errors)
    probs = probabilities_of(rho)
    values = np.array([sampled_energy(probs, h, 200, seed, errors) for seed in range(300)])
    sem = values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean() - exact) < 4 * sem


def test_sampled_energy_reproducible_and_exact_for_eigenstate():
    h = Hamiltonian({"ZZ": 1.0, "IZ": 0.5, "XX": 0.25}, constant=0.1)
    rho = np.zeros((4, 4))
    rho[0, 0] = 1.0  # |00>
    probs = probabilities_of(rho)
    a = sampled_energy(probs, h, 50, 7)
    assert a == sampled_energy(probs, h, 50, np.random.default_rng(7))
    est, err = sampled_expectations(probs, h, 50, 7)
    assert est[0] == 1.0 and est[1] == 1.0 and err[0] == 0.0
    assert a == pytest.approx(0.1 + 1.5 + 0.25 * est[2])


def test_sampled_expectations_standard_errors():
    rng = np.random.default_rng(4)
    h = random_pauli_sum(2, 6, rng, constant=-0.4)
    rho = random_density_matrix(2, rng)
    shots = 400
    runs = np.array([sampled_expectations(probabilities_of(rho), h, shots, s)[0] for s in range(300)])
    exact = np.array([np.trace(pauli_matrix(int(i), 2) @ rho).real for i in h.indices])
    predicted = np.sqrt((1 - exact**2) / shots)
    np.testing.assert_allclose(runs.std(axis=0), predicted, rtol=0.2, atol=1e-3)


def test_sampled_energy_validates_probabilities():
    h = Hamiltonian({"ZZ": 1.0})
    with pytest.raises(ValidationError, match="2\\^2"):
        sampled_energy(lambda b: np.array([0.5, 0.5]), h, 10, 0)
    with pytest.raises(ValidationError, match="sum to 1"):
        sampled_energy(lambda b: np.array([0.5, 0.5, 0.5, 0.5]), h, 10, 0)
    # tiny negative round-off is tolerated
    value = sampled_energy(lambda b: np.array([1.0 + 1e-12, -1e-12, 0.0, 0.0]), h, 10, 0)
    assert value == 1.0


def test_sampled_energy_constant_only():
    h = Hamiltonian({}, constant=2.5, num_qubits=2)
    assert sampled_energy(lambda b: np.full(4, 0.25), h, 10, 0) == 2.5


@pytest.mark.parametrize("method", ["sampling", "gaussian"])
def test_sampled_energy_standard_error_matches_the_spread(method):
    """Over many seeds the spread of sampled energies matches the reported standard error (and the
    mean matches the exact measured energy within its error)."""
    from crlqas.qnoise import channels
    from crlqas.qnoise.circuit import Circuit
    from crlqas.qnoise.hamiltonian import Hamiltonian
    from crlqas.qnoise.noise_model import NoiseModel
    from crlqas.qnoise.simulator import Simulator

    c = Circuit(2).ry(0).rx(1).cx(0, 1).ry(1)
    h = Hamiltonian({"ZZ": 0.7, "XI": -0.4, "IX": 0.3, "YY": 0.2, "ZI": 0.5}, constant=-0.1)
    noise = NoiseModel().add_all_qubit_error(channels.depolarizing(0.05, 1), ["ry", "rx"])
    noise.add_all_qubit_readout_error(channels.ReadoutError(0.03, 0.05))
    sim = Simulator(c, h, noise)
    theta = np.array([0.4, -1.1, 0.8])
    draws = [sim.sampled_energy(theta, 500, seed, method, return_stderr=True) for seed in range(400)]
    values, errors = np.array([v for v, _ in draws]), np.array([e for _, e in draws])
    assert np.std(values, ddof=1) == pytest.approx(errors.mean(), rel=0.12)
    assert abs(values.mean() - sim.energy(theta)) < 4 * errors.mean() / np.sqrt(len(values))
    assert sim.sampled_energy(theta, 500, 7, method) == draws[7][0]
