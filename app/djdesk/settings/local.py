"""Developer settings: debug on, state under the repository's git-ignored var/."""

from .base import *  # noqa: F403
from .base import REPO_DIR

DEBUG = True
SECRET_KEY = "django-insecure-local-development-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

(REPO_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": REPO_DIR / "var" / "db.sqlite3"}
}
