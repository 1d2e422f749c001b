"""The ``crlqas`` command line.

``crlqas <command> [...]``; ``crlqas --help`` lists the commands.  Each package contributes its
commands through a ``register(subparsers)`` function listed in :data:`REGISTRARS`; those modules
import nothing heavy (no numba, torch, qiskit) at import time, so the help is instant.

Errors a user can cause (:class:`qnoise.errors.CrlqasError`) are printed as
``crlqas: error: <message>`` on stderr with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: modules with a ``register(subparsers)`` function, in help order
REGISTRARS = ("crlqas.qnoise._cli", "crlqas.qnoise.problems._cli", "crlqas.qnoise.devices._cli", "crlqas.qnoise.ibm._cli", "crlqas.qnoise.optimizers._cli", "crlqas.envs._cli", "crlqas.agents._cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crlqas",
        description="Noise-aware quantum architecture search: train RL agents that design short "
                    "circuits under device noise, run VQE on simulated noisy hardware (qnoise), and "
                    "verify or submit circuits on IBM devices.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in REGISTRARS:
        importlib.import_module(name).register(subparsers)
    return parser


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("crlqas")
    except metadata.PackageNotFoundError:
        return "0.1.0 (not installed)"


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
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("crlqas: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
