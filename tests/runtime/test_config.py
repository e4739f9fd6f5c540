from __future__ import annotations

import json
from pathlib import Path

import pytest

from djdesk_runtime.config import DataDir, LauncherConfig
from djdesk_runtime.contract import DATA_DIR_LAYOUT
from djdesk_runtime.errors import LaunchError


def test_launcher_config_round_trips_and_a_damaged_one_is_one_line(tmp_path: Path) -> None:
    config = LauncherConfig("site.settings", "site.wsgi:application", False, ("w",), "1.0")
    (tmp_path / "launcher.json").write_text(config.to_json())
    assert LauncherConfig.load(tmp_path) == config
    public = LauncherConfig("s", "s.wsgi:application", True, (), "1.0", ("database",), ("/ping/",))
    (tmp_path / "launcher.json").write_text(public.to_json())
    assert LauncherConfig.load(tmp_path).public_paths == ("/ping/",)
    # A payload built before public-paths existed has none.
    raw = json.loads(public.to_json())
    del raw["public_paths"]
    (tmp_path / "launcher.json").write_text(json.dumps(raw))
    assert LauncherConfig.load(tmp_path).public_paths == ()
    (tmp_path / "launcher.json").write_text("{")
    with pytest.raises(LaunchError, match=r"launcher\.json is missing or damaged"):
        LauncherConfig.load(tmp_path)


def test_the_data_dir_layout_comes_from_the_contract(tmp_path: Path) -> None:
    data = DataDir.from_environment({"DJDESK_DATA_DIR": str(tmp_path)})
    assert data.database == tmp_path / DATA_DIR_LAYOUT["database"]
    assert data.django_log == tmp_path / "logs" / "django.log"
    assert data.lock.name == "launcher.lock" and data.backups.name == "backups"
    with pytest.raises(LaunchError, match="DJDESK_DATA_DIR is not set"):
        DataDir.from_environment({})
