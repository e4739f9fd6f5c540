"""What `just bench` asks of a serving app, DJDesk's or PyInstaller's: the same answers to
the same URLs, and the memory of its whole process tree after a number of requests.

Memory is read from ``/proc/PID/smaps_rollup`` of the app's process and every descendant
(the server, a task worker the launcher started, PyInstaller's bootloader when it forks):
RSS counts shared pages once per process; PSS shares them out (the sum is what the tree
costs the machine); USS is the pages no other process maps.
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from djdesk_runtime.contract import DATA_DIR_LAYOUT

Fetch = Callable[[str], tuple[int, bytes]]

# What differs between two apps by design: the CSRF token (new on every response: in a
# form, and in the config Wagtail's admin pages carry), the times a first launch stored,
# and when the tasks ran and how long they took (the inspector's scans: a time of day
# and seconds on its dashboard, a duration in its status API).
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|"CSRF_TOKEN": ")[A-Za-z0-9]+(")')
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
TASK_TIMES = re.compile(rb'(?<![\d.])(\d\d:\d\d:\d\d|\d+\.\d\d s\b)|("duration": )[\d.]+')
# django-tasks-db's queue (in the data dir's database): a task waiting, or being run.
TASK_TABLE = "django_tasks_database_dbtaskresult"
UNFINISHED = ("READY", "RUNNING")


def fetcher(base_url: str, headers: dict[str, str] | None = None) -> Fetch:
    """GET ``base_url + path``: (status, body), redirects followed, errors answered."""

    def fetch(path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(base_url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    return fetch


def answers(fetch: Fetch, paths: Sequence[str], root: Path) -> dict[str, tuple[int, bytes]]:
    """Each path's (status, body), with what differs by design blanked: CSRF tokens, the
    folder the app is installed in (``root``), the times a first launch stored."""
    result = {}
    for path in paths:
        status, body = fetch(path)
        body = CSRF.sub(rb"\1\2", body).replace(str(root).encode(), b"<app>")
        body = TASK_TIMES.sub(rb"\2<time>", STAMP.sub(b"<time>", body))
        result[path] = (status, body)
    return result


def served(
    fetch: Fetch, paths: Sequence[str], count: int, root: Path, data: Path
) -> dict[str, tuple[int, bytes]]:
    """What the bench asks of an app before reading its memory: ``count`` requests, the
    tasks they enqueued run to the end, then each path's answer (``answers``)."""
    load(fetch, paths, count)
    settle(data / DATA_DIR_LAYOUT["database"])
    return answers(fetch, paths, root)


def settle(database: Path, timeout: float = 300) -> None:
    """Until no task is waiting in django-tasks-db's queue or being run (at once when the
    app has no such queue)."""
    if not database.is_file():
        return
    deadline = time.monotonic() + timeout
    while unfinished_tasks(database):
        if time.monotonic() > deadline:
            raise SystemExit(f"the tasks in {database} did not finish in {timeout:g} s")
        time.sleep(0.1)


def unfinished_tasks(database: Path) -> int:
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=30)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [TASK_TABLE]).fetchall():
            return 0
        marks = ", ".join("?" * len(UNFINISHED))
        query = f"SELECT count(*) FROM {TASK_TABLE} WHERE status IN ({marks})"
        return int(db.execute(query, UNFINISHED).fetchone()[0])


def compare(ours: dict[str, tuple[int, bytes]], theirs: dict[str, tuple[int, bytes]]) -> list[str]:
    """The paths answered differently (status or bytes), each with both answers' sizes."""
    differences = []
    for path, (status, body) in ours.items():
        other_status, other_body = theirs[path]
        if (status, body) != (other_status, other_body):
            differences.append(
                f"/{path}: DJDesk {status} ({len(body)} B), PyInstaller {other_status}"
                f" ({len(other_body)} B)"
            )
    return differences


def load(fetch: Fetch, paths: Sequence[str], count: int) -> None:
    """``count`` requests, cycling through ``paths``, one after the other."""
    for index in range(count):
        fetch(paths[index % len(paths)])


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:  # exited meanwhile
                continue
    return tree


def rollup(pid: int) -> dict[str, int]:
    """RSS, PSS and USS of one process, in bytes."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name] = int(rest.split()[0]) * 1024
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
    }


def tree_memory(pid: int) -> dict[str, object]:
    """The summed RSS, PSS and USS of the process tree, and each process's."""
    processes = {}
    for member in descendants(pid):
        try:
            processes[member] = rollup(member)
        except OSError:
            continue
    total = {key: sum(p[key] for p in processes.values()) for key in ("rss", "pss", "uss")}
    return {**total, "processes": len(processes), "each": list(processes.values())}
