"""crlqas.qnoise.devices without Qiskit: presets, Aer's depolarizing formula, reductions, layouts, native
rewriting, serialisation and bad input."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from crlqas.qnoise.channels import depolarizing, thermal_relaxation
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.devices import (
    Calibration,
    DeviceModel,
    GateNoise,
    UnknownPresetError,
    aer_depolarizing_param,
    device_preset,
    from_calibration,
    list_presets,
    noise_preset,
    preset_info,
    to_native,
)
from crlqas.qnoise.devices.generate import OURENSE_PAPER
from crlqas.qnoise.devices.reduce import best_layout, reduce_calibration
from crlqas.qnoise.errors import NoiseModelError, QubitError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian
from crlqas.qnoise.noise_model import NoiseModel
from crlqas.qnoise.simulator import Simulator

REQUIRED = (
    "mumbai-median",
    "mumbai-max",
    "mumbai-10max",
    "ourense",
    "depol-1e-3",
    "depol-1e-3-5e-3",
    "noiseless",
    "sherbrooke-median",
    "torino-median",
)


def small_circuit(n: int = 2) -> Circuit:
    c = Circuit(n)
    for q in range(n):
        c.ry(q).rx(q)
    for q in range(n - 1):
        c.cx(q, q + 1)
    for q in range(n):
        c.rz(q)
    return c


def random_hamiltonian(n: int, rng, terms: int = 8) -> Hamiltonian:
    labels = {"".join(rng.choice(list("IXYZ"), n)) for _ in range(terms)} - {"I" * n}
    return Hamiltonian([(lab, float(rng.normal())) for lab in sorted(labels)], 0.25)


# ---------------------------------------------------------------------- presets
def test_required_presets_are_listed():
    assert set(REQUIRED) <= set(list_presets())


@pytest.mark.parametrize("name", list_presets())
def test_preset_loads_and_noise_is_not_silent(name):
    model = noise_preset(name)
    assert isinstance(model, NoiseModel)
    info = preset_info(name)
    assert info["name"] == name and info["description"]
    rng = np.random.default_rng(3)
    c, h = small_circuit(2), random_hamiltonian(2, rng)
    params = rng.normal(size=c.num_parameters)
    dev = device_preset(name)
    noisy = dev.simulator(c, h).energy(params)
    clean = Simulator(c, h).energy(params)
    if name == "noiseless":
        assert model.is_ideal() and noisy == pytest.approx(clean, abs=1e-12)
    else:
        assert not model.is_ideal() and abs(noisy - clean) > 1e-6


def test_presets_load_without_qiskit():
    code = textwrap.dedent("""
        import sys
        for mod in ("qiskit", "qiskit_aer", "qiskit_ibm_runtime"):
            sys.modules[mod] = None
        from crlqas.qnoise.devices import list_presets, noise_preset, device_preset
        from crlqas.qnoise import Circuit, Hamiltonian
        for name in list_presets():
            noise_preset(name)
        c = Circuit(2).ry(0).cx(0, 1)
        print(device_preset("mumbai-10max").simulator(c, Hamiltonian({"ZZ": 1.0})).energy([0.3]))
        assert not any(m.startswith("qiskit") and sys.modules[m] is not None for m in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert 0.1 < float(out.stdout.split()[-1]) < math.cos(0.3) - 0.1  # noisy, not ideal


def test_unknown_preset_lists_close_matches():
    with pytest.raises(UnknownPresetError, match="mumbai-median"):
        noise_preset("mumbai-medain")
    with pytest.raises(UnknownPresetError):
        noise_preset("")


def test_ourense_preset_has_the_papers_figures():
    dev = device_preset("ourense")
    by_gate = {g.gates[0]: g for g in dev.gate_noise}
    assert by_gate["id"].depolarizing == OURENSE_PAPER["p1"] == 5.22e-4
    assert by_gate["cx"].depolarizing == 1.25e-2
    assert [r.p1_given0 for r in dev.readout] == [0.017, 0.024, 0.016, 0.040]
    assert dev.num_qubits == 4 and dev.restrict(2).num_qubits == 2


def test_mumbai_reductions_are_consistent():
    med, mx, mx10 = (device_preset(f"mumbai-{r}") for r in ("median", "max", "10max"))
    cx = {
        name: next(g for g in d.gate_noise if "cx" in g.gates)
        for name, d in (("med", med), ("max", mx), ("10max", mx10))
    }
    assert cx["10max"].time == pytest.approx(10 * cx["max"].time, rel=1e-12)
    assert cx["10max"].error == pytest.approx(10 * cx["max"].error, rel=1e-12)
    assert cx["med"].error < cx["max"].error
    assert mx10.readout == mx.readout
    assert med.readout[0].p1_given0 < mx.readout[0].p1_given0
    # CNOT relaxation 1 - exp(-t/T1) per qubit: same order as the paper's 3.4e-3 / 6.0e-3 / 5.9e-2
    relax = {k: 1 - math.exp(-g.time / g.t1[0]) for k, g in cx.items()}
    assert 2e-3 < relax["med"] < 5e-3 and 4e-3 < relax["max"] < 1.2e-2 and 4e-2 < relax["10max"] < 1e-1


# ---------------------------------------------------------------------- Aer's formula and channel order
def test_aer_depolarizing_param_without_relaxation():
    # average infidelity of depolarizing p on d dims: p (d - 1) / d
    assert aer_depolarizing_param(1e-3, 1) == pytest.approx(2e-3)
    assert aer_depolarizing_param(1e-2, 2) == pytest.approx(1e-2 * 4 / 3)
    assert aer_depolarizing_param(0.0, 1) == 0.0 and aer_depolarizing_param(None, 2) == 0.0
    assert aer_depolarizing_param(1.0, 2) == pytest.approx(16 / 15)  # clipped error, clipped p


def test_aer_depolarizing_param_subtracts_relaxation():
    t1, t2, t = 100e-6, 80e-6, 400e-9
    trace = 1 + 2 * math.exp(-t / t2) + math.exp(-t / t1)
    relax_infid = 1 - (trace / 2 + 1) / 3
    assert aer_depolarizing_param(relax_infid * 0.9, 1, trace) == 0.0
    error = relax_infid + 1e-3
    p = aer_depolarizing_param(error, 1, trace)
    total = depolarizing(p).compose(thermal_relaxation(t1, t2, t))
    fid = (np.trace(total.ptm) / 2 + 1) / 3  # average gate fidelity from the PTM
    assert p > 0 and 1 - fid == pytest.approx(error, rel=1e-12)


def test_gate_noise_is_depolarizing_then_relaxation():
    g = GateNoise(("cx",), 2, (0, 1), 0.02, 300e-9, (100e-6, 50e-6), (150e-6, 100e-6))
    r0 = thermal_relaxation(100e-6, 150e-6, 300e-9)
    r1 = thermal_relaxation(50e-6, 100e-6, 300e-9)
    expected = r1.tensor(r0).ptm @ depolarizing(0.02, 2).ptm
    assert np.allclose(g.channel().ptm, expected, atol=1e-15)
    swap = GateNoise(("swap",), 2, None, 0.02, 0.0, repeat=3)
    assert np.allclose(swap.channel().ptm, np.diag([1] + [0.98**3] * 15))


def test_one_t2_rule_device_models_reject_what_channels_reject():
    """T2 > 2 T1 is refused by a device model exactly as by ``thermal_relaxation``; the message
    names the entry and the bound (a backend's measured calibration is truncated when read)."""
    with pytest.raises(ValidationError, match="at most 2"):
        thermal_relaxation(50e-6, 120e-6, 300e-9)
    with pytest.raises(NoiseModelError, match=r"T2 cannot exceed 2 T1 \(gate entry cx: t1=5e-05, t2=0.00012\)"):
        GateNoise(("cx",), 2, (0, 1), 0.02, 300e-9, (100e-6, 50e-6), (150e-6, 120e-6))
    data = {"gates": ["sx"], "num_qubits": 1, "time": 35e-9, "t1": [100e-6], "t2": [300e-6]}
    with pytest.raises(NoiseModelError, match="T2 cannot exceed 2 T1"):
        GateNoise.from_dict(data)


def test_gate_entry_with_a_t1_per_qubit_of_another_gate_says_so():
    with pytest.raises(NoiseModelError, match=r"t1 of a 1-qubit gate entry \(sx\) takes one value per gate qubit"):
        GateNoise(("sx",), 1, None, 0.0, 35e-9, (1e-4, 1e-4, 1e-4, 1e-4), ())


# ---------------------------------------------------------------------- hand-made calibrations
def line_calibration(n: int = 5) -> Calibration:
    """A line 0-1-2-...: qubit 2 reads out at 0.5, edge (3, 4) has error 1.0, qubit 4 has T2 > 2 T1."""
    cal = Calibration("line", n, t1=[100e-6] * n, t2=[80e-6] * n, readout=[(0.02, 0.03)] * n, dt=1e-9)
    cal.t2[4] = 500e-6
    cal.readout[2] = (0.5, 0.5)
    cal.gates["rz"] = {(q,): (0.0, 0.0) for q in range(n)}
    cal.gates["sx"] = {(q,): (3e-4 + 1e-4 * q, 35e-9) for q in range(n)}
    cal.gates["x"] = dict(cal.gates["sx"])
    cal.gates["cx"] = {}
    for q in range(n - 1):
        cal.gates["cx"][(q, q + 1)] = (1e-2, 300e-9)
        cal.gates["cx"][(q + 1, q)] = (1e-2, 350e-9)
    cal.gates["cx"][(3, 4)] = (1.0, 300e-9)
    return cal


def test_reduction_skips_broken_entries():
    v = reduce_calibration(line_calibration(), "max")
    assert v.readout == (0.02, 0.03)
    assert v.gates["cx"] == (1e-2, 350e-9)
    assert v.t2 == 200e-6  # max T2 500e-6 clipped to 2 * max T1
    v10 = reduce_calibration(line_calibration(), "10max")
    assert v10.gates["cx"] == pytest.approx((0.1, 3.5e-6)) and v10.readout == v.readout


def test_best_layout_avoids_broken_qubits_and_edges():
    cal = line_calibration(6)
    assert best_layout(cal, 2) == (0, 1)
    assert 2 not in best_layout(cal, 3)  # readout 0.5: (0, 1) + 2 is out, so the set moves
    cal.gates["cx"][(1, 0)] = cal.gates["cx"][(0, 1)] = (1.0, 300e-9)
    assert set(best_layout(cal, 2)) in ({3, 4}, {4, 5}) and 2 not in best_layout(cal, 2)


def test_native_model_clips_t2_and_maps_layout():
    dev = from_calibration(line_calibration(), "native", layout=[4, 3])
    assert dev.layout == (4, 3) and dev.num_qubits == 2
    assert set(dev.coupling_map) == {(0, 1), (1, 0)}
    sx0 = next(g for g in dev.gate_noise if g.gates == ("sx",) and g.qubits == (0,))
    assert sx0.t2 == (200e-6,) and sx0.error == pytest.approx(7e-4)
    assert not any(g.gates == ("rz",) for g in dev.gate_noise)  # virtual rz: no channel
    assert dev.noise_model.gate_channel("rz", (0,)) is None
    assert dev.noise_model.gate_channel("cx", (1, 0)) is not None


def test_paper_model_gives_every_rotation_and_pair_noise():
    dev = from_calibration(line_calibration(), "paper", layout=[0, 1, 3])
    nm = dev.noise_model
    for g in ("rx", "ry", "rz", "h"):
        assert nm.gate_channel(g, (2,)) is not None
    assert nm.gate_channel("cx", (0, 2)) is not None  # uncoupled pair: median of the layout's edges
    assert nm.gate_channel("cx", (0, 1)) is not None


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(layout=[0, 1, 2, 3, 4, 5]), QubitError),
        (dict(layout=[0, 9]), QubitError),
        (dict(layout=[1, 1]), QubitError),
        (dict(layout="best"), QubitError),
        (dict(layout="worst", num_qubits=2), QubitError),
        (dict(mode="fancy"), ValidationError),
        (dict(reduce="mean"), ValidationError),
        (dict(layout=[0, 1], num_qubits=3), QubitError),
    ],
)
def test_bad_device_arguments(kwargs, exc):
    with pytest.raises(exc):
        from_calibration(line_calibration(), **kwargs)


