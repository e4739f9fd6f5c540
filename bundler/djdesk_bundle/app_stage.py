"""Stage 5, app: copy the Django project, collect its static files, precompile bytecode."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import contract
from .config import Options
from .errors import AppStageError
from .outputs import TOOL_DIR
from .tools import git, run, tail

# Never shipped, whether git tracks them or not. TOOL_DIR holds what djdesk-bundle writes
# inside a project (payload, archives), so a flat project never ships its own output.
EXCLUDED_PARTS = {
    TOOL_DIR,
    "__pycache__",
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "var",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".sqlite3", ".sqlite", ".log", ".db"}


def _wanted(relative: Path) -> bool:
    return not (set(relative.parts) & EXCLUDED_PARTS) and relative.suffix not in EXCLUDED_SUFFIXES


def app_files(source: Path, project_dir: Path) -> list[Path]:
    """Files to ship, relative to source: in a checkout, the files git tracks or would
    track (nothing it ignores), else a filtered walk."""
    listed = git(
        project_dir,
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        str(source),
    )
    if listed is not None:
        top = Path((git(project_dir, "rev-parse", "--show-toplevel") or str(project_dir)).strip())
        paths = [(top / p).resolve() for p in listed.split("\0") if p]
        # The working-tree copy ships (a modified file marks the build dirty elsewhere).
        files = [p.relative_to(source) for p in paths if p.is_file()]
    else:
        files = [p.relative_to(source) for p in source.rglob("*") if p.is_file()]
    return sorted(f for f in files if _wanted(f))


def copy_tree_files(source: Path, destination: Path, files: list[Path]) -> None:
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)


def copy_app(options: Options, destination: Path) -> int:
    files = app_files(options.app_path, options.project_dir)
    if not files:
        raise AppStageError(f"no files to ship in {options.app_path}")
    copy_tree_files(options.app_path, destination, files)
    return len(files)


def copy_optional_dir(options: Options, relative: str, destination: Path) -> None:
    """Copy a configured folder's contents (samples, docs) into ``destination``."""
    source = options.path(relative)
    if not source.is_dir():
        raise AppStageError(
            f"{source} does not exist (configured in [tool.djdesk-bundle]); "
            "generate it first (for the inspector: `just fetch-samples` / `just docs-bundle`)"
        )
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    # Data folders ship as they are (a sample's database and logs included), minus bytecode.
    copy_tree_files(
        source,
        destination,
        [f for f in files if "__pycache__" not in f.parts and f.suffix != ".pyc"],
    )


def runnable_python(executable: Path) -> bool:
    """Can this host run the payload's own interpreter (same OS and architecture)?"""
    if not executable.exists():
        return False
    try:
        probe = subprocess.run(
            [str(executable), "-I", "-B", "-c", "pass"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return probe.returncode == 0


COLLECTSTATIC = """
import os, sys
app, site, static = sys.argv[1:4]
sys.path[:0] = [app, site]
import django
from django.conf import settings
try:
    # Before setup: apps (Wagtail's) may build the static files storage while loading.
    settings.STATIC_ROOT = static
    django.setup()
except Exception as exc:
    sys.exit(f"settings module {os.environ['DJANGO_SETTINGS_MODULE']!r} failed to load: "
             f"{type(exc).__name__}: {exc}")
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
"""


def collect_static(options: Options, payload: Path, python: Path, work_dir: Path) -> None:
    static = payload / "static"
    settings = options.collectstatic_settings or options.settings_module
    env = _django_env(settings, work_dir / "collect-data")
    args = [str(payload / "app"), str(payload / "site-packages"), str(static)]
    # -B: running Django here must not leave timestamp-based .pyc files in the payload.
    result = run([str(python), "-I", "-B", "-c", COLLECTSTATIC, *args], env=env)
    if result.returncode != 0:
        raise AppStageError(
            f"collectstatic failed with settings {settings!r}:\n{tail(result.stderr)}"
        )
    static.mkdir(exist_ok=True)


def _django_env(settings: str, data_dir: Path) -> dict[str, str]:
    """The build's environment without anything that would steer the payload's Python."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "DJANGO_", "VIRTUAL_ENV", "DJDESK_"))
    }
    env.update(DJANGO_SETTINGS_MODULE=settings, DJDESK_DATA_DIR=str(data_dir), PYTHONHASHSEED="0")
    return env


TEMPLATE_NOT_SQLITE = 6  # the launcher's exit code when the database is not an SQLite file


def make_template_database(
    options: Options, payload: Path, python: Path, work_dir: Path, source_date_epoch: int
) -> bool:
    """``template.sqlite3``: the payload's launcher migrates a new database with the clock
    at SOURCE_DATE_EPOCH; first launches copy it instead of migrating. False when the
    project's database is not SQLite (nothing to ship)."""
    data_dir = work_dir / "template-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = _django_env(options.settings_module, data_dir) | {
        "SOURCE_DATE_EPOCH": str(source_date_epoch)
    }
    target = payload / contract.TEMPLATE_DATABASE
    result = run(
        [str(python), "-I", str(payload / contract.LAUNCHER), "--make-template", str(target)],
        env=env,
    )
    if result.returncode == TEMPLATE_NOT_SQLITE:
        return False
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise AppStageError(f"migrating the template database failed:\n{tail(result.stderr)}")
    return True


def compile_bytecode(python: Path, payload: Path, paths: list[Path]) -> None:
    """Hash-based .pyc whose recorded paths name the payload, not the build directory.

    ``paths`` are directories (compiled recursively) or single files of the payload.
    """
    for path in paths:
        if not path.exists():
            continue
        folder = path if path.is_dir() else path.parent
        logical = ("django-bundle/" + folder.relative_to(payload).as_posix()).rstrip("/.")
        argv = [
            str(python),
            "-I",
            "-B",
            "-m",
            "compileall",
            "-f",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "checked-hash",
            "-d",
            logical,
            str(path),
        ]
        result = run(argv)
        # compileall exits 1 when some file does not compile (e.g. py2-only test data).
        if result.returncode not in (0, 1):
            raise AppStageError(f"compileall failed in {path}:\n{tail(result.stderr)}")


def host_python() -> Path:
    return Path(sys.executable)
