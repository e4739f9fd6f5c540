"""The built inspector payload's server, for real (#26, #27): slow sockets beside the shell's
request, a forged login URL, and a public path listed in the payload's launcher.json."""

from __future__ import annotations

import http.client
import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from djdesk_runtime.contract import LAUNCHER_CONFIG
from tests.bundler.conftest import needs_local_python
from tests.bundler.test_build_e2e import launch, read_ready
from tests.processes import WINDOWS, stop_process_tree
from tests.runtime.test_serve import PATIENCE, SLOW_CLIENTS, half_open

pytestmark = [pytest.mark.e2e, needs_local_python]

TOKEN = "s3cret-e2e"
PUBLIC = "/api/workspaces/atlas-telemetry/status/"


def with_public_paths(out: Path, where: Path, prefixes: list[str]) -> Path:
    """The built payload with another launcher.json: every other entry a link to the
    built one (the launcher reads the config beside its run_django.py)."""
    where.mkdir()
    for entry in out.iterdir():
        if entry.name != LAUNCHER_CONFIG and entry.name != "run_django.py":
            (where / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    shutil.copy2(out / "run_django.py", where / "run_django.py")
    config = json.loads((out / LAUNCHER_CONFIG).read_text(encoding="utf-8"))
    config["public_paths"] = prefixes
    (where / LAUNCHER_CONFIG).write_text(json.dumps(config), encoding="utf-8")
    return where


def get(port: int, path: str, **headers: str) -> tuple[int, str | None]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE)
    connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location")


@pytest.mark.skipif(WINDOWS, reason="the payload overlay is made of symlinks")
def test_the_payload_serves_its_shell_beside_slow_sockets_and_a_public_path(
    built, tmp_path: Path
) -> None:
    payload = with_public_paths(built["out"], tmp_path / "payload", [PUBLIC])
    data = tmp_path / "data"
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    (elsewhere / "passwd").write_text("root:x:0:0")
    data.mkdir()
    (data / "media").symlink_to(elsewhere, target_is_directory=True)  # media -> /etc
    process = launch(payload, data, DJDESK_SESSION_TOKEN=TOKEN)
    try:
        port = urlsplit(read_ready(process)).port or 0
        with half_open(port, SLOW_CLIENTS):
            status, _ = get(port, "/", **{"X-DJDesk-Token": TOKEN})
            assert status in (200, 302)
        # No token: the app answers (a 404 if the samples are not seeded), not the guard.
        assert get(port, PUBLIC)[0] in (200, 404)
        assert get(port, "/api/workspaces/")[0] == 403
        assert get(port, PUBLIC + "../../")[0] == 403
        assert get(port, PUBLIC, Host="evil.example")[0] == 400
        assert get(port, f"/%0d%0aSet-Cookie:%20x=1?djdesk_token={TOKEN}")[0] == 400
        assert get(port, f"/%5Cevil.com?djdesk_token={TOKEN}") == (302, "/%5Cevil.com")
        token = {"X-DJDesk-Token": TOKEN}
        assert get(port, "/media/passwd", **token)[0] == 404
        assert get(port, "/media/" + "a" * 5000, **token)[0] == 404  # File name too long
    finally:
        stop_process_tree(process)
    logs = [p.read_text(errors="replace") for p in (data / "logs").glob("*") if p.is_file()]
    stderr = process.stderr.read()  # type: ignore[union-attr]
    assert not [text for text in [*logs, stderr] if "\nSet-Cookie: x=1" in text]


@pytest.mark.skipif(WINDOWS, reason="the payload overlay is made of symlinks")
def test_a_public_path_over_the_admin_stops_the_launch(built, tmp_path: Path) -> None:
    payload = with_public_paths(built["out"], tmp_path / "payload", ["/admin/"])
    process = launch(payload, tmp_path / "data", DJDESK_SESSION_TOKEN=TOKEN)
    try:
        assert process.wait(timeout=120) == 1
        stderr = process.stderr.read()  # type: ignore[union-attr]
        assert "public-paths: '/admin/' overlaps the admin (/admin/)" in stderr
        assert len(stderr.strip().splitlines()) == 1, stderr
    finally:
        stop_process_tree(process)