def test_native_mode_needs_rz_sx_basis():
    cal = line_calibration()
    cal.gates["u2"] = cal.gates.pop("sx")
    with pytest.raises(NoiseModelError, match="paper"):
        from_calibration(cal, "native", layout=[0, 1])
    assert from_calibration(cal, "paper", layout=[0, 1]).noise_model.gate_channel("rx", (0,)) is not None


def test_device_model_round_trip_and_width_checks():
    dev = from_calibration(line_calibration(), "native", layout="best", num_qubits=3)
    back = DeviceModel.from_dict(dev.to_dict())
    assert back == dev
    with pytest.raises(QubitError):
        dev.simulator(small_circuit(4), Hamiltonian({"ZZZZ": 1.0}))
    with pytest.raises(NoiseModelError):
        DeviceModel.from_dict({"format": "other"})


def test_native_simulation_matches_a_hand_built_model():
    """Native mode: the rewritten circuit under the device model equals the original circuit's
    energy when the model is noiseless, and differs once noise is on."""
    cal = line_calibration()
    dev = from_calibration(cal, "native", layout=[0, 1])
    rng = np.random.default_rng(5)
    c, h = small_circuit(2), random_hamiltonian(2, rng)
    p = rng.normal(size=c.num_parameters)
    native = dev.compile(c)
    assert set(native.count_ops()) <= set(dev.basis)
    assert Simulator(native, h).energy(p) == pytest.approx(Simulator(c, h).energy(p), abs=1e-12)
    assert abs(dev.simulator(c, h).energy(p) - Simulator(c, h).energy(p)) > 1e-5


