"""Metrics and the classical baselines of a classification run.

:func:`classification_metrics`: accuracy, precision, recall and F1 of predicted labels (scikit-learn's
definitions).  Two classes: precision, recall and F1 of class 1 (the positive class; for
``breast-cancer`` that is ``benign``, scikit-learn's label 1); more classes: their unweighted mean
over classes (``average="macro"``).  A class never predicted has precision 0 (``zero_division=0``).

:func:`classical_baselines`: a support-vector machine (``SVC``, RBF kernel), gradient boosting and a
random forest from scikit-learn with their default settings (``random_state=seed`` where they draw
random numbers), fitted on the same training angles and scored on the same test angles as the quantum
model (:mod:`crlqas.qnoise.classifier.data`).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import require

METRICS = ("accuracy", "precision", "recall", "f1")
BASELINES = ("svm", "gradient-boosting", "random-forest")


def classification_metrics(y_true, y_pred, num_classes: int) -> dict[str, float]:
    """``{"accuracy", "precision", "recall", "f1"}`` (module docstring)."""
    require("sklearn", "ml")
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    average = "binary" if num_classes == 2 else "macro"
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true,
        y_pred,
        labels=list(range(num_classes)) if average == "macro" else None,
        average=average,
        zero_division=0,
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def _models(seed: int) -> dict:
    require("sklearn", "ml")
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.svm import SVC

    return {
        "svm": SVC(),
        "gradient-boosting": GradientBoostingClassifier(random_state=seed),
        "random-forest": RandomForestClassifier(random_state=seed),
    }


def classical_baselines(data, seed: int = 0) -> dict[str, dict]:
    """``{name: {"test": metrics, "train_accuracy": ..., "time_s": ...}}`` for :data:`BASELINES` on
    the :class:`~crlqas.qnoise.classifier.data.Dataset` ``data``."""
    out = {}
    for name, model in _models(seed).items():
        t0 = time.perf_counter()
        model.fit(data.x_train, data.y_train)
        elapsed = time.perf_counter() - t0
        out[name] = {
            "test": classification_metrics(data.y_test, model.predict(data.x_test), data.num_classes),
            "train_accuracy": float(np.mean(model.predict(data.x_train) == data.y_train)),
            "time_s": elapsed,
        }
    return out


__all__ = ["BASELINES", "METRICS", "classical_baselines", "classification_metrics"]
