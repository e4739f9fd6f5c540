"""The payload contract (DESIGN.md), written once: names read by every stage and by verify."""

from __future__ import annotations

ARCHIVE_ROOT = "django-bundle"
PYTHON_DIR = "python"
SITE_PACKAGES_DIR = "site-packages"
APP_DIR = "app"
STATIC_DIR = "static"
DOCS_DIR = "docs"
SAMPLES_DIR = "samples"
LAUNCHER = "run_django.py"
SESSION_GUARD = "session_guard.py"  # the request check the launcher imports
TEMPLATE_DATABASE = "template.sqlite3"  # migrated at build time, copied on first launch
VERSION_FILE = "VERSION"
BUILD_INFO = "build-info.json"
SBOM = "sbom.cdx.json"
CHECKSUMS = "SHA256SUMS"

# Archive order: what changes least comes first (interpreter, then deps), then the app.
ARCHIVE_PARTS = (PYTHON_DIR, SITE_PACKAGES_DIR, APP_DIR, STATIC_DIR, DOCS_DIR, SAMPLES_DIR)
# The archive's first gzip member, cached compressed between builds (see pack.py).
STABLE_PARTS = (PYTHON_DIR, SITE_PACKAGES_DIR)
TOP_LEVEL_FILES = (
    LAUNCHER,
    SESSION_GUARD,
    TEMPLATE_DATABASE,
    VERSION_FILE,
    BUILD_INFO,
    SBOM,
    CHECKSUMS,
)
BUILD_INFO_SCHEMA_VERSION = 1


def archive_name(name: str, version: str, triple: str) -> str:
    return f"{name}-payload-{version}-{triple}.tar.gz"
