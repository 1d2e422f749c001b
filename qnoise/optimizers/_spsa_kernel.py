"""Adam-SPSA iterations inside one compiled call (no return to Python per evaluation).

The loop calls the PTM program kernel :func:`qnoise._kernels.program.energies_packed` on the
perturbation pair, adds pre-drawn Gaussian shot noise and applies the Adam-SPSA update of
:mod:`qnoise.optimizers.adam_spsa` (spec section 8).  Random numbers (the Rademacher directions and
the standard normals) are drawn in Python from the run's generator and passed in, so a run is
reproducible and identical to the Python loop for exact energies.  State (``x``, ``m``, ``v``) is
updated in place so a stage can run in chunks.
"""

from __future__ import annotations

import numpy as np

from .._kernels import program as K
from .._kernels._jit import kernel


@kernel
def adam_spsa_iterations(x, m, v, k0, deltas, noise, sigma, hyper, best_x, hist, xs, ibuf, fbuf):
    """Run ``deltas.shape[0]`` iterations from iteration index ``k0``.

    ``hyper = (a, alpha, c, gamma, lam, beta1, beta2, eps)``; ``(ibuf, fbuf)`` is the program and
    observable packed by :func:`qnoise.compiler.pack_program` (constant included).  Writes the mean
    pair value of each iteration to ``hist`` and the iterate *before* each step to ``xs``; returns
    the best value evaluated in this call (``best_x`` receives its point; ``inf`` when nothing beat
    it).
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
            pts[0, j] = x[j] + ck * deltas[i, j]
            pts[1, j] = x[j] - ck * deltas[i, j]
        e = K.energies_packed(pts, ibuf, fbuf)
        fp = e[0] + sigma * noise[2 * i]
        fm = e[1] + sigma * noise[2 * i + 1]
        hist[i] = 0.5 * (fp + fm)
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
            m[j] = b1k * m[j] + (1.0 - b1k) * g
            v[j] = beta2 * v[j] + (1.0 - beta2) * g * g
            x[j] -= ak * (m[j] / mc) / (np.sqrt(v[j] / vc) + eps)
    return best
