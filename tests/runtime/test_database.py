"""The user database's backups, with real SQLite files (no Django needed)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import pytest

from djdesk_runtime.database import (
    backup_database,
    backup_is_good,
    check_intact,
    is_empty,
    rotate_backups,
)
from djdesk_runtime.errors import LaunchError


def sqlite_file(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE t (v TEXT)")
        db.execute("INSERT INTO t VALUES (?)", [text])
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_retries_of_one_failing_upgrade_keep_the_backup_of_each_earlier_version(
    tmp_path: Path,
) -> None:
    """Five failed retries of 1.2.3 -> 1.3.0 used to push every earlier backup out (#16)."""
    folder = tmp_path / "backups"
    sqlite_file(folder / "db-20260101T000000Z-1.0.0-to-1.1.0.sqlite3")
    sqlite_file(folder / "db-20260201T000000Z-1.1.0-to-1.2.3.sqlite3")
    for minute in range(5):
        sqlite_file(folder / f"db-20260301T00{minute:02}00Z-1.2.3-to-1.3.0.sqlite3")
    rotate_backups(folder, kept=3)
    kept = names(folder)
    assert "db-20260101T000000Z-1.0.0-to-1.1.0.sqlite3" in kept
    assert "db-20260201T000000Z-1.1.0-to-1.2.3.sqlite3" in kept
    assert len([n for n in kept if "-1.2.3-to-1.3.0" in n]) == 3


def test_a_failed_backup_never_counts(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    good = sqlite_file(folder / "db-20260101T000000Z-1.0.0-to-1.1.0.sqlite3")
    (folder / "db-20260301T000000Z-1.1.0-to-1.2.0.sqlite3").write_bytes(b"")  # disk was full
    (folder / "db-20260302T000000Z-1.1.0-to-1.2.0.sqlite3").write_bytes(b"torn")
    rotate_backups(folder, kept=1)
    assert names(folder) == [good.name]


def test_backup_is_named_checked_and_rotated(tmp_path: Path) -> None:
    database = sqlite_file(tmp_path / "db.sqlite3", "user data")
    (tmp_path / "db.sqlite3.app-version").write_text("1.0.0\n")
    backup = backup_database(database, "2.0.0", kept=5)
    assert backup.parent == tmp_path / "backups"
    assert backup.name.endswith("-1.0.0-to-2.0.0.sqlite3") and backup_is_good(backup)
    with closing(sqlite3.connect(backup)) as db:
        assert db.execute("SELECT v FROM t").fetchall() == [("user data",)]


@contextmanager
def small_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``mount_point``: a real full disk (needs root, as on the test
    machines; skips otherwise)."""
    mount_point.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def fill(folder: Path) -> None:
    """Write ``folder/filler`` until the disk is full."""
    with (folder / "filler").open("wb", buffering=0) as filler, suppress(OSError):
        while True:
            filler.write(b"x" * 4096)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: room for less than one backup."""
    with small_tmpfs(tmp_path / "data" / "backups", "64k") as mount_point:
        yield mount_point


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a size-limited tmpfs is a Linux mount"
)
def test_disk_full_is_said_plainly_and_leaves_no_backup(full_disk: Path) -> None:
    database = full_disk.parent / "db.sqlite3"
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("CREATE TABLE t (v BLOB)")
        db.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4096,) for _ in range(64)])
    before = database.read_bytes()
    with pytest.raises(LaunchError) as raised:
        backup_database(database, "2.0.0", kept=5)
    assert raised.value.reason == "disk_full"
    assert str(raised.value).startswith("disk full:")
    assert list(full_disk.iterdir()) == []  # no 0-byte "backup" left to count
    assert database.read_bytes() == before


def test_a_torn_backup_goes_with_its_journal(tmp_path: Path) -> None:
    """A backup torn by a crash or a full disk left its -journal in backups/ forever."""
    folder = tmp_path / "backups"
    good = sqlite_file(folder / "db-20260101T000000Z-1.0.0-to-1.1.0.sqlite3")
    torn = folder / "db-20260301T000000Z-1.1.0-to-1.2.0.sqlite3"
    torn.write_bytes(b"torn")
    (folder / f"{torn.name}-journal").write_bytes(b"\xd9\xd5\x05\xf9 half a journal")
    (folder / "db-20260302T000000Z-1.1.0-to-1.2.0.sqlite3-journal").write_bytes(b"orphan")
    (folder / "notes.txt").write_text("the user's own file stays")
    rotate_backups(folder, kept=5)
    assert names(folder) == [good.name, "notes.txt"]


def test_a_truncated_or_foreign_database_is_refused_naming_the_backups(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("CREATE TABLE t (v BLOB)")
        db.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4096,) for _ in range(16)])
    check_intact(database)  # whole: fine
    backup = sqlite_file(tmp_path / "backups" / "db-20260101T000000Z-1.0.0-to-1.1.0.sqlite3")
    size = database.stat().st_size
    with database.open("r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(LaunchError) as raised:
        check_intact(database)
    assert raised.value.reason == "database_damaged" and raised.value.exit_code == 13
    assert str(raised.value) == (
        f"the database {database} is damaged (truncated: {size // 2} of {size} bytes): nothing "
        f"was changed; the newest backup is {backup}; the backups are in {backup.parent}. "
        "Quit, then replace the file with a backup (or move it aside to start afresh)"
    )
    database.write_bytes(b"PK\x03\x04 a zip, not a database" * 10)
    with pytest.raises(LaunchError, match="damaged \\(not an SQLite database\\)"):
        check_intact(database)


def test_an_empty_database_is_empty_only_without_a_write_ahead_log(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"")
    assert is_empty(database)
    check_intact(database)  # SQLite's own view: a new database
    (tmp_path / "db.sqlite3-wal").write_bytes(b"pages not yet checkpointed")
    assert not is_empty(database)
