"""Argument types and helpers shared by the ``crlqas`` commands, written once.

* argparse types: :func:`positive_int`, :func:`nonnegative_int` (both accept ``1e7``),
  :func:`positive_float`, :func:`seed_list` (``100,101,102``), :func:`key_value` (``KEY=VALUE``),
  :func:`output_file` (every file a command writes: checked at parse time, before any work);
* :func:`save_output`: writing a result after the work, with a clear error (result printed) if
  the file still cannot be written;
* declaring commands: :func:`add_command` (a leaf command: its parser, handler and options),
  :func:`command_group` (a command with subcommands: ``crlqas bench simulator``, ...); options
  are data, :func:`option` (one ``add_argument`` call) and :func:`one_of` (mutually exclusive
  options), and the options several commands share are written once: :func:`json_option`,
  :func:`which_option` (``--which KIND``: which of a run's best circuits);
* parsers applied by handlers, which raise :class:`crlqas.qnoise.errors.CrlqasError` subclasses
  (printed as ``crlqas: error: ...``): :func:`layout` (``--layout Q0,Q1,...|best``),
  :func:`float_list` (``--params V1,V2,...``).

Nothing here imports numpy or any of the crlqas layers at import time: ``crlqas --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from typing import NamedTuple


# ---------------------------------------------------------------------- argparse types
def _number(text: str, kind: str, convert, ok) -> float:
    try:
        v = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}; got {text!r}") from None
    if not ok(v):
        raise argparse.ArgumentTypeError(f"expected {kind}; got {text!r}")
    return v


def _int(text: str) -> int:
    """An integer, also written like ``1e7``."""
    value = float(text) if "e" in text.lower() else int(text)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(text)
    return int(value)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (``1e7`` accepted)."""
    return _number(text, "a positive integer", _int, lambda v: v >= 1)


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _number(text, "a non-negative integer", _int, lambda v: v >= 0)


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return _number(text, "a positive number", float, lambda v: 0 < v < float("inf"))


def output_file(text: str) -> str:
    """argparse type: a file the command will write, checked before any work starts (its place
    exists or can be made, is writable, and the path is not a directory)."""
    from crlqas.qnoise.errors import OutputPathError
    from crlqas.qnoise.fileio import check_output_path

    try:
        check_output_path(text)
    except OutputPathError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def save_output(path: str, write, what: str = "result") -> None:
    """``write(path)`` after the work is done and its result printed; if the file still cannot be
    written, the error says where it could not go and that the result is printed above."""
    from crlqas.qnoise.errors import OutputPathError

    try:
        write(path)
    except OSError as exc:
        raise OutputPathError(
            f"could not write the {what} to {path!r} ({exc.strerror or exc}); it is printed above"
        ) from None


def seed_list(text: str) -> list[int]:
    """argparse type: distinct non-negative integers separated by commas (``100,101,102``)."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 100,101,102; got {text!r}"
        ) from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct non-negative seeds; got {text!r}")
    return seeds


def key_value(text: str) -> tuple[str, object]:
    """argparse type: ``KEY=VALUE`` -> ``(key, value)``; the value is parsed as JSON when it is
    JSON (``0.1``, ``true``, ``[1, 2]``), else kept as text; ``-`` in the key becomes ``_``."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE; got {text!r}")
    key, value = text.split("=", 1)
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


# ---------------------------------------------------------------------- declaring commands
class Option(NamedTuple):
    """One ``parser.add_argument(*flags, **kwargs)`` call, as data; see :func:`option`."""

    flags: tuple[str, ...]
    kwargs: dict


class OneOf(NamedTuple):
    """Options of which at most one may be given (exactly one if ``required``); see :func:`one_of`."""

    options: tuple[Option, ...]
    required: bool = False


def option(*flags: str, **kwargs) -> Option:
    """An option (or positional argument) of :func:`add_command`: ``add_argument``'s arguments."""
    return Option(flags, kwargs)


def one_of(*options: Option, required: bool = False) -> OneOf:
    """A mutually exclusive group of :func:`option` entries, for :func:`add_command`."""
    return OneOf(options, required)


