"""Run one allowlisted management command of an inspected project, safely.

The workspace's own interpreter, an argv list (never a shell), cwd = the project, a
minimal environment, its own process group (so a timeout or a cancel kills everything
it started), output streamed into the run's log in batches.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .allowlist import NotAllowed, render_argv
from .models import Workspace, WorkspaceTaskRun

FLUSH_SECONDS = 0.3
STALE_GRACE = timedelta(seconds=30)
ENV_KEPT = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TEMP", "TMP", "TMPDIR", "HOME")
CANCELLED_BEFORE_START = "cancelled before it started"
Status = WorkspaceTaskRun.Status


def workspace_python(workspace: Workspace, project: Path) -> tuple[str, dict[str, str]]:
    """The project's .venv, else the workspace's configured interpreter, else ours."""
    for candidate in (
        project / ".venv" / "bin" / "python",
        project / ".venv" / "Scripts" / "python.exe",
    ):
        if candidate.is_file():
            return str(candidate), {}
    if workspace.python_path:
        return workspace.python_path, {}
    return sys.executable, own_packages_env()


def own_packages_env() -> dict[str, str]:
    """Our interpreter may run isolated (-I, as in the payload): a child of it that should
    import what we import needs our packages on PYTHONPATH."""
    packages = [
        p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)
    ]
    return {"PYTHONPATH": os.pathsep.join(packages)} if packages else {}


def minimal_env(extra: dict[str, str]) -> dict[str, str]:
    env = {key: os.environ[key] for key in ENV_KEPT if key in os.environ}
    env.update(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    if sys.platform == "win32":
        subprocess.run(
            ["taskkill", "/PID", str(process.pid), "/T", "/F"], capture_output=True, check=False
        )
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _reader(stream, lines: queue.Queue[str | None]) -> None:  # type: ignore[no-untyped-def]
    for raw in iter(stream.readline, b""):
        lines.put(raw.decode("utf-8", errors="replace"))
    lines.put(None)


def _finish(run: WorkspaceTaskRun, status: str, **fields: object) -> None:
    run.status, run.progress, run.finished_at = status, 100, timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()


def _fail_before_start(run: WorkspaceTaskRun, error: str) -> WorkspaceTaskRun:
    """A run that cannot start fails, unless a cancel got there first (one conditional
    UPDATE, like the start itself: a plain save() would overwrite the cancel)."""
    now = timezone.now()
    WorkspaceTaskRun.objects.filter(pk=run.pk, status=Status.REQUESTED).update(
        status=Status.FAILED, progress=100, error=error, finished_at=now, updated_at=now
    )
    run.refresh_from_db()
    return run


def execute(run: WorkspaceTaskRun) -> WorkspaceTaskRun:
    """Run it to the end (or timeout / cancel) and record everything on the row."""
    try:
        argv = render_argv(run.preset.argv, run.args)  # checked again right before running
    except NotAllowed as exc:
        return _fail_before_start(run, f"refused: {exc}")
    project = run.workspace.resolved_path()
    if not (project / "manage.py").is_file():
        return _fail_before_start(run, f"no manage.py in {project}")
    python, extra_env = workspace_python(run.workspace, project)
    run.argv = [python, *argv]
    run.status, run.progress, run.started_at = Status.RUNNING, 5, timezone.now()
    # Only a run still requested starts: a cancel may have landed since the worker loaded
    # it, and a plain save() would overwrite that cancel and run the command anyway.
    started = WorkspaceTaskRun.objects.filter(pk=run.pk, status=Status.REQUESTED).update(
        status=run.status,
        progress=run.progress,
        started_at=run.started_at,
        argv=run.argv,
        updated_at=run.started_at,
    )
    if not started:
        run.refresh_from_db()
        return run
    try:
        process = subprocess.Popen(
            run.argv,
            cwd=project,
            env=minimal_env(extra_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=sys.platform != "win32",
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        )
    except OSError as exc:
        _finish(run, Status.FAILED, error=f"could not start {python}: {exc}")
        return run
    run.pid = process.pid
    WorkspaceTaskRun.objects.filter(pk=run.pk).update(pid=process.pid)
    return _supervise(run, process)


def _supervise(run: WorkspaceTaskRun, process: subprocess.Popen[bytes]) -> WorkspaceTaskRun:
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + run.preset.timeout
    pending: list[str] = []
    log = ""
    outcome: tuple[str, str] | None = None
    done = False
    last_flush = time.monotonic()
    while not done:
        try:
            line = lines.get(timeout=FLUSH_SECONDS)
            if line is None:
                done = True
            else:
                pending.append(line)
        except queue.Empty:
            pass
        if time.monotonic() - last_flush >= FLUSH_SECONDS or done:
            log = (log + "".join(pending))[-settings.INSPECTOR_TASK_LOG_LIMIT :]
            pending.clear()
            last_flush = time.monotonic()
            progress = min(95, run.progress + 5)
            WorkspaceTaskRun.objects.filter(pk=run.pk).update(
                log=log, progress=progress, updated_at=timezone.now()
            )
            run.progress = progress
            if WorkspaceTaskRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
                outcome = (Status.CANCELLED, "cancelled by the user")
            elif time.monotonic() > deadline:
                outcome = (Status.FAILED, f"timed out after {run.preset.timeout} s")
            if outcome:
                kill_group(process)
                break
    exit_code = process.wait()
    if outcome:
        status, message = outcome
        _finish(run, status, exit_code=exit_code, log=(log + f"\n[{message}]\n"), error=message)
    else:
        _finish(
            run,
            Status.SUCCEEDED if exit_code == 0 else Status.FAILED,
            exit_code=exit_code,
            log=log,
            error="" if exit_code == 0 else f"exited with code {exit_code}",
        )
    return run


def request_cancel(run_id: int) -> bool:
    """Cancel a run: one still requested ends here, a running one is killed by its worker at
    the next flush. Each step is one conditional UPDATE, so it cannot overwrite (or be
    overwritten by) a worker marking the run running at the same moment. False when the
    run had already finished."""
    now = timezone.now()
    before_start = WorkspaceTaskRun.objects.filter(pk=run_id, status=Status.REQUESTED).update(
        status=Status.CANCELLED,
        progress=100,
        error=CANCELLED_BEFORE_START,
        log=f"[{CANCELLED_BEFORE_START}]\n",
        finished_at=now,
        updated_at=now,
    )
    running = WorkspaceTaskRun.objects.filter(pk=run_id, status=Status.RUNNING)
    return bool(before_start) or bool(running.update(cancel_requested=True))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def reap_stale_runs() -> int:
    """Runs left 'running' by a dead process or a restarted server end as failed."""
    now = timezone.now()
    reaped = 0
    candidates = WorkspaceTaskRun.objects.filter(
        Q(status=Status.RUNNING) | Q(status=Status.REQUESTED)
    ).select_related("preset")
    for run in candidates:
        too_old = run.updated_at < now - timedelta(seconds=run.preset.timeout) - STALE_GRACE
        dead = (
            run.status == Status.RUNNING
            and run.pid is not None
            and not _alive(run.pid)
            and (run.updated_at < now - timedelta(seconds=5))
        )
        if too_old or dead:
            _finish(run, Status.FAILED, error="interrupted: its process or the server stopped")
            reaped += 1
    return reaped
