"""Readout mitigation: the inverse assignment matrices on measured outcomes (exact and sampled),
its Gaussian shot model, the Simulator API and its error cases."""

from functools import partial

import numpy as np
import pytest
from helpers import (
    build_noise_model,
    random_circuit,
    random_density_matrix,
    random_hamiltonian,
    random_noise_spec,
    random_params,
    random_pauli_sum,
)

from crlqas.qnoise import channels, measurement, oracle
from crlqas.qnoise.channels import ReadoutError
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.optimizers import EnergyFunction
from crlqas.qnoise.paulis import pauli_matrix
from crlqas.qnoise.simulator import Simulator


def random_readout(n, rng, most=0.3):
    """Independent asymmetric errors ``(P(1|0), P(0|1))`` per qubit, some qubits without one."""
    return [None if rng.uniform() < 0.15 else ReadoutError(*rng.uniform(0.0, most, 2)) for _ in range(n)]


def with_readout(spec, errors) -> NoiseModel:
    """The gate noise of ``spec`` (its readout entries dropped) plus per-qubit ``errors``."""
    model = build_noise_model([e for e in spec if e["kind"] != "readout"])
    for q, err in enumerate(errors):
        if err is not None:
            model.add_readout_error(err, q)
    return model


def pair(gate_noise: bool, n: int, seed: int):
    """A random circuit, Hamiltonian and parameters, with the same gate noise with and without
    random asymmetric readout errors: ``(circuit, h, params, noisy model, model without readout)``."""
    rng = np.random.default_rng(seed)
    c = random_circuit(n, 14, rng)
    spec = random_noise_spec(n, rng, gate_noise=gate_noise, readout=False)
    h = random_hamiltonian(n, 10, rng)
    params = random_params(c, rng)
    errors = random_readout(n, rng)
    if all(e is None for e in errors):
        errors[0] = ReadoutError(0.07, 0.19)
    return c, h, params, with_readout(spec, errors), build_noise_model(spec)


# ---------------------------------------------------------------------- exactness
@pytest.mark.parametrize("gate_noise", [True, False])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_exact_mitigated_energy_is_the_energy_without_readout_error(gate_noise, n):
    for seed in range(4):
        c, h, p, model, bare = pair(gate_noise, n, 100 * n + seed)
        sim, ref = Simulator(c, h, model), Simulator(c, h, bare)
        expected = ref.energy(p)
        assert abs(sim.energy(p) - expected) > 1e-6  # the readout errors matter
        # from the exact measured distributions, through the inverse assignment matrices
        probs = partial(sim.probabilities, p)  # the engine's ideal distributions, before readout
        measured = measurement.measured_energy(probs, h, sim.readout_errors, "readout")
        assert measured == pytest.approx(expected, abs=1e-12)
        # the precomputed observable: one energy evaluation
        assert sim.mitigated_energy(p) == pytest.approx(expected, abs=1e-12)
        mitigated = Simulator(c, h, model, mitigation="readout")
        assert mitigated.energy(p) == sim.mitigated_energy(p)
        batch = np.stack([p, p + 0.3])
        np.testing.assert_allclose(mitigated.energies(batch), ref.energies(batch), atol=1e-12, rtol=0)
        if c.num_parameters:
            np.testing.assert_allclose(mitigated.gradient(p), ref.gradient(p), atol=1e-10, rtol=0)
        # and as measured, the same function gives the readout-folded energy
        as_measured = measurement.measured_energy(probs, h, sim.readout_errors)
        assert as_measured == pytest.approx(sim.energy(p), abs=1e-12)


def test_both_engines_agree_on_the_mitigated_energy():
    c, h, p, model, bare = pair(False, 3, 7)
    sv, ptm = Simulator(c, h, model), Simulator(c, h, model, engine="ptm")
    assert sv.engine == "statevector"
    assert sv.mitigated_energy(p) == pytest.approx(ptm.mitigated_energy(p), abs=1e-12)
    assert sv.mitigated_energy(p) == pytest.approx(Simulator(c, h, bare).energy(p), abs=1e-12)


