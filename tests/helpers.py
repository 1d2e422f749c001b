"""Random circuits, noise models and Hamiltonians shared by the tests.

Noise models are generated as a *spec* (a list of plain entries) and then built, so that the same
spec can be turned into a Qiskit Aer noise model (``tests/test_aer.py``).
"""

from __future__ import annotations

import itertools

import numpy as np

from crlqas.qnoise import channels
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.gates import GATES
from crlqas.qnoise.noise_model import NoiseModel

# every gate of qnoise.gates (new gates are covered automatically)
ONE_QUBIT_FIXED = tuple(sorted(g for g, spec in GATES.items() if spec.num_qubits == 1 and not spec.parametric))
ROTATIONS = ("rx", "ry", "rz")
TWO_QUBIT = tuple(sorted(g for g, spec in GATES.items() if spec.num_qubits == 2))
ALL_GATES = ROTATIONS + ONE_QUBIT_FIXED + TWO_QUBIT + ("unitary1", "unitary2")
ONE_QUBIT_NAMES = ROTATIONS + ONE_QUBIT_FIXED
TWO_QUBIT_NAMES = TWO_QUBIT


# ---------------------------------------------------------------------------- random matrices
def random_unitary(dim: int, rng) -> np.ndarray:
    """Haar-random unitary (QR of a complex Ginibre matrix with the phase fix)."""
    z = (rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))) / np.sqrt(2)
    q, r = np.linalg.qr(z)
    d = np.diag(r)
    return q * (d / np.abs(d))


def random_kraus(num_qubits: int, rng, rank: int = 3, strength: float | None = None) -> list[np.ndarray]:
    """Kraus operators of ``(1 - s) id + s E`` with E random (Stinespring) of the given rank."""
    d = 2**num_qubits
    v = random_unitary(d * rank, rng)[:, :d]  # isometry (d*rank, d)
    ops = [v[i * d : (i + 1) * d, :] for i in range(rank)]
    s = rng.uniform(0.01, 0.1) if strength is None else strength
    return [np.sqrt(1 - s) * np.eye(d, dtype=complex)] + [np.sqrt(s) * k for k in ops]


def random_density_matrix(num_qubits: int, rng) -> np.ndarray:
    """A random full-rank density matrix (``A A^dagger / Tr``, A complex Ginibre)."""
    d = 2**num_qubits
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = a @ a.conj().T
    return rho / np.trace(rho).real


def random_pauli_probs(num_qubits: int, rng, total_error: float | None = None) -> dict[str, float]:
    labels = ["".join(t) for t in itertools.product("IXYZ", repeat=num_qubits)]
    err = rng.uniform(0.005, 0.08) if total_error is None else total_error
    w = rng.uniform(0.0, 1.0, size=len(labels) - 1)
    w = err * w / w.sum()
    probs = {"I" * num_qubits: 1.0 - err}
    others = [lab for lab in labels if lab != "I" * num_qubits]
    for lab, p in zip(others, w):
        probs[lab] = float(p)
    probs["I" * num_qubits] = 1.0 - sum(v for k, v in probs.items() if k != "I" * num_qubits)
    return probs


# ---------------------------------------------------------------------------- circuits
def random_circuit(
    n: int, num_gates: int, rng, gates=ALL_GATES, fixed_angle_prob: float = 0.2, shared_param_prob: float = 0.2
) -> Circuit:
    """A random circuit drawing uniformly from ``gates`` (names of :data:`ALL_GATES`; ``unitary1`` /
    ``unitary2`` are Haar-random 1q/2q ``unitary`` instructions).  Rotations get a fixed angle
    with probability ``fixed_angle_prob``, otherwise a parameter index, re-used with probability
    ``shared_param_prob``.  Two-qubit targets are random ordered pairs (any distance, both orders).
    """
    c = Circuit(n)
    pool = [g for g in gates if n >= 2 or g not in TWO_QUBIT + ("unitary2",)]
    for _ in range(num_gates):
        g = pool[rng.integers(len(pool))]
        if g in ROTATIONS:
            q = int(rng.integers(n))
            u = rng.uniform()
            if u < fixed_angle_prob:
                c.append(g, q, angle=float(rng.uniform(-np.pi, np.pi)))
            elif u < fixed_angle_prob + shared_param_prob and c.num_parameters > 0:
                c.append(g, q, param=int(rng.integers(c.num_parameters)))
            else:
                c.append(g, q)
        elif g in ONE_QUBIT_FIXED:
            c.append(g, int(rng.integers(n)))
        elif g in TWO_QUBIT:
            a, b = rng.choice(n, size=2, replace=False)
            c.append(g, (int(a), int(b)))
        elif g == "unitary1":
            c.unitary(random_unitary(2, rng), int(rng.integers(n)))
        elif g == "unitary2":
            a, b = rng.choice(n, size=2, replace=False)
            c.unitary(random_unitary(4, rng), (int(a), int(b)))
        else:  # pragma: no cover
            raise ValueError(g)
    return c


