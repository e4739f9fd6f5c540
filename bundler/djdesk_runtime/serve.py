"""Serving: a loopback socket bound before Django loads, the project's WSGI application
behind whitenoise and the request guard, waitress."""

from __future__ import annotations

import importlib
import socket
import sys
from pathlib import Path
from typing import Any

from .errors import LaunchError


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


def make_server(application: Any, sock: socket.socket, threads: int) -> Any:
    waitress = import_optional("waitress", "it serves the app")
    return waitress.create_server(application, sockets=[sock], threads=threads, ident="djdesk")
