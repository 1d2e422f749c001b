"""The distribution installs exactly one import package, ``crlqas`` (with ``crlqas.qnoise``,
``crlqas.envs``, ``crlqas.agents``, ``crlqas.cli``), typed, with its data, and works from the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: source folder of each installed package root
LAYOUT = {"crlqas": "crlqas", "crlqas/qnoise": "qnoise", "crlqas/envs": "envs", "crlqas/agents": "agents"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (the working tree stays clean)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in set(LAYOUT.values()):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("crlqas-*.whl")
    return path


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_has_one_top_level_name(wheel):
    tops = {n.split("/")[0] for n in _names(wheel) if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"crlqas"}
    with zipfile.ZipFile(wheel) as zf:
        entry_points = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")))
    assert "crlqas = crlqas.cli:main" in entry_points.decode()


def test_wheel_holds_every_module_typing_marker_and_data(wheel):
    names = set(_names(wheel))
    assert "crlqas/py.typed" in names
    for target, folder in LAYOUT.items():
        for path in (ROOT / folder).rglob("*"):
            if "__pycache__" in path.parts or path.is_dir() or path.suffix not in (".py", ".json", ".toml"):
                continue
            rel = path.relative_to(ROOT / folder).as_posix()
            assert f"{target}/{rel}" in names, f"{folder}/{rel} is missing from the wheel"


def test_installed_wheel_works_outside_the_source_tree(wheel, tmp_path):
    """Installed from the wheel (no editable mapping), the package finds its data and env ids."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import crlqas.qnoise as q, gymnasium as gym; "
        "assert q.__file__.startswith(sys.argv[1]), q.__file__; "
        "assert round(q.get_problem('h2-2q').e0, 5) == -1.13727; "
        "env = gym.make('crlqas.envs:crlqas/QAS-H2-2q-v0'); env.reset(seed=0); "
        "from crlqas.agents.presets import list_presets; assert 'h2-2q' in list_presets()"
    )
    subprocess.run([sys.executable, "-c", code, str(target)], check=True, cwd=tmp_path)
    help_text = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import runpy; sys.argv = ['crlqas', '--help']; "
            "runpy.run_module('crlqas', run_name='__main__')",
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert help_text.returncode == 0 and "train" in help_text.stdout
