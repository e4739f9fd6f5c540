"""Serving: a loopback socket bound before Django loads, the project's WSGI application
behind whitenoise and the request guard, waitress."""

from __future__ import annotations

import contextlib
import importlib
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LaunchError


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a connection may take and how many may be open (#27).

    Any local process can connect without the token: the guard only runs once a request
    has arrived. Waitress's own idle timeout never fires for a client trickling one byte
    at a time, and its default of 100 connections let 100 such sockets stop the app; so
    a request gets a deadline of its own, the limit is ten times higher, and near it the
    stalled and idle connections make room (``keep_room_for_the_shell``).
    """

    # From a connection's opening (or a kept-alive connection's next request) to the end
    # of the request's headers (of the whole request without the token); a loopback
    # client sends them in one write.
    header_seconds: float = 10.0
    # A kept-alive connection with nothing to send (waitress's channel_timeout).
    idle_seconds: int = 30
    connections: int = 1000


# File descriptors kept back from the connection limit: the database, logs, the worker's
# pipes, waitress's own trigger and the listening socket.
RESERVED_DESCRIPTORS = 128
# Windows' select() (waitress has no poll there) watches at most 512 sockets.
WINDOWS_SELECT_LIMIT = 500


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1" if host == "localhost" else host, port))
    except OSError as exc:
        sock.close()
        raise LaunchError(
            "port_busy", f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    sock.listen(64)
    return sock


def import_optional(module: str, purpose: str) -> Any:
    """A dependency the runtime needs: a one-line error naming it when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise LaunchError(
            "missing_dependency",
            f"{module} is not installed in the payload ({purpose}): add it to the project's "
            "dependencies and build again",
        ) from exc


def load_application(wsgi_application: str, static_root: Path) -> Any:
    """The project's WSGI callable, with the uploaded files and the payload's collected
    static files in front."""
    from .media import media_location, serve_media

    module_name, _, attribute = wsgi_application.partition(":")
    application = getattr(importlib.import_module(module_name), attribute or "application")
    media = media_location()
    if media is not None:
        application = serve_media(application, *media)
    if static_root.is_dir():
        from django.conf import settings

        whitenoise = import_optional("whitenoise", "it serves the static files")
        url = str(settings.STATIC_URL or "/static/")
        prefix = url if url.startswith("/") else "/static/"
        application = whitenoise.WhiteNoise(
            application, root=str(static_root), prefix=prefix, max_age=3600
        )
    return application


def connection_limit(wanted: int) -> int:
    """``wanted`` open connections if the process may hold that many descriptors (the soft
    limit is raised towards the hard one when it is lower), else what it can."""
    if sys.platform == "win32":
        return min(wanted, WINDOWS_SELECT_LIMIT)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + RESERVED_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):  # macOS caps it below an "unlimited" hard limit
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - RESERVED_DESCRIPTORS))


def request_deadline_channel(
    base: type, header_seconds: float, trusted: Callable[[dict[str, str]], bool]
) -> type:
    """Waitress's channel, closing a connection whose request has not arrived
    ``header_seconds`` after it began (a fresh connection: after it opened): its headers,
    and its body too unless the headers are ``trusted`` (they carry the session token: the
    shell's uploads may take their time, a refused request's body need not)."""

    class RequestDeadlineChannel(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.request_due: float | None = time.monotonic() + header_seconds

        def received(self, data: bytes) -> bool:
            if self.request is None and self.request_due is None:  # a next request begins
                self.request_due = time.monotonic() + header_seconds
            done: bool = super().received(data)
            request = self.request
            if request is None or (request.headers_finished and trusted(request.headers)):
                self.request_due = None
            return done

        def readable(self) -> bool:
            # Asked on every turn of the server's loop (at least once a second).
            due = self.request_due
            if due is not None and not self.requests and time.monotonic() > due:
                self.will_close = True
            return bool(super().readable())

    return RequestDeadlineChannel


def keep_room_for_the_shell(server: Any, channel_class: type, limit: int) -> None:
    """Near the connection limit (where waitress stops accepting), close connections that
    neither are being served nor hold a request with the token: the oldest stalled request
    first, then the longest idle. A tenth of the limit stays free for the shell however
    many sockets another process opens."""
    headroom = max(1, limit // 10)
    accepting = server.readable

    def readable() -> bool:  # asked on every turn of the loop, before it accepts
        channels = server._map
        if len(channels) >= limit - headroom:
            _shed([c for c in channels.values() if isinstance(c, channel_class)], limit - headroom)
        return bool(accepting())

    server.readable = readable


def _shed(channels: list[Any], keep: int) -> None:
    open_channels = [c for c in channels if not c.will_close]
    excess = len(open_channels) + 2 - keep  # waitress counts its listener and trigger too
    if excess <= 0:
        return
    waiting = [c for c in open_channels if not c.requests]
    stalled = sorted((c for c in waiting if c.request_due is not None), key=_due)
    idle = sorted((c for c in waiting if c.request_due is None and c.request is None), key=_quiet)
    for channel in [*stalled, *idle][:excess]:
        channel.will_close = True


def _due(channel: Any) -> float:
    return float(channel.request_due)


def _quiet(channel: Any) -> float:
    return float(channel.last_activity)


def public_paths(configured: tuple[str, ...]) -> tuple[str, ...]:
    """The payload's ``public-paths``, checked again against where this project's admin
    really is (the build only knows ``/admin/``); a LaunchError if one cannot be public."""
    from .guard import ADMIN_PREFIX, check_public_paths

    if not configured:
        return ()
    from django.core.exceptions import ImproperlyConfigured
    from django.urls import NoReverseMatch, reverse

    admins = [ADMIN_PREFIX]
    with contextlib.suppress(NoReverseMatch, ImproperlyConfigured):  # no admin: only /admin/
        admins.append(reverse("admin:index"))
    problems = check_public_paths(configured, admins)
    if problems:
        raise LaunchError("startup_failed", f"public-paths: {'; '.join(problems)}")
    return configured


def make_server(
    application: Any,
    sock: socket.socket,
    threads: int,
    limits: ConnectionLimits | None = None,
    token: str = "",
) -> Any:
    """Waitress with the limits above; ``token`` is the session token the guard checks
    (a request carrying it may take longer than ``header_seconds`` for its body)."""
    from .guard import carries_token

    limits = limits or ConnectionLimits()
    waitress = import_optional("waitress", "it serves the app")
    server = waitress.create_server(
        application,
        sockets=[sock],
        threads=threads,
        ident="djdesk",
        connection_limit=connection_limit(limits.connections),
        channel_timeout=limits.idle_seconds,
        cleanup_interval=max(1, min(limits.idle_seconds // 3, 10)),
        asyncore_use_poll=True,  # select() cannot watch descriptors above 1024
    )

    # Waitress names headers as WSGI does without the HTTP_ prefix (X_DJDESK_TOKEN, COOKIE).
    def trusted(headers: dict[str, str]) -> bool:
        return carries_token({f"HTTP_{name}": value for name, value in headers.items()}, token)

    server.channel_class = request_deadline_channel(
        server.channel_class, limits.header_seconds, trusted
    )
    keep_room_for_the_shell(server, server.channel_class, server.adj.connection_limit)
    return server