def test_inverse_folding_inverts_the_readout_folding():
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 5):
        h = random_hamiltonian(n, 12, rng)
        errors = random_readout(n, rng, most=0.45)
        g = Hamiltonian.from_indices(*h.readout_inverse_folded(errors)[:2], n, h.readout_inverse_folded(errors)[2])
        idx, coeffs, const = g.readout_folded(errors)
        back = dict(zip(idx.tolist(), coeffs))
        assert const == pytest.approx(h.constant, abs=1e-12)
        for i, w in zip(h.indices.tolist(), h.coeffs):
            assert back.pop(i) == pytest.approx(w, abs=1e-12)
        assert all(abs(w) < 1e-12 for w in back.values())  # lower-weight residues cancel
    # one qubit: Z is measured as a + c Z, so its mitigation observable is (Z - a) / c
    idx, coeffs, const = Hamiltonian({"Z": 1.0}).readout_inverse_folded([ReadoutError(0.1, 0.3)])
    a, c = 0.3 - 0.1, 1 - 0.1 - 0.3
    assert idx.tolist() == [3] and coeffs[0] == pytest.approx(1 / c) and const == pytest.approx(-a / c)


def test_mitigated_expectations_from_distributions_and_counts():
    """The per-term estimator on a measured distribution is the parity under the tensor-product
    inverse of the assignment matrices, and recovers the ideal expectation values."""
    rng = np.random.default_rng(9)
    n = 3
    rho = random_density_matrix(n, rng)
    h = Hamiltonian({"ZZI": 0.5, "IZZ": -0.2, "ZIZ": 0.3, "IIZ": 1.0, "ZZZ": 0.7})  # all measured in Z
    errors = [ReadoutError(0.02, 0.11), None, ReadoutError(0.15, 0.04)]
    ideal = oracle.measured_distribution(rho, np.zeros(n, dtype=np.int64))
    read = measurement.apply_readout(ideal, errors)
    np.testing.assert_allclose(measurement.mitigate_distribution(read, errors), ideal, atol=1e-14)
    exact = [np.trace(pauli_matrix(int(i), n) @ rho).real for i in h.indices]
    mitigated = measurement.mitigated_expectations(read, h, errors)
    np.testing.assert_allclose(mitigated, exact, atol=1e-13)
    quasi = measurement.mitigate_distribution(read, errors)
    outcomes = np.arange(2**n)
    for t, i in enumerate(h.indices):
        mask = sum(1 << q for q in range(n) if (int(i) >> 2 * q) & 3)
        parity = 1 - 2 * (np.vectorize(lambda x, m=mask: bin(x & m).count("1") % 2)(outcomes))
        assert mitigated[t] == pytest.approx(parity @ quasi, abs=1e-13)
    # counts: normalised; a subset of positions; without errors, the plain parities
    counts = np.random.default_rng(1).multinomial(1000, read)
    np.testing.assert_allclose(
        measurement.mitigated_expectations(counts, h, errors, [1, 3]),
        measurement.mitigated_expectations(counts / 1000, h, errors)[[1, 3]],
        atol=1e-14,
    )
    plain = measurement.mitigated_expectations(counts, h, None)
    np.testing.assert_allclose(plain, measurement.mitigated_expectations(counts, h, [None] * n), atol=0)
    with pytest.raises(ValidationError, match="2\\^3"):
        measurement.mitigated_expectations(counts[:4], h, errors)
    for bad in (np.zeros(0), np.ones(3), np.zeros(8), np.array([0.5, -0.1, 0.3, 0.3])):
        with pytest.raises(ValidationError, match="non-negative probabilities or counts"):
            measurement.mitigate_distribution(bad, None)


