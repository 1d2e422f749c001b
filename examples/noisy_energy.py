"""Noisy versus noiseless energy of a small parameterised circuit.

Builds a 2-qubit hardware-efficient circuit (RY layer, CNOT, RY layer), a depolarizing noise model
(``p1`` after every rotation, ``p2`` after every CNOT), and the Hamiltonian
``H = ZZ + 0.5 (XI + IX)``, then prints the exact noisy energy ``Tr(rho H)`` (Pauli-transfer-matrix
simulation) and the noiseless one at random parameters.

Run: ``python examples/noisy_energy.py`` (see ``Args`` for the knobs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crlqas import qnoise
from crlqas.qnoise import channels


@dataclass
class Args:
    seed: int = 7  # seed of the random circuit parameters
    p1: float = 0.01  # depolarizing probability after each 1-qubit rotation
    p2: float = 0.05  # depolarizing probability after each CNOT (2-qubit channel)
    field: float = 0.5  # coefficient of the transverse-field terms XI and IX


def main(args: Args) -> None:
    rng = np.random.default_rng(args.seed)

    # Circuit: each rx/ry/rz call without an index gets a new parameter index.
    circuit = qnoise.Circuit(2).ry(0).ry(1).cx(0, 1).ry(0).ry(1)
    params = rng.uniform(0, 2 * np.pi, circuit.num_parameters)

    noise = (
        qnoise.NoiseModel("depolarizing")
        .add_all_qubit_error(channels.depolarizing(args.p1, 1), ["rx", "ry", "rz"])
        .add_all_qubit_error(channels.depolarizing(args.p2, 2), ["cx"])
    )

    # Labels: right-most character acts on qubit 0.
    hamiltonian = qnoise.Hamiltonian({"ZZ": 1.0, "XI": args.field, "IX": args.field})

    noisy = qnoise.Simulator(circuit, hamiltonian, noise).energy(params)
    ideal = qnoise.Simulator(circuit, hamiltonian).energy(params)

    print(f"parameters      : {np.round(params, 4).tolist()}")
    print(f"noiseless energy: {ideal:+.10f}")
    print(f"noisy energy    : {noisy:+.10f}  (p1={args.p1}, p2={args.p2})")
    print(f"ground energy   : {hamiltonian.ground_energy():+.10f}")


if __name__ == "__main__":
    from _args import parse_args  # examples/_args.py: the Args fields as command-line options

    main(parse_args(Args, __doc__))
