"""The ``crlqas`` command line: dispatch, error reporting, and a ``bench simulator`` smoke run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import DATA_DIR

from crlqas.cli import main


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    assert "bench" in capsys.readouterr().out
    assert main([]) == 2
    assert main(["bench"]) == 2
    assert "simulator" in capsys.readouterr().out


def test_usage_error_exit_code(capsys):
    assert main(["bench", "simulator", "--repeats", "0"]) == 2
    assert "positive integer" in capsys.readouterr().err


def test_bench_simulator_smoke(tmp_path, capsys):
    out = tmp_path / "res" / "bench.json"
    rc = main(
        [
            "bench",
            "simulator",
            "--workloads",
            str(DATA_DIR / "qas_n2_g20_depol.json"),
            "--repeats",
            "3",
            "--batch",
            "4",
            "--peers",
            "none",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "qas_n2_g20_depol" in text and f"wrote {out}" in text
    data = json.loads(out.read_text())
    assert set(data) >= {"workloads", "machine", "versions"}
    (row,) = data["workloads"]
    assert row["name"] == "qas_n2_g20_depol" and row["n_qubits"] == 2 and row["n_gates"] == 20
    assert abs(row["energy"] - row["reference_energy"]) < 1e-10
    us = row["us_per_eval"]
    assert set(us) == {"qnoise", "qnoise_batch"}
    assert us["qnoise"] > 0 and us["qnoise_batch"] > 0
    assert not list(out.parent.glob(".*.tmp"))  # atomic write leaves no temporary file


@pytest.mark.qiskit
def test_bench_simulator_peers(tmp_path, capsys):
    pytest.importorskip("qiskit_aer")
    out = tmp_path / "bench.json"
    rc = main(
        [
            "bench",
            "simulator",
            "--workloads",
            str(DATA_DIR / "qas_n2_g20_thermal.json"),
            "--repeats",
            "2",
            "--batch",
            "2",
            "--peers",
            "aer",
            "--json",
            str(out),
        ]
    )
    assert rc == 0, capsys.readouterr().out
    (row,) = json.loads(out.read_text())["workloads"]
    assert row["us_per_eval"]["aer"] > 0
    assert row["abs_dE"]["aer"] < 1e-8


def test_bad_workload_path(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    assert main(["bench", "simulator", "--workloads", str(missing), "--peers", "none"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crlqas: error: workload file not found") and str(missing) in err
    assert "Traceback" not in err


def test_malformed_workload_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"n_qubits": 2}))
    assert main(["bench", "simulator", "--workloads", str(bad), "--peers", "none"]) == 2
    assert "crlqas: error: workload" in capsys.readouterr().err


def test_unknown_peer(capsys):
    rc = main(["bench", "simulator", "--workloads", str(DATA_DIR / "qas_n2_g20_depol.json"), "--peers", "cirq"])
    assert rc == 2
    assert "unknown peer 'cirq'" in capsys.readouterr().err


def test_cli_import_is_light():
    code = (
        "import sys, crlqas.cli as c; c.build_parser(); "
        "heavy = [m for m in ('numba', 'torch', 'qiskit', 'numpy') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=DATA_DIR.parent.parent)
