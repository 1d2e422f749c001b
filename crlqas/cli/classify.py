"""``crlqas classify``: a variational quantum classifier on simulated noisy hardware against classical
baselines (:mod:`crlqas.qnoise.classifier`)."""

from __future__ import annotations

import json
import sys

from .args import (
    add_command,
    json_option,
    nonnegative_int,
    optimizer_options,
    option,
    positive_float,
    positive_int,
    save_output,
)

#: the options that are :func:`crlqas.qnoise.classifier.classify`'s arguments of the same name
_SETTINGS = ("dataset", "features", "optimizer", "epochs", "noise", "seed", "reps", "shots", "test_fraction")
#: the files ``--out DIR`` receives
RESULT_FILE, CURVE_FILE = "result.json", "training_curve.png"

_OPTIONS = (
    option("--dataset", required=True, help="breast-cancer, wine or iris (shipped with scikit-learn)"),
    option("--features", type=positive_int, default=5, help="PCA components = qubits (default 5)"),
    option("--optimizer", default="aqgd", help="aqgd (default), cobyla, spsa or adam-spsa"),
    option(
        "--epochs",
        type=positive_int,
        default=100,
        help="optimizer iterations over the full training set (COBYLA: evaluations; default 100)",
    ),
    option("--noise", default="noiseless", help="noise preset, e.g. mumbai-median (default: noiseless)"),
    option("--seed", type=nonnegative_int, default=0, help="seed of the split, weights, optimizer (default 0)"),
    option("--reps", type=nonnegative_int, default=2, help="EfficientSU2-like ansatz repetitions (default 2)"),
    option("--shots", type=positive_int, help="train on class frequencies of this many shots (default: exact)"),
    option("--test-fraction", type=positive_float, default=0.2, help="held-out fraction, stratified (default 0.2)"),
    optimizer_options("optimizer option (repeatable), e.g. --option eta=0.5"),
    option("--out", metavar="DIR", help=f"write {RESULT_FILE} and {CURVE_FILE} (matplotlib) to DIR"),
    json_option("print the result as JSON (no progress bar)"),
)


def register(subparsers) -> None:
    add_command(subparsers, "classify", _classify, _OPTIONS)


def _classify(args) -> int:
    """train a variational quantum classifier under noise against classical baselines

    Load a scikit-learn dataset (stratified split by --seed, PCA to --features, angle encoding), train
    an EfficientSU2-like classifier on the qnoise simulator (exact noisy class probabilities, readout
    errors included) with AQGD, COBYLA, SPSA or Adam-SPSA for --epochs, fit SVM, gradient boosting and
    random forest on the same split, and print accuracy, precision, recall and F1 (macro for more than
    two classes) on the test part, with the time per epoch. Needs scikit-learn (pip install 'crlqas[ml]')."""
    from pathlib import Path

    from crlqas.qnoise.classifier.run import classify
    from crlqas.qnoise.errors import require
    from crlqas.qnoise.fileio import check_output_dir

    out = None
    if args.out:  # checked before the work: the place is writable and matplotlib is there
        out = check_output_dir(args.out)
        require("matplotlib", "plot")
    settings = {k: getattr(args, k) for k in _SETTINGS}
    run = classify(**settings, optimizer_options=dict(args.option), progress=not args.json and sys.stderr.isatty())
    if args.json:
        json.dump(run.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(run.table())
    if out is not None:
        from crlqas.qnoise.classifier.plots import plot_training_curve

        save_output(str(Path(out) / RESULT_FILE), run.write_json)
        save_output(str(Path(out) / CURVE_FILE), lambda path: plot_training_curve(run, path), "plot")
        if not args.json:
            print(f"\nwritten: {Path(out) / RESULT_FILE}, {Path(out) / CURVE_FILE}")
    return 0
