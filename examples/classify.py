"""A variational quantum classifier on a simulated noisy device against classical baselines.

Loads a dataset that ships with scikit-learn (stratified train/test split by the seed, PCA to
``features`` components, one qubit each, scaled to rotation angles), trains an EfficientSU2-like
classifier whose class probabilities are exact noisy expectations (the noise preset's gate and readout
errors) with one of AQGD, COBYLA, SPSA or Adam-SPSA over the whole training set per epoch, fits an SVM,
gradient boosting and a random forest on the same split, and prints accuracy, precision, recall and F1
on the test part.  ``--out DIR`` also writes the result as JSON and the training curve (matplotlib).
Needs scikit-learn: ``pip install 'crlqas[ml]'``.

Run: ``python examples/classify.py`` (see ``Args`` for the knobs); the same from the shell:
``crlqas classify --dataset breast-cancer --features 5 --optimizer aqgd --epochs 100 --noise mumbai-median``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crlqas.qnoise.classifier import classify, plot_training_curve


@dataclass
class Args:
    seed: int = 0  # seed of the split, the initial weights, the optimizer and the shot sampling
    dataset: str = "breast-cancer"  # breast-cancer, wine or iris
    features: int = 5  # PCA components = qubits
    optimizer: str = "aqgd"  # aqgd, cobyla, spsa or adam-spsa
    epochs: int = 100  # optimizer iterations over the whole training set (COBYLA: evaluations)
    noise: str = "mumbai-median"  # noise preset (crlqas noise list) or noiseless
    reps: int = 2  # ansatz repetitions (rotation layers = reps + 1)
    shots: int = 0  # train on class frequencies of this many shots per sample; 0: exact probabilities
    out: str = ""  # if set, write result.json and training_curve.png here


def main(args: Args) -> None:
    run = classify(
        args.dataset,
        features=args.features,
        optimizer=args.optimizer,
        epochs=args.epochs,
        noise=args.noise,
        seed=args.seed,
        reps=args.reps,
        shots=args.shots or None,
        progress=True,
    )

    print(run.table())
    if args.out:
        out = Path(args.out)
        run.write_json(out / "result.json")
        plot_training_curve(run, out / "training_curve.png")
        print(f"result and training curve written to {out}")


if __name__ == "__main__":
    from _args import parse_args  # examples/_args.py: the Args fields as command-line options

    main(parse_args(Args, __doc__))
