"""The pre-flight check (``run_django.py --check``): Django's own ``check --deploy`` on
the desktop settings, plus what makes a project a broken desktop app.

Prints one JSON document, ``{"findings": [{level, id, setting, message, fix}]}``, and
exits with the contract's ``check_failed`` code when any finding is an error. The bundler
runs it in every build and in ``djdesk-bundle check``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .contract import ENV, EXIT_CODES
from .errors import describe, root_cause

RUNTIME_DEPENDENCIES = {"waitress": "serves the app", "whitenoise": "serves the static files"}


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning" | "note" (what a desktop override replaces)
    id: str
    setting: str
    message: str
    fix: str


def _inside(path: object, folder: Path) -> bool:
    try:
        return Path(str(path)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def writable_paths(settings: Any) -> list[tuple[str, object]]:
    """Every setting Django (or a common app) writes files to."""
    found: list[tuple[str, object]] = [("MEDIA_ROOT", settings.MEDIA_ROOT)]
    for alias, config in settings.DATABASES.items():
        if "sqlite3" in str(config.get("ENGINE", "")):
            found.append((f"DATABASES[{alias!r}]['NAME']", config.get("NAME")))
    for alias, config in getattr(settings, "CACHES", {}).items():
        if "FileBasedCache" in str(config.get("BACKEND", "")):
            found.append((f"CACHES[{alias!r}]['LOCATION']", config.get("LOCATION")))
    for name, handler in (getattr(settings, "LOGGING", {}) or {}).get("handlers", {}).items():
        if "filename" in handler:
            found.append((f"LOGGING['handlers'][{name!r}]['filename']", handler["filename"]))
    if getattr(settings, "FILE_UPLOAD_TEMP_DIR", None):
        found.append(("FILE_UPLOAD_TEMP_DIR", settings.FILE_UPLOAD_TEMP_DIR))
    return [(name, path) for name, path in found if path]


def desktop_findings(
    settings: Any, project: Any, payload: Path, enabled: tuple[str, ...]
) -> list[Finding]:
    return _payload_findings(settings, payload) + _project_findings(project, enabled)


def _payload_findings(settings: Any, payload: Path) -> list[Finding]:
    """What the read-only payload cannot give: writable paths inside it, missing deps."""
    findings = []
    for name, path in writable_paths(settings):
        if _inside(path, payload):
            findings.append(
                Finding(
                    "error",
                    "djdesk.E001",
                    name,
                    f"{name} is {path}, inside the read-only payload",
                    f"point it under {ENV['data_dir']}, or keep the matching desktop override on",
                )
            )
    for module, purpose in RUNTIME_DEPENDENCIES.items():
        if importlib.util.find_spec(module) is None:
            findings.append(
                Finding(
                    "error",
                    "djdesk.E002",
                    "dependencies",
                    f"{module} is not installed in the payload ({purpose})",
                    f"add {module} to the project's dependencies (or let the build add it)",
                )
            )
    return findings


def _project_findings(project: Any, enabled: tuple[str, ...]) -> list[Finding]:
    """Risky settings of the project's module (notes when an override replaces them)."""
    findings = []
    key = str(getattr(project, "SECRET_KEY", "") or "")
    if key and (key.startswith("django-insecure") or (len(key) > 8 and key in _source_of(project))):
        findings.append(
            _project_setting(
                "secret-key" in enabled,
                "djdesk.W003",
                "SECRET_KEY",
                "SECRET_KEY is written in the settings' source",
                "replaced at run time by a per-install key in the data dir",
                "read it from the environment; the desktop runtime makes one per install",
            )
        )
    if getattr(project, "DEBUG", False):
        findings.append(
            _project_setting(
                "debug" in enabled,
                "djdesk.W004",
                "DEBUG",
                "DEBUG is on in the project's settings",
                "turned off at run time",
                "ship a settings module with DEBUG = False",
            )
        )
    if "*" in list(getattr(project, "ALLOWED_HOSTS", [])):
        findings.append(
            _project_setting(
                "allowed-hosts" in enabled,
                "djdesk.W005",
                "ALLOWED_HOSTS",
                "ALLOWED_HOSTS allows any host",
                "loopback names only at run time",
                "list the hosts the app really serves",
            )
        )
    return findings


def start_page_findings(settings: Any) -> list[Finding]:
    """The shell opens its window on /: a project without a page there shows Not Found."""
    from django.urls import Resolver404, resolve

    candidates = ["/"]
    if getattr(settings, "USE_I18N", False):  # i18n_patterns: / redirects to /<lang>/
        candidates.append(f"/{settings.LANGUAGE_CODE}/")
    for path in candidates:
        try:
            resolve(path)
            return []
        except Resolver404:
            continue
    return [
        Finding(
            "warning",
            "djdesk.W006",
            "ROOT_URLCONF",
            "no URL pattern matches /, where the desktop window opens: it would show Not Found",
            "add a view at / (your start page, or a RedirectView to it)",
        )
    ]


def _project_setting(
    overridden: bool, check_id: str, setting: str, message: str, at_run_time: str, fix: str
) -> Finding:
    """A risky project setting: a note when a desktop override replaces it (nothing to fix
    for the desktop app: shown with -v), else an error."""
    if overridden:
        return Finding("note", check_id, setting, f"{message} ({at_run_time})", fix)
    return Finding("error", check_id.replace(".W", ".E"), setting, message, fix)


def _source_of(module: Any) -> str:
    try:
        return inspect.getsource(module)
    except (OSError, TypeError):
        return ""


def django_findings() -> list[Finding]:
    from django.core import checks

    findings = []
    for message in checks.run_checks(include_deployment_checks=True):
        if message.is_silenced():
            continue
        level = "error" if message.level >= checks.ERROR else "warning"
        if message.level < checks.WARNING:
            continue
        findings.append(
            Finding(
                level,
                str(message.id or "django"),
                str(message.obj or ""),
                str(message.msg),
                str(message.hint or ""),
            )
        )
    return findings


def run_checks(payload: Path, project_settings: str, enabled: tuple[str, ...]) -> int:
    findings: list[Finding] = []
    try:
        project = importlib.import_module(project_settings)
        import django
        from django.conf import settings

        django.setup()
        findings += desktop_findings(settings, project, payload, enabled)
        findings += start_page_findings(settings)
        findings += django_findings()
    except Exception as error:  # settings that do not import are the finding
        findings.append(
            Finding(
                "error",
                "djdesk.E000",
                project_settings,
                f"the settings do not load: {describe(root_cause(error))}",
                "run the project's `manage.py check` with these settings and fix the error",
            )
        )
    print(json.dumps({"findings": [asdict(f) for f in findings]}, indent=1), flush=True)
    failed = any(f.level == "error" for f in findings)
    return EXIT_CODES["check_failed"] if failed else EXIT_CODES["ok"]
