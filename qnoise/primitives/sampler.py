"""``Sampler``: Qiskit's ``BaseSamplerV2`` on qnoise's exact noisy simulator.

>>> from qiskit import QuantumCircuit
>>> from crlqas.qnoise.primitives import Sampler
>>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); qc.measure_all()
>>> counts = Sampler(noise="mumbai-median", seed=1).run([qc], shots=1000).result()[0].data.meas.get_counts()

A PUB is ``(circuit[, parameter_values[, shots]])``; the result has the shape of the parameter
values and one ``BitArray`` per classical register (``data.<register name>``, shots along the
second-last axis), as Qiskit's ``StatevectorSampler`` returns.  For each parameter set the exact
outcome distribution of the measured qubits is computed (gate noise of the noise source; the
readout errors of the measured qubits applied to the bits, as a device reports them: the Sampler
does not mitigate), and ``shots`` outcomes are drawn from it.  A clbit no final measurement
writes reads 0.  Circuits are compiled once per (circuit, noise) (:mod:`.cache`); the noise
sources are those of the Estimator (:mod:`.noise`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BaseSamplerV2
from qiskit.primitives.containers import BitArray, DataBin, SamplerPubResult
from qiskit.primitives.containers.sampler_pub import SamplerPub

from ..measurement import apply_readout, check_shots
from .base import QnoisePrimitive, bind
from .cache import CompiledCircuit


class Sampler(QnoisePrimitive, BaseSamplerV2):
    """Qiskit ``SamplerV2`` backed by qnoise (see the module docstring)."""

    def __init__(self, noise=None, *, default_shots: int = 1024, seed=None):
        super().__init__(noise, seed)
        self._default_shots = check_shots(default_shots)

    @property
    def default_shots(self) -> int:
        return self._default_shots

    def run(self, pubs: Iterable, *, shots: int | None = None):
        if shots is None:
            shots = self._default_shots
        coerced = [SamplerPub.coerce(pub, check_shots(shots)) for pub in pubs]
        work = [(pub, self._compile(pub.circuit)) for pub in coerced]
        return self._submit(work)

    def probabilities(self, circuit, parameter_values=None) -> np.ndarray:
        """The exact measured outcome distribution of ``circuit`` (one parameter set): ``2^k``
        probabilities over its compact qubits ``compiled.qubits`` (bit ``i`` = compact qubit ``i``),
        gate noise and readout errors included, before the measured bits are selected."""
        compiled = self._compile(circuit)
        pub = SamplerPub.coerce((circuit, parameter_values), self._default_shots)
        _, angles = bind(compiled, pub)
        return self._distribution(compiled, angles[0])

    @staticmethod
    def _distribution(compiled: CompiledCircuit, theta) -> np.ndarray:
        sim = compiled.simulator
        ideal = sim.probabilities(theta, np.zeros(sim.circuit.num_qubits, dtype=np.int64))
        p = np.clip(apply_readout(ideal, compiled.readout_errors), 0.0, None)
        return p / p.sum()

    def _run_pub(self, pub: SamplerPub, compiled: CompiledCircuit) -> SamplerPubResult:
        shape, angles = bind(compiled, pub)
        shots = int(pub.shots)
        qc = pub.circuit
        clbit = {bit: i for i, bit in enumerate(qc.clbits)}
        registers = [(creg.name, [compiled.measurements.get(clbit[b]) for b in creg]) for creg in qc.cregs]
        bits = {name: np.zeros((len(angles), shots, len(qs)), dtype=bool) for name, qs in registers}
        for j, theta in enumerate(angles):
            p = self._distribution(compiled, theta)
            outcomes = self._rng.choice(p.size, size=shots, p=p)
            for name, qs in registers:
                for c, q in enumerate(qs):
                    if q is not None:
                        bits[name][j, :, c] = (outcomes >> q) & 1
        meas = {
            name: BitArray.from_bool_array(bits[name].reshape(*shape, shots, len(qs)), order="little")
            for name, qs in registers
        }
        return SamplerPubResult(
            DataBin(**meas, shape=shape),
            metadata={
                "shots": shots,
                "circuit_metadata": qc.metadata,
                "noise": self.noise,
                "simulator_metadata": {"engine": compiled.simulator.engine, "qubits": list(compiled.qubits)},
            },
        )
