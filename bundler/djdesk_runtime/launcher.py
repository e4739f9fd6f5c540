"""The payload's launcher: ``python -I run_django.py --host 127.0.0.1 --port 0``.

Sets up the import path, applies pending migrations to the user database under the data
dir (holding the data-dir lock), serves with waitress behind the request guard, and prints
``DJDESK_READY http://127.0.0.1:<port>/`` once listening. Every start-up failure becomes
one line on stderr and an exit code from the contract (``main`` is the one place).
"""

from __future__ import annotations

import _thread
import argparse
import os
import secrets
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from .config import DataDir, LauncherConfig
from .contract import (
    APP_DIR,
    DESKTOP_SETTINGS_MODULE,
    ENV,
    EXIT_CODES,
    LAUNCHER,
    LAUNCHER_OPTIONS,
    LOGIN_PREFIX,
    LOOPBACK_HOSTS,
    READY_PREFIX,
    SESSION_QUERY,
    SITE_PACKAGES_DIR,
    STATIC_DIR,
    TEMPLATE_DATABASE,
    TIMING_PREFIX,
)
from .errors import PROG, LaunchError, describe, is_disk_full, root_cause, say
from .overrides import environment

if TYPE_CHECKING:
    from .locking import DataDirLock

__all__ = ["PROG", "main", "say"]
DEFAULT_LOCK_WAIT = 120.0  # seconds: long enough for another launcher's upgrade migration