def random_params(circuit: Circuit, rng) -> np.ndarray:
    return rng.uniform(-np.pi, np.pi, size=circuit.num_parameters)


# ---------------------------------------------------------------------------- noise models
def make_channel(kind: str, args) -> channels.Channel:
    """Build a qnoise channel from a spec entry's ``(kind, args)``."""
    if kind == "depolarizing":
        return channels.depolarizing(*args)
    if kind == "pauli":
        return channels.pauli_channel(dict(args))
    if kind == "amplitude_damping":
        return channels.amplitude_damping(*args)
    if kind == "phase_damping":
        return channels.phase_damping(*args)
    if kind == "thermal_relaxation":
        return channels.thermal_relaxation(*args)
    if kind == "kraus":
        return channels.kraus_channel(args)
    if kind == "unitary":
        return channels.unitary_channel(args)
    raise ValueError(kind)


def channel_num_qubits(kind: str, args) -> int:
    if kind == "depolarizing":
        return args[1]
    if kind == "pauli":
        return len(args[0][0])
    if kind in ("kraus",):
        return int(np.log2(np.asarray(args[0]).shape[0]))
    if kind == "unitary":
        return int(np.log2(np.asarray(args).shape[0]))
    return 1


def random_channel_spec(num_qubits: int, rng, kinds=None) -> tuple[str, object]:
    """A random ``(kind, args)`` for a channel on ``num_qubits`` (1 or 2) qubits."""
    if num_qubits == 1:
        kinds = kinds or ("depolarizing", "pauli", "amplitude_damping", "phase_damping", "thermal_relaxation", "kraus")
    else:
        kinds = kinds or ("depolarizing", "pauli", "kraus")
    kind = kinds[rng.integers(len(kinds))]
    if kind == "depolarizing":
        return kind, (float(rng.uniform(0.0, 0.08)), num_qubits)
    if kind == "pauli":
        return kind, tuple(random_pauli_probs(num_qubits, rng).items())
    if kind == "amplitude_damping":
        pe = 0.0 if rng.uniform() < 0.4 else float(rng.uniform(0, 0.5))
        return kind, (float(rng.uniform(0.0, 0.1)), pe)
    if kind == "phase_damping":
        return kind, (float(rng.uniform(0.0, 0.1)),)
    if kind == "thermal_relaxation":
        t1 = float(rng.uniform(20.0, 100.0))
        t2 = float(rng.uniform(0.2, 2.0)) * t1
        pe = 0.0 if rng.uniform() < 0.4 else float(rng.uniform(0, 0.3))
        return kind, (t1, t2, float(rng.uniform(0.2, 5.0)), pe)
    if kind == "kraus":
        return kind, random_kraus(num_qubits, rng, rank=int(rng.integers(1, 4)))
    raise ValueError(kind)


def random_channel(num_qubits: int, rng, kinds=None) -> channels.Channel:
    """A random channel on ``num_qubits`` (1 or 2) qubits: :func:`random_channel_spec`, built."""
    return make_channel(*random_channel_spec(num_qubits, rng, kinds))


