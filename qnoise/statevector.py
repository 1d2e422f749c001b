"""Noiseless fast path: a 2^n complex state-vector engine.

The :class:`qnoise.simulator.Simulator` uses it automatically when the noise model is ideal.  A
circuit is compiled once into an opcode program (``qnoise/_kernels/statevector.py``): consecutive
fixed one-qubit gates on a qubit (including fixed-angle rotations) are fused into one 2x2 matrix,
diagonal ones become phase multiplications, ``x``/``cx``/``cz``/``swap`` become permutations or
sign flips, and every call (state, energy, a batch of energies, adjoint gradient) is one compiled
call with no Python per gate or per Pauli term.

>>> from crlqas.qnoise.circuit import Circuit
>>> from crlqas.qnoise.hamiltonian import Hamiltonian
>>> eng = StatevectorEngine(Circuit(2).ry(0).cx(0, 1))
>>> round(eng.energy([0.0], Hamiltonian({"ZZ": 1.0})), 12)
1.0

Parameters passed to the single-point methods are assumed validated (``circuit.check_parameters``);
the batch API checks its shape.  States use qubit k = bit k of the index (``qnoise.paulis``).
"""

from __future__ import annotations

import numba
import numpy as np

from ._kernels import statevector as _k
from .errors import ParameterError, QubitError, ValidationError
from .gates import gate_unitary

_ROTATION_OPS = {"rx": _k.OP_RX, "ry": _k.OP_RY, "rz": _k.OP_RZ}
_FIXED_2Q_OPS = {"cx": _k.OP_CX, "cz": _k.OP_CZ, "swap": _k.OP_SWAP}
_ZERO_ATOL = 1e-15
MAX_DIAGONAL_ENTRIES = 1 << 22  # precomputed group diagonals (64 MiB); beyond, built per call
PARALLEL_WORK = 1 << 24  # amplitude updates of a batch above which rows run on Numba threads
_I_POWERS = np.array([1, 1j, -1, -1j], dtype=np.complex128)


class _Program:
    """Opcode rows and the flat buffers of fixed matrices and of their daggers."""

    def __init__(self):
        self.rows: list[tuple[int, int, int, int]] = []
        self.mats: list[np.ndarray] = []
        self.dags: list[np.ndarray] = []
        self.size = 0

    def emit(self, op: int, q0: int, q1: int = 0, arg: int = 0, mat=None, dag=None):
        if mat is not None:
            arg = self.size
            self.mats.append(np.asarray(mat, dtype=np.complex128).ravel())
            self.dags.append(np.asarray(dag, dtype=np.complex128).ravel())
            self.size += self.mats[-1].size
        self.rows.append((op, q0, q1, arg))

    def emit_1q(self, q: int, m: np.ndarray):
        off = abs(m[0, 1]) <= _ZERO_ATOL and abs(m[1, 0]) <= _ZERO_ATOL
        if off and np.all(np.abs(np.diag(m) - 1) <= _ZERO_ATOL):
            return  # identity
        if off:
            d = np.diag(m)
            self.emit(_k.OP_D1, q, mat=d, dag=d.conj())
        elif np.all(np.abs(m - [[0, 1], [1, 0]]) <= _ZERO_ATOL):
            self.emit(_k.OP_X, q)
        else:
            self.emit(_k.OP_U1, q, mat=m, dag=m.conj().T)

    def emit_2q(self, name: str, qubits, matrix):
        q0, q1 = qubits
        if name in _FIXED_2Q_OPS:
            self.emit(_FIXED_2Q_OPS[name], q0, q1)
        elif np.all(np.abs(matrix - np.diag(np.diag(matrix))) <= _ZERO_ATOL):
            d = np.diag(matrix)
            self.emit(_k.OP_D2, q0, q1, mat=d, dag=d.conj())
        else:
            self.emit(_k.OP_U2, q0, q1, mat=matrix, dag=matrix.conj().T)

    def arrays(self):
        prog = np.array(self.rows, dtype=np.int64).reshape(-1, 4)
        cat = lambda xs: np.concatenate(xs) if xs else np.zeros(1, dtype=np.complex128)
        return prog, cat(self.mats), cat(self.dags)


