"""Lazy attributes for package ``__init__`` files (one implementation for every crlqas package).

Importing a crlqas package is fast because its names load on first use: the package declares which
submodule defines each public name, and :func:`attach` returns the module-level ``__getattr__``,
``__dir__`` and ``__all__`` (PEP 562) that import that submodule when the name is first read::

    from crlqas.qnoise.lazy import attach

    __getattr__, __dir__, __all__ = attach(__name__, {"Circuit": "circuit"}, submodules={"paulis"})

``names`` maps a public name to the submodule (relative to the package) that defines it;
``submodules`` lists submodules reachable as attributes; ``eager`` lists names the package itself
defines (they appear in ``__all__`` and ``dir()``).  Python caches nothing here: a loaded name is
looked up in its submodule each time, which is as cheap as an attribute access.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping


def attach(
    package: str, names: Mapping[str, str] | None = None, submodules: Iterable[str] = (), eager: Iterable[str] = ()
) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package`` (pass the package's ``__name__``)."""
    names = dict(names or {})
    submodules = frozenset(submodules)
    public = sorted({*names, *submodules, *eager})

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(f".{names[name]}", package), name)
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return list(public)

    return __getattr__, __dir__, list(public)
