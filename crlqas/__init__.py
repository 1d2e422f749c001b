"""crlqas: noise-aware quantum architecture search (QAS) and variational quantum eigensolvers.

One import package with three layers, each importing only the ones before it:

* :mod:`crlqas.qnoise`: the exact noisy Pauli-transfer-matrix simulator, channels, device noise
  models, problems, optimizers, VQE and the Qiskit bridge (numpy, numba, scipy; Qiskit lazily);
* :mod:`crlqas.envs`: the Gymnasium QAS environment, masks and curriculum (adds gymnasium);
* :mod:`crlqas.agents`: RL agents on stable-baselines3, training, run directories, reports (adds
  stable-baselines3 and torch);

and :mod:`crlqas.cli`, the ``crlqas`` command line on top of them.  In the source tree the three
layers are the top-level folders ``qnoise/``, ``envs/`` and ``agents/``; ``pyproject.toml`` maps
them to ``crlqas.qnoise``, ``crlqas.envs`` and ``crlqas.agents``.

Importing :mod:`crlqas` imports none of the layers; ``crlqas.qnoise`` and the others load on first
attribute access.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAYERS = ("qnoise", "envs", "agents", "cli")
__all__ = ["__version__", *_LAYERS]


def __getattr__(name: str):
    if name in _LAYERS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
