"""``crlqas report RUN_DIR``: the summary of a run, its text table (or JSON), and the run's circuit.

Reads what :mod:`agents.train` wrote: ``config.json`` and, per seed, ``progress.csv``,
``best/*.json``, ``eval.csv`` (greedy evaluations, when enabled) and ``summary.json`` (missing for
a seed still running or interrupted: the table then comes from its log and best-circuit files).
Which circuit is drawn and printed (here and after ``crlqas train``) is chosen by
:func:`crlqas.agents.runlog.best_from_run`: ``--which KIND`` or the default rule
(:func:`crlqas.agents.runlog.default_kind`); every table, drawing and line names the kind
(:data:`crlqas.agents.runlog.CIRCUIT_KINDS`) and the episode it came from.

Errors: a circuit's ``|E - E0|`` comes three ways (:data:`crlqas.agents.runlog.METRICS`): its exact
noisy energy as measured (readout errors included), readout-mitigated, and noiseless; the run's
``env.success_metric`` (default ``noisy``) is the one chemical accuracy is judged on.  The summary
(JSON) has the run's ``success_metric``, each best circuit's ``errors`` (signed ``E - E0``) and each
seed's ``greedy_errors`` (the latest evaluation's three ``|E - E0|``); the text table shows the three
errors of each circuit when they differ (a noisy run) and the chosen circuit's.  The figures it
writes (learning curves, a drawing of the run's circuit) are drawn by :mod:`crlqas.agents.plots`.
"""

from __future__ import annotations

import json
from pathlib import Path

from crlqas.qnoise.errors import ValidationError

from .plots import draw_circuit, plot_curves, problem_units, with_unit
from .runlog import (
    CIRCUIT_KINDS,
    METRICS,
    best_from_run,
    circuit_kind,
    pick_circuit,
    read_circuits,
    read_log,
    run_problem,
)

__all__ = [
    "BEST_FIELDS",
    "CIRCUIT_NAMES",
    "choose_circuit",
    "describe_circuit",
    "format_table",
    "print_best",
    "report",
    "summarize",
]

#: the fields of a best-circuit record (``best/<name>.json``) that the summary keeps
BEST_FIELDS = (
    "energy",
    "error",
    "energy_noiseless",
    "errors",
    "success_metric",
    "num_gates",
    "num_cnots",
    "num_rotations",
    "depth",
    "episode",
    "wall_time",
    "timesteps",
)


def summarize(run_dir) -> dict:
    """``{"run_dir", "config", "seeds": [per-seed dict]}`` from a run directory."""
    run = Path(run_dir)
    if not (run / "config.json").is_file():
        raise ValidationError(f"{run} is not a run directory (no config.json)")
    config = json.loads((run / "config.json").read_text())
    metric = _success_metric(config)
    seeds = []
    for sdir in sorted(run.glob("seed_*"), key=lambda p: int(p.name.split("_")[1])):
        rows = read_log(sdir / "progress.csv")
        evals = read_log(sdir / "eval.csv")
        first_greedy = next((e for e in evals if e.get("accurate")), None)
        best = {}  # kind name -> the record's fields, its kind and label, its file
        for found in sorted(read_circuits(sdir), key=lambda f: _KIND_ORDER.get(f.kind, len(_KIND_ORDER))):
            if found.kind is not None:
                rec = found.record
                best[found.kind] = {
                    "kind": found.kind,
                    "label": circuit_kind(found.kind).label,
                    **{k: rec.get(k) for k in BEST_FIELDS},
                    "file": str(found.path),
                }
        summary = json.loads((sdir / "summary.json").read_text()) if (sdir / "summary.json").exists() else {}
        first = best.get("first-accurate")
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
                "best_error": None if "lowest-energy" not in best else best["lowest-energy"]["error"],
                "first_accurate_episode": None if first is None else first["episode"],
                "first_accurate_seconds": None if first is None else first["wall_time"],
                "final_success_rate": rows[-1]["success_rate"] if rows else None,
                "final_threshold": rows[-1]["threshold"] if rows else None,
                "evaluations": len(evals),
                "greedy_error": evals[-1]["error"] if evals else None,
                "greedy_errors": None if not evals else {m: evals[-1].get(f"error_{m}") for m in METRICS},
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
        "success_metric": metric,
        "agent": config["agent"]["name"],
        "profile": config["agent"].get("profile", "paper"),
        "stop_after_success": config["run"].get("stop_after_success", 0),
        "seeds": seeds,
    }


