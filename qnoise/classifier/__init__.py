"""Variational quantum classifiers on simulated noisy hardware, with classical baselines.

``crlqas classify`` and ``examples/classify.py`` in Python::

    from crlqas.qnoise.classifier import classify
    run = classify("breast-cancer", features=5, optimizer="aqgd", epochs=100, noise="mumbai-median")
    print(run.table())

* :mod:`.data`: scikit-learn's bundled datasets (breast cancer, wine, iris), stratified split by seed,
  PCA, angles;
* :mod:`.model`: RY angle encoding + EfficientSU2-like ansatz in one compiled circuit, class
  probabilities as exact noisy expectations of Z observables (Qiskit ``VQC``'s ``b mod K`` readout),
  cross-entropy;
* :mod:`.training`: AQGD, COBYLA, SPSA and Adam-SPSA (:mod:`crlqas.qnoise.optimizers`) over the full
  training set, one optimizer iteration per epoch, training curve;
* :mod:`.evaluation`: accuracy, precision, recall, F1; SVM, gradient boosting, random forest;
* :mod:`.run`: :func:`classify`, the whole study (and why it is our own loop, not ``VQC``);
* :mod:`.plots`: the training-curve figure.

scikit-learn (``pip install 'crlqas[ml]'``) and matplotlib are imported only when a function needs them;
importing this package or :mod:`crlqas.qnoise` imports neither.
"""

from __future__ import annotations

from ..lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "DATASETS": "data",
        "Dataset": "data",
        "load_dataset": "data",
        "prepare_dataset": "data",
        "VariationalClassifier": "model",
        "classifier_circuit": "model",
        "class_observables": "model",
        "cross_entropy": "model",
        "OPTIMIZERS": "training",
        "TrainingResult": "training",
        "train_classifier": "training",
        "BASELINES": "evaluation",
        "classical_baselines": "evaluation",
        "classification_metrics": "evaluation",
        "ClassificationRun": "run",
        "classify": "run",
        "plot_training_curve": "plots",
    },
    submodules={"data", "model", "training", "evaluation", "run", "plots"},
)
