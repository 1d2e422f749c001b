"""The variational quantum classifier: angle encoding, an EfficientSU2-like ansatz, class
probabilities as exact noisy expectations of Z observables.

Circuit (:func:`classifier_circuit`), one qubit per feature (``n`` features, ``n`` qubits)::

    RY(x_0) on qubit 0, ..., RY(x_{n-1}) on qubit n-1        encoding: parameters 0 .. n-1
    reps x [RY(w), RZ(w) on every qubit; CX(q, q+1) chain]   ansatz:   parameters n ..
    RY(w), RZ(w) on every qubit

The ansatz is :func:`qnoise.ansatz.hardware_efficient` with ``("ry", "rz")`` rotations and the
``cx-linear`` entangler, i.e. Qiskit's ``EfficientSU2(n, reps=reps, entanglement="linear")`` gate for
gate (Qiskit's default entanglement, ``reverse_linear``, is the same chain in the opposite order);
``2 n (reps + 1)`` weights.  The data angles ``x`` (in ``[0, pi]``, see
:mod:`crlqas.qnoise.classifier.data`) are **parameters of the same circuit**: the circuit is compiled
once per noise model, and a whole data set is one batched call, a row ``[x, w]`` per sample
(:meth:`crlqas.qnoise.simulator.Simulator.energies`).

Readout, as Qiskit's ``VQC`` interprets its sampler's bitstrings: the measured bitstring ``b`` (bit
``q`` = qubit ``q``, qubit 0 the right-most Pauli character) is class ``b mod K``.  For two classes
that is qubit 0's outcome, ``P(1) = (1 - <Z_0>) / 2``; for ``K`` classes ``P(c)`` is the expectation
of the diagonal observable ``sum_{b mod K = c} |b><b|``, a sum of Z strings (:func:`class_observables`).
The ``K - 1`` observables of classes ``1 .. K-1`` are evaluated exactly under the noise model, readout
errors included as a measurement sees them (the simulator folds the per-qubit assignment matrices into
the observable), and ``P(0) = 1 - sum``: probabilities that sum to one and that
a device's outcome frequencies estimate.  Each of the ``K - 1`` observables is one simulator
compiled from the same circuit (one state evolution per sample and class observable).

``shots``: the probabilities are estimated from ``shots`` measurements per sample, class counts drawn
from the multinomial distribution of the exact noisy class probabilities (exactly the distribution of
a device's class counts under this noise model).  The loss is the mean cross-entropy
``-log P(y | x)`` (probabilities clipped at :data:`PROBABILITY_FLOOR`).
"""

from __future__ import annotations

import numpy as np

from ..ansatz import hardware_efficient
from ..circuit import Circuit
from ..errors import ValidationError
from ..hamiltonian import Hamiltonian

#: cross-entropy clips probabilities here (a sampled estimate can be zero)
PROBABILITY_FLOOR = 1e-10
MAX_REPS = 20


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low or (high and value > high):
        allowed = f"{low}..{high}" if high else f">= {low}"
        raise ValidationError(f"{name} must be an integer {allowed}; got {value!r}")
    return int(value)


def classifier_circuit(num_features: int, reps: int = 2) -> Circuit:
    """Encoding + ansatz circuit (module docstring): parameters ``0 .. n-1`` are the data angles,
    the rest the weights."""
    n = _check_int("num_features", num_features, 1, 30)
    reps = _check_int("reps", reps, 0, MAX_REPS)
    circuit = Circuit(n)
    for q in range(n):
        circuit.ry(q, param=q)
    for ins in hardware_efficient(n, reps, ("ry", "rz"), "cx-linear"):
        circuit.append(ins.name, ins.qubits, param=None if ins.param is None else ins.param + n)
    return circuit


