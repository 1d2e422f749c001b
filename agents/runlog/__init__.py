"""Per-seed run records: the episode log (CSV + TensorBoard), best circuits and atomic checkpoints.

Layout of one seed's directory (``RUN/seed_<S>/``)::

    progress.csv            one row per episode (see EPISODE_COLUMNS)
    eval.csv                one row per greedy evaluation (with [run] eval_every; EVAL_COLUMNS)
                            (both with the three errors of METRICS: see "Errors" below)
    tb/                     TensorBoard event files (episode metrics, SB3's train/ metrics)
    best/                   best circuits, one record per kind (CIRCUIT_KINDS), each <file>.json
                            (with its "kind", "kind_label", "seed", "episode") and <file>.qasm
                            (a // comment header names them): best_energy (kind lowest-energy),
                            first_accurate (first-accurate), shortest_accurate
                            (shortest-accurate) and greedy (greedy: the shortest chemically
                            accurate circuit built by a greedy evaluation of the policy)
    checkpoint.json         points at the latest verified checkpoint (episode, dir)
    checkpoints/ep<N>/      model.zip, replay_buffer.pkl (off-policy agents), state.pkl and
                            checkpoint.json, the manifest: episode, SHA-256 and size of each file,
                            the run's configuration (the newest two checkpoints are kept)
    summary.json            written at the end of the run
    result.json             the run's ResultRecord (crlqas.qnoise.results), written with it

and the run directory ``RUN/`` holds ``config.json`` (the run's configuration; ``env.problem`` names
the problem) next to the ``seed_<S>/`` directories.

Errors: every circuit is scored against E0 three ways (:data:`METRICS`, the env's
``info["errors"]``): ``noisy`` (its exact noisy energy as measured, readout errors included),
``mitigated`` (readout-mitigated) and ``noiseless`` (same circuit and angles, no noise); the run's
``env.success_metric`` (default ``noisy``) decides which one "chemically accurate" means
(``|E_metric - E0| <= chemical accuracy``): the ``success`` and ``accurate`` columns and the kinds
first-accurate, shortest-accurate and greedy.  ``progress.csv``: ``energy_error`` (the episode's
lowest ``|E_noisy - E0|``) and ``best_error`` (the lowest-energy record's ``|E_noisy - E0|``) are as
they always were; ``error_noisy``, ``error_mitigated``, ``error_noiseless`` are the three
``|E - E0|`` of the episode's best circuit by the success metric (the step with the lowest
``|E_metric - E0|``; empty when unknown).  ``eval.csv``: the evaluation's circuit is its step with
the lowest ``|E_metric - E0|``; ``error`` and ``energy`` are its noisy ones (as always),
``error_noisy``/``error_mitigated``/``error_noiseless`` its three ``|E - E0|``.  Best-circuit
records (:func:`circuit_record`) keep ``energy``/``error`` (noisy) and add ``energies``,
``errors`` (signed ``E - E0``) by metric and their ``success_metric``.

A checkpoint directory is written under a temporary name, its files flushed to disk and listed with
their checksums in its manifest, renamed when complete and verified against the manifest; only then
does the seed's ``checkpoint.json`` point at it and are older checkpoints deleted (the previous one
is kept).  So a run killed at any moment leaves a complete checkpoint, and ``--resume`` takes the
newest one that verifies (:func:`find_checkpoint`), naming the damaged ones it skips.  Best
circuits and summaries are replaced atomically, and on resume the logs are cut back to the
checkpoint atomically (a row torn by a kill is dropped).

This package owns the run-directory format, one concept per module:

* :mod:`.logs`: the episode and evaluation logs (:class:`EpisodeLog`, :class:`EvalLog`, the columns
  and :data:`METRICS`), the errors by metric of a step, and the JSON writer;
* :mod:`.circuits`: best-circuit records: writing them (:func:`circuit_record`,
  :func:`write_circuit`), their kinds (:data:`CIRCUIT_KINDS`), and the readers
  (:func:`best_circuit_records`, :func:`read_circuits`, :func:`record_circuit`, :func:`run_problem`)
  with the one resolver of which circuit a command uses, :func:`best_from_run` (``--which KIND``,
  and the default rule :func:`default_kind`), used by ``crlqas train``, ``report`` and
  ``verify/submit --run``;
* :mod:`.checkpoints`: the checkpoint directory format (:func:`write_checkpoint`,
  :func:`verify_checkpoint`, :func:`find_checkpoint`, manifests, :func:`config_differences` and
  :data:`RESUME_MAY_CHANGE`, :func:`episodes_done`);
* :mod:`.result`: the seed's entry in the common result table (``result.json``, a
  :class:`crlqas.qnoise.results.ResultRecord`: :func:`seed_result`).

Every public name is importable from ``crlqas.agents.runlog``.  It needs numpy and crlqas.qnoise
only (torch is imported by :class:`EpisodeLog` when it is created), so reading a run stays light.
"""

from .checkpoints import (
    CHECKPOINT_FORMAT,
    MANIFEST,
    RESUME_MAY_CHANGE,
    CheckpointInvalid,
    checkpoint_dirs,
    config_differences,
    config_sha256,
    episodes_done,
    file_sha256,
    find_checkpoint,
    no_valid_checkpoint,
    read_manifest,
    verify_checkpoint,
    write_checkpoint,
)
from .circuits import (
    CIRCUIT_KINDS,
    DEFAULT_ORDER,
    KIND_NAMES,
    CircuitKind,
    FoundCircuit,
    best_circuit_records,
    best_from_run,
    circuit_kind,
    circuit_record,
    default_kind,
    describe_kinds,
    pick_circuit,
    read_circuits,
    read_record,
    record_circuit,
    run_problem,
    seed_of,
    with_kind,
    write_circuit,
)
from .logs import (
    EPISODE_COLUMNS,
    EVAL_COLUMNS,
    METRICS,
    EpisodeLog,
    EvalLog,
    atomic_write_json,
    logged_episodes,
    metric_error,
    plain_json,
    read_log,
    step_energies,
    step_errors,
)
from .result import RESULT_FILE, agent_method, seed_result

__all__ = [
    "CHECKPOINT_FORMAT",
    "CIRCUIT_KINDS",
    "DEFAULT_ORDER",
    "EPISODE_COLUMNS",
    "EVAL_COLUMNS",
    "KIND_NAMES",
    "MANIFEST",
    "METRICS",
    "RESULT_FILE",
    "RESUME_MAY_CHANGE",
    "CheckpointInvalid",
    "CircuitKind",
    "EpisodeLog",
    "EvalLog",
    "FoundCircuit",
    "agent_method",
    "atomic_write_json",
    "best_circuit_records",
    "best_from_run",
    "checkpoint_dirs",
    "circuit_kind",
    "circuit_record",
    "config_differences",
    "config_sha256",
    "default_kind",
    "describe_kinds",
    "episodes_done",
    "file_sha256",
    "find_checkpoint",
    "logged_episodes",
    "metric_error",
    "no_valid_checkpoint",
    "pick_circuit",
    "plain_json",
    "read_circuits",
    "read_log",
    "read_manifest",
    "read_record",
    "record_circuit",
    "run_problem",
    "seed_of",
    "seed_result",
    "step_energies",
    "step_errors",
    "verify_checkpoint",
    "with_kind",
    "write_checkpoint",
    "write_circuit",
]
