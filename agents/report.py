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

__all__ = ["BEST_FIELDS", "draw_circuit", "plot_curves", "print_best", "report", "summarize"]

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


def plot_curves(s: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("progress", "energy_error", "episode best |E - E0| (Ha)", True),
        ("progress", "best_error", "best |E - E0| so far", True),
        ("progress", "threshold", "curriculum threshold", True),
        ("progress", "success_rate", "success rate (last 100)", False),
        ("progress", "num_gates", "gates at episode end", False),
        ("progress", "episode_time", "episode time (s)", False),
    ]
    if any(r.get("evaluations") for r in s["seeds"]):
        panels[4:4] = [
            ("eval", "error", "greedy policy |E - E0| (Ha)", True),
            ("eval", "num_gates", "greedy policy: gates", False),
        ]
    ncol = (len(panels) + 1) // 2
    fig, axes = plt.subplots(2, ncol, figsize=(4.4 * ncol, 7), constrained_layout=True)
    for ax, (src, key, title, log) in zip(axes.ravel(), panels):
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
        if key in ("energy_error", "best_error", "error"):
            ax.axhline(1.6e-3, color="k", ls="--", lw=0.8, label="chemical accuracy")
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("episode")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{s['config']}: {s['problem']} / {s['noise']} / {s['agent']}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_circuit(record: dict, path: Path, title: str = "") -> Path:
    """Matplotlib drawing of a best-circuit record (``best/*.json``): ASAP moments, angles in boxes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    fig, ax = plt.subplots(figsize=(max(4.0, 1.0 + 0.9 * depth), 0.9 + 0.8 * n))
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
            ax.add_patch(plt.Circle((d, y(t)), 0.17, fill=False, lw=1.2))
            ax.plot([d, d], [y(t) - 0.17, y(t) + 0.17], color="k", lw=1.2)
        else:
            label = g["op"].upper()
            if "param" in g:
                label += f"\n{angles[g['param']]:.3f}"
            elif "angle" in g:
                label += f"\n{g['angle']:.3f}"
            for q in qs:
                ax.add_patch(
                    plt.Rectangle((d - 0.32, y(q) - 0.3), 0.64, 0.6, facecolor="#cfe2ff", edgecolor="k", lw=1, zorder=2)
                )
                ax.text(d, y(q), label, ha="center", va="center", fontsize=7, zorder=3)
    ax.set_xlim(-1.2, depth)
    ax.set_ylim(-0.7, n - 0.3)
    ax.axis("off")
    err = record.get("error")
    ax.set_title(
        title
        or f"E = {record['energy']:.6f} Ha, |E - E0| = "
        f"{abs(err) if err is not None else float('nan'):.2e}, {record['num_gates']} gates, "
        f"{record['num_cnots']} CNOTs",
        fontsize=9,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


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
            s["plots"].append(str(draw_circuit(rec, out / "best_circuit.png")))
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
