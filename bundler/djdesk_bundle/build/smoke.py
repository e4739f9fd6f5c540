"""Stage 7, smoke: every build proves the app answers.

The staged payload is booted by its own launcher, as the shell would start it, on a
scratch data dir (first launch: from the template database when one ships). Then the
``smoke-urls`` are requested (default: the start page and, when the project has one, the
admin login), redirects followed on the local origin, and every script, stylesheet, image
and icon those pages reference on that origin. A 5xx, a referenced file that does not
answer 200, or a launcher that does not come up fails the build, with the request and the
end of the app's log (the traceback). A page that answers 4xx is not a failure (a project
may have no start page), except a 404 of a URL the project listed itself.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.errors import SmokeFailed
from djdesk_bundle.tools.process import tail
from djdesk_runtime.contract import (
    DATA_DIR_LAYOUT,
    ENV,
    LAUNCHER_OPTIONS,
    LOOPBACK_HOSTS,
    PYTHON_FLAGS,
    READY_PREFIX,
    SESSION_HEADER,
)

DEFAULT_PAGES = ("/",)
ADMIN_LOGIN = "/admin/login/"
BOOT_TIMEOUT = 180.0  # a first launch migrates when no template database ships
REQUEST_TIMEOUT = 60.0
REFERENCES = {
    "script": ("src",),
    "img": ("src",),
    "source": ("src",),
    "link": ("href",),
}
LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload"}


@dataclass(frozen=True)
class SmokeReport:
    ran: bool
    checked: tuple[str, ...] = ()  # every path requested, in order


class _References(HTMLParser):
    """The same-page resources a browser would load: scripts, stylesheets, images, icons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and not set((values.get("rel") or "").lower().split()) & LINK_RELS:
            return
        for name in REFERENCES.get(tag, ()):
            if values.get(name):
                self.found.append(str(values[name]))


@dataclass
class _Client:
    origin: str  # http://127.0.0.1:PORT
    token: str
    opener: urllib.request.OpenerDirector = field(init=False)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.opener.addheaders = [(SESSION_HEADER, self.token)]

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, final path, body as text); redirects are followed by urllib."""
        try:
            with self.opener.open(self.origin + path, timeout=REQUEST_TIMEOUT) as response:
                final = urllib.parse.urlsplit(response.url)
                body = response.read().decode("utf-8", "replace")
                return response.status, final.path or "/", body
        except urllib.error.HTTPError as error:
            return error.code, path, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as error:
            raise SmokeFailed(f"smoke: GET {path} got no answer ({error})") from None

    def local_path(self, reference: str, page: str) -> str | None:
        """The path of a reference on this origin, or None for another origin."""
        absolute = urllib.parse.urljoin(self.origin + page, reference)
        parts = urllib.parse.urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")


def _launch(
    ctx: StageContext, interpreter: Interpreter, data_dir: Path, token: str
) -> subprocess.Popen[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "DJANGO_", "VIRTUAL_ENV", "DJDESK_"))
    }
    env.update({ENV["data_dir"]: str(data_dir), ENV["session_token"]: token, ENV["stop_pipe"]: "1"})
    launcher = ctx.staging / contract.LAUNCHER
    argv = [str(interpreter.executable), *PYTHON_FLAGS, "-B", str(launcher)]
    argv += [LAUNCHER_OPTIONS["host"], LOOPBACK_HOSTS[0], LAUNCHER_OPTIONS["port"], "0"]
    windows = sys.platform == "win32"
    return subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Its own process group: a Ctrl-C of the build reaches the build, which stops it.
        start_new_session=not windows,
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if windows else 0,
    )


def _wait_ready(process: subprocess.Popen[str]) -> str:
    """The origin from the launcher's ready line; SmokeFailed if it exits or never says it."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=BOOT_TIMEOUT)
        except queue.Empty:
            raise SmokeFailed(
                f"smoke: the staged app printed no {READY_PREFIX.strip()} line in "
                f"{BOOT_TIMEOUT:.0f} s"
            ) from None
        if line is None:
            process.wait()
            assert process.stderr is not None
            raise SmokeFailed(
                f"smoke: the staged app did not start (exit {process.returncode}):\n"
                f"{tail(process.stderr.read())}"
            )
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip().rstrip("/")


def _stop(process: subprocess.Popen[str]) -> None:
    """A graceful stop (the launcher stops its worker), then a kill. On POSIX a SIGTERM:
    it wakes the server's loop at once, where the shell's stop (stdin closed, used on
    Windows) reaches it only when the loop next wakes (up to a second). One or the other,
    never both: a second stop arriving during the first's clean-up would cut it short."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            if process.stdin is not None:
                process.stdin.close()
        else:
            process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _log_tail(data_dir: Path) -> str:
    log = data_dir / DATA_DIR_LAYOUT["logs"] / DATA_DIR_LAYOUT["django_log"]
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(the app wrote no log)"
    return tail(text, 30) or "(the app's log is empty)"


def _check_pages(client: _Client, pages: list[str], listed: bool, data_dir: Path) -> list[str]:
    checked: list[str] = []
    references: list[str] = []
    for page in pages:
        status, final, body = client.get(page)
        checked.append(page)
        failed = status >= 500 or (listed and status == 404)
        if failed:
            raise SmokeFailed(
                f"smoke: GET {page} answered {status}; the app's log ends with:\n"
                f"{_log_tail(data_dir)}"
            )
        if status < 400:
            parser = _References()
            parser.feed(body)
            found = (client.local_path(ref, final) for ref in parser.found)
            references += [path for path in found if path and path not in references]
    for path in references:
        status, _, _ = client.get(path)
        checked.append(path)
        if status != 200:
            raise SmokeFailed(
                f"smoke: {path}, referenced by the pages, answered {status} (a missing "
                f"static file?); the app's log ends with:\n{_log_tail(data_dir)}"
            )
    return checked


def smoke_stage(ctx: StageContext, interpreter: Interpreter) -> SmokeReport:
    options = ctx.options
    if not options.smoke:
        ctx.reporter.info("smoke test off (smoke = false)")
        return SmokeReport(ran=False)
    if not interpreter.runs_here:
        ctx.reporter.warn(
            f"cannot run the {interpreter.triple} interpreter here: the smoke test is "
            "skipped (run `djdesk-bundle check` on that platform)"
        )
        return SmokeReport(ran=False)
    data_dir = ctx.work / "smoke-data"
    token = secrets.token_urlsafe(24)
    process = _launch(ctx, interpreter, data_dir, token)
    try:
        client = _Client(_wait_ready(process), token)
        listed = bool(options.smoke_urls)
        pages = list(options.smoke_urls or DEFAULT_PAGES)
        checked = _check_pages(client, pages, listed, data_dir)
        if not listed and client.get(ADMIN_LOGIN)[0] != 404:
            checked += _check_pages(client, [ADMIN_LOGIN], False, data_dir)
    finally:
        _stop(process)
    return SmokeReport(ran=True, checked=tuple(checked))
