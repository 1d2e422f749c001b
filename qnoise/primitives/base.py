"""What the Estimator and the Sampler share: the noise source, the compile cache, the random
stream, parameter binding and job submission.

Randomness: one NumPy ``Generator`` per primitive, made from ``seed`` at construction
(:func:`qnoise.measurement.as_generator`: None, an int, a SeedSequence or a Generator), and used
by every later call in order; so a seeded primitive gives the same results for the same sequence
of calls, and two calls give independent draws (unlike Qiskit's reference primitives, which
restart their generator from ``seed`` at every PUB).

Jobs: :meth:`run` reads and compiles the PUBs' circuits (so a circuit qnoise cannot simulate
raises there), evaluates them and returns a finished :class:`QnoiseJob` (Qiskit's
``BasePrimitiveJob`` interface: ``result()``, ``status()`` ``DONE`` or ``ERROR``, ``job_id()``);
an error of the evaluation is raised by ``result()``, as Qiskit's jobs do.  Evaluating in the
caller's thread saves the worker thread Qiskit's reference ``PrimitiveJob`` starts per call (about
as long as one small-circuit evaluation); the simulator's kernels are compiled code, so nothing
would run alongside anyway.  One lock per primitive serialises the cache and the generator when
several threads share a primitive.
"""

from __future__ import annotations

import math
import threading
import uuid

import numpy as np
from qiskit.primitives.base.base_primitive_job import BasePrimitiveJob
from qiskit.primitives.containers import PrimitiveResult
from qiskit.providers import JobStatus

from ..measurement import as_generator
from .cache import CompileCache, CompiledCircuit
from .noise import resolve_noise_source


class QnoisePrimitive:
    """Base of :class:`~.estimator.Estimator` and :class:`~.sampler.Sampler`."""

    def __init__(self, noise=None, seed=None):
        self._source = resolve_noise_source(noise)
        self._cache = CompileCache(self._source)
        self._seed = seed
        self._rng = as_generator(seed)
        self._lock = threading.Lock()

    @property
    def noise(self) -> str:
        """The noise source's label (a preset name, ``backend:<name>``, ``aer-noise-model`` ...)."""
        return self._source.label

    @property
    def seed(self):
        return self._seed

    @property
    def cache(self) -> CompileCache:
        """The compiled circuits (``cache.compilations`` counts compilations)."""
        return self._cache

    def _compile(self, circuit, extra_qubits=()) -> CompiledCircuit:
        with self._lock:
            return self._cache.compile(circuit, extra_qubits)

    def _run_pub(self, pub, compiled: CompiledCircuit):
        raise NotImplementedError

    def _submit(self, work: list) -> QnoiseJob:
        """The job of ``(pub, compiled circuit)`` pairs: their results in a ``PrimitiveResult``."""
        with self._lock:
            try:
                results = [self._run_pub(pub, compiled) for pub, compiled in work]
            except Exception as exc:  # raised by result(), as a Qiskit job does
                return QnoiseJob(None, exc)
        return QnoiseJob(PrimitiveResult(results, metadata={"version": 2}))


class QnoiseJob(BasePrimitiveJob):
    """A finished primitive job: its result, or the error :meth:`result` raises."""

    def __init__(self, result, error: Exception | None = None):
        super().__init__(str(uuid.uuid4()))
        self._result, self._error = result, error

    def result(self):
        if self._error is not None:
            raise self._error
        return self._result

    def status(self) -> JobStatus:
        return JobStatus.ERROR if self._error is not None else JobStatus.DONE

    def done(self) -> bool:
        return self._error is None

    def running(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def in_final_state(self) -> bool:
        return True

    def cancel(self) -> bool:
        return False


def bind(compiled: CompiledCircuit, pub) -> tuple[tuple, np.ndarray]:
    """``(shape, angles)``: the PUB's parameter-value shape and the qnoise angles of every value set,
    one row per set in C order of that shape."""
    shape = tuple(pub.parameter_values.shape)
    values = pub.parameter_values.as_array(pub.circuit.parameters)
    count = math.prod(shape)
    return shape, compiled.angles(values.reshape(count, len(pub.circuit.parameters)))


def groups(indices: np.ndarray, count: int) -> list[np.ndarray]:
    """For each value set ``j < count``, the positions ``k`` with ``indices[k] == j``."""
    order = np.argsort(indices, kind="stable")
    return np.split(order, np.searchsorted(indices[order], np.arange(1, count)))
