import numpy as np, time, sys
from crlqas.qnoise.workloads import load_workload
from crlqas.qnoise.simulator import Simulator
def cpu_us(f, reps):
    ts=[]
    for _ in range(reps):
        t=time.thread_time_ns(); f(); ts.append(time.thread_time_ns()-t)
    return np.median(ts)/1e3
fuses = [False, True] if '--both' in sys.argv else [None]
for f in [a for a in sys.argv[1:] if not a.startswith('--')]:
    w = load_workload(f)
    for fuse in fuses:
        sim = Simulator(w.circuit, w.hamiltonian, w.noise_model, fuse_two_qubit=fuse)
        assert abs(sim.energy(w.reference_params) - w.reference_energy) < 1e-10
        rng = np.random.default_rng(0)
        P = rng.uniform(-np.pi, np.pi, (64, w.circuit.num_parameters))
        n = w.n_qubits
        reps = 400 if n <= 6 else (30 if n<=8 else 5)
        it = iter(range(10**9))
        single = cpu_us(lambda: sim.energy(P[next(it) % 64]), reps)
        B = P[:16] if n <= 8 else P[:2]
        sim.energies(B)
        batch = cpu_us(lambda: sim.energies(B), max(3, reps//16)) / len(B)
        print(f"{w.name:24s} fuse={fuse} single={single:10.1f}us batch={batch:10.1f}us/eval")
