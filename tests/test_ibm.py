"""crlqas.qnoise.ibm: circuit sources (QASM; a run's best circuit through the CLI), Aer verification,
fake-backend submission, and the error paths.

Offline: fake backends run in qiskit-ibm-runtime's local testing mode; QiskitRuntimeService is
replaced by stubs wherever an IBM device name is used, and the missing-credential path must raise
before the service is even constructed.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")
qiskit_ibm_runtime = pytest.importorskip("qiskit_ibm_runtime")

from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import MissingDependencyError, ParameterError, ValidationError
from crlqas.qnoise.ibm import runtime
from crlqas.qnoise.ibm.errors import (
    CircuitTooWideError,
    CredentialsError,
    JobFailedError,
    JobTimeoutError,
    ServiceError,
    UnknownBackendError,
)
from crlqas.qnoise.ibm.source import CircuitSource, from_qasm
from crlqas.qnoise.ibm.submit import submit, write_record
from crlqas.qnoise.ibm.verify import verify
from crlqas.qnoise.problems import get_problem

pytestmark = pytest.mark.qiskit
H2 = get_problem("h2-2q")
ANGLES = [-0.22613507049841147, 3.141584684728189]  # a circuit found by 'crlqas train --preset h2-2q'
TOKEN = "tok-SECRET-0123456789abcdef"


def h2_circuit() -> Circuit:
    return Circuit(2).ry(1).ry(0).cx(1, 0)


def write_run(root, errors) -> None:
    """A run directory as 'crlqas train' writes it: config.json and seed_<S>/best/<name>.json."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"name": "t", "env": {"problem": "h2-2q"}}))
    for seed, err in errors.items():
        best = root / f"seed_{seed}" / "best"
        best.mkdir(parents=True)
        rec = {
            "energy": H2.e0 + err,
            "error": err,
            "e0": H2.e0,
            "num_gates": 3,
            "angles": ANGLES,
            "circuit": h2_circuit().to_dict(),
        }
        (best / "best_energy.json").write_text(json.dumps(rec))
        (best / "shortest_accurate.json").write_text(json.dumps({**rec, "error": err + 0.01}))


@pytest.fixture
def no_service(monkeypatch):
    """QiskitRuntimeService may not be constructed at all."""

    class Forbidden:
        def __init__(self, *a, **k):
            raise AssertionError("QiskitRuntimeService was constructed")

    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", Forbidden)


@pytest.fixture
def no_credentials(monkeypatch, tmp_path, no_service):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setattr(runtime, "account_file", lambda: tmp_path / "none" / "qiskit-ibm.json")


# ---------------------------------------------------------------------- sources
def test_best_circuit_over_seeds(tmp_path, monkeypatch):
    """``--run`` resolves to the run's circuit of kind ``--which`` over seeds (agents.runlog) and the
    run's problem."""
    from crlqas.cli import build_parser
    from crlqas.cli import ibm as cli_ibm

    write_run(tmp_path / "run", {100: 0.02, 101: -0.003, 102: 0.01})
    argv = ["verify", "--run", str(tmp_path / "run"), "--backend", "fake_manila", "--which", "lowest-energy"]
    args = build_parser().parse_args(argv)
    src = cli_ibm._source(args)
    assert isinstance(src, CircuitSource) and src.record["error"] == -0.003
    assert src.origin.endswith("seed_101/best/best_energy.json")
    assert src.problem == "h2-2q" and np.allclose(src.params, ANGLES) and src.circuit == h2_circuit()
    assert src.info()["run_error"] == -0.003 and src.info()["problem"] == "h2-2q"
    assert cli_ibm._run_circuit(src) == {
        "run_kind": "lowest-energy",
        "run_kind_label": src.record["kind_label"],
        "run_seed": 101,
    }
    args.run = str(tmp_path / "run" / "seed_100")
    assert cli_ibm._source(args).record["error"] == 0.02
    # by default (no greedy record here): the shortest accurate circuit, lowest |error| among equals
    args.run, args.which = str(tmp_path / "run"), None
    assert cli_ibm._source(args).origin.endswith("seed_101/best/shortest_accurate.json")


def test_qasm_source_with_free_parameters(tmp_path):
    from crlqas.qnoise.qiskit_bridge import to_qasm

    path = tmp_path / "c.qasm"
    path.write_text(to_qasm(h2_circuit(), version=3))
    src = from_qasm(path, params="0.1,0.2")
    assert src.problem is None and np.allclose(src.params, [0.1, 0.2]) and src.origin == str(path)
    assert np.allclose(from_qasm(path, [0.3, 0.4]).params, [0.3, 0.4])
    with pytest.raises(ParameterError):
        from_qasm(path)
    with pytest.raises(ParameterError, match="comma-separated"):
        from_qasm(path, params="0.1,x")


