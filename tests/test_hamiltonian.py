import itertools
import json

import numpy as np
import pytest
from helpers import random_density_matrix, random_pauli_sum

from crlqas.qnoise import oracle
from crlqas.qnoise.channels import ReadoutError
from crlqas.qnoise.errors import HamiltonianError, QubitError, SimulatorMemoryError, ValidationError
from crlqas.qnoise.hamiltonian import Hamiltonian, bit_parity
from crlqas.qnoise.paulis import PAULI_MATRICES, pauli_matrix


def kron_label(label):
    out = np.ones((1, 1), dtype=complex)
    for ch in label:  # left-most character = highest qubit = left-most kron factor
        out = np.kron(out, PAULI_MATRICES["IXYZ".index(ch)])
    return out


# ---------------------------------------------------------------------- construction
def test_basic_attributes_and_merging():
    h = Hamiltonian([("ZZ", 1.0), ("XI", 0.5), ("II", 2.0), ("ZZ", 0.25), ("YY", 0.0), ("iz", -1)], constant=-0.5)
    assert h.num_qubits == 2
    assert h.labels == ["ZZ", "XI", "IZ"]
    np.testing.assert_array_equal(h.coeffs, [1.25, 0.5, -1.0])
    assert h.coeffs.dtype == np.float64 and h.indices.dtype == np.int64
    np.testing.assert_array_equal(h.indices, [3 + 4 * 3, 4 * 1, 3])
    assert h.constant == 1.5 and isinstance(h.constant, float)
    assert h.num_terms == 3
    assert h.norm1 == pytest.approx(2.75)
    assert h.lower_bound == pytest.approx(1.5 - 2.75)
    with pytest.raises(ValueError):
        h.coeffs[0] = 3.0


def test_dict_terms_complex_with_tiny_imag_and_cancellation():
    h = Hamiltonian({"XZ": 1 + 1e-14j, "ZX": np.float32(2.0)})
    assert h.labels == ["XZ", "ZX"] and h.coeffs[0] == 1.0
    h2 = Hamiltonian([("XZ", 1.0), ("XZ", -1.0)], num_qubits=2)
    assert h2.num_terms == 0 and h2.num_qubits == 2
    assert Hamiltonian({}, constant=3.0, num_qubits=1).ground_energy() == 3.0


