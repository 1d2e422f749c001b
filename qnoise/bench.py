"""``crlqas bench simulator``: time exact noisy energy evaluations of qnoise and of peer libraries.

For each workload (:mod:`qnoise.workloads`) and each engine the figure is the median wall time of
one energy evaluation ``Tr(rho(theta) H)`` with fresh random parameters each call (drawn outside
the timed region), after one warm-up call at the workload's reference parameters; that call also
checks the energy against ``reference_energy``.  Engines:

* ``qnoise``: ``Simulator.energy(theta)``; ``qnoise_batch``: ``Simulator.energies(P)`` for a batch
  of parameter vectors, time per vector.
* ``aer``: Qiskit Aer ``AerSimulator(method="density_matrix")`` with an Aer noise model built from
  ``thermal_relaxation_error`` / ``depolarizing_error`` and ``save_expectation_value``; parameter
  binding is inside the timed region.
* ``qulacs``: ``DensityMatrix`` and a ``ParametricQuantumCircuit`` with noise gates
  (``DepolarizingNoise(3p/4)``, ``TwoQubitDepolarizingNoise(15p/16)``,
  ``AmplitudeDampingNoise(gamma)`` + ``DephasingNoise((1 - sqrt(1 - lambda))/2)``); qulacs
  rotations are ``exp(+i a P/2)``, so angles are negated.

An engine whose single evaluation exceeds ``cap_s`` is not timed further on that workload, nor on
larger ones (at least as many qubits and gates).  Times are only comparable within one run.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ValidationError, require
from .fileio import atomic_write_json
from .workloads import Workload, load_workloads, thermal_parameters

PEERS = ("aer", "qulacs")
PEER_MODULES = {"aer": ("qiskit_aer", "qiskit"), "qulacs": ("qulacs", "bench")}
ENERGY_TOL = 1e-8


@dataclass
class BenchSettings:
    repeats: int = 10  # timed calls per engine per workload (fewer if budget_s runs out)
    batch: int = 64  # parameter vectors per Simulator.energies call
    cap_s: float = 2.0  # an engine slower than this per evaluation is skipped
    budget_s: float = 5.0  # wall-time budget per engine per workload for the timed calls
    seed: int = 1234


@dataclass
class EngineResult:
    us: float | None = None  # median microseconds per evaluation
    energy: float | None = None
    note: str = ""


@dataclass
class WorkloadResult:
    workload: Workload
    engines: dict[str, EngineResult] = field(default_factory=dict)


def default_workloads_dir() -> Path:
    """``../shared/bench/workloads`` relative to the CWD if present, else the copies in ``tests/data``."""
    for cand in (
        Path.cwd() / ".." / "shared" / "bench" / "workloads",
        Path(__file__).resolve().parent.parent / "tests" / "data",
    ):
        if cand.is_dir() and any(cand.glob("*.json")):
            return cand
    raise ValidationError(
        "no workloads found (looked for ../shared/bench/workloads and tests/data); pass --workloads FILES_OR_DIR"
    )


def resolve_peers(spec: str | None) -> list[str]:
    """``None``/``auto``: the installed peers; ``none``: no peer; else a comma list that must be installed."""
    import importlib.util

    if spec is None or spec == "auto":
        return [p for p in PEERS if importlib.util.find_spec(PEER_MODULES[p][0]) is not None]
    if spec in ("", "none"):
        return []
    names = [s.strip() for s in spec.split(",") if s.strip()]
    for name in names:
        if name not in PEERS:
            raise ValidationError(f"unknown peer {name!r}; allowed: {', '.join(PEERS)}, auto, none")
        require(*PEER_MODULES[name])
    return names


def _time_calls(evaluate, draw, settings: BenchSettings, per_call: int = 1) -> EngineResult:
    """Median us per evaluation of ``evaluate(draw())``; ``per_call`` evaluations per call."""
    times: list[float] = []
    start = time.perf_counter()
    for i in range(max(1, settings.repeats)):
        args = draw()
        t0 = time.perf_counter()
        evaluate(args)
        dt = (time.perf_counter() - t0) / per_call
        if i == 0 and dt > settings.cap_s:
            return EngineResult(None, note=f">{settings.cap_s:g} s ({dt:.1f} s)")
        times.append(dt)
        if time.perf_counter() - start > settings.budget_s and len(times) >= 3:
            break
    return EngineResult(statistics.median(times) * 1e6)


def _run_engine(evaluate, w: Workload, rng, settings: BenchSettings, warm_cap: float = math.inf) -> EngineResult:
    t0 = time.perf_counter()
    energy = float(evaluate(w.reference_params))  # warm-up and reference check
    warm = time.perf_counter() - t0
    draw = lambda: rng.uniform(0.0, 2 * math.pi, w.n_params)
    if warm > warm_cap:  # the warm-up alone says the engine is far over the cap: do not time it
        res = EngineResult(None, note=f">{settings.cap_s:g} s ({warm:.1f} s)")
    else:
        res = _time_calls(evaluate, draw, settings)
    res.energy = energy
    return res


# ---------------------------------------------------------------------------------------- engines
def qnoise_engines(w: Workload):
    from .simulator import Simulator

    sim = Simulator(w.circuit, w.hamiltonian, w.noise_model)
    return sim.energy, sim.energies


def _check_ops(w: Workload, peer: str) -> None:
    for ins in w.circuit.instructions:
        if ins.name not in ("rx", "ry", "rz", "cx"):
            raise ValidationError(f"peer {peer!r} supports only rx, ry, rz, cx; workload {w.name} has {ins.name!r}")


def aer_engine(w: Workload):
    """Energy function of Qiskit Aer's density-matrix simulator for this workload."""
    require("qiskit", "qiskit")
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import Kraus, SparsePauliOp
    from qiskit_aer import AerSimulator
    from qiskit_aer import noise as aer_noise
    from qiskit_aer.noise import QuantumError

    _check_ops(w, "aer")
    pv = ParameterVector("theta", w.n_params)
    qc = QuantumCircuit(w.n_qubits)
    for ins in w.circuit.instructions:
        if ins.name == "cx":
            qc.cx(*ins.qubits)
        else:
            angle = pv[ins.param] if ins.param is not None else ins.angle
            getattr(qc, ins.name)(angle, ins.qubits[0])
    h = w.hamiltonian
    op = SparsePauliOp.from_list(list(zip(h.labels, h.coeffs)))
    qc.save_expectation_value(op, list(range(w.n_qubits)), label="e")
    noise = w.noise
    e1 = aer_noise.depolarizing_error(noise["p1"], 1)
    e2 = aer_noise.depolarizing_error(noise["p2"], 2)
    if noise["model"] == "thermal":
        th = noise["thermal"]
        pe = th.get("excited_state_population", 0.0)
        r1 = aer_noise.thermal_relaxation_error(th["t1"], th["t2"], th["t_1q"], pe)
        r2 = aer_noise.thermal_relaxation_error(th["t1"], th["t2"], th["t_2q"], pe)
        e1, e2 = r1.compose(e1), r2.expand(r2).compose(e2)
        # as Kraus maps: Aer's mixed-unitary+reset form of composed errors drops ~1e-9 of weight
        e1, e2 = (QuantumError(Kraus(e)) for e in (e1, e2))
    nm = aer_noise.NoiseModel(basis_gates=["rx", "ry", "rz", "cx"])
    nm.add_all_qubit_quantum_error(e1, ["rx", "ry", "rz"])
    nm.add_all_qubit_quantum_error(e2, ["cx"])
    sim = AerSimulator(method="density_matrix", noise_model=nm)
    used = sorted(qc.parameters, key=lambda p: p.index)
    constant = float(h.constant)

    def energy(params):
        binds = [{p: [float(params[p.index])] for p in used}] if used else None
        result = sim.run(qc, parameter_binds=binds).result()
        return float(np.real(result.data(0)["e"])) + constant

    return energy


