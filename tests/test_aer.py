"""qnoise against Qiskit Aer's density-matrix simulator with equivalent noise models.

Gate noise: Aer's final density matrix (``save_density_matrix``) vs qnoise's state and energy.
Readout: Aer's saved states ignore readout errors, so qnoise's readout-folded energy is checked
(1) exactly against Aer's density matrix pushed through the assignment matrices, and
(2) statistically against Aer's sampled counts with its own readout errors (5 sigma).
"""

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from helpers import (
    ONE_QUBIT_FIXED,
    TWO_QUBIT,
    build_noise_model,
    random_circuit,
    random_hamiltonian,
    random_noise_spec,
    random_params,
)
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer import noise as aer_noise

from crlqas.qnoise import oracle
from crlqas.qnoise.gates import GATES
from crlqas.qnoise.simulator import Simulator

AER_BASIS = sorted(GATES)  # qnoise's gate names are Qiskit's (incl. "unitary")
TOL = 1e-10


# ---------------------------------------------------------------------------- conversion
def to_qiskit(circuit, params) -> QuantumCircuit:
    qc = QuantumCircuit(circuit.num_qubits)
    for ins in circuit.instructions:
        qs = list(ins.qubits)
        if ins.name == "unitary":
            qc.unitary(np.asarray(ins.matrix), qs)  # first listed qubit = least significant, as ours
        elif ins.name in ("rx", "ry", "rz"):
            theta = float(params[ins.param]) if ins.param is not None else float(ins.angle)
            getattr(qc, ins.name)(theta, qs[0])  # exp(-i theta P / 2), as ours
        else:
            getattr(qc, ins.name)(*qs)  # cx: (control, target)
    return qc


def aer_error(kind, args):
    if kind == "depolarizing":
        return aer_noise.depolarizing_error(*args)
    if kind == "pauli":
        return aer_noise.pauli_error(list(args))
    if kind == "amplitude_damping":
        return aer_noise.amplitude_damping_error(args[0], excited_state_population=args[1])
    if kind == "phase_damping":
        return aer_noise.phase_damping_error(args[0])
    if kind == "thermal_relaxation":
        t1, t2, time, pe = args
        return aer_noise.thermal_relaxation_error(t1, t2, time, excited_state_population=pe)
    if kind == "kraus":
        return aer_noise.kraus_error([np.asarray(k) for k in args])
    raise ValueError(kind)


def to_aer_noise_model(spec, circuit) -> aer_noise.NoiseModel:
    """The Aer model of a helpers spec.

    qnoise applies a one-qubit channel attached to a two-qubit gate to each of its qubits; Aer
    needs an error of the gate's size, so such errors are tensored with themselves.  ``unitary``
    instructions of both sizes share one name: two-qubit ones get explicit local errors.
    """
    nm = aer_noise.NoiseModel(basis_gates=AER_BASIS)
    two_qubit_unitary_pairs = sorted(
        {ins.qubits for ins in circuit.instructions if ins.name == "unitary" and len(ins.qubits) == 2}
    )
    for e in spec:
        if e["kind"] == "readout":
            p10, p01 = e["args"]
            err = aer_noise.ReadoutError([[1 - p10, p10], [p01, 1 - p01]])
            if e["qubit"] is None:
                nm.add_all_qubit_readout_error(err)
            else:
                nm.add_readout_error(err, [e["qubit"]], warnings=False)
            continue
        err = aer_error(e["kind"], e["args"])
        for g in e["gates"]:
            arity = 2 if g in TWO_QUBIT else 1
            gerr = err.tensor(err) if arity == 2 and err.num_qubits == 1 else err
            if e["qubits"] is None:
                nm.add_all_qubit_quantum_error(gerr, [g], warnings=False)
                if g == "unitary":
                    assert err.num_qubits == 1
                    for pair in two_qubit_unitary_pairs:
                        nm.add_quantum_error(err.tensor(err), ["unitary"], list(pair), warnings=False)
            else:
                nm.add_quantum_error(gerr, [g], list(e["qubits"]), warnings=False)
    return nm


def aer_density_matrix(qc: QuantumCircuit, nm) -> np.ndarray:
    qc = qc.copy()
    qc.save_density_matrix()
    sim = AerSimulator(method="density_matrix", noise_model=nm)
    res = sim.run(qc).result()
    assert res.success
    return np.asarray(res.data()["density_matrix"])


AER_ONE_Q_KINDS = ("depolarizing", "thermal_relaxation", "amplitude_damping", "phase_damping", "pauli", "kraus")


def case(n, seed, kinds="mixed", circuit_gates=None):
    """A random circuit (from ``circuit_gates``, helpers names), noise spec and Hamiltonian; noise
    entries on gates outside ``circuit_gates`` are dropped."""
    rng = np.random.default_rng(7000 + 31 * n + seed)
    kw = {}
    if kinds == "depol_thermal":
        kw = {"one_qubit_kinds": ("depolarizing", "thermal_relaxation"), "two_qubit_kinds": ("depolarizing",)}
    spec = random_noise_spec(n, rng, **kw)
    if circuit_gates is not None:
        used = {"unitary" if g.startswith("unitary") else g for g in circuit_gates}
        spec = [e if e["kind"] == "readout" else {**e, "gates": [g for g in e["gates"] if g in used]} for e in spec]
        spec = [e for e in spec if e["kind"] == "readout" or e["gates"]]
    c = random_circuit(n, 6 + 4 * n, rng, **({"gates": circuit_gates} if circuit_gates is not None else {}))
    h = random_hamiltonian(n, 3 + 2 * n, rng)
    return c, spec, h, random_params(c, rng), rng


