"""Exception types of crlqas.

Every error a user can trigger with bad input is one of these, and its message says what was given
and what is allowed.  They derive from the matching built-in (``ValueError``, ``IndexError``,
``MemoryError``, ``ImportError``) so that generic ``except`` clauses keep working.
"""

from __future__ import annotations


class CrlqasError(Exception):
    """Base class of every error raised by crlqas."""


class ValidationError(CrlqasError, ValueError):
    """A value is outside what is allowed (a probability, a time, a shape, an option)."""


class QubitError(ValidationError, IndexError):
    """A qubit index is out of range, repeated, or the qubit counts of two objects differ."""


class ParameterError(ValidationError):
    """Wrong number of circuit parameters, a non-finite angle, or a bad parameter index."""


class ChannelError(ValidationError):
    """A noise channel is malformed or not completely positive and trace preserving."""


class NoiseModelError(ValidationError):
    """A noise model entry does not fit the gate or the qubits it is attached to."""


class HamiltonianError(ValidationError):
    """A Hamiltonian is not Hermitian, has complex coefficients, or a wrong qubit count."""


class InputFileError(ValidationError):
    """A file a user passed cannot be read, is not UTF-8 text, or is not in the expected format."""


class OutputPathError(ValidationError):
    """A result cannot be written where the user asked (checked before any work starts)."""


class SimulatorMemoryError(CrlqasError, MemoryError):
    """The requested simulation does not fit in the memory limit."""


class MissingDependencyError(CrlqasError, ImportError):
    """An optional dependency is not installed; the message gives the install command."""


def require(module: str, extra: str):
    """Import an optional module or raise :class:`MissingDependencyError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"{module!r} is required for this feature but is not installed; "
            f"install it with: pip install 'crlqas[{extra}]'"
        ) from exc
