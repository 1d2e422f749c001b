"""Adam-SPSA iterations inside one compiled call (no return to Python per evaluation).

One loop for both engines.  :func:`energies_packed` evaluates the perturbation pair with the
packed-program kernel of the simulator's engine (the buffers of
:attr:`qnoise.simulator.Simulator.packed`): the PTM engine's ``(ibuf, fbuf)`` (float64) go to
:func:`qnoise._kernels.program.energies_packed`, the statevector engine's ``(ibuf, cbuf)``
(complex128) to :func:`qnoise._kernels.statevector.energies_packed`.  The choice is made by the
buffer's type when Numba compiles, so the loop has one compiled specialisation per engine, each
containing only its own engine.  The loop adds the pre-drawn shot noise and applies the Adam-SPSA
update of :mod:`qnoise.optimizers.adam_spsa` (spec section 8).  Random numbers (the Rademacher
directions and the shot noise, already scaled by its standard deviation) are drawn in Python from
the run's generator and passed in, so a run is reproducible.  State (``x``, ``m``, ``v``) is updated
in place so a stage can run in chunks.

Bit-identical to the Python loop (``AdamSPSA(use_kernel=False)``): the energies are the kernels
``Simulator.energies`` calls, and the update rounds every product as NumPy does.  The kernels are
compiled with floating-point contraction allowed (``_jit.kernel``), which would fuse ``a*b + c*d``
into a fused multiply-add (one rounding fewer, and trajectories that drift apart); :func:`_mul` is a
product that LLVM may not contract, used where a product meets an addition.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import intrinsic, overload
from numba.np.numpy_support import as_dtype

from .._kernels import program as PTM
from .._kernels import statevector as SV
from .._kernels._jit import kernel


@intrinsic
def _mul(typingctx, a, b):
    """``a * b`` rounded to float64: an ``fmul`` carrying only ``nsz`` (Numba's fast-math pass adds
    flags only to instructions without any), so it is never contracted into an FMA."""
    if a != types.float64 or b != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.fmul(args[0], args[1], flags=("nsz",))

    return types.float64(types.float64, types.float64), codegen


def _engine_kernel(dtype):
    """The packed-energies kernel of the engine whose second buffer has ``dtype``."""
    return SV.energies_packed if np.dtype(dtype) == np.complex128 else PTM.energies_packed


def energies_packed(params2d, ibuf, buf):
    """Energies (constant included) of the rows of ``params2d`` for a packed program: the PTM
    engine's when ``buf`` is float64, the statevector engine's when it is complex128."""
    return _engine_kernel(buf.dtype)(params2d, ibuf, buf)


@overload(energies_packed)
def _energies_packed_typed(params2d, ibuf, buf):
    """In compiled code: the engine's kernel, chosen from the buffer's type when compiling."""
    kern = _engine_kernel(as_dtype(buf.dtype))
    return lambda params2d, ibuf, buf: kern(params2d, ibuf, buf)


@kernel
def adam_spsa_iterations(x, m, v, k0, deltas, noise, hyper, best_x, vals, xs, ibuf, buf):
    """Run ``deltas.shape[0]`` iterations from iteration index ``k0``.

    ``hyper = (a, alpha, c, gamma, lam, beta1, beta2, eps)``; ``noise[2i], noise[2i+1]`` the shot
    noise added to the pair of iteration ``i`` (zeros for exact energies); ``(ibuf, buf)`` the
    packed program and observable of either engine (:func:`energies_packed`).  Writes the pair's
    values of each iteration to ``vals[i, 0:2]`` and the iterate *before* each step to ``xs``;
    returns the best value evaluated in this call (``best_x`` receives its point; ``inf`` when
    nothing beat it).
    """
    a, alpha, c, gamma, lam, beta1, beta2, eps = (
        hyper[0],
        hyper[1],
        hyper[2],
        hyper[3],
        hyper[4],
        hyper[5],
        hyper[6],
        hyper[7],
    )
    p = x.shape[0]
    pts = np.empty((2, p))
    best = np.inf
    for i in range(deltas.shape[0]):
        k = k0 + i
        kp1 = k + 1.0
        ak = a / kp1**alpha
        ck = c / kp1**gamma
        for j in range(p):
            xs[i, j] = x[j]
            pts[0, j] = x[j] + _mul(ck, deltas[i, j])
            pts[1, j] = x[j] - _mul(ck, deltas[i, j])
        e = energies_packed(pts, ibuf, buf)
        fp = e[0] + noise[2 * i]
        fm = e[1] + noise[2 * i + 1]
        vals[i, 0] = fp
        vals[i, 1] = fm
        if fp < best or fm < best:
            r = 0 if fp <= fm else 1
            best = fp if r == 0 else fm
            for j in range(p):
                best_x[j] = pts[r, j]
        diff = (fp - fm) / (2.0 * ck)
        b1k = beta1 / kp1**lam
        mc = 1.0 - b1k**kp1
        vc = 1.0 - beta2**kp1
        for j in range(p):
            g = diff / deltas[i, j]
            m[j] = _mul(b1k, m[j]) + _mul(1.0 - b1k, g)
            v[j] = _mul(beta2, v[j]) + _mul(_mul(1.0 - beta2, g), g)
            x[j] -= ak * (m[j] / mc) / (np.sqrt(v[j] / vc) + eps)
    return best
