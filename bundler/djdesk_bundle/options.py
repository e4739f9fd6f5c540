"""Options of a build: ``[tool.djdesk-bundle]`` < ``DJDESK_BUNDLE_*`` env vars < flags."""

from __future__ import annotations

import difflib
import platform
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.pins import DEFAULT_MANIFEST
from djdesk_runtime.contract import DESKTOP_OVERRIDES

TABLE = "tool.djdesk-bundle"
ENV_PREFIX = "DJDESK_BUNDLE_"

DEFAULT_PRUNE = (
    "lib/python*/test",
    "lib/python*/idlelib",
    "lib/python*/tkinter",
    "lib/python*/turtledemo",
    "lib/python*/ensurepip",
    "lib/python*/lib2to3",
    "lib/python*/site-packages",
    "lib/python*/**/tests",
    "include",
    "share",
    "Lib/test",
    "Lib/idlelib",
    "Lib/tkinter",
    "Lib/ensurepip",
    "Lib/site-packages",
    "tcl",
)

# Removed from site-packages (slim.py): test suites, gettext sources (gettext reads the .mo),
# type stubs.
DEFAULT_DEPENDENCY_PRUNE = ("**/tests", "**/*.po", "**/*.pyi")

# The largest python-build-standalone install_only archive expands to ~250 MB in ~10 000
# entries; anything far beyond is a decompression bomb, not an interpreter.
DEFAULT_EXTRACT_MAX_BYTES = 2 * 1024**3
DEFAULT_EXTRACT_MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class Options:
    """Every option of ``[tool.djdesk-bundle]``; paths are relative to the project dir."""

    project_dir: Path
    app_dir: str = "app"
    app_project: str = ""  # the uv workspace member whose locked deps ship ("" = app's name)
    app_package: str = ""  # the Django project package inside app_dir (settings, wsgi)
    settings_module: str = ""
    wsgi_application: str = ""
    collectstatic_settings: str = ""
    samples_dir: str = ""
    docs_dir: str = ""
    interpreter_manifest: str = ""  # "" = the pins shipped inside djdesk-bundle
    output_dir: str = contract.ARCHIVE_ROOT
    dist_dir: str = "dist"
    prune: tuple[str, ...] = DEFAULT_PRUNE
    python_mirror: str = ""
    cache_dir: str = ""
    offline: bool = False
    target: str = ""
    lock: str = ""  # "" = uv.lock if present, else requirements.txt
    requirements: str = ""  # the requirements file `djdesk-bundle lock` compiles into `lock`
    compile_bytecode: bool = True
    # The desktop shell's folder (`init` scaffolds it): never shipped in the payload, even
    # inside app-dir.
    shell_dir: str = "electron"
    npm_lock: str = "electron/package-lock.json"  # the shell's npm deps, for the SBOM
    worker_command: str = ""  # a management command the launcher runs beside the server
    template_database: bool = True  # ship a pre-migrated SQLite database for first launch
    extras: tuple[str, ...] = ()  # optional dependency groups of the app to ship too
    # The desktop overrides put on top of the project's settings (djdesk_runtime/overrides.py);
    # [] runs the settings module as it is.
    desktop_overrides: tuple[str, ...] = DESKTOP_OVERRIDES
    extract_max_bytes: int = DEFAULT_EXTRACT_MAX_BYTES  # the interpreter archive, expanded
    extract_max_entries: int = DEFAULT_EXTRACT_MAX_ENTRIES
    # What of site-packages ships (slim.py): globs removed, languages kept (() = all),
    # and whether third-party .py ship beside their bytecode.
    dependency_prune: tuple[str, ...] = DEFAULT_DEPENDENCY_PRUNE
    dependency_locales: tuple[str, ...] = ()
    dependency_sources: bool = False

    def path(self, relative: str) -> Path:
        return (self.project_dir / relative).resolve()

    @property
    def app_path(self) -> Path:
        return self.path(self.app_dir)

    @property
    def cache_root(self) -> Path:
        return Path(self.cache_dir or platformdirs.user_cache_dir("djdesk-bundle"))


OPTION_NAMES = {f.name.replace("_", "-"): f for f in fields(Options)}
SETTABLE = {k: f for k, f in OPTION_NAMES.items() if k != "project-dir"}


def host_triple() -> str:
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}.get(
        machine, machine
    )
    if sys.platform == "darwin":
        return f"{arch}-apple-darwin"
    if sys.platform == "win32":
        return f"{arch}-pc-windows-msvc"
    return f"{arch}-unknown-linux-gnu"


