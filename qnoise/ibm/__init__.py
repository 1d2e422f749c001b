"""Take a circuit to Qiskit and IBM hardware: Aer verification and device submission.

Needs the ``qiskit`` extra (``pip install 'crlqas[qiskit]'``: qiskit, qiskit-aer,
qiskit-ibm-runtime); everything is imported lazily.

* :mod:`qnoise.ibm.source`: ``CircuitSource`` (a circuit, its parameter values, its origin) and
  ``from_qasm``; the best circuit of a training run is read by ``crlqas.agents.runlog``.
* :mod:`qnoise.ibm.isa`: transpilation to a backend's ISA with the observable mapped by its layout.
* :mod:`qnoise.ibm.verify`: ``verify(...)``: Aer (``NoiseModel.from_backend``) and qnoise energies.
* :mod:`qnoise.ibm.runtime` / :mod:`qnoise.ibm.submit`: ``submit(...)`` with the executor-based
  ``qiskit_ibm_runtime.executor_estimator.Estimator``; credentials, retries, timeouts, records.
* :mod:`qnoise.ibm.errors`: ``CredentialsError``, ``CircuitTooWideError``, ``ServiceError``,
  ``JobFailedError``, ``JobTimeoutError``, ``UnknownBackendError``.

Command line: ``crlqas verify`` and ``crlqas submit`` (:mod:`crlqas.cli.ibm`).
"""

from __future__ import annotations

from ..lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "from_qasm": "source",
        "CircuitSource": "source",
        "transpile_isa": "isa",
        "IsaCircuit": "isa",
        "verify": "verify",
        "submit": "submit",
        "write_record": "submit",
        "check_credentials": "runtime",
        "get_backend": "runtime",
        "redact": "runtime",
        "CredentialsError": "errors",
        "CircuitTooWideError": "errors",
        "JobFailedError": "errors",
        "JobTimeoutError": "errors",
        "ServiceError": "errors",
        "UnknownBackendError": "errors",
    },
)
