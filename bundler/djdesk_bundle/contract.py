"""The payload contract for the bundler: the names live in ``djdesk_runtime/contract.json``
(shared with the launcher, the desktop settings and the Electron shell); this module
re-exports them for the stages and adds what only the bundler needs."""

from __future__ import annotations

from djdesk_runtime.contract import (
    APP_DIR,
    ARCHIVE_PARTS,
    ARCHIVE_ROOT,
    BUILD_INFO,
    CHECKSUMS,
    CONTRACT_FILE,
    DOCS_DIR,
    LAUNCHER,
    LAUNCHER_CONFIG,
    PYTHON_DIR,
    RUNTIME_DIR,
    SAMPLES_DIR,
    SBOM,
    SITE_PACKAGES_DIR,
    STABLE_PARTS,
    STATIC_DIR,
    TEMPLATE_DATABASE,
    TOP_LEVEL_FILES,
    VERSION_FILE,
    archive_name,
    interpreter_path,
)

__all__ = [
    "APP_DIR",
    "ARCHIVE_PARTS",
    "ARCHIVE_ROOT",
    "BUILD_INFO",
    "BUILD_INFO_SCHEMA_VERSION",
    "CHECKSUMS",
    "CONTRACT_FILE",
    "DOCS_DIR",
    "LAUNCHER",
    "LAUNCHER_CONFIG",
    "PYTHON_DIR",
    "RUNTIME_DIR",
    "SAMPLES_DIR",
    "SBOM",
    "SITE_PACKAGES_DIR",
    "STABLE_PARTS",
    "STATIC_DIR",
    "TEMPLATE_DATABASE",
    "TOP_LEVEL_FILES",
    "VERSION_FILE",
    "archive_name",
    "interpreter_path",
]

BUILD_INFO_SCHEMA_VERSION = 1
