"""The QAS Gymnasium env: API checkers, seeding, pickling, semantics of a step, rewards, halting,
best-circuit tracking, registration and configuration errors."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from crlqas import envs
from crlqas.envs.config import QASConfig
from crlqas.envs.qas_env import QASEnv
from crlqas.qnoise import channels
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.simulator import Simulator


def h2(**kw):
    opts = dict(problem="h2-2q", max_steps=6, optimizer="l-bfgs-b", optimizer_budget=60, angle_init="uniform")
    opts.update(kw)
    return QASEnv(**opts)


def noisy_lih(**kw):
    nm = NoiseModel("depol").add_all_qubit_error(channels.depolarizing(1e-3), ["rx", "ry", "rz"])
    nm.add_all_qubit_error(channels.depolarizing(5e-3, 2), ["cx"])
    opts = dict(
        problem="lih-4q-3.4",
        noise=nm,
        shots=10**7,
        max_steps=8,
        optimizer="spsa3",
        optimizer_budget=60,
        optimizer_options={"preset": "lih-4q"},
        energy_estimate="sampled",
        obs_threshold=True,
        obs_angles=True,
    )
    opts.update(kw)
    return QASEnv(**opts)


def rollout(env, seed, n=4):
    obs, info = env.reset(seed=seed)
    out = [obs]
    rng = np.random.default_rng(seed)
    for _ in range(n):
        a = int(rng.choice(np.flatnonzero(env.action_masks())))
        obs, r, term, trunc, info = env.step(a)
        out.append((a, obs, r, term, trunc, info["energy"], info["angles"]))
        if term or trunc:
            break
    return out


def same(a, b):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


# ---------------------------------------------------------------- API checkers
def test_gymnasium_check_env():
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*alternative render modes.*")
        check_env(h2(), skip_render_check=True)
        check_env(noisy_lih(max_steps=3), skip_render_check=True)


def test_sb3_check_env():
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(h2())
        check_env(h2(coupling_map="linear", obs_angles=True, obs_threshold=True))


def test_spaces_layout():
    env = h2(max_steps=40)
    assert env.action_space.n == 8
    assert env.observation_space.shape == (401,)  # the paper's 2-qubit input size at L = 40
    env4 = QASEnv(problem="lih-4q-3.4", max_steps=40, optimizer_budget=10)
    assert env4.observation_space.shape == (1121,) and env4.action_space.n == 24
    e = h2(max_steps=5, obs_angles=True, obs_threshold=True, obs_energy=False)
    assert e.observation_space.shape == (5 * 8 * 2 + 1,)
    ourense = QASEnv(problem="h2-4q", coupling_map="ourense", optimizer_budget=10, max_steps=5)
    assert ourense.action_space.n == 18


# ---------------------------------------------------------------- seeding, pickling
def test_same_seed_same_rollout_noisy_and_randomised():
    a, b = noisy_lih(), noisy_lih()
    ra, rb = rollout(a, 7), rollout(b, 7)
    assert same(ra, rb)
    assert not same(rollout(a, 8), ra)  # another seed draws other angles / shot noise


def test_reseeding_repeats_and_halting_from_np_random():
    env = h2(halting="negative-binomial", halting_n=4.0, halting_p=0.5, max_steps=10)
    h1 = [env.reset(seed=s)[1]["halting_step"] for s in range(6)]
    h2_ = [env.reset(seed=s)[1]["halting_step"] for s in range(6)]
    assert h1 == h2_ and len(set(h1)) > 1


def test_pickle_mid_episode():
    env = noisy_lih()
    rollout(env, 3, n=2)
    clone = pickle.loads(pickle.dumps(env))
    a = int(np.flatnonzero(env.action_masks())[0])
    r1, r2 = env.step(a), clone.step(a)
    assert np.array_equal(r1[0], r2[0]) and r1[1:4] == r2[1:4] and r1[4]["energy"] == r2[4]["energy"]


# ---------------------------------------------------------------- step semantics
def test_info_energy_equals_simulator_of_exported_circuit():
    env = noisy_lih(energy_estimate="exact")
    nm = env.noise_model
    env.reset(seed=0)
    for a in [12 + 1, 0, 12 + 4, 3, 12 + 8]:
        _, _, _, _, info = env.step(a)
        c, x = info["circuit"], info["angles"]
        assert info["energy"] == info["energy_exact"]
        assert Simulator(c, env.hamiltonian, nm).energy(x) == pytest.approx(info["energy"], abs=1e-12)
        assert Simulator(c, env.hamiltonian).energy(x) == pytest.approx(info["energy_noiseless"], abs=1e-12)
        assert info["error"] == pytest.approx(info["energy"] - env.e0)
        assert info["num_gates"] == len(c) and info["num_cnots"] == c.num_two_qubit_gates
        assert info["depth"] == c.depth() and info["num_rotations"] == c.num_rotations == len(x)
    exported = env.export_circuit()
    from crlqas.qnoise.circuit import Circuit

    c2 = Circuit.from_dict(exported["circuit"])
    assert Simulator(c2, env.hamiltonian, nm).energy(exported["angles"]) == pytest.approx(info["energy"], abs=1e-12)


def test_new_gate_is_optimised_and_cnot_direction_matches_simulator():
    """Defects 1 and 2: the energy after a step is that of the circuit *with* the new gate, and
    CNOT(c, t) means control c in both the encoding and the simulator."""
    ham = Hamiltonian({"IZ": 1.0, "ZI": 1.0})  # minimum -2 at |11>
    env = QASEnv(
        hamiltonian=ham,
        max_steps=4,
        optimizer="l-bfgs-b",
        optimizer_budget=100,
        angle_init="uniform",
        threshold=1e-6,
        reference="e0",
    )
    env.reset(seed=1)
    _, _, _, _, info = env.step(2 + 1)  # ry(0): optimised to pi, qubit 0 -> |1>
    assert info["energy"] == pytest.approx(0.0, abs=1e-6) and info["nfev"] > 0
    obs, r, term, _, info = env.step(0)  # cx(0 -> 1) flips qubit 1: E = -2 right away
    assert info["energy"] == pytest.approx(-2.0, abs=1e-6) and term and r == 5.0
    tensor, extras = env.split_observation(obs)
    assert tensor[1, 1, 0] == 1 and tensor[1, 0, 1] == 0  # row target 1, column control 0
    assert extras["energy"] == pytest.approx(-2.0, abs=1e-5)
    assert info["circuit"].instructions[-1].qubits == (0, 1)


@pytest.mark.parametrize("estimate", ["exact", "sampled"])
def test_monotone_steps_keep_the_warm_start_when_the_optimiser_ends_above_it(estimate):
    """``monotone=True``: with exact energies a rotation (added at angle 0, so the warm start's
    energy is the previous step's) never raises the observed energy; without it, a wild optimiser
    does (the check can fail); the comparison costs one evaluation per step."""
    kw = dict(
        problem="h2-3q",
        max_steps=12,
        optimizer="spsa",
        optimizer_budget=4,
        optimizer_options={"a": 3.0, "c": 1.0},  # big steps: often worse than where it started
        threshold=1e-9,
        shots=1000 if estimate == "sampled" else None,
        energy_estimate=estimate,
    )
    rises = {}
    for monotone in (False, True):
        env = QASEnv(monotone=monotone, **kw)
        env.reset(seed=3)
        rng = np.random.default_rng(0)
        rises[monotone] = 0
        for _ in range(40):
            mask = env.action_masks()
            legal = [a for a in np.flatnonzero(mask) if env.actions[a].kind != "cx"]
            before = env.energy
            _, _, term, trunc, info = env.step(int(rng.choice(legal)))
            assert info["nfev"] == 4 + monotone
            rises[monotone] += info["energy"] > before + 1e-12
            if term or trunc:
                env.reset()
    if estimate == "exact":
        assert rises[True] == 0 and rises[False] > 0
    else:  # compared on fresh shot-noise samples: rarer rises, not none
        assert rises[True] < rises[False]


def test_rewards_scripted_episode():
    env = h2(max_steps=4, threshold=1e-9)  # unreachable threshold: no success
    _obs, info = env.reset(seed=0)
    prev, e_ref = info["energy"], env.reference_energy
    assert prev == pytest.approx(Simulator(info_circuit(env), env.hamiltonian).energy([]))
    rewards = []
    for k, a in enumerate([3, 6, 0, 3]):
        _, r, term, trunc, info = env.step(a)
        e = info["energy"]
        if k < 3:
            assert r == pytest.approx(np.clip((prev - e) / abs(prev - e_ref), -1, 1))
            assert not term and not trunc
        prev = e
        rewards.append(r)
    assert rewards[-1] == -5.0 and trunc and not term and info["step"] == 4


def info_circuit(env):
    return env.circuit


def test_success_terminates_with_threshold_between_energies():
    seq = [3, 6, 0, 3, 6]
    env = h2(max_steps=6, threshold=1e-9)
    env.reset(seed=0)
    offsets = [env.step(a)[4]["energy_offset"] for a in seq]
    k = int(np.argmin(offsets))
    assert k > 0
    xi = 0.5 * (offsets[k] + min(offsets[:k]))  # first reached at step k
    env2 = h2(max_steps=6, threshold=xi)
    env2.reset(seed=0)
    out = [env2.step(a) for a in seq[: k + 1]]
    assert [o[2] for o in out] == [False] * k + [True] and out[k][1] == 5.0
    assert out[k][4]["success"] and out[k][4]["threshold"] == xi and not out[k][3]


def test_random_halt_truncates_without_penalty():
    env = h2(
        max_steps=10, threshold=1e-9, halting="negative-binomial", halting_n=1.0, halting_p=0.999, halting_clip=(2, 2)
    )
    _, info = env.reset(seed=0)
    assert info["halting_step"] == 2
    env.step(3)
    _, r, term, trunc, info = env.step(6)
    assert trunc and not term and r != -5.0 and -1.0 <= r <= 1.0


def test_halting_paper_mode_and_once():
    env = h2(
        max_steps=40,
        halting="negative-binomial",
        halting_n=40.0,
        halting_p=0.6,
        halting_draws=100,
        halting_clip=(0, 40),
    )
    steps = [env.reset(seed=s)[1]["halting_step"] for s in range(5)]
    assert all(20 <= h <= 32 for h in steps)
    once = h2(max_steps=40, halting="negative-binomial", halting_redraw="once")
    first = once.reset(seed=0)[1]["halting_step"]
    assert all(once.reset(seed=s)[1]["halting_step"] == first for s in range(1, 4))


def test_best_circuit_tracking():
    env = h2(max_steps=3, threshold=1e-9)
    energies = []
    for ep in range(2):
        env.reset(seed=ep)
        ep_energies = []
        for a in [3, 6, 0]:
            _, _, _, _, info = env.step(a)
            ep_energies.append(info["energy"])
        assert env.episode_best_energy == min(ep_energies) == info["episode_best_energy"]
        energies += ep_energies
    assert env.best_energy == min(energies)
    best = env.export_circuit("best")
    from crlqas.qnoise.circuit import Circuit

    c = Circuit.from_dict(best["circuit"])
    assert Simulator(c, env.hamiltonian).energy(best["angles"]) == pytest.approx(env.best_energy, abs=1e-12)
    assert best["problem"] == "h2-2q"


def test_masks_in_env_and_illegal_actions():
    env = h2(illegal_action="error")
    _, info = env.reset(seed=0)
    assert info["action_mask"].all()
    _, _, _, _, info = env.step(0)
    assert info["action_mask"].tolist() == [False] + [True] * 7
    assert np.array_equal(env.action_masks(), info["action_mask"])
    with pytest.raises(ValidationError, match="masked"):
        env.step(0)
    with pytest.raises(ValidationError, match="out of range"):
        env.step(8)
    ourense = QASEnv(problem="h2-4q", coupling_map="ourense", optimizer="l-bfgs-b", optimizer_budget=20, max_steps=3)
    ourense.reset(seed=0)
    _, _, _, _, info = ourense.step(3)  # cx(1,0)
    assert info["circuit"].instructions[0].qubits == (1, 0)
    assert np.flatnonzero(~info["action_mask"]).tolist() == [3]


def test_threshold_setter_and_reset_option():
    env = h2(obs_threshold=True)
    obs, _ = env.reset(seed=0, options={"threshold": 0.25})
    assert env.threshold == 0.25 and env.split_observation(obs)[1]["threshold"] == pytest.approx(0.25)
    env.set_threshold(0.5)
    assert env.get_threshold() == 0.5
    with pytest.raises(ValidationError, match="positive finite"):
        env.set_threshold(-1)


def test_reference_choice_and_default_threshold():
    lb = h2()
    assert lb.reference_energy == pytest.approx(lb.lower_bound)
    assert lb.threshold == pytest.approx(lb.e0 - lb.lower_bound + 1.6e-3)
    e0 = h2(reference="e0")
    assert e0.reference_energy == e0.e0 and e0.threshold == pytest.approx(1.6e-3)


def test_render_ansi():
    env = h2(render_mode="ansi")
    env.reset(seed=0)
    env.step(3)
    text = env.render()
    assert "ry(0)" in text and "E=" in text


# ---------------------------------------------------------------- registration, config
def test_registered_ids():
    for env_id in envs.VARIANTS:
        assert env_id in gym.registry
    env = gym.make("crlqas/QAS-H2-2q-v0", max_steps=3, optimizer_budget=20)
    obs, _info = env.reset(seed=0)
    assert obs.shape == (3 * 5 * 2 + 1,)
    assert env.unwrapped.config.optimizer == "cobyla"
    noisy = gym.make("crlqas/QAS-LiH-4q-noisy-v0")
    assert noisy.unwrapped.config.optimizer == "spsa3" and noisy.unwrapped.noise_model is not None


def test_config_round_trip():
    cfg = QASConfig(**envs.VARIANTS["crlqas/QAS-LiH-4q-noisy-v0"], coupling_map=[(0, 1), (1, 2)])
    d = cfg.to_dict()
    assert d["coupling_map"] == [[0, 1], [1, 2]] and d["halting_clip"] == [0, 40]
    assert QASConfig.from_dict(d) == cfg
    custom = QASConfig(hamiltonian=Hamiltonian({"ZZ": 1.0, "XI": 0.5}))
    again = QASConfig.from_dict(custom.to_dict())
    assert again.hamiltonian == custom.hamiltonian and again.resolve().e0 == pytest.approx(custom.resolve().e0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(problem="h2-9q"), "unknown problem"),
        (dict(shots=0), "shots must be a positive integer"),
        (dict(max_steps=0), "max_steps"),
        (dict(reward="dense"), "reward must be one of"),
        (dict(reference="E0"), "reference must be one of"),
        (dict(coupling_map=[(0, 5)]), "invalid for 2 qubits"),
        (dict(optimizer="adam"), "unknown optimizer"),
        (dict(optimizer="spsa3", optimizer_options={"learning_rate": 1}), "no option"),
        (dict(threshold=-0.1), "threshold must be > 0"),
        (dict(halting_p=1.5), "halting_p"),
        (dict(halting_clip=(5, 2)), "halting_clip"),
        (dict(noise="martian-noise"), "martian-noise"),
        (dict(obs_energy="yes"), "obs_energy must be True or False"),
        (dict(problem="h2-2q", hamiltonian=Hamiltonian({"Z": 1.0})), "exactly one of problem"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        QASEnv(**kwargs)


def test_bad_configuration_other_paths():
    with pytest.raises(ValidationError, match="needs shots"):
        QASEnv(energy_estimate="sampled")
    with pytest.raises(ValidationError, match="unknown QAS config key"):
        QASConfig.from_dict({"problme": "h2-2q"})
    with pytest.raises(ValidationError, match="render_mode"):
        QASEnv(render_mode="human")
    with pytest.raises(ValidationError, match="NoiseModel object cannot be written"):
        QASConfig(noise=NoiseModel().add_all_qubit_error(channels.depolarizing(0.01), ["rx"])).to_dict()
    with pytest.raises(gym.error.ResetNeeded):
        h2().step(0)


def test_import_registers_the_ids_without_loading_the_simulator():
    import subprocess
    import sys

    code = (
        "import sys, gymnasium as gym, crlqas.envs; "
        "assert 'crlqas/QAS-LiH-4q-noisy-v0' in gym.registry; "
        "heavy = [m for m in ('numba', 'torch', 'crlqas.qnoise.simulator') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_module_id_form_makes_the_env_in_a_fresh_interpreter():
    """The documented one-liner: Gymnasium imports ``crlqas.envs`` itself from ``module:id``."""
    import subprocess
    import sys

    code = (
        "import gymnasium as gym; env = gym.make('crlqas.envs:crlqas/QAS-v0'); "
        "obs, info = env.reset(seed=0); assert info['action_mask'].any()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
