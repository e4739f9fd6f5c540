"""Settings for the desktop payload: debug off, everything writable under DJDESK_DATA_DIR."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from djdesk_runtime.contract import DATA_DIR_LAYOUT, DOCS_DIR, ENV, SAMPLES_DIR, STATIC_DIR

from .base import *  # noqa: F403
from .base import BASE_DIR, tasks_setting

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

_data_dir = os.environ.get(ENV["data_dir"])
if not _data_dir:
    raise ImproperlyConfigured(
        f"{ENV['data_dir']} is not set: the desktop settings keep the database, logs and "
        "exports there (the Electron shell passes its userData directory)."
    )
DATA_DIR = Path(_data_dir).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _load_or_create_secret_key(data_dir: Path) -> str:
    """One random key per data dir, created on first launch and kept (0600) there."""
    key_file = data_dir / DATA_DIR_LAYOUT["secret_key"]
    try:
        key = key_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if not key:
        key = secrets.token_urlsafe(50)
        tmp = key_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        os.replace(tmp, key_file)
    return key


SECRET_KEY = _load_or_create_secret_key(DATA_DIR)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / DATA_DIR_LAYOUT["database"],
        # The server and the task worker share the file: wait for locks, write-ahead log.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}

# The launcher starts `db_worker` beside the server: requests return at once.
TASKS = tasks_setting("database")

# The payload is read-only: static files were collected at build time next to app/.
STATIC_ROOT = BASE_DIR.parent / STATIC_DIR
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

_samples = BASE_DIR.parent / SAMPLES_DIR
if _samples.is_dir() and not (
    os.environ.get("DJDESK_SAMPLE_ROOT") or os.environ.get("INSPECTOR_SAMPLE_ROOT")
):
    INSPECTOR_SAMPLE_ROOT = _samples
_docs = BASE_DIR.parent / DOCS_DIR
if _docs.is_dir():
    INSPECTOR_DOCS_BUNDLE_DIR = _docs
if not os.environ.get("INSPECTOR_DATA_LAB_ROOT"):
    INSPECTOR_DATA_LAB_ROOT = DATA_DIR / DATA_DIR_LAYOUT["data_lab"]

LOG_DIR = DATA_DIR / DATA_DIR_LAYOUT["logs"]
LOG_DIR.mkdir(exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": LOG_DIR / DATA_DIR_LAYOUT["django_log"],
            "maxBytes": 1_000_000,
            "backupCount": 3,
        },
        "console": {"class": "logging.StreamHandler"},
    },
    "root": {"handlers": ["file", "console"], "level": "WARNING"},
}
