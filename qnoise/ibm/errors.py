"""Error types of the IBM bridge (all :class:`qnoise.errors.CrlqasError`, so ``crlqas`` prints them
as ``crlqas: error: ...`` without a traceback).

Messages never contain an API token: they name the environment variables only, and text that comes
back from the service goes through :func:`qnoise.ibm.runtime.redact` first.
"""

from __future__ import annotations

from ..devices.calibration import UnknownBackendError
from ..errors import CrlqasError, QubitError, ValidationError

__all__ = [
    "CircuitTooWideError",
    "CredentialsError",
    "JobFailedError",
    "JobTimeoutError",
    "ServiceError",
    "UnknownBackendError",
    "ValidationError",
]


class CredentialsError(CrlqasError, PermissionError):
    """No IBM Quantum credentials were found (or the service refused them)."""


class CircuitTooWideError(QubitError):
    """The circuit has more qubits than the device (or than the chosen layout)."""


class ServiceError(CrlqasError, ConnectionError):
    """The IBM Quantum service could not be reached or answered with an error (after retries)."""


class JobFailedError(CrlqasError, RuntimeError):
    """A submitted job failed or was cancelled; the message has the job id and the service's reason."""

    def __init__(self, message: str, job_id: str | None = None):
        super().__init__(message)
        self.job_id = job_id


class JobTimeoutError(JobFailedError, TimeoutError):
    """The job did not finish within ``timeout``; it may still run (retrieve it by its job id)."""
