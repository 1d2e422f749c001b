"""``crlqas verify``: one circuit's energy on a device model, by Qiskit Aer and by qnoise side by side.

:func:`verify` transpiles the circuit to the backend's ISA (:func:`qnoise.ibm.isa.transpile_isa`,
optimization level 1 by default, qnoise's "best" initial layout) and computes, on the active
physical qubits only (Aer truncates idle qubits; qnoise simulates the compacted circuit):

* ``aer_energy``: Aer density-matrix ``Tr(rho H)`` with ``NoiseModel.from_backend`` (gate noise:
  depolarizing + thermal relaxation), ``save_expectation_value`` on the mapped observable;
* ``qnoise_energy``: the same with ``qnoise.devices.from_backend(backend, mode="native",
  layout=active)`` without readout; ``difference`` = qnoise - Aer (agrees to ~1e-9);
* ``qnoise_measured_energy``: qnoise with readout errors folded in (ideal basis changes);
* ``aer_measured_energy``: the exact expectation of what the runtime Estimator samples: per
  qubit-wise commuting group, the basis change as the Estimator applies it
  (``rz sx rz sx rz`` on every measured qubit, two noisy ``sx``), Aer's exact probabilities, then
  the backend's readout errors; ``aer_sampled_energy`` / ``aer_standard_error`` with ``shots``;
* ``noiseless_energy`` (qnoise statevector, logical circuit) and ``e0`` when known.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import require
from ..hamiltonian import Hamiltonian
from .isa import IsaCircuit, transpile_isa

_H = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
_SDG = np.diag([1, -1j])
_BASIS_CHANGE = {0: np.eye(2), 1: _H, 2: _H @ _SDG, 3: np.eye(2)}  # code -> U (measure Z after U)


def aer_noise_model(backend):
    require("qiskit_aer", "qiskit")
    from qiskit_aer.noise import NoiseModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NoiseModel.from_backend(backend)


def compact_simulator(noise_model, active):
    """An ``AerSimulator`` whose noise is ``noise_model``'s on the physical qubits ``active``,
    renumbered ``0..k-1`` (for local runs of wide fake backends on their active qubits)."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    pos = {q: i for i, q in enumerate(active)}
    nm = NoiseModel(basis_gates=noise_model.basis_gates)
    for gate, errors in noise_model._local_quantum_errors.items():
        for qs, err in errors.items():
            if all(q in pos for q in qs):
                nm.add_quantum_error(err, gate, [pos[q] for q in qs])
    for qs, err in noise_model._local_readout_errors.items():
        if all(q in pos for q in qs):
            nm.add_readout_error(err, [pos[q] for q in qs])
    for gate, err in noise_model._default_quantum_errors.items():
        nm.add_all_qubit_quantum_error(err, gate)
    if noise_model._default_readout_error is not None:
        nm.add_all_qubit_readout_error(noise_model._default_readout_error)
    return AerSimulator(noise_model=nm)


def _simulator(noise_model, seed=None):
    from qiskit_aer import AerSimulator

    return AerSimulator(method="density_matrix", noise_model=noise_model, seed_simulator=seed)


def aer_energy(isa: IsaCircuit, noise_model) -> float:
    """Aer's exact ``Tr(rho H)`` (gate noise, no readout) of the ISA circuit."""
    qc = isa.bound().copy()
    qc.save_expectation_value(isa.compact_hamiltonian().to_sparse_pauli_op(), isa.active)
    result = _simulator(noise_model).run(qc).result()
    return float(np.real(result.data(0)["expectation_value"]))


def basis_change(qc, qubit: int, code: int) -> None:
    """Append the Estimator-style basis change for Pauli ``code`` on ``qubit`` (two ``sx``)."""
    from ..devices.native import u3_angles

    theta, phi, lam = u3_angles(_BASIS_CHANGE[int(code)])
    qc.rz(lam, qubit), qc.sx(qubit), qc.rz(theta + math.pi, qubit), qc.sx(qubit), qc.rz(phi + math.pi, qubit)


def _group_circuits(isa: IsaCircuit, groups, measure: bool):
    out = []
    for codes, _ in groups:
        qc = isa.bound().copy()
        for i, q in enumerate(isa.active):
            basis_change(qc, q, codes[i])
        if measure:
            from qiskit.circuit import ClassicalRegister

            creg = ClassicalRegister(len(isa.active), "m")
            qc.add_register(creg)
            qc.measure(isa.active, creg)
        else:
            qc.save_probabilities(isa.active)
        out.append(qc)
    return out


