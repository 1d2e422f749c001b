"""Variational classifiers (crlqas.qnoise.classifier, crlqas classify, examples/classify.py): the
circuit and its class probabilities against dense references, data handling, training, the CLI."""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import subprocess
import sys
from functools import reduce

import numpy as np
import pytest

from crlqas.cli import main
from crlqas.qnoise import Hamiltonian, NoiseModel, Simulator, channels
from crlqas.qnoise.classifier import (
    VariationalClassifier,
    class_observables,
    classifier_circuit,
    cross_entropy,
    train_classifier,
)
from crlqas.qnoise.errors import ValidationError

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

# ---------------------------------------------------------------------------- dense references
I2 = np.eye(2, dtype=complex)
PAULIS = [I2, np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]]), np.diag([1.0 + 0j, -1.0])]


def _ry(t):
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def _on(n, ops: dict) -> np.ndarray:
    """The 2^n matrix of single-qubit ``ops`` {qubit: 2x2} (bit q of an index = qubit q)."""
    return reduce(np.kron, [ops.get(q, I2) for q in reversed(range(n))])


def _cx(n, c, t) -> np.ndarray:
    m = np.zeros((2**n, 2**n))
    for b in range(2**n):
        m[b ^ (((b >> c) & 1) << t), b] = 1.0
    return m


def _reference_gates(n, reps, x, w):
    """The documented circuit, built here from its description: (unitary, qubits touched) in order."""
    gates = [(_on(n, {q: _ry(x[q])}), (q,)) for q in range(n)]
    k = iter(w)
    for layer in range(reps + 1):
        for q in range(n):
            gates.append((_on(n, {q: _ry(next(k))}), (q,)))
            gates.append((_on(n, {q: _rz(next(k))}), (q,)))
        if layer < reps:
            gates += [(_cx(n, q, q + 1), (q, q + 1)) for q in range(n - 1)]
    return gates


def _depolarize(rho, n, qubits, p):
    """``(1 - p) rho + p / 4^k sum_P P rho P`` over the Paulis ``P`` on ``qubits``."""
    ops = [_on(n, {q: PAULIS[i] for q, i in zip(qubits, combo)}) for combo in np.ndindex(*(4,) * len(qubits))]
    return (1 - p) * rho + p / len(ops) * sum(o @ rho @ o.conj().T for o in ops)


def _class_probs(bit_probs, k):
    return np.array([bit_probs[np.arange(bit_probs.size) % k == c].sum() for c in range(k)])


def _reference_probs(n, reps, k, x, w, p1=0.0, p2=0.0, readout=()):
    """Dense density-matrix class probabilities: depolarizing p1 after RY/RZ, p2 after CX, then the
    per-qubit readout matrices ``readout[q] = (P(1|0), P(0|1))``, then ``b mod k``."""
    rho = np.zeros((2**n, 2**n), complex)
    rho[0, 0] = 1.0
    for u, qubits in _reference_gates(n, reps, x, w):
        rho = u @ rho @ u.conj().T
        p = p1 if len(qubits) == 1 else p2
        if p:
            rho = _depolarize(rho, n, qubits, p)
    probs = np.real(np.diag(rho))
    if readout:
        probs = _on(n, {q: np.array([[1 - a, b], [a, 1 - b]]) for q, (a, b) in enumerate(readout)}).real @ probs
    return _class_probs(probs, k)


# ---------------------------------------------------------------------------- circuit and model
@pytest.mark.parametrize("n, reps, k", [(1, 0, 2), (2, 1, 2), (3, 2, 2), (3, 1, 3), (3, 2, 5), (2, 0, 4)])
def test_noiseless_probabilities_match_a_dense_statevector(n, reps, k):
    rng = np.random.default_rng(n * 10 + reps + k)
    model = VariationalClassifier(n, k, reps)
    assert model.circuit.num_parameters == n + 2 * n * (reps + 1) == n + model.num_weights
    assert model.circuit.count_ops().get("cx", 0) == reps * (n - 1)
    x = rng.uniform(0, math.pi, (4, n))
    w = rng.uniform(-math.pi, math.pi, model.num_weights)
    got = model.probabilities(w, x)
    for i in range(4):
        psi = reduce(lambda s, g: g[0] @ s, _reference_gates(n, reps, x[i], w), np.eye(2**n)[:, 0].astype(complex))
        np.testing.assert_allclose(got[i], _class_probs(np.abs(psi) ** 2, k), atol=1e-12)
    np.testing.assert_array_equal(model.predict(w, x), np.argmax(got, axis=1))


