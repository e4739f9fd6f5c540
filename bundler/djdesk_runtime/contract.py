"""The payload contract, read from ``contract.json`` beside this file.

Every name the bundler, the launcher, the desktop settings and the Electron shell share
is written once, in that JSON file; this module gives Python code typed access to it.
Standard library only: it runs inside every payload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTRACT_FILE = Path(__file__).with_name("contract.json")
RAW: dict[str, Any] = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))

_payload = RAW["payload"]
_dirs: dict[str, str] = _payload["dirs"]
_files: dict[str, str] = _payload["files"]

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
ARCHIVE_PARTS = tuple(_dirs[key] for key in _payload["archive_parts"])
# The archive's first gzip member, cached compressed between builds (see pack.py).
STABLE_PARTS = tuple(_dirs[key] for key in _payload["stable_parts"])
TOP_LEVEL_FILES = tuple(_files[key] for key in _payload["top_level_files"])

INTERPRETER_POSIX: str = _payload["interpreter"]["posix"]
INTERPRETER_WINDOWS: str = _payload["interpreter"]["windows"]

_launcher = RAW["launcher"]
LAUNCHER_OPTIONS: dict[str, str] = _launcher["options"]
PYTHON_FLAGS: tuple[str, ...] = tuple(_launcher["python_flags"])
LOOPBACK_HOSTS: tuple[str, ...] = tuple(_launcher["loopback_hosts"])
READY_PREFIX: str = _launcher["ready_prefix"]
DESKTOP_SETTINGS_MODULE: str = _launcher["desktop_settings_module"]
DESKTOP_OVERRIDES: tuple[str, ...] = tuple(_launcher["desktop_overrides"])
LOGIN_PREFIX: str = _launcher["login_prefix"]
TIMING_PREFIX: str = _launcher["timing_prefix"]
EXIT_CODES: dict[str, int] = _launcher["exit_codes"]

ENV: dict[str, str] = RAW["environment"]
SESSION_HEADER: str = RAW["session"]["header"]
SESSION_COOKIE: str = RAW["session"]["cookie"]
SESSION_QUERY: str = RAW["session"]["query"]
DATA_DIR_LAYOUT: dict[str, str] = RAW["data_dir"]
IPC: dict[str, Any] = RAW["ipc"]


def interpreter_path(windows: bool) -> str:
    """The payload's Python, relative to the payload root, '/'-separated."""
    return INTERPRETER_WINDOWS if windows else INTERPRETER_POSIX


def archive_name(name: str, version: str, triple: str) -> str:
    return f"{name}-payload-{version}-{triple}.tar.gz"
