"""``Estimator``: Qiskit's ``BaseEstimatorV2`` on qnoise's exact noisy simulator.

>>> from qiskit.circuit.library import real_amplitudes
>>> from qiskit.quantum_info import SparsePauliOp
>>> from crlqas.qnoise.primitives import Estimator
>>> ansatz = real_amplitudes(2, reps=1)
>>> job = Estimator(noise="mumbai-median").run([(ansatz, SparsePauliOp(["ZZ", "XI"]), [0.1, 0.2, 0.3, 0.4])])
>>> evs = job.result()[0].data.evs    # shape () : one observable, one parameter set

A PUB is ``(circuit, observables[, parameter_values[, precision]])`` with Qiskit's broadcasting:
the result has the broadcast shape of the observables array and the parameter-values array
(``qiskit.primitives.containers``: ``EstimatorPub``, ``ObservablesArray``, ``BindingsArray``).

* ``precision == 0`` (the default ``default_precision``): exact expectation values, ``stds`` 0.
  With ``mitigation="readout"`` (the default) they are ``Tr(rho O)`` of the gate-noisy state,
  which is what readout mitigation recovers and what Aer's ``EstimatorV2`` computes (its
  ``save_expectation_value`` ignores readout errors; IBM Runtime's Estimator mitigates readout
  by default).  ``mitigation="none"``: the values as measured, readout errors included.
* ``precision > 0``: shot noise.  ``shot_model="sampling"`` (default): ``shots = ceil(1 /
  precision^2)`` outcomes per qubit-wise commuting group of each observable, drawn from the exact
  noisy distribution, readout errors included (mitigated with ``mitigation="readout"``);
  ``stds`` are the standard errors estimated from the samples (:mod:`qnoise.measurement`).
  ``shot_model="gaussian"``: the exact value plus ``N(0, precision^2)`` and ``stds = precision``,
  the model of Qiskit's ``StatevectorEstimator`` and Aer's ``EstimatorV2``.

The noise (``noise=``): None, a preset name, a qnoise ``NoiseModel`` or ``DeviceModel``, a
``BackendV2`` or a ``qiskit_aer.noise.NoiseModel`` (:mod:`.noise`).  Circuits are compiled once
per (circuit, noise, simulated qubits) (:mod:`.cache`); observables are converted once each.
Final measurements in an Estimator circuit are ignored.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BaseEstimatorV2
from qiskit.primitives.containers import DataBin, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub

from .. import measurement
from ..errors import ValidationError
from .base import QnoisePrimitive, bind, groups
from .cache import CompiledCircuit
from .observables import CompactObservable, observable_key, observable_support

SHOT_MODELS = ("sampling", "gaussian")
MAX_OBSERVABLES = 512


def _precision(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value >= 0:
        raise ValidationError(f"{what} must be a non-negative number; got {value!r}")
    return float(value)


def shots_for_precision(precision: float) -> int:
    """Shots per measured basis for a target standard error ``precision`` of one Pauli term."""
    return max(1, math.ceil(1.0 / precision**2 - 1e-9))


class Estimator(QnoisePrimitive, BaseEstimatorV2):
    """Qiskit ``EstimatorV2`` backed by qnoise (see the module docstring)."""

    def __init__(
        self,
        noise=None,
        *,
        default_precision: float = 0.0,
        seed=None,
        mitigation: str = "readout",
        shot_model: str = "sampling",
    ):
        super().__init__(noise, seed)
        self._default_precision = _precision(default_precision, "default_precision")
        self._mitigation = measurement.check_mitigation(mitigation)
        if shot_model not in SHOT_MODELS:
            raise ValidationError(f"shot_model must be one of {SHOT_MODELS}; got {shot_model!r}")
        self._shot_model = shot_model
        self._observables: OrderedDict = OrderedDict()

    @property
    def default_precision(self) -> float:
        return self._default_precision

    @property
    def mitigation(self) -> str:
        return self._mitigation

    @property
    def shot_model(self) -> str:
        return self._shot_model

    def run(self, pubs: Iterable, *, precision: float | None = None):
        if precision is None:
            precision = self._default_precision
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        for pub in coerced:
            _precision(pub.precision, "precision")
        work = [(pub, self._compile_pub(pub)) for pub in coerced]
        return self._submit(work)

    def _compile_pub(self, pub: EstimatorPub) -> CompiledCircuit:
        extra: set[int] = set()
        if self._source.compacts:
            for obs in pub.observables.sparse_observables_array().ravel():
                extra |= observable_support(obs)
        return self._compile(pub.circuit, extra)

    def _observable(self, obs, qubits: tuple) -> CompactObservable:
        key = (observable_key(obs), qubits)
        compact = self._observables.get(key)
        if compact is None:
            compact = CompactObservable(obs, qubits)
            self._observables[key] = compact
            if len(self._observables) > MAX_OBSERVABLES:
                self._observables.popitem(last=False)
        else:
            self._observables.move_to_end(key)
        return compact

    def _run_pub(self, pub: EstimatorPub, compiled: CompiledCircuit) -> PubResult:
        pshape, angles = bind(compiled, pub)
        oshape = pub.observables.shape
        observables = [self._observable(o, compiled.qubits) for o in pub.observables.sparse_observables_array().ravel()]
        shape = np.broadcast_shapes(pshape, oshape)
        pidx = np.broadcast_to(np.arange(len(angles)).reshape(pshape), shape).ravel()
        oidx = np.broadcast_to(np.arange(len(observables)).reshape(oshape), shape).ravel()
        precision = float(pub.precision)
        sampled = precision > 0 and self._shot_model == "sampling"
        shots = shots_for_precision(precision) if sampled else None
        evs, stds = np.zeros(pidx.size), np.zeros(pidx.size)
        for j, positions in enumerate(groups(pidx, len(angles))):
            if positions.size:
                targets = [observables[oidx[k]] for k in positions]
                evs[positions], stds[positions] = self._estimate(compiled, angles[j], targets, precision, shots)
        data = DataBin(evs=evs.reshape(shape), stds=stds.reshape(shape), shape=shape)
        metadata = {
            "target_precision": precision,
            "shots": shots,
            "circuit_metadata": pub.circuit.metadata,
            "noise": self.noise,
            "mitigation": self._mitigation,
            "shot_model": self._shot_model if precision > 0 else None,
            "simulator_metadata": {"engine": compiled.simulator.engine, "qubits": list(compiled.qubits)},
        }
        return PubResult(data, metadata=metadata)

    def _estimate(self, compiled: CompiledCircuit, theta, targets: list, precision: float, shots) -> tuple:
        """``(evs, stds)`` of the observables ``targets`` for one parameter set: exact, with Gaussian
        noise, or from ``shots`` samples per measured basis (module docstring)."""
        sim, readout = compiled.simulator, compiled.readout_errors
        if shots is None:
            state = sim.state(theta) if sim.engine == "ptm" else sim.statevector(theta)
            evs = np.array([obs.value(state, sim.engine, readout, self._mitigation) for obs in targets])
            if precision == 0:
                return evs, np.zeros(len(targets))
            return evs + self._rng.normal(0.0, precision, len(targets)), np.full(len(targets), precision)
        cache: dict = {}  # the outcome distribution of each measured basis, shared by the observables

        def probabilities(basis):
            key = basis.tobytes()
            if key not in cache:
                cache[key] = sim.probabilities(theta, basis)
            return cache[key]

        mitigation = self._mitigation
        pairs = [
            measurement.sampled_energy(
                probabilities, obs.hamiltonian, shots, self._rng, readout, return_stderr=True, mitigation=mitigation
            )
            for obs in targets
        ]
        return np.array([e for e, _ in pairs]), np.array([sd for _, sd in pairs])
