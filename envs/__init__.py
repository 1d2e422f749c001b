"""Gymnasium environments for quantum architecture search (CRLQAS).

Importing ``envs`` registers the env ids below with Gymnasium, without importing anything heavy
itself (the CLI imports ``envs._cli``): when Gymnasium is already loaded the ids are registered at
once, otherwise right after Gymnasium's own import (a one-shot import hook). The env module, qnoise
and Numba load only when an env is made. ``envs.register_envs()`` registers explicitly::

    import gymnasium as gym, envs
    env = gym.make("crlqas/QAS-v0", problem="lih-4q-3.4", noise="depol-1e-3", shots=10**7)

Ids (keyword arguments of ``gym.make`` override the variant's settings, see
:class:`envs.config.QASConfig`):

* ``crlqas/QAS-v0``: the configurable env (default: H2 2 qubits, noiseless, COBYLA, L = 40).
* ``crlqas/QAS-H2-2q-v0``, ``crlqas/QAS-H2-3q-v0``: noiseless H2 (COBYLA, 300 evaluations/step).
* ``crlqas/QAS-LiH-4q-v0``: noiseless LiH 4 qubits (3.4 A), COBYLA, 500 evaluations/step.
* ``crlqas/QAS-LiH-4q-noisy-v0``: the paper's noisy LiH-4q setting: 1q depolarizing 1e-3,
  1e7 shots (Gaussian model), three-stage Adam-SPSA 1191/357/119, random halting at the mode of
  100 draws of NegBinomial(40, 0.6).
* ``crlqas/QAS-LiH-6q-v0``: noiseless LiH 6 qubits (2.2 A), Adam-SPSA (lih-6q preset), 1000
  evaluations/step.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ENTRY_POINT = "envs.qas_env:QASEnv"

VARIANTS: dict[str, dict] = {
    "crlqas/QAS-v0": {},
    "crlqas/QAS-H2-2q-v0": dict(problem="h2-2q", optimizer="cobyla", optimizer_budget=300),
    "crlqas/QAS-H2-3q-v0": dict(problem="h2-3q", optimizer="cobyla", optimizer_budget=300),
    "crlqas/QAS-LiH-4q-v0": dict(problem="lih-4q-3.4", optimizer="cobyla", optimizer_budget=500),
    "crlqas/QAS-LiH-4q-noisy-v0": dict(
        problem="lih-4q-3.4", noise="depol-1e-3", shots=10**7, optimizer="spsa3", optimizer_budget=1667,
        optimizer_options={"preset": "lih-4q"}, halting="negative-binomial", halting_n=40.0, halting_p=0.6,
        halting_draws=100, halting_clip=(0, 40)),
    "crlqas/QAS-LiH-6q-v0": dict(problem="lih-6q-2.2", optimizer="adam-spsa", optimizer_budget=1000,
                                 optimizer_options={"preset": "lih-6q"}),
}

_LAZY = {"QASEnv": "qas_env", "QASConfig": "config", "MovingThresholdCurriculum": "curriculum",
         "FixedScheduleCurriculum": "curriculum", "CurriculumWrapper": "wrappers",
         "push_threshold": "wrappers"}

__all__ = ["ENTRY_POINT", "VARIANTS", "register_envs", *sorted(_LAZY)]


def register_envs() -> None:
    """Register the ids of :data:`VARIANTS` with Gymnasium (idempotent)."""
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # gymnasium is an optional (rl) dependency
        return
    for env_id, kwargs in VARIANTS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=ENTRY_POINT, kwargs=dict(kwargs), disable_env_checker=False)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'envs' has no attribute {name!r}")


class _RegisterAfterGymnasium(importlib.abc.MetaPathFinder):
    """One-shot import hook: registers the ids right after ``import gymnasium`` completes."""

    def find_spec(self, name, path=None, target=None):
        if name != "gymnasium":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            register_envs()

        loader.exec_module = exec_and_register
        return spec


if "gymnasium" in sys.modules:
    register_envs()
elif not any(isinstance(f, _RegisterAfterGymnasium) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterGymnasium())
