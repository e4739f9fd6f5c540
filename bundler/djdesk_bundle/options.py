"""Options of a build: ``[tool.djdesk-bundle]`` < ``DJDESK_BUNDLE_*`` env vars < flags."""

from __future__ import annotations

import difflib
import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.fs.archive_policy import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES
from djdesk_bundle.pins import DEFAULT_MANIFEST
from djdesk_bundle.tools.process import DEFAULT_TIMEOUT_SECONDS
from djdesk_bundle.tools.toolchain import host_triple
from djdesk_runtime.contract import DESKTOP_OVERRIDES, WORKER_MODES, WORKER_THREAD
from djdesk_runtime.worker import THREAD_WORKER_COMMAND

TABLE = "tool.djdesk-bundle"
ENV_PREFIX = "DJDESK_BUNDLE_"

# What a desktop app never needs of the interpreter (POSIX layout, then Windows'): the test
# suite and its extension modules (_testcapi, xxlimited, ...), IDLE and Tk (with turtle and
# _tkinter, which need it), pip and ensurepip, headers, the static library, man pages; the
# stdlib's bytecode is compiled again by the extract stage (deterministic, hash-based;
# sourceless unless `interpreter-sources`, which drops every `__pycache__`).
DEFAULT_PRUNE = (
    "lib/python*/test",
    "lib/python*/idlelib",
    "lib/python*/tkinter",
    "lib/python*/turtledemo",
    "lib/python*/ensurepip",
    "lib/python*/lib2to3",
    "lib/python*/pydoc_data",
    "lib/python*/config-*",
    "lib/python*/site-packages",
    "lib/python*/__pycache__",
    "lib/python*/*/__pycache__",
    "lib/python*/**/tests",
    "lib/python*/turtle.py*",
    "lib/python*/lib-dynload/_test*",
    "lib/python*/lib-dynload/_ctypes_test*",
    "lib/python*/lib-dynload/_xxtestfuzz*",
    "lib/python*/lib-dynload/xxlimited*",
    "lib/python*/lib-dynload/_tkinter*",
    "lib/libtcl*",
    "lib/libtk*",
    "lib/tcl*",
    "lib/tk*",
    "lib/itcl*",
    "lib/thread*",
    "lib/pkgconfig",
    "include",
    "share",
    "bin/idle*",
    "bin/pydoc*",
    "bin/2to3*",
    "bin/pip*",
    "Lib/test",
    "Lib/idlelib",
    "Lib/tkinter",
    "Lib/turtledemo",
    "Lib/ensurepip",
    "Lib/lib2to3",
    "Lib/pydoc_data",
    "Lib/site-packages",
    "Lib/turtle.py*",
    "DLLs/_test*",
    "DLLs/_ctypes_test*",
    "DLLs/_xxtestfuzz*",
    "DLLs/xxlimited*",
    "DLLs/_tkinter*",
    "DLLs/tcl*",
    "DLLs/tk*",
    "Scripts/pip*",
    "tcl",
)

# Removed from site-packages (slim.py): test suites, gettext sources (gettext reads the .mo),
# type stubs.
DEFAULT_DEPENDENCY_PRUNE = ("**/tests", "**/*.po", "**/*.pyi")

# The archive policy's defaults (fs/archive_policy.py says why these numbers).
DEFAULT_EXTRACT_MAX_BYTES = DEFAULT_MAX_BYTES
DEFAULT_EXTRACT_MAX_ENTRIES = DEFAULT_MAX_ENTRIES
# Upper bounds: a limit set far beyond them is no limit (a huge value disabled the check).
MAX_EXTRACT_MAX_BYTES = 16 * 1024**3
MAX_EXTRACT_MAX_ENTRIES = 2_000_000

