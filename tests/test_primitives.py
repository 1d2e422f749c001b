"""qnoise's Qiskit primitives (``Estimator``: ``BaseEstimatorV2``, ``Sampler``: ``BaseSamplerV2``)
against Qiskit's reference primitives and Qiskit Aer, and inside ``qiskit_algorithms``.

* noiseless values equal ``StatevectorEstimator``'s to 1e-10, with the same result shapes for the
  same PUBs (broadcasting of observables against parameter values); the Sampler's registers,
  shapes and bit order equal ``StatevectorSampler``'s;
* noisy exact values equal Aer's ``EstimatorV2`` (density matrix, precision 0) and Aer's V1
  ``Estimator(approximation=True)`` with the same Aer noise model to 1e-9, and Aer's values on a
  fake backend's ISA circuit under ``NoiseModel.from_backend`` when the primitive is given the
  backend; sampled values agree with the exact ones within their standard errors; sampled
  bitstrings follow Aer's noisy distribution;
* ``qiskit_algorithms``' ``VQE`` and ``SamplingVQE`` run unchanged, compiling the ansatz once.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import efficient_su2, real_amplitudes
from qiskit.primitives import StatevectorEstimator, StatevectorSampler
from qiskit.quantum_info import Pauli, SparseObservable, SparsePauliOp, Statevector
from qiskit_aer import AerSimulator
from qiskit_aer import noise as aer_noise
from qiskit_aer.primitives import EstimatorV2 as AerEstimator

from crlqas.qnoise import oracle
from crlqas.qnoise.devices import device_preset
from crlqas.qnoise.errors import ParameterError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.primitives import Estimator, Sampler, from_aer_noise_model
from crlqas.qnoise.qiskit_bridge import from_qiskit

pytestmark = pytest.mark.qiskit

RNG = np.random.default_rng(2024)
ANSATZ = efficient_su2(3, reps=2)  # ry, rz, cx; 18 parameters
OBS = [
    SparsePauliOp(["ZZI", "XIX", "IYY"], [0.6, -0.3, 0.1]),
    SparsePauliOp("ZII"),
    SparsePauliOp(["XYZ", "III"], [0.2, 0.4]),
]


def values(*shape):
    return RNG.uniform(-np.pi, np.pi, (*shape, ANSATZ.num_parameters))


def aer_model():
    """A 3-qubit Aer model: every kind of error, all-qubit and per-qubit entries, readout errors."""
    nm = aer_noise.NoiseModel()
    relax = aer_noise.thermal_relaxation_error(60e3, 45e3, 120)
    nm.add_all_qubit_quantum_error(aer_noise.depolarizing_error(0.01, 1).compose(relax), ["ry", "rz"], warnings=False)
    nm.add_quantum_error(aer_noise.amplitude_damping_error(0.05), ["ry"], [1], warnings=False)
    nm.add_all_qubit_quantum_error(aer_noise.depolarizing_error(0.04, 2), ["cx"], warnings=False)
    nm.add_quantum_error(aer_noise.pauli_error([("XZ", 0.03), ("II", 0.97)]), ["cx"], [1, 2], warnings=False)
    nm.add_all_qubit_readout_error(aer_noise.ReadoutError([[0.97, 0.03], [0.06, 0.94]]), warnings=False)
    nm.add_readout_error(aer_noise.ReadoutError([[0.9, 0.1], [0.2, 0.8]]), [2], warnings=False)
    return nm


def aer_estimator(nm):
    return AerEstimator(options={"backend_options": {"method": "density_matrix", "noise_model": nm}})


# ------------------------------------------------------------------------- Estimator: noiseless
PUBS = [
    lambda: (ANSATZ, OBS[0], values()),  # ()
    lambda: (ANSATZ, OBS, values()),  # (3,)
    lambda: (ANSATZ, OBS[1], values(4)),  # (4,)
    lambda: (ANSATZ, [[o] for o in OBS], values(1, 5)),  # (3, 1) x (1, 5) -> (3, 5)
    lambda: (ANSATZ, OBS[:2], values(2, 3, 1)),  # (2,) x (2, 3, 1) -> (2, 3, 2)
    lambda: (ANSATZ.assign_parameters(values()), np.array(["ZZZ", "XXI"])),  # bound circuit
]


@pytest.mark.parametrize("make", PUBS)
def test_noiseless_values_and_shapes_equal_statevector_estimator(make):
    pub = make()
    ours = Estimator().run([pub]).result()[0]
    ref = StatevectorEstimator().run([pub]).result()[0]
    assert ours.data.evs.shape == ref.data.evs.shape == ours.data.stds.shape == ours.data.shape
    assert np.abs(ours.data.evs - ref.data.evs).max() < 1e-10
    assert not ours.data.stds.any() and ours.metadata["target_precision"] == 0.0


def test_observable_forms():
    x = values()
    forms = ["XYZ", Pauli("-XYZ"), {"XYZ": 0.5, "ZZI": 1.0}, SparsePauliOp(["XYZ"], [2.0]), ["ZII", Pauli("IIX")]]
    for form in forms:
        ours = Estimator().run([(ANSATZ, form, x)]).result()[0].data.evs
        ref = StatevectorEstimator().run([(ANSATZ, form, x)]).result()[0].data.evs
        assert np.abs(ours - ref).max() < 1e-10, form
    # projectors (|0><0| on qubit 0, |+><+| on qubit 2) against the dense matrix
    proj = SparseObservable.from_sparse_list([("0+", [0, 2], 1.5), ("Z", [1], 0.5)], 3)
    psi = Statevector(ANSATZ.assign_parameters(x))
    expected = float(np.real(psi.expectation_value(proj.to_matrix())))
    assert Estimator().run([(ANSATZ, proj, x)]).result()[0].data.evs == pytest.approx(expected, abs=1e-12)


def test_angle_expressions_and_gates_that_need_transpiling():
    a, b = Parameter("a"), Parameter("b")
    theta = ParameterVector("t", 2)
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.rz(2 * a - 0.5 * b + 0.3, 0)  # an affine expression
    qc.rzz(theta[0], 0, 1)  # a gate qnoise does not have
    qc.u(b, a, 0.2, 2)  # a u gate with free parameters
    qc.crx(theta[1], 2, 0)
    qc.ry(a, 1)  # a plain parameter shared with the expressions
    qc.measure_all()  # ignored by estimators
    x = RNG.uniform(-2, 2, (3, qc.num_parameters))
    pub = (qc.remove_final_measurements(inplace=False), OBS, x[:, None, :])
    ref = StatevectorEstimator().run([pub]).result()[0].data.evs
    ours = Estimator().run([(qc, OBS, x[:, None, :])]).result()[0].data.evs
    assert ours.shape == ref.shape == (3, 3)
    assert np.abs(ours - ref).max() < 1e-10
    bad = QuantumCircuit(1)
    bad.rx(a * b, 0)
    with pytest.raises(ParameterError, match="not affine"):
        Estimator().run([(bad, "Z", [0.1, 0.2])])


# ------------------------------------------------------------------------- Estimator: noisy exact
def test_noisy_exact_values_equal_aer_estimator_v2():
    nm = aer_model()
    pub = (ANSATZ, [[o] for o in OBS], values(1, 4))
    aer = aer_estimator(nm).run([pub]).result()[0].data.evs
    ours = Estimator(nm).run([pub]).result()[0]
    assert ours.data.evs.shape == aer.shape == (3, 4)
    assert np.abs(ours.data.evs - aer).max() < 1e-9
    free = Estimator().run([pub]).result()[0].data.evs
    assert np.abs(ours.data.evs - free).max() > 1e-2  # the noise is not silent


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_noisy_exact_values_equal_aer_v1_estimator_with_approximation():
    from qiskit_aer.primitives import Estimator as AerEstimatorV1

    nm, x = aer_model(), values()
    v1 = AerEstimatorV1(
        backend_options={"method": "density_matrix", "noise_model": nm}, approximation=True, run_options={"shots": None}
    )
    expected = v1.run([ANSATZ] * len(OBS), OBS, [x] * len(OBS)).result().values
    ours = Estimator(nm).run([(ANSATZ, OBS, x)]).result()[0].data.evs
    assert np.abs(ours - expected).max() < 1e-9


def test_measured_values_include_readout_errors():
    """``mitigation="none"``: each term read through the readout errors, from Aer's density matrix."""
    nm, x = aer_model(), values()
    qc = ANSATZ.assign_parameters(x)
    qc.save_density_matrix()
    rho = np.asarray(AerSimulator(method="density_matrix", noise_model=nm).run(qc).result().data()["density_matrix"])
    ours = Estimator(nm, mitigation="none").run([(ANSATZ, OBS, x)]).result()[0].data.evs
    converted = from_aer_noise_model(nm)
    for value, op in zip(ours, OBS):
        expected = oracle.energy_from_density_matrix(rho, Hamiltonian.from_sparse_pauli_op(op), converted)
        assert value == pytest.approx(expected, abs=1e-10)
    mitigated = Estimator(nm).run([(ANSATZ, OBS, x)]).result()[0].data.evs
    assert np.abs(ours - mitigated).max() > 1e-2


