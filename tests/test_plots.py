"""The plots users see: ``crlqas report``'s learning curves and circuit drawing, ``crlqas vqe --plot``.

They draw on their own matplotlib ``Figure`` (no pyplot, no change of the process's backend), say
what they show (units, which circuit, angles in radians) and are written atomically.
"""

from __future__ import annotations

import json

import pytest

matplotlib = pytest.importorskip("matplotlib")

from crlqas.agents.plots import circuit_figure, circuit_title, curves_figure, draw_circuit, plot_curves
from crlqas.agents.report import CIRCUIT_NAMES, report, summarize
from crlqas.qnoise.fileio import atomic_write_bytes, atomic_write_text

PROGRESS = "episode,energy_error,best_error,threshold,success_rate,num_gates,episode_time\n"
EVAL = "episode,error,num_gates,accurate,wall_time\n"
RECORD = {
    "energy": -1.13727,
    "error": 1.5e-9,
    "num_gates": 3,
    "num_cnots": 1,
    "num_rotations": 2,
    "depth": 2,
    "episode": 54,
    "wall_time": 3.0,
    "timesteps": 150,
    "energy_noiseless": -1.13727,
    "angles": [3.14159, -0.0001],
    "circuit": {
        "num_qubits": 2,
        "num_parameters": 2,
        "gates": [
            {"op": "rx", "qubits": [1], "param": 0},
            {"op": "ry", "qubits": [0], "param": 1},
            {"op": "cx", "qubits": [1, 0]},
        ],
    },
}


def make_run(tmp_path, problem="h2-2q", evals=True):
    """A small run directory as ``crlqas train`` writes it: config, one seed's logs and best circuit."""
    run = tmp_path / "run"
    seed = run / "seed_7"
    (seed / "best").mkdir(parents=True)
    config = {
        "name": "tiny",
        "env": {"problem": problem, "noise": "noiseless"},
        "agent": {"name": "dqn", "profile": "cpu"},
        "run": {"episodes": 4},
    }
    (run / "config.json").write_text(json.dumps(config))
    rows = [f"{e},{0.5 / e**3},{0.5 / e**3},{0.2},{min(1.0, e / 4)},{e},{0.01 * e}" for e in range(1, 5)]
    (seed / "progress.csv").write_text(PROGRESS + "\n".join(rows) + "\n")
    if evals:
        (seed / "eval.csv").write_text(EVAL + "2,0.02,5,0,0.5\n4,0.001,3,1,1.0\n")
    for name in ("best_energy", "shortest_accurate"):
        (seed / "best" / f"{name}.json").write_text(json.dumps(RECORD))
    return run


@pytest.fixture
def svg_backend():
    """A backend other than Agg, restored afterwards: what a notebook user has selected."""
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield "svg"
    matplotlib.use(before)