@pytest.mark.parametrize("k", [2, 3])
def test_noisy_probabilities_match_a_dense_density_matrix(k):
    n, reps, p1, p2 = 3, 1, 0.02, 0.05
    readout = [(0.02, 0.05), (0.1, 0.03), (0.04, 0.08)]
    noise = NoiseModel("test").add_all_qubit_error(channels.depolarizing(p1, 1), ["ry", "rz"])
    noise.add_all_qubit_error(channels.depolarizing(p2, 2), ["cx"])
    for q, (a, b) in enumerate(readout):
        noise.add_readout_error(channels.ReadoutError(a, b), q)
    model = VariationalClassifier(n, k, reps, noise)
    rng = np.random.default_rng(k)
    x = rng.uniform(0, math.pi, (3, n))
    w = rng.uniform(-math.pi, math.pi, model.num_weights)
    got = model.probabilities(w, x)
    for i in range(3):
        np.testing.assert_allclose(got[i], _reference_probs(n, reps, k, x[i], w, p1, p2, readout), atol=1e-12)


def test_model_output_is_the_simulators_expectation_under_a_device_preset():
    model = VariationalClassifier(4, 3, 2, "mumbai-median")
    assert model.noise == "mumbai-median" and len(model.simulators) == 2
    rng = np.random.default_rng(5)
    x = rng.uniform(0, math.pi, (5, 4))
    w = rng.uniform(-1, 1, model.num_weights)
    got = model.probabilities(w, x)
    circuit = classifier_circuit(4, 2)
    for c, h in enumerate(class_observables(4, 3), start=1):
        sim = Simulator(circuit, h, model.noise_model)
        np.testing.assert_allclose(got[:, c], [sim.energy(np.concatenate([xi, w])) for xi in x], atol=1e-13)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-13)
    assert np.all((got > 0) & (got < 1))


def _diagonal(h: Hamiltonian) -> np.ndarray:
    """``<b|h|b>`` from the Z-string labels (label character ``n - 1 - q`` is qubit ``q``)."""
    n, b = h.num_qubits, np.arange(2**h.num_qubits)
    out = np.full(2**n, h.constant)
    for label, coeff in zip(h.labels, h.coeffs):
        assert set(label) <= {"I", "Z"}
        out += coeff * np.prod([1 - 2 * ((b >> q) & 1) for q in range(n) if label[n - 1 - q] == "Z"], axis=0)
    return out


def test_class_observables_are_the_bitstring_mod_k_projectors():
    (p1,) = class_observables(3, 2)  # qubit 0's outcome: (I - Z_0) / 2
    assert p1.constant == 0.5 and dict(zip(p1.labels, p1.coeffs)) == {"IIZ": -0.5}
    for n, k in ((3, 3), (4, 5), (2, 4)):
        for c, h in enumerate(class_observables(n, k), start=1):
            np.testing.assert_allclose(_diagonal(h), np.arange(2**n) % k == c, atol=1e-14)
    with pytest.raises(ValidationError, match="5 classes need at least 3 qubits"):
        class_observables(2, 5)


def test_shots_sample_class_frequencies():
    model = VariationalClassifier(2, 2, 1)
    rng = np.random.default_rng(0)
    x, w = rng.uniform(0, math.pi, (50, 2)), rng.uniform(-1, 1, model.num_weights)
    exact = model.probabilities(w, x)
    sampled = model.sampled_probabilities(w, x, 4000, np.random.default_rng(1))
    np.testing.assert_allclose(sampled * 4000, np.round(sampled * 4000), atol=1e-9)
    z = (sampled[:, 1] - exact[:, 1]) / np.sqrt(exact[:, 1] * exact[:, 0] / 4000 + 1e-12)
    assert np.abs(z).max() < 5
    y = rng.integers(0, 2, 50)
    a = model.loss(w, x, y, 100, np.random.default_rng(3))
    assert a == model.loss(w, x, y, 100, np.random.default_rng(3)) != model.loss(w, x, y)
    assert cross_entropy(np.array([[0.0, 1.0]]), [0]) == pytest.approx(-math.log(1e-10))