def test_preset_values_equal_the_qnoise_simulator():
    x = values()
    h = Hamiltonian.from_sparse_pauli_op(OBS[0])
    circuit, params = from_qiskit(ANSATZ.assign_parameters(x))
    device = device_preset("mumbai-median")
    ours = Estimator("mumbai-median", mitigation="none").run([(ANSATZ, OBS[0], x)]).result()[0]
    assert float(ours.data.evs) == pytest.approx(device.simulator(circuit, h).energy(params), abs=1e-12)
    assert ours.metadata["noise"] == "mumbai-median"
    mitigated = Estimator("mumbai-median").run([(ANSATZ, OBS[0], x)]).result()[0].data.evs
    assert float(mitigated) == pytest.approx(device.without_readout().simulator(circuit, h).energy(params), abs=1e-12)


def test_backend_noise_on_an_isa_circuit_equals_aer_from_backend():
    pytest.importorskip("qiskit_ibm_runtime")
    from qiskit.transpiler import generate_preset_pass_manager

    from crlqas.qnoise.devices import resolve_backend

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = resolve_backend("fake_manila")
        aer_nm = aer_noise.NoiseModel.from_backend(backend)
    ansatz = real_amplitudes(3, reps=2)
    isa = generate_preset_pass_manager(optimization_level=1, backend=backend, initial_layout=[1, 2, 3]).run(ansatz)
    observables = [op.apply_layout(isa.layout) for op in OBS]
    pub = (isa, observables, RNG.uniform(-np.pi, np.pi, (2, 1, ansatz.num_parameters)))
    ours = Estimator(backend).run([pub]).result()[0]
    aer = aer_estimator(aer_nm).run([pub]).result()[0].data.evs
    assert ours.data.evs.shape == aer.shape == (2, 3)
    assert np.abs(ours.data.evs - aer).max() < 1e-9
    assert ours.metadata["simulator_metadata"]["qubits"] == [1, 2, 3]  # only the active physical qubits
    # uniform noise and no noise simulate the active qubits of the 5-qubit ISA circuit too
    free = Estimator().run([pub]).result()[0]
    assert np.abs(free.data.evs - StatevectorEstimator().run([pub]).result()[0].data.evs).max() < 1e-10
    preset = Estimator("mumbai-median").run([pub]).result()[0]
    assert free.metadata["simulator_metadata"]["qubits"] == preset.metadata["simulator_metadata"]["qubits"] == [1, 2, 3]
    delayed = isa.copy()
    delayed.delay(100, 1)
    with pytest.raises(ValidationError, match="delay"):
        Estimator(backend).run([(delayed, observables[0], pub[2][0, 0])])


