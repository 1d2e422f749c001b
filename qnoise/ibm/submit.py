"""The ``submit`` pipeline: backend, ISA transpilation, Estimator run, and the JSON record.

See :mod:`qnoise.ibm.runtime` for backends, credentials, modes, mitigation, retries and the record.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from ..errors import ValidationError, require
from ..fileio import atomic_write_json, json_default
from .isa import check_width, transpile_isa
from .runtime import FORMAT, MODES, estimator_options, get_backend, is_fake, run_estimator

#: fake backends up to this width run as they are in local testing mode; wider ones on their active qubits
LOCAL_FULL_WIDTH = 20


def _isa_qasm3(isa) -> str | None:
    try:
        import qiskit.qasm3

        return qiskit.qasm3.dumps(isa.circuit)
    except Exception:
        return None


def _calibration(backend):
    from ..devices.calibration import calibration_from_backend

    return calibration_from_backend(backend)


def submit(
    circuit,
    params,
    hamiltonian,
    backend,
    *,
    shots=None,
    precision=None,
    mode: str = "job",
    mitigation: str = "none",
    layout=None,
    optimization_level: int = 1,
    dry_run: bool = False,
    timeout=None,
    retries: int = 3,
    seed=None,
    e0=None,
    service=None,
    max_expected_qubits: int = 10,
    source: dict | None = None,
) -> dict:
    """Estimate ``<H>`` of ``circuit(params)`` on ``backend`` (a name or a BackendV2); the record.

    Errors raised before any network call: :class:`~qnoise.errors.MissingDependencyError`,
    :class:`~qnoise.ibm.errors.UnknownBackendError` (bad name), :class:`ValidationError` (options),
    :class:`~qnoise.ibm.errors.CredentialsError` (IBM device without credentials).  Fake backends
    are checked for width (:class:`~qnoise.ibm.errors.CircuitTooWideError`) before transpiling;
    IBM devices right after their lookup.
    """
    require("qiskit", "qiskit")
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    name = backend if isinstance(backend, str) else getattr(backend, "name", str(backend))
    options = estimator_options(mitigation, shots, precision, seed, local=is_fake(name))
    if timeout is not None and not timeout > 0:
        raise ValidationError(f"timeout must be positive seconds; got {timeout}")
    values = circuit.check_parameters(params)
    backend, service = get_backend(backend, service, retries)
    check_width(circuit.num_qubits, backend)
    cal = _calibration(backend)
    isa = transpile_isa(circuit, values, hamiltonian, backend, layout, optimization_level, seed, cal)
    from ..simulator import Simulator

    record = {
        "format": FORMAT,
        "backend": backend.name,
        "local": service is None,
        "submitted": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "calibration_date": cal.date,
        "num_qubits": circuit.num_qubits,
        "source": source or {},
        **isa.summary(),
        "transpiled_qasm3": _isa_qasm3(isa),
        "parameters": {p.name: v for p, v in zip(isa.circuit.parameters, isa.parameter_values())},
        "observable_terms": len(isa.observable),
        "mode": mode,
        "mitigation": mitigation,
        "options": options,
        "optimization_level": optimization_level,
        "seed": seed,
        "dry_run": dry_run,
        "noiseless_energy": Simulator(circuit, hamiltonian).energy(values),
        "e0": e0,
    }
    noise_model = None
    if len(isa.active) <= max_expected_qubits:
        from .verify import aer_measured_energy, aer_noise_model

        noise_model = aer_noise_model(backend)
        readout = [cal.readout[q] for q in isa.active]
        record["expected_energy"] = aer_measured_energy(isa, noise_model, readout)["aer_measured_energy"]
    target, circuit_, observable = backend, isa.circuit, isa.observable
    if service is None and backend.num_qubits > LOCAL_FULL_WIDTH:
        # the local Estimator measures every qubit of the circuit: run the active qubits only, on an
        # AerSimulator with the fake backend's noise on those qubits
        from .verify import aer_noise_model, compact_simulator

        target = compact_simulator(noise_model or aer_noise_model(backend), isa.active)
        circuit_, observable = isa.compact(bind=False), isa.compact_hamiltonian().to_sparse_pauli_op()
        record["local_simulated_qubits"] = isa.active
    if dry_run:
        return record
    values_ = [float(isa.values[p.index]) for p in circuit_.parameters]
    pub = (circuit_, observable, values_) if values_ else (circuit_, observable)
    run = run_estimator(target, pub, options, mode, timeout, retries)
    record.update(
        job_ids=[run["job_id"]],
        session_id=run["session_id"],
        energy=run["evs"],
        standard_error=run["stds"],
        shots=run["metadata"].get("shots"),
        **{k: run[k] for k in ("ensemble_standard_error", "evs_noise_factors", "stds_noise_factors") if k in run},
    )
    if e0 is not None:
        record["error"] = record["energy"] - e0
    return record


def write_record(record: dict, path) -> Path:
    """Write ``record`` as JSON to ``path`` atomically (parent directories created)."""
    return atomic_write_json(path, record, default=_default)


def _default(x):
    """NumPy values as numbers (:func:`json_default`); anything else (timestamps, job ids, ...) as text."""
    return json_default(x) if hasattr(x, "tolist") else str(x)
