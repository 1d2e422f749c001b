"""Smoke tests: every example runs straight through with a tiny budget."""

import importlib.util
import pathlib
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_noisy_energy(capsys):
    ex = _load("noisy_energy")
    ex.main(ex.Args())
    assert "noiseless" in capsys.readouterr().out


def test_vqe_h2(capsys):
    ex = _load("vqe_h2")
    ex.main(ex.Args(budget=60, shots=1000))
    assert "error" in capsys.readouterr().out


def test_train_then_verify_and_submit(tmp_path, capsys):
    pytest.importorskip("stable_baselines3")
    train = _load("train_h2")
    run = tmp_path / "run"
    train.main(train.Args(episodes=3, eval_every=0, stop_on_success=0, out=str(run)))
    assert (run / "config.json").exists()
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("qiskit_ibm_runtime")
    ex = _load("verify_and_submit")
    out = tmp_path / "submit.json"
    ex.main(ex.Args(run=str(run), shots=2000, out=str(out)))
    assert out.exists()
    assert "verify on" in capsys.readouterr().out