def _success_metric(config: dict) -> str:
    """The run's ``env.success_metric`` (``"noisy"`` when unset: runs of an older crlqas)."""
    env = config.get("env") if isinstance(config.get("env"), dict) else {}
    metric = env.get("success_metric", "noisy")
    return metric if metric in METRICS else "noisy"


def _fmt(v, spec=".3e"):
    return "-" if v is None else format(v, spec)


def _record_errors(record: dict) -> dict:
    """``|E - E0|`` by metric of a best-circuit record (``None`` where unknown; the noisy one from
    ``error`` for a record of an older crlqas)."""
    errors = record.get("errors") if isinstance(record.get("errors"), dict) else {}
    out = {m: None if errors.get(m) is None else abs(errors[m]) for m in METRICS}
    if out["noisy"] is None and record.get("error") is not None:
        out["noisy"] = abs(record["error"])
    return out


def _differ(errors: dict) -> bool:
    """Do the metrics' errors of a circuit differ (a noisy run)?"""
    return len({errors.get(m) for m in METRICS} - {None}) > 1


def errors_text(record: dict, unit: str = "") -> str:
    """``"noisy 4.19e-02, mitigated 6.60e-03, noiseless 4.00e-05 Ha (success metric: noiseless)"``:
    a record's three ``|E - E0|``; ``""`` when they do not differ (no noise) or are unknown."""
    errors = _record_errors(record)
    if not _differ(errors):
        return ""
    u = f" {unit}" if unit else ""
    metric = record.get("success_metric") if record.get("success_metric") in METRICS else "noisy"
    return ", ".join(f"{m} {_fmt(errors[m], '.2e')}" for m in METRICS) + f"{u} (success metric: {metric})"