# Path options a build reads or writes inside the project: resolved against the project
# dir (symlinks followed) and refused when they end outside it. The others may be
# elsewhere (cache-dir, output-dir, dist-dir, interpreter-manifest, samples-dir,
# docs-dir) and are checked for what they are.
INSIDE_PROJECT = ("app-dir", "lock", "requirements", "npm-lock", "shell-dir")
DIRECTORY_OPTIONS = ("cache-dir", "output-dir", "dist-dir")
# Options taking one of a few values (the schema lists them too).
CHOICES = {"worker-mode": WORKER_MODES}
DOTTED_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


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
    extend_prune: tuple[str, ...] = ()  # added to `prune` (keeps the defaults)
    python_mirror: str = ""
    cache_dir: str = ""
    offline: bool = False
    target: str = ""
    lock: str = ""  # "" = uv.lock if present, else requirements.txt
    requirements: str = ""  # the requirements file `djdesk-bundle lock` compiles into `lock`
    compile_bytecode: bool = True
    # Ship the interpreter's stdlib .py beside its bytecode (by default it ships sourceless,
    # like site-packages: `dependency-sources`).
    interpreter_sources: bool = False
    # The desktop shell's folder (`init` scaffolds it): never shipped in the payload, even
    # inside app-dir.
    shell_dir: str = "electron"
    npm_lock: str = "electron/package-lock.json"  # the shell's npm deps, for the SBOM
    worker_command: str = ""  # a management command the launcher runs beside the server
    # Where it runs (djdesk_runtime/worker.py): "auto", a thread of the server where the
    # backend allows (django-tasks-db's db_worker), else a child process; "thread"; "process".
    worker_mode: str = WORKER_MODES[0]
    template_database: bool = True  # ship a pre-migrated SQLite database for first launch
    extras: tuple[str, ...] = ()  # optional dependency groups of the app to ship too
    # The desktop overrides put on top of the project's settings (djdesk_runtime/overrides.py);
    # [] runs the settings module as it is.
    desktop_overrides: tuple[str, ...] = DESKTOP_OVERRIDES
    # URL prefixes the launcher serves without the session token (docs/integration.md).
    public_paths: tuple[str, ...] = ()
    extract_max_bytes: int = DEFAULT_EXTRACT_MAX_BYTES  # the interpreter archive, expanded
    extract_max_entries: int = DEFAULT_EXTRACT_MAX_ENTRIES
    # What of site-packages ships (slim.py): globs removed, languages kept (() = all),
    # and whether third-party .py ship beside their bytecode.
    dependency_prune: tuple[str, ...] = DEFAULT_DEPENDENCY_PRUNE
    extend_dependency_prune: tuple[str, ...] = ()  # added to `dependency-prune`
    dependency_locales: tuple[str, ...] = ()
    dependency_sources: bool = False
    # What of the app folder ships (build/selection.py): what git tracks, plus `include`
    # (gitignore-style patterns, relative to app-dir: generated or ignored files shipped on
    # purpose), minus `exclude`.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # A command run in the project before anything is read (an asset pipeline); its outputs
    # ship through `include`.
    before_build: str = ""
    # Management commands run on the staged payload after collectstatic (e.g. "compress").
    build_commands: tuple[str, ...] = ()
    # The smoke stage boots the staged payload and requests these paths ("" = the start
    # page and the admin login) and every static file they reference.
    smoke: bool = True
    smoke_urls: tuple[str, ...] = ()
    # Locked dependencies allowed to be built from their (hash-pinned) sdist.
    build_sdists: tuple[str, ...] = ()
    # Seconds any child process of the build may run (uv, git, collectstatic, the check,
    # the template database) before it is stopped (tools/process.py).
    process_timeout: int = DEFAULT_TIMEOUT_SECONDS

    def path(self, relative: str) -> Path:
        return (self.project_dir / relative).resolve()

    @property
    def prune_globs(self) -> tuple[str, ...]:
        return (*self.prune, *self.extend_prune)

    @property
    def dependency_prune_globs(self) -> tuple[str, ...]:
        return (*self.dependency_prune, *self.extend_dependency_prune)

    @property
    def app_path(self) -> Path:
        return self.path(self.app_dir)

    @property
    def cache_root(self) -> Path:
        """cache-dir against the project dir, like every other path; else the user cache."""
        if self.cache_dir:
            return self.path(self.cache_dir)
        return Path(platformdirs.user_cache_dir("djdesk-bundle"))


