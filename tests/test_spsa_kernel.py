"""The compiled Adam-SPSA / SPSA3 loop (``qnoise.optimizers._spsa_kernel``) on both engines against
the Python loop: the same results bit for bit, shot noise and callbacks (also stopping ones)
included, on random circuits."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from helpers import random_problem

from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.optimizers import EnergyFunction, get_optimizer
from crlqas.qnoise.optimizers._spsa_kernel import energies_packed
from crlqas.qnoise.simulator import Simulator

#: model -> (gate noise, readout error, mitigation); the first three use the statevector engine
MODELS = {
    "noiseless": (False, False, "none"),
    "readout": (False, True, "none"),
    "readout-mitigated": (False, True, "readout"),
    "gate-noise": (True, True, "none"),
}


def make_fun(model: str, seed: int, shots=None) -> EnergyFunction:
    gate_noise, readout, mitigation = MODELS[model]
    rng = np.random.default_rng(seed)
    n = 1 + seed % 4
    c, nm, h, _ = random_problem(
        n, rng, num_gates=6 * n + 4, num_terms=3 * n + 2, gate_noise=gate_noise, readout=readout
    )
    if c.num_parameters == 0:
        c.ry(0)
    sim = Simulator(c, h, nm, mitigation=mitigation)
    assert sim.engine == ("ptm" if gate_noise else "statevector")
    return EnergyFunction(sim, shots)


def run(fun, name, use_kernel, callback_kind, budget=301, seed=7):
    """``(result, callback record)`` of one minimisation (``callback_kind``: None, "record", "stop")."""
    seen = []

    def callback(info):
        seen.append((info.nit, info.nfev, info.fun, info.best_fun, info.x.tobytes()))
        return callback_kind == "stop" and info.nit >= 37

    x0 = np.random.default_rng(seed).uniform(-1, 1, fun.num_params)
    opt = get_optimizer(name, preset="lih-4q", use_kernel=use_kernel)
    res = opt.minimize(fun, x0, budget, seed=seed, callback=None if callback_kind is None else callback)
    return res, seen


def assert_same_run(a, b):
    for key in ("x", "fun", "history", "history_nfev", "nfev", "nit", "x_last", "message"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert a.info.get("stage_best") == b.info.get("stage_best")


@pytest.mark.parametrize("callback", [None, "record", "stop"])
@pytest.mark.parametrize("shots", [None, 1000])
@pytest.mark.parametrize("name", ["spsa3", "adam-spsa"])
@pytest.mark.parametrize("model", list(MODELS))
def test_compiled_loop_is_the_python_loop(model, name, shots, callback):
    for seed in range(3):
        fun = make_fun(model, 10 * seed + len(model), shots)
        (a, seen_a), (b, seen_b) = (run(fun, name, use_kernel, callback) for use_kernel in ("auto", False))
        assert a.info["compiled"] and not b.info["compiled"]
        assert_same_run(a, b)
        assert seen_a == seen_b
        if callback == "stop":
            assert a.nit == 37 and a.message == "stopped by the callback"


@pytest.mark.parametrize("budget", [1, 2, 3, 4, 99, 1667])
def test_noiseless_budgets(budget):
    fun = make_fun("noiseless", 3, shots=10**7)
    (a, _), (b, _) = (run(fun, "spsa3", use_kernel, None, budget=budget) for use_kernel in (True, False))
    assert_same_run(a, b)
    assert 0 <= budget - a.nfev <= 1


@pytest.mark.parametrize("model", list(MODELS))
def test_kernel_args_are_the_simulators_packed_program(model):
    fun = make_fun(model, 5)
    sim = fun.simulator
    ibuf, buf = fun.kernel_args()
    assert ibuf.dtype == np.int64 and buf.dtype == (np.float64 if sim.engine == "ptm" else np.complex128)
    batch = np.random.default_rng(0).uniform(-3, 3, (4, fun.num_params))
    want = sim.energies(batch)
    np.testing.assert_array_equal(energies_packed(batch, ibuf, buf), want)  # Python dispatch

    @numba.njit
    def compiled(p, i, b):
        return energies_packed(p, i, b)

    np.testing.assert_array_equal(compiled(batch, ibuf, buf), want)  # compiled dispatch (by type)
    other = sim.with_mitigation("readout" if sim.mitigation == "none" else "none")
    np.testing.assert_array_equal(energies_packed(batch, *EnergyFunction(other).kernel_args()), other.energies(batch))


def test_large_states_keep_the_python_loop(monkeypatch):
    """Where a batched pair would run on several threads (statevector engine) the Python loop is kept."""
    import crlqas.qnoise.statevector as sv

    fun = make_fun("noiseless", 2)
    assert fun.kernel_args() is not None
    monkeypatch.setattr(sv, "PARALLEL_WORK", 0)
    monkeypatch.setattr(sv.numba, "get_num_threads", lambda: 2)
    assert fun.kernel_args() is None
    res, _ = run(fun, "adam-spsa", "auto", None, budget=20)
    assert res.info["compiled"] is False
    with pytest.raises(ValidationError, match="no packed program"):
        run(fun, "adam-spsa", True, None, budget=20)
