"""Local PTM kernels against dense kron-built references; programs against stored workloads."""

from __future__ import annotations

import glob
import itertools
import os

import numpy as np
import pytest

from crlqas.qnoise._kernels import ptm

DATA = os.path.join(os.path.dirname(__file__), "data")
EYE4 = np.eye(4)


def _full_1q(n, q, m):
    """4^n x 4^n operator of a 4x4 ``m`` on digit ``q`` (digit 0 least significant)."""
    out = np.ones((1, 1))
    for k in range(n - 1, -1, -1):
        out = np.kron(out, m if k == q else EYE4)
    return out


def _full_2q(n, lo, hi, m):
    """4^n x 4^n operator of a 16x16 ``m`` with local index ``p_lo + 4 p_hi``."""
    dim = 4**n
    idx = np.arange(dim)
    dig = lambda i, q: (i // 4**q) % 4
    rest = idx - dig(idx, lo) * 4**lo - dig(idx, hi) * 4**hi
    loc = dig(idx, lo) + 4 * dig(idx, hi)
    full = np.zeros((dim, dim))
    same = rest[:, None] == rest[None, :]
    full[same] = m[loc[:, None], loc[None, :]][same]
    return full


def _pairs(n):
    return [(a, b) for a, b in itertools.permutations(range(n), 2) if a < b]


@pytest.mark.parametrize("n", range(1, 7))
def test_one_qubit_kernels(n):
    rng = np.random.default_rng(n)
    for q in range(n):
        x = rng.normal(size=4**n)
        m = rng.normal(size=(4, 4))
        want = _full_1q(n, q, m) @ x
        lam = rng.normal(size=4**n)
        y = x.copy()
        ptm.apply_1q(y, q, m)
        np.testing.assert_allclose(y, want, rtol=0, atol=1e-12)
        d = rng.normal(size=4)
        y = x.copy()
        ptm.apply_diag_1q(y, q, d)
        np.testing.assert_allclose(y, _full_1q(n, q, np.diag(d)) @ x, rtol=0, atol=1e-12)
        g = np.zeros((4, 4))
        ptm.outer_1q(lam, x, q, g)
        # lam . (M_q x) is linear in M: sum_ab M[a, b] g[a, b]
        assert abs(np.sum(m * g) - lam @ want) < 1e-10


@pytest.mark.parametrize("n", range(2, 7))
def test_two_qubit_kernels(n):
    rng = np.random.default_rng(100 + n)
    ws = np.empty(ptm.WS_SIZE)
    for lo, hi in _pairs(n):
        x = rng.normal(size=4**n)
        m = rng.normal(size=(16, 16))
        full = _full_2q(n, lo, hi, m)
        y = x.copy()
        ptm.apply_2q(y, lo, hi, m, ws)
        np.testing.assert_allclose(y, full @ x, rtol=0, atol=1e-12)
        # sparse: random pattern including empty rows and a signed permutation
        for pattern in ("random", "perm"):
            if pattern == "random":
                ms = m * (rng.uniform(size=(16, 16)) < 0.2)
                ms[3, :] = 0.0
            else:
                ms = np.zeros((16, 16))
                ms[np.arange(16), rng.permutation(16)] = rng.choice([-1.0, 1.0], 16) * rng.uniform(0.5, 1, 16)
            rows, cols = np.nonzero(ms)
            y = x.copy()
            ptm.apply_2q_sparse(y, lo, hi, rows.astype(np.int64), cols.astype(np.int64), ms[rows, cols], ws)
            np.testing.assert_allclose(y, _full_2q(n, lo, hi, ms) @ x, rtol=0, atol=1e-12)
        d = rng.normal(size=16)
        y = x.copy()
        ptm.apply_diag_2q(y, lo, hi, d)
        d_full = _full_2q(n, lo, hi, np.diag(d))
        np.testing.assert_allclose(y, d_full @ x, rtol=0, atol=1e-12)


def _workloads():
    return sorted(glob.glob(os.path.join(DATA, "qas_*.json")))


@pytest.mark.parametrize("path", _workloads(), ids=os.path.basename)
def test_workload_reference_energy(path):
    from crlqas.qnoise.simulator import Simulator
    from crlqas.qnoise.workloads import load_workload

    w = load_workload(path)
    sim = Simulator(w.circuit, w.hamiltonian, w.noise_model)
    assert abs(sim.energy(w.reference_params) - w.reference_energy) < 1e-10
    batch = np.stack([w.reference_params, w.reference_params])
    np.testing.assert_allclose(sim.energies(batch), w.reference_energy, rtol=0, atol=1e-10)


@pytest.mark.parametrize("path", [p for p in _workloads() if "n8" not in p], ids=os.path.basename)
def test_workload_gradient(path):
    from crlqas.qnoise.simulator import Simulator
    from crlqas.qnoise.workloads import load_workload

    w = load_workload(path)
    sim = Simulator(w.circuit, w.hamiltonian, w.noise_model)
    rng = np.random.default_rng(7)
    p = rng.uniform(-np.pi, np.pi, w.circuit.num_parameters)
    e, g = sim.energy_and_gradient(p)
    assert abs(e - sim.energy(p)) < 1e-12
    h = 1e-5
    fd = np.empty_like(g)
    for k in range(len(p)):
        d = np.zeros_like(p)
        d[k] = h
        fd[k] = (sim.energy(p + d) - sim.energy(p - d)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=0, atol=1e-7)


def _noisy_cx_like(rng):
    """A 16x16 with every row non-empty and 1-4 non-zeros per row (thermal-relaxed CX pattern)."""
    t = np.eye(4)
    t[3, 0] = rng.uniform(0.01, 0.1)
    perm = np.zeros((16, 16))
    perm[np.arange(16), rng.permutation(16)] = rng.choice([-1.0, 1.0], 16)
    return np.diag(rng.uniform(0.5, 1, 16)) @ np.kron(t, t) @ perm


@pytest.mark.parametrize("n", range(2, 6))
def test_head_first_sparse_and_gather(n):
    """Head-first non-zero order (unrolled small-state path with extras) and the whole-state
    ``GATHER2`` form built by the compiler, forward and transposed, against dense references."""
    from crlqas.qnoise.compiler import _gather_entries, _head_first

    rng = np.random.default_rng(200 + n)
    ws = np.empty(ptm.WS_SIZE)
    for lo, hi in _pairs(n):
        m = _noisy_cx_like(rng)
        full = _full_2q(n, lo, hi, m)
        x = rng.normal(size=4**n)
        rows, cols = _head_first(m)
        assert np.array_equal(rows[:16], np.arange(16))
        y = x.copy()
        ptm.apply_2q_sparse(y, lo, hi, rows, cols, m[rows, cols], ws)
        np.testing.assert_allclose(y, full @ x, rtol=0, atol=1e-12)
        if 4**n > ptm.WS_SIZE:
            continue
        rc, vals = _gather_entries(n, lo, hi, m)
        assert np.array_equal(rc[: 4**n, 0], np.arange(4**n))
        dense = np.zeros_like(full)
        np.add.at(dense, (rc[:, 0], rc[:, 1]), vals)
        np.testing.assert_array_equal(dense, full)
        for transpose, want in ((False, full @ x), (True, full.T @ x)):
            y = x.copy()
            ptm.apply_gather(y, rc, vals, transpose, ws)
            np.testing.assert_allclose(y, want, rtol=0, atol=1e-12)
    m = _noisy_cx_like(rng)
    m[5] = 0.0
    assert _gather_entries(2, 0, 1, m) is None


@pytest.mark.parametrize("n", [5, 6])
@pytest.mark.parametrize("nt", [2, 3])
def test_parallel_kernels_bit_identical(n, nt):
    """The ``*_par`` kernels split work among threads but give exactly the serial results."""
    rng = np.random.default_rng(300 + n)
    ws, wsp = np.empty(ptm.WS_SIZE), np.empty(nt * ptm.WS_SIZE)
    x = rng.normal(size=4**n)
    for q in range(n):
        m = rng.normal(size=(4, 4))
        a, b = x.copy(), x.copy()
        ptm.apply_1q(a, q, m)
        ptm.apply_1q_par(b, q, m, nt)
        assert np.array_equal(a, b)
        d = rng.normal(size=4)
        ptm.apply_diag_1q(a, q, d)
        ptm.apply_diag_1q_par(b, q, d, nt)
        assert np.array_equal(a, b)
    for lo, hi in _pairs(n):
        m = rng.normal(size=(16, 16))
        a, b = x.copy(), x.copy()
        ptm.apply_2q(a, lo, hi, m, ws)
        ptm.apply_2q_par(b, lo, hi, m, wsp, nt)
        assert np.array_equal(a, b)
        ms = _noisy_cx_like(rng)
        rows, cols = np.nonzero(ms)
        ptm.apply_2q_sparse(a, lo, hi, rows, cols, ms[rows, cols], ws)
        ptm.apply_2q_sparse_par(b, lo, hi, rows, cols, ms[rows, cols], wsp, nt)
        assert np.array_equal(a, b)
        d = rng.normal(size=16)
        ptm.apply_diag_2q(a, lo, hi, d)
        ptm.apply_diag_2q_par(b, lo, hi, d, nt)
        assert np.array_equal(a, b)


@pytest.mark.parametrize("path", [p for p in _workloads() if "n6" in p or "n8" in p], ids=os.path.basename)
def test_parallel_runner_bit_identical(path):
    from crlqas.qnoise._kernels import program as K
    from crlqas.qnoise.simulator import Simulator
    from crlqas.qnoise.workloads import load_workload

    w = load_workload(path)
    sim = Simulator(w.circuit, w.hamiltonian, w.noise_model)
    rng = np.random.default_rng(11)
    p = rng.uniform(-np.pi, np.pi, (2, w.circuit.num_parameters))
    serial = K.energies(p, *sim._energy_args)
    assert np.array_equal(K.energies_par(p, *sim._energy_args, 2), serial)
    assert K.energy_par(p[0], *sim._energy_args, 3) == serial[0]


def test_simulator_parallel_path(monkeypatch):
    import numba

    from crlqas.qnoise import simulator
    from crlqas.qnoise.errors import ValidationError
    from crlqas.qnoise.workloads import load_workload

    w = load_workload(os.path.join(DATA, "qas_n6_g40_thermal.json"))
    serial = simulator.Simulator(w.circuit, w.hamiltonian, w.noise_model)
    assert serial._threads() == 1  # opt-in: one thread by default
    e, x = serial.energy(w.reference_params), serial.state(w.reference_params)
    monkeypatch.setattr(simulator, "PARALLEL_MIN_QUBITS", 6)
    sim = simulator.Simulator(w.circuit, w.hamiltonian, w.noise_model, threads=2)
    if numba.config.NUMBA_NUM_THREADS > 1:
        assert sim._threads() == 2
        assert sim.energy(w.reference_params) == e
        assert np.array_equal(sim.state(w.reference_params), x)
        assert np.array_equal(sim.energies(np.stack([w.reference_params] * 2)), [e, e])
    numba.set_num_threads(1)
    try:
        assert sim._threads() == 1  # never more than Numba allows
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    with pytest.raises(ValidationError, match="threads must be"):
        simulator.Simulator(w.circuit, w.hamiltonian, w.noise_model, threads=0)


def test_kernel_cache_is_keyed_on_every_kernel_module():
    """Numba's cache does not track callees; the cache directory hashes every kernel module, so
    each module that compiles with ``kernel`` must be listed in ``KERNEL_MODULES``."""
    import pathlib

    import numba

    from crlqas.qnoise._kernels import _jit

    root = pathlib.Path(_jit.__file__).resolve().parent.parent
    users = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "import kernel" in p.read_text() or p.name == "_jit.py"
    }
    assert users <= set(_jit.KERNEL_MODULES), f"add {sorted(users - set(_jit.KERNEL_MODULES))} to KERNEL_MODULES"
    assert numba.config.CACHE_DIR == _jit._cache_dir() == os.environ["NUMBA_CACHE_DIR"]
    assert os.path.basename(numba.config.CACHE_DIR).startswith("kernels-")
    numba.core.config.reload_config()  # Numba re-reads the environment: the directory stays
    assert _jit._cache_dir() == numba.config.CACHE_DIR


