"""The user-facing simulator: exact noisy energies, batches, gradients, shots.

``Simulator(circuit, hamiltonian, noise_model)`` compiles once; every call then runs one compiled
Numba function.  Engines:

* ``"ptm"``: the Pauli-transfer-matrix engine (:mod:`qnoise.compiler`, :mod:`qnoise._kernels`),
  exact for any noise model; state = 4^n real coefficients ``r_P = Tr(P rho)/sqrt(2^n)``.
* ``"statevector"``: the 2^n complex engine (:mod:`qnoise.statevector`), exact when gates are
  noiseless (readout errors are still applied exactly, through the folded observable).
* ``"auto"`` (default): ``"statevector"`` when the model has no gate noise, else ``"ptm"``.

``threads`` (default 1) lets energies of large PTM states (>= ``PARALLEL_MIN_QUBITS`` qubits) use
several Numba threads, with results bit-identical to one thread.  It is opt-in: with busy cores
(parallel training runs, other processes) spinning threads can cost more than they save.

Readout error is applied as a measurement sees it: each term is measured in its own basis and the
assignment errors act on the bits, which is exactly the observable of
:meth:`qnoise.hamiltonian.Hamiltonian.readout_folded`.

Readout mitigation: ``mitigation`` (``"none"``, the default, or ``"readout"``) decides what every
energy of a simulator is: as measured, or readout-mitigated (the measured outcomes corrected with
the tensor product of the inverse per-qubit assignment matrices, see :mod:`qnoise.measurement`).
``energy``, ``energies``, ``energy_and_gradient``, ``gradient`` and ``sampled_energy`` (both shot
models) all follow it.  The exact mitigated energy is the expectation of a precomputed observable,
the measured (folded) readout-mitigation observable ``F(G(H))`` with ``G`` =
:meth:`~qnoise.hamiltonian.Hamiltonian.readout_inverse_folded` and ``F`` = ``readout_folded``:
one energy evaluation, like the unmitigated one; mathematically ``F(G(H)) = H``, so it equals the
gate-noisy ``Tr(rho H)``, to rounding.  ``Simulator(..., mitigation="readout")`` builds it at
construction; :meth:`Simulator.with_mitigation` gives the same compiled simulator with the other
setting (built once, then cached) and :meth:`Simulator.mitigated_energy` is its ``energy``.
Without readout errors both settings give the same numbers, bit for bit.  A readout error with
``P(1|0) + P(0|1) >= 1`` cannot be inverted: mitigation raises a ValidationError naming the qubit.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from . import validate
from .circuit import Circuit
from .errors import ParameterError, QubitError, SimulatorMemoryError, ValidationError
from .hamiltonian import Hamiltonian, fold_pauli_sum, readout_affine
from .measurement import check_mitigation
from .noise_model import NoiseModel

ENGINES = ("auto", "ptm", "statevector")
ADJOINT_MEMORY_BYTES = 1 << 30
#: PTM engine: with ``threads > 1`` (opt-in), states of at least this many qubits run the
#: multi-threaded kernels (``program.energy_par``, bit-identical to serial); smaller ones stay serial
#: because thread start-up costs more than it saves.
PARALLEL_MIN_QUBITS = 10
_F64 = np.dtype(np.float64)  # native float64 (``is`` test on the energy() fast path)


def available_memory_bytes() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - non-Linux
        pass
    return 16 << 30


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} PiB"


class _Observable:
    """Sparse Pauli observable ``sum coeffs * P_indices + constant`` (readout already folded)."""

    def __init__(self, num_qubits, indices, coeffs, constant, labels=None):
        self.num_qubits = num_qubits
        self.indices = np.ascontiguousarray(indices, dtype=np.int64)
        self.coeffs = np.ascontiguousarray(coeffs, dtype=np.float64)
        self.constant = float(constant)
        from .paulis import index_to_label

        self.labels = labels or [index_to_label(int(i), num_qubits) for i in self.indices]


class Simulator:
    def __init__(
        self,
        circuit: Circuit,
        hamiltonian: Hamiltonian,
        noise_model: NoiseModel | None = None,
        *,
        engine: str = "auto",
        threads: int | None = 1,
        mitigation: str = "none",
    ):
        if not isinstance(circuit, Circuit):
            raise ValidationError(f"circuit must be a qnoise Circuit; got {type(circuit).__name__}")
        if not isinstance(hamiltonian, Hamiltonian):
            raise ValidationError(f"hamiltonian must be a qnoise Hamiltonian; got {type(hamiltonian).__name__}")
        if noise_model is not None and not isinstance(noise_model, NoiseModel):
            raise ValidationError(f"noise_model must be a qnoise NoiseModel or None; got {type(noise_model).__name__}")
        if engine not in ENGINES:
            raise ValidationError(f"engine must be one of {ENGINES}; got {engine!r}")
        if threads is not None and (not isinstance(threads, (int, np.integer)) or threads < 1):
            raise ValidationError(f"threads must be a positive integer or None (Numba's thread count); got {threads!r}")
        self.threads = threads
        n = circuit.num_qubits
        if hamiltonian.num_qubits != n:
            raise QubitError(f"the circuit has {n} qubit(s) but the Hamiltonian has {hamiltonian.num_qubits}")
        if noise_model is not None and noise_model.max_qubit() >= n:
            raise QubitError(
                f"the noise model names qubit {noise_model.max_qubit()} but the circuit has only {n} qubit(s)"
            )
        self.circuit, self.hamiltonian, self.noise_model = circuit, hamiltonian, noise_model
        gate_noise = noise_model is not None and noise_model.has_gate_noise
        self.engine = engine if engine != "auto" else ("ptm" if gate_noise else "statevector")
        if self.engine == "statevector" and gate_noise:
            raise ValidationError("the statevector engine cannot simulate gate noise; use engine='ptm' or 'auto'")
        self._check_memory()
        self.readout_errors = [noise_model.readout_error(q) if noise_model is not None else None for q in range(n)]
        self.mitigation = check_mitigation(mitigation)
        self._siblings = {}  # the other mitigation setting's simulator, once built (with_mitigation)
        self._pshape = (circuit.num_parameters,)
        self._fast_pshape = None  # the energy() fast path's parameter shape (PTM engine only)
        self._small = n < PARALLEL_MIN_QUBITS  # always serial kernels
        if self.engine == "ptm":
            from .compiler import compile_program

            self.program = compile_program(circuit, noise_model)
            self._args = self.program.kernel_args
            self._fast_pshape = self._pshape
        else:
            from .statevector import StatevectorEngine

            self._sv = StatevectorEngine(circuit)
        self._bind(self._observable(self.mitigation))

    def _observable(self, mitigation: str) -> _Observable:
        """The observable whose exact expectation is the energy under ``mitigation`` (module
        docstring): readout folded (``"none"``), or the folded mitigation observable."""
        n, h = self.circuit.num_qubits, self.hamiltonian
        if not any(e is not None for e in self.readout_errors):
            return _Observable(n, h.indices, h.coeffs, h.constant, list(h.labels))
        forward = readout_affine(self.readout_errors, n)
        if mitigation == "none":
            return _Observable(n, *fold_pauli_sum(h.indices, h.coeffs, h.constant, forward))
        inverse = readout_affine(self.readout_errors, n, invert=True)
        return _Observable(n, *fold_pauli_sum(*fold_pauli_sum(h.indices, h.coeffs, h.constant, inverse), forward))

    def _bind(self, observable: _Observable) -> None:
        """Make ``observable`` the one every energy method evaluates."""
        self.observable = observable
        if self.engine != "ptm":
            return
        from ._kernels import program as K
        from .compiler import pack_program

        n = self.circuit.num_qubits
        self._h_val = observable.coeffs * math.sqrt(2.0**n)
        self._energy_kernel = K.energy
        self._energy_args = (*self._args, self.program.occ_param, observable.indices, self._h_val)
        # the fast path: program + observable packed into two buffers (three-argument calls)
        self._packed = pack_program(self.program, observable.indices, self._h_val, observable.constant)
        self._energy_packed = K.energy_packed

    def with_mitigation(self, mitigation: str) -> Simulator:
        """This simulator with ``mitigation`` (``"none"`` or ``"readout"``): itself when already so,
        else a simulator sharing the compiled circuit with the other observable (built on the
        first call, then cached)."""
        mitigation = check_mitigation(mitigation)
        if mitigation == self.mitigation:
            return self
        other = self._siblings.get(mitigation)
        if other is None:
            observable = self._observable(mitigation)  # raises for a readout error without inverse
            other = copy.copy(self)
            other.mitigation = mitigation
            other._siblings = {self.mitigation: self}
            if self.engine != "ptm":
                other._sv = copy.copy(self._sv)  # shares the compiled circuit, caches its own observable
            other._bind(observable)
            self._siblings[mitigation] = other
        return other

    @property
    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """The compiled circuit and the observable (constant included) in two buffers, for compiled
        loops: the PTM engine's ``(ibuf, fbuf)`` of :func:`qnoise.compiler.pack_program` (float64;
        energies by ``qnoise._kernels.program.energies_packed``) or the statevector engine's
        ``(ibuf, cbuf)`` of :func:`qnoise.statevector.pack_program` (complex128;
        ``qnoise._kernels.statevector.energies_packed``; built on first use); both give
        :meth:`energies` bit for bit."""
        return self._packed if self.engine == "ptm" else self._sv.packed(self.observable)

    def mitigated_energy(self, params=None) -> float:
        """Exact readout-mitigated energy (one energy evaluation): ``with_mitigation("readout").energy``,
        the gate-noisy ``Tr(rho H)`` as recovered from the measured outcomes."""
        return self.with_mitigation("readout").energy(params)

    @property
    def shot_noise_coeffs(self) -> np.ndarray:
        """The Gaussian shot model's per-term noise coefficients under this simulator's mitigation
        (:func:`qnoise.measurement.shot_noise_coeffs`): the Hamiltonian's coefficients, or scaled
        by ``1 / prod (1 - P(1|0) - P(0|1))`` over each term's qubits when mitigated."""
        from .measurement import shot_noise_coeffs

        return shot_noise_coeffs(self.hamiltonian, self.readout_errors, self.mitigation)

    # ------------------------------------------------------------------ checks
    def _check_memory(self) -> None:
        n = self.circuit.num_qubits
        per_state = (4**n if self.engine == "ptm" else 2**n * 2) * 8
        need = 3 * per_state
        avail = available_memory_bytes()
        if need > avail:
            raise SimulatorMemoryError(
                f"simulating {n} qubits with the {self.engine} engine needs about {_fmt_bytes(need)} "
                f"(one state is {_fmt_bytes(per_state)}); only {_fmt_bytes(avail)} is available"
            )

    def _params(self, params) -> np.ndarray:
        # fast path for the common case (a finite float64 vector of the right length)
        if (
            type(params) is np.ndarray
            and params.dtype == np.float64
            and params.shape == self._pshape
            and np.isfinite(params).all()
        ):
            return params
        return self.circuit.check_parameters(params)

    def _finite(self, value: float, params) -> float:
        if not math.isfinite(value):
            self.circuit.check_parameters(params)  # raises ParameterError for non-finite angles
        return value

    def _params2d(self, params2d) -> np.ndarray:
        p = validate.real_array(params2d, "a batch of parameters", error=ParameterError)
        if p.ndim != 2 or p.shape[1] != self.circuit.num_parameters:
            raise ParameterError(
                f"a batch of parameters must have shape (batch, {self.circuit.num_parameters}); got {p.shape}"
            )
        return np.ascontiguousarray(p)

    # ------------------------------------------------------------------ energies
    def _threads(self) -> int:
        """Threads for the PTM kernels: ``self.threads`` (None: Numba's count, i.e.
        ``NUMBA_NUM_THREADS``), and 1 (serial kernels) below ``PARALLEL_MIN_QUBITS`` qubits."""
        if self.threads == 1 or self.circuit.num_qubits < PARALLEL_MIN_QUBITS:
            return 1
        import numba

        return min(self.threads or numba.get_num_threads(), numba.get_num_threads())

    def energy(self, params=None) -> float:
        """Exact noisy energy ``Tr(rho H) + constant``: readout errors as measured, or mitigated
        (``mitigation="readout"``)."""
        if (
            type(params) is np.ndarray
            and params.dtype is _F64
            and params.shape == self._fast_pshape
            and (self._small or self.threads == 1)
        ):
            # fast path: a float64 vector of the right length, serial PTM kernel on the packed program;
            # finiteness is checked after evaluation (a non-finite angle gives a non-finite energy)
            ibuf, fbuf = self._packed
            value = self._energy_packed(params, ibuf, fbuf)
            return value if math.isfinite(value) else self._finite(value, params)
        p = self._params(params)
        if self.engine == "statevector":
            return self._finite(float(self._sv.energy(p, self.observable)), p)
        nt = self._threads()
        if nt > 1:  # large state, several threads: the multi-threaded runner (bit-identical)
            from ._kernels import program as K

            return self._finite(K.energy_par(p, *self._energy_args, nt) + self.observable.constant, p)
        return self._finite(self._energy_kernel(p, *self._energy_args) + self.observable.constant, p)

    def energies(self, params2d) -> np.ndarray:
        """Energies of many parameter vectors (rows) in one call."""
        p = self._params2d(params2d)
        if self.engine == "statevector":
            return np.asarray(self._sv.energies(p, self.observable), dtype=float)
        from ._kernels import program as K

        nt = self._threads()
        if nt > 1:  # large state, several threads: the multi-threaded runner (bit-identical)
            return K.energies_par(p, *self._energy_args, nt) + self.observable.constant
        return K.energies_packed(p, *self._packed)

    def energy_and_gradient(self, params=None) -> tuple[float, np.ndarray]:
        """Energy and its exact gradient with respect to every parameter, in one call."""
        p = self._params(params)
        if self.engine == "statevector":
            e, g = self._sv.energy_and_gradient(p, self.observable)
            return float(e), np.asarray(g, dtype=float)
        nops = self.program.ops.shape[0]
        if nops * 4**self.circuit.num_qubits * 8 <= ADJOINT_MEMORY_BYTES:
            from ._kernels.adjoint import energy_and_gradient

            e, g = energy_and_gradient(p, *self._args, self.program.occ_param, self.observable.indices, self._h_val)
            return float(e) + self.observable.constant, g
        return self.energy(p), self._parameter_shift(p)

    def gradient(self, params=None) -> np.ndarray:
        return self.energy_and_gradient(params)[1]

    def _parameter_shift(self, p: np.ndarray) -> np.ndarray:
        """Parameter-shift gradient (exact under parameter-independent noise), low memory."""
        from ._kernels import program as K

        occ = self.program.occ_param
        thetas = p[occ]
        shifted = np.repeat(thetas[None, :], 2 * len(occ), axis=0)
        rows = np.arange(len(occ))
        shifted[2 * rows, rows] += np.pi / 2
        shifted[2 * rows + 1, rows] -= np.pi / 2
        e = K.energies_angles(shifted, *self._args, self.observable.indices, self._h_val)
        grad = np.zeros(self.circuit.num_parameters)
        np.add.at(grad, occ, 0.5 * (e[0::2] - e[1::2]))
        return grad

    # ------------------------------------------------------------------ states
    def state(self, params=None) -> np.ndarray:
        """PTM state vector ``r_P = Tr(P rho)/sqrt(2^n)`` (4^n floats; ``ptm`` engine)."""
        p = self._params(params)
        if self.engine != "ptm":
            from .conversions import density_matrix_to_pauli_vector

            return density_matrix_to_pauli_vector(self.density_matrix(p))
        from ._kernels import program as K

        x = np.empty(4**self.circuit.num_qubits)
        thetas = p[self.program.occ_param]
        nt = self._threads()
        if nt > 1:  # large state, several threads (bit-identical)
            K.run_par(x, *self._args, thetas, K.workspace_par(nt), nt)
        else:
            K.run(x, *self._args, thetas, K.workspace())
        return x

    def statevector(self, params=None) -> np.ndarray:
        """2^n amplitudes (statevector engine only)."""
        if self.engine != "statevector":
            raise ValidationError("statevector() needs a noiseless model (engine 'statevector')")
        return self._sv.state(self._params(params))

    def density_matrix(self, params=None) -> np.ndarray:
        """Dense 2^n x 2^n density matrix (small n; for inspection and tests)."""
        if self.engine == "statevector":
            psi = self.statevector(params)
            return np.outer(psi, psi.conj())
        from .conversions import pauli_vector_to_density_matrix

        return pauli_vector_to_density_matrix(self.state(params))

    def probabilities(self, params, basis) -> np.ndarray:
        """Ideal outcome probabilities (2^n, bit q = qubit q) when measuring qubit q in basis
        ``basis[q]`` (1 X, 2 Y, 3 or 0 Z), before readout error."""
        n = self.circuit.num_qubits
        b = np.asarray(basis, dtype=np.int64)
        if b.shape != (n,) or np.any((b < 0) | (b > 3)):
            raise ValidationError(f"basis must be {n} Pauli codes in 0..3; got {basis!r}")
        if self.engine == "statevector":
            return self._sv.probabilities(self._params(params), b)
        b = np.where(b == 0, 3, b)
        subsets = np.arange(2**n)
        idx = np.zeros(2**n, dtype=np.int64)
        for q in range(n):
            idx += ((subsets >> q) & 1) * (b[q] << (2 * q))
        x = self.state(params)[idx] * math.sqrt(2.0**n)
        return _walsh_hadamard(x) / 2**n

    # ------------------------------------------------------------------ shots
    def sampled_energy(
        self,
        params,
        shots: int,
        seed=None,
        method: str = "gaussian",
        return_stderr: bool = False,
        mitigation: str | None = None,
    ):
        """Energy with shot noise: ``"gaussian"`` (the CRLQAS paper's model, added to the exact
        noisy energy) or ``"sampling"`` (``shots`` bitstrings per qubit-wise-commuting group drawn
        from the exact noisy distribution, readout errors included).  With ``return_stderr``:
        ``(energy, standard error)``: the Gaussian model's exact standard deviation, or for
        sampling the one estimated from the samples.

        ``mitigation`` (default: the simulator's): ``"readout"`` mitigates the same draws (the
        sampled outcomes through the inverse assignment matrices; for the Gaussian model the
        exact mitigated energy plus noise with the coefficients of :attr:`shot_noise_coeffs`); see
        :mod:`qnoise.measurement`."""
        from . import measurement

        sim = self if mitigation is None else self.with_mitigation(mitigation)
        rng = measurement.as_generator(seed)
        if method == "gaussian":
            coeffs = sim.shot_noise_coeffs
            value = measurement.gaussian_shot_noise(sim.energy(params), coeffs, shots, rng)
            return (value, measurement.gaussian_stderr(coeffs, shots)) if return_stderr else value
        if method == "sampling":
            p = self._params(params)
            return measurement.sampled_energy(
                lambda basis: self.probabilities(p, basis),
                self.hamiltonian,
                shots,
                rng,
                self.readout_errors,
                return_stderr=return_stderr,
                mitigation=sim.mitigation,
            )
        raise ValidationError(f"method must be 'gaussian' or 'sampling'; got {method!r}")


def _walsh_hadamard(x: np.ndarray) -> np.ndarray:
    n = x.shape[0].bit_length() - 1
    y = x.reshape((2,) * n).copy()
    for axis in range(n):
        a = np.take(y, 0, axis=axis)
        b = np.take(y, 1, axis=axis)
        y = np.stack([a + b, a - b], axis=axis)
    return y.reshape(-1)
