"""Stage 5, app: copy the Django project, its samples and docs, the launcher; collect
static files; precompile bytecode.

The collected ``static/`` is a stage tree (``cache/stage_trees.py``: verified by digest,
linked from the previous payload when unchanged), keyed by what shapes it: every shipped
app file but the modules Django gives another role (``STATIC_NEUTRAL``: models, views,
URLs, admin, forms, tests, migrations, template tags), so the static sources of the app,
its templates, its settings and any module a setting may name (a storage, a finder) are
in; the runtime and launcher files; the dependencies' and the interpreter's stage keys;
the settings module and the desktop overrides. A project with ``build-commands`` collects
every time (a command may write anywhere in the payload). Like the template database's,
the key does not hold the build's environment variables.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.build.bytecode import compile_bytecode, host_python
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.install import SitePackages
from djdesk_bundle.build.launcher_files import write_launcher
from djdesk_bundle.build.selection import SourceFiles, copy_selection
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.build.steps import build_command_argvs
from djdesk_bundle.cache.stage_trees import cached_tree, stage_key
from djdesk_bundle.errors import AppStageError
from djdesk_bundle.options import AppProject, Options
from djdesk_bundle.tools.process import run, tail
from djdesk_runtime.overrides import environment

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
# The project's build commands, in order, on the same staged payload and settings.
import json, traceback
for argv in json.loads(sys.argv[5]):
    try:
        call_command(*argv)
    except BaseException as exc:
        traceback.print_exc()
        sys.exit(f"build command {' '.join(argv)!r} failed: {type(exc).__name__}: {exc}")
"""


def collect_static(options: Options, payload: Path, python: Path, work_dir: Path) -> None:
    static = payload / contract.STATIC_DIR
    settings = options.collectstatic_settings or options.settings_module
    env = django_env(options, settings, payload, work_dir / "collect-data")
    parts = (contract.APP_DIR, contract.SITE_PACKAGES_DIR, contract.RUNTIME_DIR)
    commands = json.dumps(build_command_argvs(options))
    args = [*(str(payload / part) for part in parts), str(static), commands]
    # -B: running Django here must not leave timestamp-based .pyc files in the payload.
    argv = [str(python), "-I", "-B", "-c", COLLECTSTATIC, *args]
    result = run(argv, env=env, timeout=options.process_timeout)
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1:] or [""]
        step = last[0] if last[0].startswith("build command") else "collectstatic failed"
        raise AppStageError(f"{step} (settings {settings!r}):\n{tail(result.stderr)}")
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
    cached: bool = False  # static/ reused (no static input changed), not collected


# App modules Django gives a role that does not shape collectstatic's output.
STATIC_NEUTRAL = frozenset({"models.py", "views.py", "urls.py", "admin.py", "forms.py", "tests.py"})
STATIC_NEUTRAL_FOLDERS = frozenset({"migrations", "templatetags", "tests"})


def shapes_static(name: str) -> bool:
    """Can the app file ``name`` (a POSIX path in the app) change the collected files?"""
    *folders, base = name.split("/")
    if not base.endswith(".py"):
        return True
    neutral = base in STATIC_NEUTRAL or base.startswith("test_")
    return not (neutral or STATIC_NEUTRAL_FOLDERS.intersection(folders))


def static_key(
    ctx: StageContext, sources: SourceFiles, interpreter: Interpreter, site: SitePackages
) -> str:
    """The stage key of ``static/`` (see the module doc)."""
    digest = hashlib.sha256()
    for item in sorted(sources.app.shipped, key=lambda item: item.name):
        if shapes_static(item.name):
            sha256 = ctx.digests.file_sha256(item.source)
            digest.update(f"{contract.APP_DIR}/{item.name}\0{sha256}\0".encode())
    runtime = ctx.staging / contract.RUNTIME_DIR
    launcher = [ctx.staging / contract.LAUNCHER_CONFIG, ctx.staging / contract.LAUNCHER]
    for path in sorted(p for p in runtime.rglob("*") if p.is_file()) + launcher:
        name = path.relative_to(ctx.staging).as_posix()
        digest.update(f"{name}\0{ctx.digests.file_sha256(path)}\0".encode())
    options = ctx.options
    python = interpreter.cache_key if interpreter.runs_here else f"host {sys.version}"
    return stage_key(
        contract.STATIC_DIR,
        digest.hexdigest(),
        site.cache_key,
        python,
        options.collectstatic_settings or options.settings_module,
        ",".join(options.desktop_overrides),
    )


def static_stage(
    ctx: StageContext,
    sources: SourceFiles,
    interpreter: Interpreter,
    site: SitePackages,
    python: Path,
) -> bool:
    """Collect ``static/`` (and run the build commands), or reuse it: True when reused."""
    if build_command_argvs(ctx.options):
        collect_static(ctx.options, ctx.staging, python, ctx.work)
        return False

    def make(destination: Path) -> dict[str, object]:
        collect_static(ctx.options, ctx.staging, python, ctx.work)  # into destination
        return {}

    static = ctx.staging / contract.STATIC_DIR
    hit, _ = cached_tree(
        ctx.cache_root,
        static_key(ctx, sources, interpreter, site),
        static,
        make,
        ctx.reporter.warn,
        ctx.in_previous(static),
        ctx.digests,
    )
    return hit


def copy_sources(ctx: StageContext, sources: SourceFiles) -> None:
    """The app's shipped files, the samples and the offline docs, as resolve selected them."""
    staging = ctx.staging
    if not sources.app.shipped:
        raise AppStageError(f"no files to ship in {sources.app.root}")
    copy_selection(sources.app, staging / contract.APP_DIR)
    if sources.samples is not None:
        copy_selection(sources.samples, staging / contract.SAMPLES_DIR / sources.samples.root.name)
    if sources.docs is not None:
        copy_selection(sources.docs, staging / contract.DOCS_DIR)


def app_stage(
    ctx: StageContext,
    app: AppProject,
    sources: SourceFiles,
    interpreter: Interpreter,
    site: SitePackages,
) -> AppPayload:
    copy_sources(ctx, sources)
    precompiled = interpreter.compiles
    # Before collectstatic: settings may import the runtime (the inspector's do).
    runtime = write_launcher(ctx.options, ctx.staging, app.version, precompiled)
    python = interpreter.executable if interpreter.runs_here else host_python()
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
        reused = static_stage(ctx, sources, interpreter, site, python)
        compiled.result()
    return AppPayload(precompiled=precompiled, cached=reused)
