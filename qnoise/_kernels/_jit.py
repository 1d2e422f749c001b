"""The one place that owns Numba options.

``@kernel`` compiles with ``nopython``, ``cache=True`` (set ``NUMBA_CACHE_DIR`` to move the cache),
``fastmath`` limited to flags that keep IEEE results for finite inputs (contraction into FMA and no
signed-zero care), and ``nogil`` so threads can share work.  ``@kernel(parallel=True)`` enables
``prange``; the thread count follows ``NUMBA_NUM_THREADS``.
"""

from __future__ import annotations

import numba

_FASTMATH = {"contract", "nsz"}


def kernel(func=None, *, parallel: bool = False):
    def wrap(f):
        return numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, parallel=parallel)(f)

    return wrap(func) if func is not None else wrap