# ------------------------------------------------------------------------- Estimator: shots
def test_sampled_values_agree_with_exact_values_within_their_standard_errors():
    pub = (ANSATZ, [[o] for o in OBS], values(1, 6))
    for mitigation in ("readout", "none"):
        exact = Estimator("mumbai-median", mitigation=mitigation).run([pub]).result()[0].data.evs
        est = Estimator("mumbai-median", mitigation=mitigation, seed=5)
        res = est.run([pub], precision=0.02).result()[0]
        assert res.metadata["shots"] == 2500 and res.data.evs.shape == (3, 6)
        z = (res.data.evs - exact) / res.data.stds
        assert np.all(np.abs(z) < 5) and 0.3 < np.std(z) < 2.0
        assert np.all(res.data.stds > 0) and np.all(res.data.stds < 0.05)
    # seeded: the same sequence of calls gives the same numbers; later calls draw anew
    first = Estimator(seed=3).run([pub], precision=0.05).result()[0].data.evs
    again = Estimator(seed=3).run([pub], precision=0.05).result()[0].data.evs
    assert np.array_equal(first, again)
    est = Estimator(seed=3)
    assert not np.array_equal(
        est.run([pub], precision=0.05).result()[0].data.evs, est.run([pub], precision=0.05).result()[0].data.evs
    )


def test_gaussian_shot_model_and_pub_precision():
    pub = (ANSATZ, OBS[0], values(400), 0.1)  # the PUB's own precision
    exact = Estimator().run([pub[:3]]).result()[0].data.evs
    res = Estimator(shot_model="gaussian", seed=1).run([pub]).result()[0]
    assert np.all(res.data.stds == 0.1) and res.metadata["shots"] is None
    assert abs(np.std(res.data.evs - exact) - 0.1) < 0.015


