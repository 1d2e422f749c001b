"""Slow, obvious dense density-matrix reference simulator (used by the tests only).

Independent of the PTM machinery: the state is a ``2^n x 2^n`` density matrix, gates are applied as
``rho -> U rho U^dagger`` and noise channels through their Kraus operators, both by tensor
contraction on the gate's qubits.  Conventions (:mod:`qnoise.paulis`): qubit k is bit k of a basis
index; for a gate on ``qubits = (q0, q1)`` the local matrix index is ``bit_q0 + 2 * bit_q1``.

Energies with readout errors are computed as a measurement would see them: per Hamiltonian term,
rotate into the term's basis, take the outcome distribution, push it through the per-qubit
assignment matrices ``matrix[true, measured]`` and average the parity on the term's support.
"""

from __future__ import annotations

import numpy as np

from .gates import GATES, gate_unitary
from .paulis import PAULI_MATRICES, pauli_codes

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_SDG = np.array([[1, 0], [0, -1j]], dtype=complex)
#: basis-change unitary per Pauli code, mapping its eigenbasis to Z's: I, X -> H, Y -> H S^dagger, Z
BASIS_CHANGE = {0: np.eye(2, dtype=complex), 1: _H, 2: _H @ _SDG, 3: np.eye(2, dtype=complex)}


# ---------------------------------------------------------------------------- primitives
def _contract(tensor: np.ndarray, op: np.ndarray, axes: list[int]) -> np.ndarray:
    """Apply the k-qubit matrix ``op`` (local bit j <-> ``axes``'s j-th entry) to ``tensor``."""
    k = len(axes)
    ndim = tensor.ndim
    op_t = op.reshape((2,) * (2 * k))
    # op_t axes are big-endian: [out_{k-1}, ..., out_0, in_{k-1}, ..., in_0]
    in_labels = [axes[j] for j in reversed(range(k))]
    out_labels = [ndim + j for j in reversed(range(k))]
    t_labels = list(range(ndim))
    result = list(range(ndim))
    for j in range(k):
        result[axes[j]] = ndim + j
    return np.einsum(op_t, out_labels + in_labels, tensor, t_labels, result, optimize=False)


def apply_operator(rho: np.ndarray, left: np.ndarray, qubits, right: np.ndarray | None = None) -> np.ndarray:
    """``left rho right^dagger`` with ``left``/``right`` acting on ``qubits`` (``right=left`` if None)."""
    dim = rho.shape[0]
    n = dim.bit_length() - 1
    right = left if right is None else right
    t = rho.reshape((2,) * (2 * n))
    row_axes = [n - 1 - q for q in qubits]
    col_axes = [2 * n - 1 - q for q in qubits]
    t = _contract(t, np.asarray(left, dtype=complex), row_axes)
    t = _contract(t, np.asarray(right, dtype=complex).conj(), col_axes)
    return t.reshape(dim, dim)


def apply_unitary(rho: np.ndarray, unitary: np.ndarray, qubits) -> np.ndarray:
    return apply_operator(rho, unitary, qubits)


def apply_kraus(rho: np.ndarray, kraus, qubits) -> np.ndarray:
    out = np.zeros_like(rho)
    for k in kraus:
        out += apply_operator(rho, k, qubits)
    return out


def embed(op: np.ndarray, qubits, num_qubits: int) -> np.ndarray:
    """Full ``2^n x 2^n`` matrix of a k-qubit operator acting on ``qubits`` (identity elsewhere)."""
    dim = 2**num_qubits
    idx = np.arange(dim)
    loc = np.zeros(dim, dtype=np.int64)
    mask = 0
    for j, q in enumerate(qubits):
        loc |= ((idx >> q) & 1) << j
        mask |= 1 << q
    rest = idx & ~mask
    return np.asarray(op, dtype=complex)[loc[:, None], loc[None, :]] * (rest[:, None] == rest[None, :])


def instruction_unitary(ins, params) -> np.ndarray:
    """Local unitary of a circuit instruction."""
    if ins.name == "unitary":
        return np.asarray(ins.matrix, dtype=complex)
    if GATES[ins.name].parametric:
        theta = float(params[ins.param]) if ins.param is not None else float(ins.angle)
        return gate_unitary(ins.name, theta)
    return gate_unitary(ins.name)


# ---------------------------------------------------------------------------- simulation
def initial_state(num_qubits: int) -> np.ndarray:
    rho = np.zeros((2**num_qubits, 2**num_qubits), dtype=complex)
    rho[0, 0] = 1.0
    return rho


def evolve(rho: np.ndarray, circuit, params, noise_model=None) -> np.ndarray:
    """Apply ``circuit`` (with gate noise from ``noise_model``) to the density matrix ``rho``."""
    params = np.asarray(params if params is not None else [], dtype=float).reshape(-1)
    for ins in circuit.instructions:
        rho = apply_unitary(rho, instruction_unitary(ins, params), ins.qubits)
        if noise_model is not None:
            ch = noise_model.gate_channel(ins.name, ins.qubits)
            if ch is not None:
                rho = apply_kraus(rho, ch.kraus, ins.qubits)
    return rho


def density_matrix(circuit, params=None, noise_model=None) -> np.ndarray:
    """Density matrix after running ``circuit`` on ``|0...0><0...0|``."""
    return evolve(initial_state(circuit.num_qubits), circuit, params, noise_model)


