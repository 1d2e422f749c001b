"""Baselines on the same footing as the QAS agent: same problems, noise models, inner optimiser,
evaluation budget and result record (:class:`crlqas.qnoise.results.ResultRecord`).

* :func:`run_baseline` (:mod:`.run`): ``"adapt"`` (qubit-ADAPT-VQE, :mod:`.adapt`, pools of
  :mod:`.pools`, Pauli exponentials compiled by :mod:`.pauli_exp`) and ``"hea"`` (layered
  hardware-efficient ansatze, :mod:`.hea`);
* :func:`find_noise_floor` / :func:`noise_floor` (:mod:`.floor`): the lowest noisy energy these
  methods find, next to E0;
* random architecture search runs in the QAS environment: ``crlqas.envs.random_search``.

Import is fast: submodules load on first use.
"""

from __future__ import annotations

from ..lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "run_baseline": "run",
        "METHODS": "run",
        "OPTIONS": "run",
        "run_adapt": "adapt",
        "pool_gradients": "adapt",
        "run_hea": "hea",
        "hea_specs": "hea",
        "find_noise_floor": "floor",
        "noise_floor": "floor",
        "NoiseFloor": "floor",
        "get_pool": "pools",
        "POOLS": "pools",
        "append_pauli_exp": "pauli_exp",
        "pauli_exp_circuit": "pauli_exp",
        "Progress": "progress",
    },
    submodules={"adapt", "common", "floor", "hea", "pauli_exp", "pools", "progress", "run"},
)
