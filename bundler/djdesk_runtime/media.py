"""Uploaded files (``MEDIA_ROOT`` in the data dir) served at ``MEDIA_URL``.

Django serves media only with ``DEBUG`` on; a desktop app needs them always. Files are
looked up strictly below the media root (no ``..``, no absolute paths, no links out, and
nothing when the media folder is itself a link: ``media -> /etc`` would serve ``/etc``),
streamed, with a content type from the file name and ``nosniff``. A name the file system
cannot look up (too long) is not ours: the app answers it (a 404).
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from django.core.files.storage import FileSystemStorage

WSGIApp = Callable[[dict[str, object], Callable[..., object]], Iterable[bytes]]


def media_file(root: Path, prefix: str, path_info: str) -> Path | None:
    """The file a request path names under ``root``, or None (not ours, or not there)."""
    if not path_info.startswith(prefix):
        return None
    relative = unquote(path_info[len(prefix) :])
    if not relative or "\0" in relative or relative.startswith(("/", "\\")):
        return None
    try:
        if root.is_symlink():  # asked on every request: the folder may be swapped later
            return None
        base = root.resolve()
        candidate = (base / relative).resolve()
        if not candidate.is_relative_to(base) or not candidate.is_file():
            return None
    except (OSError, ValueError):  # File name too long, and the like: not a file of ours
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


# The storage the desktop runtime gives a project whose uploads go to Django's own
# FileSystemStorage (the "media" override).
DJANGO_FILE_STORAGE = "django.core.files.storage.FileSystemStorage"
ATOMIC_FILE_STORAGE = "djdesk_runtime.media.AtomicFileSystemStorage"


class _StagedUpload:
    """What FileSystemStorage moves into place by renaming (it asks for the path)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def temporary_file_path(self) -> str:
        return self.path


class AtomicFileSystemStorage(FileSystemStorage):  # type: ignore[misc]
    """FileSystemStorage that writes an upload beside its final name and renames it
    there once complete: a full disk (or any failed write) leaves no truncated file in
    the media folder, only the error."""

    def _save(self, name: str, content: Any) -> str:
        directory = os.path.dirname(self.path(name))
        os.makedirs(directory, exist_ok=True)
        descriptor, staged = tempfile.mkstemp(prefix=".upload-", suffix=".partial", dir=directory)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            # Same folder: FileSystemStorage renames it, never copies, and picks
            # another name when this one is taken.
            saved: str = super()._save(name, _StagedUpload(staged))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(staged)
            raise
        return saved
