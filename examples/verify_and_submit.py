"""Take the circuit of a training run to Qiskit: verify it on a device model, then submit it to a
fake IBM backend (local testing mode, offline).

    python examples/verify_and_submit.py --run runs/example-h2-2q     # a 'crlqas train' run
    python examples/verify_and_submit.py                               # trains one first (~1-2 min)
    python examples/verify_and_submit.py --backend fake_sherbrooke --mitigation readout
    python examples/verify_and_submit.py --which lowest-energy         # another of the run's circuits

The circuit is the one ``crlqas train`` printed and ``crlqas report`` draws (the greedy policy's
circuit when its greedy evaluations built a chemically accurate one, else the shortest chemically
accurate circuit, else the lowest-energy one), or the kind ``--which`` names: greedy,
shortest-accurate, first-accurate or lowest-energy.

Needs the qiskit extra (``pip install 'crlqas[qiskit]'``); training needs the rl extra.  The same
as ``crlqas verify --run RUN --backend B`` and ``crlqas submit --run RUN --backend B --out FILE``
(both also take ``--which KIND``).
For a real device use an ``ibm_<name>`` backend with ``QISKIT_IBM_TOKEN`` set (or a saved account).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Args:
    seed: int = 1  # seed of the simulators' shot sampling
    run: str = "runs/example-h2-2q"  # trained with examples/train_h2.py's settings when missing
    which: str = "default"  # greedy, shortest-accurate, first-accurate, lowest-energy or default
    backend: str = "fake_manila"
    shots: int = 20000
    mitigation: str = "none"  # none, readout or zne
    out: str = "runs/example-h2-2q/ibm/submit-fake.json"


def main(args: Args) -> None:
    from crlqas.agents.runlog import best_from_run, record_circuit, run_problem
    from crlqas.qnoise.ibm.source import CircuitSource
    from crlqas.qnoise.ibm.submit import submit, write_record
    from crlqas.qnoise.ibm.verify import verify
    from crlqas.qnoise.problems import get_problem

    if not Path(args.run).exists():
        from crlqas.agents.presets import load_preset
        from crlqas.agents.train import train

        print(f"no run at {args.run}: training the h2-2q preset (60 episodes, seed 100) ...")
        train(load_preset("h2-2q"), args.run, seeds=[100], episodes=60)
    # the run's circuit of kind --which (default: the rule of 'crlqas train', 'report', 'verify', 'submit')
    record, path = best_from_run(args.run, which=None if args.which == "default" else args.which)
    circuit, params = record_circuit(record, path)
    src = CircuitSource(circuit, params, str(path), run_problem(path), record)
    problem = src.problem or "h2-2q"
    prob = get_problem(problem)
    print(
        f"circuit: {record.get('kind')} (seed {record.get('seed')}, episode {record.get('episode')}): "
        f"the {record.get('kind_label')}\n"
        f"  {src.origin} ({src.circuit.count_ops()}), problem {problem}"
    )

    v = verify(src.circuit, src.params, prob.hamiltonian, args.backend, shots=args.shots, seed=args.seed, e0=prob.e0)
    print(
        f"\nverify on {v['backend']} (calibrated {v['calibration_date']}), physical qubits {v['layout']}, "
        f"ISA ops {v['ops']}"
    )
    for key in (
        "aer_energy",
        "qnoise_energy",
        "difference",
        "qnoise_measured_energy",
        "aer_measured_energy",
        "aer_sampled_energy",
        "aer_standard_error",
        "noiseless_energy",
        "e0",
    ):
        print(f"  {key:24s} {v[key]: .10f}")

    rec = submit(
        src.circuit,
        src.params,
        prob.hamiltonian,
        args.backend,
        shots=args.shots,
        mitigation=args.mitigation,
        seed=args.seed,
        e0=prob.e0,
        source={**src.info(), "run_kind": record.get("kind"), "run_seed": record.get("seed")},
    )
    path = write_record(rec, args.out)
    se = rec["standard_error"]
    print(f"\nsubmit ({rec['mode']} mode, mitigation {rec['mitigation']}, job {rec['job_ids'][0]}):")
    print(f"  energy   {rec['energy']: .6f} +- {se:.6f}")
    print(
        f"  expected {rec['expected_energy']: .6f}  ({(rec['energy'] - rec['expected_energy']) / se:+.1f} SE; "
        f"Aer's exact noisy expectation)"
    )
    print(f"  ideal    {rec['noiseless_energy']: .6f}  ({(rec['energy'] - rec['noiseless_energy']) / se:+.1f} SE)")
    print(f"record written to {path}")


if __name__ == "__main__":
    from _args import parse_args  # examples/_args.py: the Args fields as command-line options

    main(parse_args(Args, __doc__))
