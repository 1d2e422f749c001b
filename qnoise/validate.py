"""One way to check what users pass: integers that index things, and arrays of real numbers.

Every public entry point of qnoise checks its arguments through these, so the same bad value gets
the same clear error everywhere, never a silent truncation (``int(1.7) == 1``) or a NaN result:

* :func:`index` / :func:`qubits`: an integer (``int`` or a NumPy integer; not ``bool``, not a
  float, even an integral one) in a range; a sequence of distinct ones.
* :func:`real_array`: numbers convertible to float64 (not complex, not strings), of a given number
  of dimensions, all finite.

Each takes the error class to raise (:class:`~crlqas.qnoise.errors.QubitError` for qubits,
:class:`~crlqas.qnoise.errors.ParameterError` for parameters, ...) and names what was given.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ValidationError


def index(value, what: str, *, low: int = 0, high: int | None = None, error=ValidationError) -> int:
    """``value`` as an ``int`` in ``low <= value < high`` (``high=None``: no upper bound)."""
    v = _integer(value, what, error)
    if v < low or (high is not None and v >= high):
        raise error(f"{what} {v} is out of range (allowed {_range(low, high)})")
    return v


def qubits(values, what: str, *, num_qubits: int | None = None, error=ValidationError) -> tuple[int, ...]:
    """A non-empty sequence of distinct qubit indices in ``0..num_qubits-1`` (``None``: any)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise error(f"qubits of {what} must be a sequence of integers; got {values!r}")
    qs = tuple(_integer(q, f"qubit {q!r} of {what}", error) for q in values)
    for q in qs:
        if q < 0 or (num_qubits is not None and q >= num_qubits):
            raise error(f"qubit {q} of {what} is out of range (allowed {_range(0, num_qubits)})")
    if not qs:
        raise error(f"{what} must name at least one qubit; got {values!r}")
    if len(set(qs)) != len(qs):
        raise error(f"{what} got duplicate qubits {qs}")
    return qs


def _integer(value, what: str, error) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise error(f"{what} must be an integer; got {value!r} ({type(value).__name__})")
    return int(value)


def _range(low: int, high: int | None) -> str:
    return f"{low}..{high - 1}" if high is not None else f">= {low}"


def real_array(values, what: str, *, ndim: int | None = None, error=ValidationError) -> np.ndarray:
    """``values`` as a float64 array (a new array only when needed) with ``ndim`` dimensions,
    every entry finite."""
    arr = np.asarray(values)
    if arr.dtype.kind == "O" and not all(
        isinstance(v, (numbers.Real, np.floating, np.integer)) and not isinstance(v, bool) for v in arr.flat
    ):
        raise error(f"{what} must be real numbers; got {_short(values)}")
    if arr.dtype.kind not in "biufO":
        if arr.dtype.kind == "c":
            raise error(f"{what} must be real numbers; got complex values")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise error(f"{what} must be real numbers; got {_short(values)}") from None
    arr = np.asarray(arr, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise error(f"{what} must have {ndim} dimension(s); got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[:5]
        where = [tuple(int(i) for i in b) if arr.ndim > 1 else int(b[0]) for b in bad]
        raise error(f"{what} must be finite; got NaN or infinity at index {', '.join(map(str, where))}")
    return arr


def _short(values) -> str:
    text = repr(values)
    return text if len(text) <= 80 else text[:77] + "..."