# ---------------------------------------------------------------------- verify
@pytest.mark.parametrize(
    "backend, circuit, problem",
    [
        ("fake_manila", "h2", "h2-2q"),
        ("fake_quito", "routed", "h2-3q"),  # cx between uncoupled qubits: routing adds swaps
        ("fake_sherbrooke", "h2", "h2-2q"),  # ECR device (127 qubits, simulated on the active ones)
    ],
)
def test_verify_qnoise_equals_aer(backend, circuit, problem):
    prob = get_problem(problem)
    if circuit == "h2":
        c, p = h2_circuit(), ANGLES
    else:
        c = Circuit(3).ry(0).ry(1).ry(2).cx(0, 1).cx(1, 2).cx(2, 0).ry(0)
        p = [0.3, -0.7, 1.1, 0.4]
    layout = "best" if circuit == "h2" else [0, 2, 3]  # quito's couplings: 0-1, 1-2, 1-3, 3-4
    out = verify(c, p, prob.hamiltonian, backend, layout=layout, shots=20000, seed=5, e0=prob.e0)
    assert abs(out["difference"]) < 1e-9 and abs(out["qnoise_energy"] - out["aer_energy"]) < 1e-9
    assert abs(out["aer_energy"] - out["noiseless_energy"]) > 1e-3  # the noise is visible
    assert out["e0"] == prob.e0 and out["noiseless_energy"] >= prob.e0 - 1e-9
    # measured energies: readout on top of gate noise; Aer's sample agrees with Aer's exact value
    assert abs(out["aer_measured_energy"] - out["qnoise_measured_energy"]) < 5e-3
    assert abs(out["aer_sampled_energy"] - out["aer_measured_energy"]) < 5 * out["aer_standard_error"]
    if circuit == "routed":
        assert out["final_layout"] != out["layout"] and out["two_qubit_gates"] > 3
        assert len(out["active_qubits"]) == 4  # the routing qubit is simulated too


# ---------------------------------------------------------------------- submit (local testing mode)
@pytest.mark.parametrize(
    "backend, mode",
    [("fake_manila", "job"), ("fake_lima", "batch"), ("fake_quito", "session"), ("fake_sherbrooke", "job")],
)
def test_submit_fake_backends_statistics(backend, mode):
    rec = submit(h2_circuit(), ANGLES, H2.hamiltonian, backend, shots=40000, mode=mode, seed=11, e0=H2.e0)
    se = rec["standard_error"]
    assert rec["format"] == "crlqas-ibm-submit/1" and rec["local"] and rec["mode"] == mode
    assert rec["shots"] == 40000 and len(rec["job_ids"]) == 1 and 0 < se < 0.005
    assert abs(rec["energy"] - rec["expected_energy"]) < 5 * se  # Aer's exact noisy expectation
    assert abs(rec["energy"] - rec["noiseless_energy"]) > 5 * se  # distinct from the ideal value
    assert rec["noiseless_energy"] == pytest.approx(H2.e0, abs=1e-9)
    assert rec["transpiled_qasm3"].startswith("OPENQASM 3") and len(rec["layout"]) == 2
    assert set(rec["parameters"]) == {"theta[0]", "theta[1]"}
    assert ("local_simulated_qubits" in rec) == (backend == "fake_sherbrooke")  # 127 qubits: active ones


def test_submit_readout_mitigation_removes_readout_bias():
    rec = submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila", shots=40000, mitigation="readout", seed=3)
    gate_only = verify(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila")["aer_energy"]
    assert rec["options"]["resilience_level"] == 1
    assert abs(rec["energy"] - gate_only) < 5 * rec["standard_error"] + 2e-3
    assert abs(rec["energy"] - rec["expected_energy"]) > 5 * rec["standard_error"]


def test_dry_run_submits_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(runtime, "run_estimator", lambda *a, **k: pytest.fail("submitted"))
    import crlqas.qnoise.ibm.submit as sub

    monkeypatch.setattr(sub, "run_estimator", lambda *a, **k: pytest.fail("submitted"))
    rec = submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila", dry_run=True, mitigation="zne")
    assert rec["dry_run"] and "job_ids" not in rec and rec["options"]["resilience_level"] == 2
    path = write_record(rec, tmp_path / "out" / "rec.json")
    assert json.loads(path.read_text())["backend"] == "fake_manila"


# ---------------------------------------------------------------------- errors
def test_missing_credentials_raise_before_the_service(no_credentials):
    with pytest.raises(CredentialsError, match="QISKIT_IBM_TOKEN") as info:
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "ibm_brisbane", shots=100)
    assert "save_account" in str(info.value)


def test_saved_account_counts_as_credentials(monkeypatch, tmp_path, no_service):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    f = tmp_path / "qiskit-ibm.json"
    f.write_text(json.dumps({"default-ibm-quantum-platform": {"channel": "ibm_quantum_platform", "token": TOKEN}}))
    monkeypatch.setattr(runtime, "account_file", lambda: f)
    assert runtime.check_credentials() == "saved account"
    assert TOKEN not in runtime.redact(f"bad token {TOKEN}")