# ------------------------------------------------------------------------- VQE
def test_vqe_runs_unchanged_and_compiles_the_ansatz_once():
    from qiskit_algorithms import VQE
    from qiskit_algorithms.optimizers import COBYLA, SLSQP

    from crlqas.qnoise import get_problem

    problem = get_problem("h2-2q")
    h = problem.hamiltonian.to_sparse_pauli_op()
    ansatz, x0 = real_amplitudes(2, reps=1), np.array([0.1, 0.2, 0.3, 0.4])
    est = Estimator()
    ours = VQE(est, ansatz, SLSQP(maxiter=100), initial_point=x0).compute_minimum_eigenvalue(h)
    ref = VQE(StatevectorEstimator(), ansatz, SLSQP(maxiter=100), initial_point=x0).compute_minimum_eigenvalue(h)
    assert ours.eigenvalue == pytest.approx(ref.eigenvalue, abs=1e-8)
    assert ours.eigenvalue == pytest.approx(problem.e0, abs=1e-6)
    assert est.cache.compilations == 1 and ours.cost_function_evals > 20
    job = est.run([(ansatz, h, x0)])
    assert job.done() and job.in_final_state() and str(job.status()) == "JobStatus.DONE" and job.job_id()
    noisy = Estimator("mumbai-median")
    result = VQE(noisy, ansatz, COBYLA(maxiter=60), initial_point=x0).compute_minimum_eigenvalue(h)
    assert noisy.cache.compilations == 1
    value = noisy.run([(ansatz, h, result.optimal_point)]).result()[0].data.evs
    assert result.eigenvalue == pytest.approx(float(value), abs=1e-12)
    assert problem.e0 < result.eigenvalue < problem.e0 + 0.05
    changed = ansatz.copy()
    changed.rz(0.5, 0)
    noisy.run([(changed, h, result.optimal_point)]).result()
    assert noisy.cache.compilations == 2


@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")  # Qiskit's synthesis of the evolution
def test_compile_cache_tells_circuits_apart():
    """Equal copies of standard-gate circuits share a compilation; gates whose parameters do not
    say what they do (a Pauli evolution: its operator is not a parameter) are told apart."""
    from qiskit.circuit.library import PauliEvolutionGate

    t = Parameter("t")
    circuits = []
    for label in ("XY", "ZZ"):
        qc = QuantumCircuit(2)
        qc.h(0), qc.ry(0.3, 1)
        qc.append(PauliEvolutionGate(SparsePauliOp(label), t), [0, 1])
        circuits.append(qc)
    est = Estimator()
    for qc in circuits + circuits:
        ref = StatevectorEstimator().run([(qc, "XZ", [0.7])]).result()[0].data.evs
        assert float(est.run([(qc, "XZ", [0.7])]).result()[0].data.evs) == pytest.approx(float(ref), abs=1e-12)
    assert est.cache.compilations == 2
    est.run([(ANSATZ, OBS[0], values())]).result()
    est.run([(ANSATZ.copy(), OBS[0], values())]).result()
    assert est.cache.compilations == 3


def test_sampling_vqe_runs_with_the_sampler():
    from qiskit_algorithms import SamplingVQE
    from qiskit_algorithms.optimizers import COBYLA

    diagonal = SparsePauliOp(["ZZ", "ZI", "IZ"], [1.0, -0.5, 0.3])  # minimum -1.8 at |01> (qubit 0 = 1)
    ansatz = real_amplitudes(2, reps=1)
    result = SamplingVQE(Sampler("mumbai-median", seed=3), ansatz, COBYLA(maxiter=80), initial_point=[0.1] * 4)
    best = result.compute_minimum_eigenvalue(diagonal).best_measurement
    assert best["bitstring"] == "01" and best["value"].real == pytest.approx(-1.8)


# ------------------------------------------------------------------------- Sampler
def sampler_pubs():
    theta = ParameterVector("t", 2)
    a = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(2, "alpha"), ClassicalRegister(1, "beta"))
    a.h(0), a.ry(theta[0], 1), a.cx(0, 2), a.rx(theta[1], 2)
    a.measure([0, 1], [0, 1]), a.measure(2, 2)
    b = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(3, "c"))  # clbit 1 never written
    b.x(0), b.h(2), b.measure(0, 2), b.measure(2, 0)
    c = efficient_su2(2, reps=1)
    c.measure_all()
    return [
        (a, RNG.uniform(-3, 3, (2, 3, 2))),
        (b,),
        (b, None, 17),
        (c, RNG.uniform(-3, 3, (4, c.num_parameters))),
        (a, RNG.uniform(-3, 3, 2)),
    ]


