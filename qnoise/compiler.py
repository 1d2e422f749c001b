"""Compile a circuit and a noise model into an opcode program for :mod:`qnoise._kernels.program`.

Noise is folded into gate PTMs once, here: a fixed gate becomes ``N @ U`` (U its PTM, N the
channel the noise model attaches), a rotation becomes the three parts ``N @ R_cc``, ``N @ R_cs``,
``N @ R_ss`` of ``R(theta) = c^2 R_cc + c s R_cs + s^2 R_ss``.  Gates are then grouped into blocks:
consecutive one-qubit gates on a qubit (nothing else touching it in between) form one block, and
so do consecutive two-qubit gates on the same pair.  One-qubit gates are never fused into a
two-qubit block: measured on the shared QAS workloads (n = 2..10), a dense 16x16 block costs about
2.5 sparse two-qubit passes (noisy CX: 16-32 non-zeros) and 3-8 one-qubit passes, so that fusion
lost everywhere there.

Runs of fixed factors are multiplied at compile time; a block without rotations (every two-qubit
block) becomes one fixed op, stored as diagonal, sparse (<= ``SPARSE_MAX_NNZ`` non-zeros) or dense.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ._kernels.program import BLOCK1, DIAG1, DIAG2, F_FIX4, F_ROT, FIX1, FIX2, GATHER2, SPARSE2
from ._kernels.ptm import WS_SIZE
from .circuit import Circuit
from .conversions import unitary_to_ptm
from .gates import GATES, gate_unitary, rotation_matrix
from .noise_model import NoiseModel

SPARSE_MAX_NNZ = 64
#: fixed sparse two-qubit ops on at most this many qubits become whole-state ``GATHER2`` ops
#: (n = 4, noisy CX under thermal relaxation, 25 non-zeros: 0.41 us instead of 0.53 us per op)
GATHER_MAX_QUBITS = 4
assert 4**GATHER_MAX_QUBITS <= WS_SIZE
_SWAP_DIGITS = np.array([(j >> 2) | ((j & 3) << 2) for j in range(16)])


@dataclass
class Program:
    """Arrays of a compiled circuit (see :mod:`qnoise._kernels.program` for the layout)."""

    num_qubits: int
    ops: np.ndarray
    factors: np.ndarray
    mats: np.ndarray
    sparse_rc: np.ndarray
    sparse_val: np.ndarray
    occ_param: np.ndarray

    @property
    def kernel_args(self) -> tuple:
        return (self.num_qubits, self.ops, self.factors, self.mats, self.sparse_rc, self.sparse_val)


@cache
def _fixed_ptm(name: str) -> np.ndarray:
    return unitary_to_ptm(gate_unitary(name))


@cache
def rotation_parts(pauli: int) -> np.ndarray:
    """``(R_cc, R_cs, R_ss)`` with ``PTM(exp(-i theta P/2)) = c^2 R_cc + c s R_cs + s^2 R_ss``."""
    r0 = unitary_to_ptm(rotation_matrix(pauli, 0.0))
    r1 = unitary_to_ptm(rotation_matrix(pauli, np.pi))
    rh = unitary_to_ptm(rotation_matrix(pauli, np.pi / 2))
    return np.array([r0, 2 * rh - r0 - r1, r1])


def _swap_local(m: np.ndarray) -> np.ndarray:
    """Re-index a 16x16 PTM from local order (q0, q1) to (q1, q0)."""
    return m[np.ix_(_SWAP_DIGITS, _SWAP_DIGITS)]


class _Block:
    __slots__ = ("factors", "qubits")

    def __init__(self, qubits):
        self.qubits = qubits  # (q,) or (lo, hi)
        self.factors = []  # one-qubit block: ("fix", m) | ("rot", parts, occ); two-qubit: ("fix", m)


def _gate_factor(ins, noise_model: NoiseModel | None, occ: int):
    """The (noise-folded) factor of one instruction in its block's local frame."""
    channel = noise_model.gate_channel(ins.name, ins.qubits) if noise_model is not None else None
    noise = None if channel is None else channel.ptm
    if len(ins.qubits) == 1:
        if ins.is_rotation and ins.param is not None:
            parts = rotation_parts(GATES[ins.name].pauli)
            if noise is not None:
                parts = np.einsum("ab,kbc->kac", noise, parts)
            return ("rot", parts, occ)
        u = gate_unitary(ins.name, ins.angle) if ins.matrix is None else ins.matrix
        m = _fixed_ptm(ins.name) if ins.matrix is None and not ins.is_rotation else unitary_to_ptm(u)
        return ("fix", m if noise is None else noise @ m)
    u = gate_unitary(ins.name) if ins.matrix is None else ins.matrix
    m = _fixed_ptm(ins.name) if ins.matrix is None else unitary_to_ptm(u)
    if noise is not None:
        m = noise @ m
    if ins.qubits[0] > ins.qubits[1]:
        m = _swap_local(m)
    return ("fix", m)


