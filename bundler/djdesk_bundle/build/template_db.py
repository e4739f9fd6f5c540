"""Stage 6, template-db: ``template.sqlite3``, a database migrated at build time.

The payload's own launcher migrates a new database with the clock at SOURCE_DATE_EPOCH
and randomness seeded from it (see ``djdesk_runtime.template``); first launches copy it
instead of running every migration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.build.app import django_env
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.source import SourceState
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.errors import AppStageError
from djdesk_bundle.tools.process import run, tail
from djdesk_runtime.contract import ENV, EXIT_CODES, LAUNCHER_OPTIONS


def make_template_database(ctx: StageContext, python: Path, source_date_epoch: int) -> bool:
    """False when the project's database is not an SQLite file (nothing to ship)."""
    data_dir = ctx.work / "template-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = django_env(ctx.options, ctx.options.settings_module, ctx.staging, data_dir) | {
        ENV["source_date_epoch"]: str(source_date_epoch)
    }
    target = ctx.staging / contract.TEMPLATE_DATABASE
    launcher = ctx.staging / contract.LAUNCHER
    # Not -I: isolated mode ignores PYTHONHASHSEED, and migrations that iterate sets (e.g.
    # creating permissions) would then insert rows in a different order on every build. The
    # environment is the build's own (django_env); -s -P keep user site and cwd out.
    flags = ["-s", "-P"]
    result = run(
        [str(python), *flags, str(launcher), LAUNCHER_OPTIONS["make_template"], str(target)],
        env=env,
    )
    if result.returncode == EXIT_CODES["not_sqlite"]:
        return False
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise AppStageError(f"migrating the template database failed:\n{tail(result.stderr)}")
    return True


def template_stage(ctx: StageContext, state: SourceState, interpreter: Interpreter) -> bool:
    """Whether the payload ships a template database (never for a cross-target build)."""
    if not ctx.options.template_database:
        return False
    if not interpreter.runnable:
        ctx.reporter.warn(
            f"cannot run the {interpreter.triple} interpreter here: no pre-migrated database; "
            "the first launch runs the migrations"
        )
        return False
    return make_template_database(ctx, interpreter.executable, state.source_date_epoch)