def format_table(s: dict) -> str:
    """The text of ``crlqas report``: the per-seed table, then each seed's best circuits by kind and
    episode (the chosen one, ``s["best_circuit"]``, marked)."""
    metric = s.get("success_metric", "noisy")
    head = (
        f"run {s['run_dir']}  config {s['config']}  problem {s['problem']}  noise {s['noise']}  "
        f"agent {s['agent']} ({s.get('profile', 'paper')} profile)  success metric {metric}"
    )
    cols = (
        "seed",
        "episodes",
        "best |err|",
        "1st chem.acc. ep",
        "seconds",
        "succ rate",
        "greedy |err|" if metric == "noisy" else f"greedy {metric}",
        "greedy acc. ep",
    )
    lines = [head, "  ".join(f"{c:>16s}" for c in cols)]
    for r in s["seeds"]:
        vals = (
            str(r["seed"]),
            f"{r['episodes']}{'' if r['finished'] else '*'}",
            _fmt(None if r["best_error"] is None else abs(r["best_error"])),
            "-" if r["first_accurate_episode"] is None else str(r["first_accurate_episode"]),
            _fmt(r["first_accurate_seconds"], ".1f"),
            _fmt(r["final_success_rate"], ".2f"),
            _fmt(r["greedy_error"] if metric == "noisy" else (r.get("greedy_errors") or {}).get(metric)),
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
    if metric != "noisy":
        lines.append(
            f"chemical accuracy judged on the {metric} energy (env.success_metric); best |err|: the "
            "lowest-energy circuit's noisy error"
        )
    if any(r["circuits"] for r in s["seeds"]):
        lines += ["", *_circuit_table(s)]
    return "\n".join(lines)


def _circuit_table(s: dict) -> list[str]:
    """Each seed's best circuits (kind, episode, error, size), the chosen one marked."""
    unit = problem_units(s.get("problem"))[0]
    chosen = s.get("best_circuit") or {}
    metric = s.get("success_metric", "noisy")
    # the three errors when they differ anywhere (a noisy run), else the one |E - E0|
    three = any(_differ(_record_errors(c)) for r in s["seeds"] for c in r["circuits"].values())
    names = [f"|E-E0| {m}" + ("*" if m == metric else "") for m in METRICS] if three else ["|E - E0|"]
    names = [with_unit(n, unit) for n in names]
    widths = [max(14, len(n)) for n in names]
    lines = [
        "best circuits by kind (--which KIND; episode: the training episode that built it, for greedy the "
        "episode its evaluation followed):",
        f"{'seed':>8s}  {'kind':<18s}  {'episode':>7s}  "
        + "  ".join(f"{n:>{w}s}" for n, w in zip(names, widths))
        + f"  {'gates/cx/depth':>14s}",
    ]
    for r in s["seeds"]:
        for kind, c in r["circuits"].items():
            mark = ""
            if (r["seed"], kind) == (chosen.get("seed"), chosen.get("kind")):
                mark = f"  <- the run's circuit ({'default rule' if chosen['which'] == 'default' else '--which'})"
            size = f"{c['num_gates']}/{c['num_cnots']}/{c['depth']}"
            errors = _record_errors(c)
            errs = "  ".join(f"{_fmt(errors[m]):>{w}s}" for m, w in zip(METRICS if three else ("noisy",), widths))
            lines.append(f"{r['seed']:>8d}  {kind:<18s}  {_fmt(c.get('episode'), 'd'):>7s}  {errs}  {size:>14s}{mark}")
    if three:
        lines.append(
            f"errors against E0 of the noisy energy as measured, the readout-mitigated one and the noiseless "
            f"one; * the success metric ({metric}): chemically accurate kinds are judged on it"
        )
    if chosen:
        lines += ["", describe_circuit(chosen["record"], unit, chosen["qasm"])]
    return lines


def describe_circuit(record: dict, unit: str = "Ha", qasm=None) -> str:
    """``"greedy circuit (seed 100, episode 90): <its label>\n  E = ..., |E - E0| = ..., size (QASM
    file)"``: what ``crlqas report`` and ``crlqas train`` print about the run's circuit."""
    kind = record.get("kind")
    where = ", ".join(f"{key} {record[key]}" for key in ("seed", "episode") if record.get(key) is not None)
    u = f" {unit}" if unit else ""
    err = record.get("error")
    cx = record["num_cnots"]
    return (
        f"{kind or 'the'} circuit"
        + (f" ({where})" if where else "")
        + (f": the {CIRCUIT_NAMES[kind]}" if kind in CIRCUIT_NAMES else "")
        + "\n"
        f"  E = {record['energy']:.8f}{u}, |E - E0| = {_fmt(None if err is None else abs(err))}{u}, "
        f"{record['num_gates']} gates, {cx} CNOT{'' if cx == 1 else 's'}, depth {record['depth']}"
        + (f"  ({qasm})" if qasm else "")
        + (f"\n  |E - E0| by metric: {errors_text(record, unit)}" if errors_text(record) else "")
    )


#: what each kind of best circuit (``best/<file>.json``, :data:`crlqas.agents.runlog.CIRCUIT_KINDS`)
#: is, by kind name: the drawing's title and the printed lines say it
CIRCUIT_NAMES = {k.name: k.label for k in CIRCUIT_KINDS}
_KIND_ORDER = {k.name: i for i, k in enumerate(CIRCUIT_KINDS)}


def choose_circuit(s: dict, which: str | None = None) -> dict | None:
    """The run's circuit (:func:`crlqas.agents.runlog.best_from_run`: of kind ``which``, or by the
    default rule) as ``s["best_circuit"]``: its seed, kind, label, episode, files, which rule chose
    it and the record; ``None`` when the run has no circuit yet and ``which`` is ``None``."""
    if which is None and not any(r["circuits"] for r in s["seeds"]):
        return None
    rec, path = best_from_run([r["dir"] for r in s["seeds"]] or s["run_dir"], which)
    return {
        "seed": rec.get("seed"),
        "kind": rec.get("kind"),
        "label": rec.get("kind_label"),
        "episode": rec.get("episode"),
        "which": which or "default",
        "errors": _record_errors(rec),
        "success_metric": rec.get("success_metric", "noisy"),
        "json": str(path),
        "qasm": str(path.with_suffix(".qasm")),
        "record": rec,
    }


def report(
    run_dir, as_json: bool = False, plots: bool = True, which: str | None = None, metric: str | None = None
) -> int:
    """``crlqas report``: the table (:func:`format_table`), learning curves (error panels of
    ``metric``, default the run's success metric) and a drawing of the run's circuit of kind
    ``which`` (``None``: the default rule) under ``run_dir/report/``."""
    s = summarize(run_dir)
    chosen = choose_circuit(s, which)
    if chosen is not None:
        s["best_circuit"] = chosen
    if plots and s["seeds"]:
        out = Path(run_dir) / "report"
        s["plots"] = [str(plot_curves(s, out / "learning_curves.png", metric))]
        if chosen is not None:
            unit = problem_units(s["problem"])[0]
            args = {"kind": chosen["kind"], "seed": chosen["seed"], "problem": s["problem"], "unit": unit}
            drawing = draw_circuit(chosen["record"], out / "best_circuit.png", **args)
            s["plots"].append(chosen.setdefault("drawing", str(drawing)))
    if as_json:
        if chosen is not None:
            s["best_circuit"] = {k: v for k, v in chosen.items() if k != "record"}
        print(json.dumps(s, indent=2))
    else:
        print(format_table(s))
        for p in s.get("plots", []):
            print(f"wrote {p}")
    return 0


def print_best(results: list[dict]) -> None:
    """After ``crlqas train``: one line per seed, then the run's circuit by the default rule (the one
    ``crlqas report`` draws; :func:`crlqas.agents.runlog.best_from_run`) with its kind, seed, episode
    and OpenQASM, and the other kinds of circuit the run recorded."""
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
            metric = last.get("success_metric", "noisy")
            judged = "" if metric == "noisy" else f" ({metric} {_fmt(last.get('metric_error'))})"
            line = (
                f"  greedy policy: |E - E0| = {_fmt(last['error'])}{judged} with {last['num_gates']} gates at "
                f"episode {last['episode']}"
            )
            if fg is not None:
                line += f"; first chemically accurate at episode {fg['episode']} ({fg['wall_time']:.1f} s)"
            if r.get("stopped_early") == "success":
                line += f"; stopped after {last['streak']} accurate evaluations in a row"
            print(line)
        if r.get("stopped_early") == "time":
            print("  stopped at the time limit ([run] max_seconds); --resume continues")
    dirs = [r["dir"] for r in results]
    found = read_circuits(dirs) if dirs else []
    if not found:
        print("\nno circuit recorded")
        return
    rec, path = best_from_run(dirs)
    qasm = path.with_suffix(".qasm")
    unit = problem_units(run_problem(path))[0]
    print("\n" + describe_circuit(rec, unit, qasm))
    if qasm.exists():
        print(qasm.read_text(), end="")
    others = sorted({f.kind for f in found if f.kind is not None} - {rec.get("kind")}, key=_KIND_ORDER.get)
    if others:
        print(f"also recorded (crlqas report {Path(dirs[0]).parent} --which KIND draws one):")
        for o in (pick_circuit(found, kind).record for kind in others):
            err = None if o.get("error") is None else abs(o["error"])
            by_metric = errors_text(o)
            print(
                f"  {o['kind']:<18s} seed {o.get('seed')}, episode {o.get('episode')}, {o['num_gates']} gates, "
                f"|E - E0| = {_fmt(err)}" + (f"; by metric: {by_metric}" if by_metric else "")
            )
