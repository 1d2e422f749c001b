"""``crlqas verify`` and ``crlqas submit``: a found circuit on an IBM device model and on a device
(:mod:`crlqas.qnoise.ibm`).  Qiskit is imported only when a handler runs.

``--run DIR`` is resolved here, through :mod:`crlqas.agents.runlog` (the owner of the run-directory
format), to a circuit, its parameter values and the run's problem; qnoise's ``verify``/``submit``
take the circuit and parameters directly.
"""

from __future__ import annotations

import json
import math
import sys

from .args import add_command, json_option, layout, one_of, option, output_file, save_output, which_option

_SOURCE_HELP = "a 'crlqas train' run: its circuit of kind --which (default: the circuit 'crlqas train' printed)"
_BACKEND_HELP = (
    "fake_<name> (local testing mode, offline; e.g. fake_manila) or an IBM device ibm_<name> "
    "(credentials: QISKIT_IBM_TOKEN or a saved account)"
)

#: the circuit, problem, backend and transpilation (``verify`` and ``submit``)
_COMMON_OPTIONS = (
    one_of(
        option("--run", metavar="DIR", help=_SOURCE_HELP),
        option("--qasm", metavar="FILE", help="OpenQASM 2 or 3 file (bound angles are parameters)"),
        required=True,
    ),
    which_option(),
    option(
        "--problem", metavar="ID", help="problem id or crlqas-problem/1 file (default with --run: the run's problem)"
    ),
    option("--backend", required=True, metavar="NAME", help=_BACKEND_HELP),
    option("--params", metavar="V1,V2,...", help="values of a QASM file's free parameters"),
    option(
        "--layout",
        metavar="Q0,Q1,...|best",
        default="best",
        help="initial layout: physical qubits of the circuit's qubits (default: best)",
    ),
    option(
        "--optimization-level",
        type=int,
        choices=(0, 1, 2, 3),
        default=1,
        help="preset pass manager optimization level (default 1)",
    ),
    option("--seed", type=int, help="seed of the transpiler and of local simulations"),
    json_option(),
)

_VERIFY_OPTIONS = (
    *_COMMON_OPTIONS,
    option("--shots", type=int, metavar="N", help="also sample N shots per measured basis with Aer"),
)

_SUBMIT_OPTIONS = (
    *_COMMON_OPTIONS,
    one_of(
        option("--shots", type=int, metavar="N", help="shots per measured basis"),
        option("--precision", type=float, metavar="P", help="target standard error (default 1/64)"),
    ),
    option("--mode", choices=("job", "batch", "session"), default="job", help="execution mode"),
    option(
        "--mitigation",
        choices=("none", "readout", "zne"),
        default="none",
        help="none: resilience 0; readout: TREX (level 1); zne: TREX + gate-folding ZNE (level 2)",
    ),
    option("--timeout", type=float, metavar="SECONDS", help="give up waiting for the result after this"),
    option("--retries", type=int, default=3, metavar="N", help="retries of transient failures (default 3)"),
    option("--dry-run", action="store_true", help="transpile and check everything, submit nothing"),
    option("--out", metavar="FILE", type=output_file, help="write the JSON record to FILE"),
)


def register(subparsers) -> None:
    add_command(subparsers, "verify", _verify, _VERIFY_OPTIONS)
    add_command(subparsers, "submit", _submit, _SUBMIT_OPTIONS)


def _source(args):
    """The circuit of ``--run DIR`` (the run's circuit of kind ``--which``, chosen and read by
    :func:`crlqas.agents.runlog.best_from_run`) or ``--qasm FILE`` (with ``--params``)."""
    from crlqas.qnoise.errors import ValidationError
    from crlqas.qnoise.ibm.source import CircuitSource, from_qasm

    if args.run is None:
        if args.which is not None:
            raise ValidationError("--which chooses among the circuits of a training run: give --run DIR, not --qasm")
        return from_qasm(args.qasm, args.params)
    from crlqas.agents.runlog import best_from_run, record_circuit, run_problem

    record, path = best_from_run(args.run, which=args.which)
    circuit, params = record_circuit(record, path)
    return CircuitSource(circuit, params, str(path), run_problem(path.parent), record)


