"""Files a user gives and files we write: one place for reading, checking and atomic writing.

Reading (:func:`read_text`, :func:`read_json`, :func:`read_toml`): every file a user passes is read
here, so that a missing file, a directory, bytes that are not UTF-8 text, or text that is not the
expected format raise :class:`~crlqas.qnoise.errors.InputFileError` naming the file and what was
expected (``what``: "OpenQASM file", "Hamiltonian JSON file", ...), never a ``UnicodeDecodeError``
or ``JSONDecodeError`` traceback.

Writing (:func:`atomic_write_text`, :func:`atomic_write_bytes`, :func:`atomic_write_json`): the data
goes to a temporary file in the destination's directory, is flushed to disk, and then replaces the
destination with ``os.replace`` (atomic on POSIX and Windows), so a crash leaves either the old file
or the new one: nothing a user produced is left half-written.

Output paths are checked before any work (:func:`check_output_path`): a parent that is a file, a
path that is a directory, or a place we cannot write raise
:class:`~crlqas.qnoise.errors.OutputPathError` up front.

What we write is plain data: :func:`plain_data` (and :func:`plain_fields` for a dataclass's
``to_dict``) turns tuples, NumPy values and objects with ``to_dict`` into JSON-ready lists, numbers
and dicts.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

from .errors import InputFileError, OutputPathError


def read_text(path, what: str = "file") -> str:
    """The UTF-8 text of ``path``; :class:`InputFileError` if it cannot be read or is not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{what} {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise InputFileError(f"{what} {str(path)!r} is a directory; expected a file") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{what} {str(path)!r} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start}); expected a text file"
        ) from None


def read_json(path, what: str = "JSON file"):
    """The parsed JSON of ``path``; :class:`InputFileError` for unreadable or malformed files."""
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{what} {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def read_json_object(path, what: str = "JSON file") -> dict:
    """Like :func:`read_json`, and the top level must be a JSON object."""
    data = read_json(path, what)
    if not isinstance(data, dict):
        raise InputFileError(f"{what} {str(path)!r} must hold a JSON object ({{...}}); got a {type(data).__name__}")
    return data


def read_toml(path, what: str = "TOML file") -> dict:
    """The parsed TOML of ``path``; :class:`InputFileError` for unreadable or malformed files."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        from .errors import require

        tomllib = require("tomli", "rl")
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{what} {str(path)!r} is not valid TOML: {exc}") from None


def check_output_path(path, what: str = "output file") -> Path:
    """Fail early if ``path`` cannot receive a file: it is a directory, an ancestor is a file, or the
    place is not writable.  Creates nothing."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {str(path)!r} is a directory; give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputPathError(f"cannot write {what} {str(path)!r}: the file is not writable")
    _check_creatable(path.parent, path, what)
    return path


def check_output_dir(path, what: str = "output directory") -> Path:
    """Fail early if ``path`` cannot be (or become) a writable directory.  Creates nothing."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{what} {str(path)!r} is a file; give a directory")
    _check_creatable(path, path, what)
    return path


def _check_creatable(directory: Path, target: Path, what: str) -> None:
    """``directory`` exists and is writable, or can be created under its nearest existing ancestor."""
    probe = directory
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputPathError(f"cannot write {what} {str(target)!r}: {str(probe)!r} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {what} {str(target)!r}: directory {str(probe)!r} is not writable")


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8, newlines as given; parent directories created)."""
    return _atomic_write(path, text.encode("utf-8"))


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (parent directories created): a PNG, an archive."""
    return _atomic_write(path, bytes(data))


def _atomic_write(path, data: bytes) -> Path:
    """Write ``data`` to a temporary file next to ``path``, flush it to disk, then ``os.replace``.
    The file gets the permissions of the one it replaces, else those ``open(path, "w")`` gives (the
    temporary file's own are owner-only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = _new_file_mode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _new_file_mode() -> int:
    """``0o666`` less the process's umask: the permissions of a file ``open(path, "w")`` creates."""
    mask = os.umask(0o022)  # reading the umask means setting it; put back at once
    os.umask(mask)
    return 0o666 & ~mask


def json_default(value):
    """``json.dumps``' ``default`` for what results hold besides plain data: NumPy arrays and
    scalars become lists and numbers; anything else is a ``TypeError`` naming its type."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def atomic_write_json(path, data, *, indent: int = 1, default=json_default) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (NumPy values as numbers, NaN and inf as JSON
    extensions; ``default`` handles other types, see :func:`json_default`)."""
    return atomic_write_text(path, json.dumps(data, indent=indent, default=default) + "\n")


def plain_data(value):
    """``value`` as JSON-ready plain data, recursively: an object with ``to_dict()`` becomes that
    dict, a dict a dict with string keys, a tuple or list a list, a NumPy array or scalar its
    ``tolist()``; anything else is returned as it is."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return value.tolist()
    return value


def plain_fields(obj) -> dict:
    """``{name: plain_data(value)}`` of a dataclass's fields (those named ``_...`` left out): what
    its ``to_dict`` writes."""
    return {f.name: plain_data(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not f.name.startswith("_")}
