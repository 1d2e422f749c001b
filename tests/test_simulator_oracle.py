"""The PTM simulator (and the statevector engine) against the dense density-matrix oracle.

Tolerances are per quantity (:data:`TOL`); energies scale with ``1 + sum |w|``.
"""

import zlib

import numpy as np
import pytest
from helpers import (
    ONE_QUBIT_FIXED,
    TWO_QUBIT,
    make_channel,
    random_channel,
    random_circuit,
    random_hamiltonian,
    random_noise_model,
    random_params,
    random_problem,
    random_unitary,
)

from crlqas.qnoise import oracle
from crlqas.qnoise.channels import ReadoutError
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ParameterError, QubitError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.simulator import Simulator

TOL = {
    "state": 1e-12,  # PTM vector entries, density-matrix entries
    "energy": 1e-11,  # times (1 + sum |w|)
    "gradient_shift": 1e-10,  # vs parameter shift on the oracle, times (1 + sum |w|)
    "gradient_fd": 1e-6,  # vs central finite differences of oracle energies
}
SLOW_CONVERSION_QUBITS = 3  # qnoise.conversions builds the 4^n x 2^n x 2^n Pauli basis


def _seed(*parts) -> int:
    """A stable seed (``hash`` of strings changes between processes)."""
    return zlib.crc32(repr(parts).encode())


def energy_tol(h: Hamiltonian, key: str = "energy") -> float:
    return TOL[key] * (1.0 + float(np.abs(h.coeffs).sum()))


def assert_matches_oracle(sim, circuit, params, h, nm, check_gradient=True):
    rho = oracle.density_matrix(circuit, params, nm)
    n = circuit.num_qubits
    # state: PTM vector r_P = Tr(P rho)/sqrt(2^n).  The conversions between the two pictures
    # (dense Pauli basis, 4^n x 2^n x 2^n) are slow for n >= 5, so each engine is checked in its
    # native picture there.
    if sim.engine == "ptm" or n <= SLOW_CONVERSION_QUBITS:
        np.testing.assert_allclose(sim.state(params), oracle.pauli_vector(rho), atol=TOL["state"], rtol=0)
    if sim.engine == "statevector" or n <= SLOW_CONVERSION_QUBITS:
        np.testing.assert_allclose(sim.density_matrix(params), rho, atol=TOL["state"], rtol=0)
    e_ref = oracle.energy_from_density_matrix(rho, h, nm)
    assert abs(sim.energy(params) - e_ref) <= energy_tol(h), (sim.energy(params), e_ref)
    if check_gradient and circuit.num_parameters:
        g_ref = oracle.parameter_shift_gradient(circuit, params, h, nm)
        np.testing.assert_allclose(sim.gradient(params), g_ref, atol=energy_tol(h, "gradient_shift"), rtol=0)
    return rho