def _coerce(key: str, value: Any, where: str) -> Any:
    kind = SETTABLE[key].type
    if kind in ("bool", bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
            "",
        }:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{where}: {key} must be true or false (got {value!r})")
    if kind in ("int", int):
        try:
            number = int(value) if not isinstance(value, bool) else -1
        except (TypeError, ValueError):
            number = -1
        if number <= 0:
            raise ConfigError(f"{where}: {key} must be a positive whole number (got {value!r})")
        return number
    if "tuple" in str(kind):
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string (got {value!r})")
    return value


def _unknown_key(key: str, where: str) -> ConfigError:
    close = difflib.get_close_matches(key, SETTABLE, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(f"{where}: unknown option {key!r}{hint}")


def read_table(pyproject: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{pyproject} not found: run `djdesk-bundle init` in the project, or pass --project"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("djdesk-bundle")
    if table is None:
        raise ConfigError(
            f"{pyproject} has no [{TABLE}] table: run `djdesk-bundle init` to write one"
        )
    return dict(table)


def has_table(project_dir: Path) -> bool:
    """Does the project's pyproject.toml have a [tool.djdesk-bundle] table?"""
    try:
        read_table(project_dir / "pyproject.toml")
    except ConfigError:
        return False
    return True


def find_project(start: Path) -> Path:
    """The nearest dir from ``start`` upward whose pyproject.toml has [tool.djdesk-bundle]
    (uv and git look upward too); ``start`` itself when none has."""
    start = start.resolve()
    return next((d for d in (start, *start.parents) if has_table(d)), start)


def load_options(
    project_dir: Path,
    env: Mapping[str, str],
    flags: Mapping[str, Any] | None = None,
) -> Options:
    """Merge the three layers; an error names the key and where it came from."""
    project_dir = project_dir.resolve()
    pyproject = project_dir / "pyproject.toml"
    values: dict[str, Any] = {}
    for key, value in read_table(pyproject).items():
        where = f"{pyproject} [{TABLE}]"
        if key not in SETTABLE:
            raise _unknown_key(key, where)
        values[key] = _coerce(key, value, where)
    for name, value in env.items():
        if name.startswith(ENV_PREFIX):
            key = name[len(ENV_PREFIX) :].lower().replace("_", "-")
            if key not in SETTABLE:
                raise _unknown_key(key, f"environment variable {name}")
            values[key] = _coerce(key, value, f"environment variable {name}")
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key}")
    options = Options(
        project_dir=project_dir, **{k.replace("-", "_"): v for k, v in values.items()}
    )
    return _with_defaults(options)


def _with_defaults(options: Options) -> Options:
    if not options.app_path.is_dir():
        raise ConfigError(
            f"{options.project_dir / 'pyproject.toml'} [{TABLE}]: app-dir "
            f"{options.app_dir!r} is not a directory"
        )
    unknown = sorted(set(options.desktop_overrides) - set(DESKTOP_OVERRIDES))
    if unknown:
        raise ConfigError(
            f"[{TABLE}] desktop-overrides: unknown {', '.join(unknown)}; "
            f"the overrides are {', '.join(DESKTOP_OVERRIDES)}"
        )
    package = options.app_package or _guess_project_package(options.app_path)
    return replace(
        options,
        app_package=package,
        settings_module=options.settings_module or f"{package}.settings",
        wsgi_application=options.wsgi_application or f"{package}.wsgi:application",
        target=options.target or host_triple(),
        interpreter_manifest=options.interpreter_manifest or str(DEFAULT_MANIFEST),
    )


def _guess_project_package(app_path: Path) -> str:
    candidates = sorted(p.parent.name for p in app_path.glob("*/wsgi.py"))
    if len(candidates) != 1:
        raise ConfigError(
            f"cannot tell the Django project package in {app_path} "
            f"(found {candidates or 'no'} */wsgi.py): set app-package in [{TABLE}]"
        )
    return candidates[0]


@dataclass(frozen=True)
class AppProject:
    """The shipped app's ``[project]``: read once (resolve), passed to every stage."""

    pyproject: Path
    name: str
    version: str
    dependencies: tuple[str, ...]


def read_app_project(options: Options) -> AppProject:
    """The app dir's pyproject ``[project]``, else the project root's."""
    for pyproject in (options.app_path / "pyproject.toml", options.project_dir / "pyproject.toml"):
        if pyproject.is_file():
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
            if project.get("name") and project.get("version"):
                return AppProject(
                    pyproject=pyproject,
                    name=str(project["name"]),
                    version=str(project["version"]),
                    dependencies=tuple(str(d) for d in project.get("dependencies", [])),
                )
    raise ConfigError(
        f"no [project] name and version in {options.app_path / 'pyproject.toml'} "
        f"or {options.project_dir / 'pyproject.toml'}: the payload needs a version"
    )
