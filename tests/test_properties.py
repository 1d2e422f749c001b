"""Property-based checks (hypothesis) on random circuits and noise models."""

import numpy as np
import pytest
from helpers import random_channel, random_circuit, random_params, random_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crlqas.qnoise import oracle
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.simulator import Simulator

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def case(n, seed, readout=True):
    rng = np.random.default_rng(seed)
    return (*random_problem(n, rng, 4 + 4 * n, 2 + 2 * n, readout=readout), rng)


def concatenate(a: Circuit, b: Circuit) -> Circuit:
    """``a`` then ``b``; ``b``'s parameter indices are shifted past ``a``'s."""
    out = a.copy()  # keeps a's parameter count
    for ins in b.instructions:
        if ins.param is not None:
            out.append(ins.name, ins.qubits, param=ins.param + a.num_parameters)
        else:
            out.append(ins.name, ins.qubits, angle=ins.angle, matrix=ins.matrix)
    return out


@SETTINGS
@given(n=st.integers(1, 5), seed=seeds)
def test_trace_is_kept(n, seed):
    c, nm, h, params, _ = case(n, seed)
    r = Simulator(c, h, nm).state(params)
    assert r[0] == pytest.approx(1 / np.sqrt(2**n), abs=1e-13)
    # purity is at most 1
    assert r @ r <= 1 + 1e-12


@SETTINGS
@given(n=st.integers(1, 3), seed=seeds)
def test_state_is_positive(n, seed):
    c, nm, h, params, _ = case(n, seed)
    rho = Simulator(c, h, nm).density_matrix(params)
    np.testing.assert_allclose(rho, rho.conj().T, atol=1e-13)
    assert np.linalg.eigvalsh(rho).min() >= -1e-10


@SETTINGS
@given(n=st.integers(1, 4), seed=seeds)
def test_composition_equals_sequence(n, seed):
    rng = np.random.default_rng(seed)
    a, nm, h, pa = random_problem(n, rng, 3 + 2 * n, 3, readout=False)
    b = random_circuit(n, 3 + 2 * n, rng)
    pb = random_params(b, rng)
    ab = concatenate(a, b)
    assert ab.num_parameters == a.num_parameters + b.num_parameters
    params = np.concatenate([pa, pb])
    rho_seq = oracle.evolve(oracle.density_matrix(a, pa, nm), b, pb, nm)
    np.testing.assert_allclose(oracle.density_matrix(ab, params, nm), rho_seq, atol=1e-13)
    sim = Simulator(ab, h, nm, engine="ptm")
    np.testing.assert_allclose(sim.state(params), oracle.pauli_vector(rho_seq), atol=1e-12)


@SETTINGS
@given(k=st.integers(1, 2), seed=seeds)
def test_channel_compose_equals_sequential_application(k, seed):
    rng = np.random.default_rng(seed)
    first = random_channel(k, rng)
    second = random_channel(k, rng)
    composed = first.compose(second)
    d = 2**k
    m = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = m @ m.conj().T / np.trace(m @ m.conj().T)
    seq = oracle.apply_kraus(oracle.apply_kraus(rho, first.kraus, list(range(k))), second.kraus, list(range(k)))
    r = oracle.pauli_vector(rho)
    np.testing.assert_allclose(composed.ptm @ r, second.ptm @ (first.ptm @ r), atol=1e-13)
    np.testing.assert_allclose(composed.ptm @ r, oracle.pauli_vector(seq), atol=1e-13)
    np.testing.assert_allclose(oracle.apply_kraus(rho, composed.kraus, list(range(k))), seq, atol=1e-13)


@SETTINGS
@given(n=st.integers(1, 5), seed=seeds, noisy=st.booleans())
def test_energy_within_spectrum(n, seed, noisy):
    c, nm, h, params, _ = case(n, seed, readout=False)
    sim = Simulator(c, h, nm if noisy else None)
    eigs = np.linalg.eigvalsh(h.to_matrix())  # constant included
    e = sim.energy(params)
    tol = 1e-11 * (1 + np.abs(h.coeffs).sum())
    assert eigs[0] - tol <= e <= eigs[-1] + tol
    # and equal to the oracle's Tr(rho H) with the dense matrix
    rho = oracle.density_matrix(c, params, nm if noisy else None)
    assert e == pytest.approx(np.trace(rho @ h.to_matrix()).real, abs=tol)


@SETTINGS
@given(n=st.integers(1, 4), seed=seeds)
def test_batch_is_row_wise(n, seed):
    c, nm, h, _params, rng = case(n, seed)
    sim = Simulator(c, h, nm)
    batch = rng.uniform(-np.pi, np.pi, size=(4, c.num_parameters))
    e = sim.energies(batch)
    np.testing.assert_allclose(sim.energies(batch[::-1]), e[::-1], atol=1e-13)
    np.testing.assert_allclose(e, [sim.energy(p) for p in batch], atol=1e-12 * (1 + np.abs(h.coeffs).sum()))
