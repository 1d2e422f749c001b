"""Shared pytest setup: a Hypothesis profile without deadlines (Numba compiles on first call) and
the path of the bundled workload copies."""

from __future__ import annotations

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