def qulacs_engine(w: Workload):
    """Energy function of qulacs' DensityMatrix simulator for this workload."""
    require("qulacs", "bench")
    from qulacs import DensityMatrix, Observable, ParametricQuantumCircuit
    from qulacs.gate import AmplitudeDampingNoise, DephasingNoise, DepolarizingNoise, TwoQubitDepolarizingNoise

    _check_ops(w, "qulacs")
    noise = w.noise
    thermal = {}
    if noise["model"] == "thermal":
        th = noise["thermal"]
        if th.get("excited_state_population", 0.0) != 0.0:
            raise ValidationError("qulacs amplitude damping has no excited-state population")
        for k, t in ((1, th["t_1q"]), (2, th["t_2q"])):
            g, lam = thermal_parameters(th["t1"], th["t2"], t)
            thermal[k] = (g, (1 - math.sqrt(1 - lam)) / 2)
    pc = ParametricQuantumCircuit(w.n_qubits)
    slots: list[int] = []
    for ins in w.circuit.instructions:
        k = len(ins.qubits)
        if ins.name == "cx":
            pc.add_CNOT_gate(*ins.qubits)
        else:
            add = getattr(pc, f"add_parametric_{ins.name.upper()}_gate")
            add(ins.qubits[0], -(ins.angle or 0.0))
            slots.append(-1 if ins.param is None else ins.param)
        if thermal:
            for q in ins.qubits:
                pc.add_gate(AmplitudeDampingNoise(q, thermal[k][0]))
                pc.add_gate(DephasingNoise(q, thermal[k][1]))
        if k == 1:
            pc.add_gate(DepolarizingNoise(ins.qubits[0], 3 * noise["p1"] / 4))
        else:
            pc.add_gate(TwoQubitDepolarizingNoise(*ins.qubits, 15 * noise["p2"] / 16))
    h = w.hamiltonian
    obs = Observable(w.n_qubits)
    constant = float(h.constant)
    for label, coeff in zip(h.labels, h.coeffs):
        ops = " ".join(f"{c} {q}" for q, c in enumerate(reversed(label)) if c != "I")
        if ops:
            obs.add_operator(float(coeff), ops)
        else:
            constant += float(coeff)
    dm = DensityMatrix(w.n_qubits)
    live = [(i, s) for i, s in enumerate(slots) if s >= 0]

    def energy(params):
        for i, s in live:
            pc.set_parameter(i, -float(params[s]))
        dm.set_zero_state()
        pc.update_quantum_state(dm)
        return float(np.real(obs.get_expectation_value(dm))) + constant

    return energy


