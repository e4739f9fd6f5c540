"""The inspector's own desktop settings.

The desktop runtime loads this module and then applies the overrides every bundled
project gets (``djdesk_runtime/overrides.py``: databases and media in the data dir, a
per-install secret key, ``DEBUG`` off, loopback hosts, plain HTTP, static files from the
payload, logs in the data dir). What is left here is the inspector's own: its database
options, task backend, static storage, samples, offline docs and Data Lab folder.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from djdesk_runtime.contract import DATA_DIR_LAYOUT, DOCS_DIR, ENV, SAMPLES_DIR

from .base import *  # noqa: F403
from .base import BASE_DIR, tasks_setting

_data_dir = os.environ.get(ENV["data_dir"])
if not _data_dir:
    raise ImproperlyConfigured(
        f"{ENV['data_dir']} is not set: the desktop settings keep the database, logs and "
        "exports there (the Electron shell passes its userData directory)."
    )
DATA_DIR = Path(_data_dir).resolve()

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
