"""The user's database: first-launch copy of the template, migration check, safe upgrades.

An upgrade backs the database up (SQLite's backup API), migrates a *copy*, and swaps the
copy in only when every migration succeeded: a failure or a crash leaves the user's
database byte for byte as it was. The caller holds the data-dir lock throughout.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from .contract import DATA_DIR_LAYOUT
from .data_dir import write_private
from .errors import LaunchError, describe, is_disk_full, root_cause, say

BACKUPS = DATA_DIR_LAYOUT["backups"]

BACKUP_NAME = re.compile(
    r"db-(?P<stamp>\d{8}T\d{6}Z)-(?P<old>.+?)-to-(?P<new>.+?)(-\d+)?\.sqlite3\Z"
)


def is_sqlite_file(connection: Any) -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    return (
        connection.vendor == "sqlite" and name not in ("", ":memory:") and "mode=memory" not in name
    )


def copy_template(connection: Any, template: Path) -> None:
    """First launch: start from the database migrated at build time instead of running
    every migration (the schema check that follows finds nothing to do). A database file
    left empty (0 bytes, nothing in a write-ahead log) is said to be so, then replaced."""
    if not is_sqlite_file(connection):
        return
    database = Path(str(connection.settings_dict["NAME"]))
    if database.exists():
        if not is_empty(database):
            return
        say(
            f"warning: the database {database} was empty (0 bytes; backups taken before "
            f"upgrades are in {database.parent / BACKUPS}): starting with a new database"
        )
        if not template.is_file():
            database.unlink()  # migrate makes it afresh, as on a first launch
            return
    if not template.is_file():
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    write_private(database, template.read_bytes())


def is_empty(database: Path) -> bool:
    """0 bytes, and no write-ahead log that could hold its pages."""
    wal = database.with_name(database.name + "-wal")
    return database.stat().st_size == 0 and (not wal.exists() or wal.stat().st_size == 0)


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_intact(database: Path) -> None:
    """Refuse a database file that is not SQLite or shorter than its header says (torn by
    a crash, a full disk or a bad copy), naming where the backups are."""
    try:
        with database.open("rb") as handle:
            header = handle.read(100)
        size = database.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise damaged(database, describe(exc)) from exc
    if size == 0:
        return  # a new database, for SQLite (copy_template said so)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise damaged(database, "not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_is_current = header[24:28] == header[92:96]  # else the count is not kept
    if header_is_current and pages * page_size > size:
        raise damaged(database, f"truncated: {size} of {pages * page_size} bytes")


def damaged(database: Path, why: str) -> LaunchError:
    folder = database.parent / BACKUPS
    backups = sorted(folder.glob("db-*.sqlite3")) if folder.is_dir() else []
    where = (
        f"the newest backup is {backups[-1]}; the backups are in {folder}"
        if backups
        else f"no backup yet in {folder}"
    )
    return LaunchError(
        "database_damaged",
        f"the database {database} is damaged ({why}): nothing was changed; {where}. Quit, "
        "then replace the file with a backup (or move it aside to start afresh)",
    )


def version_file(database: Path) -> Path:
    return database.with_name(database.name + ".app-version")


def recorded_version(database: Path) -> str:
    try:
        return version_file(database).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def record_version(database: Path, app_version: str) -> None:
    """Which app version last opened the database (names the next upgrade's backup)."""
    if recorded_version(database) == app_version:
        return
    path = version_file(database)
    write_private(path, (app_version + "\n").encode("utf-8"))


def checked_executor(connection: Any, app_version: str) -> Any:
    """A migration executor on the database, once it is known to be intact and not
    migrated by a newer version of the app."""
    from django.db import DatabaseError
    from django.db.migrations.executor import MigrationExecutor

    database = Path(str(connection.settings_dict["NAME"]))
    if is_sqlite_file(connection):
        check_intact(database)
    try:
        executor = MigrationExecutor(connection)
        applied = executor.recorder.applied_migrations()
    except DatabaseError as exc:  # e.g. "database disk image is malformed"
        if not is_sqlite_file(connection) or is_disk_full(root_cause(exc)):
            raise
        raise damaged(database, describe(root_cause(exc))) from exc
    known = set(executor.loader.disk_migrations)
    newer = sorted(
        f"{app}.{name}"
        for app, name in applied
        if app in executor.loader.migrated_apps and (app, name) not in known
    )
    if newer:
        by = recorded_version(database)
        raise LaunchError(
            "database_newer",
            f"the database {database} was migrated by a newer version of this app "
            f"({'version ' + by if by else 'a newer version'}; unknown migrations: "
            f"{', '.join(newer[:5])}); this is {app_version}: install the newer version, "
            "or move the data folder aside to start afresh",
        )
    return executor


def pending_migrations(connection: Any, app_version: str) -> bool:
    """Whether the database needs migrating (refusing a damaged or newer one)."""
    executor = checked_executor(connection, app_version)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def migrate(connection: Any, app_version: str, backups_kept: int) -> str:
    """Apply pending migrations; refuse a database migrated by a newer version.

    Returns what was done: "current", "created" or "upgraded".
    """
    executor = checked_executor(connection, app_version)
    database = Path(str(connection.settings_dict["NAME"]))
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:  # a cheap check first: nothing to do on an up-to-date database
        outcome = "current"
    elif not executor.loader.applied_migrations:  # a new database: nothing of the user's to protect
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        outcome = "created"
    else:
        upgrade(connection, database, app_version, backups_kept)
        outcome = "upgraded"
    if is_sqlite_file(connection):
        record_version(database, app_version)
    return outcome


def upgrade(connection: Any, database: Path, app_version: str, backups_kept: int) -> None:
    from django.core.management import call_command

    connection.close()
    checkpoint(database)
    backup = backup_database(database, app_version, backups_kept)
    for stale in database.parent.glob(database.name + ".migrating*"):  # a crashed upgrade's
        stale.unlink(missing_ok=True)  # (safe: the caller holds the data-dir lock)
    work = database.with_name(database.name + f".migrating-{os.getpid()}")
    copy_database(backup, work)
    connection.settings_dict["NAME"] = str(work)
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except Exception as exc:
        connection.close()
        remove_database_files(work)
        cause = root_cause(exc)
        reason = "disk_full" if is_disk_full(cause) else "migration_failed"
        raise LaunchError(
            reason,
            f"migrating the database failed ({describe(cause)}); the database was left as "
            f"it was; a backup is at {backup}",
        ) from exc
    finally:
        connection.close()
        connection.settings_dict["NAME"] = str(database)
    checkpoint(work)
    remove_database_files(database, keep_main=True)  # a stale -wal must never meet the new file
    os.replace(work, database)


def checkpoint(database: Path) -> None:
    """Fold a write-ahead log into the main file (nothing else has the database open)."""
    with closing(sqlite3.connect(database)) as db:
        if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy, never a torn file copy."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def remove_database_files(database: Path, keep_main: bool = False) -> None:
    suffixes = ("-wal", "-shm", "-journal") if keep_main else ("", "-wal", "-shm", "-journal")
    for suffix in suffixes:
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def backup_is_good(path: Path) -> bool:
    try:
        if path.stat().st_size == 0:
            return False
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            return bool(db.execute("PRAGMA quick_check").fetchone()[0] == "ok")
    except (OSError, sqlite3.Error):
        return False


def backup_database(database: Path, app_version: str, kept: int) -> Path:
    """A checked copy before migrations touch the user's data, named
    ``db-<UTC time>-<old>-to-<new>.sqlite3``; a copy that failed is removed, never kept."""
    old = recorded_version(database) or "unknown"
    folder = database.parent / BACKUPS
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = folder / f"db-{stamp}-{old}-to-{app_version}.sqlite3"
    if target.exists():
        target = target.with_name(f"{target.stem}-{os.getpid()}.sqlite3")
    try:
        copy_database(database, target)
    except (OSError, sqlite3.Error) as exc:
        remove_database_files(target)
        if is_disk_full(exc):
            raise LaunchError(
                "disk_full",
                f"disk full: no room to back up {database} before upgrading it; free some "
                f"space on {folder} and start again (nothing was changed)",
            ) from exc
        raise LaunchError(
            "startup_failed", f"backing up {database} failed ({describe(exc)}); nothing was changed"
        ) from exc
    if not backup_is_good(target):
        remove_database_files(target)
        raise LaunchError(
            "disk_full" if _low_on_space(folder) else "startup_failed",
            f"the backup of {database} could not be written completely ({folder}: disk full?); "
            "nothing was changed",
        )
    rotate_backups(folder, kept)
    return target


def remove_if_orphan(path: Path) -> None:
    """A journal, WAL or shared-memory file of a backup that is gone (a torn copy)."""
    for suffix in ("-journal", "-wal", "-shm"):
        if path.name.endswith(suffix):
            main = path.with_name(path.name.removesuffix(suffix))
            if BACKUP_NAME.match(main.name) and not main.exists():
                path.unlink(missing_ok=True)


def _low_on_space(folder: Path) -> bool:
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return False
    return usage.free < 1024 * 1024


def rotate_backups(folder: Path, kept: int) -> list[Path]:
    """Keep the newest ``kept`` backups, and always the newest good backup taken from each
    earlier version (retries of one failing upgrade must never push those out). Returns
    what was removed."""
    backups: list[tuple[str, str, Path]] = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if not match:
            remove_if_orphan(path)
            continue
        if not backup_is_good(path):  # a failed copy never counts
            remove_database_files(path)
            continue
        backups.append((match["stamp"] + path.name, match["old"], path))
    backups.sort(reverse=True)  # newest first
    keep = {path for _, _, path in backups[:kept]}
    seen_versions: set[str] = set()
    for _, old, path in backups:
        if old not in seen_versions:
            seen_versions.add(old)
            keep.add(path)
    removed = [path for _, _, path in backups if path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