OPTION_NAMES = {f.name.replace("_", "-"): f for f in fields(Options)}
SETTABLE = {k: f for k, f in OPTION_NAMES.items() if k != "project-dir"}


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
    check_paths(options)
    check_limits(options)
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
    check_choices(options)
    package = options.app_package or _guess_project_package(options.app_path)
    check_settings_module(options, options.settings_module or f"{package}.settings")
    return replace(
        options,
        app_package=package,
        settings_module=options.settings_module or f"{package}.settings",
        wsgi_application=options.wsgi_application or f"{package}.wsgi:application",
        target=options.target or host_triple(),  # the default: a pure function, no tool run
        interpreter_manifest=options.interpreter_manifest or str(DEFAULT_MANIFEST),
    )


def check_choices(options: Options) -> None:
    for key, allowed in CHOICES.items():
        if getattr(options, key.replace("-", "_")) not in allowed:
            raise ConfigError(f"{_where(options, key)}: it must be one of {', '.join(allowed)}")
    command = shlex.split(options.worker_command)[:1]
    if options.worker_mode == WORKER_THREAD and command != [THREAD_WORKER_COMMAND]:
        raise ConfigError(
            f"{_where(options, 'worker-mode')}: a thread of the server runs django-tasks-db's "
            f"{THREAD_WORKER_COMMAND} only, not worker-command = {options.worker_command!r}"
        )


def _where(options: Options, key: str) -> str:
    return f"[{TABLE}] {key} = {getattr(options, key.replace('-', '_'))!r}"


def check_paths(options: Options) -> None:
    """Before anything is read or walked: every path option is what it must be."""
    project = options.project_dir
    for key in INSIDE_PROJECT:
        value = getattr(options, key.replace("-", "_"))
        if value and not options.path(value).is_relative_to(project):
            raise ConfigError(
                f"{_where(options, key)} is outside the project {project}: give a path inside it"
            )
    for key in DIRECTORY_OPTIONS:
        value = getattr(options, key.replace("-", "_"))
        path = options.path(value) if value else None
        if path is not None and path.exists() and not path.is_dir():
            raise ConfigError(f"{_where(options, key)}: {path} exists and is not a directory")
    cache = options.cache_root
    if options.cache_dir and (cache == project or project.is_relative_to(cache)):
        raise ConfigError(
            f"{_where(options, 'cache-dir')} holds the project {project}: "
            "give the cache a folder of its own"
        )
    for key in ("lock", "requirements", "npm-lock", "interpreter-manifest"):
        value = getattr(options, key.replace("-", "_"))
        if value and options.path(value).is_dir():
            raise ConfigError(f"{_where(options, key)} is a directory, not a file")


def check_limits(options: Options) -> None:
    for key, value, most in (
        ("extract-max-bytes", options.extract_max_bytes, MAX_EXTRACT_MAX_BYTES),
        ("extract-max-entries", options.extract_max_entries, MAX_EXTRACT_MAX_ENTRIES),
    ):
        if value > most:
            raise ConfigError(f"[{TABLE}] {key} = {value} is above its upper bound {most}")


def check_settings_module(options: Options, settings_module: str) -> None:
    """The settings must be the project's own module: ``os`` (or a typo) used to reach
    the build's child processes and come back as their whole traceback."""
    if not DOTTED_NAME.match(settings_module):
        raise ConfigError(f"[{TABLE}] settings-module {settings_module!r} is not a module name")
    top = settings_module.split(".")[0]
    app = options.app_path
    if not ((app / top).is_dir() or (app / f"{top}.py").is_file()):
        raise ConfigError(
            f"[{TABLE}] settings-module {settings_module!r}: there is no {top!r} package "
            f"in app-dir {app}"
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
