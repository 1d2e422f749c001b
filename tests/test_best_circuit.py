"""One meaning of "the run's circuit": every best-circuit record names its kind and episode, and
``crlqas train`` (printed), ``crlqas report`` (drawn), ``verify --run`` and ``submit --run`` (used)
pick it with the same resolver (:func:`crlqas.agents.runlog.best_from_run`): ``--which KIND``, or
the default rule greedy > shortest-accurate > lowest-energy.

The run directories are written with the agents' writers (``circuit_record``, ``with_kind``,
``write_circuit``), as the training callback writes them, without training.
"""

from __future__ import annotations

import json

import pytest

from crlqas.agents.report import print_best, report, summarize
from crlqas.agents.runlog import (
    CIRCUIT_KINDS,
    KIND_NAMES,
    atomic_write_json,
    best_from_run,
    circuit_record,
    default_kind,
    with_kind,
    write_circuit,
)
from crlqas.cli import args as cli_args
from crlqas.cli import build_parser, main
from crlqas.cli import ibm as cli_ibm
from crlqas.qnoise.circuit import Circuit
from crlqas.qnoise.errors import ValidationError
from crlqas.qnoise.problems import get_problem

H2 = get_problem("h2-2q")
ANGLES = [-0.22613507049841147, 3.141584684728189]
FILES = {k.name: k.file for k in CIRCUIT_KINDS}
#: kind -> (episode, |E - E0|, extra CNOTs) of the record written for it
RECORDS = {
    "greedy": (90, 4e-4, 2),
    "shortest-accurate": (60, 1e-4, 0),
    "first-accurate": (44, 1e-3, 1),
    "lowest-energy": (70, 1e-9, 4),
}


def write_run(root, kinds, seeds=(100,)) -> None:
    """A run directory with a record of each of ``kinds`` per seed, written like ``RunCallback``."""
    config = {
        "name": "t",
        "env": {"problem": "h2-2q", "noise": "noiseless"},
        "agent": {"name": "dqn", "profile": "cpu"},
        "run": {"episodes": 100},
    }
    atomic_write_json(root / "config.json", config)
    for seed in seeds:
        best = root / f"seed_{seed}" / "best"
        for kind in kinds:
            episode, err, extra = RECORDS[kind]
            circuit = Circuit(2).ry(1).ry(0).cx(1, 0)
            for _ in range(extra):
                circuit.cx(0, 1)
            info = {"circuit": circuit, "energy_exact": H2.e0 + err, "energy": H2.e0 + err, "angles": ANGLES}
            rec = circuit_record(info, H2.e0, episode + seed % 100, 10 * episode, 1.0, H2.chemical_accuracy)
            write_circuit(best, FILES[kind], with_kind(rec, FILES[kind], seed))


def test_records_and_qasm_name_kind_episode_seed(tmp_path):
    write_run(tmp_path, KIND_NAMES)
    for kind in CIRCUIT_KINDS:
        rec = json.loads((tmp_path / "seed_100" / "best" / f"{kind.file}.json").read_text())
        assert (rec["kind"], rec["kind_label"], rec["seed"]) == (kind.name, kind.label, 100)
        assert rec["episode"] == RECORDS[kind.name][0]
        qasm = (tmp_path / "seed_100" / "best" / f"{kind.file}.qasm").read_text().splitlines()
        assert qasm[0] == "OPENQASM 2.0;"  # the version line stays first; then the // header
        assert qasm[1] == f"// crlqas {kind.name}: {kind.label}"
        assert qasm[2].startswith(f"// seed 100, episode {rec['episode']}, E = ") and "E - E0 = " in qasm[2]
    # a record written without its kind (an older run, a caller of write_circuit) gets it from the name
    rec = json.loads((tmp_path / "seed_100" / "best" / "greedy.json").read_text())
    (tmp_path / "seed_7" / "best").mkdir(parents=True)
    write_circuit(tmp_path / "seed_7" / "best", "best_energy", {k: rec[k] for k in ("energy", "circuit", "angles")})
    rec7 = json.loads((tmp_path / "seed_7" / "best" / "best_energy.json").read_text())
    assert (rec7["kind"], rec7["seed"]) == ("lowest-energy", 7)


