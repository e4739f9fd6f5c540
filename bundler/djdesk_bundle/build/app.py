"""Stage 5, app: copy the Django project, its samples and docs, the launcher; collect
static files; precompile bytecode."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.build.bytecode import compile_bytecode, host_python
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.launcher_files import write_launcher
from djdesk_bundle.build.machine_state import is_machine_state
from djdesk_bundle.build.outputs import TOOL_DIR
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.errors import AppStageError
from djdesk_bundle.options import AppProject, Options
from djdesk_bundle.tools.git import git
from djdesk_bundle.tools.process import run, tail
from djdesk_runtime.overrides import environment

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
    return (
        not (set(relative.parts) & EXCLUDED_PARTS)
        and relative.suffix not in EXCLUDED_SUFFIXES
        and not is_machine_state(relative)
    )


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
    shell = options.path(options.shell_dir)
    if shell != options.app_path and shell.is_relative_to(options.app_path):
        # A flat project: the shell sits beside manage.py.
        inside = shell.relative_to(options.app_path)
        files = [f for f in files if not f.is_relative_to(inside)]
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
    # Data folders ship as they are (a sample's database and logs included), minus build
    # caches and machine state (bytecode, a Sphinx cache, editor files).
    copy_tree_files(source, destination, [f for f in files if not is_machine_state(f)])


COLLECTSTATIC = """
import os, sys
app, site, runtime, static = sys.argv[1:5]
sys.path[:0] = [app, site, runtime]
import django
from django.conf import settings
try:
    # Before setup: apps (Wagtail's) may build the static files storage while loading.
    settings.STATIC_ROOT = static
    django.setup()
except Exception as exc:
    sys.exit(f"the settings failed to load: {type(exc).__name__}: {exc}")
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
"""


def collect_static(options: Options, payload: Path, python: Path, work_dir: Path) -> None:
    static = payload / contract.STATIC_DIR
    settings = options.collectstatic_settings or options.settings_module
    env = django_env(options, settings, payload, work_dir / "collect-data")
    parts = (contract.APP_DIR, contract.SITE_PACKAGES_DIR, contract.RUNTIME_DIR)
    args = [*(str(payload / part) for part in parts), str(static)]
    # -B: running Django here must not leave timestamp-based .pyc files in the payload.
    result = run([str(python), "-I", "-B", "-c", COLLECTSTATIC, *args], env=env)
    if result.returncode != 0:
        raise AppStageError(
            f"collectstatic failed with settings {settings!r}:\n{tail(result.stderr)}"
        )
    static.mkdir(exist_ok=True)


def django_env(options: Options, settings: str, payload: Path, data_dir: Path) -> dict[str, str]:
    """The build's environment without anything that would steer the payload's Python, with
    the settings the app runs with (the desktop overrides on the project's module)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "DJANGO_", "VIRTUAL_ENV", "DJDESK_"))
    }
    env.update(environment(settings, data_dir, payload, options.desktop_overrides))
    env["PYTHONHASHSEED"] = "0"
    return env


@dataclass(frozen=True)
class AppPayload:
    precompiled: bool  # bytecode shipped (False: the first launch compiles into the data dir)


def copy_sources(ctx: StageContext) -> None:
    """The app's shipped files, the samples and the offline docs."""
    options, staging = ctx.options, ctx.staging
    copy_app(options, staging / contract.APP_DIR)
    if options.samples_dir:
        sample = options.path(options.samples_dir)
        copy_optional_dir(
            options, options.samples_dir, staging / contract.SAMPLES_DIR / sample.name
        )
    if options.docs_dir and options.path(options.docs_dir).is_dir():
        copy_optional_dir(options, options.docs_dir, staging / contract.DOCS_DIR)
    elif options.docs_dir:
        ctx.reporter.warn(
            f"no offline docs at {options.path(options.docs_dir)}: the payload "
            "ships without docs/ (build them first, e.g. `just docs-bundle`)"
        )


def app_stage(ctx: StageContext, app: AppProject, interpreter: Interpreter) -> AppPayload:
    copy_sources(ctx)
    precompiled = interpreter.compiles
    # Before collectstatic: settings may import the runtime (the inspector's do).
    runtime = write_launcher(ctx.options, ctx.staging, app.version, precompiled)
    python = interpreter.executable if interpreter.runnable else host_python()
    if not precompiled and ctx.options.compile_bytecode:
        ctx.reporter.warn(
            f"cannot run the {interpreter.triple} interpreter here: bytecode is not "
            "precompiled; the first launch compiles into the data dir"
        )
    # Two independent processes side by side: collectstatic only reads app/ (-B) and
    # writes static/; the compiler writes .pyc into app/ and runtime/.
    with ThreadPoolExecutor(max_workers=1) as pool:
        compiled = pool.submit(
            compile_bytecode,
            python,
            ctx.staging,
            [ctx.staging / contract.APP_DIR, runtime] if precompiled else [],
            parallel=False,
        )
        collect_static(ctx.options, ctx.staging, python, ctx.work)
        compiled.result()
    return AppPayload(precompiled=precompiled)
