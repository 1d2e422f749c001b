"""``from_aer_noise_model``: Qiskit Aer noise models converted to qnoise, checked channel by channel
against independently built qnoise models and end to end against Aer's density matrices; what
cannot be converted is refused with every offending entry named."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from helpers import GATES, build_noise_model, random_circuit, random_noise_spec, random_params
from qiskit_aer import AerSimulator
from qiskit_aer import noise as aer_noise
from test_aer import to_aer_noise_model

from crlqas.qnoise.errors import NoiseModelError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.primitives import from_aer_noise_model, has_delay_noise
from crlqas.qnoise.qiskit_bridge import to_qiskit
from crlqas.qnoise.simulator import Simulator

pytestmark = pytest.mark.qiskit

GATE_NAMES = sorted(g for g in GATES if g != "unitary")


def spec_without_unitary(n, seed):
    """A random helpers spec (every channel kind, all-qubit and per-qubit entries, readout) with no
    entry on ``unitary`` (a 1-qubit error on it has no exact qnoise form, see the last tests)."""
    spec = random_noise_spec(n, np.random.default_rng(seed))
    out = []
    for e in spec:
        if e["kind"] != "readout":
            e = {**e, "gates": [g for g in e["gates"] if g != "unitary"]}
            if not e["gates"]:
                continue
        out.append(e)
    return out


def qubit_tuples(n, k):
    return list(itertools.permutations(range(n), k))


@pytest.mark.parametrize("seed", range(4))
def test_every_channel_and_readout_equals_the_qnoise_built_model(seed):
    n = 3
    spec = spec_without_unitary(n, seed)
    expected = build_noise_model(spec)  # qnoise's own constructors
    converted = from_aer_noise_model(to_aer_noise_model(spec, random_circuit(n, 1, np.random.default_rng(0))))
    checked = 0
    for gate in GATE_NAMES:
        k = GATES[gate].num_qubits
        for qs in qubit_tuples(n, k):
            a, b = expected.gate_channel(gate, qs), converted.gate_channel(gate, qs)
            assert (a is None) == (b is None), (gate, qs)
            if a is not None:
                assert np.abs(a.ptm - b.ptm).max() < 1e-12, (gate, qs)
                checked += 1
    assert checked > 20
    for q in range(n):
        assert expected.readout_error(q) == converted.readout_error(q)


@pytest.mark.parametrize("seed", range(3))
def test_simulation_under_the_converted_model_equals_aer(seed):
    rng = np.random.default_rng(100 + seed)
    n = 3
    aer_model = to_aer_noise_model(spec_without_unitary(n, 50 + seed), random_circuit(n, 1, rng))
    gates = ("rx", "ry", "rz", "h", "sx", "cx", "cz", "swap", "ecr", "x", "t")
    circuit = random_circuit(n, 14, rng, gates=gates)
    params = random_params(circuit, rng)
    qc = to_qiskit(circuit, params)
    qc.save_density_matrix()
    rho = np.asarray(
        AerSimulator(method="density_matrix", noise_model=aer_model).run(qc).result().data()["density_matrix"]
    )
    sim = Simulator(circuit, Hamiltonian((), 0.0, n), from_aer_noise_model(aer_model))
    assert np.abs(sim.density_matrix(params) - rho).max() < 1e-10


@pytest.fixture(scope="module")
def manila():
    pytest.importorskip("qiskit_ibm_runtime")
    from crlqas.qnoise.devices import resolve_backend

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = resolve_backend("fake_manila")
        return backend, aer_noise.NoiseModel.from_backend(backend)


def test_qubit_subset_of_a_backend_model_equals_the_device_model(manila):
    """A device-wide Aer model restricted to physical qubits [3, 2, 1] (renumbered 0, 1, 2) is
    qnoise's own native device model on that layout (built from the calibration, not from Aer)."""
    from crlqas.qnoise.devices import from_backend

    backend, aer_model = manila
    layout = [3, 2, 1]
    converted = from_aer_noise_model(aer_model, qubits=layout)
    device = from_backend(backend, mode="native", layout=layout).noise_model
    checked = 0
    for gate in ("sx", "x", "cx", "id", "rz"):
        for qs in qubit_tuples(3, GATES[gate].num_qubits):
            a, b = device.gate_channel(gate, qs), converted.gate_channel(gate, qs)
            assert (a is None) == (b is None), (gate, qs)
            if a is not None:
                assert np.abs(a.ptm - b.ptm).max() < 1e-12
                checked += 1
    assert checked >= 3 * 3 + 4  # sx, x, id on each qubit and both directions of two couplings
    for q in range(3):
        assert converted.readout_error(q) == device.readout_error(q)
    assert converted.max_qubit() == 2
    assert has_delay_noise(aer_model)  # from_backend's thermal relaxation during delays


def test_unconvertible_entries_are_all_named():
    nm = aer_noise.NoiseModel()
    nm.add_all_qubit_quantum_error(aer_noise.depolarizing_error(0.01, 1), ["u3", "measure"], warnings=False)
    nm.add_quantum_error(aer_noise.depolarizing_error(0.02, 3), ["ccx"], [0, 1, 2], warnings=False)
    nm.add_all_qubit_quantum_error(aer_noise.depolarizing_error(0.01, 1), ["unitary"], warnings=False)
    nm.add_readout_error(aer_noise.ReadoutError(np.eye(4) * 0.9 + 0.025), [0, 1], warnings=False)
    nm.add_all_qubit_quantum_error(aer_noise.depolarizing_error(0.01, 1), ["sx"], warnings=False)  # fine
    with pytest.raises(NoiseModelError) as info:
        from_aer_noise_model(nm)
    message = str(info.value)
    assert "(6 problem(s))" in message  # ccx: no such gate, and 3 qubits
    for part in (
        "'u3'",
        "'measure'",
        "'ccx' qubits [0, 1, 2]",
        "3-qubit error",
        "'unitary'",
        "[0, 1]: a 2-qubit readout",
    ):
        assert part in message, part


def test_ideal_and_bad_inputs():
    empty = from_aer_noise_model(aer_noise.NoiseModel())
    assert empty.is_ideal() and not has_delay_noise(aer_noise.NoiseModel())
    with pytest.raises(ValidationError, match=r"qiskit_aer\.noise\.NoiseModel"):
        from_aer_noise_model(build_noise_model([]))
    with pytest.raises(ValidationError, match="distinct"):
        from_aer_noise_model(aer_noise.NoiseModel(), qubits=[1, 1])
