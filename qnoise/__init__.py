"""qnoise: exact noisy simulation of parameterised circuits in the Pauli-transfer-matrix picture.

Import is fast: the submodules (and Numba) load on first use of a name.

>>> from crlqas import qnoise
>>> c = qnoise.Circuit(2).ry(0).cx(0, 1)
>>> h = qnoise.Hamiltonian({"ZZ": 1.0, "XI": 0.5})
>>> sim = qnoise.Simulator(c, h, qnoise.NoiseModel().add_all_qubit_error(qnoise.channels.depolarizing(0.01), ["ry"]))
>>> round(sim.energy([0.0]), 6)
1.0
"""

from __future__ import annotations

from .lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Circuit": "circuit",
        "Instruction": "circuit",
        "Channel": "channels",
        "ReadoutError": "channels",
        "NoiseModel": "noise_model",
        "Hamiltonian": "hamiltonian",
        "Simulator": "simulator",
        "load_workload": "workloads",
        "Workload": "workloads",
        "get_problem": "problems",
        "list_problems": "problems",
        "run_vqe": "vqe",
        "get_optimizer": "optimizers",
        "noise_preset": "devices",
    },
    submodules={
        "channels",
        "conversions",
        "paulis",
        "gates",
        "errors",
        "oracle",
        "measurement",
        "hamiltonian",
        "simulator",
        "circuit",
        "noise_model",
        "workloads",
        "statevector",
        "problems",
        "compiler",
        "optimizers",
        "vqe",
        "ansatz",
        "devices",
        "qiskit_bridge",
        "ibm",
        "fileio",
        "results",
        "lazy",
        "primitives",
    },
)
