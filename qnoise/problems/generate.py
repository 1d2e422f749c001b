"""Generator of the shipped molecular problems (needs the ``chem`` extra: PySCF + qiskit-nature).

Pipeline for one molecule (:func:`build_record`):

1. PySCF restricted Hartree-Fock (ROHF when ``spin > 0``) in the given basis, tight convergence,
   molecular-orbital signs fixed (largest coefficient positive) so that reruns are identical.
2. Active space (:func:`select_orbitals`): optionally freeze the chemical core, drop virtual
   orbitals (``remove_orbitals``: indices, negative from the top, or ``"pi"`` for the orbitals made
   only of px/py atomic orbitals of a molecule on the z axis), then keep ``active_electrons`` in
   ``active_orbitals`` around the Fermi level.  PySCF's CASCI object gives the active-space
   integrals and the core energy (nuclear repulsion + frozen/inactive electrons).
3. qiskit-nature maps the fermionic operator to qubits (Jordan-Wigner, parity with optional
   two-qubit reduction, or Bravyi-Kitaev), optionally tapering Z2 symmetries in the sector of the
   Hartree-Fock state.
4. Terms with ``|w| <= 1e-10`` are dropped, coefficients rounded to 12 decimals; E0 and E1 come
   from exact diagonalisation of the stored terms (:class:`qnoise.Hamiltonian`), the CASCI energy
   of PySCF is stored next to them as an independent check.

The JSON is written with sorted keys, ``repr`` floats and no timestamp, so ``--all`` regenerates
every shipped file bit-for-bit (same library versions and platform) and ``--check`` verifies it::

    python -m crlqas.qnoise.problems.generate --all [--check]
    python -m crlqas.qnoise.problems.generate --id lih-4q-1.6 --geometry "Li 0 0 0; H 0 0 1.6" \\
        --freeze-core --remove-orbitals pi --mapping parity --two-qubit-reduction --out lih.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field

if __name__ == "__main__":  # single-threaded BLAS/OpenMP: multithreaded sums change the last bits
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import numpy as np

from ..errors import ValidationError, require
from .molecules import DATA_DIR, FORMAT, format_geometry, parse_geometry

CUTOFF = 1e-10
DECIMALS = 12
MAPPINGS = {"jw": "Jordan-Wigner", "parity": "parity", "bk": "Bravyi-Kitaev"}
CHEMICAL_ACCURACY = 1.6e-3


@dataclass
class MoleculeSpec:
    """Everything needed to (re)build one molecular problem."""

    id: str
    geometry: str
    basis: str = "sto3g"
    charge: int = 0
    spin: int = 0  # 2S = N_alpha - N_beta
    freeze_core: bool = False
    remove_orbitals: list | str = field(default_factory=list)  # indices or "pi"
    active_electrons: int | None = None
    active_orbitals: int | None = None
    mapping: str = "jw"
    two_qubit_reduction: bool = False
    z2_tapering: int = 0  # number of Z2 symmetries to taper; -1 = all found
    title: str = ""


def _h2(pid, d, **kw):
    return MoleculeSpec(pid, f"H 0 0 0; H 0 0 {d}", title=f"H2 at {d} A", **kw)


def _lih(pid, d, mapping, tqr):
    return MoleculeSpec(
        pid,
        f"Li 0 0 0; H 0 0 {d}",
        freeze_core=True,
        remove_orbitals="pi",
        mapping=mapping,
        two_qubit_reduction=tqr,
        title=f"LiH at {d} A",
    )


def _beh2(pid, d):
    return MoleculeSpec(
        pid,
        f"Be 0 0 0; H 0 0 {d}; H 0 0 -{d}",
        freeze_core=True,
        remove_orbitals="pi",
        mapping="parity",
        two_qubit_reduction=True,
        title=f"linear BeH2, Be-H {d} A",
    )


SHIPPED = [
    _h2("h2-2q", 0.7414, mapping="parity", two_qubit_reduction=True),
    _h2("h2-3q", 0.7414, mapping="jw", z2_tapering=1),
    _h2("h2-4q", 0.7414, mapping="jw"),
    *[_h2(f"h2-2q-d{d}", d, mapping="parity", two_qubit_reduction=True) for d in (0.5, 0.7414, 1.0, 1.5, 2.0, 2.5)],
    *[_lih(f"lih-4q-{d}", d, "parity", True) for d in (1.2, 2.2, 3.4)],
    _lih("lih-6q-2.2", 2.2, "jw", False),
    MoleculeSpec(
        "h2o-8q",
        "O 0 0 0; H 0.757 0.586 0; H -0.757 0.586 0",
        active_electrons=4,
        active_orbitals=4,
        mapping="jw",
        title="H2O (O-H 0.9572 A, HOH 104.5 deg)",
    ),
    _beh2("beh2-6q", 1.326),
    *[_beh2(f"beh2-6q-d{d}", d) for d in (1.0, 2.0, 3.0)],
]
SHIPPED_BY_ID = {s.id: s for s in SHIPPED}


# ---------------------------------------------------------------------------- active space
def select_orbitals(nmo, nalpha, nbeta, ncore=0, removed=(), active_electrons=None, active_orbitals=None):
    """Choose core and active orbitals (0-based MO indices in energy order).

    Returns ``(core, active, (n_alpha_active, n_beta_active))``; ``core`` = frozen + inactive
    doubly occupied orbitals.  Raises :class:`ValidationError` when the request does not fit.
    """
    if not 0 <= ncore <= nbeta:
        raise ValidationError(f"cannot freeze {ncore} core orbitals with {nbeta} doubly occupied")
    rem = []
    for r in removed:
        if not isinstance(r, (int, np.integer)) or not -nmo <= r < nmo:
            raise ValidationError(f"orbital to remove {r!r} is out of range for {nmo} orbitals")
        r = int(r) % nmo
        if r < nalpha:
            raise ValidationError(
                f"orbital {r} is occupied in Hartree-Fock and cannot be removed "
                f"(occupied: 0..{nalpha - 1}); freeze it or shrink the active space"
            )
        if r in rem:
            raise ValidationError(f"orbital {r} is listed twice in the orbitals to remove")
        rem.append(r)
    avail = [i for i in range(ncore, nmo) if i not in rem]
    avail_e = nalpha + nbeta - 2 * ncore
    ne = avail_e if active_electrons is None else active_electrons
    no = len(avail) if active_orbitals is None else active_orbitals
    for name, v in (("active electrons", ne), ("active orbitals", no)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValidationError(f"the number of {name} must be a positive integer; got {v!r}")
    if ne > avail_e or (avail_e - ne) % 2:
        raise ValidationError(
            f"{ne} active electrons do not fit: {avail_e} electrons are outside the "
            f"frozen core and the inactive ones come in pairs"
        )
    n_inact = (avail_e - ne) // 2
    na, nb = nalpha - ncore - n_inact, nbeta - ncore - n_inact
    if nb < 0:
        raise ValidationError(f"{ne} active electrons cannot hold the {nalpha - nbeta} unpaired ones")
    if no > len(avail) - n_inact or max(na, nb) > no:
        raise ValidationError(
            f"an active space of {ne} electrons in {no} orbitals does not fit: "
            f"{len(avail) - n_inact} orbitals are left above the core and "
            f"{max(na, nb)} per spin must be occupied"
        )
    core = list(range(ncore)) + avail[:n_inact]
    return core, avail[n_inact : n_inact + no], (na, nb)


def core_orbital_count(atoms) -> int:
    """Spatial orbitals of the noble-gas cores (Li-Ne: 1s; Na-Ar: 1s-2p; ...), as qiskit-nature's
    ``FreezeCoreTransformer`` counts them."""
    from .molecules import ELEMENTS

    cores = ((36, 18), (18, 9), (10, 5), (2, 1))  # (Z of the noble gas, its orbitals)
    total = 0
    for sym, *_ in atoms:
        z = ELEMENTS.index(sym) + 1
        total += next((c for limit, c in cores if z > limit), 0)
    return total


def _pi_orbitals(mol, mo_coeff):
    """Orbitals with no weight on non-(px, py) atomic orbitals (pi orbitals of a z-axis molecule)."""
    labels = mol.ao_labels()
    other = [i for i, lab in enumerate(labels) if not ("px" in lab or "py" in lab)]
    return [j for j in range(mo_coeff.shape[1]) if np.abs(mo_coeff[other, j]).max() < 1e-8]


def _fix_signs(c):
    c = np.array(c, dtype=float)
    for j in range(c.shape[1]):
        i = int(np.argmax(np.round(np.abs(c[:, j]), 8)))
        if c[i, j] < 0:
            c[:, j] = -c[:, j]
    return c


def _basis_name(basis: str) -> str:
    return "STO-3G" if basis.lower().replace("-", "") == "sto3g" else basis


def _words_orbitals(idx):
    return ", ".join(str(i) for i in idx) if idx else "none"


# ---------------------------------------------------------------------------- pipeline
def build_record(spec: MoleculeSpec) -> dict:
    """Run the pipeline for ``spec``; return the JSON-ready record."""
    if spec.mapping not in MAPPINGS:
        raise ValidationError(f"mapping must be one of {', '.join(MAPPINGS)}; got {spec.mapping!r}")
    if spec.two_qubit_reduction and spec.mapping != "parity":
        raise ValidationError("the two-qubit reduction needs the parity mapping")
    atoms = parse_geometry(spec.geometry)
    pyscf = require("pyscf", "chem")
    require("qiskit_nature", "chem")
    from pyscf import ao2mo, gto, lib, mcscf, scf

    lib.num_threads(1)

    try:
        mol = gto.M(
            atom=[(s, (x, y, z)) for s, x, y, z in atoms],
            basis=spec.basis,
            unit="Angstrom",
            charge=spec.charge,
            spin=spec.spin,
            verbose=0,
        )
    except (RuntimeError, KeyError, ValueError) as exc:
        raise ValidationError(
            f"PySCF rejected the molecule (basis {spec.basis!r}, charge {spec.charge}, spin {spec.spin}): {exc}"
        ) from None
    mf = (scf.RHF if spec.spin == 0 else scf.ROHF)(mol)
    mf.conv_tol, mf.conv_tol_grad, mf.max_cycle = 1e-12, 1e-9, 500
    mf.kernel()
    if not mf.converged:
        raise ValidationError(f"{spec.id}: Hartree-Fock did not converge")
    mo = _fix_signs(mf.mo_coeff)
    nalpha, nbeta = mol.nelec
    nmo = mo.shape[1]
    ncore = core_orbital_count(atoms) if spec.freeze_core else 0
    removed = _pi_orbitals(mol, mo) if spec.remove_orbitals == "pi" else list(spec.remove_orbitals)
    if spec.remove_orbitals == "pi" and not removed:
        raise ValidationError(
            f"{spec.id}: no pi orbitals found (made only of px/py atomic orbitals); "
            f"'pi' is meant for molecules along the z axis"
        )
    core, active, (na, nb) = select_orbitals(
        nmo, nalpha, nbeta, ncore, removed, spec.active_electrons, spec.active_orbitals
    )
    rest = [i for i in range(nmo) if i not in core and i not in active]
    mc = mcscf.CASCI(mf, len(active), (na, nb))
    mo_sorted = mo[:, core + active + rest]
    h1, ecore = mc.get_h1eff(mo_sorted)
    h2 = ao2mo.restore(1, mc.get_h2eff(mo_sorted), len(active))
    e_casci = float(mc.kernel(mo_sorted)[0])

    op, sector, hf_bits = _map(h1, h2, len(active), (na, nb), spec)
    terms, constant = {}, float(ecore)
    for label, coeff in op.to_list():
        if abs(coeff.imag) > 1e-10:
            raise ValidationError(f"{spec.id}: term {label} has an imaginary coefficient {coeff}")
        if set(label) == {"I"}:
            constant += coeff.real
        elif abs(coeff.real) > CUTOFF:
            terms[label] = terms.get(label, 0.0) + coeff.real
    terms = {k: round(v, DECIMALS) for k, v in sorted(terms.items())}
    constant = round(constant, DECIMALS)

    from ..hamiltonian import Hamiltonian

    ham = Hamiltonian(sorted(terms.items()), constant, op.num_qubits)
    e0, e1 = (float(v) for v in ham.eigenvalues(2))

    words = [f"{na + nb} electrons in {len(active)} spatial orbitals (MOs {_words_orbitals(active)})"]
    if ncore:
        words.append(f"frozen core: {ncore} orbital(s) (MOs {_words_orbitals(core[:ncore])})")
    if len(core) > ncore:
        words.append(f"inactive doubly occupied: MOs {_words_orbitals(core[ncore:])}")
    if removed:
        kind = "pi orbitals" if spec.remove_orbitals == "pi" else "orbitals"
        words.append(f"removed {kind}: MOs {_words_orbitals(sorted(r % nmo for r in removed))}")
    mapping = MAPPINGS[spec.mapping] + (" with two-qubit reduction" if spec.two_qubit_reduction else "")
    if sector:
        mapping += (
            f", {len(sector)} Z2 symmetr{'y' if len(sector) == 1 else 'ies'} tapered (Hartree-Fock sector {sector})"
        )
    title = spec.title or spec.id
    return {
        "format": FORMAT,
        "id": spec.id,
        "num_qubits": int(op.num_qubits),
        "constant": constant,
        "terms": terms,
        "e0": round(e0, DECIMALS),
        "e1": round(e1, DECIMALS),
        "lower_bound": round(ham.lower_bound, DECIMALS),
        "chemical_accuracy": CHEMICAL_ACCURACY,
        "description": f"{title}, {_basis_name(spec.basis)}, {mapping}, {op.num_qubits} qubits",
        "mapping": mapping,
        "active_space": "; ".join(words),
        "geometry": format_geometry(atoms),
        "basis": spec.basis,
        "charge": spec.charge,
        "spin": spec.spin,
        "reference": {
            "casci_energy": round(e_casci, DECIMALS),
            "hf_energy": round(float(mf.e_tot), DECIMALS),
            "nuclear_repulsion": round(float(mol.energy_nuc()), DECIMALS),
            "core_energy": round(float(ecore), DECIMALS),
            "core_orbitals": core,
            "active_orbitals": active,
            "active_electrons": [na, nb],
            "hf_bitstring": hf_bits,
        },
        "generator": asdict(spec),
        "source": (
            f"crlqas.qnoise.problems.generate with PySCF {pyscf.__version__} and qiskit-nature {_nature_version()}"
        ),
    }


def _nature_version():
    import qiskit_nature

    return qiskit_nature.__version__


def _map(h1, h2, norb, nelec, spec):
    from qiskit.quantum_info.analysis.z2_symmetries import Z2Symmetries
    from qiskit_nature.second_q.circuit.library.initial_states.hartree_fock import hartree_fock_bitstring_mapped
    from qiskit_nature.second_q.hamiltonians import ElectronicEnergy
    from qiskit_nature.second_q.mappers import BravyiKitaevMapper, JordanWignerMapper, ParityMapper
    from qiskit_nature.second_q.operators.tensor_ordering import IndexType, to_physicist_ordering

    h2p = to_physicist_ordering(h2, index_order=IndexType.CHEMIST)
    energy = ElectronicEnergy.from_raw_integrals(h1, h2p, auto_index_order=False)
    mapper = {"jw": JordanWignerMapper, "bk": BravyiKitaevMapper}.get(spec.mapping)
    mapper = mapper() if mapper else ParityMapper(nelec if spec.two_qubit_reduction else None)
    op = mapper.map(energy.second_q_op()).simplify(atol=1e-14)
    hf = [bool(b) for b in hartree_fock_bitstring_mapped(norb, nelec, mapper)]  # hf[q] = qubit q
    sector = []
    if spec.z2_tapering:
        z2 = Z2Symmetries.find_z2_symmetries(op)
        k = len(z2.symmetries) if spec.z2_tapering < 0 else spec.z2_tapering
        if k > len(z2.symmetries):
            raise ValidationError(f"{spec.id}: {k} Z2 symmetries requested, {len(z2.symmetries)} found")
        for sym in z2.symmetries[:k]:
            if np.any(sym.x):
                raise ValidationError(f"{spec.id}: symmetry {sym} is not diagonal; cannot pick the Hartree-Fock sector")
            sector.append(-1 if sum(hf[q] for q in np.flatnonzero(sym.z)) % 2 else 1)
        z2k = Z2Symmetries(z2.symmetries[:k], z2.sq_paulis[:k], z2.sq_list[:k], sector)
        op = z2k.taper(op).simplify(atol=1e-14)
        hf = [b for q, b in enumerate(hf) if q not in set(z2.sq_list[:k])]
    return op, sector, "".join("1" if b else "0" for b in reversed(hf))


# ---------------------------------------------------------------------------- output
def dumps(record: dict) -> str:
    """Deterministic JSON text (sorted keys, repr floats, trailing newline)."""
    return json.dumps(record, indent=1, sort_keys=True, allow_nan=False) + "\n"


def _parse_removed(text):
    if text is None:
        return []
    if text.strip().lower() == "pi":
        return "pi"
    try:
        return [int(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise ValidationError(f"--remove-orbitals takes integers (e.g. '-3,-2') or 'pi'; got {text!r}") from None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m crlqas.qnoise.problems.generate", description=__doc__.split("\n")[0])
    p.add_argument("--all", action="store_true", help="regenerate every shipped problem file")
    p.add_argument("--check", action="store_true", help="with --all: compare instead of writing")
    p.add_argument("--out-dir", default=str(DATA_DIR), help="with --all: output folder")
    p.add_argument("--id", help="problem id of a new molecule")
    p.add_argument("--geometry", help="'Sym x y z; Sym x y z' in Angstrom")
    p.add_argument("--basis", default="sto3g")
    p.add_argument("--charge", type=int, default=0)
    p.add_argument("--spin", type=int, default=0, help="2S = N_alpha - N_beta")
    p.add_argument("--active-electrons", type=int)
    p.add_argument("--active-orbitals", type=int)
    p.add_argument(
        "--remove-orbitals",
        metavar="LIST",
        help="virtual MOs to drop: --remove-orbitals=-3,-2 (0-based, negative from the "
        "top) or 'pi' (orbitals made of px/py only, for molecules on the z axis)",
    )
    p.add_argument("--freeze-core", action="store_true")
    p.add_argument("--mapping", choices=sorted(MAPPINGS), default="jw")
    p.add_argument("--two-qubit-reduction", action="store_true")
    p.add_argument(
        "--z2-tapering",
        type=int,
        nargs="?",
        const=-1,
        default=0,
        metavar="K",
        help="taper Z2 symmetries (all, or the first K) in the Hartree-Fock sector",
    )
    p.add_argument("--title", default="", help="words for the description")
    p.add_argument("--out", help="output JSON file (default: print)")
    a = p.parse_args(argv)
    try:
        if a.all:
            return _regenerate_all(a.out_dir, a.check)
        if not a.id or not a.geometry:
            p.error("give --all, or --id and --geometry for a new molecule")
        spec = MoleculeSpec(
            a.id,
            a.geometry,
            a.basis,
            a.charge,
            a.spin,
            a.freeze_core,
            _parse_removed(a.remove_orbitals),
            a.active_electrons,
            a.active_orbitals,
            a.mapping,
            a.two_qubit_reduction,
            a.z2_tapering,
            a.title,
        )
        text = dumps(build_record(spec))
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _regenerate_all(out_dir, check) -> int:
    from pathlib import Path

    out, bad = Path(out_dir), 0
    out.mkdir(parents=True, exist_ok=True)
    for spec in SHIPPED:
        rec = build_record(spec)
        text, path = dumps(rec), out / f"{spec.id}.json"
        old = path.read_text(encoding="utf-8") if path.exists() else None
        status = "same" if old == text else ("DIFFERS" if check else "written")
        if check:
            bad += old != text
        elif old != text:
            path.write_text(text, encoding="utf-8")
        print(
            f"{spec.id:16s} {rec['num_qubits']:2d} qubits {len(rec['terms']):4d} terms "
            f"E0 {rec['e0']:.10f} CASCI {rec['reference']['casci_energy']:.10f} {status}"
        )
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
