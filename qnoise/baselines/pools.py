"""Operator pools of qubit-ADAPT-VQE (Tang et al., PRX Quantum 2, 020310 (2021)).

A pool is a list of Pauli labels ``P`` (qubit 0 is the right-most character, as in Qiskit); ADAPT
grows the ansatz with the unitaries ``exp(-i theta P / 2)``.  Every pool here holds only strings
with an odd number of ``Y``: then ``i P`` is a real antisymmetric matrix, ``exp(-i theta P / 2)``
is real orthogonal, and the ansatz stays in the real states, where molecular ground states live.

* ``"minimal"``: Tang et al.'s minimal complete pool ``V_n`` of ``2n - 2`` operators, defined
  recursively: ``V_2 = {ZY, YI}`` and ``V_n = {Z p : p in V_(n-1)} + {Y I..I, I Y I..I}`` (Z or the
  new letters on the new left-most qubit ``n - 1``); ``V_n`` reaches weight ``n``.
* ``"minimal-sym"``: a symmetry-adapted minimal complete pool (Shkolnikov et al., Quantum 7, 1040
  (2023)) for a Hamiltonian and a reference basis state (:func:`symmetry_adapted_pool`).  ADAPT
  from a basis state cannot use an operator that anticommutes with a Z-type symmetry of ``H``: its
  gradient is zero at every state of the reference's symmetry sector, and the state never leaves
  that sector, so ``V_n`` stalls at once on the molecules (every ``V_2`` operator anticommutes with
  H2's ``ZZ``).  This pool takes, cheapest (lowest weight) first, the odd-Y strings of weight
  ``<= 4`` that commute with every Z-type symmetry of ``H`` and enlarge the pool's orbit through a
  random state of the sector, until the orbit is the whole real unit sphere of the sector, then drops
  the operators (latest first) it can do without.
* ``"odd-y4"``: every Pauli string of weight ``<= 4`` with an odd number of ``Y``
  (``sum_w C(n, w) (3^w - 1) / 2`` operators: 6, 28, 120, 375 and 926 for 2, 3, 4, 5 and 6 qubits;
  up to 4 qubits the whole algebra ``so(2^n)``).

Completeness (Tang et al.): a pool is complete when its unitaries take any real state to any other
real state.  :func:`orbit_rank` checks the Lie-algebraic form of this: the commutator closure of the
pool's ``i P`` acts on a real state ``psi`` with tangent vectors ``i R psi``; the pool is complete
when their rank is ``2^n - 1`` (the whole tangent space of the real unit sphere) at every state
(checked at random states by :func:`is_complete`; within a symmetry sector of dimension ``d``, the
rank is ``d - 1`` at the sector's states).
"""

from __future__ import annotations

from itertools import combinations, product
from math import comb

import numpy as np

from ..errors import ValidationError

POOLS = ("minimal", "minimal-sym", "odd-y4")
"""Pool names accepted by :func:`get_pool`."""


def minimal_pool(num_qubits: int) -> list[str]:
    """Tang et al.'s minimal complete pool ``V_n`` (``2n - 2`` labels; module docstring)."""
    n = _check_qubits(num_qubits)
    pool = ["ZY", "YI"]
    for m in range(3, n + 1):
        pool = ["Z" + p for p in pool] + ["Y" + "I" * (m - 1), "IY" + "I" * (m - 2)]
    return pool


def odd_y_pool(num_qubits: int, max_weight: int = 4) -> list[str]:
    """Every Pauli label of weight ``1..max_weight`` with an odd number of ``Y``, by weight, then
    by qubits, then by letters."""
    n = _check_qubits(num_qubits, minimum=1)
    if isinstance(max_weight, bool) or not isinstance(max_weight, int) or max_weight < 1:
        raise ValidationError(f"max_weight must be a positive integer; got {max_weight!r}")
    out = []
    for w in range(1, min(max_weight, n) + 1):
        for qubits in combinations(range(n), w):
            for letters in product("XYZ", repeat=w):
                if letters.count("Y") % 2:
                    out.append(_label(n, dict(zip(qubits, letters))))
    return out