# ---------------------------------------------------------------------- shots
def _readout_sim():
    c = Circuit(2).ry(0).rx(1).cx(0, 1).ry(1)
    h = Hamiltonian({"ZZ": 0.7, "XI": -0.4, "IX": 0.3, "YY": 0.2, "ZI": 0.5}, constant=-0.1)
    noise = NoiseModel().add_all_qubit_error(channels.depolarizing(0.05, 1), ["ry", "rx"])
    noise.add_readout_error(ReadoutError(0.03, 0.08), 0).add_readout_error(ReadoutError(0.12, 0.02), 1)
    return Simulator(c, h, noise), np.array([0.4, -1.1, 0.8])


@pytest.mark.parametrize("method", ["sampling", "gaussian"])
def test_mitigated_sampled_energy_mean_and_standard_error(method):
    """Over many seeds the mitigated estimates average to the exact mitigated energy within their
    error, and their spread matches the reported standard error."""
    sim, theta = _readout_sim()
    draws = [sim.sampled_energy(theta, 500, s, method, return_stderr=True, mitigation="readout") for s in range(400)]
    values, errors = np.array([v for v, _ in draws]), np.array([e for _, e in draws])
    exact = sim.mitigated_energy(theta)
    assert np.std(values, ddof=1) == pytest.approx(errors.mean(), rel=0.12)
    assert abs(values.mean() - exact) < 4 * errors.mean() / np.sqrt(len(values))
    plain = np.array([sim.sampled_energy(theta, 500, s, method) for s in range(400)])
    assert abs(plain.mean() - exact) > 10 * errors.mean() / np.sqrt(len(values))  # the bias it removes
    assert errors.mean() > np.std(plain, ddof=1)  # mitigation costs variance
    assert sim.sampled_energy(theta, 500, 7, method, mitigation="readout") == draws[7][0]
    assert sim.with_mitigation("readout").sampled_energy(theta, 500, 7, method) == draws[7][0]


def test_gaussian_model_with_mitigation():
    """Exact mitigated energy plus ``sum_i (w_i / prod_{q in S_i} c_q) N(0, 1/shots)``."""
    sim, theta = _readout_sim()
    c = [1 - 0.03 - 0.08, 1 - 0.12 - 0.02]  # qubits 0, 1
    scale = {"ZZ": c[0] * c[1], "XI": c[1], "IX": c[0], "YY": c[0] * c[1], "ZI": c[1]}
    w = np.array([coeff / scale[lab] for lab, coeff in zip(sim.hamiltonian.labels, sim.hamiltonian.coeffs)])
    np.testing.assert_allclose(sim.with_mitigation("readout").shot_noise_coeffs, w, rtol=1e-14)
    assert sim.shot_noise_coeffs is sim.hamiltonian.coeffs
    value, err = sim.sampled_energy(theta, 400, 3, "gaussian", return_stderr=True, mitigation="readout")
    noise = np.random.default_rng(3).normal(0.0, 1.0 / np.sqrt(400), size=w.size)
    assert value == pytest.approx(sim.mitigated_energy(theta) + w @ noise, abs=1e-14)
    assert err == pytest.approx(np.sqrt(w @ w / 400), rel=1e-14)
    fun = EnergyFunction(sim.with_mitigation("readout"), shots=400)
    assert fun.sigma(400) == pytest.approx(err, rel=1e-14) and fun(theta) == sim.mitigated_energy(theta)


