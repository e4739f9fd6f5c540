"""The payload contract, read from ``contract.json`` beside this file.

Every name the bundler, the launcher, the desktop settings, the Electron shell and the
inspector's page share is written once, in that JSON file; this module gives Python code
typed access to it: ``RAW`` is a ``Contract`` (``contract_types.py``, generated from the
JSON by scripts/generate_contract_types.py), so mypy refuses a key the JSON does not have.
Standard library only: it runs inside every payload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .contract_types import Contract, Environment, Ipc, LauncherOptions, Ui

CONTRACT_FILE = Path(__file__).with_name("contract.json")
_JSON: Any = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))
RAW: Contract = _JSON

_payload = RAW["payload"]
_dirs = _payload["dirs"]
_files = _payload["files"]
# Looked up by a key the contract itself names (archive_parts, top_level_files), not typed.
_dirs_by_key: dict[str, str] = _JSON["payload"]["dirs"]
_files_by_key: dict[str, str] = _JSON["payload"]["files"]

ARCHIVE_ROOT: str = _payload["root"]
PYTHON_DIR = _dirs["python"]
SITE_PACKAGES_DIR = _dirs["site_packages"]
RUNTIME_DIR = _dirs["runtime"]
APP_DIR = _dirs["app"]
STATIC_DIR = _dirs["static"]
DOCS_DIR = _dirs["docs"]
SAMPLES_DIR = _dirs["samples"]

LAUNCHER = _files["launcher"]
LAUNCHER_CONFIG = _files["launcher_config"]
TEMPLATE_DATABASE = _files["template_database"]
VERSION_FILE = _files["version"]
BUILD_INFO = _files["build_info"]
SBOM = _files["sbom"]
CHECKSUMS = _files["checksums"]

# Archive order: what changes least comes first (interpreter, then deps), then the app.
ARCHIVE_PARTS = tuple(_dirs_by_key[key] for key in _payload["archive_parts"])
# The archive's first gzip member, cached compressed between builds (see pack.py).
STABLE_PARTS = tuple(_dirs_by_key[key] for key in _payload["stable_parts"])
TOP_LEVEL_FILES = tuple(_files_by_key[key] for key in _payload["top_level_files"])

INTERPRETER_POSIX: str = _payload["interpreter"]["posix"]
INTERPRETER_WINDOWS: str = _payload["interpreter"]["windows"]

_launcher = RAW["launcher"]
LAUNCHER_OPTIONS: LauncherOptions = _launcher["options"]
PYTHON_FLAGS: tuple[str, ...] = tuple(_launcher["python_flags"])
LOOPBACK_HOSTS: tuple[str, ...] = tuple(_launcher["loopback_hosts"])
READY_PREFIX: str = _launcher["ready_prefix"]
# How the task worker runs (worker.py): the first is the default.
WORKER_MODES: tuple[str, ...] = tuple(_launcher["worker_modes"])
WORKER_AUTO, WORKER_THREAD, WORKER_PROCESS = WORKER_MODES
DESKTOP_SETTINGS_MODULE: str = _launcher["desktop_settings_module"]
DESKTOP_OVERRIDES: tuple[str, ...] = tuple(_launcher["desktop_overrides"])
LOGIN_PREFIX: str = _launcher["login_prefix"]
TIMING_PREFIX: str = _launcher["timing_prefix"]
# Looked up by a launch error's reason (errors.py), a string known only at run time.
EXIT_CODES: dict[str, int] = _JSON["launcher"]["exit_codes"]

ENV: Environment = RAW["environment"]
SESSION_HEADER: str = RAW["session"]["header"]
SESSION_COOKIE: str = RAW["session"]["cookie"]
SESSION_QUERY: str = RAW["session"]["query"]
# Looked up by a path's key (config.py DataDir.path), a string known only at run time.
DATA_DIR_LAYOUT: dict[str, str] = _JSON["data_dir"]
IPC: Ipc = RAW["ipc"]
# The page's, the preload's and the main process's names (handed to the page by the
# inspector's base template, to the preload by the main process).
UI: Ui = RAW["ui"]


def interpreter_path(windows: bool) -> str:
    """The payload's Python, relative to the payload root, '/'-separated."""
    return INTERPRETER_WINDOWS if windows else INTERPRETER_POSIX


def archive_name(name: str, version: str, triple: str) -> str:
    return f"{name}-payload-{version}-{triple}.tar.gz"