def test_qasm_header_is_read_by_qiskit(tmp_path):
    pytest.importorskip("qiskit")
    from crlqas.qnoise.qiskit_bridge import from_qiskit, load_qasm

    write_run(tmp_path, ["greedy"])
    circuit, values = from_qiskit(load_qasm(tmp_path / "seed_100" / "best" / "greedy.qasm"))
    assert len(circuit) == 5 and list(values) == pytest.approx(ANGLES)


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (KIND_NAMES, "greedy"),
        (("shortest-accurate", "first-accurate", "lowest-energy"), "shortest-accurate"),
        (("lowest-energy",), "lowest-energy"),
        (("first-accurate", "lowest-energy"), "lowest-energy"),
    ],
)
def test_default_rule_is_the_same_everywhere(tmp_path, capsys, kinds, expected):
    """greedy > shortest-accurate > lowest-energy, for the resolver, report, verify/submit and the
    circuit 'crlqas train' prints."""
    write_run(tmp_path, kinds, seeds=(100, 101))
    assert default_kind(kinds) == expected
    rec, path = best_from_run(tmp_path)
    assert rec["kind"] == expected and path.name == f"{FILES[expected]}.json"
    assert path.parts[-3] == "seed_100"  # the same records per seed: the lower error wins (episode too)
    # crlqas report: the drawn/printed circuit, in the JSON and the text
    assert report(tmp_path, as_json=True, plots=False) == 0
    chosen = json.loads(capsys.readouterr().out)["best_circuit"]
    assert (chosen["kind"], chosen["seed"], chosen["which"]) == (expected, 100, "default")
    assert chosen["episode"] == RECORDS[expected][0] and chosen["qasm"] == str(path.with_suffix(".qasm"))
    assert report(tmp_path, plots=False) == 0
    text = capsys.readouterr().out
    line = f"{expected} circuit (seed 100, episode {RECORDS[expected][0]}): the "
    assert line in text and "<- the run's circuit (default rule)" in text
    # crlqas verify/submit --run
    for command in ("verify", "submit"):
        args = build_parser().parse_args([command, "--run", str(tmp_path), "--backend", "fake_manila"])
        assert cli_ibm._source(args).origin == str(path)
    # what crlqas train prints at the end: the same circuit, its kind and episode, its OpenQASM
    results = [{"seed": s, "dir": str(tmp_path / f"seed_{s}"), "episodes": 100, "wall_time": 1.0} for s in (100, 101)]
    print_best(results)
    out = capsys.readouterr().out
    assert line in out and path.with_suffix(".qasm").read_text() in out
    listed = out.partition("--which KIND draws one):\n")[2].split()  # the other kinds, one a line
    assert [w for w in listed if w in KIND_NAMES] == [k for k in KIND_NAMES if k in kinds and k != expected]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_which_selects_each_kind(tmp_path, capsys, kind):
    write_run(tmp_path, KIND_NAMES)
    expected = tmp_path / "seed_100" / "best" / f"{FILES[kind]}.json"
    assert best_from_run(tmp_path, which=kind)[1] == expected
    assert best_from_run(tmp_path, which=FILES[kind])[1] == expected  # file names are accepted too
    assert main(["report", str(tmp_path), "--which", kind, "--json", "--no-plots"]) == 0
    chosen = json.loads(capsys.readouterr().out)["best_circuit"]
    assert (chosen["kind"], chosen["which"], chosen["json"]) == (kind, kind, str(expected))
    for command in ("verify", "submit"):
        argv = [command, "--run", str(tmp_path), "--backend", "fake_manila", "--which", kind]
        src = cli_ibm._source(build_parser().parse_args(argv))
        assert src.origin == str(expected) and src.record["kind"] == kind
        assert cli_ibm._run_circuit(src)["run_kind"] == kind
        assert cli_ibm._circuit_line(src) == f"{kind} (seed 100, episode {RECORDS[kind][0]})"


