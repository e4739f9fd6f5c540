"""Uploaded files (``MEDIA_ROOT`` in the data dir) served at ``MEDIA_URL``.

Django serves media only with ``DEBUG`` on; a desktop app needs them always. Files are
looked up strictly below the media root (no ``..``, no absolute paths, no links out),
streamed, with a content type from the file name and ``nosniff``.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote

WSGIApp = Callable[[dict[str, object], Callable[..., object]], Iterable[bytes]]


def media_file(root: Path, prefix: str, path_info: str) -> Path | None:
    """The file a request path names under ``root``, or None (not ours, or not there)."""
    if not path_info.startswith(prefix):
        return None
    relative = unquote(path_info[len(prefix) :])
    if not relative or "\0" in relative or relative.startswith(("/", "\\")):
        return None
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def serve_media(application: WSGIApp, root: Path, prefix: str) -> WSGIApp:
    def with_media(
        environ: dict[str, object], start_response: Callable[..., object]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return application(environ, start_response)
        found = media_file(root, prefix, str(environ.get("PATH_INFO", "")))
        if found is None:
            return application(environ, start_response)
        kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        headers = [
            ("Content-Type", kind),
            ("Content-Length", str(found.stat().st_size)),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-cache"),
        ]
        start_response("200 OK", headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return [b""]
        handle = open(found, "rb")  # noqa: SIM115 - closed by the server via the wrapper
        wrapper = environ.get("wsgi.file_wrapper")
        if callable(wrapper):
            return wrapper(handle, 64 * 1024)  # type: ignore[no-any-return]
        return _chunks(handle)

    return with_media


def _chunks(handle: object) -> Iterable[bytes]:
    with handle:  # type: ignore[attr-defined]
        while chunk := handle.read(64 * 1024):  # type: ignore[attr-defined]
            yield chunk


def media_location() -> tuple[Path, str] | None:
    """(MEDIA_ROOT, MEDIA_URL) when the settings serve media from a local folder."""
    from django.conf import settings

    root, url = str(settings.MEDIA_ROOT or ""), str(settings.MEDIA_URL or "")
    if not root or not url.startswith("/") or url == "/":
        return None
    os.makedirs(root, exist_ok=True)
    return Path(root), url