# ---------------------------------------------------------------------------- placements
def one_qubit_targets(n):
    return sorted({0, n - 1, n // 2})


def two_qubit_targets(n):
    pairs = {(0, 1), (1, 0), (0, n - 1), (n - 1, 0), (n - 2, n - 1), (n - 1, n - 2)}
    if n >= 3:
        pairs |= {(0, 2), (2, 0)}
    if n >= 4:
        pairs |= {(3, 1), (1, 3), (n - 1, 1)}
    return sorted(p for p in pairs if p[0] != p[1])


def prepare_generic(n, rng, circuit=None):
    """Layer of fixed random single-qubit unitaries and a CX chain: a generic entangled start."""
    c = circuit or Circuit(n)
    for q in range(n):
        c.unitary(random_unitary(2, rng), q)
    for q in range(n - 1):
        c.cx(q, q + 1)
    for q in range(n):
        c.unitary(random_unitary(2, rng), q)
    return c


def generic_hamiltonian(n, rng):
    # every single-qubit Pauli, nearest pairs and a few random strings: sensitive to any local error
    terms = {}
    for q in range(n):
        for p in "XYZ":
            lab = ["I"] * n
            lab[n - 1 - q] = p
            terms["".join(lab)] = float(rng.normal())
    for lab in random_hamiltonian(n, 6, rng).labels if n > 1 else []:
        terms[lab] = float(rng.normal())
    return Hamiltonian(terms, constant=0.25, num_qubits=n)


GATE_KINDS_1Q = ("rx", "ry", "rz", "rx_fixed", "ry_fixed", "rz_fixed") + ONE_QUBIT_FIXED + ("unitary1",)
GATE_KINDS_2Q = TWO_QUBIT + ("unitary2",)
CHANNEL_KINDS_1Q = ("depolarizing", "pauli", "amplitude_damping", "phase_damping", "thermal_relaxation", "kraus")
CHANNEL_KINDS_2Q = ("depolarizing", "pauli", "kraus")


def append_gate(c, kind, qubits, rng):
    if kind in ("rx", "ry", "rz"):
        c.append(kind, qubits[0])
    elif kind.endswith("_fixed"):
        c.append(kind[:2], qubits[0], angle=float(rng.uniform(-3, 3)))
    elif kind == "unitary1":
        c.unitary(random_unitary(2, rng), qubits[0])
    elif kind == "unitary2":
        c.unitary(random_unitary(4, rng), qubits)
    else:
        c.append(kind, qubits)
    return c


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("kind", GATE_KINDS_1Q)
def test_one_qubit_gate_every_position(n, kind):
    rng = np.random.default_rng(_seed(n, kind))
    h = generic_hamiltonian(n, rng)
    for ci, q in enumerate(one_qubit_targets(n)):
        c = prepare_generic(n, rng)
        append_gate(c, kind, (q,), rng)
        c.rz(q)  # a parameter after the gate so the gradient sees the gate too
        c.ry((q + 1) % n)
        nm = NoiseModel()
        ch_kind = CHANNEL_KINDS_1Q[ci % len(CHANNEL_KINDS_1Q)]
        gate = "unitary" if kind.startswith("unitary") else kind.split("_")[0]
        nm.add_error(random_channel(1, rng, (ch_kind,)), [gate], [q])
        params = random_params(c, rng)
        for model in (None, nm):
            sim = Simulator(c, h, model)
            assert_matches_oracle(sim, c, params, h, model)


@pytest.mark.parametrize("n", [2, 3, 4, 6])
@pytest.mark.parametrize("kind", GATE_KINDS_2Q)
def test_two_qubit_gate_every_position(n, kind):
    rng = np.random.default_rng(_seed(n, kind, 2))
    h = generic_hamiltonian(n, rng)
    gate = "unitary" if kind == "unitary2" else kind
    for ci, qs in enumerate(two_qubit_targets(n)):
        c = prepare_generic(n, rng)
        append_gate(c, kind, qs, rng)
        c.ry(qs[0]).rx(qs[1])
        nm = NoiseModel()
        if ci % 3 == 2:  # a one-qubit channel on each of the gate's qubits
            nm.add_error(random_channel(1, rng), [gate], qs)
        else:
            ch_kind = CHANNEL_KINDS_2Q[ci % len(CHANNEL_KINDS_2Q)]
            nm.add_error(random_channel(2, rng, (ch_kind,)), [gate], qs)
        params = random_params(c, rng)
        for model in (None, nm):
            sim = Simulator(c, h, model)
            assert_matches_oracle(sim, c, params, h, model, check_gradient=n <= 4)


@pytest.mark.parametrize("n", [1, 2, 4])
@pytest.mark.parametrize("ch_kind", CHANNEL_KINDS_1Q)
def test_one_qubit_channel_on_every_qubit(n, ch_kind):
    rng = np.random.default_rng(_seed(n, ch_kind))
    h = generic_hamiltonian(n, rng)
    c = prepare_generic(n, rng)
    for q in range(n):
        c.ry(q).rz(q, angle=0.3)
    nm = NoiseModel().add_all_qubit_error(random_channel(1, rng, (ch_kind,)), ["ry"])
    nm.add_error(random_channel(1, rng, (ch_kind,)), ["rz"], [n - 1])
    assert_matches_oracle(Simulator(c, h, nm), c, random_params(c, rng), h, nm)


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("ch_kind", CHANNEL_KINDS_2Q)
def test_two_qubit_channel_on_every_pair(n, ch_kind):
    rng = np.random.default_rng(_seed(n, ch_kind, 2))
    h = generic_hamiltonian(n, rng)
    c = prepare_generic(n, rng)
    for a, b in two_qubit_targets(n):
        c.cx(a, b).ry(b)
    nm = NoiseModel().add_all_qubit_error(random_channel(2, rng, (ch_kind,)), ["cx"])
    assert_matches_oracle(Simulator(c, h, nm), c, random_params(c, rng), h, nm, check_gradient=n <= 3)


# ---------------------------------------------------------------------------- random circuits
RANDOM_CASES = [(n, seed) for n in range(1, 7) for seed in range(3 if n <= 4 else 2)]


def random_case(n, seed, readout=True, gate_noise=True):
    rng = np.random.default_rng(1000 * n + seed)
    problem = random_problem(n, rng, 8 + 5 * n, 4 + 2 * n, gate_noise, readout, shared_param_prob=0.25)
    return (*problem, rng)


@pytest.mark.parametrize("n,seed", RANDOM_CASES)
def test_random_noisy_circuit(n, seed):
    c, nm, h, params, _rng = random_case(n, seed)
    assert nm.has_readout_error and nm.has_gate_noise
    sim = Simulator(c, h, nm)
    assert sim.engine == "ptm"
    assert_matches_oracle(sim, c, params, h, nm)
    # energy_and_gradient agrees with the separate calls
    e, g = sim.energy_and_gradient(params)
    assert e == pytest.approx(sim.energy(params), abs=energy_tol(h))
    np.testing.assert_allclose(g, sim.gradient(params), atol=energy_tol(h, "gradient_shift"), rtol=0)


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 1), (3, 2)])
def test_gradient_vs_finite_differences(n, seed):
    c, nm, h, params, _ = random_case(n, seed)
    sim = Simulator(c, h, nm)
    eps = 1e-5
    fd = np.array(
        [
            (oracle.energy(c, params + eps * e, h, nm) - oracle.energy(c, params - eps * e, h, nm)) / (2 * eps)
            for e in np.eye(len(params))
        ]
    )
    np.testing.assert_allclose(sim.gradient(params), fd, atol=TOL["gradient_fd"] * (1 + np.abs(h.coeffs).sum()), rtol=0)