def optimizer_options(help: str) -> Option:
    """``--option KEY=VALUE`` (repeatable): optimizer options, collected as ``(key, value)`` pairs."""
    return option("--option", action="append", type=key_value, default=[], metavar="KEY=VALUE", help=help)


def json_option(help: str = "print JSON") -> Option:
    """``--json``: print the command's result as JSON instead of text."""
    return option("--json", action="store_true", help=help)


#: the kinds of best circuit a training run records, ``--which`` choices: the names of
#: ``crlqas.agents.runlog.CIRCUIT_KINDS`` (not imported here, to keep ``crlqas --help`` fast; a test
#: checks that they agree)
CIRCUIT_KINDS = ("greedy", "shortest-accurate", "first-accurate", "lowest-energy")


def which_option() -> Option:
    """``--which KIND``: which of a training run's best circuits a command uses (``crlqas report``,
    ``verify --run``, ``submit --run``); ``None`` when not given: the default rule of
    ``crlqas.agents.runlog.default_kind``, also the circuit ``crlqas train`` prints."""
    return option(
        "--which",
        choices=CIRCUIT_KINDS,
        metavar="KIND",
        help="which of the run's best circuits (each record names its kind and episode): greedy (the "
        "shortest chemically accurate circuit the trained policy built in a greedy evaluation), "
        "shortest-accurate, first-accurate (chemically accurate circuits seen in training) or "
        "lowest-energy (seen in training); default: greedy when greedy evaluations built a chemically "
        "accurate circuit, else shortest-accurate, else lowest-energy (the circuit 'crlqas train' "
        "prints)",
    )


def add_options(parser, options) -> None:
    """Add ``options`` (:func:`option` and :func:`one_of` entries) to ``parser``, in order."""
    for spec in options:
        if isinstance(spec, OneOf):
            add_options(parser.add_mutually_exclusive_group(required=spec.required), spec.options)
        else:
            parser.add_argument(*spec.flags, **spec.kwargs)


def add_command(subparsers, name: str, handler, options=()):
    """Add leaf command ``name``, which runs ``handler(args) -> int``, with ``options``; returns its
    parser.

    The command's texts are ``handler``'s docstring: its first line is the one-line ``help`` that
    the parent command's ``--help`` lists, the paragraphs after the blank line are the
    ``description`` heading the command's own ``--help``, both as one line (argparse wraps them).
    """
    help, _, description = (handler.__doc__ or "").partition("\n\n")
    parser = subparsers.add_parser(name, help=_one_line(help), description=_one_line(description) or None)
    add_options(parser, options)
    parser.set_defaults(handler=handler)
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def command_group(subparsers, name: str, help: str):
    """Add command ``name`` with subcommands; returns its sub-subparsers (:func:`add_command` them).

    ``crlqas NAME`` alone prints the group's help and exits with status 2.  Each group is built
    once, by the one module that owns it (e.g. :mod:`crlqas.cli.bench` adds both ``bench``
    subcommands).
    """
    parser = subparsers.add_parser(name, help=help, description=help)
    parser.set_defaults(handler=lambda args, p=parser: usage(p))
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def usage(parser: argparse.ArgumentParser) -> int:
    """Print ``parser``'s help; exit status 2 (a command group given without its subcommand)."""
    parser.print_help()
    return 2


# ---------------------------------------------------------------------- values parsed by handlers
def layout(text: str | None):
    """``--layout``: ``None`` (not given), ``"best"``, or a list of physical qubit indices from
    ``"Q0,Q1,..."``; raises :class:`~crlqas.qnoise.errors.QubitError` otherwise."""
    if text is None or text == "best":
        return text
    from crlqas.qnoise.errors import QubitError

    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise QubitError(f"--layout must be comma-separated qubit indices or 'best'; got {text!r}") from None


def float_list(text: str | None, what: str = "--params") -> list[float] | None:
    """``"v1,v2,..."`` as floats (``None`` stays ``None``); raises
    :class:`~crlqas.qnoise.errors.ParameterError` naming ``what`` otherwise."""
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        from crlqas.qnoise.errors import ParameterError

        raise ParameterError(f"{what} must be comma-separated numbers; got {text!r}") from None
