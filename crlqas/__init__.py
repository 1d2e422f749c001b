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

Importing :mod:`crlqas` loads only the light, lazy ``crlqas.qnoise`` package; ``crlqas.envs``,
``crlqas.agents`` and ``crlqas.cli`` load on first attribute access.
"""

from __future__ import annotations

from .qnoise.lazy import attach

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = attach(__name__, submodules=("qnoise", "envs", "agents", "cli"), eager=("__version__",))