def pauli_expectation(rho: np.ndarray, codes) -> float:
    """``Tr(rho P)`` for per-qubit codes ``codes[k]`` on qubit k."""
    out = rho
    for q, c in enumerate(codes):
        if c:
            out = apply_operator(out, PAULI_MATRICES[c], [q], np.eye(2))
    return float(np.trace(out).real)


def measured_distribution(rho: np.ndarray, basis_codes, readout_matrices=None) -> np.ndarray:
    """Outcome distribution (index bit k = qubit k) when measuring qubit k in the eigenbasis of
    Pauli ``basis_codes[k]`` (Z for 0), with optional per-qubit assignment matrices
    ``readout_matrices[k][true, measured]`` (None = ideal)."""
    n = len(basis_codes)
    for q, c in enumerate(basis_codes):
        if c in (1, 2):
            rho = apply_unitary(rho, BASIS_CHANGE[c], [q])
    probs = np.clip(np.diag(rho).real, 0.0, None).reshape((2,) * n)  # axis for qubit q: n-1-q
    if readout_matrices is not None:
        for q, m in enumerate(readout_matrices):
            if m is None:
                continue
            ax = n - 1 - q
            probs = np.moveaxis(np.tensordot(probs, np.asarray(m, dtype=float), axes=([ax], [0])), -1, ax)
    return probs.reshape(-1)


def _parity_signs(support, num_qubits: int) -> np.ndarray:
    idx = np.arange(2**num_qubits)
    par = np.zeros_like(idx)
    for q in support:
        par ^= (idx >> q) & 1
    return 1.0 - 2.0 * par


def energy_from_density_matrix(rho: np.ndarray, hamiltonian, noise_model=None) -> float:
    n = rho.shape[0].bit_length() - 1
    readout = None
    if noise_model is not None and noise_model.has_readout_error:
        readout = []
        for q in range(n):
            err = noise_model.readout_error(q)
            readout.append(None if err is None else err.matrix)
    total = float(hamiltonian.constant)
    for label, coeff in zip(hamiltonian.labels, hamiltonian.coeffs):
        codes = ["IXYZ".index(ch) for ch in reversed(label.upper())]
        if readout is None:
            value = pauli_expectation(rho, codes)
        else:
            support = [q for q, c in enumerate(codes) if c]
            probs = measured_distribution(rho, codes, readout)
            value = float(probs @ _parity_signs(support, n))
        total += float(coeff) * value
    return total


def energy(circuit, params, hamiltonian, noise_model=None) -> float:
    """Energy ``Tr(rho H) + constant`` as measured (readout errors folded in when the model has them)."""
    rho = density_matrix(circuit, params, noise_model)
    return energy_from_density_matrix(rho, hamiltonian, noise_model)


def pauli_vector(rho: np.ndarray) -> np.ndarray:
    """``r_P = Tr(P rho) / sqrt(2^n)`` for all 4^n Pauli indices ``sum_k p_k 4^k``.

    Contracts each qubit's (row, column) pair with ``P_p[b, a]``: ``Tr(P rho) = sum prod_k
    P_k[b_k, a_k] rho[a, b]``.
    """
    dim = rho.shape[0]
    n = dim.bit_length() - 1
    t = np.asarray(rho, dtype=complex).reshape((2,) * (2 * n))
    m = PAULI_MATRICES.transpose(0, 2, 1)  # m[p, a, b] = P_p[b, a]
    for q in range(n):
        # after k contractions the leading axes are Pauli axes (most recent first)
        row_ax = q + (n - 1 - q)  # q Pauli axes in front, then the remaining row axes (big-endian)
        col_ax = row_ax + (n - q)
        t = np.tensordot(m, t, axes=([1, 2], [row_ax, col_ax]))
    # axes are now (p_{n-1}, ..., p_0): C order gives index sum_k p_k 4^k
    return t.real.reshape(-1) / np.sqrt(dim)


def pauli_vector_slow(rho: np.ndarray) -> np.ndarray:
    """Definition-by-definition version of :func:`pauli_vector` (small n)."""
    n = rho.shape[0].bit_length() - 1
    return np.array([pauli_expectation(rho, pauli_codes(i, n)) for i in range(4**n)]) / np.sqrt(2**n)


def parameter_shift_gradient(circuit, params, hamiltonian, noise_model=None) -> np.ndarray:
    """Exact gradient by the parameter-shift rule applied per rotation occurrence (shared indices add up).

    Valid with noise too: each rotation ``exp(-i theta P/2)`` enters linearly through
    ``cos theta, sin theta`` and the noise channels do not depend on theta.
    """
    params = np.asarray(params, dtype=float).reshape(-1)
    grad = np.zeros(params.shape[0])
    for pos, ins in enumerate(circuit.instructions):
        if ins.param is None:
            continue
        for sign in (+1, -1):
            shifted = _with_fixed_angle(circuit, pos, params[ins.param] + sign * np.pi / 2)
            grad[ins.param] += sign * 0.5 * energy(shifted, params, hamiltonian, noise_model)
    return grad


def _with_fixed_angle(circuit, position: int, angle: float):
    out = circuit.copy()
    ins = out.instructions[position]
    out.instructions[position] = type(ins)(ins.name, ins.qubits, None, float(angle), ins.matrix)
    return out
