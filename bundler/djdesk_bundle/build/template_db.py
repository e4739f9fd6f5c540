"""Stage 6, template-db: ``template.sqlite3``, a database migrated at build time.

The payload's own launcher migrates a new database with the clock at SOURCE_DATE_EPOCH
and randomness seeded from it (see ``djdesk_runtime.template``); first launches copy it
instead of running every migration.

Migrating is the slowest part of a rebuild for a project with many migrations (a Wagtail
site has about 200), so the result is kept in the stage cache, keyed by what shapes the
schema and the rows migrations write: every migration file of the app, the settings
package's sources (installed apps, database settings), the locked dependencies (their
migrations, Django's version), the runtime's code, the interpreter and SOURCE_DATE_EPOCH.
An app change elsewhere (a view, a template) reuses it; a hit is verified by digest, as
every cached tree is.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.build.app import django_env
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.install import SitePackages
from djdesk_bundle.build.source import SourceState
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.cache.stage_trees import cached_tree, stage_key
from djdesk_bundle.errors import AppStageError
from djdesk_bundle.tools.process import run, tail
from djdesk_runtime.contract import ENV, EXIT_CODES, LAUNCHER_OPTIONS


def make_template_database(
    ctx: StageContext, python: Path, source_date_epoch: int, target: Path
) -> bool:
    """False when the project's database is not an SQLite file (nothing to ship)."""
    data_dir = ctx.work / "template-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = django_env(ctx.options, ctx.options.settings_module, ctx.staging, data_dir) | {
        ENV["source_date_epoch"]: str(source_date_epoch)
    }
    launcher = ctx.staging / contract.LAUNCHER
    # Not -I: isolated mode ignores PYTHONHASHSEED, and migrations that iterate sets (e.g.
    # creating permissions) would then insert rows in a different order on every build. The
    # environment is the build's own (django_env); -s -P keep user site and cwd out.
    flags = ["-s", "-P"]
    result = run(
        [str(python), *flags, str(launcher), LAUNCHER_OPTIONS["make_template"], str(target)],
        env=env,
        timeout=ctx.options.process_timeout,
    )
    if result.returncode == EXIT_CODES["not_sqlite"]:
        return False
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise AppStageError(f"migrating the template database failed:\n{tail(result.stderr)}")
    return True


@dataclass(frozen=True)
class TemplateDatabase:
    shipped: bool  # template.sqlite3 is in the payload
    cached: bool = False  # reused from the stage cache (no migration ran)


def template_key(
    ctx: StageContext, state: SourceState, interpreter: Interpreter, site: SitePackages
) -> str:
    options, app = ctx.options, ctx.staging / contract.APP_DIR
    digest = hashlib.sha256()
    # The settings module's folder: a split settings package's base.py holds INSTALLED_APPS.
    module = app / options.settings_module.replace(".", "/")
    settings = module if module.is_dir() else module.parent
    shaping = [*app.rglob("migrations/*.py"), *settings.glob("*.py")]
    for path in sorted(set(shaping)):
        if path.is_file():
            digest.update(
                f"{path.relative_to(app).as_posix()}\0{ctx.digests.file_sha256(path)}\0".encode()
            )
    runtime = ctx.staging / contract.RUNTIME_DIR
    for path in sorted(runtime.rglob("*.py")):
        digest.update(
            f"{path.relative_to(runtime).as_posix()}\0{ctx.digests.file_sha256(path)}\0".encode()
        )
    return stage_key(
        contract.TEMPLATE_DATABASE,
        digest.hexdigest(),
        site.cache_key,
        interpreter.cache_key,
        str(state.source_date_epoch),
        options.settings_module,
        ",".join(options.desktop_overrides),
    )


def template_stage(
    ctx: StageContext, state: SourceState, interpreter: Interpreter, site: SitePackages
) -> TemplateDatabase:
    """Whether the payload ships a template database (never for a cross-target build)."""
    if not ctx.options.template_database:
        return TemplateDatabase(shipped=False)
    if not interpreter.runs_here:
        ctx.reporter.warn(
            f"cannot run the {interpreter.triple} interpreter here: no pre-migrated database; "
            "the first launch runs the migrations"
        )
        return TemplateDatabase(shipped=False)
    tree = ctx.work / "template-tree"

    def make(destination: Path) -> dict[str, Any]:
        destination.mkdir(parents=True, exist_ok=True)
        target = destination / contract.TEMPLATE_DATABASE
        made = make_template_database(ctx, interpreter.executable, state.source_date_epoch, target)
        return {"sqlite": made}

    key = template_key(ctx, state, interpreter, site)
    hit, facts = cached_tree(
        ctx.cache_root, key, tree, make, ctx.reporter.warn, digests=ctx.digests
    )
    if not facts.get("sqlite"):
        return TemplateDatabase(shipped=False, cached=hit)
    shutil.copyfile(tree / contract.TEMPLATE_DATABASE, ctx.staging / contract.TEMPLATE_DATABASE)
    return TemplateDatabase(shipped=True, cached=hit)