@pytest.mark.parametrize("path", [p for p in _workloads() if "n8" not in p], ids=os.path.basename)
def test_packed_entry_points_bit_identical(path):
    """``energy_packed``/``energies_packed`` (two-buffer calls) equal the ten-argument kernels."""
    from crlqas.qnoise._kernels import program as K
    from crlqas.qnoise.compiler import pack_program
    from crlqas.qnoise.simulator import Simulator
    from crlqas.qnoise.workloads import load_workload

    w = load_workload(path)
    sim = Simulator(w.circuit, w.hamiltonian, w.noise_model, engine="ptm")
    rng = np.random.default_rng(5)
    p = rng.uniform(-np.pi, np.pi, (3, w.circuit.num_parameters))
    const = sim.observable.constant
    serial = K.energies(p, *sim._energy_args) + const
    ibuf, fbuf = pack_program(sim.program, sim.observable.indices, sim._h_val, const)
    assert np.array_equal(K.energies_packed(p, ibuf, fbuf), serial)
    for r in range(3):
        assert K.energy_packed(p[r], ibuf, fbuf) == serial[r] == sim.energy(p[r])
    assert np.array_equal(sim.energies(p), serial)
    n, ops, factors, mats, rc, sv, occ, h_idx, h_val, c = K.unpack(ibuf, fbuf)
    prog = sim.program
    assert n == prog.num_qubits and c == const
    for a, b in [
        (ops, prog.ops),
        (factors, prog.factors),
        (mats, prog.mats),
        (rc, prog.sparse_rc),
        (sv, prog.sparse_val),
        (occ, prog.occ_param),
        (h_idx, sim.observable.indices),
        (h_val, sim._h_val),
    ]:
        assert np.array_equal(a, b.reshape(a.shape)) and a.size == b.size