@pytest.mark.parametrize(
    "terms, kwargs, exc, text",
    [
        ({"XZ": 1.0, "X": 1.0}, {}, HamiltonianError, "expected 2"),
        ({"XA": 1.0}, {}, HamiltonianError, "allowed characters"),
        ({"": 1.0}, {}, HamiltonianError, "non-empty"),
        ({5: 1.0}, {}, HamiltonianError, "non-empty"),
        ({"XZ": 1j}, {}, HamiltonianError, "real"),
        ({"XZ": 1 + 1e-9j}, {}, HamiltonianError, "real"),
        ({"XZ": np.nan}, {}, HamiltonianError, "finite"),
        ({"XZ": np.inf}, {}, HamiltonianError, "finite"),
        ({"XZ": "1.0"}, {}, HamiltonianError, "real number"),
        ({"XZ": 1.0}, {"constant": np.nan}, HamiltonianError, "finite"),
        ({"XZ": 1.0}, {"num_qubits": 3}, QubitError, "expected 3"),
        ({}, {}, HamiltonianError, "num_qubits"),
        ({}, {"num_qubits": 0}, QubitError, "num_qubits"),
        ({}, {"num_qubits": 2.0}, QubitError, "integer"),
        ([("XZ", 1.0, 2.0)], {}, HamiltonianError, "pair"),
        (3, {}, HamiltonianError, "dict"),
    ],
)
def test_validation(terms, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        Hamiltonian(terms, **kwargs)
    assert issubclass(exc, ValidationError)


# ---------------------------------------------------------------------- matrices
def test_to_matrix_convention_against_kron():
    h = Hamiltonian({"XZ": 0.7, "YI": -0.3, "ZY": 0.2}, constant=0.1)
    expected = (
        0.7 * np.kron(PAULI_MATRICES[1], PAULI_MATRICES[3])
        + -0.3 * np.kron(PAULI_MATRICES[2], np.eye(2))
        + 0.2 * np.kron(PAULI_MATRICES[3], PAULI_MATRICES[2])
        + 0.1 * np.eye(4)
    )
    np.testing.assert_allclose(h.to_matrix(), expected, atol=1e-14)
    # "IX" acts on qubit 0: |00> -> |01> = basis index 1
    np.testing.assert_allclose(Hamiltonian({"IX": 1.0}).to_matrix()[:, 0], [0, 1, 0, 0])


@pytest.mark.parametrize("n", range(1, 7))
def test_sparse_equals_dense_equals_kron(n):
    rng = np.random.default_rng(n)
    h = random_pauli_sum(n, 3 * n, rng, constant=0.3)
    dense = h.to_matrix()
    expected = h.constant * np.eye(2**n, dtype=complex)
    for lab, w in zip(h.labels, h.coeffs):
        expected += w * kron_label(lab)
    np.testing.assert_allclose(dense, expected, atol=1e-12)
    np.testing.assert_allclose(h.to_matrix(sparse=True).toarray(), dense, atol=1e-12)
    for i in h.indices:
        single = Hamiltonian.from_indices([i], [1.0], n)
        np.testing.assert_allclose(single.to_matrix(), pauli_matrix(int(i), n))


def test_dense_refused_above_14_qubits():
    h = Hamiltonian({"Z" * 15: 1.0})
    with pytest.raises(SimulatorMemoryError, match="sparse=True"):
        h.to_matrix()
    assert h.to_matrix(sparse=True).shape == (2**15, 2**15)


def test_bit_parity():
    x = np.array([0, 1, 3, 7, 2**40 + 1, 2**62], dtype=np.int64)
    np.testing.assert_array_equal(bit_parity(x), [0, 1, 0, 1, 0, 1])


# ---------------------------------------------------------------------- spectrum
@pytest.mark.parametrize("n", [1, 3, 5])
def test_eigenvalues_vs_numpy(n):
    h = random_pauli_sum(n, 4 * n, np.random.default_rng(10 + n), constant=0.3)
    ref = np.linalg.eigvalsh(h.to_matrix())
    np.testing.assert_allclose(h.eigenvalues(2 if n > 1 else 1), ref[: 2 if n > 1 else 1], atol=1e-10)
    assert h.ground_energy() == pytest.approx(ref[0])
    assert h.lower_bound <= ref[0] + 1e-12


def test_eigenvalues_diagonal_path_large():
    n = 12
    h = Hamiltonian({"I" * (n - 2 - q) + "ZZ" + "I" * q: 1.0 for q in range(n - 1)}, constant=0.5)
    assert h.num_qubits == n
    # open antiferromagnetic chain: ground energy -(n-1) + constant (Neel, doubly degenerate);
    # next level: one broken bond, +2
    np.testing.assert_allclose(h.eigenvalues(3), [-(n - 1) + 0.5, -(n - 1) + 0.5, -(n - 1) + 2.5])


def test_eigenvalues_sparse_path():
    n = 11
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    terms = {}
    for q in range(n):
        pad = ("I" * (n - 1 - q), "I" * q)
        terms[pad[0] + "X" + pad[1]] = a[q]
        terms[pad[0] + "Z" + pad[1]] = b[q]
    h = Hamiltonian(terms, constant=-1.0)
    gaps = np.sqrt(a**2 + b**2)
    e0 = -gaps.sum() - 1.0
    np.testing.assert_allclose(h.eigenvalues(2), [e0, e0 + 2 * gaps.min()], atol=1e-8)


def test_eigenvalues_validates_k():
    with pytest.raises(HamiltonianError, match="k must be"):
        Hamiltonian({"XZ": 1.0}).eigenvalues(5)


# ---------------------------------------------------------------------- QWC groups
def test_qwc_groups_partition_and_commute():
    rng = np.random.default_rng(7)
    for n in range(1, 6):
        h = random_pauli_sum(n, 6 * n, rng, constant=0.3)
        groups = h.qwc_groups()
        seen = np.concatenate([pos for _, pos in groups])
        assert sorted(seen.tolist()) == list(range(h.num_terms))
        codes = h.codes
        for basis, pos in groups:
            assert basis.shape == (n,)
            for t in pos:
                c = codes[t]
                assert np.all((c == 0) | (c == basis))
            for s, t in itertools.combinations(pos, 2):
                cs, ct = codes[s], codes[t]
                assert np.all((cs == 0) | (ct == 0) | (cs == ct))
            acted = np.any(codes[pos] != 0, axis=0)
            assert np.all((basis != 0) == acted)


def test_qwc_groups_greedy_order():
    h = Hamiltonian({"XX": 0.1, "ZZ": 2.0, "ZI": 1.0, "IX": 0.5})
    groups = h.qwc_groups()
    assert [pos.tolist() for _, pos in groups] == [[1, 2], [0, 3]]
    assert groups[0][0].tolist() == [3, 3] and groups[1][0].tolist() == [1, 1]


# ---------------------------------------------------------------------- readout folding
def measured_term(rho, label, errors):
    """Brute force: rotate into the term's basis, read through assignment errors, parity mean."""
    n = len(label)
    codes = ["IXYZ".index(ch) for ch in reversed(label)]  # codes[q] for qubit q
    p = oracle.measured_distribution(rho, codes)  # ideal outcome probabilities in the term's basis
    total = 0.0
    for true in range(2**n):
        for meas in range(2**n):
            prob = p[true]
            for q in range(n):
                m = errors[q].matrix if errors[q] is not None else np.eye(2)
                prob *= m[(true >> q) & 1, (meas >> q) & 1]
            parity = sum((meas >> q) & 1 for q in range(n) if codes[q])
            total += prob * (-1) ** parity
    return total


@pytest.mark.parametrize("n", range(1, 5))
def test_readout_folded_vs_brute_force(n):
    rng = np.random.default_rng(100 + n)
    h = random_pauli_sum(n, 3 * n, rng, constant=0.7)
    errors = [ReadoutError(*rng.uniform(0, 0.2, 2)) for _ in range(n)]
    if n > 1:
        errors[0] = None
        errors[-1] = ReadoutError(0.05, 0.05)  # symmetric: a_q = 0
    rho = random_density_matrix(n, rng)
    brute = h.constant + sum(w * measured_term(rho, lab, errors) for lab, w in zip(h.labels, h.coeffs))
    idx, coeffs, const = h.readout_folded(errors)
    folded = const + sum(w * np.trace(pauli_matrix(int(i), n) @ rho).real for i, w in zip(idx, coeffs))
    assert folded == pytest.approx(brute, abs=1e-12)
    assert np.all(np.diff(idx) > 0) and np.all(idx > 0)


def test_readout_folded_identity_when_ideal():
    h = Hamiltonian({"XZ": 1.0, "ZI": -2.0}, constant=0.5)
    idx, coeffs, const = h.readout_folded([None, ReadoutError(0.0, 0.0)])
    assert Hamiltonian.from_indices(idx, coeffs, 2, const) == h
    idx, coeffs, const = h.readout_folded(None)
    assert const == 0.5 and sorted(idx.tolist()) == sorted(h.indices.tolist())


def test_readout_folded_single_qubit_formula():
    h = Hamiltonian({"Z": 1.0})
    idx, coeffs, const = h.readout_folded([ReadoutError(0.1, 0.3)])
    assert idx.tolist() == [3]
    assert coeffs[0] == pytest.approx(0.6) and const == pytest.approx(0.2)


def test_readout_folded_validates():
    h = Hamiltonian({"XZ": 1.0})
    with pytest.raises(QubitError, match="one entry"):
        h.readout_folded([None])
    with pytest.raises(HamiltonianError, match="ReadoutError"):
        h.readout_folded([None, 0.1])


# ---------------------------------------------------------------------- conversions
def test_dict_round_trip_and_json():
    h = Hamiltonian({"XZ": 1.0, "YY": -0.25}, constant=0.125)
    d = json.loads(json.dumps(h.to_dict()))
    assert d == {"num_qubits": 2, "constant": 0.125, "terms": [["XZ", 1.0], ["YY", -0.25]]}
    assert Hamiltonian.from_dict(d) == h
    with pytest.raises(HamiltonianError):
        Hamiltonian.from_dict({"constant": 1.0})


def test_equality_arithmetic_repr():
    a = Hamiltonian({"XZ": 1.0, "ZZ": 2.0})
    b = Hamiltonian({"ZZ": 2.0, "XZ": 1.0})
    assert a == b and a != Hamiltonian({"XZ": 1.0, "ZZ": 2.0}, constant=1.0)
    s = a + Hamiltonian({"XZ": -1.0}, constant=1.0)
    assert s == Hamiltonian({"ZZ": 2.0}, constant=1.0)
    assert (a + 1.0).constant == 1.0 and (2 * a).coeffs.tolist() == [2.0, 4.0]
    with pytest.raises(QubitError):
        a + Hamiltonian({"Z": 1.0})
    assert "XZ" in repr(a) and "num_qubits=2" in repr(a)


def test_sparse_pauli_op_round_trip():
    pytest.importorskip("qiskit")
    from qiskit.quantum_info import SparsePauliOp

    h = random_pauli_sum(3, 8, np.random.default_rng(5), constant=0.4)
    op = h.to_sparse_pauli_op()
    np.testing.assert_allclose(op.to_matrix(), h.to_matrix(), atol=1e-12)
    assert Hamiltonian.from_sparse_pauli_op(op) == h
    h2 = Hamiltonian.from_sparse_pauli_op(SparsePauliOp(["IZ", "XI", "II"], [1.0, 2.0, 3.0]))
    assert h2 == Hamiltonian({"IZ": 1.0, "XI": 2.0}, constant=3.0)
    with pytest.raises(HamiltonianError, match="real"):
        Hamiltonian.from_sparse_pauli_op(SparsePauliOp(["XZ"], [1j]))
