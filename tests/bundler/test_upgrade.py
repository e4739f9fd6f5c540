"""Upgrading the user's data between two real payload builds of one app: version 1.2.3,
then 1.3.0, which adds a migration. Real launchers, a real SQLite database."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from djdesk_runtime.contract import EXIT_CODES
from tests.bundler.conftest import needs_local_python
from tests.processes import minimal_env, own_group, payload_python, request_stop, stop_process_tree
from tests.runtime.test_database import sqlite_file

pytestmark = [pytest.mark.e2e, needs_local_python]

TOKEN = "t"  # the launcher always requires a session token


@pytest.fixture
def payloads(notes_versions: dict[str, Path]) -> dict[str, Path]:
    return notes_versions


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


def launch(payload: Path, data: Path, *argv: str, **env: str) -> subprocess.Popen[str]:
    command = [str(payload_python(payload)), "-I", str(payload / "run_django.py")]
    return subprocess.Popen(
        [*command, *(argv or ("--port", "0"))],
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


class Writes:
    """Notes written through a serving app's ``POST /add`` by a thread, as fast as it
    answers: the texts it acknowledged (200), and every answer that was not."""

    def __init__(self, url: str) -> None:
        self.url, self.acknowledged, self.failed = url, list[str](), list[str]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        for number in range(1_000_000):
            if self._stop.is_set():
                return
            text = f"write {number}"
            request = urllib.request.Request(
                self.url + "add", data=text.encode(), headers={"X-DJDesk-Token": TOKEN}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    answer.read()
                self.acknowledged.append(text)
            except (urllib.error.URLError, OSError) as error:
                self.failed.append(f"{text}: {error}")

    def wait_for(self, count: int) -> None:
        until(lambda: len(self.acknowledged) >= count or bool(self.failed))

    @contextmanager
    def running(self) -> Iterator[Writes]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=60)


def until(condition: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def outcome(payload: Path, data: Path, *argv: str) -> tuple[int | None, str, str]:
    """How a launcher ended: its exit code and output, or None if it started serving
    (then stopped here)."""
    process = launch(payload, data, *argv)
    try:
        first = process.stdout.readline()  # type: ignore[union-attr]
        if first.startswith("DJDESK_READY "):
            stop_process_tree(process)
            return None, first, process.stderr.read()  # type: ignore[union-attr]
        stdout, stderr = process.communicate(timeout=120)
        return process.returncode, first + stdout, stderr
    finally:
        stop_process_tree(process)


def notes(database: Path) -> list[str]:
    return [text for (text,) in rows(database, "SELECT text FROM notes_note ORDER BY id")]


def test_nothing_upgrades_or_manages_a_data_dir_while_an_app_serves_it(
    payloads, tmp_path: Path
) -> None:
    """A 1.3.0 launcher used to take the migration lock (the serving 1.2.3 did not hold
    it), back up, migrate a copy and swap it in under the running app: 92 acknowledged
    writes were gone and the old app answered 500 on the new schema; `--manage
    showmigrations` (read-only, but it upgrades first) lost 97 (#27)."""
    data = tmp_path / "data"
    database = version_1_data(payloads, data)
    in_use = EXIT_CODES["data_dir_in_use"]
    server = launch(payloads["1.2.3"], data)
    try:
        url = server.stdout.readline().split()[1]  # type: ignore[union-attr]
        with Writes(url).running() as writes:
            writes.wait_for(20)
            ended = {
                "newer server": outcome(payloads["1.3.0"], data),
                "newer --manage": outcome(payloads["1.3.0"], data, "--manage", "showmigrations"),
                "same-version --manage": outcome(payloads["1.2.3"], data, "--manage", "check"),
            }
            writes.wait_for(len(writes.acknowledged) + 20)  # the app still writes afterwards
    finally:
        stop_process_tree(server)
    lost = sorted(set(writes.acknowledged) - set(notes(database)))
    assert (lost, writes.failed[:3]) == ([], [])
    assert notes(database) == ["keep me", *writes.acknowledged]  # not one acknowledged lost
    assert len(writes.acknowledged) >= 40
    assert not (data / "backups").exists()
    for who, (code, _, stderr) in ended.items():
        assert code == in_use, (who, code, stderr)
        (line,) = stderr.splitlines()
        assert line.startswith("run_django: ") and str(data) in line, (who, line)
    assert "an older version of this app is serving" in ended["newer server"][2]
    assert "close it before running --manage showmigrations" in ended["newer --manage"][2]
    assert "pinned" not in [c[1] for c in rows(database, "PRAGMA table_info(notes_note)")]
    with serving(payloads["1.3.0"], data):  # once it is closed, the upgrade goes ahead
        pass
    assert notes(database) == ["keep me", *writes.acknowledged]


def test_a_second_copy_of_one_version_shares_the_data_dir_and_says_so(
    payloads, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    database = version_1_data(payloads, data)
    with serving(payloads["1.2.3"], data) as first_url:
        second = launch(payloads["1.2.3"], data)
        try:
            line = second.stdout.readline()  # type: ignore[union-attr]
            assert line.startswith("DJDESK_READY "), second.stderr.read()  # type: ignore[union-attr]
            for url in (first_url, line.split()[1]):
                with Writes(url).running() as writes:
                    writes.wait_for(5)
                assert writes.failed == [] and len(writes.acknowledged) >= 5
            request_stop(second)
            _, stderr = second.communicate(timeout=30)
        finally:
            stop_process_tree(second)
    assert second.returncode == 0
    assert f"run_django: another copy of this app is serving {data}" in stderr
    assert len(notes(database)) >= 11