@pytest.mark.parametrize("n,seed", [(1, 2), (3, 0), (5, 1)])
def test_gradient_low_memory_parameter_shift_path(monkeypatch, n, seed):
    """Circuits too large for the adjoint tape use the parameter-shift rule: force that path."""
    import crlqas.qnoise.simulator as simulator_module

    monkeypatch.setattr(simulator_module, "ADJOINT_MEMORY_BYTES", 0, raising=False)
    c, nm, h, params, _ = random_case(n, seed)
    sim = Simulator(c, h, nm)
    g_ref = oracle.parameter_shift_gradient(c, params, h, nm)
    e, g = sim.energy_and_gradient(params)
    np.testing.assert_allclose(g, g_ref, atol=energy_tol(h, "gradient_shift"), rtol=0)
    assert abs(e - oracle.energy(c, params, h, nm)) <= energy_tol(h)


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 1), (3, 2), (4, 0), (5, 0)])
@pytest.mark.parametrize("gate_noise", [True, False])
def test_probabilities_match_oracle(n, seed, gate_noise):
    c, nm, h, params, rng = random_case(n, seed, gate_noise=gate_noise, readout=True)
    sim = Simulator(c, h, nm)
    rho = oracle.density_matrix(c, params, nm)
    for _ in range(3):
        basis = rng.integers(0, 4, size=n)
        got = sim.probabilities(params, basis)
        assert got.shape == (2**n,)
        # ideal outcome probabilities: before readout error
        np.testing.assert_allclose(got, oracle.measured_distribution(rho, list(basis)), atol=TOL["state"], rtol=0)
    with pytest.raises(ValidationError):
        sim.probabilities(params, [4] * n)
    with pytest.raises(ValidationError):
        sim.probabilities(params, [3] * (n + 1))


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 0), (3, 1), (4, 2), (6, 0)])
@pytest.mark.parametrize("noise", ["full", "noiseless"])
def test_batched_energies_equal_single(n, seed, noise):
    c, nm, h, params, rng = random_case(n, seed, gate_noise=noise == "full", readout=noise == "full")
    sim = Simulator(c, h, nm)
    batch = rng.uniform(-np.pi, np.pi, size=(5, c.num_parameters))
    batch[0] = params
    got = sim.energies(batch)
    assert got.shape == (5,)
    singles = np.array([sim.energy(p) for p in batch])
    np.testing.assert_allclose(got, singles, atol=energy_tol(h), rtol=0)
    assert abs(got[0] - oracle.energy(c, params, h, nm)) <= energy_tol(h)
    assert sim.energies(np.zeros((0, c.num_parameters))).shape == (0,)