def _schedule(circuit: Circuit, noise_model) -> tuple[list[_Block], list[int]]:
    blocks: list[_Block] = []
    last = [-1] * circuit.num_qubits
    occ_param: list[int] = []
    for ins in circuit.instructions:
        occ = len(occ_param)
        qs = ins.qubits
        if len(qs) == 1:
            b = last[qs[0]]
            if b < 0 or len(blocks[b].qubits) == 2:
                blocks.append(_Block(qs))
                b = last[qs[0]] = len(blocks) - 1
        else:
            pair = tuple(sorted(qs))
            b = last[pair[0]]
            if b < 0 or b != last[pair[1]] or blocks[b].qubits != pair:
                blocks.append(_Block(pair))
                b = last[pair[0]] = last[pair[1]] = len(blocks) - 1
        factor = _gate_factor(ins, noise_model, occ)
        if factor[0] == "rot":
            occ_param.append(ins.param)
        blocks[b].factors.append(factor)
    return blocks, occ_param


def _merge_fixed(block: _Block) -> list:
    """Multiply runs of fixed factors (a run of one factor is kept as it is)."""
    out, run = [], []

    def flush():
        if len(run) == 1:
            out.append(run[0])
        elif run:
            m = np.eye(4 ** len(block.qubits))
            for f in run:
                m = f[1] @ m
            out.append(("fix", m))
        run.clear()

    for f in block.factors:
        if f[0] == "rot":
            flush()
            out.append(f)
        else:
            run.append(f)
    flush()
    return out


