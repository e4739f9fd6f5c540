"""What the bundler decided about this payload (``launcher.json``), and the data dir's layout."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .contract import DATA_DIR_LAYOUT, ENV, LAUNCHER_CONFIG, WORKER_MODES
from .errors import LaunchError


@dataclass(frozen=True)
class LauncherConfig:
    settings_module: str
    wsgi_application: str  # "module:attribute"
    precompiled: bool
    worker_argv: tuple[str, ...]  # a management command run beside the server; () for none
    app_version: str
    # The desktop overrides applied on top of the project's settings (overrides.py); an
    # empty list runs the project's settings module as it is.
    desktop_overrides: tuple[str, ...] = ()
    # URL prefixes served without the session token (guard.py); () for none.
    public_paths: tuple[str, ...] = ()
    # Where the worker runs (worker.py): a thread of the server where the backend allows
    # ("auto", the default), always a thread ("thread") or always a child ("process").
    worker_mode: str = WORKER_MODES[0]

    @classmethod
    def load(cls, payload: Path) -> LauncherConfig:
        path = payload / LAUNCHER_CONFIG
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                settings_module=str(raw["settings_module"]),
                wsgi_application=str(raw["wsgi_application"]),
                precompiled=bool(raw["precompiled"]),
                worker_argv=tuple(str(arg) for arg in raw["worker_argv"]),
                app_version=str(raw["app_version"]),
                desktop_overrides=tuple(str(name) for name in raw["desktop_overrides"]),
                public_paths=tuple(str(prefix) for prefix in raw.get("public_paths", [])),
                worker_mode=str(raw.get("worker_mode", WORKER_MODES[0])),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LaunchError("startup_failed", f"{path} is missing or damaged ({exc})") from exc

    def to_json(self) -> str:
        data = {
            "settings_module": self.settings_module,
            "wsgi_application": self.wsgi_application,
            "precompiled": self.precompiled,
            "worker_argv": list(self.worker_argv),
            "app_version": self.app_version,
            "desktop_overrides": list(self.desktop_overrides),
            "public_paths": list(self.public_paths),
            "worker_mode": self.worker_mode,
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class DataDir:
    """Where everything that changes lives: the same layout for every bundled project."""

    root: Path

    @classmethod
    def from_environment(cls, environ: dict[str, str] | os._Environ[str]) -> DataDir:
        raw = environ.get(ENV["data_dir"], "")
        if not raw:
            raise LaunchError(
                "usage", f"{ENV['data_dir']} is not set (the shell passes its user data folder)"
            )
        return cls(Path(raw).resolve())

    def _path(self, key: str) -> Path:
        return self.root / DATA_DIR_LAYOUT[key]

    @property
    def database(self) -> Path:
        return self._path("database")

    @property
    def secret_key(self) -> Path:
        return self._path("secret_key")

    @property
    def media(self) -> Path:
        return self._path("media")

    @property
    def logs(self) -> Path:
        return self._path("logs")

    @property
    def django_log(self) -> Path:
        return self.logs / DATA_DIR_LAYOUT["django_log"]

    @property
    def backups(self) -> Path:
        return self._path("backups")

    @property
    def lock(self) -> Path:
        return self._path("lock")

    @property
    def pycache(self) -> Path:
        return self._path("pycache")
