"""Optimizers: convergence on H2 (2 qubits, exact energies), budgets, seeds, Adam-SPSA formulas,
agreement with qiskit-algorithms' SPSA, compiled vs Python loops, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crlqas.qnoise.ansatz import hardware_efficient
from crlqas.qnoise.channels import depolarizing
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.measurement import gaussian_shot_noise
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.optimizers import EnergyFunction, get_optimizer, list_optimizers
from crlqas.qnoise.optimizers import spsa as spsa_module
from crlqas.qnoise.optimizers.adam_spsa import PRESETS
from crlqas.qnoise.problems import get_problem
from crlqas.qnoise.simulator import Simulator

H2 = get_problem("h2-2q")

#: optimizer -> (budget, tolerance on E - E0): the stated budgets of the convergence test
BUDGETS = {
    "spsa": (2000, 1.6e-3),
    "adam-spsa": (400, 1e-4),
    "spsa3": (400, 1e-3),
    "cobyla": (300, 1e-6),
    "cobyqa": (300, 1e-6),
    "nelder-mead": (400, 1e-6),
    "powell": (400, 1e-6),
    "l-bfgs-b": (400, 1e-6),
    "bfgs": (400, 1e-6),
    "rotosolve": (200, 1e-8),
    "aqgd": (500, 1e-6),
}
OPTIONS = {"spsa": {"stability_constant": 100}}


@pytest.fixture(scope="module")
def h2_fun():
    circuit = hardware_efficient(2, 1, rotations=("ry",))  # ry ry cx ry ry: reaches the H2 ground state
    return EnergyFunction(Simulator(circuit, H2.hamiltonian))


@pytest.fixture(scope="module")
def noisy_fun():
    nm = (
        NoiseModel()
        .add_all_qubit_error(depolarizing(1e-3, 1), ["ry", "rz"])
        .add_all_qubit_error(depolarizing(1e-2, 2), ["cx"])
    )
    return EnergyFunction(Simulator(hardware_efficient(2, 1), H2.hamiltonian, nm))


def test_registry_lists_the_issue_names():
    assert list_optimizers() == [
        "spsa",
        "adam-spsa",
        "spsa3",
        "cobyla",
        "cobyqa",
        "nelder-mead",
        "powell",
        "l-bfgs-b",
        "bfgs",
        "rotosolve",
        "aqgd",
    ]
    assert set(BUDGETS) == set(list_optimizers())


@pytest.mark.parametrize("name", list(BUDGETS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reaches_h2_ground_energy_within_budget(h2_fun, name, seed):
    budget, tol = BUDGETS[name]
    x0 = np.random.default_rng(seed).uniform(-0.1, 0.1, h2_fun.num_params)
    res = get_optimizer(name, **OPTIONS.get(name, {})).minimize(h2_fun, x0, budget, seed=seed)
    assert res.nfev <= budget
    assert res.fun - H2.e0 < tol, (name, res.fun - H2.e0, res.message)
    assert res.fun == pytest.approx(h2_fun(res.x), abs=1e-12)  # exact energies: fun is the energy at x
    assert len(res.history) == res.nit == len(res.history_nfev)
    assert np.all(np.diff(res.history_nfev) >= 0) and (res.nit == 0 or res.history_nfev[-1] <= budget)


class Counting:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


class CountingEnergy(EnergyFunction):
    """Counts simulator rows and charges gradients like the Objective (1 + 2p)."""

    def __init__(self, sim, shots=None):
        super().__init__(sim, shots)
        self.calls = 0

    def evaluate(self, X, shots, rng):
        self.calls += X.shape[0]
        return super().evaluate(X, shots, rng)

    def evaluate_with_gradient(self, x, shots, rng):
        self.calls += 1 + 2 * self.num_params
        return super().evaluate_with_gradient(x, shots, rng)

    def kernel_args(self):  # force the Python loop so that every row is seen here
        return None


@pytest.mark.parametrize("name", list(BUDGETS))
@pytest.mark.parametrize("budget", [1, 2, 3, 8, 37])
def test_budget_never_exceeded(h2_fun, name, budget):
    quad = Counting(lambda x: float(np.sum(np.sin(x) ** 2) + 0.1 * x[0]))
    res = get_optimizer(name).minimize(quad, np.full(4, 0.4), budget, seed=0)
    assert res.nfev == quad.calls <= budget
    fun = CountingEnergy(h2_fun.simulator, shots=1000)
    res = get_optimizer(name).minimize(fun, np.full(4, 0.4), budget, seed=0)
    assert res.nfev == fun.calls <= budget
    assert np.isfinite(res.fun) or res.nfev == 0


@pytest.mark.parametrize("engine", ["ptm", "statevector"])
def test_compiled_loop_respects_budget_and_counts(noisy_fun, h2_fun, engine):
    fun = noisy_fun if engine == "ptm" else h2_fun
    assert fun.simulator.engine == engine
    for budget in (1, 2, 3, 99, 1667):
        res = get_optimizer("spsa3").minimize(fun, np.zeros(fun.num_params), budget, seed=1)
        assert res.info["compiled"] and 0 <= budget - res.nfev <= 1  # an odd evaluation may be left
        assert res.nfev == 2 * res.nit or (res.nit == 0 and res.nfev <= 1)


@pytest.mark.parametrize("name", ["spsa", "adam-spsa", "spsa3", "aqgd", "rotosolve", "l-bfgs-b"])
def test_seed_reproduces_and_generator_advances(noisy_fun, name):
    noisy = EnergyFunction(noisy_fun.simulator, shots=1000)
    x0 = np.full(noisy.num_params, 0.2)
    opt = get_optimizer(name)
    a = opt.minimize(noisy, x0, 120, seed=5)
    b = opt.minimize(noisy, x0, 120, seed=5)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.history, b.history)
    rng = np.random.default_rng(5)
    c = opt.minimize(noisy, x0, 120, seed=rng)
    d = opt.minimize(noisy, x0, 120, seed=rng)
    assert not np.array_equal(c.history, d.history)  # fresh perturbations/noise on each call


def test_adam_spsa_follows_spec_formulas(noisy_fun):
    """Reference loop written from spec section 8 (directions drawn as the optimizer draws them)."""
    h = PRESETS["lih-4q"]
    p, budget, seed = noisy_fun.num_params, 200, 3
    x = np.linspace(-0.5, 0.5, p)
    rng = np.random.default_rng(seed)
    deltas = 1.0 - 2.0 * rng.integers(0, 2, size=(budget // 2, p))
    m, v, best = np.zeros(p), np.zeros(p), math.inf
    for k, d in enumerate(deltas):
        ak, ck = h["a"] / (k + 1) ** h["alpha"], h["c"] / (k + 1) ** h["gamma"]
        fp, fm = noisy_fun(x + ck * d), noisy_fun(x - ck * d)
        best = min(best, fp, fm)
        g = (fp - fm) / (2 * ck * d)
        b1k = h["beta1"] / (k + 1) ** h["lam"]
        m = b1k * m + (1 - b1k) * g
        v = h["beta2"] * v + (1 - h["beta2"]) * g**2
        m_hat, v_hat = m / (1 - b1k ** (k + 1)), v / (1 - h["beta2"] ** (k + 1))
        x = x - ak * m_hat / (np.sqrt(v_hat) + 1e-8)
    for use_kernel in (True, False):
        res = get_optimizer("adam-spsa", preset="lih-4q", use_kernel=use_kernel).minimize(
            noisy_fun, np.linspace(-0.5, 0.5, p), budget, seed=seed
        )
        assert res.info["compiled"] is use_kernel
        np.testing.assert_allclose(res.x_last, x, rtol=1e-9, atol=1e-10)
        assert res.fun == pytest.approx(best, abs=1e-12)
        assert res.nfev == budget and res.nit == budget // 2


def test_spsa3_stages_and_like_with_like_best(noisy_fun):
    opt = get_optimizer("spsa3", preset="lih-4q")
    assert opt.stage_budgets(1667) == [1191, 357, 119]
    shots = EnergyFunction(noisy_fun.simulator, shots=10**5)
    seen = []
    res = opt.minimize(
        shots, np.zeros(shots.num_params), 1667, seed=2, callback=lambda info: seen.append(info.nfev) and False
    )
    assert res.info["stage_shots"] == [1000, 10000, 100000]
    assert len(res.info["stage_best"]) == 3 and res.fun == res.info["stage_best"][-1]
    assert res.nfev == 1666 and seen == list(res.history_nfev)  # one odd evaluation left over
    # compiled and Python loops give the same trajectory, bit for bit (tests/test_spsa_kernel.py)
    for fun in (noisy_fun, shots):
        a = opt.minimize(fun, np.zeros(shots.num_params), 300, seed=4)
        b = get_optimizer("spsa3", preset="lih-4q", use_kernel=False).minimize(
            fun, np.zeros(shots.num_params), 300, seed=4
        )
        np.testing.assert_array_equal(a.history, b.history)
        np.testing.assert_array_equal(a.x, b.x)


def test_energy_function_noise_is_the_paper_model(noisy_fun):
    fun = EnergyFunction(noisy_fun.simulator, shots=1000)
    x = np.full(fun.num_params, 0.3)
    rng = np.random.default_rng(0)
    ours = fun.evaluate(np.repeat(x[None], 20000, axis=0), 1000, rng)
    exact = noisy_fun(x)
    ref = [gaussian_shot_noise(exact, H2.hamiltonian.coeffs, 1000, rng) for _ in range(20000)]
    assert fun.sigma(1000) == pytest.approx(math.sqrt(np.sum(H2.hamiltonian.coeffs**2) / 1000))
    assert np.mean(ours) == pytest.approx(exact, abs=5 * fun.sigma(1000) / math.sqrt(20000))
    assert np.std(ours) == pytest.approx(np.std(ref), rel=0.03)
    assert np.std(ours) == pytest.approx(fun.sigma(1000), rel=0.03)


def test_callback_can_stop_and_history_is_per_iteration(h2_fun):
    res = get_optimizer("adam-spsa").minimize(h2_fun, np.zeros(4), 400, seed=0, callback=lambda info: info.nit >= 5)
    assert res.nit == 5 and res.nfev == 10 and "callback" in res.message


def test_rotosolve_is_exact_on_a_sinusoid():
    f = Counting(lambda x: 0.7 * math.cos(x[0] - 1.1) + 0.2)
    res = get_optimizer("rotosolve").minimize(f, [0.0], 10, seed=0)
    assert res.fun == pytest.approx(-0.5, abs=1e-12)
    assert res.x[0] == pytest.approx(1.1 - math.pi, abs=1e-9)


def test_rotosolve_kicks_leave_a_coordinatewise_minimum():
    """f = -cos x cos y + 2 sin x sin y = cos(x - y) / 2 - 3 cos(x + y) / 2: (0, 0) is a minimum along
    each angle (f = -1) but a saddle; the global minimum is -2. Plain sweeps stay, kicks leave."""
    f = Counting(lambda x: -math.cos(x[0]) * math.cos(x[1]) + 2 * math.sin(x[0]) * math.sin(x[1]))
    plain = get_optimizer("rotosolve", tol=1e-9).minimize(f, [0.0, 0.0], 200, seed=0)
    assert plain.fun == pytest.approx(-1.0, abs=1e-12) and plain.nfev < 20  # converged at once
    kicked = get_optimizer("rotosolve", tol=1e-9, kick=0.5).minimize(f, [0.0, 0.0], 200, seed=0)
    assert kicked.fun == pytest.approx(-2.0, abs=1e-9) and kicked.nfev == 200  # the whole budget
    assert "kick" in kicked.message
    again = get_optimizer("rotosolve", tol=1e-9, kick=0.5).minimize(f, [0.0, 0.0], 200, seed=0)
    np.testing.assert_array_equal(again.x, kicked.x)  # the seed decides the kicks
    for bad in (-0.1, float("nan"), "0.5", True):
        with pytest.raises(ValidationError, match="kick must be a non-negative number"):
            get_optimizer("rotosolve", kick=bad)


# ---------------------------------------------------------------------------- qiskit-algorithms
def _shared_directions(monkeypatch, spsa_qiskit, dim, count, seed=11):
    pool = 1 - 2 * np.random.default_rng(seed).integers(0, 2, size=(count, dim))
    ours, theirs = iter(pool.astype(float)), iter(pool)
    monkeypatch.setattr(spsa_module, "rademacher", lambda rng, size: next(ours).copy())
    monkeypatch.setattr(spsa_qiskit, "bernoulli_perturbation", lambda dim, pdims=None: next(theirs).copy())


def _quadratic(x):
    t = np.array([0.3, -1.2, 0.8, 2.0, -0.4])
    s = np.array([1.0, 2.0, 0.5, 1.5, 3.0])
    return float(np.sum(s * (x - t) ** 2))


@pytest.mark.parametrize("blocking", [False, True])
def test_spsa_agrees_with_qiskit_algorithms(monkeypatch, blocking):
    qa = pytest.importorskip("qiskit_algorithms.optimizers")
    import qiskit_algorithms.optimizers.spsa as spsa_qiskit

    x0, iters = np.zeros(5), 60
    _shared_directions(monkeypatch, spsa_qiskit, 5, 25 + iters)
    if blocking:  # given gains, large enough that some steps are rejected
        theirs = qa.SPSA(
            maxiter=iters,
            learning_rate=lambda: spsa_qiskit.powerseries(0.6, 0.602),
            perturbation=lambda: spsa_qiskit.powerseries(0.1, 0.101),
            blocking=True,
            allowed_increase=0.0,
        ).minimize(_quadratic, x0)
        ours = get_optimizer("spsa", a=0.6, c=0.1, blocking=True, allowed_increase=0.0)
        budget = 1 + 3 * iters
    else:  # calibrated gains (25 direction pairs) and Spall's exponents
        theirs = qa.SPSA(maxiter=iters).minimize(_quadratic, x0)
        ours = get_optimizer("spsa")
        budget = 50 + 2 * iters
    res = ours.minimize(_quadratic, x0, budget, seed=0)
    assert res.nit == iters
    np.testing.assert_allclose(res.x_last, theirs.x, rtol=1e-12, atol=1e-12)
    if blocking:
        assert 0 < res.info["rejected"] < iters


def test_spsa_behaves_like_qiskit_statistically():
    """Independent random streams: similar final losses on the quadratic (calibrated defaults)."""
    qa = pytest.importorskip("qiskit_algorithms.optimizers")
    from qiskit_algorithms.utils import algorithm_globals

    ours, theirs = [], []
    for s in range(6):
        algorithm_globals.random_seed = s
        theirs.append(_quadratic(qa.SPSA(maxiter=150).minimize(_quadratic, np.zeros(5)).x))
        ours.append(_quadratic(get_optimizer("spsa").minimize(_quadratic, np.zeros(5), 350, seed=s).x_last))
    assert np.median(ours) < 0.05 and np.median(theirs) < 0.05
    assert 0.1 < np.median(ours) / np.median(theirs) < 10


# ---------------------------------------------------------------------------- errors
def test_errors_are_clear():
    with pytest.raises(ValidationError, match="did you mean 'adam-spsa'"):
        get_optimizer("adam_spsaa")
    with pytest.raises(ValidationError, match="no option"):
        get_optimizer("spsa", learning_rate=0.1)
    with pytest.raises(ValidationError, match="preset"):
        get_optimizer("adam-spsa", preset="lih-5q")
    with pytest.raises(ValidationError, match="budget"):
        get_optimizer("cobyla").minimize(lambda x: 0.0, [0.0], 0)
    with pytest.raises(ValidationError, match="budget"):
        get_optimizer("cobyla").minimize(lambda x: 0.0, [0.0], 2.5)
    with pytest.raises(ValidationError, match=r"Unknown solver options|unknown"):
        get_optimizer("cobyla", rhobgn=0.5).minimize(lambda x: 0.0, [0.0], 5)
    with pytest.raises(ValidationError, match="budget"):
        get_optimizer("powell", maxfev=3)
    with pytest.raises(ValidationError, match="beta1"):
        get_optimizer("adam-spsa", beta1=1.0)
    with pytest.raises(ValidationError, match="x0"):
        get_optimizer("spsa").minimize(lambda x: 0.0, [np.nan], 5)
    assert get_optimizer("L_BFGS_B").name == "l-bfgs-b"
    assert get_optimizer("adam-spsa", preset="h2-2q").hyper["a"] == 1.2104