def test_mitigated_sampling_mitigates_the_same_counts():
    """The mitigated sampled estimates are :func:`mitigated_expectations` of the very counts drawn
    without mitigation (same seed, same draws)."""
    rng = np.random.default_rng(12)
    n = 3
    h = random_pauli_sum(n, 10, rng, constant=0.3)
    rho = random_density_matrix(n, rng)
    errors = [ReadoutError(0.05, 0.1), ReadoutError(0.2, 0.01), None]

    def probs(basis):
        return oracle.measured_distribution(rho, basis)

    est, err = measurement.sampled_expectations(probs, h, 300, 4, errors, mitigation="readout")
    plain, _ = measurement.sampled_expectations(probs, h, 300, 4, errors)
    draw = np.random.default_rng(4)
    for basis, positions in h.qwc_groups():
        counts = draw.multinomial(300, measurement.apply_readout(probs(basis), errors))
        np.testing.assert_allclose(est[positions], measurement.mitigated_expectations(counts, h, errors, positions))
        np.testing.assert_allclose(plain[positions], measurement.mitigated_expectations(counts, h, None, positions))
    assert np.all(err > 0)
    energy = measurement.sampled_energy(probs, h, 300, 4, errors, mitigation="readout")
    assert energy == pytest.approx(h.constant + h.coeffs @ est, abs=1e-12)


# ---------------------------------------------------------------------- no readout error, bad ones
def test_without_readout_error_mitigation_changes_nothing():
    c = Circuit(2).ry(0).rx(1).cx(0, 1).ry(1)
    h = Hamiltonian({"ZZ": 0.7, "XI": -0.4, "YY": 0.2}, constant=-0.1)
    theta = np.array([0.4, -1.1, 0.8])
    gates = NoiseModel().add_all_qubit_error(channels.depolarizing(0.05, 1), ["ry", "rx"])
    ideal_readout = NoiseModel().add_all_qubit_error(channels.depolarizing(0.05, 1), ["ry", "rx"])
    ideal_readout.add_all_qubit_readout_error(ReadoutError(0.0, 0.0))
    for model in (None, gates, ideal_readout):
        sim = Simulator(c, h, model)
        assert sim.mitigated_energy(theta) == sim.energy(theta)
        assert Simulator(c, h, model, mitigation="readout").energy(theta) == sim.energy(theta)
        for method in ("sampling", "gaussian"):
            assert sim.sampled_energy(theta, 100, 2, method, return_stderr=True, mitigation="readout") == (
                sim.sampled_energy(theta, 100, 2, method, return_stderr=True)
            )


@pytest.mark.parametrize("p10, p01", [(0.6, 0.5), (0.5, 0.5)])
def test_a_readout_error_without_inverse_names_the_qubit(p10, p01):
    c = Circuit(2).ry(0).cx(0, 1)
    h = Hamiltonian({"ZZ": 1.0, "IZ": 0.5})
    model = NoiseModel().add_readout_error(ReadoutError(0.02, 0.03), 0).add_readout_error(ReadoutError(p10, p01), 1)
    sim = Simulator(c, h, model)
    assert np.isfinite(sim.energy([0.3]))  # as measured, fine
    message = "qubit 1 cannot be inverted"
    with pytest.raises(ValidationError, match=message):
        sim.mitigated_energy([0.3])
    with pytest.raises(ValidationError, match=message):
        Simulator(c, h, model, mitigation="readout")
    with pytest.raises(ValidationError, match=message):
        sim.sampled_energy([0.3], 100, 0, "sampling", mitigation="readout")
    with pytest.raises(ValidationError, match=message):
        measurement.mitigate_distribution(np.full(4, 0.25), sim.readout_errors)
    with pytest.raises(ValidationError, match=message):
        h.readout_inverse_folded(model)


def test_mitigation_setting_validated():
    c, h = Circuit(1).ry(0), Hamiltonian({"Z": 1.0})
    for bad in ("zne", None, 1):
        with pytest.raises(ValidationError, match="mitigation must be one of"):
            Simulator(c, h, mitigation=bad)
    sim = Simulator(c, h)
    with pytest.raises(ValidationError, match="mitigation must be one of"):
        sim.sampled_energy([0.1], 10, 0, mitigation="twirl")
    assert sim.with_mitigation("none") is sim
    assert sim.with_mitigation("readout") is sim.with_mitigation("readout")
    assert sim.with_mitigation("readout").with_mitigation("none") is sim
