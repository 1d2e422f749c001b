"""``crlqas noise list|show`` and ``crlqas energy``: noise presets and device models
(:mod:`crlqas.qnoise.devices`) and the noisy energy of an OpenQASM circuit."""

from __future__ import annotations

import json
import math
import sys

from .args import command_group, float_list, layout

_NOISE_HELP = (
    "noise preset (see 'crlqas noise list'), a qnoise-device-model/1 JSON file, or a fake "
    "IBM backend name such as fake_sherbrooke (needs qiskit-ibm-runtime)"
)


def register(subparsers) -> None:
    sub = command_group(subparsers, "noise", "noise models: presets and IBM-calibrated device models")
    p = sub.add_parser(
        "list", help="list the noise presets", description="List the shipped noise presets (no Qiskit needed)."
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_list)
    p = sub.add_parser(
        "show",
        help="show a preset or a backend's noise model",
        description="Show a noise model's source, calibration date, per-gate channels "
        "(depolarizing p, gate time, relaxation 1-exp(-t/T1)) and readout.",
    )
    p.add_argument("name", help=_NOISE_HELP)
    _device_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_show)

    p = subparsers.add_parser(
        "energy",
        help="exact (or sampled) noisy energy of a QASM circuit",
        description="Noisy energy <H> of an OpenQASM 2/3 circuit under a noise preset or an IBM device "
        "model. Bound rx/ry/rz angles are the parameters; free parameters take --params. "
        "Exact by default (readout errors included as measured); --shots samples.",
    )
    p.add_argument("--qasm", required=True, metavar="FILE", help="OpenQASM 2 or 3 file")
    ham = p.add_mutually_exclusive_group(required=True)
    ham.add_argument("--problem", metavar="ID", help="problem id (see 'crlqas problems list')")
    ham.add_argument(
        "--hamiltonian", metavar="FILE", help='JSON {"num_qubits", "constant", "terms": [[label, coeff], ...]}'
    )
    p.add_argument("--noise", default="noiseless", metavar="NAME|BACKEND", help=_NOISE_HELP)
    _device_options(p)
    p.add_argument("--params", metavar="V1,V2,...", help="values of the circuit's free parameters")
    p.add_argument("--shots", type=int, metavar="N", help="sample N shots per measured basis")
    p.add_argument(
        "--shot-model",
        choices=("sampling", "gaussian"),
        default="sampling",
        help="sampling: bitstrings from the noisy distribution; gaussian: the paper's model",
    )
    p.add_argument("--seed", type=int, help="seed of the shot sampler")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_energy)


def _device_options(p) -> None:
    p.add_argument(
        "--mode",
        choices=("native", "paper"),
        default="native",
        help="for a backend: native gate set (Aer-equal) or the paper's (default native)",
    )
    p.add_argument(
        "--layout", metavar="Q0,Q1,...|best", help="for a backend: physical qubits of the logical ones (default: best)"
    )
    p.add_argument(
        "--reduce", choices=("median", "max", "10max"), help="for a backend: uniform median/max/10x-max values"
    )
    p.add_argument("--num-qubits", type=int, metavar="K", help="for a backend: logical register width")


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
    from crlqas.qnoise.errors import ValidationError
    from crlqas.qnoise.hamiltonian import Hamiltonian

    if args.problem:
        from crlqas.qnoise.problems import get_problem

        prob = get_problem(args.problem)
        return prob.hamiltonian, prob.e0
    try:
        with open(args.hamiltonian) as fh:
            return Hamiltonian.from_dict(json.load(fh)), None
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read Hamiltonian file {args.hamiltonian}: {exc}") from None


def _circuit(args):
    from crlqas.qnoise.qiskit_bridge import from_qiskit, load_qasm

    qc = load_qasm(args.qasm)
    return from_qiskit(qc, float_list(args.params, "--params"))


def _energy(args) -> int:
    from crlqas.qnoise.errors import QubitError
    from crlqas.qnoise.simulator import Simulator

    circuit, params = _circuit(args)
    ham, e0 = _hamiltonian(args)
    if ham.num_qubits != circuit.num_qubits:
        raise QubitError(f"the circuit has {circuit.num_qubits} qubits but the Hamiltonian has {ham.num_qubits}")
    device = _load(args, circuit.num_qubits)
    sim = device.simulator(circuit, ham)
    out = {
        "noise": device.name,
        "mode": device.mode,
        "layout": device.layout,
        "num_qubits": circuit.num_qubits,
        "num_parameters": circuit.num_parameters,
        "gates": sim.circuit.count_ops(),
        "energy": sim.energy(params),
        "noiseless_energy": Simulator(circuit, ham).energy(params),
        "e0": e0,
    }
    if args.shots is not None:
        out.update(
            shots=args.shots,
            seed=args.seed,
            shot_model=args.shot_model,
            sampled_energy=sim.sampled_energy(params, args.shots, args.seed, args.shot_model),
        )
    if args.json:
        _dump(out)
        return 0
    for key, value in out.items():
        if value is not None:
            print(
                f"{key:17s} {value:.12g}" if isinstance(value, float) and math.isfinite(value) else f"{key:17s} {value}"
            )
    return 0
