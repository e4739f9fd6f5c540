"""Test settings: deterministic, fast, and the database locking of the desktop app."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # pragma: allowlist secret
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# The desktop settings' locking. Under pytest the test database is a file in the run's
# temporary folder (tests/conftest.py), not Django's shared-cache in-memory one: there, a
# thread that writes while another reads (a task run's worker and a request) fails at once
# with "database table is locked", because shared-cache table locks ignore the busy timeout.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