def test_bad_model_inputs():
    with pytest.raises(ValidationError, match="reps must be an integer"):
        classifier_circuit(3, -1)
    model = VariationalClassifier(2, 2, 0)
    with pytest.raises(ValidationError, match="4 weights"):
        model.probabilities(np.zeros(3), np.zeros((1, 2)))
    with pytest.raises(ValidationError, match=r"shape \(samples, 2\)"):
        model.probabilities(np.zeros(4), np.zeros((1, 3)))
    with pytest.raises(ValidationError, match="unknown noise preset"):
        VariationalClassifier(2, 2, 0, "mumbai-medain")


# ---------------------------------------------------------------------------- data, metrics, baselines
@needs_sklearn
def test_datasets_split_and_encode():
    from crlqas.qnoise.classifier import DATASETS, load_dataset

    for name, (_, samples, _, classes) in DATASETS.items():
        d = load_dataset(name, 3, seed=7)
        assert d.num_classes == classes and d.y_train.size + d.y_test.size == samples
        assert d.x_train.shape == (d.y_train.size, 3) and d.x_test.shape == (d.y_test.size, 3)
        assert d.x_train.min() == pytest.approx(0.0) and d.x_train.max() == pytest.approx(math.pi)
        # stratified: every class's share of the test part is its share of the whole, to one sample
        counts = np.bincount(np.concatenate([d.y_train, d.y_test]))
        assert np.all(np.abs(np.bincount(d.y_test) - counts * d.y_test.size / samples) <= 1)
    a, b, c = load_dataset("wine", 5, 3), load_dataset("wine", 5, 3), load_dataset("wine", 5, 4)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.y_test, c.y_test) or not np.array_equal(a.x_test, c.x_test)
    assert load_dataset("breast-cancer", 5).class_names == ("malignant", "benign")


@needs_sklearn
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda ld: ld("mnist"), "unknown dataset 'mnist'; allowed: breast-cancer, wine, iris"),
        (lambda ld: ld("iris", 5), r"features must be an integer in 1..4 \(dataset 'iris' has 4"),
        (lambda ld: ld("breast-cancer", 11), r"in 1..10 .*at most 10"),
        (lambda ld: ld("wine", 0), "features must be"),
        (lambda ld: ld("wine", 2, -1), "seed must be"),
        (lambda ld: ld("wine", 2, 0, 1.5), "test_fraction"),
    ],
)
def test_bad_dataset_inputs(call, match):
    from crlqas.qnoise.classifier import load_dataset

    with pytest.raises(ValidationError, match=match):
        call(load_dataset)


