"""Upgrading the user's data between two real payload builds of one app: version 1.2.3,
then 1.3.0, which adds a migration. Real launchers, a real SQLite database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from djdesk_bundle.tools.uv import uv_binary
from tests.bundler.conftest import needs_local_python
from tests.bundler.notes_project import make_notes_project
from tests.bundler.test_any_project import build_notes
from tests.processes import minimal_env, own_group, payload_python, request_stop, stop_process_tree
from tests.runtime.test_database import sqlite_file

pytestmark = [pytest.mark.e2e, needs_local_python]

TOKEN = "t"  # the launcher always requires a session token
PINNED_FIELD = """
        class Note(models.Model):
            notebook = models.ForeignKey(Notebook, on_delete=models.CASCADE)
            text = models.TextField()
            pinned = models.BooleanField(default=False)
"""
MIGRATION_0002 = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [
        migrations.AddField("note", "pinned", models.BooleanField(default=False)),
    ]
"""


@pytest.fixture(scope="module")
def payloads(local_interpreter: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Payload directories of Notes Desk 1.2.3 and 1.3.0 (one more migration)."""
    root = tmp_path_factory.mktemp("upgrade")
    project = make_notes_project(root / "notes-desk")
    built = {}
    for version in ("1.2.3", "1.3.0"):
        if version == "1.3.0":
            pyproject = project / "pyproject.toml"
            pyproject.write_text(pyproject.read_text().replace('"1.2.3"', '"1.3.0"'))
            models = project / "src" / "notes" / "models.py"
            text = models.read_text()
            start = text.index("class Note(models.Model):")
            models.write_text(
                text[:start] + PINNED_FIELD.strip().replace("\n        ", "\n") + "\n"
            )
            (project / "src/notes/migrations/0002_note_pinned.py").write_text(MIGRATION_0002)
            subprocess.run([uv_binary(), "lock", "-q"], cwd=project, check=True)
        result = build_notes(
            project, local_interpreter / "manifest.toml", local_interpreter.as_uri(), root / "cache"
        )
        assert result.returncode == 0, result.stderr
        built[version] = shutil.copytree(
            project / "build" / "payload", root / version, symlinks=True
        )
    return built


@contextmanager
def serving(payload: Path, data: Path) -> Iterator[str]:
    process = launch(payload, data)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("DJDESK_READY "), process.stderr.read()  # type: ignore[union-attr]
        yield line.split()[1]
        request_stop(process)
        assert process.wait(timeout=15) == 0
    finally:
        stop_process_tree(process)


def launch(payload: Path, data: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(payload_python(payload)), "-I", str(payload / "run_django.py"), "--port", "0"],
        env=minimal_env(DJDESK_DATA_DIR=str(data), DJDESK_SESSION_TOKEN=TOKEN, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **own_group(),  # its worker too can be stopped (stop_process_tree)
    )


def refused(payload: Path, data: Path, **env: str) -> tuple[int, str, str]:
    process = launch(payload, data, **env)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def version_1_data(payloads: dict[str, Path], data: Path) -> Path:
    """A data dir migrated by 1.2.3, with a note written by the user."""
    with serving(payloads["1.2.3"], data):
        pass
    database = data / "notes.sqlite3"
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("INSERT INTO notes_notebook (id, title) VALUES (1, 'Field notes')")
        db.execute("INSERT INTO notes_note (notebook_id, text) VALUES (1, 'keep me')")
    return database


def rows(database: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
        return db.execute(sql).fetchall()


def test_data_written_by_version_1_survives_the_upgrade(payloads, tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = version_1_data(payloads, data)
    assert (data / "notes.sqlite3.app-version").read_text() == "1.2.3\n"
    with (
        serving(payloads["1.3.0"], data) as url,
        urllib.request.urlopen(
            urllib.request.Request(url, headers={"X-DJDesk-Token": TOKEN}), timeout=10
        ) as page,
    ):
        assert b"1 notes" in page.read()
    assert rows(database, "SELECT text, pinned FROM notes_note") == [("keep me", 0)]
    assert (data / "notes.sqlite3.app-version").read_text() == "1.3.0\n"
    (backup,) = (data / "backups").iterdir()
    assert backup.name.startswith("db-") and backup.name.endswith("-1.2.3-to-1.3.0.sqlite3")
    # The backup opens, and holds the user's data as version 1 left it.
    assert rows(backup, "SELECT text FROM notes_note") == [("keep me",)]
    assert "pinned" not in [c[1] for c in rows(backup, "PRAGMA table_info(notes_note)")]
    assert rows(backup, "PRAGMA integrity_check") == [("ok",)]
    with serving(payloads["1.3.0"], data):
        pass
    assert len(list((data / "backups").iterdir())) == 1  # nothing to migrate, no new backup


def test_a_failed_upgrade_leaves_the_database_as_it_was(payloads, tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = version_1_data(payloads, data)
    with closing(sqlite3.connect(database)) as db, db:
        # Breaks migrate half-way: after the column is added, recording 0002 fails.
        db.execute(
            "CREATE TRIGGER no_0002 BEFORE INSERT ON django_migrations "
            "WHEN NEW.name = '0002_note_pinned' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    before = database.read_bytes()
    code, stdout, stderr = refused(payloads["1.3.0"], data)
    assert code == 5, stderr
    assert "DJDESK_READY" not in stdout  # the server never started
    (backup,) = (data / "backups").iterdir()
    assert "disk on fire" in stderr and str(backup) in stderr
    assert database.read_bytes() == before
    assert (data / "notes.sqlite3.app-version").read_text() == "1.2.3\n"


def test_version_1_refuses_a_database_migrated_by_version_2(payloads, tmp_path: Path) -> None:
    data = tmp_path / "data"
    version_1_data(payloads, data)
    with serving(payloads["1.3.0"], data):
        pass
    snapshot = {p.name: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    code, stdout, stderr = refused(payloads["1.2.3"], data)
    assert code == 3 and "DJDESK_READY" not in stdout
    assert "migrated by a newer version of this app (version 1.3.0" in stderr
    assert "notes.0002_note_pinned" in stderr and "this is 1.2.3" in stderr
    assert {p.name: p.read_bytes() for p in data.rglob("*") if p.is_file()} == snapshot


def test_backups_kept_is_configurable(payloads, tmp_path: Path) -> None:
    data = tmp_path / "data"
    version_1_data(payloads, data)
    backups = data / "backups"
    backups.mkdir()
    for day in range(1, 4):  # older backups, named as the launcher names them
        sqlite_file(backups / f"db-2026010{day}T000000Z-1.0.0-to-1.2.3.sqlite3")
    code, _, stderr = refused(payloads["1.3.0"], data, DJDESK_BACKUPS_KEPT="many")
    assert code == 2 and "DJDESK_BACKUPS_KEPT must be a number" in stderr
    with serving(payloads["1.3.0"], data):
        pass
    names = sorted(p.name for p in backups.iterdir())
    assert len(names) == 4 and names[-1].endswith("-1.2.3-to-1.3.0.sqlite3")
    assert names[0] == "db-20260101T000000Z-1.0.0-to-1.2.3.sqlite3"


def test_at_most_the_configured_number_of_backups(payloads, tmp_path: Path) -> None:
    data = tmp_path / "data"
    version_1_data(payloads, data)
    backups = data / "backups"
    backups.mkdir()
    for day in range(1, 4):
        sqlite_file(backups / f"db-2026010{day}T000000Z-1.0.0-to-1.2.3.sqlite3")
    process = launch(payloads["1.3.0"], data, DJDESK_BACKUPS_KEPT="2")
    try:
        assert process.stdout.readline().startswith("DJDESK_READY")  # type: ignore[union-attr]
    finally:
        stop_process_tree(process)
    names = sorted(p.name for p in backups.iterdir())
    assert names[0] == "db-20260103T000000Z-1.0.0-to-1.2.3.sqlite3" and len(names) == 2


def test_two_launchers_upgrading_one_data_dir_never_lose_it(payloads, tmp_path: Path) -> None:
    """Both used to migrate through the same work file with no lock: the live database was
    replaced by an empty one in 3 of 7 trials (#16). Now the second waits for the first."""
    for trial in range(4):
        data = tmp_path / f"data-{trial}"
        database = version_1_data(payloads, data)
        first = launch(payloads["1.3.0"], data)
        second = launch(payloads["1.3.0"], data)
        try:
            for process in (first, second):
                line = process.stdout.readline()  # type: ignore[union-attr]
                assert line.startswith("DJDESK_READY "), process.stderr.read()  # type: ignore[union-attr]
        finally:
            for process in (first, second):
                stop_process_tree(process)
        assert rows(database, "SELECT text, pinned FROM notes_note") == [("keep me", 0)]
        assert len(list((data / "backups").iterdir())) == 1  # one upgrade, one backup
        assert not list(data.glob("*.migrating*"))
