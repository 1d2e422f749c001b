"""Qiskit primitives on qnoise: ``Estimator`` (``BaseEstimatorV2``) and ``Sampler``
(``BaseSamplerV2``), and the converter from Qiskit Aer noise models.

Needs the ``qiskit`` extra (``pip install 'crlqas[qiskit]'``); ``import crlqas.qnoise`` does not
import this package (nor Qiskit), and the names below load on first use.

* :class:`~.estimator.Estimator` ``(noise=None, *, default_precision=0.0, seed=None,
  mitigation="readout", shot_model="sampling")`` and :class:`~.sampler.Sampler` ``(noise=None, *,
  default_shots=1024, seed=None)``: drop-in primitives for Qiskit workflows (``qiskit_algorithms``'
  ``VQE`` and ``SamplingVQE`` run with them unchanged).
* ``noise=``: None, a preset name (``"mumbai-median"``), a qnoise ``NoiseModel`` or
  ``DeviceModel``, a ``BackendV2`` (its calibration on the qubits an ISA circuit uses) or a
  ``qiskit_aer.noise.NoiseModel`` (:mod:`.noise`).
* :func:`~.aer_noise.from_aer_noise_model`: an Aer ``NoiseModel`` as a qnoise ``NoiseModel``.
* :class:`~.cache.CompileCache`: circuits compiled once per (circuit, noise, qubits).
"""

from __future__ import annotations

from ..lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Estimator": "estimator",
        "Sampler": "sampler",
        "from_aer_noise_model": "aer_noise",
        "has_delay_noise": "aer_noise",
        "resolve_noise_source": "noise",
        "NoiseSource": "noise",
        "CompileCache": "cache",
        "CompiledCircuit": "cache",
    },
    submodules={"estimator", "sampler", "aer_noise", "noise", "cache", "observables", "base"},
)