def random_noise_spec(
    n: int,
    rng,
    gate_noise: bool = True,
    readout: bool = True,
    local_entries: int = 2,
    one_qubit_kinds=None,
    two_qubit_kinds=None,
) -> list[dict]:
    """Entries ``{"kind", "args", "gates", "qubits"}`` (``qubits=None``: all-qubit default) and
    readout entries ``{"kind": "readout", "args": (p1_given0, p0_given1), "qubit": q or None}``."""
    spec: list[dict] = []
    if gate_noise:
        one_q = list(ONE_QUBIT_NAMES) + ["unitary"]
        rng.shuffle(one_q)
        # split the 1q gates into a few groups with different default channels
        cut = sorted(rng.choice(np.arange(1, len(one_q)), size=2, replace=False))
        for group in (one_q[: cut[0]], one_q[cut[0] : cut[1]], one_q[cut[1] :]):
            kind, args = random_channel_spec(1, rng, one_qubit_kinds)
            spec.append({"kind": kind, "args": args, "gates": group, "qubits": None})
        if n >= 2:
            for g in TWO_QUBIT_NAMES:
                k = 2 if rng.uniform() < 0.7 else 1
                kind, args = random_channel_spec(k, rng, two_qubit_kinds if k == 2 else one_qubit_kinds)
                spec.append({"kind": kind, "args": args, "gates": [g], "qubits": None})
        arity: dict = {}  # composing entries on one key need equal channel sizes
        for _ in range(local_entries):
            if n >= 2 and rng.uniform() < 0.5:
                g = TWO_QUBIT_NAMES[rng.integers(len(TWO_QUBIT_NAMES))]
                a, b = rng.choice(n, size=2, replace=False)
                qubits = (int(a), int(b))
                k = arity.setdefault((g, qubits), 2 if rng.uniform() < 0.7 else 1)
                kind, args = random_channel_spec(k, rng, two_qubit_kinds if k == 2 else one_qubit_kinds)
            else:
                g = ONE_QUBIT_NAMES[rng.integers(len(ONE_QUBIT_NAMES))]
                qubits = (int(rng.integers(n)),)
                kind, args = random_channel_spec(1, rng, one_qubit_kinds)
            spec.append({"kind": kind, "args": args, "gates": [g], "qubits": qubits})
    if readout:
        spec.append(
            {"kind": "readout", "args": (float(rng.uniform(0, 0.1)), float(rng.uniform(0, 0.15))), "qubit": None}
        )
        for _ in range(min(n, 2)):
            spec.append(
                {
                    "kind": "readout",
                    "args": (float(rng.uniform(0, 0.2)), float(rng.uniform(0, 0.2))),
                    "qubit": int(rng.integers(n)),
                }
            )
    return spec


def build_noise_model(spec: list[dict]) -> NoiseModel:
    nm = NoiseModel("random")
    for e in spec:
        if e["kind"] == "readout":
            err = channels.ReadoutError(*e["args"])
            if e["qubit"] is None:
                nm.add_all_qubit_readout_error(err)
            else:
                nm.add_readout_error(err, e["qubit"])
            continue
        ch = make_channel(e["kind"], e["args"])
        if e["qubits"] is None:
            nm.add_all_qubit_error(ch, e["gates"])
        else:
            nm.add_error(ch, e["gates"], e["qubits"])
    return nm


def random_noise_model(n: int, rng, gate_noise: bool = True, readout: bool = True, **kwargs) -> NoiseModel:
    return build_noise_model(random_noise_spec(n, rng, gate_noise=gate_noise, readout=readout, **kwargs))


# ---------------------------------------------------------------------------- Hamiltonians
def random_labels(n: int, num_terms: int, rng, allow_identity: bool = True) -> list[str]:
    labels: list[str] = []
    seen = set()
    attempts = 0
    while len(labels) < num_terms and attempts < 100 * num_terms:
        attempts += 1
        lab = "".join("IXYZ"[c] for c in rng.integers(4, size=n))
        if (not allow_identity and lab == "I" * n) or lab in seen:
            continue
        seen.add(lab)
        labels.append(lab)
    return labels


def random_pauli_sum(n: int, num_terms: int, rng, constant: float = 0.0):
    """``num_terms`` uniformly random labels (repeats merge, all-identity ones join the constant) with
    standard-normal coefficients."""
    from crlqas.qnoise.hamiltonian import Hamiltonian

    labels = ["".join(rng.choice(list("IXYZ"), size=n)) for _ in range(num_terms)]
    return Hamiltonian([(lab, rng.normal()) for lab in labels], constant=constant, num_qubits=n)


def random_hamiltonian(n: int, num_terms: int, rng, constant: float | None = None):
    from crlqas.qnoise.hamiltonian import Hamiltonian

    labels = random_labels(n, num_terms, rng, allow_identity=False)
    coeffs = rng.normal(size=len(labels))
    const = float(rng.normal()) if constant is None else constant
    return Hamiltonian(dict(zip(labels, (float(c) for c in coeffs))), constant=const, num_qubits=n)


# ---------------------------------------------------------------------------- whole problems
def random_problem(n: int, rng, num_gates: int, num_terms: int, gate_noise=True, readout=True, **circuit_options):
    """``(circuit, noise model, Hamiltonian, parameters)``, drawn from ``rng`` in that order;
    ``circuit_options`` go to :func:`random_circuit`."""
    c = random_circuit(n, num_gates, rng, **circuit_options)
    nm = random_noise_model(n, rng, gate_noise=gate_noise, readout=readout)
    h = random_hamiltonian(n, num_terms, rng)
    return c, nm, h, random_params(c, rng)
