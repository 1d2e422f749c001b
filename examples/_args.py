"""The command line of the examples: each example's ``Args`` dataclass, one option per field.

Used only when an example runs as a script (``python examples/NAME.py --help``), where this
folder is on ``sys.path``; importing an example and calling ``main(Args(...))`` does not need it.
"""

from __future__ import annotations

import argparse


def parse_args(args_class, description: str):
    """An ``args_class`` instance from the command line: ``--field`` per field (``--field-name`` or
    ``--field_name`` for a ``field_name``), parsed with the type of its default (``int`` for ``None``)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in vars(args_class()).items():
        flags = dict.fromkeys((f"--{name.replace('_', '-')}", f"--{name}"))
        parser.add_argument(*flags, dest=name, type=int if default is None else type(default), default=default)
    return args_class(**vars(parser.parse_args()))
