"""``crlqas submit``: run a circuit's energy estimation on an IBM device (or a fake one, locally).

:func:`submit` transpiles with Qiskit's preset pass manager (:mod:`qnoise.ibm.isa`), maps the
Hamiltonian with ``SparsePauliOp.apply_layout`` and runs the pub ``(isa_circuit, observable,
parameter_values)`` with ``qiskit_ibm_runtime.executor_estimator.Estimator`` (the client-side
Estimator built on the Executor; the server-side ``EstimatorV2`` is deprecated).

* Backends: ``fake_*`` names are fake backends of ``qiskit_ibm_runtime.fake_provider`` and run in
  local testing mode (Aer with the backend's noise model, offline).  The local Estimator measures
  every qubit of the circuit, so a fake backend wider than 20 qubits runs the ISA circuit on its
  active qubits only, on an ``AerSimulator`` carrying the backend's noise on those qubits (record
  key ``local_simulated_qubits``).  Other names (``ibm_*``) are
  looked up with ``QiskitRuntimeService(channel="ibm_quantum_platform")``.  Credentials come from
  the environment (``QISKIT_IBM_TOKEN``, optional ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_URL``) or
  the account saved with ``QiskitRuntimeService.save_account`` (``~/.qiskit/qiskit-ibm.json``);
  :func:`check_credentials` raises :class:`CredentialsError` *before* any network call.
* ``mode``: ``"job"`` (Estimator on the backend), ``"batch"`` or ``"session"`` (the Estimator runs
  inside ``Batch``/``Session``; both also work on fake backends).
* ``mitigation``: ``"none"`` (resilience level 0), ``"readout"`` (TREX measurement mitigation with
  measurement twirling, level 1), ``"zne"`` (level 2: TREX plus gate-folding ZNE).
* Shots: ``shots`` sets ``default_shots``; otherwise ``precision`` (default 1/64: 4096 shots).
* ``dry_run``: everything up to the submission (an IBM device is still looked up, to transpile).
* Transient failures (connection errors, HTTP 429/5xx) are retried ``retries`` times with
  exponential backoff; ``timeout`` bounds the wait for the result (:class:`JobTimeoutError`);
  a failed or cancelled job raises :class:`JobFailedError` with the service's message.
* Secrets: the token is never read into a record, a log line or a message of ours; text that comes
  from the service is passed through :func:`redact`.

The record (``format: crlqas-ibm-submit/1``) holds the backend, its calibration date, the layouts,
the transpiled circuit (OpenQASM 3, parameters as inputs, and their values), job and session ids,
options, ``energy`` and ``standard_error`` (Estimator ``evs``/``stds``), the noiseless energy, E0,
and ``expected_energy``: Aer's exact noisy expectation of what was sampled
(:func:`qnoise.ibm.verify.aer_measured_energy`; computed when at most ``max_expected_qubits``
qubits are active).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import time
import warnings
from pathlib import Path

from ..errors import ValidationError, require
from .errors import CredentialsError, JobFailedError, JobTimeoutError, ServiceError, UnknownBackendError

FORMAT = "crlqas-ibm-submit/1"
CHANNEL = "ibm_quantum_platform"
TOKEN_ENV = "QISKIT_IBM_TOKEN"
MODES = ("job", "batch", "session")
MITIGATION = {"none": 0, "readout": 1, "zne": 2}
TRANSIENT_STATUS = (408, 429, 500, 502, 503, 504)
log = logging.getLogger(__name__)


def account_file() -> Path:
    return Path(os.path.expanduser("~")) / ".qiskit" / "qiskit-ibm.json"


def _saved_accounts(path: Path | None = None) -> dict:
    path = path or account_file()
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def check_credentials(path: Path | None = None) -> str:
    """``"environment"`` or ``"saved account"``; :class:`CredentialsError` when neither exists."""
    if os.environ.get(TOKEN_ENV, "").strip():
        return "environment"
    if any(isinstance(a, dict) and a.get("token") for a in _saved_accounts(path).values()):
        return "saved account"
    raise CredentialsError(
        f"no IBM Quantum credentials: set {TOKEN_ENV} (and QISKIT_IBM_INSTANCE for a specific instance) "
        f"or save an account once with QiskitRuntimeService.save_account(channel='{CHANNEL}', token=..., "
        f"instance=...). Fake backends (fake_manila, fake_sherbrooke, ...) run locally without an account"
    )


def redact(text) -> str:
    """``text`` with every known token (environment, saved accounts), of any length, replaced by
    ``<redacted>`` (longest first, so a token containing another is removed whole)."""
    text = str(text)
    secrets = [os.environ.get(TOKEN_ENV, "")]
    secrets += [a.get("token", "") for a in _saved_accounts().values() if isinstance(a, dict)]
    for s in sorted({s.strip() for s in secrets if isinstance(s, str) and s.strip()}, key=len, reverse=True):
        text = text.replace(s, "<redacted>")
    return text


def is_transient(exc: BaseException) -> bool:
    """Connection problems and HTTP 408/429/5xx answers are worth retrying."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status in TRANSIENT_STATUS:
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import requests

        return isinstance(exc, (requests.ConnectionError, requests.Timeout))
    except ImportError:  # pragma: no cover
        return False