def _term_supports(h: Hamiltonian, positions) -> list[np.ndarray]:
    return [np.array([j for j, ch in enumerate(reversed(h.labels[t])) if ch != "I"], dtype=int) for t in positions]


def _signs(k: int) -> np.ndarray:
    """``z[b, j]`` = +-1: the Z eigenvalue of compact qubit ``j`` in basis state ``b``."""
    b = np.arange(2**k)[:, None]
    return 1 - 2 * ((b >> np.arange(k)[None, :]) & 1)


def aer_measured_energy(isa: IsaCircuit, noise_model, readout, shots=None, seed=None) -> dict:
    """Exact (and with ``shots``, sampled) measured energy; ``readout[j] = (P(1|0), P(0|1))`` of
    active qubit ``j`` (None: perfect)."""
    h = isa.compact_hamiltonian()
    k = len(isa.active)
    groups = h.qwc_groups()
    z = _signs(k)
    p10 = np.array([0.0 if r is None else r[0] for r in readout])
    p01 = np.array([0.0 if r is None else r[1] for r in readout])
    read_z = (p01 - p10)[None, :] + (1 - p10 - p01)[None, :] * z  # mean read sign given true z
    sim = _simulator(noise_model, seed)
    probs = sim.run(_group_circuits(isa, groups, False)).result()
    exact = h.constant
    for g, (_, positions) in enumerate(groups):
        p = np.asarray(probs.data(g)["probabilities"])
        for t, support in zip(positions, _term_supports(h, positions)):
            exact += h.coeffs[t] * float(p @ np.prod(read_z[:, support], axis=1))
    out = {"aer_measured_energy": float(exact)}
    if shots:
        counts = sim.run(_group_circuits(isa, groups, True), shots=int(shots)).result()
        mean, var = h.constant, 0.0
        for g, (_, positions) in enumerate(groups):
            c = counts.get_counts(g)
            idx = np.array([int(bits.replace(" ", ""), 2) for bits in c])
            n = np.array(list(c.values()), dtype=float)
            values = sum(
                h.coeffs[t] * np.prod(z[idx][:, s], axis=1) for t, s in zip(positions, _term_supports(h, positions))
            )
            m = float(n @ values) / shots
            mean += m
            var += (float(n @ (values - m) ** 2) / (shots - 1)) / shots
        out.update(aer_sampled_energy=mean, aer_standard_error=math.sqrt(var), shots=int(shots))
    return out


def qnoise_energies(isa: IsaCircuit, calibration) -> dict:
    """qnoise's native device model on the active qubits: gate-noise and measured energies."""
    from ..devices import from_calibration
    from ..qiskit_bridge import from_qiskit

    circuit, params = from_qiskit(isa.compact())
    h = isa.compact_hamiltonian()
    dev = from_calibration(calibration, mode="native", layout=isa.active)
    return {
        "qnoise_energy": dev.without_readout().simulator(circuit, h).energy(params),
        "qnoise_measured_energy": dev.simulator(circuit, h).energy(params),
    }


def verify(
    circuit, params, hamiltonian, backend, layout=None, optimization_level=1, shots=None, seed=None, e0=None
) -> dict:
    """Side-by-side energies (see the module docstring); ``backend``: a BackendV2, a fake backend's
    name (``fake_manila``, offline) or an IBM device's (``ibm_brisbane``: its current calibration,
    fetched with the account's credentials)."""
    from ..devices.calibration import calibration_from_backend
    from ..simulator import Simulator
    from .runtime import get_backend

    backend, _ = get_backend(backend)
    cal = calibration_from_backend(backend)
    isa = transpile_isa(circuit, params, hamiltonian, backend, layout, optimization_level, seed, cal)
    nm = aer_noise_model(backend)
    out = {
        "backend": backend.name,
        "calibration_date": cal.date,
        "num_qubits": circuit.num_qubits,
        **isa.summary(),
        "aer_energy": aer_energy(isa, nm),
    }
    out.update(qnoise_energies(isa, cal))
    out["difference"] = out["qnoise_energy"] - out["aer_energy"]
    out.update(aer_measured_energy(isa, nm, [cal.readout[q] for q in isa.active], shots, seed))
    out["noiseless_energy"] = Simulator(circuit, hamiltonian).energy(isa.values)
    out["e0"] = e0
    if e0 is not None:
        out["error_aer"] = out["aer_energy"] - e0
        out["error_noiseless"] = out["noiseless_energy"] - e0
    return out
