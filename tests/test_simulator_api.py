"""Simulator front: engine choice, memory limit, shot noise, gradient paths, input errors."""

import numpy as np
import pytest

from crlqas.qnoise import channels as ch
from crlqas.qnoise import simulator as simmod
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ParameterError, QubitError, SimulatorMemoryError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.simulator import Simulator


def _circuit():
    return Circuit(3).ry(0).ry(1).cx(0, 1).rx(2).cx(1, 2).rz(0).ry(2, param=1)


def _ham():
    return Hamiltonian({"ZZI": 0.7, "IXX": -0.4, "YIZ": 0.25, "ZII": 0.3}, constant=-0.2)


def _noisy(readout=True):
    m = NoiseModel().add_all_qubit_error(ch.depolarizing(0.02), ["rx", "ry", "rz"])
    m.add_all_qubit_error(ch.depolarizing(0.05, 2), ["cx"])
    if readout:
        m.add_all_qubit_readout_error(ch.ReadoutError(0.03, 0.08))
    return m


P = np.array([0.3, -1.1, 0.7, 2.0])


def test_engine_choice():
    assert Simulator(_circuit(), _ham()).engine == "statevector"
    readout_only = NoiseModel().add_all_qubit_readout_error(ch.ReadoutError(0.1, 0.2))
    assert Simulator(_circuit(), _ham(), readout_only).engine == "statevector"
    assert Simulator(_circuit(), _ham(), _noisy()).engine == "ptm"
    with pytest.raises(ValidationError, match="gate noise"):
        Simulator(_circuit(), _ham(), _noisy(), engine="statevector")
    with pytest.raises(ValidationError, match="engine must be one of"):
        Simulator(_circuit(), _ham(), engine="gpu")


def test_readout_only_engines_agree():
    readout_only = NoiseModel().add_all_qubit_readout_error(ch.ReadoutError(0.1, 0.2))
    sv = Simulator(_circuit(), _ham(), readout_only)
    ptm = Simulator(_circuit(), _ham(), readout_only, engine="ptm")
    assert sv.energy(P) == pytest.approx(ptm.energy(P), abs=1e-12)
    np.testing.assert_allclose(sv.gradient(P), ptm.gradient(P), atol=1e-12)
    assert sv.energy(P) != pytest.approx(Simulator(_circuit(), _ham()).energy(P), abs=1e-3)


def test_memory_limit_names_the_memory(monkeypatch):
    monkeypatch.setattr(simmod, "available_memory_bytes", lambda: 1 << 20)
    with pytest.raises(SimulatorMemoryError, match=r"needs about 1\.5 MiB"):
        Simulator(Circuit(8).ry(0), Hamiltonian({"Z" * 8: 1.0}), _noisy_n(8))


def _noisy_n(n):
    return NoiseModel().add_all_qubit_error(ch.depolarizing(0.01), ["ry"])


def test_parameter_shift_fallback_equals_adjoint(monkeypatch):
    sim = Simulator(_circuit(), _ham(), _noisy())
    e, g = sim.energy_and_gradient(P)
    monkeypatch.setattr(simmod, "ADJOINT_MEMORY_BYTES", 0)
    e2, g2 = sim.energy_and_gradient(P)
    assert e2 == pytest.approx(e, abs=1e-13)
    np.testing.assert_allclose(g2, g, atol=1e-12)


def test_gaussian_shot_noise_is_seeded_and_unbiased():
    sim = Simulator(_circuit(), _ham(), _noisy())
    exact = sim.energy(P)
    a = sim.sampled_energy(P, shots=1000, seed=5)
    assert a == sim.sampled_energy(P, shots=1000, seed=5)
    assert a != sim.sampled_energy(P, shots=1000, seed=6)
    draws = np.array([sim.sampled_energy(P, shots=100, seed=s) for s in range(2000)])
    sigma = np.sqrt(np.sum(_ham().coeffs ** 2) / 100)
    assert abs(draws.mean() - exact) < 5 * sigma / np.sqrt(len(draws))
    assert draws.std() == pytest.approx(sigma, rel=0.1)


def test_sampling_matches_exact_noisy_energy():
    sim = Simulator(_circuit(), _ham(), _noisy())
    exact = sim.energy(P)
    draws = np.array([sim.sampled_energy(P, shots=2000, seed=s, method="sampling") for s in range(200)])
    assert abs(draws.mean() - exact) < 5 * draws.std() / np.sqrt(len(draws))
    with pytest.raises(ValidationError, match="method must be"):
        sim.sampled_energy(P, shots=10, method="exact")


def test_probabilities_sum_to_one_and_match_statevector():
    sv = Simulator(_circuit(), _ham())
    ptm = Simulator(_circuit(), _ham(), engine="ptm")
    for basis in ([3, 3, 3], [1, 2, 3], [0, 1, 1]):
        p1, p2 = sv.probabilities(P, basis), ptm.probabilities(P, basis)
        np.testing.assert_allclose(p1, p2, atol=1e-12)
        assert p1.sum() == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="basis must be 3 Pauli codes"):
        sv.probabilities(P, [4, 0, 0])


@pytest.mark.parametrize("engine", ["ptm", "statevector"])
def test_bad_parameters(engine):
    model = _noisy() if engine == "ptm" else None
    sim = Simulator(_circuit(), _ham(), model)
    with pytest.raises(ParameterError, match="has 4 parameter"):
        sim.energy([0.1, 0.2])
    with pytest.raises(ParameterError, match="finite"):
        sim.energy([0.1, np.inf, 0.0, 0.0])
    with pytest.raises(ParameterError, match="finite"):
        sim.energy(np.array([0.1, np.nan, 0.0, 0.0]))
    with pytest.raises(ParameterError, match=r"shape \(batch, 4\)"):
        sim.energies(np.zeros((3, 5)))
    with pytest.raises(ParameterError, match="finite"):
        sim.energies(np.full((2, 4), np.nan))


def test_bad_construction():
    with pytest.raises(QubitError, match="3 qubit"):
        Simulator(_circuit(), Hamiltonian({"ZZ": 1.0}))
    with pytest.raises(ValidationError, match="qnoise Circuit"):
        Simulator("not a circuit", _ham())
    with pytest.raises(ValidationError, match="NoiseModel"):
        Simulator(_circuit(), _ham(), noise_model={"p": 0.1})
    local = NoiseModel().add_error(ch.depolarizing(0.1), ["rx"], [5])
    with pytest.raises(QubitError, match="names qubit 5"):
        Simulator(_circuit(), _ham(), local)


def test_noise_changes_the_energy():
    assert abs(Simulator(_circuit(), _ham(), _noisy()).energy(P) - Simulator(_circuit(), _ham()).energy(P)) > 1e-3


def test_deep_copies_of_circuits_are_independent():
    import copy

    u = np.array([[0, 1], [1, 0]], dtype=complex)
    c = Circuit(2).ry(0).cx(0, 1).append("unitary", [1], matrix=u)
    d = copy.deepcopy(c)
    assert d.instructions == c.instructions and d.instructions is not c.instructions
    d.rz(1, angle=0.3)
    d.instructions[2].matrix[0, 0] = 5.0
    assert len(c.instructions) == 3 and c.instructions[2].matrix[0, 0] == 0
    assert d.instructions[0] is c.instructions[0]  # frozen instructions are shared, matrices are not