def with_retries(fn, what: str, retries: int = 3, backoff: float = 2.0, sleep=time.sleep):
    """``fn()`` retried on transient errors (``backoff * 2**attempt`` seconds apart)."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except Exception as exc:
            if isinstance(exc, (CredentialsError, ValidationError)):
                raise
            if not is_transient(exc) or attempt == retries:
                kind = "failed" if not is_transient(exc) else f"failed after {retries + 1} attempts"
                raise ServiceError(f"{what} {kind}: {type(exc).__name__}: {redact(exc)}") from None
            delay = backoff * 2**attempt
            log.warning("%s: transient error (%s); retrying in %.0f s", what, type(exc).__name__, delay)
            sleep(delay)


def is_fake(name: str) -> bool:
    return isinstance(name, str) and name.lower().startswith("fake")


def get_backend(name, service=None, retries: int = 3):
    """``(backend, service)``: a fake backend (service None), or an IBM device through the service."""
    require("qiskit_ibm_runtime", "qiskit")
    from ..devices.calibration import resolve_backend

    if not isinstance(name, str):
        return name, service
    if is_fake(name):
        return resolve_backend(name), None
    if not name.startswith("ibm"):
        try:
            hint = f" Did you mean {resolve_backend('fake_' + name).name!r} (local, offline)?"
        except ValidationError:
            hint = ""
        raise UnknownBackendError(
            f"unknown backend {name!r}: IBM devices are named ibm_<name> (e.g. "
            f"ibm_brisbane) and fake backends fake_<name> (e.g. fake_manila).{hint}"
        )
    if service is None:
        check_credentials()
        from qiskit_ibm_runtime import QiskitRuntimeService

        service = with_retries(lambda: QiskitRuntimeService(channel=CHANNEL), "connecting to IBM Quantum", retries)
    try:
        return with_retries(lambda: service.backend(name), f"looking up backend {name!r}", retries), service
    except ServiceError as exc:
        if "NotFound" in str(exc) or "not found" in str(exc).lower():
            raise UnknownBackendError(f"backend {name!r} is not available to this account: {exc}") from None
        raise


def estimator_options(mitigation: str, shots=None, precision=None, seed=None, local=False) -> dict:
    if mitigation not in MITIGATION:
        raise ValidationError(f"mitigation must be one of {', '.join(MITIGATION)}; got {mitigation!r}")
    opts: dict = {"resilience_level": MITIGATION[mitigation]}
    if shots is not None:
        if int(shots) < 1:
            raise ValidationError(f"shots must be positive; got {shots}")
        opts["default_shots"] = int(shots)
    elif precision is not None:
        if not precision > 0:
            raise ValidationError(f"precision must be positive; got {precision}")
        opts["default_precision"] = float(precision)
    if local and seed is not None:
        opts["simulator"] = {"seed_simulator": int(seed)}
    return opts


def _result(job, timeout):
    params = inspect.signature(job.result).parameters
    return job.result(timeout=timeout) if "timeout" in params else job.result()


def run_estimator(backend, pub, options: dict, mode: str = "job", timeout=None, retries: int = 3) -> dict:
    """Run one pub; ``{"job_id", "session_id", "evs", "stds", "ensemble_standard_error", "metadata"}``."""
    require("qiskit_ibm_runtime", "qiskit")
    from qiskit_ibm_runtime import Batch, Session
    from qiskit_ibm_runtime.executor_estimator import Estimator

    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")

    def go(target, session_id=None):
        est = Estimator(mode=target, options=options)
        job = with_retries(lambda: est.run([pub]), "submitting the job", retries)
        job_id = job.job_id()
        log.info("submitted job %s", job_id)
        try:
            res = _result(job, timeout)
        except Exception as exc:
            msg = redact(exc)
            if "Timeout" in type(exc).__name__:
                raise JobTimeoutError(
                    f"job {job_id} did not finish within {timeout} s; it may still run: "
                    f"retrieve it later with QiskitRuntimeService().job('{job_id}')",
                    job_id,
                ) from None
            raise JobFailedError(f"job {job_id} failed: {type(exc).__name__}: {msg}", job_id) from None
        data = res[0].data
        out = {
            "job_id": job_id,
            "session_id": session_id,
            "evs": float(data.evs),
            "stds": float(data.stds),
            "metadata": {k: v for k, v in res.metadata.items() if k in ("shots", "target_precision")},
        }
        for key in ("ensemble_standard_error", "evs_noise_factors", "stds_noise_factors"):
            if hasattr(data, key):
                out[key] = getattr(data, key).tolist() if hasattr(getattr(data, key), "tolist") else getattr(data, key)
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if mode == "job":
            return go(backend)
        ctx = Batch if mode == "batch" else Session
        with ctx(backend=backend) as m:
            return go(m, getattr(m, "session_id", None))
