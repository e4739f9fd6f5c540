"""Settings shared by every environment. Environment variables are read here, once."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # app/ (or the payload's app/)
REPO_DIR = BASE_DIR.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "inspector",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First of ours: refuses oversized API bodies before anything reads them.
    "inspector.api_errors.ApiErrorMiddleware",
    # Before WhiteNoise, so a POST to a static file gets the readable 405 page too.
    "inspector.page_errors.PageErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "djdesk.urls"
CSRF_FAILURE_VIEW = "inspector.views.csrf_failure"
WSGI_APPLICATION = "djdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "inspector.context_processors.inspector_flags",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = REPO_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background work goes through django-tasks. "immediate" runs a task inside the request
# that enqueued it; "database" (django-tasks-db) queues it for `manage.py db_worker`, so a
# request returns at once and the UI follows progress. A dotted path picks any backend.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}


def tasks_setting(default: str) -> dict[str, dict[str, str]]:
    choice = os.environ.get("DJDESK_TASKS_BACKEND", default)
    return {"default": {"BACKEND": TASK_BACKENDS.get(choice, choice)}}


TASKS = tasks_setting("immediate")

# Where the sample projects live; a workspace path stored relative is resolved here.
INSPECTOR_SAMPLE_ROOT = Path(
    os.environ.get("DJDESK_SAMPLE_ROOT")
    or os.environ.get("INSPECTOR_SAMPLE_ROOT")
    or REPO_DIR / "sample_projects"
)
INSPECTOR_DOCS_BASE_URL = os.environ.get(
    "INSPECTOR_DOCS_BASE_URL", "https://djdesk.readthedocs.io/en/latest/"
)
INSPECTOR_DOCS_BUNDLE_DIR = REPO_DIR / "var" / "docs_bundle"
INSPECTOR_DATA_LAB_ROOT = Path(
    os.environ.get("INSPECTOR_DATA_LAB_ROOT") or REPO_DIR / "var" / "data_lab"
)
DJDESK_FLAG_DATA_LAB = env_flag("DJDESK_FLAG_DATA_LAB") or env_flag("DJDESK_FLAG_STAGE_5")

# The only management commands the inspector may run, with their allowed flags and
# named parameters (values are checked against what the scans found). Read-only ones.
INSPECTOR_SAFE_COMMANDS = {
    "check": {"flags": ["--deploy"]},
    "showmigrations": {"flags": ["--plan", "--list"]},
    "makemigrations": {"flags": ["--check", "--dry-run"]},
    "sqlmigrate": {"params": ["app_label", "migration"]},
    "diffsettings": {"flags": ["--all"]},
}
# The API's JSON bodies are small: anything larger is refused with a JSON 413.
INSPECTOR_API_MAX_BODY_BYTES = 1024 * 1024
INSPECTOR_TASK_LOG_LIMIT = 200_000  # characters of output kept per run

# Scanner bounds: a hostile or huge project must not stall a scan.
INSPECTOR_LOG_TAIL_BYTES = 256 * 1024
INSPECTOR_LOG_TAIL_LINES = 200
INSPECTOR_MAX_SOURCE_BYTES = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