def mark(phase: str) -> None:
    """With DJDESK_BOOT_TIMING set, when each start-up phase ended (for the benchmark)."""
    if os.environ.get(ENV["boot_timing"]):
        print(f"{TIMING_PREFIX}{phase} {time.time():.6f}", file=sys.stderr, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise LaunchError("usage", message)


def parse_args(argv: list[str], environ: os._Environ[str] | dict[str, str]) -> argparse.Namespace:
    parser = _Parser(prog=PROG, description="Serve the bundled Django project.")
    option = LAUNCHER_OPTIONS
    parser.add_argument(option["host"], default=LOOPBACK_HOSTS[0], help="loopback address")
    parser.add_argument(option["port"], type=int, default=0, help="port; 0 binds a free one")
    parser.add_argument(option["threads"], type=int, default=4)
    parser.add_argument(option["worker"], action="store_true", help=argparse.SUPPRESS)
    # Used by djdesk-bundle at build time: migrate a fresh database into this file.
    parser.add_argument(option["make_template"], metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument(
        option["check"],
        dest="check",
        action="store_true",
        help="pre-flight check of the desktop settings",
    )
    parser.add_argument(
        option["manage"],
        dest="manage",
        nargs=argparse.REMAINDER,
        metavar="COMMAND",
        help="run a management command on the data dir's database (after migrating it)",
    )
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK_HOSTS:
        hosts = ", ".join(LOOPBACK_HOSTS)
        raise LaunchError("usage", f"{option['host']} must be one of {hosts}, not {args.host!r}")
    forced = environ.get(ENV["force_port"])
    if forced:
        if not forced.isdigit():
            raise LaunchError("usage", f"{ENV['force_port']} must be a port number, not {forced!r}")
        args.port = int(forced)
    return args


@dataclass(frozen=True)
class Payload:
    root: Path
    config: LauncherConfig

    @property
    def launcher(self) -> Path:
        return self.root / LAUNCHER


def prepare_environment(payload: Payload, data: DataDir) -> None:
    """The data dir made or checked (private), import path, bytecode policy, settings
    module, working directory."""
    from .data_dir import POSIX, prepare

    if POSIX:
        os.umask(0o077)  # the database, its backups, logs and media: this user's only
    prepare(data.root)
    if payload.config.precompiled:
        sys.dont_write_bytecode = True  # the payload is read-only at run time
    else:
        # A cross-target build could not precompile: keep bytecode in the data dir.
        sys.pycache_prefix = str(data.pycache)
        sys.dont_write_bytecode = False
    sys.path[:0] = [str(payload.root / APP_DIR), str(payload.root / SITE_PACKAGES_DIR)]
    requested = os.environ.get(ENV["settings_module"])
    if requested == DESKTOP_SETTINGS_MODULE:  # a child of the launcher (the worker)
        requested = os.environ.get(ENV["project_settings"])
    project_settings = requested or payload.config.settings_module
    # With overrides, Django loads the runtime's module, which loads the project's.
    os.environ.update(
        environment(project_settings, data.root, payload.root, payload.config.desktop_overrides)
    )
    # Relative paths in a project's settings (templates, fixtures) mean the app directory.
    os.chdir(payload.root / APP_DIR)


def backups_kept(environ: os._Environ[str] | dict[str, str]) -> int:
    raw = environ.get(ENV["backups_kept"], "5")
    if not raw.isdigit() or int(raw) < 1:
        raise LaunchError(
            "usage", f"{ENV['backups_kept']} must be a number of backups (1 or more), not {raw!r}"
        )
    return int(raw)


def lock_wait(environ: os._Environ[str] | dict[str, str]) -> float:
    raw = environ.get(ENV["lock_wait"], "")
    try:
        return float(raw) if raw else DEFAULT_LOCK_WAIT
    except ValueError:
        raise LaunchError(
            "usage", f"{ENV['lock_wait']} must be a number of seconds, not {raw!r}"
        ) from None


def data_dir_lock(data: DataDir) -> DataDirLock:
    from .locking import DataDirLock

    try:
        return DataDirLock(data.lock, lock_wait(os.environ), say)
    except OSError as exc:
        from .data_dir import unusable

        raise unusable(data.root, exc) from exc


def update_database(payload: Payload) -> None:
    """With the lock held exclusively: the template copy, the migration check, an upgrade."""
    from django.db import connection

    from .database import copy_template, migrate

    copy_template(connection, payload.root / TEMPLATE_DATABASE)
    migrate(connection, payload.config.app_version, backups_kept(os.environ))
    connection.close()


def hold_for_serving(payload: Payload, data: DataDir) -> DataDirLock:
    """The data dir's lock, held shared for as long as this launcher serves, with the
    database migrated for this version; a server of an older version (sharing the lock)
    is never upgraded under (#27: its acknowledged writes were lost)."""
    from django.db import connection

    from .database import pending_migrations
    from .locking import EXCLUSIVE

    lock = data_dir_lock(data)
    try:
        alone, before = lock.exclusive_or_shared() == EXCLUSIVE, None
        if alone:
            update_database(payload)
            before = _identity(data, connection)
            lock.release()
            lock.shared()  # not atomic: another launcher may have changed it in between
        if not alone or _identity(data, connection) != before:
            if pending_migrations(connection, payload.config.app_version):
                raise LaunchError(
                    "data_dir_in_use",
                    f"an older version of this app is serving {data.root}: close it, then "
                    "start this version again to upgrade the database",
                )
            connection.close()
        if not alone:
            say(f"another copy of this app is serving {data.root}: this one shares its data")
    except BaseException:
        lock.close()
        raise
    return lock


def _identity(data: DataDir, connection: object) -> tuple[int, int, int] | None:
    """What changes when the database file is replaced or written (no Django query)."""
    name = getattr(connection, "settings_dict", {}).get("NAME")
    try:
        info = os.stat(str(name or data.database))
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def session_token() -> tuple[str, bool]:
    """The shell's per-launch secret, or one made here (then printed as a login URL)."""
    given = os.environ.get(ENV["session_token"], "")
    return (given, False) if given else (secrets.token_urlsafe(32), True)


def serve(payload: Payload, data: DataDir, args: argparse.Namespace) -> None:
    from .serve import bind, load_application, make_server, public_paths
    from .worker import worker_idle, worker_mode

    mark("interpreter")
    mode = worker_mode(os.environ, payload.config.worker_mode)
    worker_idle(os.environ)  # a bad value is a usage error now, not a worker that dies later
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    import django

    django.setup()
    mark("django-setup")
    lock = hold_for_serving(payload, data)
    mark("migration-check")
    application = load_application(payload.config.wsgi_application, payload.root / STATIC_DIR)

    from .guard import guard_wsgi
    from .worker import (
        OnDemandWorker,
        on_stdin_closed,
        on_task_enqueued,
        tasks_queued,
        worker_starter,
    )

    token, generated = session_token()
    start = worker_starter(payload.launcher, payload.config.worker_argv, mode)
    worker = OnDemandWorker(start, tasks_queued)
    on_task_enqueued(worker.wake)
    public = public_paths(payload.config.public_paths)
    guarded = worker.wrap(guard_wsgi(application, token, port, public))
    server = make_server(guarded, sock, args.threads, token=token)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if sys.platform == "win32":
        # Windows delivers no SIGTERM from outside: Ctrl+Break, sent to the launcher's own
        # console process group, is a graceful stop there (server closed, worker stopped).
        signal.signal(signal.SIGBREAK, stop)
    # The shell's graceful stop on every OS (Node cannot send Ctrl+Break, and taskkill
    # without /F cannot close a windowless console process): it closes our stdin.
    on_stdin_closed(ENV["stop_pipe"], _stop_main_thread)
    mark("listening")
    origin = f"http://{LOOPBACK_HOSTS[0]}:{port}/"
    print(f"{READY_PREFIX}{origin}", flush=True)
    if generated:  # no shell: a browser logs in once through this URL (it sets the cookie)
        print(f"{LOGIN_PREFIX}{origin}?{SESSION_QUERY}={token}", flush=True)
    try:
        server.run()
    finally:
        server.close()
        if worker.stop():
            lock.close()
        # else a task still runs in the worker thread: the lock is held until the process
        # has exited, so that no upgrade replaces the database under that task.


def _stop_main_thread() -> None:
    """SIGTERM's handler, run in the main thread now. On POSIX a real signal to that thread:
    it cuts short the server's wait for sockets (interrupt_main only flags the handler,
    which ran once the wait timed out, up to a second later, on every quit of the shell)."""
    if sys.platform == "win32":
        _thread.interrupt_main(signal.SIGTERM)
    else:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)


def manage(payload: Payload, data: DataDir, argv: list[str]) -> None:
    """A management command (createsuperuser, loaddata, …) with the app's own settings, on
    the data dir's database, migrated first as the app would."""
    if not argv:
        raise LaunchError(
            "usage", f"{LAUNCHER_OPTIONS['manage']} needs a command, e.g. createsuperuser"
        )
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    with data_dir_lock(data) as lock:  # alone: never beside a serving app (#27)
        lock.exclusive(
            f"another copy of this app is serving {data.root}: close it before running "
            f"{LAUNCHER_OPTIONS['manage']} {argv[0]}"
        )
        update_database(payload)
        execute_from_command_line([LAUNCHER, *argv])


def run(payload_root: Path, argv: list[str]) -> None:
    args = parse_args(argv, os.environ)
    payload = Payload(payload_root, LauncherConfig.load(payload_root))
    data = DataDir.from_environment(os.environ)
    prepare_environment(payload, data)
    if args.worker:
        from .worker import run_worker

        with data_dir_lock(data) as lock:
            run_worker(payload.config.worker_argv, lock)
    elif args.make_template:
        from .template import make_template

        make_template(Path(args.make_template), int(os.environ[ENV["source_date_epoch"]]))
    elif args.check:
        from .checks import run_checks

        project = os.environ.get(ENV["project_settings"]) or os.environ[ENV["settings_module"]]
        code = run_checks(payload.root, project, payload.config.desktop_overrides)
        if code:
            raise SystemExit(code)
    elif args.manage is not None:
        manage(payload, data, args.manage)
    else:
        serve(payload, data, args)


def main(payload_root: str | Path, argv: list[str] | None = None) -> int:
    """Run, turning every failure into one line and a documented exit code."""
    try:
        run(Path(payload_root), sys.argv[1:] if argv is None else argv)
    except LaunchError as error:
        say(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        return report_unexpected(error)
    return 0


def report_unexpected(error: Exception) -> int:
    """An error nobody foresaw: still one line (the traceback only with DJDESK_DEBUG)."""
    cause = root_cause(error)
    if os.environ.get(ENV["debug"]):
        traceback.print_exc()
    if isinstance(cause, ImportError) and cause.name:
        say(f"{cause.name} cannot be imported ({describe(cause)}): is it a project dependency?")
        return EXIT_CODES["missing_dependency"]
    if is_disk_full(cause):
        say(f"disk full: {describe(cause)}")
        return EXIT_CODES["disk_full"]
    say(f"startup failed: {describe(cause)}")
    return EXIT_CODES["startup_failed"]
