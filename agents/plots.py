"""The figures of ``crlqas report``: learning curves of a run and drawings of its circuits (PNG).

Each is drawn on its own matplotlib ``Figure`` (no pyplot, no change of the process's backend) and
written atomically: :func:`curves_figure` / :func:`plot_curves` from a run's summary
(:func:`crlqas.agents.report.summarize`; the error panels plot the success metric's errors,
``metric=`` another of :data:`crlqas.agents.runlog.METRICS`), :func:`circuit_figure` /
:func:`draw_circuit` from a best-circuit record, titled by :func:`circuit_title` (its kind, seed,
episode, energy, error and size).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crlqas.qnoise.errors import ValidationError

from .runlog import CIRCUIT_KINDS, METRICS, read_log

__all__ = [
    "CURVE_PANELS",
    "circuit_figure",
    "circuit_title",
    "curves_figure",
    "draw_circuit",
    "plot_curves",
    "problem_units",
    "with_unit",
]


def problem_units(problem) -> tuple[str, float, str]:
    """``(energy unit, accuracy threshold, its name)`` of the run's problem: ``("Ha", 1.6e-3,
    "chemical accuracy")`` for a molecule; no unit (``""``) for a spin model, whose energies are in
    units of its couplings, and for a problem that cannot be loaded (a custom Hamiltonian)."""
    from crlqas.qnoise.errors import CrlqasError
    from crlqas.qnoise.problems import CHEMICAL_ACCURACY, get_problem

    try:
        p = get_problem(problem)
    except CrlqasError:  # no problem id (custom Hamiltonian), a moved problem file: no unit known
        return "", CHEMICAL_ACCURACY, "accuracy threshold"
    if p.kind == "molecule":
        return "Ha", p.chemical_accuracy, "chemical accuracy"
    return "", p.chemical_accuracy, "accuracy threshold"


def with_unit(label: str, unit: str) -> str:
    """``"label (unit)"``, or ``label`` alone when there is no unit."""
    return f"{label} ({unit})" if unit else label


def _with_unit_value(value: float, unit: str) -> str:
    return f"{value:g} {unit}" if unit else f"{value:g}"


#: the panels of :func:`plot_curves`: (CSV, column, title, y label, y unit or None for the energy
#: unit, scale); scale "log", "linear" or "rate" (a fixed 0-1 axis).  The error columns are the noisy
#: ones; under another metric (:func:`_metric_column`) they become that metric's ``error_<metric>``.
CURVE_PANELS = (
    ("progress", "energy_error", "lowest in each episode", "|E - E0|", None, "log"),
    ("progress", "best_error", "lowest so far", "|E - E0|", None, "log"),
    ("progress", "threshold", "curriculum", "threshold on |E - E0|", None, "log"),
    ("progress", "success_rate", "last 100 episodes", "success rate", "", "rate"),
    ("eval", "error", "greedy policy: energy", "|E - E0|", None, "log"),
    ("eval", "num_gates", "greedy policy: size", "circuit size", "gates", "linear"),
    ("progress", "num_gates", "size at episode end", "circuit size", "gates", "linear"),
    ("progress", "episode_time", "training cost", "time per episode", "s", "linear"),
)


def _metric_column(src: str, key: str, metric: str) -> tuple[str, bool]:
    """``(column, running minimum?)`` that a panel of :data:`CURVE_PANELS` plots under ``metric``:
    the noisy error columns as they are for ``"noisy"``, else the metric's ``error_<metric>`` (for
    ``best_error``, "lowest so far", its running minimum)."""
    if metric == "noisy" or key not in ("energy_error", "best_error", "error"):
        return key, False
    return f"error_{metric}", key == "best_error"


def _panel_points(rows: list[dict], key: str, running_min: bool) -> tuple[list, list]:
    ok = [x for x in rows if x.get(key) is not None and abs(x[key]) != float("inf")]
    xs, ys = [x["episode"] for x in ok], [abs(x[key]) for x in ok]
    if running_min:
        ys = list(np.minimum.accumulate(ys)) if ys else ys
    return xs, ys


def curves_figure(s: dict, metric: str | None = None):
    """The learning curves of a run (:func:`summarize`) as a matplotlib ``Figure`` (no pyplot); the
    error panels show the ``metric``'s errors (``"noisy"``, ``"mitigated"``, ``"noiseless"``; default
    the run's success metric, the one chemical accuracy is judged on)."""
    from matplotlib.figure import Figure

    metric = metric or s.get("success_metric", "noisy")
    if metric not in METRICS:
        raise ValidationError(f"metric must be one of {', '.join(map(repr, METRICS))}; got {metric!r}")
    unit, accuracy, accuracy_name = problem_units(s.get("problem"))
    evals = any(r.get("evaluations") for r in s["seeds"])
    panels = [p for p in CURVE_PANELS if evals or p[0] != "eval"]
    ncol = (len(panels) + 1) // 2
    fig = Figure(figsize=(4.0 * ncol, 6.6), layout="constrained")
    axes = fig.subplots(2, ncol, sharex=True)
    for ax, (src, key, title, ylabel, yunit, scale) in zip(axes.ravel(), panels):
        column, running_min = _metric_column(src, key, metric)
        if column != key:
            ylabel = f"{ylabel} {metric}"
        for r in s["seeds"]:
            xs, ys = _panel_points(read_log(Path(r["dir"]) / f"{src}.csv"), column, running_min)
            if xs:
                ax.plot(xs, ys, lw=1, marker="." if src == "eval" else None, label=f"seed {r['seed']}")
        if key in ("energy_error", "best_error", "error", "threshold"):
            ax.axhline(
                accuracy, color="k", ls="--", lw=0.8, label=f"{accuracy_name} ({_with_unit_value(accuracy, unit)})"
            )
        if scale == "log":
            ax.set_yscale("log")
        elif scale == "rate":  # 0 to 1, a little room so that a rate of 0 or 1 is not hidden by the frame
            ax.set_ylim(-0.03, 1.03)
            ax.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(with_unit(ylabel, unit if yunit is None else yunit))
    for ax in axes[-1]:
        ax.set_xlabel("episode")
    handles, labels = axes[0, 0].get_legend_handles_labels()  # below the panels, covering no curve
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), fontsize=8, frameon=False)
    seeds = [str(r["seed"]) for r in s["seeds"]]
    fig.suptitle(
        f"run {s['config']}: problem {s['problem'] or 'custom Hamiltonian'}, noise {s['noise']}, agent {s['agent']} "
        f"({s.get('profile', 'paper')} profile), seed{'s' if len(seeds) > 1 else ''} {', '.join(seeds)}"
    )
    return fig


