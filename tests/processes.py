"""Run and stop a payload's processes the same way on Linux, macOS and Windows (CI runs
the end-to-end tests on all three; see docs/ci-and-release.md).

POSIX: the launcher gets its own session, SIGTERM asks it to stop (it stops its worker),
SIGKILL to the process group ends whatever is left. Windows has neither signals nor
process groups in that sense: the launcher gets its own console process group, Ctrl+Break
asks it to stop (the launcher handles SIGBREAK like SIGTERM), and ``taskkill /T /F`` ends
the tree, as the desktop shell's last step does (electron/lib/server.js).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

from djdesk_runtime.contract import interpreter_path

WINDOWS = sys.platform == "win32"

# What a Windows process needs from its environment even in a minimal one: without
# SYSTEMROOT, Python cannot seed its hash randomisation or open a socket.
WINDOWS_SYSTEM_ENV = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "PATHEXT", "COMSPEC")


def payload_python(payload: Path) -> Path:
    """The payload's interpreter on this host (the contract's per-platform path)."""
    return payload / interpreter_path(WINDOWS)


def minimal_env(**extra: str) -> dict[str, str]:
    """PATH (plus what Windows cannot run without) and ``extra``: what a payload gets
    when nothing of the developer's environment may leak into it."""
    env = {"PATH": os.environ["PATH"]}
    if WINDOWS:
        env.update({k: os.environ[k] for k in WINDOWS_SYSTEM_ENV if k in os.environ})
    return {**env, **extra}


def own_group() -> dict[str, Any]:
    """Popen arguments that start a process in its own group (see the module docstring)."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def request_stop(process: subprocess.Popen[Any]) -> None:
    """Ask a launcher started with ``own_group()`` to stop: its graceful path (exit 0)."""
    if WINDOWS:
        process.send_signal(signal.CTRL_BREAK_EVENT)
    else:
        process.send_signal(signal.SIGTERM)


def kill_tree(process: subprocess.Popen[Any]) -> None:
    """End a process started with ``own_group()`` and everything it started, at once."""
    if WINDOWS:
        subprocess.run(
            ["taskkill", "/pid", str(process.pid), "/T", "/F"], capture_output=True, check=False
        )
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def stop_process_tree(process: subprocess.Popen[Any]) -> None:
    """Stop a process started with ``own_group()`` and all it started.

    The graceful request first, so that a launcher stops its own worker; then a kill of
    whatever is left in its tree (a kill of the launcher alone orphans its worker).
    """
    if process.poll() is None:
        request_stop(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    kill_tree(process)
    process.wait()


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (none if it is gone)."""
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.NoSuchProcess:
        return []


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
