"""The payload's ``run_django.py``, generated from the project's configuration."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from . import contract
from .config import Options, project_metadata

TEMPLATE = Path(__file__).with_name("run_django.py.tmpl")


def render_launcher(options: Options, precompiled: bool) -> str:
    module, _, attribute = options.wsgi_application.partition(":")
    values = {
        "SETTINGS_MODULE": options.settings_module,
        "WSGI_MODULE": module,
        "WSGI_ATTRIBUTE": attribute or "application",
        "PRECOMPILED": precompiled,
        "WORKER_ARGV": shlex.split(options.worker_command),
        "APP_VERSION": project_metadata(options)[1],
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", repr(value))
    return text


def write_launcher(options: Options, payload: Path, precompiled: bool) -> Path:
    path = payload / contract.LAUNCHER
    path.write_text(render_launcher(options, precompiled), encoding="utf-8")
    shutil.copyfile(Path(__file__).with_name("session_guard.py"), payload / contract.SESSION_GUARD)
    return path
