"""The settings module the launcher gives Django: the project's own settings module
(``DJDESK_PROJECT_SETTINGS``), then the desktop overrides (``overrides.py``) on top.

Written as a module because Django imports settings by name; everything it does is in
``overrides.apply``.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

from djdesk_runtime.contract import ENV
from djdesk_runtime.overrides import Desktop, apply

_project = importlib.import_module(os.environ[ENV["project_settings"]])
globals().update({name: value for name, value in vars(_project).items() if name.isupper()})

_desktop = Desktop(
    data_dir=Path(os.environ[ENV["data_dir"]]),
    payload=Path(os.environ[ENV["payload_dir"]]),
)
_desktop.data_dir.mkdir(parents=True, exist_ok=True)
_enabled = json.loads(os.environ.get(ENV["desktop_overrides"], "[]"))
globals().update(apply({k: v for k, v in globals().items() if k.isupper()}, _desktop, _enabled))
