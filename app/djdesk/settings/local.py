"""Developer settings: debug on, state under the repository's git-ignored var/."""

import os
from pathlib import Path

from djdesk_runtime.contract import DATA_DIR_LAYOUT, ENV

from .base import *  # noqa: F403
from .base import REPO_DIR

DEBUG = True
SECRET_KEY = "django-insecure-local-development-only"  # pragma: allowlist secret
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# The Electron shell in dev mode passes its user-data dir; a plain `runserver` uses var/.
_data_dir = Path(os.environ.get(ENV["data_dir"]) or REPO_DIR / "var")
_data_dir.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _data_dir / DATA_DIR_LAYOUT["database"],
    }
}

# The Electron shell's per-launch secret, checked here as the payload's launcher does.
MIDDLEWARE = ["djdesk.middleware.SessionTokenMiddleware", *MIDDLEWARE]
