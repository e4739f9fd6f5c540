"""Uploaded files served from the data dir: only what lies below the media root."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from djdesk_runtime.media import AtomicFileSystemStorage, media_file, serve_media
from tests.processes import WINDOWS


def test_only_files_below_the_root_are_served(tmp_path: Path) -> None:
    root = tmp_path / "media"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a b.png").write_bytes(b"png")
    (tmp_path / "secret_key").write_text("k")
    if not WINDOWS:  # a symlink needs a privilege there
        (root / "out").symlink_to(tmp_path, target_is_directory=True)
    assert media_file(root, "/media/", "/media/photos/a%20b.png") == root / "photos" / "a b.png"
    for path in (
        "/media/../secret_key",
        "/media/%2e%2e/secret_key",
        "/media/out/secret_key",  # a link leading out
        "/media//etc/passwd",
        "/media/" + str(tmp_path / "secret_key"),  # absolute: a drive path on Windows
        "/media/photos/",
        "/media/photos/a%00.png",
        "/static/photos/a b.png",
        "/media/",
    ):
        assert media_file(root, "/media/", path) is None, path


def test_the_wrapper_serves_media_and_passes_the_rest_on(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (root / "doc.pdf").write_bytes(b"%PDF-1.4")
    calls: list[str] = []

    def app(environ: dict[str, object], start_response) -> Iterable[bytes]:  # type: ignore[no-untyped-def]
        calls.append(str(environ["PATH_INFO"]))
        start_response("404 Not Found", [])
        return [b"app"]

    wrapped = serve_media(app, root, "/media/")
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append((status, headers))

    body = b"".join(wrapped({"REQUEST_METHOD": "GET", "PATH_INFO": "/media/doc.pdf"}, start))
    assert body == b"%PDF-1.4" and seen[0][0] == "200 OK"
    assert ("Content-Type", "application/pdf") in seen[0][1]
    assert ("X-Content-Type-Options", "nosniff") in seen[0][1]
    wrapped({"REQUEST_METHOD": "POST", "PATH_INFO": "/media/doc.pdf"}, start)
    wrapped({"REQUEST_METHOD": "GET", "PATH_INFO": "/media/missing.pdf"}, start)
    assert calls == ["/media/doc.pdf", "/media/missing.pdf"]


@pytest.mark.skipif(WINDOWS, reason="a symlink needs a privilege on Windows")
def test_a_media_folder_that_is_a_link_serves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "etc"
    target.mkdir()
    (target / "passwd").write_text("root:x:0:0")
    data = tmp_path / "data"
    data.mkdir()
    (data / "media").symlink_to(target, target_is_directory=True)
    assert media_file(data / "media", "/media/", "/media/passwd") is None


def test_a_name_too_long_to_look_up_is_passed_to_the_app(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    long_name = "/media/" + "a" * 5000
    assert media_file(root, "/media/", long_name) is None
    assert media_file(root, "/media/", "/media/" + "/".join(["b" * 200] * 40)) is None
    calls: list[str] = []

    def app(environ: dict[str, object], start_response) -> Iterable[bytes]:  # type: ignore[no-untyped-def]
        calls.append("app")
        start_response("404 Not Found", [])
        return [b""]

    serve_media(app, root, "/media/")({"REQUEST_METHOD": "GET", "PATH_INFO": long_name}, print)
    assert calls == ["app"]


def test_an_upload_is_saved_whole_under_a_free_name(tmp_path: Path) -> None:
    from django.core.files.base import ContentFile

    storage = AtomicFileSystemStorage(location=tmp_path / "media", base_url="/media/")
    first = storage.save("notes/a.txt", ContentFile(b"one"))
    second = storage.save("notes/a.txt", ContentFile("two"))
    assert first == "notes/a.txt" and second != first and second.startswith("notes/a_")
    assert storage.open(first).read() == b"one" and storage.open(second).read() == b"two"
    assert sorted(p.name for p in (tmp_path / "media" / "notes").iterdir()) == sorted(
        [Path(first).name, Path(second).name]
    )
