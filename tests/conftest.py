"""Shared pytest setup: a Hypothesis profile without deadlines (Numba compiles on first call), the
path of the bundled workload copies, and SB3's default log folder inside pytest's temporary
directory (a model that learns without a logger would otherwise leave an empty ``/tmp/SB3-<date>``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("crlqas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("crlqas")

DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data_dir() -> Path:
    """``tests/data``: copies of the shared benchmark workloads (tests never read ../shared)."""
    return DATA_DIR


@pytest.fixture(autouse=True, scope="session")
def _sb3_log_dir(tmp_path_factory):
    """``SB3_LOGDIR``: where stable-baselines3 puts the logs of models trained without a logger."""
    old = os.environ.get("SB3_LOGDIR")
    os.environ["SB3_LOGDIR"] = str(tmp_path_factory.mktemp("sb3"))
    yield
    if old is None:
        os.environ.pop("SB3_LOGDIR", None)
    else:
        os.environ["SB3_LOGDIR"] = old
