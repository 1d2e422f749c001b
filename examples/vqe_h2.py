"""VQE for H2 (2 qubits) on a simulated noisy device, in a few lines of the Python API.

Builds a depolarizing noise model (``p1`` after every rotation, ``p2`` after every CNOT), runs the
CRLQAS paper's three-stage Adam-SPSA (shots N/100, N/10, N; evaluations split 10:3:1) on a
hardware-efficient ansatz with Gaussian shot noise, and prints the final exact noisy energy, its
error against the exact ground energy E0, the noiseless energy of the same parameters and the
evaluations used.  ``--plot FILE`` draws the energy history against E0 (needs matplotlib).

Run: ``python examples/vqe_h2.py`` (see ``Args`` for the knobs); the same from the shell:
``crlqas vqe --problem h2-2q --ansatz hea:1 --optimizer spsa3 --preset h2-2q --budget 1000 --shots 100000``
(with ``--noise PRESET`` for a named device model).
"""

from __future__ import annotations

from dataclasses import dataclass

from crlqas.qnoise import channels
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.vqe import plot_history, run_vqe


@dataclass
class Args:
    seed: int = 0  # seed of the run (initial angles, perturbations, shot noise)
    problem: str = "h2-2q"  # problem id (crlqas problems list)
    ansatz: str = "hea:1"  # hea:LAYERS[:ROTATIONS[:ENTANGLER]]
    optimizer: str = "spsa3"  # crlqas optimizers
    preset: str = "h2-2q"  # the paper's tuned Adam-SPSA hyper-parameters
    budget: int = 1000  # evaluations, all counted
    shots: int = 100_000  # N: the last stage's shots (Gaussian shot-noise model)
    p1: float = 1e-3  # depolarizing probability after each rotation
    p2: float = 1e-2  # depolarizing probability after each CNOT
    plot: str = ""  # if set, write the energy history plot here


def main(args: Args) -> None:
    noise = (
        NoiseModel("depolarizing")
        .add_all_qubit_error(channels.depolarizing(args.p1, 1), ["rx", "ry", "rz"])
        .add_all_qubit_error(channels.depolarizing(args.p2, 2), ["cx"])
    )

    result = run_vqe(
        args.problem,
        args.ansatz,
        noise=noise,
        optimizer=args.optimizer,
        optimizer_options={"preset": args.preset},
        budget=args.budget,
        shots=args.shots,
        seed=args.seed,
        progress=True,
    )

    print(result.summary())
    if args.plot:
        plot_history(result, args.plot)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    from _args import parse_args  # examples/_args.py: the Args fields as command-line options

    main(parse_args(Args, __doc__))