def compile_circuit(circuit, fuse: bool = True):
    """``(prog, mats, mats_dag)`` of a :class:`qnoise.circuit.Circuit` (see the kernel module)."""
    out = _Program()
    pending: dict[int, np.ndarray] = {}

    def flush(q):
        m = pending.pop(q, None)
        if m is not None:
            out.emit_1q(q, m)

    for ins in circuit.instructions:
        if ins.param is None and len(ins.qubits) == 1:
            q = ins.qubits[0]
            m = ins.matrix if ins.name == "unitary" else gate_unitary(ins.name, ins.angle)
            m = np.asarray(m, dtype=np.complex128)
            pending[q] = m @ pending[q] if q in pending else m
            if not fuse:
                flush(q)
            continue
        for q in ins.qubits:
            flush(q)
        if ins.param is not None:
            out.emit(_ROTATION_OPS[ins.name], ins.qubits[0], 0, ins.param)
        else:
            m = ins.matrix if ins.name == "unitary" else (None if ins.name in _FIXED_2Q_OPS else gate_unitary(ins.name))
            out.emit_2q(ins.name, ins.qubits, None if m is None else np.asarray(m, dtype=np.complex128))
    for q in sorted(pending):
        flush(q)
    return out.arrays()


def pauli_sum_data(indices, coeffs, num_qubits: int):
    """Kernel form of a Pauli sum: ``(xg, zm, cw, gstart, diag)`` (see the kernel module)."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    w = np.asarray(coeffs, dtype=np.float64).reshape(-1)
    codes = (idx[:, None] >> (2 * np.arange(num_qubits, dtype=np.int64))) & 3
    bits = np.int64(1) << np.arange(num_qubits, dtype=np.int64)
    xm = (((codes == 1) | (codes == 2)) * bits).sum(axis=1, dtype=np.int64)
    zm = (((codes == 2) | (codes == 3)) * bits).sum(axis=1, dtype=np.int64)
    cw = w * _I_POWERS[(codes == 2).sum(axis=1) % 4]
    order = np.argsort(xm, kind="stable")
    xm, zm, cw = xm[order], zm[order], cw[order]
    first = np.flatnonzero(np.diff(xm, prepend=-1))  # first term of each x-mask group
    gstart = np.append(first, xm.size).astype(np.int64)
    xg, zm, cw = (np.ascontiguousarray(a) for a in (xm[first], zm, cw))
    dim = 1 << num_qubits
    if first.size * dim <= MAX_DIAGONAL_ENTRIES:
        diag = _k.group_diagonals(zm, cw, gstart, dim)
    else:
        diag = np.zeros((0, dim), dtype=np.complex128)
    return xg, zm, cw, gstart, diag


def pack_program(prog, mats, num_qubits: int, ham_data, constant: float = 0.0):
    """``(ibuf, cbuf)`` for :func:`qnoise._kernels.statevector.energies_packed`: a compiled circuit
    and the :func:`pauli_sum_data` of an observable (plus its constant) in one int64 and one
    complex128 buffer (layout in the kernel module)."""
    xg, zm, cw, gstart, diag = ham_data
    head = [num_qubits, prog.shape[0], xg.size, zm.size, mats.size, diag.shape[0]]
    assert len(head) == _k.PACK_HEADER
    ints = [np.asarray(a, dtype=np.int64).reshape(-1) for a in (head, prog, xg, zm, gstart)]
    cplx = [np.asarray(a, dtype=np.complex128).reshape(-1) for a in (mats, cw, diag, [constant])]
    return np.concatenate(ints), np.concatenate(cplx)


class StatevectorEngine:
    """Exact noiseless simulation of a parameterised circuit on 2^n amplitudes."""

    def __init__(self, circuit, fuse: bool = True):
        self.num_qubits = int(circuit.num_qubits)
        self.num_parameters = int(circuit.num_parameters)
        self._prog, self._mats, self._dags = compile_circuit(circuit, fuse)
        self._ham = None
        self._ham_data = None
        self._packed = None

    @property
    def num_ops(self) -> int:
        """Number of program rows after fusion."""
        return int(self._prog.shape[0])

    def _hamiltonian(self, hamiltonian):
        if hamiltonian is not self._ham:
            if int(hamiltonian.num_qubits) != self.num_qubits:
                raise QubitError(
                    f"the Hamiltonian acts on {hamiltonian.num_qubits} qubit(s) but the circuit has {self.num_qubits}"
                )
            data = pauli_sum_data(hamiltonian.indices, hamiltonian.coeffs, self.num_qubits)
            self._ham_data = (data, float(hamiltonian.constant))
            self._ham = hamiltonian
            self._packed = None
        return self._ham_data

    def packed(self, hamiltonian) -> tuple[np.ndarray, np.ndarray]:
        """``(ibuf, cbuf)`` of :func:`pack_program` for ``hamiltonian`` (built once per Hamiltonian):
        :func:`qnoise._kernels.statevector.energies_packed` on it gives :meth:`energies`, bit for bit."""
        data, const = self._hamiltonian(hamiltonian)
        if self._packed is None:
            self._packed = pack_program(self._prog, self._mats, self.num_qubits, data, const)
        return self._packed

    def parallel_batch(self, rows: int, hamiltonian) -> bool:
        """Whether :meth:`energies` spreads a batch of ``rows`` over Numba threads."""
        data, _ = self._hamiltonian(hamiltonian)
        work = rows * (self.num_ops + 2 * data[0].size) << self.num_qubits
        return work >= PARALLEL_WORK and numba.get_num_threads() > 1

    def state(self, params) -> np.ndarray:
        """The 2^n state vector ``U(params)|0...0>``."""
        p = np.ascontiguousarray(params, dtype=np.float64).reshape(-1)
        return _k.run_state(self._prog, self._mats, p, self.num_qubits)

    def energy(self, params, hamiltonian) -> float:
        """``<psi(params)| H |psi(params)>`` including the constant."""
        data, const = self._hamiltonian(hamiltonian)
        p = np.ascontiguousarray(params, dtype=np.float64).reshape(-1)
        return _k.energy(self._prog, self._mats, p, self.num_qubits, *data) + const

    def energies(self, params_2d, hamiltonian) -> np.ndarray:
        """Energies of each row of a ``(batch, num_parameters)`` array, in one compiled call.

        Large batches (over :data:`PARALLEL_WORK` amplitude updates) spread rows over Numba threads.
        """
        p = np.asarray(params_2d, dtype=np.float64)
        if p.ndim == 1 and self.num_parameters == 0 and p.size == 0:
            p = p.reshape(0, 0)
        if p.ndim != 2 or p.shape[1] != self.num_parameters:
            raise ParameterError(
                f"energies needs a (batch, {self.num_parameters}) array of parameters; got shape {p.shape}"
            )
        if not np.all(np.isfinite(p)):
            raise ParameterError("parameters must be finite")
        data, const = self._hamiltonian(hamiltonian)
        kern = _k.energies_parallel if self.parallel_batch(p.shape[0], hamiltonian) else _k.energies
        out = kern(self._prog, self._mats, np.ascontiguousarray(p), self.num_qubits, *data)
        return out + const

    def energy_and_gradient(self, params, hamiltonian) -> tuple[float, np.ndarray]:
        """Energy and ``dE/dparams`` by the adjoint method (one forward and one backward pass)."""
        data, const = self._hamiltonian(hamiltonian)
        p = np.ascontiguousarray(params, dtype=np.float64).reshape(-1)
        e, g = _k.energy_and_gradient(self._prog, self._mats, self._dags, p, self.num_qubits, *data)
        return e + const, g

    def gradient(self, params, hamiltonian) -> np.ndarray:
        """``dE/dparams`` (shared parameters sum their rotations' contributions)."""
        return self.energy_and_gradient(params, hamiltonian)[1]

    def probabilities(self, params, basis_codes=None) -> np.ndarray:
        """Outcome probabilities (2^n) after measuring qubit k in basis ``basis_codes[k]``.

        Codes: 1 = X, 2 = Y, 3 or 0 = Z; ``None`` measures every qubit in Z.
        """
        codes = np.zeros(self.num_qubits, np.int64) if basis_codes is None else np.asarray(basis_codes)
        if (
            codes.shape != (self.num_qubits,)
            or not np.issubdtype(codes.dtype, np.integer)
            or np.any((codes < 0) | (codes > 3))
        ):
            raise ValidationError(
                f"basis_codes must be {self.num_qubits} integers in 0..3 (0/3 Z, 1 X, 2 Y); got {basis_codes!r}"
            )
        return _k.rotated_probabilities(self.state(params), codes.astype(np.int64))
