"""Problem registry: shipped molecules, spin chains, generator helpers, CLI, bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.problems import (
    CHEMICAL_ACCURACY,
    Problem,
    UnknownProblemError,
    get_problem,
    list_problems,
    load_problem,
    molecules,
    register_problem,
    spin,
)
from crlqas.qnoise.problems.generate import SHIPPED, core_orbital_count, select_orbitals

SHIPPED_IDS = [s.id for s in SHIPPED]
QUBITS = {
    "h2-2q": 2,
    "h2-3q": 3,
    "h2-4q": 4,
    "lih-4q-1.2": 4,
    "lih-4q-2.2": 4,
    "lih-4q-3.4": 4,
    "lih-6q-2.2": 6,
    "h2o-8q": 8,
    "beh2-6q": 6,
}
# spec section 10 (the paper's numbers, 7-10 digits)
SPEC_E0 = {
    "h2-2q": -1.1372701747,
    "h2-3q": -1.1372701747,
    "h2-4q": -1.1372701746,
    "lih-4q-3.4": -7.7890887,
    "lih-4q-2.2": -7.8448792,
    "lih-4q-1.2": -7.8506985,
    "lih-6q-2.2": -7.8448792,
}


# ---------------------------------------------------------------------------- shipped molecules
def test_every_shipped_spec_has_a_file_and_vice_versa():
    assert sorted(SHIPPED_IDS) == molecules.shipped_ids()
    assert set(QUBITS) <= set(list_problems())


@pytest.mark.parametrize("pid", SHIPPED_IDS)
def test_shipped_energies_match_exact_diagonalisation(pid):
    p = get_problem(pid)
    assert p.id == pid and p.kind == "molecule"
    ham = p.hamiltonian
    assert ham.num_qubits == p.num_qubits == QUBITS.get(pid, p.num_qubits)
    e = ham.eigenvalues(2)
    assert abs(e[0] - p.e0) < 1e-9 and abs(e[1] - p.e1) < 1e-9
    dense = np.linalg.eigvalsh(ham.to_matrix())  # independent of Hamiltonian.eigenvalues
    assert abs(dense[0] - p.e0) < 1e-9
    assert p.lower_bound == pytest.approx(ham.constant - np.abs(ham.coeffs).sum(), abs=1e-12)
    assert p.lower_bound <= p.e0 <= p.e1
    assert p.chemical_accuracy == CHEMICAL_ACCURACY == 1.6e-3
    rec = molecules.load_record(pid)
    assert abs(rec["reference"]["casci_energy"] - p.e0) < 1e-8
    assert p.description and p.mapping and p.active_space and p.geometry and p.basis == "sto3g"


@pytest.mark.parametrize("pid", sorted(SPEC_E0))
def test_energies_agree_with_the_spec(pid):
    assert get_problem(pid).e0 == pytest.approx(SPEC_E0[pid], abs=5e-7)


def test_lih_4q_has_about_100_terms_and_same_energy_as_6q():
    assert 90 <= get_problem("lih-4q-2.2").num_terms <= 110
    assert get_problem("lih-4q-2.2").e0 == pytest.approx(get_problem("lih-6q-2.2").e0, abs=1e-9)


def test_h2_variants_and_dissociation_curve():
    e = {pid: get_problem(pid).e0 for pid in ("h2-2q", "h2-3q", "h2-4q", "h2-2q-d0.7414")}
    assert max(e.values()) - min(e.values()) < 1e-9
    curve = [get_problem(f"h2-2q-d{d}").e0 for d in ("0.5", "0.7414", "1.0", "1.5", "2.0", "2.5")]
    assert int(np.argmin(curve)) == 1 and np.all(np.diff(curve[1:]) > 0)
    h2 = get_problem("h2-2q").hamiltonian  # the classic 5-term (with the constant) H2 operator
    assert sorted(h2.labels) == ["IZ", "XX", "ZI", "ZZ"]


def test_beh2_curve_and_h2o():
    assert get_problem("beh2-6q").e0 < min(get_problem(f"beh2-6q-d{d}").e0 for d in ("1.0", "2.0", "3.0"))
    assert get_problem("h2o-8q").num_qubits == 8


# ---------------------------------------------------------------------------- spin chains
def test_spin_labels_follow_the_qubit_convention():
    assert dict(zip(spin.tfim(3, 0.5).labels, spin.tfim(3, 0.5).coeffs)) == {
        "IZZ": -1.0,
        "ZZI": -1.0,
        "IIX": -0.5,
        "IXI": -0.5,
        "XII": -0.5,
    }
    assert "ZIZ" in spin.tfim(3, periodic=True).labels
    assert spin.heisenberg(3, periodic=True).num_terms == 9


@pytest.mark.parametrize("n", range(3, 11))
@pytest.mark.parametrize("h", [0.0, 0.4, 1.0, 2.5])
def test_periodic_tfim_free_fermion_closed_form(n, h):
    for J in (1.0, 0.7) + ((-1.0,) if n % 2 == 0 else ()):  # even antiferromagnetic ring too
        ham = spin.tfim(n, h, J, periodic=True)
        exact = ham.eigenvalues(1)[0] if n < 7 or h == 0 else spin.exact_energies(ham)[0]
        assert spin.tfim_periodic_ground_energy(n, h, J) == pytest.approx(exact, abs=1e-9)


@pytest.mark.parametrize("n", range(1, 9))
def test_open_tfim_majorana_spectrum(n):
    for h, J in ((0.3, 1.0), (1.0, 1.0), (2.0, -0.5)):
        e0, e1 = spin.tfim_open_energies(n, h, J)
        e = spin.tfim(n, h, J).eigenvalues(2)
        assert e0 == pytest.approx(e[0], abs=1e-9) and e1 == pytest.approx(e[1], abs=1e-9)


def test_tfim_limits():
    assert spin.tfim_periodic_ground_energy(12, 0.0) == pytest.approx(-12.0)
    assert spin.tfim_periodic_ground_energy(12, 3.0, 0.0) == pytest.approx(-36.0)
    with pytest.raises(ValidationError):
        spin.tfim_periodic_ground_energy(5, 1.0, -1.0)


def test_heisenberg_known_values():
    assert spin.heisenberg(2).eigenvalues(2) == pytest.approx([-3.0, 1.0])  # singlet, triplet
    assert spin.heisenberg(4, periodic=True).ground_energy() == pytest.approx(-8.0)
    assert spin.heisenberg(4, 0.5, periodic=True).ground_energy() == pytest.approx(-4.0)
    assert get_problem("heisenberg-6-periodic").e0 == pytest.approx(-11.211102550927978, abs=1e-9)


def test_spin_ids_are_built_on_the_fly():
    p = get_problem("tfim-8-0.5-periodic")
    assert (p.id, p.num_qubits, p.kind, p.metadata["h"]) == ("tfim-8-0.5-periodic", 8, "spin", 0.5)
    assert p.e0 == pytest.approx(spin.tfim_periodic_ground_energy(8, 0.5), abs=1e-9)
    assert get_problem("TFIM-4-1").id == "tfim-4-1.0"
    big = get_problem("tfim-24-1.0")  # open chain: free fermions, no diagonalisation
    assert big.e0 == pytest.approx(spin.tfim_open_energies(24, 1.0)[0]) and big.e1 > big.e0
    p = get_problem("heisenberg-5")
    assert p.e0 == pytest.approx(p.hamiltonian.ground_energy(), abs=1e-9)
    p = get_problem("heisenberg-8-periodic")  # sparse path vs dense diagonalisation
    assert [p.e0, p.e1] == pytest.approx(np.linalg.eigvalsh(p.hamiltonian.to_matrix())[:2], abs=1e-9)
    assert p.is_solved(p.e0 + 1e-3) and not p.is_solved(p.e0 + 2e-3)


# ---------------------------------------------------------------------------- bad input
def test_unknown_id_lists_close_matches():
    with pytest.raises(UnknownProblemError, match=r"lih-4q-3.4") as info:
        get_problem("lih-4q-3.3")
    assert "Close matches" in str(info.value)
    with pytest.raises(UnknownProblemError, match="tfim-<n>-<h>"):
        get_problem("tfim-four")
    for bad in ("", None, 3):
        with pytest.raises(ValidationError):
            get_problem(bad)
    with pytest.raises(ValidationError, match="qubits >= 3"):
        get_problem("heisenberg-2-periodic")


@pytest.mark.parametrize(
    "geometry, match",
    [
        ("H 0 0 0; H 0 0", "4 fields"),
        ("Xx 0 0 0", "unknown element"),
        ("H 0 0 a", "not a number"),
        ("H 0 0 0; H 0 0 0", "same place"),
        ("", "non-empty"),
        (" ; ", "no atoms"),
        ("H 0 0 nan", "non-finite"),
    ],
)
def test_malformed_geometry(geometry, match):
    with pytest.raises(ValidationError, match=match):
        molecules.parse_geometry(geometry)


def test_geometry_round_trip():
    atoms = molecules.parse_geometry("li 0 0 0\nH, 0, 0, 1.6")
    assert atoms == [("Li", 0.0, 0.0, 0.0), ("H", 0.0, 0.0, 1.6)]
    assert molecules.format_geometry(atoms) == "Li 0.0 0.0 0.0; H 0.0 0.0 1.6"


def test_active_space_selection():
    # LiH STO-3G: 6 MOs, 2+2 electrons, Li 1s frozen, the pi pair (3, 4) removed
    core, act, (na, nb) = select_orbitals(6, 2, 2, 1, [-3, -2])
    assert (core, act, na, nb) == ([0], [1, 2, 5], 1, 1)
    core, act, _ = select_orbitals(7, 5, 5, 0, (), 4, 4)  # H2O 4e in 4o
    assert (core, act) == ([0, 1, 2], [3, 4, 5, 6])
    assert core_orbital_count([("Li", 0, 0, 0), ("H", 0, 0, 1)]) == 1
    assert core_orbital_count([("Na", 0, 0, 0), ("O", 0, 0, 1)]) == 6
    for args, match in [
        ((6, 2, 2, 1, (), 4, 3), "do not fit"),
        ((7, 5, 5, 0, (), 4, 6), "does not fit"),
        ((6, 2, 2, 0, [0]), "occupied"),
        ((6, 2, 2, 0, [9]), "out of range"),
        ((6, 2, 2, 3), "freeze"),
        ((6, 2, 2, 0, (), 3), "do not fit"),
        ((6, 2, 2, 0, [4, -2]), "twice"),
        ((6, 2, 2, 0, (), 0), "positive"),
    ]:
        with pytest.raises(ValidationError, match=match):
            select_orbitals(*args)


def test_generator_rejects_bad_input_before_needing_pyscf(capsys):
    from crlqas.qnoise.problems.generate import main

    assert main(["--id", "x", "--geometry", "H 0 0 0; H 0 0"]) == 2
    assert "4 fields" in capsys.readouterr().err
    assert main(["--id", "x", "--geometry", "H 0 0 0; H 0 0 1", "--mapping", "jw", "--two-qubit-reduction"]) == 2
    assert "parity" in capsys.readouterr().err
    assert main(["--id", "x", "--geometry", "H 0 0 0; H 0 0 1", "--remove-orbitals", "a,b"]) == 2


# ---------------------------------------------------------------------------- files, registry, CLI
def test_load_from_path_and_register(tmp_path):
    rec = molecules.load_record("h2-2q")
    rec["id"] = "my-h2"
    path = tmp_path / "my-h2.json"
    path.write_text(json.dumps(rec))
    p = load_problem(path)
    assert isinstance(p, Problem) and p.id == "my-h2" and p.e0 == get_problem("h2-2q").e0
    assert get_problem(str(path)).id == "my-h2"
    register_problem(p)
    assert get_problem("my-h2") is p and "my-h2" in list_problems()
    with pytest.raises(ValidationError, match="already taken"):
        register_problem(Problem(**{**p.__dict__, "id": "h2-2q"}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**rec, "num_qubits": 3}))
    with pytest.raises(ValidationError, match="num_qubits"):
        load_problem(bad)


def test_cli_list_and_show(capsys):
    from crlqas.cli import main

    assert main(["problems", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} >= set(QUBITS)
    assert set(rows[0]) == {"id", "num_qubits", "num_terms", "constant", "e0", "e1", "lower_bound", "description"}
    assert main(["problems", "show", "h2-2q", "--json", "--terms"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_qubits"] == 2 and len(info["terms"]) == info["num_terms"] == 4
    assert main(["problems", "show", "lih-4q-1.2"]) == 0
    assert "frozen core" in capsys.readouterr().out
    assert main(["problems", "list"]) == 0 and "tfim-<n>-<h>" in capsys.readouterr().out
    assert main(["problems", "show", "h2-5q"]) == 2
    assert "h2-2q" in capsys.readouterr().err


# ---------------------------------------------------------------------------- with PySCF (CI)
@pytest.mark.pyscf
@pytest.mark.parametrize("pid", SHIPPED_IDS)
def test_molecule_e0_equals_independent_pyscf_casci(pid):
    """E0 of the stored qubit terms = PySCF CASCI on the same active space (no qubit mapping)."""
    pytest.importorskip("pyscf")
    from pyscf import gto, mcscf, scf

    rec = molecules.load_record(pid)
    ref = rec["reference"]
    mol = gto.M(
        atom=rec["geometry"], basis=rec["basis"], charge=rec["charge"], spin=rec["spin"], unit="Angstrom", verbose=0
    )
    mf = scf.RHF(mol).run(conv_tol=1e-12)
    active = ref["active_orbitals"]
    mc = mcscf.CASCI(mf, len(active), tuple(ref["active_electrons"]))
    assert mc.ncore == len(ref["core_orbitals"])
    assert sorted(o for o in range(mol.nao) if o not in active)[: mc.ncore] == ref["core_orbitals"]
    e_casci = mc.kernel(mc.sort_mo(active, base=0))[0]
    assert get_problem(pid).e0 == pytest.approx(e_casci, abs=1e-6)
    assert mf.e_tot == pytest.approx(ref["hf_energy"], abs=1e-8)


@pytest.mark.pyscf
def test_h2_equals_full_ci():
    pytest.importorskip("pyscf")
    from pyscf import fci, gto, scf

    mf = scf.RHF(gto.M(atom="H 0 0 0; H 0 0 0.7414", basis="sto3g", verbose=0)).run()
    assert get_problem("h2-4q").e0 == pytest.approx(fci.FCI(mf).kernel()[0], abs=1e-8)


@pytest.mark.pyscf
def test_generator_reproduces_shipped_files_and_handles_new_molecules(tmp_path, capsys):
    pytest.importorskip("pyscf")
    pytest.importorskip("qiskit_nature")
    from crlqas.qnoise.problems.generate import SHIPPED_BY_ID, MoleculeSpec, build_record, dumps, main

    for pid in ("h2-3q", "lih-4q-2.2"):
        new, old = build_record(SHIPPED_BY_ID[pid]), molecules.load_record(pid)
        assert new["terms"].keys() == old["terms"].keys()
        assert max(abs(new["terms"][k] - old["terms"][k]) for k in old["terms"]) < 1e-9
        assert new["e0"] == pytest.approx(old["e0"], abs=1e-9)
        assert json.loads(dumps(new)) == new
    out = tmp_path / "lih.json"
    assert (
        main(
            [
                "--id",
                "lih-4q-1.6",
                "--geometry",
                "Li 0 0 0; H 0 0 1.6",
                "--freeze-core",
                "--remove-orbitals",
                "pi",
                "--mapping",
                "parity",
                "--two-qubit-reduction",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    p = load_problem(out)
    assert p.num_qubits == 4 and p.e0 == pytest.approx(-7.8811, abs=5e-4)
    assert p.e0 == pytest.approx(p.hamiltonian.ground_energy(), abs=1e-9)
    h2 = {
        m: build_record(MoleculeSpec("h2", "H 0 0 0; H 0 0 0.7414", mapping=m, z2_tapering=z))
        for m, z in (("bk", 0), ("jw", -1))
    }
    assert h2["bk"]["num_qubits"] == 4 and h2["jw"]["num_qubits"] == 1
    for rec in h2.values():
        assert rec["e0"] == pytest.approx(get_problem("h2-2q").e0, abs=1e-9)
    assert (
        main(["--id", "x", "--geometry", "Li 0 0 0; H 0 0 1.6", "--active-electrons", "4", "--active-orbitals", "1"])
        == 2
    )
    assert "does not fit" in capsys.readouterr().err
    assert (
        main(["--id", "x", "--geometry", "O 0 0 0; H 0.757 0.586 0; H -0.757 0.586 0", "--remove-orbitals", "pi"]) == 2
    )
    assert "no pi orbitals" in capsys.readouterr().err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySCF suggests basis-set-exchange
        assert main(["--id", "x", "--geometry", "H 0 0 0; H 0 0 1", "--basis", "nope"]) == 2
    assert "PySCF rejected" in capsys.readouterr().err