# ---------------------------------------------------------------------------- gate noise
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("kinds", ["depol_thermal", "mixed"])
def test_density_matrix_and_energy_match_aer(n, kinds):
    c, spec, h, params, _ = case(n, 0, kinds)
    nm = build_noise_model(spec)
    rho_aer = aer_density_matrix(to_qiskit(c, params), to_aer_noise_model(spec, c))
    sim = Simulator(c, h, nm)
    # the state in the Pauli picture (cheap conversion of Aer's matrix by the oracle)
    np.testing.assert_allclose(sim.state(params), oracle.pauli_vector(rho_aer), atol=TOL, rtol=0)
    np.testing.assert_allclose(oracle.density_matrix(c, params, nm), rho_aer, atol=TOL)
    # energies: without readout error (Tr rho H) and with it (assignment matrices on Aer's state)
    e_plain = Simulator(c, h, build_noise_model([e for e in spec if e["kind"] != "readout"])).energy(params)
    hm = h.to_matrix()
    assert e_plain == pytest.approx(np.trace(rho_aer @ hm).real, abs=TOL * (1 + np.abs(h.coeffs).sum()))
    e_readout = oracle.energy_from_density_matrix(rho_aer, h, nm)
    assert sim.energy(params) == pytest.approx(e_readout, abs=TOL * (1 + np.abs(h.coeffs).sum()))


@pytest.mark.parametrize("n", [2, 3])
def test_noiseless_matches_aer(n):
    c, _spec, h, params, _ = case(n, 1)
    rho_aer = aer_density_matrix(to_qiskit(c, params), None)
    sim = Simulator(c, h)
    np.testing.assert_allclose(sim.density_matrix(params), rho_aer, atol=TOL)
    assert sim.energy(params) == pytest.approx(np.trace(rho_aer @ h.to_matrix()).real, abs=TOL * 10)


# ---------------------------------------------------------------------------- readout, sampled
# no h / sdg: those are the (noiseless) basis changes of the measurement circuits
SAMPLING_GATES = tuple(
    g for g in ("rx", "ry", "rz") + ONE_QUBIT_FIXED + TWO_QUBIT + ("unitary1", "unitary2") if g not in ("h", "sdg")
)


def _basis_change(qc, label):
    n = qc.num_qubits
    for q, ch in enumerate(reversed(label)):
        if ch == "X":
            qc.h(q)
        elif ch == "Y":
            qc.sdg(q)
            qc.h(q)
    assert qc.num_qubits == n


@pytest.mark.parametrize("n,seed", [(2, 0), (3, 1)])
def test_readout_energy_matches_aer_counts(n, seed):
    shots = 20000
    c, spec, h, params, rng = case(n, seed, "depol_thermal", circuit_gates=SAMPLING_GATES)
    assert not any("h" in e.get("gates", ()) or "sdg" in e.get("gates", ()) for e in spec)
    nm = build_noise_model(spec)
    assert nm.has_readout_error
    aer_nm = to_aer_noise_model(spec, c)
    sim = Simulator(c, h, nm)
    base = to_qiskit(c, params)
    backend = AerSimulator(method="density_matrix", noise_model=aer_nm, seed_simulator=int(rng.integers(2**31)))
    estimate, variance = h.constant, 0.0
    for label, w in zip(h.labels, h.coeffs):
        qc = base.copy()
        _basis_change(qc, label)  # noiseless: the model has no errors on h, sdg
        qc.measure_all()
        counts = backend.run(qc, shots=shots).result().get_counts()
        support = [q for q, ch in enumerate(reversed(label)) if ch != "I"]
        mean = sum(cnt * (-1) ** sum(int(bits[::-1][q]) for q in support) for bits, cnt in counts.items()) / shots
        # the exact per-term measured expectation, qnoise vs the oracle
        term = Simulator(c, type(h)({label: 1.0}), nm)
        expected = term.energy(params)
        assert expected == pytest.approx(oracle.energy(c, params, type(h)({label: 1.0}), nm), abs=TOL)
        sigma = np.sqrt(max(1 - expected**2, 1e-4) / shots)
        assert abs(mean - expected) <= 5 * sigma, (label, mean, expected, sigma)
        estimate += w * mean
        variance += w**2 * max(1 - expected**2, 1e-4) / shots
    assert abs(estimate - sim.energy(params)) <= 5 * np.sqrt(variance)
    # readout error matters here: the ideal-readout energy is many sigma away for this model
    ideal = Simulator(c, h, build_noise_model([e for e in spec if e["kind"] != "readout"])).energy(params)
    assert abs(ideal - sim.energy(params)) > 1e-3