@pytest.mark.parametrize("n,seed", [(1, 1), (2, 2), (3, 0), (5, 0)])
def test_readout_only_and_gate_only(n, seed):
    c, _nm_full, h, params, rng = random_case(n, seed)
    ro = random_noise_model(n, rng, gate_noise=False, readout=True)
    sim = Simulator(c, h, ro)
    assert sim.engine == "statevector"  # no gate noise
    assert_matches_oracle(sim, c, params, h, ro, check_gradient=n <= 3)
    sim_ptm = Simulator(c, h, ro, engine="ptm")
    assert_matches_oracle(sim_ptm, c, params, h, ro, check_gradient=n <= 3)
    gate_only = random_noise_model(n, rng, gate_noise=True, readout=False)
    assert_matches_oracle(Simulator(c, h, gate_only), c, params, h, gate_only, check_gradient=n <= 3)
    # readout changes the energy (the test is sensitive to it)
    assert abs(oracle.energy(c, params, h, ro) - oracle.energy(c, params, h, None)) > 1e-6


def test_readout_error_on_one_qubit_only():
    n = 3
    rng = np.random.default_rng(3)
    c = prepare_generic(n, rng)
    h = generic_hamiltonian(n, rng)
    for q in range(n):
        nm = NoiseModel().add_readout_error(ReadoutError(0.08, 0.21), q)
        nm.add_all_qubit_error(make_channel("depolarizing", (0.02, 1)), ["unitary"])
        assert_matches_oracle(Simulator(c, h, nm), c, [], h, nm)


@pytest.mark.parametrize("gate_noise", [True, False])
def test_state_and_density_matrix_in_both_pictures_n5(gate_noise):
    c, nm, h, params, _ = random_case(5, 7, gate_noise=gate_noise, readout=False)
    sim = Simulator(c, h, nm)
    rho = oracle.density_matrix(c, params, nm)
    np.testing.assert_allclose(sim.state(params), oracle.pauli_vector(rho), atol=TOL["state"], rtol=0)
    np.testing.assert_allclose(sim.density_matrix(params), rho, atol=TOL["state"], rtol=0)


@pytest.mark.parametrize("n,seed", [(n, s) for n in range(1, 7) for s in range(2)])
@pytest.mark.parametrize("engine", ["auto", "ptm"])
@pytest.mark.parametrize("model", ["none", "empty"])
def test_noiseless(n, seed, engine, model):
    c, _, h, params, _ = random_case(n, seed, gate_noise=False, readout=False)
    nm = None if model == "none" else NoiseModel()
    sim = Simulator(c, h, nm, engine=engine)
    assert sim.engine == ("statevector" if engine == "auto" else "ptm")
    rho = assert_matches_oracle(sim, c, params, h, nm, check_gradient=n <= 4)
    assert np.trace(rho @ rho).real == pytest.approx(1.0)
    if sim.engine == "statevector":
        psi = sim.statevector(params)
        np.testing.assert_allclose(np.outer(psi, psi.conj()), rho, atol=TOL["state"])


def test_noiseless_model_with_identity_channels_is_noiseless():
    from crlqas.qnoise import channels

    rng = np.random.default_rng(2)
    c = random_circuit(3, 12, rng)
    h = random_hamiltonian(3, 5, rng)
    nm = NoiseModel().add_all_qubit_error(channels.depolarizing(0.0, 1), ["h", "rx", "ry", "rz"])
    nm.add_all_qubit_readout_error(ReadoutError(0.0, 0.0))
    sim = Simulator(c, h, nm)
    assert sim.engine == "statevector"
    assert_matches_oracle(sim, c, random_params(c, rng), h, nm)


