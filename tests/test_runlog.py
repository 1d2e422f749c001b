"""agents.runlog owns the run-directory format: what its writer puts in a run directory its reader
reads back (the best circuit over seeds and record kinds, the run's problem), without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from crlqas.agents.runlog import (
    atomic_write_json,
    best_circuit_records,
    best_from_run,
    record_circuit,
    run_problem,
    write_circuit,
)
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import InputFileError, ValidationError

E0 = -1.137
ANGLES = [-0.2261, 3.1416]


def circuit(extra: int = 0) -> Circuit:
    c = Circuit(2).ry(1).ry(0).cx(1, 0)
    for _ in range(extra):
        c.cx(0, 1)
    return c


def record(error: float, c: Circuit) -> dict:
    return {
        "energy": E0 + error,
        "error": error,
        "e0": E0,
        "num_gates": len(c),
        "angles": ANGLES,
        "circuit": c.to_dict(),
    }


def write_run(root, records) -> None:
    """``records``: ``{seed: {name: (error, extra_gates)}}``, written with the agents' writer."""
    atomic_write_json(root / "config.json", {"name": "t", "env": {"problem": "h2-2q"}})
    for seed, named in records.items():
        best = root / f"seed_{seed}" / "best"
        best.mkdir(parents=True)
        for name, (error, extra) in named.items():
            write_circuit(best, name, record(error, circuit(extra)))


def test_written_run_is_read_back(tmp_path):
    run = tmp_path / "run"
    write_run(run, {100: {"best_energy": (0.02, 0)}, 101: {"best_energy": (-0.003, 0), "shortest_accurate": (0.01, 0)}})
    assert (run / "seed_101" / "best" / "best_energy.qasm").exists()
    assert len(best_circuit_records(run)) == 3
    rec, path = best_from_run(run, which="lowest-energy")
    assert path.parts[-3:] == ("seed_101", "best", "best_energy.json") and rec["error"] == -0.003
    assert rec["kind"] == "lowest-energy" and rec["seed"] == 101 and rec["kind_label"]
    c, params = record_circuit(rec, path)
    assert c == circuit() and np.allclose(params, ANGLES)
    assert run_problem(path.parent) == run_problem(path) == run_problem(run) == "h2-2q"
    # by default the shortest accurate circuit (no greedy one here), not the lowest-energy one
    assert best_from_run(run)[1].parts[-3:] == ("seed_101", "best", "shortest_accurate.json")
    # one seed directory, its best/ directory, one record file
    assert best_from_run(run / "seed_100")[0]["error"] == 0.02
    assert best_from_run(run / "seed_101" / "best", "lowest-energy")[1].name == "best_energy.json"
    one = run / "seed_101" / "best" / "shortest_accurate.json"
    assert best_from_run(one) == (json.loads(one.read_text()), one)


def test_lowest_energy_over_seeds_lowest_abs_error_then_fewest_gates(tmp_path):
    run = tmp_path / "run"
    write_run(
        run,
        {
            1: {"best_energy": (-0.004, 2), "greedy": (0.004, 3)},
            2: {"first_accurate": (0.004, 1), "best_energy": (0.005, 0)},
            3: {"best_energy": (0.004, 1)},
        },
    )
    rec, path = best_from_run(run, which="lowest-energy")
    assert path.parts[-3:] == ("seed_3", "best", "best_energy.json") and rec["error"] == 0.004
    # a record without "error" is scored by energy - e0; one without either loses
    rec = record(0.0, circuit())
    del rec["error"]
    (run / "seed_4" / "best").mkdir(parents=True)
    (run / "seed_4" / "best" / "best_energy.json").write_text(json.dumps({**rec, "energy": E0 - 0.001}))
    assert best_from_run(run, "lowest-energy")[1].parts[-3:] == ("seed_4", "best", "best_energy.json")
    assert best_from_run(run)[1].parts[-3:] == ("seed_1", "best", "greedy.json")  # the default rule


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"energy": -1.1, "circuit": {"num_qu', "is not valid JSON"),  # truncated
        ("[1, 2]", "must hold a JSON object"),
        (json.dumps({k: v for k, v in record(0.0, circuit()).items() if k != "circuit"}), "no 'circuit'"),
        (json.dumps({k: v for k, v in record(0.0, circuit()).items() if k != "angles"}), "no 'angles'"),
        (json.dumps({**record(0.0, circuit()), "circuit": {"num_qubits": 2}}), "malformed circuit"),
        (json.dumps({**record(0.0, circuit()), "circuit": 3}), "malformed circuit"),
        (json.dumps({**record(0.0, circuit()), "angles": [0.1]}), "malformed angles"),
        (json.dumps({**record(0.0, circuit()), "error": "small"}), "is not a number"),
    ],
)
def test_a_damaged_record_is_an_error_naming_it(tmp_path, content, message):
    """A damaged record is reported, not passed over for another one (which would hide the damage
    and silently pick a different circuit)."""
    run = tmp_path / "run"
    write_run(run, {1: {"best_energy": (0.01, 0)}})
    bad = run / "seed_1" / "best" / "greedy.json"
    bad.write_text(content)
    with pytest.raises(InputFileError, match=message) as err:
        best_from_run(run)
    assert str(bad) in str(err.value)
    # the intact record alone still reads
    assert best_from_run(run / "seed_1" / "best" / "best_energy.json")[0]["error"] == 0.01


def test_a_damaged_config_is_an_error_naming_it(tmp_path):
    write_run(tmp_path, {1: {"best_energy": (0.01, 0)}})
    (tmp_path / "config.json").write_text('{"env": {"probl')
    with pytest.raises(InputFileError, match=r"config\.json' is not valid JSON"):
        run_problem(tmp_path / "seed_1" / "best")


def test_reader_errors(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        best_from_run(tmp_path / "missing")
    with pytest.raises(ValidationError, match="no best-circuit records"):
        best_from_run(tmp_path)
    assert run_problem(tmp_path) is None
    with pytest.raises(InputFileError, match=r"malformed circuit in best-circuit record x\.json"):
        record_circuit({"circuit": 3, "angles": []}, "x.json")


def test_reading_a_run_is_light(tmp_path):
    write_run(tmp_path, {100: {"best_energy": (0.01, 0)}})
    code = (
        "import sys; from crlqas.agents.runlog import best_from_run, record_circuit, run_problem; "
        f"rec, path = best_from_run({str(tmp_path)!r}); record_circuit(rec, path); "
        "assert run_problem(path) == 'h2-2q'; "
        "heavy = [m for m in ('torch', 'stable_baselines3', 'gymnasium', 'qiskit') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