PEER_ENGINES = {"aer": aer_engine, "qulacs": qulacs_engine}


# ---------------------------------------------------------------------------------------- driver
def bench_workload(w: Workload, peers: list[str], settings: BenchSettings, skip: set[str]) -> WorkloadResult:
    rng = np.random.default_rng(settings.seed)
    out = WorkloadResult(w)
    single, batched = qnoise_engines(w)
    res = _run_engine(single, w, rng, settings)
    out.engines["qnoise"] = res
    if res.us is None:
        out.engines["qnoise_batch"] = EngineResult(None, note="skip (single eval over cap)")
    else:
        b = max(1, min(settings.batch, int(settings.cap_s * 1e6 / max(res.us, 1e-3))))
        batched(rng.uniform(0.0, 2 * math.pi, (b, w.n_params)))  # warm-up
        draw = lambda: rng.uniform(0.0, 2 * math.pi, (b, w.n_params))
        out.engines["qnoise_batch"] = _time_calls(batched, draw, settings, per_call=b)
    for peer in peers:
        if peer in skip:
            out.engines[peer] = EngineResult(None, note="skip (over cap on a smaller workload)")
            continue
        try:
            evaluate = PEER_ENGINES[peer](w)
        except ValidationError as exc:
            out.engines[peer] = EngineResult(None, note=f"n/a ({exc})")
            continue
        out.engines[peer] = _run_engine(evaluate, w, rng, settings, warm_cap=2 * settings.cap_s)
    return out


