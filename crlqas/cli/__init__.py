"""The ``crlqas`` command line.

``crlqas <command> [...]``; ``crlqas --help`` lists the commands.  The whole command line lives in
this package, one module per command group, each with a ``register(subparsers)`` function listed
in :data:`COMMANDS`:

* :mod:`crlqas.cli.bench`: ``bench simulator``, ``bench env``;
* :mod:`crlqas.cli.problems`: ``problems list|show``;
* :mod:`crlqas.cli.noise`: ``noise list|show``, ``energy``;
* :mod:`crlqas.cli.ibm`: ``verify``, ``submit``;
* :mod:`crlqas.cli.vqe`: ``vqe``, ``optimizers``;
* :mod:`crlqas.cli.train`: ``train``, ``report``;
* :mod:`crlqas.cli.classify`: ``classify``;
* :mod:`crlqas.cli.experiment`: ``experiment run|table|status|suites``;
* :mod:`crlqas.cli.baseline`: ``baseline adapt|hea|random|floor``;

and :mod:`crlqas.cli.args`, the argument types and helpers they share.  A leaf command is declared
by :func:`~crlqas.cli.args.add_command`: its handler ``function(args) -> int``, whose docstring is
the command's help and description, and a table of options.  These modules import nothing heavy (no numpy, numba, torch,
qiskit, nor the ``crlqas.qnoise/envs/agents`` packages) at import time: handlers import what they
need when they run, so building the parser and ``crlqas --help`` are instant.

Errors a user can cause (:class:`qnoise.errors.CrlqasError`) are printed as
``crlqas: error: <message>`` on stderr with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: modules of this package with a ``register(subparsers)`` function, in help order
COMMANDS = ("bench", "problems", "noise", "ibm", "vqe", "train", "classify", "experiment", "baseline")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crlqas",
        description="Noise-aware quantum architecture search: train RL agents that design short "
        "circuits under device noise, run VQE on simulated noisy hardware (qnoise), and "
        "verify or submit circuits on IBM devices.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(subparsers)
    return parser


def _version() -> str:
    from crlqas import __version__

    return __version__


def main(argv=None) -> int:
    """Run ``crlqas`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from crlqas.qnoise.errors import CrlqasError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (argparse prints them)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except CrlqasError as exc:
        print(f"crlqas: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like (before OSError, its base)
        _silence_stdout()
        return 0
    except OSError as exc:  # the machine, not the input: a full disk, a vanished file, ...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"crlqas: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crlqas: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at devnull, so the interpreter's final flush of the closed pipe is silent."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
