"""``crlqas report RUN_DIR``: summary table, learning curves (PNG) and a drawing of the best circuit.

Reads what :mod:`agents.train` wrote: ``config.json`` and, per seed, ``progress.csv``,
``best/*.json``, ``eval.csv`` (greedy evaluations, when enabled) and ``summary.json`` (missing for
a seed still running or interrupted: the table then comes from its log and best-circuit files).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from crlqas.qnoise.errors import ValidationError

__all__ = [
    "BEST_FIELDS",
    "circuit_figure",
    "circuit_title",
    "curves_figure",
    "draw_circuit",
    "plot_curves",
    "print_best",
    "problem_units",
    "report",
    "summarize",
]

CIRCUITS = ("best_energy", "first_accurate", "shortest_accurate", "greedy")
#: the fields of a best-circuit record (``best/<name>.json``) that the summary keeps
BEST_FIELDS = (
    "energy",
    "error",
    "energy_noiseless",
    "num_gates",
    "num_cnots",
    "num_rotations",
    "depth",
    "episode",
    "wall_time",
    "timesteps",
)


def _read_progress(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        out.append({k: (float(v) if v not in ("", None) else None) for k, v in r.items()})
    return out


def summarize(run_dir) -> dict:
    """``{"run_dir", "config", "seeds": [per-seed dict]}`` from a run directory."""
    run = Path(run_dir)
    if not (run / "config.json").is_file():
        raise ValidationError(f"{run} is not a run directory (no config.json)")
    config = json.loads((run / "config.json").read_text())
    seeds = []
    for sdir in sorted(run.glob("seed_*"), key=lambda p: int(p.name.split("_")[1])):
        rows = _read_progress(sdir / "progress.csv")
        evals = _read_progress(sdir / "eval.csv")
        first_greedy = next((e for e in evals if e.get("accurate")), None)
        best = {}
        for name in CIRCUITS:
            f = sdir / "best" / f"{name}.json"
            if f.exists():
                rec = json.loads(f.read_text())
                best[name] = {k: rec.get(k) for k in BEST_FIELDS}
        summary = json.loads((sdir / "summary.json").read_text()) if (sdir / "summary.json").exists() else {}
        first = best.get("first_accurate")
        seeds.append(
            {
                "seed": int(sdir.name.split("_")[1]),
                "dir": str(sdir),
                "episodes": int(rows[-1]["episode"]) if rows else 0,
                "finished": bool(summary)
                and (
                    summary.get("episodes", 0) >= config["run"]["episodes"] or summary.get("stopped_early") == "success"
                ),
                "stopped_early": summary.get("stopped_early") or None,
                "best_error": None if "best_energy" not in best else best["best_energy"]["error"],
                "first_accurate_episode": None if first is None else first["episode"],
                "first_accurate_seconds": None if first is None else first["wall_time"],
                "final_success_rate": rows[-1]["success_rate"] if rows else None,
                "final_threshold": rows[-1]["threshold"] if rows else None,
                "evaluations": len(evals),
                "greedy_error": evals[-1]["error"] if evals else None,
                "greedy_accurate_episode": None if first_greedy is None else int(first_greedy["episode"]),
                "greedy_accurate_seconds": None if first_greedy is None else first_greedy["wall_time"],
                "circuits": best,
            }
        )
    return {
        "run_dir": str(run),
        "config": config.get("name"),
        "problem": config["env"].get("problem"),
        "noise": config["env"].get("noise"),
        "agent": config["agent"]["name"],
        "profile": config["agent"].get("profile", "paper"),
        "stop_after_success": config["run"].get("stop_after_success", 0),
        "seeds": seeds,
    }


def _fmt(v, spec=".3e"):
    return "-" if v is None else format(v, spec)


def format_table(s: dict) -> str:
    head = (
        f"run {s['run_dir']}  config {s['config']}  problem {s['problem']}  noise {s['noise']}  "
        f"agent {s['agent']} ({s.get('profile', 'paper')} profile)"
    )
    cols = (
        "seed",
        "episodes",
        "best |err|",
        "1st chem.acc. ep",
        "seconds",
        "best circ g/cx/d",
        "shortest acc. g/cx/d",
        "succ rate",
        "greedy |err|",
        "greedy acc. ep",
    )
    lines = [head, "  ".join(f"{c:>16s}" for c in cols)]
    for r in s["seeds"]:
        b = r["circuits"].get("best_energy")
        sh = r["circuits"].get("shortest_accurate")
        size = lambda c: "-" if c is None else f"{c['num_gates']}/{c['num_cnots']}/{c['depth']}"
        vals = (
            str(r["seed"]),
            f"{r['episodes']}{'' if r['finished'] else '*'}",
            _fmt(None if r["best_error"] is None else abs(r["best_error"])),
            "-" if r["first_accurate_episode"] is None else str(r["first_accurate_episode"]),
            _fmt(r["first_accurate_seconds"], ".1f"),
            size(b),
            size(sh),
            _fmt(r["final_success_rate"], ".2f"),
            _fmt(r["greedy_error"]),
            "-" if r["greedy_accurate_episode"] is None else str(r["greedy_accurate_episode"]),
        )
        lines.append("  ".join(f"{v:>16s}" for v in vals))
    if any(not r["finished"] for r in s["seeds"]):
        lines.append("* not finished (resume with: crlqas train --resume RUN_DIR)")
    if any(r["stopped_early"] == "success" for r in s["seeds"]):
        lines.append(
            "stopped early: the greedy policy built chemically accurate circuits in "
            f"{s.get('stop_after_success') or 'K'} evaluations in a row"
        )
    return "\n".join(lines)


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


def _with_unit(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def _with_unit_value(value: float, unit: str) -> str:
    return f"{value:g} {unit}" if unit else f"{value:g}"


#: the panels of :func:`plot_curves`: (CSV, column, title, y label, y unit or None for the energy
#: unit, scale); scale "log", "linear" or "rate" (a fixed 0-1 axis)
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


def curves_figure(s: dict):
    """The learning curves of a run (:func:`summarize`) as a matplotlib ``Figure`` (no pyplot)."""
    from matplotlib.figure import Figure

    unit, accuracy, accuracy_name = problem_units(s.get("problem"))
    evals = any(r.get("evaluations") for r in s["seeds"])
    panels = [p for p in CURVE_PANELS if evals or p[0] != "eval"]
    ncol = (len(panels) + 1) // 2
    fig = Figure(figsize=(4.0 * ncol, 6.6), layout="constrained")
    axes = fig.subplots(2, ncol, sharex=True)
    for ax, (src, key, title, ylabel, yunit, scale) in zip(axes.ravel(), panels):
        for r in s["seeds"]:
            rows = _read_progress(Path(r["dir"]) / f"{src}.csv")
            ok = [x for x in rows if x.get(key) is not None and abs(x[key]) != float("inf")]
            if ok:
                ax.plot(
                    [x["episode"] for x in ok],
                    [abs(x[key]) for x in ok],
                    lw=1,
                    marker="." if src == "eval" else None,
                    label=f"seed {r['seed']}",
                )
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
        ax.set_ylabel(_with_unit(ylabel, unit if yunit is None else yunit))
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


def plot_curves(s: dict, path: Path) -> Path:
    """Learning curves of a run (:func:`summarize`) to the PNG ``path`` (written atomically)."""
    return _save_png(curves_figure(s), Path(path), dpi=110)


#: what each best-circuit record (``best/<kind>.json``) holds, for the drawing's title
CIRCUIT_NAMES = {
    "best_energy": "lowest-energy circuit",
    "first_accurate": "first chemically accurate circuit",
    "shortest_accurate": "shortest chemically accurate circuit",
    "greedy": "greedy policy's shortest chemically accurate circuit",
}


def circuit_title(record: dict, kind: str | None = None, seed=None, problem=None, unit: str = "Ha") -> str:
    """The title of :func:`draw_circuit`: which circuit (``kind``, seed, episode), its energy, its
    error and size, and the angle unit."""
    what = CIRCUIT_NAMES.get(kind, kind or "circuit")
    where = [
        f"seed {seed}" if seed is not None else None,
        f"episode {record['episode']}" if "episode" in record else None,
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


def _best_seed(s: dict):
    """(seed row, circuit name) of the shortest chemically accurate circuit, else the lowest error."""
    acc = [
        (r["circuits"]["shortest_accurate"]["num_gates"], r["seed"], r)
        for r in s["seeds"]
        if "shortest_accurate" in r["circuits"]
    ]
    if acc:
        return min(acc, key=lambda t: t[:2])[2], "shortest_accurate"
    rest = [(abs(r["best_error"]), r["seed"], r) for r in s["seeds"] if r["best_error"] is not None]
    return (min(rest, key=lambda t: t[:2])[2], "best_energy") if rest else (None, None)


def report(run_dir, as_json: bool = False, plots: bool = True) -> int:
    s = summarize(run_dir)
    if plots and s["seeds"]:
        out = Path(run_dir) / "report"
        s["plots"] = [str(plot_curves(s, out / "learning_curves.png"))]
        row, name = _best_seed(s)
        if row is not None:
            rec = json.loads((Path(row["dir"]) / "best" / f"{name}.json").read_text())
            unit = problem_units(s["problem"])[0]
            args = {"kind": name, "seed": row["seed"], "problem": s["problem"], "unit": unit}
            s["plots"].append(str(draw_circuit(rec, out / "best_circuit.png", **args)))
            s["best_circuit"] = {
                "seed": row["seed"],
                "kind": name,
                "qasm": str(Path(row["dir"]) / "best" / f"{name}.qasm"),
            }
    if as_json:
        print(json.dumps(s, indent=2))
    else:
        print(format_table(s))
        for p in s.get("plots", []):
            print(f"wrote {p}")
    return 0


def print_best(results: list[dict]) -> None:
    """After ``crlqas train``: one line per seed, then the OpenQASM of the circuit the trained
    (greedy) policy builds when greedy evaluations found it chemically accurate, else of the
    shortest chemically accurate (or lowest-energy) circuit seen in training."""
    best, greedy = None, None
    for r in results:
        acc, be = r.get("first_accurate"), r.get("best_energy")
        err = None if be is None else abs(be["error"]) if be.get("error") is not None else None
        print(
            f"seed {r['seed']}: {r['episodes']} episodes, {r['wall_time']:.1f} s, best |E - E0| = "
            f"{_fmt(err)}"
            + ("" if acc is None else f", chemically accurate at episode {acc['episode']} ({acc['wall_time']:.1f} s)")
        )
        fg, last = r.get("first_greedy_accurate"), r.get("last_eval")
        if last is not None:
            line = (
                f"  greedy policy: |E - E0| = {_fmt(last['error'])} with {last['num_gates']} gates at episode "
                f"{last['episode']}"
            )
            if fg is not None:
                line += f"; first chemically accurate at episode {fg['episode']} ({fg['wall_time']:.1f} s)"
            if r.get("stopped_early") == "success":
                line += f"; stopped after {last['streak']} accurate evaluations in a row"
            print(line)
        if r.get("stopped_early") == "time":
            print("  stopped at the time limit ([run] max_seconds); --resume continues")
        g = r.get("greedy")
        if g is not None and (greedy is None or (g["num_gates"], abs(g["error"])) < greedy[0]):
            greedy = ((g["num_gates"], abs(g["error"])), r, "greedy", g)
        name = "shortest_accurate" if r.get("shortest_accurate") else "best_energy"
        rec = r.get(name)
        if rec is not None:
            key = (
                0 if name == "shortest_accurate" else 1,
                rec["num_gates"] if name == "shortest_accurate" else abs(rec["error"] or 0.0),
            )
            if best is None or key < best[0]:
                best = (key, r, name, rec)
    names = {
        "greedy": "shortest chemically accurate circuit built by the trained (greedy) policy",
        "shortest_accurate": "shortest chemically accurate circuit seen in training",
        "best_energy": "lowest-energy circuit seen in training",
    }
    for i, item in enumerate((greedy, best) if greedy is not None else (best,)):
        if item is None:
            continue
        _, r, name, rec = item
        qasm = Path(r["dir"]) / "best" / f"{name}.qasm"
        text = (
            f"{names[name]} (seed {r['seed']}, episode {rec['episode']}): E = {rec['energy']:.8f} Ha, "
            f"|E - E0| = {_fmt(abs(rec['error']) if rec['error'] is not None else None)}, {rec['num_gates']} "
            f"gates, {rec['num_cnots']} CNOTs, depth {rec['depth']}  ({qasm})"
        )
        if i == 0:
            print("\n" + text)
            if qasm.exists():
                print(qasm.read_text(), end="")
        else:  # the training circuit (exploration included) when the greedy one was printed
            print("\n" + text)
