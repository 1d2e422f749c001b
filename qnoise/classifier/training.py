"""Training the variational classifier with the project's optimizers, epoch by epoch.

The loss handed to the optimizer (:mod:`crlqas.qnoise.optimizers`) is the mean cross-entropy over the
**whole training set** (:meth:`~crlqas.qnoise.classifier.model.VariationalClassifier.loss`): every
evaluation is one batched simulator call per class observable over all training samples, so no
mini-batches and no per-sample circuits.  An **epoch** is one optimizer iteration, Qiskit's
``maxiter`` (the source study's "100 and 150 epochs" were Qiskit optimizers' ``maxiter``), which costs
(``p`` weights):

* ``aqgd``: the loss at ``w`` and at the ``2p`` parameter-shift points ``w +- pi/2 e_i`` (``2p + 1``
  evaluations: the exact gradient under this noise), then one momentum step;
* ``cobyla``: **one evaluation** (Qiskit's and scipy's COBYLA ``maxiter`` counts evaluations; its first
  ``p + 1`` build the initial simplex), so 100 COBYLA epochs are 100 evaluations;
* ``spsa``: two evaluations ``w +- c_k Delta`` and a step, after the 50 evaluations of the gain
  calibration (Spall's, as Qiskit; counted in ``nfev``, not as epochs);
* ``adam-spsa``: two evaluations and one Adam step (the CRLQAS paper's Adam-SPSA, preset ``lih-4q``
  values unless ``optimizer_options`` say otherwise).

The optimizer gets exactly the evaluations its epochs need and stops after ``epochs`` iterations; AQGD
may stop earlier on its own convergence test (``epochs_run``).  The trained weights are the
optimizer's answer, the point with the lowest training loss it evaluated (with ``shots``: the lowest
sampled loss).  After every epoch the **training curve** records, at the optimizer's current weights,
the exact noisy train and test loss and accuracy (for COBYLA, at the point each evaluation tried);
these monitoring evaluations are not charged to the optimizer and their time is not part of
``time_per_epoch_s``.  Randomness: the initial weights, the optimizer and the shot sampling draw from
three streams of ``seed`` (one seed reproduces a run).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ValidationError
from ..fileio import plain_fields
from .model import cross_entropy

#: optimizer name -> what one epoch is
OPTIMIZERS = {
    "aqgd": "one iteration: loss and parameter-shift gradient (2p + 1 evaluations), one momentum step",
    "cobyla": "one loss evaluation (COBYLA's maxiter counts evaluations)",
    "spsa": "one iteration: two evaluations and a step (after 50 calibration evaluations)",
    "adam-spsa": "one iteration: two evaluations and an Adam step",
}
#: initial weights are uniform in [-INIT_SCALE, INIT_SCALE]
INIT_SCALE = 0.1 * math.pi
CURVE_KEYS = ("epoch", "nfev", "train_loss", "test_loss", "train_accuracy", "test_accuracy")


def check_optimizer(name) -> str:
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else None
    if key not in OPTIMIZERS:
        raise ValidationError(f"unknown classifier optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    return key


@dataclass
class TrainingResult:
    """One training run (module docstring); ``curve`` holds the :data:`CURVE_KEYS` lists, entry 0 being
    the initial weights."""

    optimizer: str
    optimizer_options: dict
    epochs: int
    epochs_run: int
    nfev: int
    budget: int
    message: str
    shots: int | None
    seed: int
    weights: np.ndarray
    initial_weights: np.ndarray
    train_loss: float  # exact noisy loss of the trained weights
    curve: dict = field(default_factory=dict)
    time_s: float = 0.0  # the optimizer's run, monitoring excluded
    time_per_epoch_s: float = 0.0
    monitor_time_s: float = 0.0

    def to_dict(self) -> dict:
        return plain_fields(self)


def _budget(name: str, opt, epochs: int, num_weights: int) -> int:
    """Evaluations that ``epochs`` iterations of ``opt`` use (module docstring)."""
    if name == "aqgd":
        return epochs * (2 * num_weights + 1)
    if name == "cobyla":
        return epochs
    if name == "adam-spsa":
        return 2 * epochs
    from ..optimizers.spsa import CALIBRATION_STEPS, STDDEV_EVALS

    r = opt.resamplings
    r = max([1, *r.values()]) if isinstance(r, dict) else int(r)
    extra = 2 * CALIBRATION_STEPS if opt.a is None else 0
    if opt.blocking:
        extra += 1 + (STDDEV_EVALS if opt.allowed_increase is None else 0)
    return extra + epochs * (2 * r + int(opt.blocking))


def train_classifier(
    model,
    data,
    optimizer: str = "aqgd",
    epochs: int = 100,
    seed: int = 0,
    shots: int | None = None,
    optimizer_options: dict | None = None,
    progress: bool = False,
) -> TrainingResult:
    """Train ``model`` (:class:`~crlqas.qnoise.classifier.model.VariationalClassifier`) on ``data``
    (:class:`~crlqas.qnoise.classifier.data.Dataset`) for ``epochs`` (module docstring)."""
    from ..measurement import check_shots
    from ..optimizers import get_optimizer

    name = check_optimizer(optimizer)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValidationError(f"epochs must be a positive integer; got {epochs!r}")
    if (model.num_features, model.num_classes) != (data.num_features, data.num_classes):
        raise ValidationError(
            f"the model takes {model.num_features} features and {model.num_classes} classes; the data has "
            f"{data.num_features} and {data.num_classes}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer; got {seed!r}")
    shots = None if shots is None else check_shots(shots)
    opt = get_optimizer(name, **(optimizer_options or {}))
    budget = _budget(name, opt, int(epochs), model.num_weights)
    init_rng, opt_rng, shot_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    w0 = init_rng.uniform(-INIT_SCALE, INIT_SCALE, model.num_weights)
    curve = {k: [] for k in CURVE_KEYS}
    monitor = [0.0]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=int(epochs), unit="epoch", desc=f"{name} {model.noise}", disable=None, leave=False)

    def record(w, nfev: int) -> None:
        t0 = time.perf_counter()
        for part, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
            p = model.probabilities(w, x)
            curve[f"{part}_loss"].append(cross_entropy(p, y))
            curve[f"{part}_accuracy"].append(float(np.mean(np.argmax(p, axis=1) == y)))
        curve["epoch"].append(len(curve["epoch"]))
        curve["nfev"].append(int(nfev))
        monitor[0] += time.perf_counter() - t0
        if bar is not None and curve["epoch"][-1] > 0:
            bar.update(1)
            bar.set_postfix_str(f"loss={curve['train_loss'][-1]:.4f}", refresh=False)

    per_evaluation = name == "cobyla"
    evaluations = [0]

    def loss(w) -> float:
        value = model.loss(w, data.x_train, data.y_train, shots, shot_rng)
        if per_evaluation:
            evaluations[0] += 1
            record(w, evaluations[0])
        return value

    def callback(info) -> bool:
        record(info.x, info.nfev)
        return info.nit >= epochs

    record(w0, 0)
    monitor[0] = 0.0  # from here on: the monitoring inside the optimizer's run
    t0 = time.perf_counter()
    try:
        res = opt.minimize(loss, w0, budget, seed=opt_rng, callback=None if per_evaluation else callback)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0 - monitor[0]
    epochs_run = len(curve["epoch"]) - 1
    message = f"{epochs} epochs done" if epochs_run == epochs else res.message
    return TrainingResult(
        optimizer=name,
        optimizer_options=dict(getattr(opt, "options", {})),
        epochs=int(epochs),
        epochs_run=epochs_run,
        nfev=res.nfev,
        budget=budget,
        message=message,
        shots=shots,
        seed=int(seed),
        weights=np.asarray(res.x, dtype=float),
        initial_weights=w0,
        train_loss=model.loss(res.x, data.x_train, data.y_train),
        curve=curve,
        time_s=elapsed,
        time_per_epoch_s=elapsed / max(epochs_run, 1),
        monitor_time_s=monitor[0],
    )


__all__ = ["CURVE_KEYS", "INIT_SCALE", "OPTIMIZERS", "TrainingResult", "check_optimizer", "train_classifier"]
