"""Progress reports of the baselines: to a callable, as one text line on stderr, or nowhere.

``progress`` (the argument of :func:`~qnoise.baselines.run_baseline` and
``crlqas.envs.random_search.random_search``) is ``None``/``False`` (silent), ``True`` (a text line on
stderr, rewritten in place with ``\\r``, ended with a newline when the method finishes), or a
callable that receives a dict ``{"method", "done", "total", ...}`` after each unit of work (an
ADAPT iteration, an ansatz, an episode); ``total`` is ``None`` when the number of units is not
known in advance.
"""

from __future__ import annotations

import sys

from ..errors import ValidationError


class Progress:
    """One method's progress reporter (module docstring)."""

    def __init__(self, progress, method: str, total: int | None = None, stream=None):
        if not (progress is None or isinstance(progress, bool) or callable(progress)):
            raise ValidationError(f"progress must be None, True/False or a callable; got {type(progress).__name__}")
        self.method, self.total = method, total
        self._callback = progress if callable(progress) and not isinstance(progress, bool) else None
        self._stream = (stream or sys.stderr) if progress is True else None
        self._width = 0

    def update(self, done: int, **fields) -> None:
        """Report that ``done`` units are finished; ``fields`` are shown as ``key=value``."""
        if self._callback is not None:
            self._callback({"method": self.method, "done": int(done), "total": self.total, **fields})
        if self._stream is not None:
            count = f"{done}/{self.total}" if self.total else str(done)
            text = f"{self.method} {count}  " + "  ".join(f"{k}={_fmt(v)}" for k, v in fields.items())
            self._stream.write("\r" + text.ljust(self._width))
            self._stream.flush()
            self._width = len(text)

    def close(self) -> None:
        """End the text line (once)."""
        if self._stream is not None and self._width:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-2 or abs(value) >= 1e4 else f"{value:.4f}"
    return str(value)


__all__ = ["Progress"]
