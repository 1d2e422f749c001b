"""The one place that owns Numba options.

``@kernel`` compiles with ``nopython``, ``cache=True`` (set ``NUMBA_CACHE_DIR`` to move the cache),
``fastmath`` limited to flags that keep IEEE results for finite inputs (contraction into FMA and no
signed-zero care), and ``nogil`` so threads can share work.  ``@kernel(parallel=True)`` enables
``prange``; the thread count follows ``NUMBA_NUM_THREADS``.  ``@kernel(slp=True)`` compiles with
LLVM's SLP (straight-line) vectoriser on: Numba switches it off globally (``NUMBA_SLP_VECTORIZE=0``),
but the unrolled per-group code of qubits 0 and 1 needs it to become vector code.  The switch is
flipped only while that dispatcher compiles, under Numba's compiler lock; callers link the
optimised code.

Numba's cache does not see changes in a callee's module: after editing a kernel module, clear
``NUMBA_CACHE_DIR`` (or touch the calling modules) before timing or testing.
"""

from __future__ import annotations

import numba

_FASTMATH = {"contract", "nsz"}


def kernel(func=None, *, parallel: bool = False, slp: bool = False):
    def wrap(f):
        d = numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, parallel=parallel)(f)
        return _with_slp(d) if slp else d

    return wrap(func) if func is not None else wrap


def _with_slp(dispatcher):
    from numba.core import config
    from numba.core.compiler_lock import global_compiler_lock

    plain_compile = dispatcher.compile

    def compile_slp(sig):
        with global_compiler_lock:
            old = config.SLP_VECTORIZE
            config.SLP_VECTORIZE = 1
            try:
                return plain_compile(sig)
            finally:
                config.SLP_VECTORIZE = old

    dispatcher.compile = compile_slp
    return dispatcher
