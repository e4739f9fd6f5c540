"""Fixtures shared by the inspector's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def lab(settings, tmp_path: Path) -> Path:
    """The Data Lab switched on, exporting into a fresh folder."""
    settings.DJDESK_FLAG_DATA_LAB = True
    settings.INSPECTOR_DATA_LAB_ROOT = tmp_path / "lab"
    return tmp_path / "lab"
