"""The one place that owns Numba options.

``@kernel`` compiles with ``nopython``, ``cache=True`` (set ``NUMBA_CACHE_DIR`` to move the cache),
``fastmath`` limited to flags that keep IEEE results for finite inputs (contraction into FMA and no
signed-zero care), and ``nogil`` so threads can share work.  ``@kernel(parallel=True)`` enables
``prange``; the thread count follows ``NUMBA_NUM_THREADS``.  ``@kernel(slp=True)`` compiles with
LLVM's SLP (straight-line) vectoriser on: Numba switches it off globally (``NUMBA_SLP_VECTORIZE=0``),
but the unrolled per-group code of qubits 0 and 1 needs it to become vector code.  The switch is
flipped only while that dispatcher compiles, under Numba's compiler lock; callers link the
optimised code.

Numba's cache checks only the source file of the function it loads, not the modules whose kernels
were compiled into it, so a cached caller can outlive an edited callee (wrong results or crashes).
Here the cache lives in a subdirectory named after a hash of every kernel module's source
(:data:`KERNEL_MODULES`), under ``NUMBA_CACHE_DIR`` if set, else ``~/.cache/crlqas/numba``: any
change to any kernel starts a fresh cache.  Every module that uses :func:`kernel` must be listed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

_FASTMATH = {"contract", "nsz"}

_QNOISE = Path(__file__).resolve().parent.parent
#: every module whose functions are compiled with :func:`kernel` (relative to the qnoise package)
KERNEL_MODULES = (
    "_kernels/_jit.py",
    "_kernels/ptm.py",
    "_kernels/program.py",
    "_kernels/adjoint.py",
    "_kernels/statevector.py",
    "optimizers/_spsa_kernel.py",
)


def _cache_dir() -> str:
    """``<NUMBA_CACHE_DIR or ~/.cache/crlqas/numba>/kernels-<hash of the kernel sources>``."""
    digest = hashlib.sha256()
    for rel in KERNEL_MODULES:
        digest.update(rel.encode())
        digest.update((_QNOISE / rel).read_bytes())
    tag = "kernels-" + digest.hexdigest()[:16]
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(Path.home(), ".cache", "crlqas", "numba")
    return base if os.path.basename(os.path.normpath(base)) == tag else os.path.join(base, tag)


# Through the environment, not only numba.config: Numba re-reads its configuration from the
# environment when NUMBA_* variables change (e.g. NUMBA_NUM_THREADS), and child processes inherit it.
os.environ["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR = _cache_dir()


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
