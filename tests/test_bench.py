"""The bench's own measures (scripts/bench_serving.py, scripts/bench.py's update download):
what they count is what they say, on real processes, servers and files."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import bench  # noqa: E402
import bench_serving  # noqa: E402

SLEEP = "import time; time.sleep(60)"
CHILD = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {SLEEP!r}]); {SLEEP}"


def test_the_memory_of_a_process_tree_counts_every_process_in_it() -> None:
    parent = subprocess.Popen([sys.executable, "-c", CHILD])
    try:
        for _ in range(100):  # until the child is there
            if len(bench_serving.descendants(parent.pid)) == 2:
                break
            threading.Event().wait(0.05)
        memory = bench_serving.tree_memory(parent.pid)
    finally:
        for pid in bench_serving.descendants(parent.pid)[1:]:
            subprocess.run(["kill", str(pid)], check=False)
        parent.kill()
        parent.wait()
    assert memory["processes"] == 2
    each = memory["each"]
    assert memory["rss"] == sum(p["rss"] for p in each)  # type: ignore[union-attr]
    for process in each:  # type: ignore[union-attr]
        assert 0 < process["uss"] <= process["pss"] <= process["rss"]


class Pages(BaseHTTPRequestHandler):
    """A page with a CSRF token, the folder it runs from and a time: all differ by design."""

    root = "/opt/one"

    def do_GET(self) -> None:
        token = secrets.token_hex(32)
        body = (
            f'<input name="csrfmiddlewaretoken" value="{token}">{self.root}/samples'
            f'{{"CSRF_TOKEN": "{token}"}}'
            f" 2026-12-02T07:26:04.559300+00:00 {self.path}"
        ).encode()
        self.send_response(404 if self.path == "/gone" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_two_apps_answer_alike_when_only_tokens_folders_and_times_differ(
    server: ThreadingHTTPServer,
) -> None:
    fetch = bench_serving.fetcher(f"http://127.0.0.1:{server.server_port}/")
    ours = bench_serving.answers(fetch, ["a", "gone"], Path("/opt/one"))
    Pages.root = "/elsewhere/two"
    try:
        theirs = bench_serving.answers(fetch, ["a", "gone"], Path("/elsewhere/two"))
    finally:
        Pages.root = "/opt/one"
    assert ours["gone"][0] == 404
    assert bench_serving.compare(ours, theirs) == []
    theirs["a"] = (200, theirs["a"][1] + b"!")
    assert bench_serving.compare(ours, theirs) == [
        f"/a: DJDesk 200 ({len(ours['a'][1])} B), PyInstaller 200 ({len(ours['a'][1]) + 1} B)"
    ]


def test_the_update_download_counts_the_blocks_that_differ(tmp_path: Path) -> None:
    block = bench.BLOCK
    before, after = tmp_path / "before", tmp_path / "after"
    before.write_bytes(b"a" * block * 3 + b"tail")
    after.write_bytes(b"a" * block * 2 + b"b" * block + b"tail, longer")
    update = bench.update_download(before, after)
    assert update["blocks"] == 2  # the third block and the tail
    assert update["bytes"] == after.stat().st_size - 2 * block
    assert update["share"] == update["bytes"] / after.stat().st_size


def test_when_and_how_long_the_tasks_ran_is_blanked() -> None:
    """Both apps run the scans their dashboards enqueue (#31): their times of day and
    durations differ, nothing else may."""

    def page(started: str, seconds: str) -> bench_serving.Fetch:
        body = f'<td>{started}</td><td>{seconds} s</td>{{"duration": {seconds}1, "id": 3}}'
        return lambda path: (200, body.encode())

    ours = bench_serving.answers(page("07:26:04", "0.01"), ["a"], Path("/opt/one"))
    theirs = bench_serving.answers(page("19:02:55", "12.75"), ["a"], Path("/opt/one"))
    assert bench_serving.compare(ours, theirs) == []
    assert b'"duration": <time>, "id": 3' in ours["a"][1]


def test_the_queue_is_settled_when_no_task_waits_or_runs(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    bench_serving.settle(database)  # no database: nothing to wait for
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("CREATE TABLE other (status TEXT)")
    assert bench_serving.unfinished_tasks(database) == 0  # no task queue: nothing to wait for
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(f"CREATE TABLE {bench_serving.TASK_TABLE} (status TEXT)")
        db.executemany(
            f"INSERT INTO {bench_serving.TASK_TABLE} VALUES (?)",
            [("READY",), ("RUNNING",), ("SUCCESSFUL",), ("FAILED",)],
        )
    assert bench_serving.unfinished_tasks(database) == 2
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(f"UPDATE {bench_serving.TASK_TABLE} SET status = 'SUCCESSFUL'")
    bench_serving.settle(database)
