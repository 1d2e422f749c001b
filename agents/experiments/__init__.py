"""Experiments at scale: a suite of trials (problems x noise models x methods x seeds x variants)
run as Ray tasks, fault tolerant and resumable, summarised in one table.

``crlqas experiment run SUITE`` (:func:`run_experiment`), ``crlqas experiment table DIR``
(:func:`write_tables`), ``crlqas experiment status DIR`` (:func:`experiment_status`).

Modules, one concept each:

* :mod:`.suite`: the suite file (TOML), validated at load; the shipped suites (``suites/*.toml``:
  ``smoke``, ``paper-noiseless``, ``paper-noisy``);
* :mod:`.trials`: the expansion of a suite into trials, with resolved configs and resources;
* :mod:`.execute`: one trial in a worker (the agent, the baselines, a suite's own method), its
  files (``status.json``, ``result.json``, ``error.json``), threads, resume from checkpoints;
* :mod:`.manifest`: the experiment directory and its manifest;
* :mod:`.runner`: the driver on Ray (submission, retries, progress, resume);
* :mod:`.progress`: counts, best errors, times, ``status``;
* :mod:`.table`, :mod:`.plots`: the table (CSV, JSON, Markdown) and its figures.

Why Ray core and not Ray Tune: the trials are a fixed grid of independent runs with no search,
scheduler or early stopping to drive, and each method already has its own result record and (the
agent) its own exact checkpoint/resume.  Ray core gives exactly what is missing, resource-aware
scheduling on one machine or a cluster (``num_cpus``/``num_gpus`` per task), retries of a task
whose worker dies (``max_retries``) and per-task environment variables (threads), with one
dependency (``pip install 'crlqas[scale]'``, ``ray``), while Tune would add its own trial
directories, checkpoint syncing and restore semantics next to ours, and more dependencies
(``ray[tune]``: pandas, pyarrow, ...).  Ray is imported only when an experiment runs: ``table`` and
``status`` read the directory without it.
"""

from .execute import execute_trial
from .manifest import read_manifest
from .progress import experiment_status, format_status
from .runner import run_experiment
from .suite import Suite, list_suites, load_suite
from .table import summarize, trial_rows, write_tables
from .trials import Trial, expand

__all__ = [
    "Suite",
    "Trial",
    "execute_trial",
    "expand",
    "experiment_status",
    "format_status",
    "list_suites",
    "load_suite",
    "read_manifest",
    "run_experiment",
    "summarize",
    "trial_rows",
    "write_tables",
]