def odd_y_pool_size(num_qubits: int, max_weight: int = 4) -> int:
    """``len(odd_y_pool(n, max_weight))`` in closed form."""
    return sum(comb(num_qubits, w) * (3**w - 1) // 2 for w in range(1, min(max_weight, num_qubits) + 1))


def z_symmetries(hamiltonian) -> list[int]:
    """Bit masks ``s`` of the Z-type Pauli strings ``prod_{q in s} Z_q`` (``s != 0``) that commute
    with every term of ``hamiltonian``."""
    n = hamiltonian.num_qubits
    if n > 20:
        raise ValidationError(f"looking for the symmetries of {n} qubits is too costly (at most 20)")
    xmasks = {_masks(label)[0] for label in hamiltonian.labels}
    return [s for s in range(1, 2**n) if all(_popcount(s & x) % 2 == 0 for x in xmasks)]


def sector(num_qubits: int, symmetries, bits: str) -> np.ndarray:
    """Basis-state indices with the same eigenvalue as ``|bits>`` for every Z-type symmetry."""
    b0 = int(bits, 2)
    states = np.arange(2**num_qubits)
    keep = np.ones(states.size, dtype=bool)
    for s in symmetries:
        keep &= _parities(states & s) == _popcount(b0 & s) % 2
    return states[keep]


def symmetry_adapted_pool(hamiltonian, bits: str, seed: int = 0) -> list[str]:
    """The ``"minimal-sym"`` pool of ``hamiltonian`` for the reference basis state ``bits`` (qubit 0
    right-most; module docstring): complete on the reference's symmetry sector, and no operator can
    be dropped."""
    n = hamiltonian.num_qubits
    syms = z_symmetries(hamiltonian)
    states = sector(n, syms, bits)
    target = states.size - 1
    if target == 0:
        raise ValidationError(f"the symmetry sector of |{bits}> is one state: nothing to prepare")
    rng = np.random.default_rng(seed)
    psi = np.zeros(2**n)
    psi[states] = rng.standard_normal(states.size)
    psi /= np.linalg.norm(psi)
    candidates = [p for p in odd_y_pool(n, 4) if not any(_popcount(s & _masks(p)[0]) % 2 for s in syms)]
    reference = np.zeros(2**n)
    reference[int(bits, 2)] = 1.0
    h_ref = hamiltonian.to_matrix(sparse=True) @ reference
    moving = [abs(float(apply_real_generator(p, reference) @ h_ref.real)) > 1e-10 for p in candidates]
    candidates = [p for _, p in sorted(zip([not m for m in moving], candidates), key=lambda t: t[0])]
    pool: list[str] = []
    closure: list[str] = []
    rank = 0
    for label in candidates:
        if label in closure:
            continue
        grown = lie_closure([label], closure)
        r = _rank(grown, psi)
        if r > rank:
            pool, closure, rank = pool + [label], grown, r
            if rank == target:
                return pool[:1] + _prune(pool[1:], psi, target, pool[:1])
    raise ValidationError(f"no odd-Y strings of weight <= 4 make a complete pool on the sector of |{bits}>")


def get_pool(name: str, num_qubits: int, hamiltonian=None, bits: str | None = None) -> list[str]:
    """The pool ``name`` (one of :data:`POOLS`) for ``num_qubits`` qubits; ``"minimal-sym"`` needs
    the ``hamiltonian`` and the reference ``bits``."""
    if name == "minimal":
        return minimal_pool(num_qubits)
    if name == "odd-y4":
        return odd_y_pool(num_qubits, 4)
    if name == "minimal-sym":
        if hamiltonian is None or bits is None:
            raise ValidationError("the 'minimal-sym' pool needs the Hamiltonian and the reference bit string")
        return symmetry_adapted_pool(hamiltonian, bits)
    raise ValidationError(f"unknown operator pool {name!r}; allowed: {', '.join(POOLS)}")


# ---------------------------------------------------------------------- completeness
def lie_closure(labels, closed=()) -> list[str]:
    """Labels spanning the Lie algebra generated by ``{i P}``: ``labels`` and the already closed set
    ``closed`` closed under commutators (the commutator of two anticommuting strings is, up to a
    factor, their product string)."""
    found = dict.fromkeys(closed)
    frontier = [p for p in (str(q).upper() for q in labels) if p not in found]
    found.update(dict.fromkeys(frontier))
    while frontier:
        new = []
        for a in frontier:
            for b in list(found):
                if not _commute(a, b):
                    c = _product_label(a, b)
                    if c not in found:
                        found[c] = None
                        new.append(c)
        frontier = new
    return list(found)


def orbit_rank(labels, state) -> int:
    """Rank of the tangent vectors ``i R psi`` (``R`` in :func:`lie_closure` of the odd-Y
    ``labels``) at the real state ``psi``: the dimension of the pool's orbit through ``psi``
    (``2^n - 1`` when the pool acts transitively near ``psi``)."""
    labels = [str(p).upper() for p in labels]
    if any(p.count("Y") % 2 == 0 for p in labels):
        raise ValidationError("orbit_rank takes odd-Y Pauli strings (real generators) only")
    return _rank(lie_closure(labels), np.asarray(state, dtype=float))


def is_complete(labels, num_qubits: int, samples: int = 3, seed: int = 0) -> bool:
    """Whether the odd-Y pool ``labels`` has full orbit rank ``2^n - 1`` at ``|0..0>`` and at
    ``samples`` random real states (module docstring)."""
    rng = np.random.default_rng(seed)
    dim = 2**num_qubits
    states = [np.eye(dim)[0]] + [v / np.linalg.norm(v) for v in rng.standard_normal((samples, dim))]
    return all(orbit_rank(labels, s) == dim - 1 for s in states)


def apply_real_generator(label: str, psi: np.ndarray) -> np.ndarray:
    """``i P psi`` for an odd-Y label ``P`` and a real vector ``psi`` (a real vector): ``P |b> =
    i^(#Y) (-1)^(#Y, Z on the 1 bits of b) |b xor x>``."""
    x, z = _masks(label)
    b = np.arange(psi.size)
    sign = 1 - 2 * (_parities(b & z) & 1)
    ny = label.count("Y")
    out = np.empty_like(psi)
    out[b ^ x] = sign * psi  # P|b> = i^ny sign |b^x>; times i: i^(ny+1) = +-1 for odd ny
    return out * (-1) ** ((ny + 1) // 2)


# ---------------------------------------------------------------------- helpers
def _prune(pool: list[str], psi: np.ndarray, target: int, kept=()) -> list[str]:
    """``pool`` without the operators (latest first) whose removal keeps the orbit rank of ``kept``
    and the rest at ``target``."""
    for label in reversed(list(pool)):
        rest = [p for p in pool if p != label]
        if _rank(lie_closure([*kept, *rest]), psi) == target:
            pool = rest
    return pool


def _rank(closure, psi: np.ndarray) -> int:
    vectors = np.array([apply_real_generator(r, psi) for r in closure])
    return int(np.linalg.matrix_rank(vectors, tol=1e-9))


def _check_qubits(num_qubits, minimum: int = 2) -> int:
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, (int, np.integer)) or num_qubits < minimum:
        raise ValidationError(f"a pool needs an integer number of qubits >= {minimum}; got {num_qubits!r}")
    return int(num_qubits)


def _label(n: int, letters: dict) -> str:
    """The label with ``letters[q]`` on qubit ``q`` (right-most character = qubit 0), I elsewhere."""
    return "".join(letters.get(q, "I") for q in reversed(range(n)))


def _masks(label: str) -> tuple[int, int]:
    """``(x mask, z mask)``: the qubits with X or Y, and with Y or Z."""
    x = z = 0
    for q, ch in enumerate(reversed(label)):
        x |= (ch in "XY") << q
        z |= (ch in "YZ") << q
    return x, z


def _popcount(v: int) -> int:
    return bin(v).count("1")


def _parities(values: np.ndarray) -> np.ndarray:
    out = np.zeros_like(values)
    v = values.copy()
    while np.any(v):
        out ^= v & 1
        v >>= 1
    return out


def _commute(a: str, b: str) -> bool:
    clashes = sum(x != "I" and y != "I" and x != y for x, y in zip(a, b))
    return clashes % 2 == 0


_PRODUCT = {("X", "Y"): "Z", ("Y", "X"): "Z", ("Y", "Z"): "X", ("Z", "Y"): "X", ("X", "Z"): "Y", ("Z", "X"): "Y"}


def _product_label(a: str, b: str) -> str:
    """The Pauli string of ``a b`` (phase dropped)."""
    return "".join(x if y == "I" else y if x == "I" else "I" if x == y else _PRODUCT[x, y] for x, y in zip(a, b))


__all__ = [
    "POOLS",
    "apply_real_generator",
    "get_pool",
    "is_complete",
    "lie_closure",
    "minimal_pool",
    "odd_y_pool",
    "odd_y_pool_size",
    "orbit_rank",
    "sector",
    "symmetry_adapted_pool",
    "z_symmetries",
]
