"""Classification data: the datasets that ship with scikit-learn, reduced and encoded as angles.

:func:`load_dataset` reads ``breast-cancer`` (569 samples, 30 features, 2 classes), ``wine`` (178,
13, 3) or ``iris`` (150, 4, 3) from scikit-learn's own package data (nothing is downloaded) and
passes it to :func:`prepare_dataset`, which any ``(X, y)`` arrays can go through:

1. a **stratified** train/test split fixed by ``seed`` (``test_fraction`` of every class is held out;
   the same seed gives the same split);
2. standardisation (zero mean, unit variance) and **PCA** to ``features`` components, both fitted on
   the training part only;
3. min-max scaling of every component to ``[0, pi]`` (fitted on the training part; test values may
   fall slightly outside), the **rotation angles** of the feature encoding
   (:func:`crlqas.qnoise.classifier.model.classifier_circuit`).

The classical baselines see the same angles (:mod:`crlqas.qnoise.classifier.baselines`), so every
model of a run has the same split and the same features.  Labels become ``0 .. K-1`` in the order of
``np.unique`` (the class names are kept).

scikit-learn is optional (``pip install 'crlqas[ml]'``) and imported here only when a function runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError, require

#: dataset name -> (scikit-learn loader, samples, features, classes)
DATASETS = {
    "breast-cancer": ("load_breast_cancer", 569, 30, 2),
    "wine": ("load_wine", 178, 13, 3),
    "iris": ("load_iris", 150, 4, 3),
}
#: one qubit per feature; PTM states of more qubits make an epoch slow (4^n coefficients per point)
MAX_FEATURES = 10
DEFAULT_TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """A split, encoded dataset: ``x_*`` are rotation angles (rows = samples), ``y_*`` labels ``0..K-1``."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    seed: int
    test_fraction: float
    explained_variance: float  # fraction of the standardised data's variance the PCA keeps

    @property
    def num_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "features": self.num_features,
            "classes": list(self.class_names),
            "train_samples": int(self.y_train.size),
            "test_samples": int(self.y_test.size),
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "explained_variance": self.explained_variance,
        }


def _normalise(name) -> str:
    if not isinstance(name, str):
        raise ValidationError(f"a dataset name must be a string; got {type(name).__name__}")
    key = name.strip().lower().replace("_", "-")
    if key not in DATASETS:
        raise ValidationError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")
    return key


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValidationError(f"seed must be an integer in 0..2^32-1; got {seed!r}")
    return int(seed)


def _check_features(features, available: int, what: str) -> int:
    limit = min(available, MAX_FEATURES)
    if isinstance(features, bool) or not isinstance(features, (int, np.integer)) or not 1 <= features <= limit:
        raise ValidationError(
            f"features must be an integer in 1..{limit} ({what} has {available} feature(s); at most "
            f"{MAX_FEATURES}, one qubit each); got {features!r}"
        )
    return int(features)


def load_dataset(name: str, features: int = 5, seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION) -> Dataset:
    """Dataset ``name`` (one of :data:`DATASETS`) reduced to ``features`` angles (module docstring)."""
    key = _normalise(name)
    loader, _, available, _ = DATASETS[key]
    _check_features(features, available, f"dataset {key!r}")
    datasets = require("sklearn.datasets", "ml")
    bunch = getattr(datasets, loader)()
    names = tuple(str(n) for n in bunch.target_names)
    return prepare_dataset(bunch.data, bunch.target, features, seed, test_fraction, name=key, class_names=names)


def prepare_dataset(
    x,
    y,
    features: int,
    seed: int = 0,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    *,
    name: str = "custom",
    class_names=None,
) -> Dataset:
    """Split, standardise, PCA-reduce and scale ``(x, y)`` to angles (module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValidationError(f"x must be (samples, features) and y (samples,); got shapes {x.shape} and {y.shape}")
    if not np.all(np.isfinite(x)):
        raise ValidationError("x must be finite")
    features = _check_features(features, x.shape[1], f"the data ({name})")
    seed = _check_seed(seed)
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValidationError(f"test_fraction must be a number in (0, 1); got {test_fraction!r}")
    classes, labels = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValidationError(f"the data needs at least two classes; got {classes.size}")
    counts = np.bincount(labels)
    n_test = math.ceil(test_fraction * y.size)
    if counts.min() < 2 or n_test < classes.size or y.size - n_test < classes.size:
        raise ValidationError(
            f"a stratified split with test_fraction={test_fraction} needs at least two samples of every class "
            f"and at least one per class in each part; class sizes are {counts.tolist()}"
        )
    if class_names is None:
        class_names = tuple(str(c) for c in classes)
    elif len(class_names) != classes.size:
        raise ValidationError(
            f"class_names must name the {classes.size} classes (in sorted order); got {class_names!r}"
        )
    class_names = tuple(str(c) for c in class_names)
    require("sklearn", "ml")
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    x_train, x_test, y_train, y_test = train_test_split(
        x, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    scaler = StandardScaler().fit(x_train)
    pca = PCA(n_components=features, random_state=seed).fit(scaler.transform(x_train))
    angles = MinMaxScaler(feature_range=(0.0, math.pi)).fit(pca.transform(scaler.transform(x_train)))

    def encode(part):
        return np.ascontiguousarray(angles.transform(pca.transform(scaler.transform(part))), dtype=np.float64)

    return Dataset(
        name=name,
        x_train=encode(x_train),
        y_train=np.asarray(y_train, dtype=np.int64),
        x_test=encode(x_test),
        y_test=np.asarray(y_test, dtype=np.int64),
        class_names=class_names,
        seed=seed,
        test_fraction=float(test_fraction),
        explained_variance=float(np.sum(pca.explained_variance_ratio_)),
    )


__all__ = ["DATASETS", "DEFAULT_TEST_FRACTION", "MAX_FEATURES", "Dataset", "load_dataset", "prepare_dataset"]
