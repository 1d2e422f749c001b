"""qnoise device models against Qiskit Aer's ``NoiseModel.from_backend`` on fake IBM backends.

Native mode must reproduce every gate channel of Aer's model to 1e-12, Aer's density matrix and
energies (sum |w| = 1) to 1e-9, and Aer's sampled readout statistics within 5 sigma.  Why not
1e-15 end to end: Aer's simulator drops the terms of a composed error (depolarizing x relaxation
mixture) whose probability is below 1e-10, about 2e-10 to 6e-10 of probability per short gate
(Oslo's cx, Torino's cz); qnoise applies the exact channel.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")
pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import PTM
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel as AerNoiseModel

from crlqas.qnoise.devices import from_backend, resolve_backend
from crlqas.qnoise.devices.generate import PRESETS, render
from crlqas.qnoise.devices.reduce import best_layout
from crlqas.qnoise.gates import GATES
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.qiskit_bridge import from_qiskit
from crlqas.qnoise.simulator import Simulator

pytestmark = pytest.mark.qiskit

# backend, layout: cx (Mumbai), cx with T2 > 2 T1 on qubit 6 (Oslo), ECR (Sherbrooke, edge (6, 5)
# has error 1.0), CZ (Torino), and Kingston's qubit 146 without T1/T2 and with readout 0.5
CASES = [
    ("fake_mumbai", [0, 1, 2]),
    ("fake_oslo", [5, 6, 4]),
    ("fake_sherbrooke", [5, 6, 7, 4]),
    ("fake_torino", [0, 1, 2]),
    ("fake_kingston", [145, 146]),
]


@pytest.fixture(scope="module")
def backends():
    cache = {}

    def get(name):
        if name not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                b = resolve_backend(name)
                cache[name] = (b, AerNoiseModel.from_backend(b))
        return cache[name]

    return get


def random_native_circuit(rng, n, edges, two, depth=16) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    for _ in range(depth):
        r, q = rng.integers(4), int(rng.integers(n))
        if r == 0:
            qc.rz(float(rng.normal() * 2), q)
        elif r == 1:
            qc.sx(q)
        elif r == 2 or not edges:
            qc.x(q)
        else:
            getattr(qc, two)(*edges[rng.integers(len(edges))])
    return qc


def random_hamiltonian(n, rng, terms=10) -> Hamiltonian:
    """Random Pauli terms with sum |w| = 1 (energies on the scale 1, like the 1e-9 tolerance)."""
    labels = sorted({"".join(rng.choice(list("IXYZ"), n)) for _ in range(terms)} - {"I" * n})
    w = rng.normal(size=len(labels))
    return Hamiltonian([(lab, float(x)) for lab, x in zip(labels, w / np.abs(w).sum())], 0.1)


def aer_density_matrices(backend, noise_model, circuits, layout):
    sim = AerSimulator(method="density_matrix", noise_model=noise_model)
    runs = []
    for qc in circuits:
        tq = transpile(qc, backend, optimization_level=0, initial_layout=layout)
        assert dict(tq.count_ops()) == dict(qc.count_ops())  # nothing added or removed
        tq.save_density_matrix(qubits=layout)
        runs.append(tq)
    result = sim.run(runs).result()
    return [np.asarray(result.data(i)["density_matrix"]) for i in range(len(runs))]


@pytest.mark.parametrize("name, layout", CASES)
def test_native_mode_equals_aer_density_matrix(backends, name, layout):
    backend, aer_nm = backends(name)
    dev = from_backend(backend, mode="native", layout=layout)
    two = dev.basis[-1]
    rng = np.random.default_rng(sum(layout))
    circuits = [random_native_circuit(rng, len(layout), list(dev.coupling_map), two) for _ in range(3)]
    h = random_hamiltonian(len(layout), rng)
    gate_only = dev.without_readout()
    for qc, rho in zip(circuits, aer_density_matrices(backend, aer_nm, circuits, layout)):
        c, params = from_qiskit(qc)
        sim = gate_only.simulator(c, h)
        assert np.abs(sim.density_matrix(params) - rho).max() < 1e-9
        e_aer = float(np.real(np.trace(rho @ h.to_matrix())))
        assert sim.energy(params) == pytest.approx(e_aer, abs=1e-9)
        assert np.real(np.trace(rho @ rho)) < 1 - 1e-6  # the noise is not silent


@pytest.mark.parametrize("name, layout", CASES)
def test_every_gate_channel_equals_aers(backends, name, layout):
    backend, aer_nm = backends(name)
    nm = from_backend(backend, mode="native", layout=layout).noise_model
    pos = {p: i for i, p in enumerate(layout)}
    checked = 0
    for gate, errors in aer_nm._local_quantum_errors.items():
        if gate not in GATES:  # reset, measure_2 ...: not gates of qnoise circuits
            continue
        for qubits, err in errors.items():
            if all(q in pos for q in qubits):
                ours = nm.gate_channel(gate, [pos[q] for q in qubits])
                assert ours is not None, (gate, qubits)
                assert np.abs(np.real(PTM(err).data) - ours.ptm).max() < 1e-12, (gate, qubits)
                checked += 1
    assert checked >= 3 * len(layout)


def test_readout_matches_aer_counts(backends):
    backend, aer_nm = backends("fake_mumbai")
    layout = [12, 13, 14]
    dev = from_backend(backend, mode="native", layout=layout)
    rng = np.random.default_rng(7)
    qc = random_native_circuit(rng, 3, list(dev.coupling_map), "cx", depth=12)
    diag = Hamiltonian([("ZII", 0.7), ("IZI", -0.4), ("IIZ", 0.9), ("ZZI", 0.5), ("ZIZ", -0.3), ("ZZZ", 0.6)])
    c, params = from_qiskit(qc)
    exact = dev.simulator(c, diag).energy(params)
    assert abs(exact - dev.without_readout().simulator(c, diag).energy(params)) > 1e-3
    meas = qc.copy()
    meas.measure_all()
    tq = transpile(meas, backend, optimization_level=0, initial_layout=layout)
    shots = 20000
    counts = AerSimulator(noise_model=aer_nm, seed_simulator=11).run(tq, shots=shots).result().get_counts()
    values = np.repeat([_diag_value(diag, bits) for bits in counts], list(counts.values()))
    assert abs(values.mean() - exact) < 5 * values.std() / np.sqrt(shots)


def _diag_value(h: Hamiltonian, bits: str) -> float:
    z = [1 - 2 * int(b) for b in reversed(bits.replace(" ", ""))]  # z[q] of qubit q
    return h.constant + sum(
        w * np.prod([z[q] for q, ch in enumerate(reversed(lab)) if ch == "Z"]) for lab, w in zip(h.labels, h.coeffs)
    )


def test_best_layout_avoids_broken_entries(backends):
    backend, _ = backends("fake_sherbrooke")
    dev = from_backend(backend, mode="native", layout="best", num_qubits=4)
    assert 84 not in dev.layout  # readout 0.5
    assert len(dev.coupling_map) >= 3  # connected
    from crlqas.qnoise.devices import calibration_from_backend

    cal = calibration_from_backend(backend)
    assert best_layout(cal, 4) == dev.layout
    assert all(cal.gate_props("ecr", (dev.layout[a], dev.layout[b]))[0] < 0.1 for a, b in dev.coupling_map)


def test_paper_mode_noises_rotations(backends):
    backend, _ = backends("fake_mumbai")
    dev = from_backend(backend, mode="paper", layout=[0, 1])
    c = QuantumCircuit(2)
    c.ry(0.4, 0), c.rx(0.2, 1), c.cx(0, 1), c.rz(0.3, 1)
    circuit, params = from_qiskit(c)
    h = Hamiltonian({"ZZ": 1.0, "XI": 0.5})
    assert dev.compile(circuit) is circuit
    assert abs(dev.simulator(circuit, h).energy(params) - Simulator(circuit, h).energy(params)) > 1e-4


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_regenerate_bit_for_bit(name):
    from crlqas.qnoise.devices.presets import DATA_DIR

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert render(PRESETS[name]()) == (DATA_DIR / f"{name}.json").read_text()


def test_unknown_backend_name():
    from crlqas.qnoise.devices import UnknownBackendError

    with pytest.raises(UnknownBackendError, match="fake_mumbai"):
        resolve_backend("fake_mumbay")
