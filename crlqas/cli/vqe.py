"""``crlqas vqe`` and ``crlqas optimizers``: VQE runs (:mod:`crlqas.qnoise.vqe`) and the optimizer
registry (:mod:`crlqas.qnoise.optimizers`) from the shell."""

from __future__ import annotations

import json
import sys

from .args import (
    add_command,
    json_option,
    nonnegative_int,
    one_of,
    optimizer_options,
    option,
    output_file,
    positive_int,
    save_output,
)

_VQE_OPTIONS = (
    option("--problem", required=True, help="problem id (see 'crlqas problems list') or JSON file"),
    option("--noise", default="noiseless", help="noise preset, e.g. depol-1e-3, mumbai-median (default: noiseless)"),
    one_of(
        option("--ansatz", help="hea:LAYERS[:ROTATIONS[:ENTANGLER]], e.g. hea:2 or hea:2:ry:cx-circular"),
        option("--qasm", metavar="FILE", help="OpenQASM circuit (its parameters are the initial point)"),
        required=True,
    ),
    option("--optimizer", default="adam-spsa", help="optimizer name (see 'crlqas optimizers')"),
    option("--preset", help="named hyper-parameters (adam-spsa/spsa3: lih-4q, lih-6q, h2-2q, h2-3q)"),
    optimizer_options("optimizer option (repeatable), e.g. --option c=0.1"),
    option(
        "--budget",
        type=positive_int,
        help="evaluations allowed, all counted (default: the optimizer's, see 'crlqas optimizers')",
    ),
    option("--shots", type=positive_int, help="Gaussian shot noise with this many shots (default: exact)"),
    option(
        "--mitigation",
        choices=("none", "readout"),
        default="none",
        help="what the optimizer minimises: the energy as measured (none, default) or readout-mitigated "
        "(inverse per-qubit assignment matrices; shot noise amplified accordingly)",
    ),
    option("--seed", type=nonnegative_int, default=0, help="seed of the run (default 0)"),
    json_option("print the result as JSON (no progress bar)"),
    option("--out", metavar="FILE", type=output_file, help="also write the JSON result to FILE (atomically)"),
    option("--plot", metavar="FILE", type=output_file, help="plot the energy history against E0 to FILE (matplotlib)"),
)


def register(subparsers) -> None:
    add_command(subparsers, "vqe", _vqe, _VQE_OPTIONS)
    add_command(subparsers, "optimizers", _optimizers, (json_option(),))


def _vqe(args) -> int:
    """run VQE on simulated noisy hardware

    Optimise a parameterised circuit's energy for a problem Hamiltonian under a noise model (exact
    noisy energies, optionally with the paper's Gaussian shot noise; --mitigation readout minimises
    the readout-mitigated energy). Prints the final exact noisy energy and, under readout error, the
    readout-mitigated one, their errors against E0 (and whether the minimised one is within chemical
    accuracy), the noiseless energy of the same parameters, evaluations and time."""
    from crlqas.qnoise.vqe import plot_history, run_vqe

    options = dict(args.option)
    if args.preset:
        options["preset"] = args.preset
    initial = None
    if args.qasm:
        from crlqas.qnoise.qiskit_bridge import from_qiskit, load_qasm

        circuit, initial = from_qiskit(load_qasm(args.qasm))
    else:
        circuit = args.ansatz
    result = run_vqe(
        args.problem,
        circuit,
        noise=args.noise,
        optimizer=args.optimizer,
        budget=args.budget,
        shots=args.shots,
        seed=args.seed,
        progress=not args.json and sys.stderr.isatty(),
        initial_params=initial if initial is not None and len(initial) else None,
        optimizer_options=options,
        mitigation=args.mitigation,
    )
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(result.summary())
        if args.plot:
            print(f"plot               {args.plot}")
    if args.out:
        save_output(args.out, result.write_json)
    if args.plot:
        save_output(args.plot, lambda path: plot_history(result, path), "plot")
    return 0


def _optimizers(args) -> int:
    """list the optimizers and Adam-SPSA presets

    List the optimizer names accepted by --optimizer and the paper's tuned Adam-SPSA presets."""
    from crlqas.qnoise.optimizers.adam_spsa import PRESET_NOTES, PRESETS
    from crlqas.qnoise.optimizers.registry import DESCRIPTIONS

    if args.json:
        json.dump({"optimizers": DESCRIPTIONS, "presets": PRESETS}, sys.stdout, indent=1)
        print()
        return 0
    for name, desc in DESCRIPTIONS.items():
        print(f"{name:12s} {desc}")
    print("\nAdam-SPSA presets (a, alpha, c, gamma, lambda, beta1, beta2):")
    for name, hp in PRESETS.items():
        print(f"  {name:8s} " + ", ".join(f"{v:g}" for v in hp.values()) + f"   ({PRESET_NOTES[name]})")
    return 0
