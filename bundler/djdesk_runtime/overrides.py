"""What makes any Django project's settings a safe desktop app, one named override each.

``apply`` takes the project's settings (a dict of its upper-case names) and returns the
changed values; each override is a small pure function, on by default and turned off by
listing its name out of ``desktop-overrides`` in ``[tool.djdesk-bundle]``:

==============  ==========================================================================
database        SQLite databases live in the data dir (``db.sqlite3``, ``<alias>.sqlite3``)
media           ``MEDIA_ROOT`` = ``<data>/media``, ``MEDIA_URL`` ``/media/`` when unset;
                uploads to Django's file storage are written whole or not at all
secret-key      ``SECRET_KEY`` from ``<data>/secret_key`` (0600), made on first launch
debug           ``DEBUG = False``
allowed-hosts   ``ALLOWED_HOSTS`` = the loopback names
https           no SSL redirect, HSTS or secure-only cookies (plain HTTP on loopback)
static          ``STATIC_ROOT`` = the payload's collected ``static/``
logging         a project without ``LOGGING`` logs to ``<data>/logs/django.log``;
                file handlers of one that has it write into ``<data>/logs/``; a record
                that cannot be written (a full disk) is one line on stderr
==============  ==========================================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import data_dir
from .contract import DATA_DIR_LAYOUT, DESKTOP_SETTINGS_MODULE, ENV, LOOPBACK_HOSTS, STATIC_DIR

Settings = dict[str, Any]
DATA_DIR_LOG_HANDLER = "djdesk_runtime.logfile.DataDirLogHandler"


@dataclass(frozen=True)
class Desktop:
    data_dir: Path
    payload: Path

    @property
    def logs(self) -> Path:
        return self.data_dir / DATA_DIR_LAYOUT["logs"]


def _inside(path: object, folder: Path) -> bool:
    try:
        return Path(str(path)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def database(settings: Settings, desktop: Desktop) -> Settings:
    """Every SQLite file database moves to the data dir (unless the project keeps it there
    already); one shipped in the payload is copied there on first launch (never written
    in place)."""
    databases = {alias: dict(config) for alias, config in settings.get("DATABASES", {}).items()}
    for alias, config in databases.items():
        name = str(config.get("NAME") or "")
        if "sqlite3" not in str(config.get("ENGINE", "")) or name in ("", ":memory:"):
            continue
        if "mode=memory" in name:
            continue
        original = Path(name)
        if _inside(original, desktop.data_dir):  # the project already keeps it there
            continue
        filename = DATA_DIR_LAYOUT["database"] if alias == "default" else f"{alias}.sqlite3"
        target = desktop.data_dir / filename
        if not target.exists() and original.is_file() and _inside(original, desktop.payload):
            target.parent.mkdir(parents=True, exist_ok=True)
            data_dir.write_private(target, original.read_bytes())
        config["NAME"] = target
        options = dict(config.get("OPTIONS", {}))
        options.setdefault("timeout", 20)  # the server and a worker share the file
        config["OPTIONS"] = options
    return {"DATABASES": databases}


def media(settings: Settings, desktop: Desktop) -> Settings:
    from django.conf import global_settings

    from .media import ATOMIC_FILE_STORAGE, DJANGO_FILE_STORAGE

    url = str(settings.get("MEDIA_URL") or "")
    storages = {
        alias: dict(config)
        for alias, config in (settings.get("STORAGES") or global_settings.STORAGES).items()
    }
    for config in storages.values():
        # A full disk during an upload left a truncated file in media (#27).
        if config.get("BACKEND") == DJANGO_FILE_STORAGE:
            config["BACKEND"] = ATOMIC_FILE_STORAGE
    return {
        "MEDIA_ROOT": desktop.data_dir / DATA_DIR_LAYOUT["media"],
        "MEDIA_URL": url if url.startswith("/") and url != "/" else "/media/",
        "STORAGES": storages,
    }


def secret_key(settings: Settings, desktop: Desktop) -> Settings:
    """One random key per data dir, created on first launch and kept (0600) there; an
    unsafe one is refused or replaced (``data_dir.secret_key``)."""
    return {"SECRET_KEY": data_dir.secret_key(desktop.data_dir), "SECRET_KEY_FALLBACKS": []}


def debug(settings: Settings, desktop: Desktop) -> Settings:
    return {"DEBUG": False}


def allowed_hosts(settings: Settings, desktop: Desktop) -> Settings:
    return {"ALLOWED_HOSTS": list(LOOPBACK_HOSTS)}


def https(settings: Settings, desktop: Desktop) -> Settings:
    """The app is served over plain HTTP on loopback, inside the shell."""
    silenced = list(settings.get("SILENCED_SYSTEM_CHECKS", []))
    # check --deploy's HTTPS advice does not apply to a loopback server.
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        if check not in silenced:
            silenced.append(check)
    return {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "SILENCED_SYSTEM_CHECKS": silenced,
    }


def static(settings: Settings, desktop: Desktop) -> Settings:
    return {"STATIC_ROOT": desktop.payload / STATIC_DIR}


def logging(settings: Settings, desktop: Desktop) -> Settings:
    desktop.logs.mkdir(parents=True, exist_ok=True)
    own_log = desktop.logs / DATA_DIR_LAYOUT["django_log"]
    config = settings.get("LOGGING")
    if not config:
        return {
            "LOGGING": {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {
                    "file": {
                        # One line on stderr when it cannot write, not a traceback a record.
                        "class": DATA_DIR_LOG_HANDLER,
                        "filename": own_log,
                        "maxBytes": 1_000_000,
                        "backupCount": 3,
                    },
                    "console": {"class": "logging.StreamHandler"},
                },
                "root": {"handlers": ["file", "console"], "level": "WARNING"},
            }
        }
    handlers = {name: dict(handler) for name, handler in config.get("handlers", {}).items()}
    for handler in handlers.values():
        if "filename" in handler:  # the payload is read-only: logs go to the data dir
            handler["filename"] = desktop.logs / Path(str(handler["filename"])).name
        if handler.get("class") in PLAIN_FILE_HANDLERS:  # same arguments, quiet when full
            handler["class"] = DATA_DIR_LOG_HANDLER
    return {"LOGGING": {**config, "handlers": handlers}}


# The standard library's file handlers, whose arguments the runtime's own handler takes.
PLAIN_FILE_HANDLERS = ("logging.FileHandler", "logging.handlers.RotatingFileHandler")


OVERRIDES: dict[str, Callable[[Settings, Desktop], Settings]] = {
    "database": database,
    "media": media,
    "secret-key": secret_key,
    "debug": debug,
    "allowed-hosts": allowed_hosts,
    "https": https,
    "static": static,
    "logging": logging,
}


def apply(settings: Settings, desktop: Desktop, enabled: list[str]) -> Settings:
    """The changed settings of every enabled override, in the table's order."""
    unknown = sorted(set(enabled) - set(OVERRIDES))
    if unknown:
        raise ValueError(f"unknown desktop overrides {unknown}; known: {sorted(OVERRIDES)}")
    changes: Settings = {}
    for name, override in OVERRIDES.items():
        if name in enabled:
            changes.update(override({**settings, **changes}, desktop))
    return changes


def environment(
    project_settings: str, data_dir: Path, payload: Path, enabled: tuple[str, ...]
) -> dict[str, str]:
    """The variables that make Django load ``project_settings`` as the desktop app does:
    through the runtime's settings module with ``enabled`` overrides (none: as it is)."""
    env = {ENV["data_dir"]: str(data_dir), ENV["payload_dir"]: str(payload)}
    if not enabled:
        return env | {ENV["settings_module"]: project_settings}
    return env | {
        ENV["settings_module"]: DESKTOP_SETTINGS_MODULE,
        ENV["project_settings"]: project_settings,
        ENV["desktop_overrides"]: json.dumps(list(enabled)),
    }
