"""A pytest plugin: the run fails when a process it started is still running at the end.

"Started by the run" = a descendant of the pytest process, or (for what was orphaned when
its parent died, e.g. a launcher's worker after a SIGKILL) a process whose command line
names a path under this run's temporary directory. Leftovers are listed, killed, and the
exit status becomes 1. Linux only (it reads /proc).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest

GRACE_SECONDS = 10  # processes told to stop at teardown may take a moment to exit


def _processes() -> dict[int, tuple[int, str, str]]:
    """{pid: (parent pid, state, command line)} of every live process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # exited meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        command = " ".join(part.decode(errors="replace") for part in argv if part)
        found[int(entry.name)] = (int(fields[1]), fields[0], command)
    return found


def leftovers(root_pid: int, basetemp: Path) -> dict[int, str]:
    """{pid: command line} of the live processes this run started."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    mine, pending = set(), [root_pid]
    while pending:
        for child in children.get(pending.pop(), []):
            mine.add(child)
            pending.append(child)
    marker = f"{basetemp}{os.sep}"  # pytest-1/ must not match pytest-15/
    mine |= {pid for pid, (_, _, command) in table.items() if marker in command}
    return {
        pid: table[pid][2]
        for pid in sorted(mine)
        if pid in table and table[pid][1] not in ("Z", "X")  # zombies are gone already
    }


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not sys.platform.startswith("linux") or hasattr(session.config, "workerinput"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    basetemp = factory.getbasetemp()
    deadline = time.monotonic() + GRACE_SECONDS
    left = leftovers(os.getpid(), basetemp)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = leftovers(os.getpid(), basetemp)
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{len(left)} process(es) started by this test run are still running:"]
    lines += [f"  {pid}: {command[:300]}" for pid, command in left.items()]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    lines.append("(killed now; the test or fixture that started them must stop them)")
    if reporter is not None:
        reporter.write_line("\n".join(lines), red=True)
    else:
        print("\n".join(lines), file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
