"""Gymnasium environments for quantum architecture search (CRLQAS).

Importing :mod:`crlqas.envs` registers the env ids below with plain ``gymnasium.register`` calls;
the env module, qnoise and Numba load only when an env is made.  In a fresh interpreter Gymnasium's
``"module:id"`` form imports this package and makes the env in one line::

    import gymnasium as gym
    env = gym.make("crlqas.envs:crlqas/QAS-v0", problem="lih-4q-3.4", noise="depol-1e-3", shots=10**7)

Ids (keyword arguments of ``gym.make`` override the variant's settings, see
:class:`crlqas.envs.config.QASConfig`):

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

import gymnasium

from crlqas.qnoise.lazy import attach

ENTRY_POINT = "crlqas.envs.qas_env:QASEnv"

#: the paper's noisy setting: 1q depolarizing 1e-3, 1e7 shots (Gaussian model), three-stage Adam-SPSA
#: with 1191/357/119 evaluations (add the problem's Adam-SPSA preset)
PAPER_NOISY = dict(noise="depol-1e-3", shots=10**7, optimizer="spsa3", optimizer_budget=1667)

VARIANTS: dict[str, dict] = {
    "crlqas/QAS-v0": {},
    "crlqas/QAS-H2-2q-v0": dict(problem="h2-2q", optimizer="cobyla", optimizer_budget=300),
    "crlqas/QAS-H2-3q-v0": dict(problem="h2-3q", optimizer="cobyla", optimizer_budget=300),
    "crlqas/QAS-LiH-4q-v0": dict(problem="lih-4q-3.4", optimizer="cobyla", optimizer_budget=500),
    "crlqas/QAS-LiH-4q-noisy-v0": dict(
        problem="lih-4q-3.4",
        **PAPER_NOISY,
        optimizer_options={"preset": "lih-4q"},
        halting="negative-binomial",
        halting_n=40.0,
        halting_p=0.6,
        halting_draws=100,
        halting_clip=(0, 40),
    ),
    "crlqas/QAS-LiH-6q-v0": dict(
        problem="lih-6q-2.2", optimizer="adam-spsa", optimizer_budget=1000, optimizer_options={"preset": "lih-6q"}
    ),
}

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "QASEnv": "qas_env",
        "QASConfig": "config",
        "MovingThresholdCurriculum": "curriculum",
        "FixedScheduleCurriculum": "curriculum",
        "CurriculumWrapper": "wrappers",
        "push_threshold": "wrappers",
    },
    eager=("ENTRY_POINT", "PAPER_NOISY", "VARIANTS", "register_envs"),
)


def register_envs() -> None:
    """Register the ids of :data:`VARIANTS` with Gymnasium (idempotent; import does it)."""
    for env_id, kwargs in VARIANTS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=ENTRY_POINT, kwargs=dict(kwargs), disable_env_checker=False)


register_envs()
