"""Atomic file writes (public: every layer writes results through these): nothing a user produced is
left half-written.

The data goes to a temporary file in the destination's directory, is flushed to disk, and then
replaces the destination with ``os.replace`` (atomic on POSIX and Windows), so a crash leaves either
the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (parent directories created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_json(path, data, *, indent: int = 1, default=None) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (NaN and inf are written as JSON extensions)."""
    return atomic_write_text(path, json.dumps(data, indent=indent, default=default) + "\n")
