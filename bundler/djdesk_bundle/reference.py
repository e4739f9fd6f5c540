"""The reference of ``[tool.djdesk-bundle]``, generated from ``Options``: the options table
of docs/bundler.md and a JSON schema editors validate the table with (as cibuildwheel
ships one for its own table). ``scripts/generate_reference.py`` writes both; a test fails
when either is not what this module makes.

Names, types and defaults come from the dataclass; what each option means is written
here, once (a new option without a description fails the test).
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.options import CHOICES, OPTION_NAMES, SETTABLE, TABLE, Options
from djdesk_runtime.contract import ENV

SCHEMA_PATH = Path(__file__).with_name("options.schema.json")
SCHEMA_ID = "https://djdesk.invalid/schemas/tool.djdesk-bundle.json"

# Options whose default is decided at run time, and what it is.
COMPUTED_DEFAULTS = {
    "app-project": "the app's `[project].name`",
    "app-package": "the one package with `wsgi.py`",
    "settings-module": "`<app-package>.settings`",
    "wsgi-application": "`<app-package>.wsgi:application`",
    "collectstatic-settings": "`settings-module`",
    "interpreter-manifest": "the pins shipped in djdesk-bundle "
    "(`manifests/python-build-standalone.toml`)",
    "cache-dir": "the user cache dir",
    "target": "this host",
    "lock": "`uv.lock`, else `requirements.txt`",
    "prune": "the test suite and its extension modules (`_testcapi`, `xxlimited`, …), IDLE "
    "and Tk (with `turtle` and `_tkinter`), pip and ensurepip, lib2to3, pydoc data, headers, "
    "the static library, `share/`, the stdlib's `__pycache__` (compiled again)",
    "desktop-overrides": "all of them",
    "smoke-urls": "`/` and the admin login",
}

DESCRIPTIONS = {
    "app-dir": "the Django project folder (holds `manage.py`)",
    "app-project": "the uv workspace member whose locked deps ship",
    "app-package": "the Django project package",
    "settings-module": "settings the launcher uses",
    "wsgi-application": "the WSGI callable",
    "collectstatic-settings": "settings for `collectstatic`",
    "samples-dir": "a folder shipped as `samples/<name>`",
    "docs-dir": "offline HTML docs shipped as `docs/`",
    "interpreter-manifest": "the interpreter pins (URL and sha256 per target triple)",
    "output-dir": "where the payload goes (`init` writes "
    f"`.djdesk/{contract.ARCHIVE_ROOT}`); inside `app-dir` only under `.djdesk/`",
    "dist-dir": "where the archive goes (`init` writes `.djdesk/dist`)",
    "prune": "globs removed from the interpreter (replacing the defaults)",
    "extend-prune": "globs removed from the interpreter in addition to `prune`",
    "python-mirror": "base URL or `file://` folder replacing the download location",
    "cache-dir": "download and build cache; relative to the project like every path; must not "
    "be a file or hold the project; tagged with `CACHEDIR.TAG` when the tool creates it",
    "offline": "never download",
    "target": "target triple",
    "lock": "the lock to install from (`-r` includes are followed)",
    "requirements": "the requirements file `djdesk-bundle lock` compiles into `lock` (default "
    "`requirements.lock.txt`); a lock older than it is refused",
    "compile-bytecode": "precompile `.pyc`",
    "interpreter-sources": "ship the interpreter's standard library `.py` too (by default "
    "`python/` ships its sourceless, hash-checked bytecode, as the deps do: tracebacks name "
    "each file and line, without the line's text; the app always ships its sources)",
    "shell-dir": "the desktop shell's folder (`init` writes it); never shipped in the payload, "
    "even when it is inside `app-dir`",
    "npm-lock": "the shell's npm deps, for the SBOM",
    "worker-command": "a management command the launcher runs as the task worker, when there "
    "is work",
    "worker-mode": "where the worker runs: `auto`, a thread of the server when `worker-command` "
    "is django-tasks-db's `db_worker` (no second Django process), else a child process; "
    "`thread`; `process` (a task that may crash or hog the interpreter); "
    f"`{ENV['worker_mode']}` overrides it at launch",
    "template-database": "ship a pre-migrated SQLite database for the first launch",
    "extras": "optional dependency groups of the app that ship too (`--extra NAME`)",
    "desktop-overrides": "the desktop overrides put on the project's settings "
    "(docs/integration.md); `[]` runs the settings module as it is",
    "public-paths": "URL prefixes served without the session token (opt-in; never the root or "
    "the admin; docs/security.md says the risk)",
    "extract-max-bytes": "refuse an interpreter archive that expands beyond this (at most 16 GiB)",
    "extract-max-entries": "refuse an interpreter archive with more entries (at most 2 000 000)",
    "process-timeout": "seconds any child process of the build may run (uv, git, "
    "collectstatic, the pre-flight check, the template database, build commands, the smoke "
    "test's boot) before its whole process group is stopped: one `error:` line naming the "
    "command, exit 16",
    "dependency-prune": f"globs (relative to `{contract.SITE_PACKAGES_DIR}/`) removed from "
    "the deps: test suites, gettext sources (gettext reads the `.mo`), type stubs; "
    "`*.dist-info` is never touched (the SBOM and `verify` read it)",
    "extend-dependency-prune": "globs removed from the deps in addition to "
    '`dependency-prune` (keeps its defaults), e.g. `["wagtail/test"]`',
    "dependency-locales": "languages kept in every `locale/` folder of the deps, e.g. "
    '`["fr", "de"]` (`[]`: every language; English is always kept)',
    "dependency-sources": "ship the third-party packages' `.py` too (by default "
    f"`{contract.SITE_PACKAGES_DIR}/` ships sourceless, hash-checked bytecode; the app always "
    "ships its "
    "sources)",
    "include": "gitignore-style patterns (relative to `app-dir`) of files that ship although "
    "git does not track them: generated assets, an ignored settings file; a secret-named "
    "file ships only when named by its exact path",
    "exclude": "patterns of tracked files that do not ship",
    "before-build": "a command run in the project before anything is read (an asset "
    "pipeline); no shell",
    "build-commands": "management commands run on the staged payload after `collectstatic`, "
    'e.g. `["compress"]`',
    "smoke": "boot the staged payload and request `smoke-urls` and what they reference (a "
    "failure is exit 15)",
    "smoke-urls": "the paths the smoke stage requests (a listed path must not be 404)",
    "build-sdists": "locked dependencies that may be built from their hash-pinned sdist (pure "
    "Python, or a host-target build)",
}


def _json_type(kind: Any) -> dict[str, Any]:
    text = str(kind)
    if "bool" in text:
        return {"type": "boolean"}
    if "int" in text:
        return {"type": "integer", "minimum": 1}
    if "tuple" in text:
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "string"}


def _default(name: str) -> Any:
    field = OPTION_NAMES[name]
    if field.default is MISSING:
        return None
    value = field.default
    return list(value) if isinstance(value, tuple) else value


def options_schema() -> dict[str, Any]:
    properties = {}
    for name, field in SETTABLE.items():
        entry = {"description": DESCRIPTIONS[name].replace("`", ""), **_json_type(field.type)}
        if name not in COMPUTED_DEFAULTS and _default(name) not in ("", None):
            entry["default"] = _default(name)
        if name in CHOICES:
            entry["enum"] = list(CHOICES[name])
        properties[name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"[{TABLE}]",
        "description": "djdesk-bundle's options in pyproject.toml; each can be overridden "
        "by DJDESK_BUNDLE_<KEY> and then by a flag.",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def schema_text() -> str:
    return json.dumps(options_schema(), indent=2, ensure_ascii=False) + "\n"


def _default_text(name: str) -> str:
    if name in COMPUTED_DEFAULTS:
        return COMPUTED_DEFAULTS[name]
    value = _default(name)
    if value in ("", None):
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return f"`{json.dumps(value)}`" if isinstance(value, list) else f"`{value}`"


def options_table() -> str:
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for field in fields(Options):
        name = field.name.replace("_", "-")
        if name in SETTABLE:
            lines.append(f"| `{name}` | {_default_text(name)} | {DESCRIPTIONS[name]} |")
    return "\n".join(lines) + "\n"
