"""``template.sqlite3``: a database migrated at build time, copied on first launch.

Reproducible for any project: the clock is fixed at SOURCE_DATE_EPOCH (every timestamp a
migration writes is that time) and randomness is seeded from it (a migration that writes
``uuid4()`` or a random string, as Wagtail's do, writes the same value on every build).
The values are then the same in every installation of one release, exactly as if they
were shipped as data; a project whose migrations create secrets turns the template off
(``template-database = false``).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import random
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from .errors import LaunchError


def seed_randomness(epoch: int) -> None:
    """Make ``random``, ``os.urandom``, ``secrets`` and ``uuid4`` deterministic in this
    process only: it exists to write the template and exits."""
    generator = random.Random(hashlib.sha256(f"djdesk-template:{epoch}".encode()).digest())
    random.seed(generator.getrandbits(64))

    def urandom(size: int) -> bytes:
        return generator.getrandbits(size * 8).to_bytes(size, "little") if size else b""

    # uuid4() reads os.urandom when called; SystemRandom (secrets) kept its own reference.
    os.urandom = urandom
    random._urandom = urandom  # type: ignore[attr-defined]


def freeze_clock(epoch: int) -> None:
    """Before any model module binds ``timezone.now``."""
    from django.utils import timezone

    frozen = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
    timezone.now = lambda: frozen


def unsynchronised(connection: Any) -> None:
    """No fsync and the rollback journal in memory while migrating: the database being
    migrated is a scratch file (a crash only fails the build), and a project with hundreds
    of migrations (Wagtail) otherwise waits for the disk after each of them. The template
    itself is written afterwards by ``VACUUM INTO``, whose bytes these settings do not
    change."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")


def make_template(target: Path, epoch: int) -> None:
    """Migrate a new database and compact it into ``target`` (the same sources give the
    same bytes)."""
    seed_randomness(epoch)
    freeze_clock(epoch)
    import django
    from django.conf import settings
    from django.utils import timezone

    if not settings.USE_TZ:
        naive = timezone.now().replace(tzinfo=None)
        timezone.now = lambda: naive
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from .database import is_sqlite_file

    if not is_sqlite_file(connection):
        raise LaunchError(
            "not_sqlite", "the default database is not an SQLite file: no template database"
        )
    if Path(str(connection.settings_dict["NAME"])).exists():
        raise LaunchError(
            "usage",
            f"{connection.settings_dict['NAME']} exists: make the template in an empty data dir",
        )
    unsynchronised(connection)
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(target)])
    connection.close()
    with closing(sqlite3.connect(target)) as db:
        db.execute("PRAGMA journal_mode=DELETE")  # the launcher sets its own mode