def run_bench(workloads, peers: list[str], settings: BenchSettings, stream=None) -> list[WorkloadResult]:
    stream = stream or sys.stdout
    ws = sorted(workloads, key=lambda w: (w.n_qubits, w.n_gates, w.name))
    cols = ["qnoise", "qnoise_batch", *peers]
    header = f"{'workload':<22} {'n':>3} {'G':>4} " + " ".join(f"{c + ' us':>14}" for c in cols)
    header += f" {'peer/qnoise':>11} {'max|dE|':>9}"
    print(header, file=stream)
    print("-" * len(header), file=stream, flush=True)
    results, over_cap = [], {}
    for w in ws:
        skip = {p for p, (n, g) in over_cap.items() if w.n_qubits >= n and w.n_gates >= g}
        r = bench_workload(w, peers, settings, skip)
        results.append(r)
        for p in peers:
            if r.engines[p].note.startswith(">") and p not in over_cap:
                over_cap[p] = (w.n_qubits, w.n_gates)
        print(_row(r, cols, peers), file=stream, flush=True)
    bad = [(r.workload.name, e, d) for r in results for e, d in _deviations(r).items() if d > ENERGY_TOL]
    for name, engine, d in bad:
        print(
            f"WARNING: {engine} energy on {name} deviates from reference_energy by {d:.2e} (> {ENERGY_TOL:g})",
            file=stream,
        )
    return results


def _deviations(r: WorkloadResult) -> dict[str, float]:
    ref = r.workload.reference_energy
    return {e: abs(res.energy - ref) for e, res in r.engines.items() if res.energy is not None}


def _fmt_us(res: EngineResult) -> str:
    if res.us is None:
        return res.note.split(" (")[0] if res.note.startswith(">") else res.note.split(" ")[0]
    return f"{res.us:.4g}"


def _row(r: WorkloadResult, cols, peers) -> str:
    w = r.workload
    peer_us = [r.engines[p].us for p in peers if r.engines[p].us is not None]
    q = r.engines["qnoise"].us
    ratio = f"{min(peer_us) / q:.3g}x" if peer_us and q else "-"
    dev = _deviations(r)
    cells = " ".join(f"{_fmt_us(r.engines[c]):>14}" for c in cols)
    return f"{w.name:<22} {w.n_qubits:>3} {w.n_gates:>4} {cells} {ratio:>11} {max(dev.values()):>9.1e}"


def machine_info() -> dict:
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpus_available"] = len(os.sched_getaffinity(0))
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS"):
        info[var] = os.environ.get(var)
    return info


def versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("crlqas", "numpy", "numba", "scipy", "qiskit", "qiskit-aer", "qulacs"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def results_to_json(results: list[WorkloadResult], settings: BenchSettings) -> dict:
    rows = []
    for r in results:
        w = r.workload
        rows.append(
            {
                "name": w.name,
                "n_qubits": w.n_qubits,
                "n_gates": w.n_gates,
                "noise": w.noise.get("model"),
                "energy": r.engines["qnoise"].energy,
                "reference_energy": w.reference_energy,
                "us_per_eval": {e: res.us for e, res in r.engines.items()},
                "abs_dE": _deviations(r),
                "notes": {e: res.note for e, res in r.engines.items() if res.note},
            }
        )
    return {"workloads": rows, "settings": vars(settings), "machine": machine_info(), "versions": versions()}


def bench_simulator(
    workloads=None, peers: str | None = None, settings: BenchSettings | None = None, json_out=None, stream=None
) -> int:
    """Entry point of ``crlqas bench simulator``; returns 1 when an energy is off by > 1e-8."""
    stream = stream or sys.stdout
    settings = settings or BenchSettings()
    ws = load_workloads(workloads if workloads else default_workloads_dir())
    results = run_bench(ws, resolve_peers(peers), settings, stream)
    if json_out:
        atomic_write_json(json_out, results_to_json(results, settings))
        print(f"wrote {json_out}", file=stream)
    bad = any(d > ENERGY_TOL for r in results for d in _deviations(r).values())
    return 1 if bad else 0
