"""The command line on bad files and unwritable outputs: ``crlqas: error: ...`` (or argparse's own
usage error) naming the file, exit status 2, never a traceback, and no work done first."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crlqas.cli import main

pytest.importorskip("qiskit")

NOT_UTF8 = b"\xff\xfe\x00\x81 OPENQASM"
GOOD_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nry(0.1) q[0];\ncx q[0],q[1];\n'


def _files(tmp_path):
    """name -> path of a bad file, and a good circuit."""
    files = {
        "binary.qasm": NOT_UTF8,
        "garbage.qasm": b"this is not a circuit\n",
        "binary.json": NOT_UTF8,
        "truncated.json": b'{"terms": [["ZZ", 1.0], ',
        "list.json": b"[1, 2, 3]",
        "badterms.json": b'{"terms": [["ZZ", 1.0], "XX"]}',
        "binary.toml": NOT_UTF8,
        "invalid.toml": b"[env\nproblem = 1",
        "good.qasm": GOOD_QASM.encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "afile").write_text("x")
    return tmp_path


BAD_INPUTS = {
    "qasm not utf-8": (["energy", "--problem", "h2-2q", "--qasm", "{d}/binary.qasm"], "binary.qasm"),
    "qasm garbage": (["energy", "--problem", "h2-2q", "--qasm", "{d}/garbage.qasm"], "OpenQASM"),
    "qasm missing": (["energy", "--problem", "h2-2q", "--qasm", "{d}/missing.qasm"], "missing.qasm"),
    "qasm is a directory": (["energy", "--problem", "h2-2q", "--qasm", "{d}"], "is a directory"),
    "hamiltonian not utf-8": (["energy", "--hamiltonian", "{d}/binary.json", "--qasm", "{d}/good.qasm"], "binary.json"),
    "hamiltonian truncated": (
        ["energy", "--hamiltonian", "{d}/truncated.json", "--qasm", "{d}/good.qasm"],
        "valid JSON",
    ),
    "hamiltonian list": (["energy", "--hamiltonian", "{d}/list.json", "--qasm", "{d}/good.qasm"], "JSON object"),
    "hamiltonian bad terms": (["energy", "--hamiltonian", "{d}/badterms.json", "--qasm", "{d}/good.qasm"], "entry 1"),
    "noise model not utf-8": (["noise", "show", "{d}/binary.json"], "binary.json"),
    "noise model truncated": (["noise", "show", "{d}/truncated.json"], "truncated.json"),
    "problem file not utf-8": (["problems", "show", "{d}/binary.json"], "binary.json"),
    "workload not utf-8": (["bench", "simulator", "--workloads", "{d}/binary.json", "--peers", "none"], "binary.json"),
    "config not utf-8": (["train", "--config", "{d}/binary.toml"], "binary.toml"),
    "config invalid toml": (["train", "--config", "{d}/invalid.toml"], "not valid TOML"),
    "config truncated json": (["train", "--config", "{d}/truncated.json"], "truncated.json"),
    "vqe qasm not utf-8": (["vqe", "--problem", "h2-2q", "--qasm", "{d}/binary.qasm"], "binary.qasm"),
    "verify qasm not utf-8": (
        ["verify", "--backend", "fake_manila", "--problem", "h2-2q", "--qasm", "{d}/binary.qasm"],
        "binary.qasm",
    ),
}

BAD_OUTPUTS = {
    "vqe --out under a file": (
        ["vqe", "--problem", "h2-2q", "--ansatz", "hea:1", "--out", "{d}/afile/r.json"],
        "afile",
    ),
    "vqe --out a directory": (["vqe", "--problem", "h2-2q", "--ansatz", "hea:1", "--out", "{d}"], "is a directory"),
    "vqe --plot under a file": (
        ["vqe", "--problem", "h2-2q", "--ansatz", "hea:1", "--plot", "{d}/afile/p.png"],
        "afile",
    ),
    "bench --json under a file": (
        ["bench", "simulator", "--workloads", "{d}/binary.json", "--json", "{d}/afile/b.json"],
        "afile",
    ),
    "submit --out a directory": (
        ["submit", "--backend", "fake_manila", "--problem", "h2-2q", "--qasm", "{d}/good.qasm", "--out", "{d}"],
        "is a directory",
    ),
}


def _fails(argv, expected, tmp_path, capsys):
    """Run ``argv`` (``{d}`` is the folder of :func:`_files`): exit status 2, ``expected`` in the
    error and no traceback; returns ``(stdout, stderr)``."""
    d = _files(tmp_path)
    code = main([a.format(d=d) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert expected in err and "Traceback" not in err + out, err
    return out, err


@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
def test_bad_input_files(case, tmp_path, capsys):
    _, err = _fails(*BAD_INPUTS[case], tmp_path, capsys)
    assert "crlqas: error:" in err, err


@pytest.mark.parametrize("case", BAD_OUTPUTS, ids=str)
def test_unwritable_outputs_fail_before_any_work(case, tmp_path, capsys):
    out, err = _fails(*BAD_OUTPUTS[case], tmp_path, capsys)
    assert "error:" in err, err
    assert out == "", "nothing may run before the output path is checked"


def test_vqe_result_is_printed_when_writing_fails_after_the_work(tmp_path, capsys, monkeypatch):
    """If the file cannot be written after all (it vanished, the disk filled), the result is on the
    screen and the error says where it could not go."""
    from crlqas.qnoise import vqe

    def fail(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vqe.VQEResult, "write_json", fail)
    code = main(["vqe", "--problem", "h2-2q", "--ansatz", "hea:1", "--budget", "20", "--out", str(tmp_path / "r.json")])
    captured = capsys.readouterr()
    assert code == 2
    assert "energy" in captured.out
    assert "could not write the result" in captured.err and "r.json" in captured.err
    assert "printed above" in captured.err


def test_vqe_misspelt_problem_without_budget_names_the_problem(capsys):
    assert main(["vqe", "--problem", "h2-2qq", "--ansatz", "hea:1"]) == 2
    err = capsys.readouterr().err
    assert "unknown problem id 'h2-2qq'" in err and "h2-2q" in err


def test_vqe_default_budget_is_the_optimizers(capsys):
    from crlqas.qnoise.optimizers.registry import DEFAULT_BUDGETS

    assert main(["vqe", "--problem", "h2-2q", "--ansatz", "hea:1", "--optimizer", "cobyla", "--json"]) == 0
    import json

    result = json.loads(capsys.readouterr().out)
    assert result["budget"] == DEFAULT_BUDGETS["cobyla"]


def test_energy_prints_units_and_error_against_e0(tmp_path, capsys):
    d = _files(tmp_path)
    assert main(["energy", "--problem", "h2-2q", "--qasm", f"{d}/good.qasm", "--noise", "depol-1e-3"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert lines["energy"].endswith(" Ha") and lines["e0"].endswith(" Ha")
    energy, e0, error = (float(lines[k].split()[1]) for k in ("energy", "e0", "error"))
    assert error == pytest.approx(energy - e0, abs=1e-11)


def test_short_tokens_are_redacted_too(monkeypatch):
    from crlqas.qnoise.ibm import runtime

    monkeypatch.setenv(runtime.TOKEN_ENV, "k3y")
    monkeypatch.setattr(runtime, "_saved_accounts", lambda path=None: {"a": {"token": "zz"}})
    assert runtime.redact("token k3y and zz leaked") == "token <redacted> and <redacted> leaked"


def test_no_traceback_in_a_real_process(tmp_path):
    d = _files(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "crlqas", "energy", "--problem", "h2-2q", "--qasm", f"{d}/binary.qasm"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("crlqas: error:") and "Traceback" not in proc.stderr


def test_output_piped_into_a_closed_reader_is_not_an_error():
    """``crlqas problems list | head -1``: the reader closes the pipe; no error, no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crlqas", "problems", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # what `head` does once it has read enough (here: before the first write)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert "error" not in err and "Traceback" not in err
