"""The experiment's figures (PNG, matplotlib imported when drawing), one panel per problem and noise
model, one colour per method:

* ``error_vs_time.png``: best ``|E - E0|`` (the suite's metric, log scale) against wall time (s,
  log scale): for the agent the running best over its training episodes (``progress.csv``), for
  the other methods the point each trial ended at; chemical accuracy dashed;
* ``size_vs_error.png``: CNOTs (filled) and gates (hollow) of each trial's circuit against its
  ``|E - E0|``.
"""

from __future__ import annotations

import math
from pathlib import Path

from crlqas.agents.plots import _save_png, problem_units, with_unit

from .execute import trial_dir

__all__ = ["write_plots"]


def _panels(rows):
    """``{(problem, noise): rows}`` and the methods in order of appearance."""
    panels, methods = {}, []
    for r in rows:
        panels.setdefault((r["problem"], r["noise"]), []).append(r)
        if r["method"] not in methods:
            methods.append(r["method"])
    return panels, methods


def _figure(n: int):
    from matplotlib.figure import Figure

    cols = min(n, 3)
    nrows = math.ceil(n / cols)
    fig = Figure(figsize=(4.6 * cols, 3.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def _agent_curve(exp_dir, row, metric: str):
    """``(times, running best |error|)`` of an agent trial's training episodes."""
    from crlqas.agents.runlog import read_log

    log = read_log(trial_dir(exp_dir, row["trial"]) / "run" / f"seed_{row['seed']}" / "progress.csv")
    times, best, low = [], [], math.inf
    for r in log:
        err = r.get(f"error_{metric}")
        if err is None or r.get("wall_time") is None:
            continue
        low = min(low, abs(err))
        times.append(max(r["wall_time"], 1e-3))
        best.append(max(low, 1e-12))
    return times, best


def _accuracy_line(ax, problem, horizontal: bool = True):
    unit, acc, name = problem_units(problem)
    (ax.axhline if horizontal else ax.axvline)(acc, color="0.4", ls="--", lw=0.8, label=name)
    return unit


def error_vs_time_figure(exp_dir, suite, rows):
    panels, methods = _panels(rows)
    fig, axes = _figure(len(panels))
    colours = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    for ax, ((problem, noise), rs) in zip(axes, panels.items()):
        unit = _accuracy_line(ax, problem)
        labelled = set()
        for r in rs:
            colour, label = colours[r["method"]], None if r["method"] in labelled else r["method"]
            labelled.add(r["method"])
            if r["method"] == "agent":
                times, best = _agent_curve(exp_dir, r, suite.metric)
                if times:
                    ax.step(times, best, where="post", color=colour, lw=1, alpha=0.8, label=label)
                    label = None
            if r["error"] is not None:
                ax.plot([max(r["wall_time"], 1e-3)], [max(r["error"], 1e-12)], "o", color=colour, label=label)
        ax.set(xscale="log", yscale="log", title=f"{problem}, noise {noise}", xlabel="wall time (s)")
        ax.set_ylabel(with_unit(f"best |E - E0| ({suite.metric})", unit))
        ax.legend(fontsize=7)
    fig.suptitle(f"experiment {suite.name}: best error against wall time")
    return fig


def size_vs_error_figure(suite, rows):
    panels, methods = _panels(rows)
    fig, axes = _figure(len(panels))
    colours = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    for ax, ((problem, noise), rs) in zip(axes, panels.items()):
        unit = _accuracy_line(ax, problem, horizontal=False)
        for m in methods:
            mine = [r for r in rs if r["method"] == m and r["error"] is not None]
            if not mine:
                continue
            x = [max(r["error"], 1e-12) for r in mine]
            ax.plot(x, [r["num_cnots"] for r in mine], "o", color=colours[m], label=f"{m} CNOTs")
            ax.plot(x, [r["num_gates"] for r in mine], "o", mfc="none", color=colours[m], label=f"{m} gates")
        ax.set(xscale="log", title=f"{problem}, noise {noise}", ylabel="gates / CNOTs")
        ax.set_xlabel(with_unit(f"|E - E0| ({suite.metric})", unit))
        ax.legend(fontsize=7)
    fig.suptitle(f"experiment {suite.name}: circuit size against error")
    return fig


def write_plots(exp_dir, suite, rows, out_dir) -> list[Path]:
    """Both figures of the finished trials' ``rows`` into ``out_dir`` (written atomically)."""
    out_dir = Path(out_dir)
    return [
        _save_png(error_vs_time_figure(exp_dir, suite, rows), out_dir / "error_vs_time.png", dpi=110),
        _save_png(size_vs_error_figure(suite, rows), out_dir / "size_vs_error.png", dpi=110),
    ]