def class_observables(num_qubits: int, num_classes: int) -> list[Hamiltonian]:
    """Observables whose expectations are ``P(class c)``, ``c = 1 .. K-1``, for the readout ``b mod K``:
    the Walsh (Z-string) expansion of ``sum_{b mod K = c} |b><b|``."""
    n = _check_int("num_qubits", num_qubits, 1, 30)
    k = _check_int("num_classes", num_classes, 2)
    if k > 2**n:
        raise ValidationError(f"{k} classes need at least {int(np.ceil(np.log2(k)))} qubits (features); got {n}")
    b = np.arange(2**n)
    # signs[S, b] = (-1)^{|b & S|}: the Walsh-Hadamard matrix, Z string S on the qubits of S's bits
    parity = np.zeros((2**n, 2**n), dtype=np.int64)
    for q in range(n):
        parity ^= ((b[:, None] >> q) & 1) & ((b[None, :] >> q) & 1)
    signs = 1.0 - 2.0 * parity
    labels = ["".join("Z" if (s >> q) & 1 else "I" for q in reversed(range(n))) for s in range(2**n)]
    out = []
    for c in range(1, k):
        coeffs = signs @ (b % k == c).astype(np.float64) / 2**n
        terms = {labels[s]: float(coeffs[s]) for s in range(1, 2**n) if abs(coeffs[s]) > 1e-14}
        out.append(Hamiltonian(terms, constant=float(coeffs[0]), num_qubits=n))
    return out


class VariationalClassifier:
    """The model of the module docstring under ``noise`` (``None``/``"noiseless"``, a preset name or a
    :class:`~qnoise.noise_model.NoiseModel`)."""

    def __init__(self, num_features: int, num_classes: int, reps: int = 2, noise=None):
        from ..simulator import Simulator
        from ..vqe import resolve_noise

        self.circuit = classifier_circuit(num_features, reps)
        self.num_features, self.num_classes, self.reps = self.circuit.num_qubits, int(num_classes), int(reps)
        self.observables = class_observables(self.num_features, num_classes)
        self.noise_model, self.noise = resolve_noise(noise)
        self.simulators = [Simulator(self.circuit, h, self.noise_model) for h in self.observables]
        self.num_weights = self.circuit.num_parameters - self.num_features

    def __repr__(self) -> str:
        return (
            f"VariationalClassifier(features={self.num_features}, classes={self.num_classes}, reps={self.reps}, "
            f"weights={self.num_weights}, noise={self.noise!r})"
        )

    def _rows(self, weights, x) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.size != self.num_weights:
            raise ValidationError(f"the model has {self.num_weights} weights; got {w.size}")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValidationError(f"x must have shape (samples, {self.num_features}); got {x.shape}")
        rows = np.empty((x.shape[0], self.circuit.num_parameters))
        rows[:, : self.num_features] = x
        rows[:, self.num_features :] = w
        return rows

    def probabilities(self, weights, x) -> np.ndarray:
        """Exact noisy class probabilities, shape ``(samples, K)``: one batched simulator call per
        class observable ``1 .. K-1`` over all samples."""
        rows = self._rows(weights, x)
        p = np.empty((rows.shape[0], self.num_classes))
        for c, sim in enumerate(self.simulators, start=1):
            p[:, c] = sim.energies(rows)
        p[:, 0] = 1.0 - p[:, 1:].sum(axis=1)
        return p

    def sampled_probabilities(self, weights, x, shots: int, rng: np.random.Generator) -> np.ndarray:
        """Class frequencies of ``shots`` measurements per sample (module docstring)."""
        p = np.clip(self.probabilities(weights, x), 0.0, None)
        p /= p.sum(axis=1, keepdims=True)
        return rng.multinomial(shots, p) / shots

    def predict(self, weights, x) -> np.ndarray:
        """The most probable class of every sample (exact noisy probabilities)."""
        return np.argmax(self.probabilities(weights, x), axis=1)

    def loss(self, weights, x, y, shots: int | None = None, rng: np.random.Generator | None = None) -> float:
        """Mean cross-entropy ``-log P(y | x)``; with ``shots``, of the sampled probabilities."""
        if shots is None:
            p = self.probabilities(weights, x)
        else:
            p = self.sampled_probabilities(weights, x, shots, rng if rng is not None else np.random.default_rng())
        return cross_entropy(p, y)


def cross_entropy(probabilities: np.ndarray, y) -> float:
    """Mean ``-log p[i, y_i]`` with probabilities clipped at :data:`PROBABILITY_FLOOR`."""
    y = np.asarray(y, dtype=np.int64)
    picked = probabilities[np.arange(y.size), y]
    return float(-np.mean(np.log(np.clip(picked, PROBABILITY_FLOOR, 1.0))))


__all__ = ["PROBABILITY_FLOOR", "VariationalClassifier", "class_observables", "classifier_circuit", "cross_entropy"]