# ---------------------------------------------------------------------- native rewriting
def _random_circuit(rng, n=3, gates=14) -> Circuit:
    one = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "id"]
    c = Circuit(n)
    for _ in range(gates):
        r, q = rng.integers(5), int(rng.integers(n))
        if r == 0:
            c.append(one[rng.integers(len(one))], q)
        elif r == 1:
            c.append(["rx", "ry", "rz"][rng.integers(3)], q)
        elif r == 2:
            c.append(["rx", "ry", "rz"][rng.integers(3)], q, angle=float(rng.normal() * 3))
        else:
            a = int(rng.integers(n - 1))
            pair = (a, a + 1) if rng.integers(2) else (a + 1, a)
            c.append(["cx", "cz", "swap", "ecr"][rng.integers(4)], pair)
    return c


@pytest.mark.parametrize(
    "basis, coupling",
    [
        (("rz", "sx", "x", "cx"), None),
        (("rz", "sx", "x", "cx"), ((0, 1), (2, 1))),
        (("rz", "sx", "x", "ecr"), ((0, 1), (2, 1))),
        (("rz", "sx", "x", "ecr"), ((1, 0), (1, 2))),
        (("rz", "sx", "cz"), ((1, 0), (2, 1))),
    ],
)
def test_to_native_is_exact_and_in_basis(basis, coupling):
    rng = np.random.default_rng(11)
    for _ in range(10):
        c = _random_circuit(rng)
        nat = to_native(c, basis, coupling)
        assert set(nat.count_ops()) <= set(basis) and nat.num_parameters == c.num_parameters
        if coupling is not None:
            assert all(i.qubits in coupling for i in nat.instructions if len(i.qubits) == 2)
        p = rng.normal(size=c.num_parameters) * 3
        h = Hamiltonian({"ZII": 1.0})
        a, b = Simulator(c, h).statevector(p), Simulator(nat, h).statevector(p)
        assert abs(abs(np.vdot(a, b)) - 1) < 1e-10


def test_native_rotation_costs_two_sx_and_keeps_its_parameter():
    c = Circuit(1).rx(0).ry(0).rz(0)
    nat = to_native(c, ("rz", "sx", "x", "cx"))
    assert nat.count_ops()["sx"] == 4
    assert sorted(i.param for i in nat.instructions if i.param is not None) == [0, 1, 2]


def test_to_native_rejects_uncoupled_pairs_and_bad_basis():
    with pytest.raises(QubitError, match="not coupled"):
        to_native(Circuit(3).cx(0, 2), ("rz", "sx", "cx"), ((0, 1), (1, 2)))
    with pytest.raises(ValidationError):
        to_native(Circuit(1).h(0), ("u1", "u2", "u3", "cx"))