def _save_png(fig, path: Path, **kwargs) -> Path:
    """``fig`` as a PNG written atomically to ``path`` (temporary file + rename)."""
    from io import BytesIO

    from crlqas.qnoise.fileio import atomic_write_bytes

    buf = BytesIO()
    fig.savefig(buf, format="png", **kwargs)
    return atomic_write_bytes(path, buf.getvalue())


def plot_curves(s: dict, path: Path, metric: str | None = None) -> Path:
    """Learning curves of a run (:func:`summarize`; error panels of ``metric``, default the run's
    success metric) to the PNG ``path`` (written atomically)."""
    return _save_png(curves_figure(s, metric), Path(path), dpi=110)


def circuit_title(record: dict, kind: str | None = None, seed=None, problem=None, unit: str = "Ha") -> str:
    """The title of :func:`draw_circuit`: which circuit (``kind``, a kind or file name, else the
    record's ``kind``; its label, seed and episode), its energy, its error and size, and the angle
    unit."""
    kind = kind or record.get("kind")
    seed = record.get("seed") if seed is None else seed
    known = next((k for k in CIRCUIT_KINDS if kind in (k.name, k.file)), None)
    what = f"{known.name}: the {known.label}" if known else (kind or "circuit")
    where = [
        f"seed {seed}" if seed is not None else None,
        f"episode {record['episode']}" if record.get("episode") is not None else None,
    ]
    where = ", ".join(w for w in where if w)
    head = f"{problem}: " if problem else ""
    err = record.get("error")
    err = "-" if err is None else f"{abs(err):.2e}"
    u = f" {unit}" if unit else ""
    cx = record["num_cnots"]
    size = f"{record['num_gates']} gates, {cx} CNOT{'' if cx == 1 else 's'}"
    if record.get("depth") is not None:
        size += f", depth {record['depth']}"
    return (
        f"{head}{what}" + (f" ({where})" if where else "") + "\n"
        f"E = {record['energy']:.6f}{u}, |E - E0| = {err}{u}; {size}; angles in rad"
    )


def circuit_figure(record: dict, title: str = "", **title_args):
    """A best-circuit record (``best/*.json``) drawn as a matplotlib ``Figure`` (no pyplot): ASAP
    moments, angles (radians) in the boxes; the title from :func:`circuit_title` (``title_args``:
    kind, seed, problem, unit) unless ``title`` is given."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Rectangle

    circ = record["circuit"]
    n, angles = circ["num_qubits"], record["angles"]
    level = [0] * n
    placed = []
    for g in circ["gates"]:
        qs = g["qubits"]
        d = max(level[q] for q in range(min(qs), max(qs) + 1))
        for q in range(min(qs), max(qs) + 1):
            level[q] = d + 1
        placed.append((d, g))
    depth = max(level, default=0)
    fig = Figure(figsize=(max(5.0, 1.0 + 0.9 * depth), 1.2 + 0.8 * n))
    ax = fig.subplots()
    y = lambda q: n - 1 - q
    for q in range(n):
        ax.plot([-0.6, depth - 0.4], [y(q), y(q)], color="k", lw=1, zorder=0)
        ax.text(-0.8, y(q), f"q{q}", ha="right", va="center")
    for d, g in placed:
        qs = g["qubits"]
        if g["op"] == "cx":
            c, t = qs
            ax.plot([d, d], [y(c), y(t)], color="k", lw=1.2)
            ax.plot(d, y(c), "ko", ms=6)
            ax.add_patch(Circle((d, y(t)), 0.17, fill=False, lw=1.2))
            ax.plot([d, d], [y(t) - 0.17, y(t) + 0.17], color="k", lw=1.2)
        else:
            label = g["op"].upper()
            if "param" in g:
                label += f"\n{_angle(angles[g['param']])}"
            elif "angle" in g:
                label += f"\n{_angle(g['angle'])}"
            for q in qs:
                ax.add_patch(
                    Rectangle((d - 0.32, y(q) - 0.3), 0.64, 0.6, facecolor="#cfe2ff", edgecolor="k", lw=1, zorder=2)
                )
                ax.text(d, y(q), label, ha="center", va="center", fontsize=7, zorder=3)
    ax.set_xlim(-1.2, depth)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_aspect("equal")  # a round CNOT target
    ax.axis("off")
    ax.set_title(title or circuit_title(record, **title_args), fontsize=9)
    return fig


def _angle(value: float) -> str:
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def draw_circuit(record: dict, path: Path, title: str = "", **title_args) -> Path:
    """Drawing of a best-circuit record (:func:`circuit_figure`) to the PNG ``path`` (atomically)."""
    return _save_png(circuit_figure(record, title, **title_args), Path(path), dpi=120, bbox_inches="tight")
