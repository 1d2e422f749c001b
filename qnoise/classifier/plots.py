"""The training-curve figure of a classification run (PNG, matplotlib, imported when drawing).

Drawn on its own matplotlib ``Figure`` (no pyplot, no change of the process's backend) and written
atomically, as :func:`crlqas.qnoise.vqe.plot_history`: the exact noisy train and test loss per epoch
(top) and the train and test accuracy per epoch with the classical baselines' test accuracy as
horizontal lines (bottom).
"""

from __future__ import annotations

from io import BytesIO


def plot_training_curve(run, path) -> None:
    """Training curve of ``run`` (:class:`~crlqas.qnoise.classifier.run.ClassificationRun`) to ``path``."""
    from ..errors import require
    from ..fileio import atomic_write_bytes

    require("matplotlib", "plot")
    from matplotlib.figure import Figure

    curve, t = run.training.curve, run.training
    fig = Figure(figsize=(6.4, 6.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(curve["epoch"], curve["train_loss"], lw=1.2, label="train")
    top.plot(curve["epoch"], curve["test_loss"], lw=1.2, label="test")
    top.set_ylabel("cross-entropy (exact noisy)")
    shots = f", trained with {t.shots} shots" if t.shots else ""
    top.set_title(f"{run.dataset['name']}: {t.optimizer}, noise {run.noise}, reps {run.reps}{shots}", fontsize=10)
    top.legend(fontsize=8)
    bottom.plot(curve["epoch"], curve["train_accuracy"], lw=1.2, label="quantum train")
    bottom.plot(curve["epoch"], curve["test_accuracy"], lw=1.2, label="quantum test")
    for i, (name, b) in enumerate(run.baselines.items()):
        bottom.axhline(b["test"]["accuracy"], color=f"C{i + 2}", ls="--", lw=0.9, label=f"{name} test")
    bottom.set_ylim(0.0, 1.02)
    bottom.set_ylabel("accuracy")
    bottom.set_xlabel("epoch" + (" (one COBYLA evaluation each)" if t.optimizer == "cobyla" else ""))
    bottom.legend(fontsize=7, ncol=2, loc="lower right")
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    atomic_write_bytes(path, buf.getvalue())


__all__ = ["plot_training_curve"]