def test_shared_parameters_and_fixed_angles():
    c = Circuit(2)
    c.ry(0, param=0).rx(1, param=0).cx(0, 1).rz(1, angle=0.7).ry(0, param=1).ry(1, param=0)
    h = Hamiltonian({"ZZ": 0.7, "XI": -0.4, "IY": 1.1, "YX": 0.3})
    rng = np.random.default_rng(0)
    nm = NoiseModel().add_all_qubit_error(random_channel(1, rng, ("amplitude_damping",)), ["ry", "rx"])
    for model in (None, nm):
        assert_matches_oracle(Simulator(c, h, model), c, np.array([0.4, -1.3]), h, model)


def test_no_parameters_and_empty_circuit():
    h = Hamiltonian({"Z": 1.0}, constant=0.5)
    sim = Simulator(Circuit(1), h)
    assert sim.energy([]) == pytest.approx(1.5)
    assert sim.energy() == pytest.approx(1.5)
    assert sim.gradient([]).shape == (0,)
    nm = NoiseModel().add_all_qubit_readout_error(ReadoutError(0.1, 0.2))
    assert Simulator(Circuit(1), h, nm, engine="ptm").energy([]) == pytest.approx(0.5 + 0.8)


# ---------------------------------------------------------------------------- bad inputs
@pytest.fixture(scope="module")
def small_sims():
    c = Circuit(2).ry(0).cx(0, 1).rz(1)
    h = Hamiltonian({"ZZ": 1.0, "XI": 0.5})
    nm = NoiseModel().add_all_qubit_error(make_channel("depolarizing", (0.01, 1)), ["ry", "rz"])
    return [Simulator(c, h), Simulator(c, h, nm), Simulator(c, h, engine="ptm")]


@pytest.mark.parametrize("params", [[0.1], [0.1, 0.2, 0.3], [], np.zeros((2, 2)) + 0.1])
def test_wrong_parameter_count(small_sims, params):
    for sim in small_sims:
        with pytest.raises(ParameterError):
            sim.energy(params)
        with pytest.raises(ParameterError):
            sim.gradient(params)
        with pytest.raises(ParameterError):
            sim.state(params)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_angles(small_sims, bad):
    for sim in small_sims:
        with pytest.raises(ParameterError):
            sim.energy([0.1, bad])
        with pytest.raises(ParameterError):
            sim.gradient([bad, 0.1])
        with pytest.raises(ValidationError):
            sim.energies(np.array([[0.1, 0.2], [bad, 0.0]]))


def test_bad_batch_shape(small_sims):
    for sim in small_sims:
        for bad in (np.zeros(2), np.zeros((3, 3)), np.zeros((2, 2, 2))):
            with pytest.raises(ValidationError):
                sim.energies(bad)


def test_qubit_count_mismatch():
    c = Circuit(3).ry(0)
    with pytest.raises(QubitError):
        Simulator(c, Hamiltonian({"ZZ": 1.0}))
    with pytest.raises(QubitError):
        Simulator(c, Hamiltonian({"ZZZZ": 1.0}), engine="ptm")
    nm = NoiseModel().add_readout_error(ReadoutError(0.1), 5)
    with pytest.raises(QubitError):
        Simulator(c, Hamiltonian({"ZZZ": 1.0}), nm)
    nm = NoiseModel().add_error(make_channel("depolarizing", (0.1, 1)), ["ry"], [3])
    with pytest.raises(QubitError):
        Simulator(c, Hamiltonian({"ZZZ": 1.0}), nm)


def test_bad_engine_and_types():
    c = Circuit(1).ry(0)
    h = Hamiltonian({"Z": 1.0})
    with pytest.raises(ValidationError):
        Simulator(c, h, engine="gpu")
    nm = NoiseModel().add_all_qubit_error(make_channel("depolarizing", (0.1, 1)), ["ry"])
    with pytest.raises(ValidationError):
        Simulator(c, h, nm, engine="statevector")
    with pytest.raises(ValidationError):
        Simulator("not a circuit", h)
    with pytest.raises(ValidationError):
        Simulator(c, {"Z": 1.0})
