"""``crlqas noise list|show`` and ``crlqas energy``: noise presets and device models
(:mod:`crlqas.qnoise.devices`) and the noisy energy of an OpenQASM circuit."""

from __future__ import annotations

import json
import math
import sys

from .args import add_command, command_group, float_list, json_option, layout, one_of, option

HELP = "noise models: presets and IBM-calibrated device models"

_NOISE_HELP = (
    "noise preset (see 'crlqas noise list'), a qnoise-device-model/1 JSON file, or a fake "
    "IBM backend name such as fake_sherbrooke (needs qiskit-ibm-runtime)"
)

#: how a fake IBM backend becomes a device model (``noise show`` and ``energy``; see :func:`_load`)
_DEVICE_OPTIONS = (
    option(
        "--mode",
        choices=("native", "paper"),
        default="native",
        help="for a backend: native gate set (Aer-equal) or the paper's (default native)",
    ),
    option(
        "--layout", metavar="Q0,Q1,...|best", help="for a backend: physical qubits of the logical ones (default: best)"
    ),
    option("--reduce", choices=("median", "max", "10max"), help="for a backend: uniform median/max/10x-max values"),
    option("--num-qubits", type=int, metavar="K", help="for a backend: logical register width"),
)

_SHOW_OPTIONS = (option("name", help=_NOISE_HELP), *_DEVICE_OPTIONS, json_option())

_ENERGY_OPTIONS = (
    option("--qasm", required=True, metavar="FILE", help="OpenQASM 2 or 3 file"),
    one_of(
        option("--problem", metavar="ID", help="problem id (see 'crlqas problems list')"),
        option("--hamiltonian", metavar="FILE", help='JSON {"num_qubits", "constant", "terms": [[label, coeff], ...]}'),
        required=True,
    ),
    option("--noise", default="noiseless", metavar="NAME|BACKEND", help=_NOISE_HELP),
    *_DEVICE_OPTIONS,
    option("--params", metavar="V1,V2,...", help="values of the circuit's free parameters"),
    option("--shots", type=int, metavar="N", help="sample N shots per measured basis"),
    option(
        "--shot-model",
        choices=("sampling", "gaussian"),
        default="sampling",
        help="sampling: bitstrings from the noisy distribution; gaussian: the paper's model",
    ),
    option("--seed", type=int, help="seed of the shot sampler"),
    json_option(),
)


def register(subparsers) -> None:
    sub = command_group(subparsers, "noise", HELP)
    add_command(sub, "list", _list, (json_option(),))
    add_command(sub, "show", _show, _SHOW_OPTIONS)
    add_command(subparsers, "energy", _energy, _ENERGY_OPTIONS)


def _load(args, width=None):
    from crlqas.qnoise.devices import load_device

    qubits = layout(args.layout)
    k = args.num_qubits or width
    if qubits is None and args.reduce is None and k is not None:
        qubits = "best"
    return load_device(
        args.name if hasattr(args, "name") else args.noise,
        mode=args.mode,
        layout=qubits,
        reduce=args.reduce,
        num_qubits=k,
    )


def _dump(obj) -> None:
    json.dump(obj, sys.stdout, indent=1, default=str)
    print()


def _list(args) -> int:
    """list the noise presets

    List the shipped noise presets (no Qiskit needed)."""
    from crlqas.qnoise.devices import device_preset, list_presets

    rows = []
    for name in list_presets():
        d = device_preset(name)
        rows.append(
            {
                "name": name,
                "mode": d.mode,
                "num_qubits": d.num_qubits,
                "source": d.source,
                "calibration_date": d.calibration_date,
                "description": d.description,
            }
        )
    if args.json:
        _dump(rows)
        return 0
    print(f"{'name':20s} {'mode':12s} {'qubits':>6s}  description")
    for r in rows:
        q = "any" if r["num_qubits"] is None else str(r["num_qubits"])
        print(f"{r['name']:20s} {r['mode']:12s} {q:>6s}  {r['description']}")
    return 0


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return str(x)


def _show(args) -> int:
    """show a preset or a backend's noise model

    Show a noise model's source, calibration date, per-gate channels (depolarizing p, gate
    time, relaxation 1-exp(-t/T1)) and readout."""
    info = _load(args).summary()
    if args.json:
        _dump(info)
        return 0
    for key in (
        "name",
        "description",
        "mode",
        "source",
        "calibration_date",
        "reduce",
        "num_qubits",
        "layout",
        "basis",
        "coupling_map",
    ):
        if info.get(key) not in (None, "", []):
            print(f"{key:17s} {_fmt(info[key])}")
    print("gate noise (depolarizing p, then thermal relaxation over the gate time):")
    for g in info["gate_noise"]:
        where = "all" if g["qubits"] is None else _fmt(list(g["qubits"]))
        print(
            f"  {g['gates']:28s} qubits {where:8s} p={_fmt(g['depolarizing'])} error={_fmt(g['error'])} "
            f"time={_fmt(g['time'])}s 1-exp(-t/T1)={_fmt(g['relaxation_1-exp(-t/T1)'])}"
        )
    print("readout (P(1|0), P(0|1)):")
    for r in info["readout"]:
        q = "all" if r["qubit"] is None else r["qubit"]
        print(f"  qubit {q}: {_fmt(r['p1_given0'])}, {_fmt(r['p0_given1'])}")
    return 0