def test_sampler_shapes_registers_and_bit_order_equal_statevector_sampler():
    pubs = sampler_pubs()
    ours = Sampler(seed=1).run(pubs, shots=64).result()
    ref = StatevectorSampler(seed=1).run(pubs, shots=64).result()
    for o, r in zip(ours, ref):
        assert o.data.shape == r.data.shape
        assert sorted(o.data.keys()) == sorted(r.data.keys())
        for name in r.data:
            x, y = o.data[name], r.data[name]
            assert (x.shape, x.num_bits, x.num_shots, x.array.shape) == (
                y.shape,
                y.num_bits,
                y.num_shots,
                y.array.shape,
            )
    # a deterministic circuit reads the same bitstring in both (qubit 0 -> clbit 2, qubit 2 -> clbit 0)
    det = QuantumCircuit(3, 3)
    det.x(0), det.measure(0, 2), det.measure(2, 0)
    assert Sampler().run([det], shots=5).result()[0].data.c.get_counts() == {"100": 5}
    assert StatevectorSampler().run([det], shots=5).result()[0].data.c.get_counts() == {"100": 5}


def within_5_sigma(counts: dict, probs: dict, shots: int) -> bool:
    keys = set(counts) | set(probs)
    return all(
        abs(counts.get(k, 0) / shots - probs.get(k, 0.0)) <= 5 * np.sqrt(max(probs.get(k, 0.0), 1e-4) / shots) + 1e-12
        for k in keys
    )


def test_noiseless_sampler_follows_the_statevector_distribution():
    qc = efficient_su2(3, reps=1)
    x = RNG.uniform(-3, 3, qc.num_parameters)
    probs = Statevector(qc.assign_parameters(x)).probabilities_dict()
    qc.measure_all()
    shots = 20000
    counts = Sampler(seed=2).run([(qc, x)], shots=shots).result()[0].data.meas.get_counts()
    assert within_5_sigma(counts, probs, shots)


def test_noisy_sampler_follows_aers_noisy_distribution():
    nm = aer_model()
    qc = efficient_su2(3, reps=1)
    qc.measure_all()
    x = RNG.uniform(-3, 3, qc.num_parameters)
    bound = qc.assign_parameters(x)
    shots = 40000
    aer_counts = (
        AerSimulator(method="density_matrix", noise_model=nm, seed_simulator=4)
        .run(bound, shots=shots)
        .result()
        .get_counts()
    )
    sampler = Sampler(nm, seed=4)
    exact = sampler.probabilities(qc, x)  # 2^3 outcomes, bit i = qubit i (all measured)
    probs = {format(i, "03b"): float(p) for i, p in enumerate(exact)}
    assert within_5_sigma(aer_counts, probs, shots)
    ours = sampler.run([(qc, x)], shots=shots).result()[0].data.meas.get_counts()
    assert within_5_sigma(ours, probs, shots)
    ideal = Statevector(bound.remove_final_measurements(inplace=False)).probabilities()
    assert np.abs(exact - ideal).max() > 0.01  # gate and readout noise show


# ------------------------------------------------------------------------- errors, imports
def test_unsupported_inputs_raise_clear_errors():
    reset = QuantumCircuit(1)
    reset.reset(0)
    with pytest.raises(ValidationError, match="reset"):
        Estimator().run([(reset, "Z")])
    mid = QuantumCircuit(1, 1)
    mid.measure(0, 0), mid.x(0)
    with pytest.raises(ValidationError, match="after a measurement"):
        Sampler().run([mid])
    with pytest.raises(ValidationError, match="noise must be"):
        Estimator(noise=3.5)
    with pytest.raises(ValidationError, match="neither a noise preset"):
        Estimator(noise="mumbai-mediam")
    with pytest.raises(ValidationError, match="mitigation"):
        Estimator(mitigation="zne")
    with pytest.raises(ValidationError, match="shots"):
        Sampler(default_shots=0)
    job = Estimator().run([(real_amplitudes(1, reps=0), "Z", [np.nan])])  # evaluation errors: at result()
    assert not job.done() and job.in_final_state()
    with pytest.raises(ParameterError, match="finite"):
        job.result()
    delayed = QuantumCircuit(1)
    delayed.delay(10, 0)
    delayed.x(0)
    assert float(Estimator("mumbai-median").run([(delayed, "Z")]).result()[0].data.evs) < -0.9  # identity


def test_qnoise_import_does_not_import_qiskit():
    code = "import sys, crlqas.qnoise as q; assert 'primitives' in dir(q); print('qiskit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