def _head_first(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-zeros of ``m`` with, when every row has one, the largest of each row first in row order
    (the order :func:`_gather_entries` builds on), then the rest in row-major order."""
    rows, cols = np.nonzero(m)
    if len(np.unique(rows)) != m.shape[0]:
        return rows, cols
    head = np.argmax(np.abs(m), axis=1)
    is_head = cols == head[rows]
    return np.concatenate([rows[is_head], rows[~is_head]]), np.concatenate([cols[is_head], cols[~is_head]])


def _gather_entries(n: int, lo: int, hi: int, m: np.ndarray):
    """Non-zeros ``(rc, vals)`` of the whole-state matrix of a 16x16 ``m`` on ``(lo, hi)``: first the
    largest of each row in row order, then the others ordered by their rank within the row (so
    that consecutive accumulations rarely hit the same row); ``None`` if ``m`` has an empty row."""
    rows, cols = _head_first(m)
    if len(np.unique(rows)) != 16:
        return None
    vals = m[rows, cols]
    rank = np.zeros(len(rows), dtype=np.int64)
    for e in range(16, len(rows)):
        rank[e] = rank[:e][rows[:e] == rows[e]].max() + 1
    size = 4**n
    idx = np.arange(size)
    dlo, dhi = (idx >> (2 * lo)) & 3, (idx >> (2 * hi)) & 3
    rest = idx - (dlo << (2 * lo)) - (dhi << (2 * hi))
    loc = dlo + 4 * dhi
    off = lambda j: ((j & 3) << (2 * lo)) + ((j >> 2) << (2 * hi))
    dst = [idx]
    src = [rest + off(cols[loc])]
    val = [vals[loc]]
    for k in range(1, rank.max() + 1):
        sel = np.nonzero(rank == k)[0]  # entries of rank k, ordered by row
        mask = np.isin(loc, rows[sel])
        pos = np.full(16, -1)
        pos[rows[sel]] = sel
        e = pos[loc[mask]]
        dst.append(idx[mask])
        src.append(rest[mask] + off(cols[e]))
        val.append(vals[e])
    rc = np.stack([np.concatenate(dst), np.concatenate(src)], axis=1)
    return rc, np.concatenate(val)


class _Builder:
    def __init__(self, n: int):
        self.n = n
        self.ops, self.factors, self.mats, self.rc, self.vals = [], [], [], [], []
        self.size = 0

    def put(self, arr) -> int:
        start = self.size
        flat = np.ascontiguousarray(arr, dtype=float).ravel()
        self.mats.append(flat)
        self.size += flat.size
        return start

    def fixed_op(self, qubits, m):
        if len(qubits) == 1:
            if np.count_nonzero(m - np.diag(np.diag(m))) == 0:
                self.ops.append((DIAG1, qubits[0], 0, self.put(np.diag(m)), 0))
            else:
                self.ops.append((FIX1, qubits[0], 0, self.put(m), 0))
            return
        lo, hi = qubits
        if np.count_nonzero(m - np.diag(np.diag(m))) == 0:
            self.ops.append((DIAG2, lo, hi, self.put(np.diag(m)), 0))
        elif (
            self.n <= GATHER_MAX_QUBITS
            and np.count_nonzero(m) <= SPARSE_MAX_NNZ
            and (g := _gather_entries(self.n, lo, hi, m)) is not None
        ):
            start = sum(len(v) for v in self.vals)
            self.rc.append(g[0])
            self.vals.append(g[1])
            self.ops.append((GATHER2, lo, hi, start, start + len(g[1])))
        elif np.count_nonzero(m) <= SPARSE_MAX_NNZ:
            rows, cols = _head_first(m)
            start = sum(len(v) for v in self.vals)
            self.rc.append(np.stack([rows, cols], axis=1))
            self.vals.append(m[rows, cols])
            self.ops.append((SPARSE2, lo, hi, start, start + len(rows)))
        else:
            self.ops.append((FIX2, lo, hi, self.put(m), 0))

    def block_op(self, q, factors):
        """A one-qubit ``BLOCK1`` op (the factors of a block with rotations)."""
        start = len(self.factors)
        for f in factors:
            if f[0] == "rot":
                self.factors.append((F_ROT, f[2], self.put(f[1])))
            else:
                self.factors.append((F_FIX4, 0, self.put(f[1])))
        self.ops.append((BLOCK1, q, 0, start, len(self.factors)))


def compile_program(circuit: Circuit, noise_model: NoiseModel | None = None) -> Program:
    """Compile ``circuit`` under ``noise_model`` (validated by the caller)."""
    n = circuit.num_qubits
    blocks, occ_param = _schedule(circuit, noise_model)
    b = _Builder(n)
    for block in blocks:
        factors = _merge_fixed(block)
        if len(factors) == 1 and factors[0][0] != "rot":
            b.fixed_op(block.qubits, factors[0][1])
        else:  # only one-qubit blocks hold rotations
            b.block_op(block.qubits[0], factors)
    rc = np.concatenate(b.rc).astype(np.int64) if b.rc else np.zeros((0, 2), dtype=np.int64)
    vals = np.concatenate(b.vals) if b.vals else np.zeros(0)
    return Program(
        num_qubits=n,
        ops=np.array(b.ops, dtype=np.int64).reshape(-1, 5),
        factors=np.array(b.factors, dtype=np.int64).reshape(-1, 3),
        mats=np.concatenate(b.mats) if b.mats else np.zeros(0),
        sparse_rc=rc,
        sparse_val=vals,
        occ_param=np.array(occ_param, dtype=np.int64),
    )


def pack_program(program: Program, h_idx: np.ndarray, h_val: np.ndarray, constant: float = 0.0):
    """``(ibuf, fbuf)`` for :func:`qnoise._kernels.program.energy_packed`: the program's and the
    observable's arrays in one int64 and one float64 buffer (layout there)."""
    from ._kernels.program import PACK_HEADER

    ints = [program.ops, program.factors, program.sparse_rc, program.occ_param, h_idx]
    floats = [program.mats, program.sparse_val, h_val]
    ints = [np.ascontiguousarray(a, dtype=np.int64).reshape(-1) for a in ints]
    floats = [np.ascontiguousarray(a, dtype=np.float64).reshape(-1) for a in floats]
    ibounds = np.cumsum([PACK_HEADER] + [a.size for a in ints])
    fbounds = np.cumsum([0] + [a.size for a in floats])
    head = np.concatenate([[program.num_qubits], ibounds, fbounds]).astype(np.int64)
    assert head.size == PACK_HEADER
    ibuf = np.concatenate([head, *ints]).astype(np.int64)
    fbuf = np.concatenate([*floats, [float(constant)]]).astype(np.float64)
    return ibuf, fbuf
