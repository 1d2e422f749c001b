"""One classification study: data, the quantum model trained under noise, the classical baselines.

>>> from crlqas.qnoise.classifier import classify
>>> run = classify("iris", features=2, optimizer="cobyla", epochs=20, noise="mumbai-median", reps=1)
>>> print(run.table())  # doctest: +SKIP

:func:`classify` loads the dataset (:func:`~crlqas.qnoise.classifier.data.load_dataset`: stratified
split by ``seed``, PCA to ``features``, angles), trains the variational classifier
(:mod:`~crlqas.qnoise.classifier.model`, :func:`~crlqas.qnoise.classifier.training.train_classifier`)
under ``noise`` and fits the classical baselines (:mod:`~crlqas.qnoise.classifier.evaluation`) on the
same split; every model is scored on the test part with the same metrics.  The quantum model's
predictions are the most probable class under the exact noisy probabilities (readout errors
included), also when it was trained with ``shots``.

Why our own loop and not qiskit-machine-learning's ``VQC``: ``VQC`` would need Qiskit primitives
backed by qnoise (another part of this work) plus qiskit-machine-learning (not a dependency), and it
binds every sample's features into the circuit it sends to the primitive, so a primitive that does not
cache sees a new circuit per data point and evaluation.  Here the data angles are parameters of **one**
circuit, compiled once per noise model, and the whole training set is one batched call of the
compiled simulator (about 10 us per sample for 5 qubits, reps 2, under ``mumbai-median``).  The class
probabilities are **exact** noisy expectations (readout error folded into the observables), not
sampler estimates, unless ``shots`` asks for them.  And the optimizers are the project's
(:mod:`crlqas.qnoise.optimizers`: AQGD, COBYLA, SPSA, Adam-SPSA) with their evaluation budgets, seeds
and histories, with no Qiskit installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fileio import atomic_write_json, plain_fields
from .data import DEFAULT_TEST_FRACTION, Dataset, load_dataset
from .evaluation import METRICS, classical_baselines, classification_metrics
from .model import VariationalClassifier
from .training import TrainingResult, train_classifier


@dataclass
class ClassificationRun:
    """What :func:`classify` returns; ``metrics`` are the quantum model's test metrics, ``baselines``
    ``{name: {"test": metrics, "train_accuracy", "time_s"}}``."""

    dataset: dict
    noise: str
    reps: int
    num_qubits: int
    num_weights: int
    training: TrainingResult
    metrics: dict
    train_accuracy: float
    baselines: dict

    @property
    def model_name(self) -> str:
        return f"quantum ({self.training.optimizer}, {self.noise})"

    def rows(self) -> list[tuple[str, float, dict]]:
        """``(model, train accuracy, test metrics)`` of the quantum model, then the baselines."""
        out = [(self.model_name, self.train_accuracy, self.metrics)]
        out += [(name, b["train_accuracy"], b["test"]) for name, b in self.baselines.items()]
        return out

    def table(self) -> str:
        """The metrics table (test part; train accuracy for reference) and the run's figures."""
        d, t = self.dataset, self.training
        head = (
            f"dataset {d['name']}: {d['train_samples']} train / {d['test_samples']} test samples, {d['features']} "
            f"PCA features ({d['explained_variance']:.1%} of the variance), {len(d['classes'])} classes, "
            f"split seed {d['seed']}\n"
            f"quantum model: {self.num_qubits} qubits, EfficientSU2-like reps={self.reps} ({self.num_weights} "
            f"weights), noise {self.noise}, "
            + (f"{t.shots} shots" if t.shots else "exact probabilities")
            + f"\n{t.optimizer}: {t.epochs_run} epochs, {t.nfev} loss evaluations, {t.time_s:.2f} s "
            f"({t.time_per_epoch_s * 1e3:.1f} ms per epoch), final train loss {t.train_loss:.4f}"
        )
        width = max(len(r[0]) for r in self.rows())
        lines = [f"{'model':{width}s}  {'train acc':>9s}  " + "  ".join(f"{m:>9s}" for m in METRICS)]
        for name, train_acc, m in self.rows():
            lines.append(f"{name:{width}s}  {train_acc:9.3f}  " + "  ".join(f"{m[k]:9.3f}" for k in METRICS))
        return head + "\n\n" + "\n".join(lines)

    def to_dict(self) -> dict:
        return plain_fields(self)

    def write_json(self, path) -> None:
        atomic_write_json(path, self.to_dict())


def classify(
    dataset: str | Dataset,
    features: int = 5,
    optimizer: str = "aqgd",
    epochs: int = 100,
    noise=None,
    seed: int = 0,
    reps: int = 2,
    shots: int | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    optimizer_options: dict | None = None,
    progress: bool = False,
) -> ClassificationRun:
    """Run the study of the module docstring; ``dataset`` is a name of
    :data:`~crlqas.qnoise.classifier.data.DATASETS` or a prepared
    :class:`~crlqas.qnoise.classifier.data.Dataset` (then ``features`` and ``test_fraction`` are its own)."""
    from .training import check_optimizer

    check_optimizer(optimizer)  # before loading data
    data = dataset if isinstance(dataset, Dataset) else load_dataset(dataset, features, seed, test_fraction)
    model = VariationalClassifier(data.num_features, data.num_classes, reps, noise)
    training = train_classifier(model, data, optimizer, epochs, seed, shots, optimizer_options, progress)
    predicted = model.predict(training.weights, data.x_test)
    return ClassificationRun(
        dataset=data.summary(),
        noise=model.noise,
        reps=model.reps,
        num_qubits=model.num_features,
        num_weights=model.num_weights,
        training=training,
        metrics=classification_metrics(data.y_test, predicted, data.num_classes),
        train_accuracy=float(np.mean(model.predict(training.weights, data.x_train) == data.y_train)),
        baselines=classical_baselines(data, seed),
    )


__all__ = ["ClassificationRun", "classify"]