def _hamiltonian(args):
    from crlqas.qnoise.errors import CrlqasError, InputFileError
    from crlqas.qnoise.fileio import read_json_object
    from crlqas.qnoise.hamiltonian import Hamiltonian

    if args.problem:
        from crlqas.qnoise.problems import get_problem

        prob = get_problem(args.problem)
        return prob.hamiltonian, prob.e0, prob.chemical_accuracy, "Ha" if prob.kind == "molecule" else "J"
    data = read_json_object(args.hamiltonian, "Hamiltonian JSON file")
    try:
        return Hamiltonian.from_dict(data), None, None, None
    except CrlqasError as exc:
        raise InputFileError(f"Hamiltonian JSON file {args.hamiltonian!r}: {exc}") from None


def _circuit(args):
    from crlqas.qnoise.qiskit_bridge import from_qiskit, load_qasm

    qc = load_qasm(args.qasm)
    return from_qiskit(qc, float_list(args.params, "--params"))


def _energy(args) -> int:
    """exact (or sampled) noisy, readout-mitigated and noiseless energies of a QASM circuit

    Noisy energy <H> of an OpenQASM 2/3 circuit under a noise preset or an IBM device model,
    with readout errors as measured, its readout-mitigated value (measured outcomes corrected by the
    inverse per-qubit assignment matrices, which undoes readout error exactly) and the noiseless
    energy, with their errors against E0. Bound rx/ry/rz angles are the parameters; free parameters
    take --params. Exact by default; --shots samples, and the mitigated estimate comes from the
    same shots, each with its standard error."""
    import numpy as np

    from crlqas.qnoise.errors import QubitError, ValidationError
    from crlqas.qnoise.simulator import Simulator

    circuit, params = _circuit(args)
    ham, e0, chemical_accuracy, unit = _hamiltonian(args)
    if ham.num_qubits != circuit.num_qubits:
        raise QubitError(f"the circuit has {circuit.num_qubits} qubits but the Hamiltonian has {ham.num_qubits}")
    device = _load(args, circuit.num_qubits)
    sim = device.simulator(circuit, ham)
    energy = sim.energy(params)
    try:
        mitigated, why = sim.mitigated_energy(params), None
    except ValidationError as exc:  # a readout error without inverse
        mitigated, why = None, str(exc)
    out = {
        "noise": device.name,
        "mode": device.mode,
        "layout": device.layout,
        "num_qubits": circuit.num_qubits,
        "num_parameters": circuit.num_parameters,
        "gates": sim.circuit.count_ops(),
        "energy": energy,
        "mitigated_energy": mitigated,
        "mitigation_unavailable": why,
        "noiseless_energy": Simulator(circuit, ham).energy(params),
        "e0": e0,
        "unit": unit,
    }
    if e0 is not None:
        out["error"] = out["energy"] - e0
        out["mitigated_error"] = None if mitigated is None else mitigated - e0
        out["noiseless_error"] = out["noiseless_energy"] - e0
        out["chemical_accuracy"] = chemical_accuracy
    if args.shots is not None:
        seed = np.random.SeedSequence(args.seed)  # one stream: the mitigated estimate re-reads the same shots
        sampled, stderr = sim.sampled_energy(params, args.shots, seed, args.shot_model, return_stderr=True)
        out.update(
            shots=args.shots, seed=args.seed, shot_model=args.shot_model, sampled_energy=sampled, sampled_stderr=stderr
        )
        if mitigated is not None:
            value, error = sim.sampled_energy(
                params, args.shots, seed, args.shot_model, return_stderr=True, mitigation="readout"
            )
            out.update(mitigated_sampled_energy=value, mitigated_sampled_stderr=error)
    if args.json:
        _dump(out)
        return 0
    for key, value in out.items():
        if value is None or key == "unit":
            continue
        suffix = f" {unit}" if unit and key in _ENERGIES else ""
        text = f"{value:.12g}" if isinstance(value, float) and math.isfinite(value) else str(value)
        print(f"{key:24s} {text}{suffix}")
    return 0


#: the ``energy`` command's outputs that are energies, in the problem's unit (``unit``: Hartree for
#: molecules, J for spin models; a Hamiltonian file has none): text mode prints it after the value
_ENERGIES = {
    "energy",
    "mitigated_energy",
    "noiseless_energy",
    "e0",
    "error",
    "mitigated_error",
    "noiseless_error",
    "chemical_accuracy",
    "sampled_energy",
    "sampled_stderr",
    "mitigated_sampled_energy",
    "mitigated_sampled_stderr",
}