def test_report_table_names_kinds_and_episodes(tmp_path, capsys):
    write_run(tmp_path, KIND_NAMES, seeds=(100, 101))
    s = summarize(tmp_path)
    circuits = s["seeds"][1]["circuits"]
    assert list(circuits) == list(KIND_NAMES)
    assert {k: (c["kind"], c["episode"]) for k, c in circuits.items()} == {
        k: (k, RECORDS[k][0] + 1) for k in KIND_NAMES
    }
    assert circuits["greedy"]["label"] == CIRCUIT_KINDS[0].label
    assert s["seeds"][0]["best_error"] == pytest.approx(1e-9) and s["seeds"][0]["first_accurate_episode"] == 44
    assert main(["report", str(tmp_path), "--no-plots", "--which", "lowest-energy"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    table = {(r[0], r[1]): r for r in rows if len(r) >= 5 and r[1] in KIND_NAMES}
    assert len(table) == 8 and table[("101", "first-accurate")][2] == "45"
    assert table[("100", "lowest-energy")][5:] == ["<-", "the", "run's", "circuit", "(--which)"]


def test_report_drawing_names_kind_and_episode(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    write_run(tmp_path, ["shortest-accurate", "lowest-energy"])
    assert report(tmp_path, which="lowest-energy", as_json=True) == 0
    chosen = json.loads(capsys.readouterr().out)["best_circuit"]
    assert chosen["drawing"].endswith("best_circuit.png") and chosen["kind"] == "lowest-energy"
    from crlqas.agents.plots import circuit_figure

    rec = json.loads((tmp_path / "seed_100" / "best" / "best_energy.json").read_text())
    title = circuit_figure(rec).axes[0].get_title()  # kind and seed from the record itself
    assert title.startswith("lowest-energy: the lowest-energy circuit seen in training (seed 100, episode 70)")


def test_a_missing_kind_is_an_error_listing_the_kinds_there_are(tmp_path, capsys):
    write_run(tmp_path, ["shortest-accurate", "lowest-energy"], seeds=(100, 101))
    message = (
        r"no greedy circuit \(shortest chemically accurate circuit built by the trained \(greedy\) policy\) in "
        r".*; it holds: shortest-accurate \(seeds 100, 101\), lowest-energy \(seeds 100, 101\)"
    )
    with pytest.raises(ValidationError, match=message):
        best_from_run(tmp_path, which="greedy")
    with pytest.raises(ValidationError, match="it holds: lowest-energy"):
        best_from_run(tmp_path / "seed_100" / "best" / "best_energy.json", which="greedy")
    with pytest.raises(ValidationError, match="unknown kind of circuit 'best'"):
        best_from_run(tmp_path, which="best")
    for argv in (
        ["report", str(tmp_path), "--which", "greedy"],
        ["verify", "--run", str(tmp_path), "--backend", "fake_manila", "--which", "greedy"],
        ["submit", "--run", str(tmp_path), "--backend", "fake_manila", "--which", "greedy", "--dry-run"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("crlqas: error: no greedy circuit") and "it holds: shortest-accurate" in err
    with pytest.raises(ValidationError, match="give --run DIR, not --qasm"):
        cli_ibm._source(
            build_parser().parse_args(["verify", "--qasm", "c.qasm", "--backend", "b", "--which", "greedy"])
        )


def test_one_which_option(capsys):
    """One option definition (crlqas.cli.args.which_option) on the three commands; its choices are the
    runlog's kinds; its help states the default rule."""
    assert cli_args.CIRCUIT_KINDS == KIND_NAMES
    parser = build_parser()
    for argv in (
        ["report", "r"],
        ["verify", "--run", "r", "--backend", "b"],
        ["submit", "--run", "r", "--backend", "b"],
    ):
        assert parser.parse_args(argv).which is None
        assert parser.parse_args([*argv, "--which", "first-accurate"]).which == "first-accurate"
        with pytest.raises(SystemExit):
            parser.parse_args([*argv, "--which", "best"])
        capsys.readouterr()
        with pytest.raises(SystemExit):
            parser.parse_args([argv[0], "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "default: greedy when greedy evaluations built a chemically accurate circuit, else " in text
        assert "shortest-accurate, else lowest-energy" in text
