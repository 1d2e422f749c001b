"""The experiment's table: one tidy row per finished trial and one aggregate row per setting.

Trial rows (:func:`trial_rows`): the trial's keys (``trial, problem, noise, method, variant, seed,
preset``), its record's fields (:meth:`crlqas.qnoise.results.ResultRecord.row`: the three signed
errors ``E - E0`` and energies, sizes, evaluations, wall time; ``record_method`` names the method's
variant, e.g. ``agent:dqn/cpu``), and by the suite's metric ``error`` (``|E - E0|``) and ``success``
(``error <= chemical accuracy``).

Aggregates (:func:`summarize`), per setting (problem, noise, method, variant) over its seeds:
trials, done, failed, ``success`` (the fraction of finished trials that succeeded), the median and
best ``|E - E0|`` of each metric (``error_median``/``error_best`` by the suite's metric,
``error_<metric>_median``/``_best`` for all three), the best trial (lowest error, then fewer CNOTs,
then fewer gates) and its gates, CNOTs and depth, the medians of gates, CNOTs, depth, evaluations
and wall time, and the total wall time.

:func:`write_tables` writes ``table/trials.csv``, ``trials.json``, ``summary.csv``, ``summary.json``,
``table.md`` and the plots (:mod:`.plots`) into the experiment directory.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path

from crlqas.qnoise.fileio import atomic_write_json, atomic_write_text
from crlqas.qnoise.results import METRICS

from .execute import read_result, trial_dir, trial_state
from .manifest import read_manifest
from .progress import format_duration

__all__ = [
    "SUMMARY_COLUMNS",
    "TRIAL_COLUMNS",
    "format_csv",
    "format_markdown",
    "summarize",
    "trial_rows",
    "write_tables",
]

TRIAL_COLUMNS = (
    "trial",
    "problem",
    "noise",
    "method",
    "variant",
    "seed",
    "preset",
    "record_method",
    "metric",
    "success",
    "error",
    *(f"error_{m}" for m in METRICS),
    *(f"energy_{m}" for m in METRICS),
    "e0",
    "chemical_accuracy",
    "num_gates",
    "num_cnots",
    "num_rotations",
    "depth",
    "evaluations",
    "wall_time",
)
_SIZES = ("num_gates", "num_cnots", "depth")
SUMMARY_COLUMNS = (
    "problem",
    "noise",
    "method",
    "variant",
    "trials",
    "done",
    "failed",
    "success",
    "error_median",
    "error_best",
    *(f"error_{m}_{k}" for m in METRICS for k in ("median", "best")),
    "best_trial",
    *(f"best_{s}" for s in _SIZES),
    *(f"{s}_median" for s in (*_SIZES, "evaluations", "wall_time")),
    "wall_time_total",
)


def trial_rows(exp_dir) -> tuple:
    """``(suite, trials, rows)``: the experiment's suite, its trials and one row per finished trial
    (in the manifest's order)."""
    suite, trials = read_manifest(exp_dir)
    rows = []
    for t in trials:
        record = read_result(trial_dir(exp_dir, t.id))
        if record is None:
            continue
        row = {**record.row(), **t.keys(), "record_method": record.method, "metric": t.metric}
        err = record.errors.get(t.metric)
        row["error"] = None if err is None else abs(err)
        row["success"] = err is not None and abs(err) <= record.chemical_accuracy
        rows.append({c: row.get(c) for c in TRIAL_COLUMNS})
    return suite, trials, rows


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(exp_dir, trials=None, rows=None) -> list[dict]:
    """One aggregate row per setting (see the module docstring), in the manifest's order."""
    if rows is None:
        _, trials, rows = trial_rows(exp_dir)
    by_setting = {}
    for t in trials:
        entry = by_setting.setdefault(t.setting, {"trials": 0, "failed": 0, "rows": []})
        entry["trials"] += 1
        entry["failed"] += trial_state(trial_dir(exp_dir, t.id)) == "failed"
    for r in rows:
        by_setting[(r["problem"], r["noise"], r["method"], r["variant"])]["rows"].append(r)
    out = []
    for (problem, noise, method, variant), entry in by_setting.items():
        rs = entry["rows"]
        agg = {"problem": problem, "noise": noise, "method": method, "variant": variant}
        agg.update(trials=entry["trials"], done=len(rs), failed=entry["failed"])
        agg["success"] = sum(r["success"] for r in rs) / len(rs) if rs else None
        agg["error_median"] = _median(r["error"] for r in rs)
        agg["error_best"] = min((r["error"] for r in rs if r["error"] is not None), default=None)
        for m in METRICS:
            errors = [abs(r[f"error_{m}"]) for r in rs if r[f"error_{m}"] is not None]
            agg[f"error_{m}_median"] = _median(errors)
            agg[f"error_{m}_best"] = min(errors, default=None)
        ranked = [r for r in rs if r["error"] is not None]
        best = min(ranked, key=lambda r: (r["error"], r["num_cnots"], r["num_gates"]), default=None)
        agg["best_trial"] = None if best is None else best["trial"]
        for s in _SIZES:
            agg[f"best_{s}"] = None if best is None else best[s]
        for s in (*_SIZES, "evaluations", "wall_time"):
            agg[f"{s}_median"] = _median(r[s] for r in rs)
        agg["wall_time_total"] = sum(r["wall_time"] for r in rs)
        out.append({c: agg[c] for c in SUMMARY_COLUMNS})
    return out


def format_csv(rows: list[dict], columns) -> str:
    """``rows`` as CSV with a header (numbers at full precision, ``None`` empty)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: "" if r.get(c) is None else r[c] for c in columns})
    return buf.getvalue()


def _num(v, spec: str = ".2e") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec) if isinstance(v, float) else str(v)


def _size(best, median) -> str:
    return f"{_num(best)} ({_num(median, '.3g')})" if best is not None else "-"


def _md(header, lines) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"] + [
        "| " + " | ".join(cells) + " |" for cells in lines
    ]


def format_markdown(suite, summary: list[dict], rows: list[dict] | None = None) -> str:
    """The summary (and, given ``rows``, the trials) as Markdown tables."""
    variants = any(a["variant"] != "default" for a in summary)
    metric = suite.metric
    out = [
        f"# Experiment {suite.name}",
        "",
        f"Success metric: {metric}; errors are |E - E0| (Hartree for molecules); success is the fraction of "
        "finished seeds within chemical accuracy; gates, CNOTs and depth of the best circuit (median over "
        "seeds in parentheses); evaluations and wall time are medians over seeds.",
        "",
    ]
    header = ["problem", "noise", "method", *(["variant"] if variants else []), "seeds", "success"]
    header += [f"median error ({metric})", f"best error ({metric})", "gates", "CNOTs", "depth", "evaluations", "time"]
    lines = []
    for a in summary:
        cells = [a["problem"], a["noise"], a["method"], *([a["variant"]] if variants else [])]
        cells.append(f"{a['done']}/{a['trials']}" + (f" ({a['failed']} failed)" if a["failed"] else ""))
        cells.append("-" if a["success"] is None else f"{a['success']:.2f}")
        cells += [_num(a["error_median"]), _num(a["error_best"])]
        cells += [_size(a[f"best_{s}"], a[f"{s}_median"]) for s in _SIZES]
        cells += [_num(a["evaluations_median"], ".3g"), format_duration(a["wall_time_median"])]
        lines.append(cells)
    out += _md(header, lines)
    if rows:
        out += ["", "## Trials", ""]
        header = ["trial", "method", "success", f"error ({metric})", "gates", "CNOTs", "depth", "evaluations", "time"]
        lines = [
            [r["trial"], r["record_method"], "yes" if r["success"] else "no", _num(r["error"])]
            + [_num(r[s]) for s in (*_SIZES, "evaluations")]
            + [format_duration(r["wall_time"])]
            for r in rows
        ]
        out += _md(header, lines)
    return "\n".join(out) + "\n"


def write_tables(exp_dir, plots: bool = True) -> dict:
    """Write the tables (and plots) into ``exp_dir/table/``; returns ``{suite, summary, trials,
    files}``."""
    exp_dir = Path(exp_dir)
    suite, trials, rows = trial_rows(exp_dir)
    summary = summarize(exp_dir, trials, rows)
    d = exp_dir / "table"
    files = [
        atomic_write_text(d / "trials.csv", format_csv(rows, TRIAL_COLUMNS)),
        atomic_write_text(d / "summary.csv", format_csv(summary, SUMMARY_COLUMNS)),
        atomic_write_json(d / "trials.json", {"suite": suite.name, "metric": suite.metric, "trials": rows}),
        atomic_write_json(d / "summary.json", {"suite": suite.name, "metric": suite.metric, "summary": summary}),
        atomic_write_text(d / "table.md", format_markdown(suite, summary, rows)),
    ]
    if plots and rows:
        from .plots import write_plots

        files += write_plots(exp_dir, suite, rows, d)
    return {"suite": suite, "summary": summary, "trials": rows, "files": [str(f) for f in files]}