def test_service_errors_never_show_the_token(monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)

    class Leaky:
        def __init__(self, *a, **k):
            raise ValueError(f"invalid token {TOKEN} for channel")

    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", Leaky)
    with pytest.raises(ServiceError) as info:
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "ibm_brisbane", shots=100)
    assert TOKEN not in str(info.value) and "<redacted>" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_unknown_backends(no_credentials):
    with pytest.raises(UnknownBackendError, match="fake_manila"):
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manilla")
    with pytest.raises(UnknownBackendError, match="Did you mean 'fake_manila'"):
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "manila")


def test_circuit_wider_than_the_device(no_credentials):
    prob = get_problem("h2o-8q")
    c = Circuit(8)
    for q in range(8):
        c.ry(q)
    with pytest.raises(CircuitTooWideError, match=r"8 qubits.*only 5"):
        submit(c, np.zeros(8), prob.hamiltonian, "fake_manila", dry_run=True)
    with pytest.raises(CircuitTooWideError):
        verify(c, np.zeros(8), prob.hamiltonian, "fake_quito")


def test_bad_options():
    with pytest.raises(ValidationError, match="mitigation"):
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila", mitigation="pec")
    with pytest.raises(ValidationError, match="mode"):
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila", mode="dedicated")
    with pytest.raises(ValidationError, match="shots"):
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila", shots=0)


def test_qiskit_runtime_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "qiskit_ibm_runtime", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'crlqas\[qiskit\]'"):
        runtime.get_backend("ibm_brisbane")


def test_retries_with_backoff():
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError

    calls, sleeps = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RequestsApiError("service unavailable", status_code=503)
        return "ok"

    assert runtime.with_retries(flaky, "x", retries=3, backoff=1.5, sleep=sleeps.append) == "ok"
    assert sleeps == [1.5, 3.0]
    with pytest.raises(ServiceError, match="after 2 attempts"):
        runtime.with_retries(
            lambda: (_ for _ in ()).throw(ConnectionError("down")), "x", retries=1, sleep=lambda s: None
        )
    with pytest.raises(ServiceError, match="failed: RequestsApiError"):  # 401: not retried
        runtime.with_retries(
            lambda: (_ for _ in ()).throw(RequestsApiError("no", status_code=401)),
            "x",
            sleep=lambda s: pytest.fail("retried"),
        )


class _Job:
    def __init__(self, exc):
        self.exc = exc

    def job_id(self):
        return "job-123"

    def result(self, timeout=None):
        raise self.exc


@pytest.mark.parametrize(
    "exc, err, match",
    [
        (None, JobFailedError, "job job-123 failed: RuntimeJobFailureError: .*calibration <redacted>"),
        ("timeout", JobTimeoutError, "job-123 did not finish within 5.0 s"),
    ],
)
def test_failed_and_timed_out_jobs(monkeypatch, exc, err, match):
    from qiskit_ibm_runtime.exceptions import RuntimeJobFailureError, RuntimeJobTimeoutError

    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    boom = (
        RuntimeJobTimeoutError("timed out")
        if exc == "timeout"
        else RuntimeJobFailureError(f"Unable to retrieve job result. Error in calibration {TOKEN}")
    )

    class Est:
        def __init__(self, mode=None, options=None):
            pass

        def run(self, pubs):
            return _Job(boom)

    import qiskit_ibm_runtime.executor_estimator as ee

    monkeypatch.setattr(ee, "Estimator", Est)
    with pytest.raises(err, match=match) as info:
        submit(h2_circuit(), ANGLES, H2.hamiltonian, "fake_manila", shots=100, timeout=5.0)
    assert info.value.job_id == "job-123" and TOKEN not in str(info.value)


# ---------------------------------------------------------------------- command line
def test_cli_verify_and_submit(tmp_path, capsys, no_credentials):
    from crlqas.cli import main

    write_run(tmp_path / "run", {100: 0.001})
    assert main(["verify", "--run", str(tmp_path / "run"), "--backend", "fake_manila", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["problem"] == "h2-2q" and abs(out["difference"]) < 1e-9
    rec = tmp_path / "rec.json"
    assert (
        main(
            [
                "submit",
                "--run",
                str(tmp_path / "run"),
                "--backend",
                "fake_manila",
                "--shots",
                "2000",
                "--seed",
                "1",
                "--out",
                str(rec),
            ]
        )
        == 0
    )
    data = json.loads(rec.read_text())
    assert data["job_ids"] and data["source"]["problem"] == "h2-2q" and "standard_error" in data
    capsys.readouterr()
    assert main(["submit", "--run", str(tmp_path / "run"), "--backend", "ibm_brisbane"]) == 2
    err = capsys.readouterr().err
    assert "QISKIT_IBM_TOKEN" in err and "Traceback" not in err
    assert main(["verify", "--run", str(tmp_path), "--backend", "fake_manila"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crlqas: error: no best-circuit records") and "Traceback" not in err
    assert main(["verify", "--run", str(tmp_path / "run"), "--backend", "fake_manila", "--layout", "0,x"]) == 2
    assert "--layout must be comma-separated qubit indices" in capsys.readouterr().err