def _run_circuit(src) -> dict:
    """``{"run_kind", "run_seed"}`` of a run's circuit (its record's kind and seed; the episode is
    in ``src.info()``), ``{}`` for a QASM file."""
    keys = (("kind", "run_kind"), ("kind_label", "run_kind_label"), ("seed", "run_seed"))
    return {out: src.record[key] for key, out in keys if src.record.get(key) is not None}


def _circuit_line(src) -> str | None:
    """``"greedy (seed 100, episode 90)"``: the kind of a run's circuit, ``None`` for a QASM file."""
    rec = src.record
    if not rec.get("kind"):
        return None
    where = [f"{key} {rec[key]}" for key in ("seed", "episode") if rec.get(key) is not None]
    return f"{rec['kind']} ({', '.join(where)})" if where else rec["kind"]


def _inputs(args):
    from crlqas.qnoise.errors import ValidationError
    from crlqas.qnoise.problems import get_problem

    src = _source(args)
    problem_id = args.problem or src.problem
    if problem_id is None:
        raise ValidationError("--problem is required (the circuit source does not name a problem)")
    prob = get_problem(problem_id)
    return src, prob.hamiltonian, prob.e0, problem_id


def _print(out: dict, as_json: bool, skip=()) -> None:
    if as_json:
        json.dump(out, sys.stdout, indent=1, default=str)
        print()
        return
    for key, value in out.items():
        if key in skip or value is None or value == {}:
            continue
        text = f"{value:.12g}" if isinstance(value, float) and math.isfinite(value) else str(value)
        print(f"{key:24s} {text}")


def _verify(args) -> int:
    """energy of a circuit on a device model: Aer vs qnoise, noiseless, E0

    Transpile the circuit to the backend's ISA and compute its energy with Qiskit Aer (density
    matrix, NoiseModel.from_backend) and with qnoise (the same device model and layout), side by
    side with the noiseless energy and E0. Also Aer's exact measured energy (Estimator basis
    changes and readout errors) and, with --shots, a sampled one."""
    from crlqas.qnoise.ibm.verify import verify

    src, ham, e0, problem = _inputs(args)
    out = {"problem": problem, "circuit": _circuit_line(src), "source": src.origin}
    out.update(
        verify(
            src.circuit,
            src.params,
            ham,
            args.backend,
            layout(args.layout),
            args.optimization_level,
            args.shots,
            args.seed,
            e0,
        )
    )
    _print(out, args.json)
    return 0


def _submit(args) -> int:
    """run a circuit's energy estimation on an IBM device (or a fake one locally)

    Transpile with the preset pass manager, map the observable with apply_layout, and estimate
    the energy with qiskit_ibm_runtime's executor-based Estimator. fake_* backends run locally
    (offline); ibm_* devices through QiskitRuntimeService (channel ibm_quantum_platform). Writes a
    JSON record with --out."""
    from crlqas.qnoise.ibm.submit import submit, write_record

    src, ham, e0, problem = _inputs(args)
    record = submit(
        src.circuit,
        src.params,
        ham,
        args.backend,
        shots=args.shots,
        precision=args.precision,
        mode=args.mode,
        mitigation=args.mitigation,
        layout=layout(args.layout),
        optimization_level=args.optimization_level,
        dry_run=args.dry_run,
        timeout=args.timeout,
        retries=args.retries,
        seed=args.seed,
        e0=e0,
        source={"problem": problem, **src.info(), **_run_circuit(src)},
    )
    shown = {"circuit": _circuit_line(src), **record}
    _print(shown, args.json, skip=("transpiled_qasm3", "options", "source", "parameters"))
    if args.out:
        save_output(args.out, lambda path: write_record(record, path), "submission record")
    return 0