@needs_sklearn
def test_metrics_and_baselines():
    from crlqas.qnoise.classifier import classical_baselines, classification_metrics, load_dataset

    m = classification_metrics([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2)  # class 1: tp 2, fp 1, fn 1
    assert m == pytest.approx({"accuracy": 0.6, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    m = classification_metrics([0, 1, 2, 2], [0, 2, 2, 2], 3)  # per class p: 1, 0, 2/3; r: 1, 0, 1
    assert m == pytest.approx({"accuracy": 0.75, "precision": 5 / 9, "recall": 2 / 3, "f1": (1 + 0.8) / 3})
    base = classical_baselines(load_dataset("iris", 2), seed=0)
    assert list(base) == ["svm", "gradient-boosting", "random-forest"]
    assert all(0.7 < b["test"]["accuracy"] <= 1 for b in base.values())


# ---------------------------------------------------------------------------- training
def _blobs(seed=0):
    """Two well separated Gaussian blobs of angles in 2-D (a toy, linearly separable problem), labelled
    against the untrained model's guess (near-zero weights: ``P(1) ~ (1 - cos x_0) / 2``)."""
    from crlqas.qnoise.classifier.data import Dataset

    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], 40)
    x = np.where(y[:, None] == 0, 2.5, 0.6) + 0.25 * rng.standard_normal((80, 2))
    return Dataset("blobs", x[::2], y[::2], x[1::2], y[1::2], ("a", "b"), seed, 0.5, 1.0)


@pytest.mark.parametrize(
    "optimizer, epochs, noise, options",
    [
        ("aqgd", 10, None, {}),
        ("aqgd", 10, "mumbai-median", {}),
        ("cobyla", 40, "mumbai-median", {}),
        ("spsa", 40, None, {}),
        ("adam-spsa", 40, "depol-1e-3", {}),
        ("adam-spsa", 40, None, {"alpha": 0.602}),
    ],
)
def test_training_improves_the_loss_on_separable_data(optimizer, epochs, noise, options):
    data = _blobs()
    model = VariationalClassifier(2, 2, 1, noise)
    r = train_classifier(model, data, optimizer, epochs, seed=1, optimizer_options=options)
    assert r.epochs_run == epochs and len(r.curve["train_loss"]) == epochs + 1 and r.nfev == r.budget
    assert r.budget == {"aqgd": epochs * (2 * 8 + 1), "cobyla": epochs, "spsa": 50 + 2 * epochs}.get(
        optimizer, 2 * epochs
    )
    assert r.curve["train_loss"][0] > 1.0 and r.train_loss < 0.5 * r.curve["train_loss"][0]
    assert np.mean(model.predict(r.weights, data.x_test) == data.y_test) >= 0.9
    assert r.time_per_epoch_s > 0 and r.time_s > 0
    again = train_classifier(model, data, optimizer, epochs, seed=1, optimizer_options=options)
    np.testing.assert_array_equal(again.weights, r.weights)


def test_training_with_shots_and_bad_inputs():
    data = _blobs(1)
    model = VariationalClassifier(2, 2, 1, "depol-1e-3")
    r = train_classifier(model, data, "adam-spsa", 30, seed=2, shots=200)
    assert r.shots == 200 and r.train_loss < 0.5 * r.curve["train_loss"][0]
    with pytest.raises(ValidationError, match="unknown classifier optimizer 'adam'; allowed: aqgd, cobyla, spsa"):
        train_classifier(model, data, "adam")
    with pytest.raises(ValidationError, match="epochs must be"):
        train_classifier(model, data, "aqgd", 0)
    with pytest.raises(ValidationError, match="the model takes 3 features"):
        train_classifier(VariationalClassifier(3, 2, 0), data, "aqgd", 1)
    with pytest.raises(ValidationError, match="option"):
        train_classifier(model, data, "aqgd", 1, optimizer_options={"bogus": 1})


# ---------------------------------------------------------------------------- layering, CLI, example
def test_importing_qnoise_and_the_classifier_does_not_import_sklearn_or_matplotlib():
    code = (
        "import sys, crlqas.qnoise, crlqas.qnoise.classifier as c\n"
        "import crlqas.qnoise.classifier.run, crlqas.qnoise.classifier.plots, crlqas.cli.classify\n"
        "c.VariationalClassifier\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'matplotlib'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@needs_sklearn
def test_cli_happy_path_writes_result_and_curve(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    argv = ["classify", "--dataset", "iris", "--features", "2", "--optimizer", "cobyla", "--epochs", "6"]
    assert main([*argv, "--reps", "1", "--noise", "mumbai-median", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for word in ("quantum (cobyla, mumbai-median)", "svm", "gradient-boosting", "random-forest", "precision", "F1"):
        assert word.lower() in text.lower()
    result = json.loads((out / "result.json").read_text())
    assert result["training"]["epochs_run"] == 6 and len(result["training"]["curve"]["test_accuracy"]) == 7
    assert set(result["baselines"]) == {"svm", "gradient-boosting", "random-forest"}
    assert (out / "training_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert main([*argv, "--reps", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"].keys() == {"accuracy", "precision", "recall", "f1"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "mnist"], "unknown dataset 'mnist'; allowed: breast-cancer, wine, iris"),
        (["--dataset", "iris", "--features", "5"], "features must be an integer in 1..4"),
        (["--dataset", "iris", "--optimizer", "lbfgs"], "unknown classifier optimizer 'lbfgs'; allowed"),
        (["--dataset", "iris", "--features", "2", "--noise", "nosuch"], "unknown noise preset 'nosuch'"),
        (["--dataset", "iris", "--out", "{file}"], "is a file; give a directory"),
    ],
)
def test_cli_errors_exit_2_before_work(argv, message, tmp_path, capsys):
    if importlib.util.find_spec("sklearn") is None and "--noise" not in argv:
        pytest.skip("needs scikit-learn")
    afile = tmp_path / "afile"
    afile.write_text("x")
    argv = [a.replace("{file}", str(afile)) for a in argv]
    assert main(["classify", *argv, "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crlqas: error: ") and message in err and "Traceback" not in err


@needs_sklearn
def test_example_runs_with_a_tiny_budget(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("example_classify", EXAMPLES / "classify.py")
    ex = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = ex  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(ex)
    ex.main(ex.Args(dataset="wine", features=3, epochs=2, reps=1, shots=100, out=str(tmp_path)))
    assert "quantum (aqgd, mumbai-median)" in capsys.readouterr().out
    assert (tmp_path / "result.json").exists() and (tmp_path / "training_curve.png").exists()
