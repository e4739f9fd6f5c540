"""The payload's launcher: the ``djdesk_runtime`` package, its ``launcher.json`` (what this
build decided) and a ``run_django.py`` of a few lines that starts it."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import djdesk_runtime
from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.options import TABLE, Options
from djdesk_runtime.config import LauncherConfig
from djdesk_runtime.guard import check_public_paths

RUNTIME_PACKAGE = Path(djdesk_runtime.__file__).parent

# The entry point: the runtime's directory on sys.path, then its main(). Bytecode is off
# until the runtime knows whether the payload was precompiled (it is read-only then).
ENTRY_POINT = '''"""Start the bundled Django project (made by djdesk-bundle: see djdesk_runtime)."""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, {runtime_dir!r}))
from djdesk_runtime.launcher import main  # noqa: E402

sys.exit(main(HERE))
'''


def launcher_config(options: Options, app_version: str, precompiled: bool) -> LauncherConfig:
    problems = check_public_paths(options.public_paths)
    if problems:  # the launcher checks again against the project's own admin URL
        raise ConfigError(f"[{TABLE}] public-paths: {'; '.join(problems)}")
    return LauncherConfig(
        settings_module=options.settings_module,
        wsgi_application=options.wsgi_application,
        precompiled=precompiled,
        worker_argv=tuple(shlex.split(options.worker_command)),
        app_version=app_version,
        desktop_overrides=options.desktop_overrides,
        public_paths=options.public_paths,
        worker_mode=options.worker_mode,
    )


def write_launcher(options: Options, payload: Path, app_version: str, precompiled: bool) -> Path:
    """The runtime package, its configuration and the entry point; returns the runtime dir."""
    config = launcher_config(options, app_version, precompiled)
    runtime = payload / contract.RUNTIME_DIR / RUNTIME_PACKAGE.name
    shutil.copytree(RUNTIME_PACKAGE, runtime, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (payload / contract.LAUNCHER_CONFIG).write_text(config.to_json(), encoding="utf-8")
    (payload / contract.LAUNCHER).write_text(
        ENTRY_POINT.format(runtime_dir=contract.RUNTIME_DIR), encoding="utf-8"
    )
    return runtime.parent