def test_plots_keep_the_backend(tmp_path, svg_backend, capsys):
    from crlqas.qnoise.vqe import plot_history, run_vqe

    run = make_run(tmp_path)
    s = summarize(run)
    plot_curves(s, tmp_path / "curves.png")
    draw_circuit(RECORD, tmp_path / "circuit.png", kind="greedy", seed=7)
    result = run_vqe("h2-2q", "hea:1", noise=None, optimizer="cobyla", budget=60, seed=1)
    plot_history(result, tmp_path / "vqe.png")
    assert report(run) == 0
    assert matplotlib.get_backend() == svg_backend
    capsys.readouterr()
    pngs = [tmp_path / "curves.png", tmp_path / "circuit.png", tmp_path / "vqe.png", *(run / "report").iterdir()]
    assert len(pngs) == 5
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    # written atomically: no temporary file left next to them
    assert not [p for d in (tmp_path, run / "report") for p in d.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("kind", sorted(CIRCUIT_NAMES))
def test_circuit_title_names_the_circuit_and_angle_unit(kind):
    fig = circuit_figure(RECORD, kind=kind, seed=7, problem="h2-2q", unit="Ha")
    title = fig.axes[0].get_title()
    assert title == circuit_title(RECORD, kind=kind, seed=7, problem="h2-2q", unit="Ha")
    assert CIRCUIT_NAMES[kind] in title and "h2-2q" in title
    assert "seed 7" in title and "episode 54" in title
    assert "|E - E0| = 1.50e-09 Ha" in title and "3 gates, 1 CNOT," in title and "depth 2" in title
    assert "angles in rad" in title
    # a spin model's energies have no Hartree unit
    assert " Ha" not in circuit_title(RECORD, kind=kind, problem="tfim-2-1.0", unit="")


def test_circuit_angles_in_boxes():
    texts = [t.get_text() for t in circuit_figure(RECORD, kind="best_energy").axes[0].texts]
    assert "RX\n3.142" in texts and "RY\n0.000" in texts  # -0.0001 rad is not drawn as "-0.000"


def test_report_circuit_drawing_says_which_circuit(tmp_path, capsys):
    run = make_run(tmp_path)
    assert report(run, as_json=True) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["best_circuit"]["kind"] == "shortest-accurate" and s["best_circuit"]["episode"] == 54
    assert sorted(p.rsplit("/", 1)[-1] for p in s["plots"]) == ["best_circuit.png", "learning_curves.png"]


@pytest.mark.parametrize(("problem", "unit"), [("h2-2q", "Ha"), ("tfim-2-1.0", None), (None, None)])
def test_curves_labels_units_and_rates(tmp_path, problem, unit):
    s = summarize(make_run(tmp_path, problem=problem))
    fig = curves_figure(s)
    axes = [ax for ax in fig.axes if ax.get_ylabel()]
    assert len(axes) == 8  # with greedy evaluations
    suptitle = fig.get_suptitle()
    for word in ("tiny", f"problem {problem or 'custom Hamiltonian'}", "noise noiseless", "agent dqn", "seed 7"):
        assert word in suptitle
    labels = {ax.get_title(): ax.get_ylabel() for ax in axes}
    assert len(labels) == len(axes)  # titles differ from one another
    for title, ylabel in labels.items():
        assert title and ylabel and ylabel not in title and title not in suptitle
        assert "(" not in title  # units only on the axes
    energy = [y for y in labels.values() if "|E - E0|" in y]
    assert len(energy) == 4
    if unit:
        assert all(y.endswith("(Ha)") for y in energy)
    else:
        assert not any("Ha" in y for y in labels.values())
    assert "circuit size (gates)" in labels.values() and "time per episode (s)" in labels.values()
    (rate,) = [ax for ax in axes if ax.get_ylabel() == "success rate"]
    lo, hi = rate.get_ylim()
    assert -0.05 <= lo <= 0.0 and 1.0 <= hi <= 1.05
    assert rate.get_yticks()[0] == 0.0 and rate.get_yticks()[-1] == 1.0


def test_curves_without_evaluations(tmp_path):
    fig = curves_figure(summarize(make_run(tmp_path, evals=False)))
    assert len([ax for ax in fig.axes if ax.get_ylabel()]) == 6
    assert not any("greedy" in ax.get_title() for ax in fig.axes)


def test_vqe_plot_axes(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from crlqas.qnoise.vqe import plot_history, run_vqe

    figures = []
    savefig = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (figures.append(self), savefig(self, *a, **k)))
    result = run_vqe("h2-2q", "hea:1", noise=None, optimizer="cobyla", budget=60, seed=1)
    plot_history(result, tmp_path / "vqe.png")
    (fig,) = figures
    energy, error = fig.axes
    assert energy.get_ylabel() == "energy (Ha)" and error.get_ylabel() == "|E - E0| (Ha)"
    legend = [t.get_text() for t in energy.get_legend().get_texts()]
    assert any(t.startswith("E0 (exact) = -1.137") and t.endswith(" Ha") for t in legend)
    assert error.get_xlabel() == "energy evaluations"


def test_atomic_write_bytes(tmp_path):
    path = tmp_path / "sub" / "x.bin"
    assert atomic_write_bytes(path, b"\x00\x89PNG\r\n") == path
    assert path.read_bytes() == b"\x00\x89PNG\r\n"
    atomic_write_text(path, "a\nb\n")
    assert path.read_bytes() == b"a\nb\n"
    assert [p.name for p in path.parent.iterdir()] == ["x.bin"]


def test_atomic_write_permissions(tmp_path):
    """Like ``open(path, "w")``: a new file gets 0o666 less the umask, a replaced one keeps its mode."""
    import os

    if os.name != "posix":
        pytest.skip("POSIX permissions")
    mask = os.umask(0o022)
    try:
        new = atomic_write_bytes(tmp_path / "new.png", b"x")
        assert new.stat().st_mode & 0o777 == 0o644
        old = tmp_path / "old.json"
        old.write_text("{}")
        old.chmod(0o640)
        atomic_write_text(old, "[]")
        assert old.stat().st_mode & 0o777 == 0o640 and old.read_text() == "[]"
    finally:
        os.umask(mask)
