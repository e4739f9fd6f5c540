"""End to end: the real CLI builds the inspector payload from a local interpreter archive
served over HTTP on 127.0.0.1, verifies it, and boots Django from it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path, PurePath

import pytest

from djdesk_bundle.build.machine_state import is_machine_state
from tests.bundler.conftest import (
    HOST_TRIPLE,
    build_argv,
    build_env,
    build_into,
    bundle,
    bundle_exe,
    clone_repo,
    needs_local_python,
)
from tests.bundler.mirror import serve_mirror
from tests.conftest import REPO
from tests.processes import (
    kill_tree,
    minimal_env,
    own_group,
    payload_python,
    request_stop,
    stop_process_tree,
)

pytestmark = [pytest.mark.e2e, needs_local_python]


def test_payload_layout(built) -> None:
    out = built["out"]
    assert payload_python(out).is_file()
    for name in (
        "site-packages/django",
        "app/manage.py",
        "static/inspector/app.js",
        "samples/djdesk/manage.py",
        "run_django.py",
        "launcher.json",
        "runtime/djdesk_runtime/launcher.py",
        "runtime/djdesk_runtime/contract.json",
        "VERSION",
        "build-info.json",
        "SHA256SUMS",
    ):
        assert (out / name).exists(), name
    assert not (out / "site-packages" / "bin").exists()
    assert not list((out / "app").rglob("*.sqlite3"))
    info = json.loads((out / "build-info.json").read_text())
    assert info["interpreter"]["triple"] == HOST_TRIPLE
    assert info["precompiled"] is True
    assert info["lock"]["file"] == "uv.lock"
    assert built["archive"].name == f"djdesk-payload-0.1.0-{HOST_TRIPLE}.tar.gz"
    sidecar = built["archive"].with_name(built["archive"].name + ".sha256")
    assert sidecar.read_text().split()[1] == built["archive"].name
    # Bytecode names the payload, not the build directory.
    pyc = next((out / "app" / "inspector" / "__pycache__").glob("views.*.pyc")).read_bytes()
    assert b"django-bundle/app/inspector/views.py" in pyc
    runtime_pyc = (out / "runtime/djdesk_runtime/__pycache__").glob("launcher.*.pyc")
    assert b"django-bundle/runtime/djdesk_runtime/launcher.py" in next(runtime_pyc).read_bytes()
    assert str(built["root"]).encode() not in pyc
    # Third-party packages ship sourceless bytecode, no test suites or .po; the app its .py.
    site = out / "site-packages"
    assert (site / "django/__init__.pyc").is_file() and not (site / "django/__init__.py").exists()
    assert not list(site.rglob("__pycache__")) and not list(site.rglob("*.po"))
    # So does the interpreter's stdlib (interpreter-sources = false).
    assert list((out / "python").rglob("json/decoder.pyc"))
    assert not list((out / "python").rglob("*.py")) and not list(
        (out / "python").rglob("__pycache__")
    )
    assert (site / "django/conf/locale/en/LC_MESSAGES/django.mo").is_file()
    # The inspector keeps English only (dependency-locales = ["en"]: it sets USE_I18N = False).
    assert not (site / "django/conf/locale/fr").exists()
    assert not (site / "django/contrib/admin/locale/de").exists()
    assert (out / "app/inspector/views.py").is_file()
    # Exactly the app's locked runtime deps for this platform: none of the bundler's or the
    # dev tools' (no rich, uv, sigstore, pytest), no win32-only tzdata.
    from packaging.utils import canonicalize_name

    installed = {
        canonicalize_name(p.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        for p in (out / "site-packages").glob("*.dist-info")
    }
    exported = subprocess.run(
        [
            "uv",
            "export",
            "--frozen",
            "--package",
            "djdesk",
            "--no-dev",
            "--no-emit-workspace",
            "--no-header",
            "--no-hashes",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = {
        canonicalize_name(line.split("==")[0])
        for line in exported.splitlines()
        if "==" in line and "win32" not in line
    }
    assert installed == expected
    assert {"django", "django-tasks", "waitress", "whitenoise", "nbformat"} <= installed
    assert not installed & {"rich", "uv", "sigstore", "pytest", "cyclonedx-python-lib", "tzdata"}


def test_verify_dir_and_archive_then_tamper(built, tmp_path: Path) -> None:
    assert bundle("verify", str(built["out"]), cwd=REPO).returncode == 0
    assert bundle("verify", str(built["archive"]), cwd=REPO).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(built["out"], copy, symlinks=True)
    (copy / "app" / "manage.py").write_text("tampered")
    (copy / "VERSION").unlink()
    result = bundle("verify", str(copy), cwd=REPO)
    assert result.returncode == 1
    assert "modified: app/manage.py" in result.stderr
    assert "missing: VERSION" in result.stderr


class Launched:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process, self.url = process, url

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url.rstrip("/") + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def launch(
    out: Path, data_dir: Path, stdin: int | None = None, **env: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(payload_python(out)),
            "-I",
            str(out / "run_django.py"),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=minimal_env(DJDESK_DATA_DIR=str(data_dir), **env),
        **own_group(),  # its worker too can be stopped (stop_process_tree)
    )


def read_ready(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()  # the launcher prints it once it listens
    assert line.startswith("DJDESK_READY http://127.0.0.1:"), (line, process.stderr.read())
    return line.split()[1]


def boot_and_stop(out: Path, data_dir: Path) -> int:
    """Start the payload on a data dir until it is ready, stop it; its exit code."""
    process = launch(out, data_dir)
    try:
        read_ready(process)
        request_stop(process)
        return process.wait(timeout=15)
    finally:
        stop_process_tree(process)


@pytest.fixture
def server(built, tmp_path: Path) -> Iterator[Launched]:
    process = launch(built["out"], tmp_path / "data", DJDESK_SESSION_TOKEN="s3cret")
    try:
        yield Launched(process, read_ready(process))
    finally:
        stop_process_tree(process)


def wait_for(fetch, done, timeout: float = 30):  # type: ignore[no-untyped-def]
    """Poll until done(value): the desktop settings queue work for the db_worker."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_boot_serves_inspector_and_stops_when_asked(
    built, server: Launched, tmp_path: Path
) -> None:
    auth = {"X-DJDesk-Token": "s3cret"}
    status, body = server.get("/workspaces/atlas-telemetry/", auth)
    assert status == 200 and b"Atlas Telemetry" in body
    data = wait_for(
        lambda: json.loads(server.get("/api/workspaces/atlas-telemetry/status/", auth)[1]),
        lambda d: d["scans"] and all(s["status"] == "completed" for s in d["scans"]),
    )
    assert data["workspace"] == "Atlas Telemetry"
    assert PurePath(data["project_path"]).parts[-2:] == (
        "samples",
        "djdesk",
    )  # the payload's read-only sample
    assert {i["title"]: i["value"] for i in data["insights"]}["Pending migrations"] == "3"
    status, body = server.get("/static/inspector/app.js", auth)
    assert status == 200 and b"UI.drop_event" in body  # the name comes from the contract
    status, page = server.get("/", auth)
    assert status == 200 and b'id="djdesk-ui"' in page and b"djdesk:workspace-drop" in page
    assert (tmp_path / "data" / "db.sqlite3").is_file()
    request_stop(server.process)
    assert server.process.wait(timeout=15) == 0
    # Running it wrote nothing into the (read-only) payload.
    assert bundle("verify", str(built["out"]), cwd=REPO).returncode == 0


def test_guard_needs_token_and_loopback_host(server: Launched) -> None:
    assert server.get("/")[0] == 403
    assert server.get("/", {"X-DJDesk-Token": "wrong"})[0] == 403
    assert server.get("/", {"X-DJDesk-Token": "s3cret", "Host": "evil.example"})[0] == 400
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(server.url + "?djdesk_token=s3cret", timeout=10) as response:
        assert response.status == 200  # redirected, cookie set, then served
        assert response.url.startswith(server.url + "workspaces/")


def test_refuses_database_from_newer_version(built, tmp_path: Path) -> None:
    data = tmp_path / "data"
    boot_and_stop(built["out"], data)
    with sqlite3.connect(data / "db.sqlite3") as db:
        db.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('inspector', '9999_from_the_future', '2030-01-01')"
        )
    second = launch(built["out"], data)
    assert second.wait(timeout=30) == 3
    stderr = second.stderr.read() if second.stderr else ""
    assert "migrated by a newer version" in stderr and "9999_from_the_future" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_forced_port_in_use_is_a_clear_error(built, tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = launch(built["out"], tmp_path / "data", DJDESK_FORCE_PORT=str(port))
        assert process.wait(timeout=30) == 4
        assert f"cannot listen on 127.0.0.1:{port}" in (process.stderr.read() or "")


def generate_inputs(checkout: Path, env: dict[str, str]) -> None:
    """What the README says to run before a build: the samples, then the docs bundle."""
    for script in ("fetch_samples.py", "docs_bundle.py"):
        subprocess.run(
            [sys.executable, str(checkout / "scripts" / script)],
            cwd=checkout,
            env=env,
            check=True,
            capture_output=True,
        )


def test_two_clones_with_their_own_inputs_build_identical_archives(
    local_interpreter, tmp_path
) -> None:
    """Each clone generates its samples and docs itself, under its own umask and time zone,
    and builds with its own cache: the archives are byte for byte the same, and no build
    cache (Sphinx's doctrees, bytecode of the host) ships."""
    archives = []
    for i, (umask, tz) in enumerate([(0o022, "UTC"), (0o077, "Asia/Tokyo")]):
        checkout = clone_repo(tmp_path / f"checkout-{i}" / "djdesk")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJDESK_", "INSPECTOR_", "DJANGO_SETTINGS", "SOURCE_DATE"))
        }
        env.update(TZ=tz, LC_ALL="C")
        old = os.umask(umask)
        try:
            generate_inputs(checkout, env)
            result = bundle(
                "build",
                "-q",
                "--manifest",
                str(local_interpreter / "manifest.toml"),
                "--python-mirror",
                local_interpreter.as_uri(),
                "--cache-dir",
                str(tmp_path / f"cache-{i}"),
                cwd=checkout,
                env=env,
            )
        finally:
            os.umask(old)
        assert result.returncode == 0, result.stderr
        (archive,) = (checkout / "dist").glob("*.tar.gz")
        archives.append(archive)
        time.sleep(1.1)  # a different wall clock for the second build
    with tarfile.open(archives[0]) as tar:
        names = tar.getnames()
    assert "django-bundle/docs/index.html" in names  # the docs were built and shipped...
    assert not [n for n in names if "/docs/" in n and is_machine_state(PurePath(n))]
    assert not [n for n in names if n.endswith((".doctree", "environment.pickle", ".buildinfo"))]
    diff = bundle("diff", str(archives[0]), str(archives[1]), cwd=tmp_path)
    assert archives[0].read_bytes() == archives[1].read_bytes(), diff.stdout


# --- failure paths: a clear message, a specific exit code, the previous output intact ---


def assert_intact(previous: Path) -> None:
    assert (previous / "app" / "marker").read_text() == "previous complete payload"
    assert not list(previous.parent.glob("out.staging-*"))


def write_manifest(directory: Path, filename: str, sha256: str) -> Path:
    path = directory / "manifest.toml"
    path.write_text(
        'release = "local"\npython-version = "3.11.2"\n\n'
        f'[targets.{HOST_TRIPLE}]\nurl = "{filename}"\nsha256 = "{sha256}"\n'
    )
    return path


def failing_build(
    previous: Path, manifest: Path, mirror: str, sample_root: Path, *extra: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return bundle(
        "build",
        "--manifest",
        str(manifest),
        "--python-mirror",
        mirror,
        "--output",
        str(previous),
        "--dist",
        str(previous.parent / "dist"),
        "--cache-dir",
        str(previous.parent / "cache"),
        *extra,
        cwd=REPO,
        env=build_env(sample_root, **env),
    )


def test_checksum_mismatch(previous, local_interpreter, sample_root, tmp_path) -> None:
    (archive,) = local_interpreter.glob("*.tar.gz")
    manifest = write_manifest(tmp_path, archive.name, "f" * 64)
    result = failing_build(previous, manifest, local_interpreter.as_uri(), sample_root)
    assert result.returncode == 4
    assert f"expected {'f' * 64}" in result.stderr.replace("\n", " ")
    assert_intact(previous)


def test_404_from_mirror(previous, local_interpreter, sample_root, tmp_path) -> None:
    manifest = write_manifest(tmp_path, "missing.tar.gz", "a" * 64)
    with serve_mirror(local_interpreter) as (url, _):
        result = failing_build(previous, manifest, url, sample_root)
    assert result.returncode == 3
    assert "HTTP 404" in result.stderr
    assert_intact(previous)


def test_offline_with_empty_cache(previous, local_interpreter, sample_root) -> None:
    result = failing_build(
        previous,
        local_interpreter / "manifest.toml",
        local_interpreter.as_uri(),
        sample_root,
        "--offline",
    )
    assert result.returncode == 3
    assert "djdesk-bundle fetch" in result.stderr
    assert_intact(previous)


def test_hostile_interpreter_archive(previous, sample_root, tmp_path) -> None:
    import hashlib
    import io

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    archive = mirror / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("python/../../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    manifest = write_manifest(
        tmp_path, archive.name, hashlib.sha256(archive.read_bytes()).hexdigest()
    )
    result = failing_build(previous, manifest, mirror.as_uri(), sample_root)
    assert result.returncode == 5
    assert "climbs out of the tree" in result.stderr
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert_intact(previous)


def test_settings_that_fail_to_import(previous, local_interpreter, sample_root) -> None:
    result = failing_build(
        previous,
        local_interpreter / "manifest.toml",
        local_interpreter.as_uri(),
        sample_root,
        DJDESK_BUNDLE_COLLECTSTATIC_SETTINGS="djdesk.settings.nope",
    )
    assert result.returncode == 7
    assert "collectstatic failed" in result.stderr and "djdesk.settings.nope" in result.stderr
    assert_intact(previous)


def start_build(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The CLI in its own process group, so a kill also takes the uv / python children."""
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **own_group(),
    )


def test_build_killed_midway(previous, local_interpreter, sample_root) -> None:
    env = build_env(sample_root)
    command = build_argv(previous, local_interpreter, previous.parent / "c")
    process = start_build(command, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        staged = list(previous.parent.glob("out.staging-*/site-packages/django"))
        if staged:
            break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("the build never reached the install stage")
    kill_tree(process)
    process.wait()
    assert (previous / "app" / "marker").read_text() == "previous complete payload"
    assert list(previous.parent.glob("out.staging-*"))  # the half-built staging dir is left...
    assert not (previous.parent / "dist").exists() or not list(
        (previous.parent / "dist").glob("*.tar.gz")
    )
    # ...and the next run repairs it before anything else.
    cleaned = bundle("clean", cwd=REPO, env={**env, "DJDESK_BUNDLE_OUTPUT_DIR": str(previous)})
    assert cleaned.returncode == 0, cleaned.stderr
    assert_intact(previous)


# --- the SBOM ---


def test_build_killed_while_linking_the_previous_payload(
    built, local_interpreter, sample_root, tmp_path: Path
) -> None:
    """A rebuild links the previous payload's unchanged trees into staging: killed there,
    the previous payload is still whole and verify-clean, and the next build completes."""
    out = tmp_path / "out"
    shutil.copytree(built["out"], out, symlinks=True)
    command = [
        *(bundle_exe(), "build", "--force", "--output", str(out), "--dist", str(tmp_path / "d")),
        *("--manifest", str(local_interpreter / "manifest.toml")),
        *("--python-mirror", local_interpreter.as_uri(), "--cache-dir", str(built["cache"])),
    ]
    env = build_env(sample_root)
    process = start_build(command, env)
    linked = "site-packages/django/__init__.pyc"
    deadline = time.monotonic() + 120
    while not (staged := list(tmp_path.glob(f"out.staging-*/{linked}"))):
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the build never reached the install stage")
        time.sleep(0.02)
    kill_tree(process)
    process.wait()
    assert staged[0].stat().st_ino == (out / linked).stat().st_ino  # linked, not copied
    assert bundle("verify", str(out), cwd=REPO).returncode == 0
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert bundle("verify", str(out), cwd=REPO).returncode == 0
    assert not list(tmp_path.glob("out.staging-*")) and not list(tmp_path.glob("out.old"))


def test_sbom_is_valid_and_matches_the_payload(built) -> None:
    from packaging.utils import canonicalize_name

    from djdesk_bundle.sbom.schema import validate_sbom

    text = (built["out"] / "sbom.cdx.json").read_text()
    validate_sbom(text)  # offline, against the CycloneDX 1.6 schema shipped with the library
    sbom = json.loads(text)
    assert sbom["specVersion"] == "1.6"
    assert sbom["metadata"]["component"]["name"] == "djdesk"
    assert sbom["metadata"]["component"]["version"] == "0.1.0"
    assert [t["name"] for t in sbom["metadata"]["tools"]["components"]] == ["djdesk-bundle"]
    info = json.loads((built["out"] / "build-info.json").read_text())
    assert sbom["metadata"]["timestamp"].startswith(
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(info["source_date_epoch"]))
    )
    pypi = {
        canonicalize_name(c["name"]): c
        for c in sbom["components"]
        if c.get("purl", "").startswith("pkg:pypi/")
    }
    installed = {}
    for dist_info in (built["out"] / "site-packages").glob("*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        installed[canonicalize_name(name)] = version
    assert {n: c["version"] for n, c in pypi.items()} == installed
    lock = (REPO / "uv.lock").read_text()
    for component in pypi.values():
        (digest,) = [h["content"] for h in component["hashes"] if h["alg"] == "SHA-256"]
        assert f"sha256:{digest}" in lock  # the wheel that was installed, as locked
    (cpython,) = [c for c in sbom["components"] if c["name"] == "cpython"]
    assert cpython["hashes"][0]["content"] == info["interpreter"]["sha256"]
    assert HOST_TRIPLE in cpython["purl"]
    (get_port,) = [c for c in sbom["components"] if c.get("purl") == "pkg:npm/get-port@7.2.0"]
    assert get_port["hashes"][0]["alg"] == "SHA-512"  # from electron/package-lock.json
    # Electron is the shell's runtime (its npm package is a dev dependency, its binary ships).
    purls = {c.get("purl", ""): c for c in sbom["components"]}  # the shell has none
    (electron,) = [c for p, c in purls.items() if p.startswith("pkg:npm/electron@")]
    assert electron["cpe"].startswith("cpe:2.3:a:electronjs:electron:45.4.1:")
    assert not [p for p in purls if "electron-builder" in p]  # dev only
    assert cpython["cpe"].startswith("cpe:2.3:a:python:python:")
    assert "pkg:generic/openssl@" in json.dumps(sbom["components"])
    (django_component,) = [c for c in pypi.values() if c["name"].lower() == "django"]
    assert django_component["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    app_deps = next(d for d in sbom["dependencies"] if d["ref"] == "pkg:generic/djdesk@0.1.0")
    assert "pkg:pypi/django@5.2.19" in app_deps["dependsOn"]
    django = next(d for d in sbom["dependencies"] if d["ref"] == "pkg:pypi/django@5.2.19")
    assert set(django["dependsOn"]) == {"pkg:pypi/asgiref@3.13.0", "pkg:pypi/sqlparse@0.6.1"}


def test_a_build_remembers_the_digests_of_what_it_shipped(built) -> None:
    """The next build of this output looks its settled files up by stat instead of reading
    them (in a store of its own: builds of other outputs with this cache ran since)."""
    from djdesk_bundle.build.uptodate import digests_store
    from djdesk_bundle.cache.digests import stat_key

    stored = json.loads(digests_store(built["cache"], built["out"]).read_text())
    remembered = {tuple(entry[:5]): entry[5] for entry in stored["files"]}
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (built["out"] / "SHA256SUMS").read_text().splitlines()
    )
    # Settled when SHA256SUMS hashed it (the racy-git rule): last changed more than 2 s
    # before; a file whose ctime is later was changed since (and is not asked about).
    hashed_at = (built["out"] / "SHA256SUMS").stat().st_mtime_ns
    settled = []
    for rel, digest in sums.items():
        info = (built["out"] / rel).stat()
        if max(info.st_mtime_ns, info.st_ctime_ns) < hashed_at - 3 * 10**9:
            assert remembered.get(stat_key(info)) == digest, rel
            settled.append(rel)
    python = payload_python(built["out"]).relative_to(built["out"]).as_posix()
    assert python in settled  # extracted with the archive's 1980 mtime


def test_a_rebuild_uses_the_stored_sbom_only_as_validated_text(
    built, tmp_path: Path, local_interpreter: Path, sample_root: Path
) -> None:
    """Same inputs, same SBOM: stored by the first build, used again only when its text is
    one that passed validation."""
    import hashlib

    from djdesk_bundle.cache.store import Store

    cache = built["cache"]
    # The session's build's entry (other tests rebuild changed sources with this cache).
    genuine = (built["out"] / "sbom.cdx.json").read_text()
    (stored,) = [p for p in (cache / "sboms").glob("*.cdx.json") if p.read_text() == genuine]
    # A stored SBOM that passed validation is used as it is (here one that says so).
    planted = genuine.replace('"name": "djdesk"', '"name": "djdesk-from-the-store"', 1)
    Store(stored.parent).put_text(stored.name, planted)  # stored as the store stores
    marker = cache / "sbom-validated" / hashlib.sha256(planted.encode()).hexdigest()
    marker.touch()
    try:
        result = build_into(tmp_path / "a" / "out", sample_root, local_interpreter, cache)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "a" / "out" / "sbom.cdx.json").read_text() == planted
    finally:
        marker.unlink()
    # An edited entry (text never validated) is not: the SBOM is made and stored again.
    stored.write_text(genuine.replace("CycloneDX", "Edited", 1))
    result = build_into(tmp_path / "b" / "out", sample_root, local_interpreter, cache)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b" / "out" / "sbom.cdx.json").read_text() == genuine
    assert stored.read_text() == genuine


def test_verify_names_sbom_mismatches(built, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built["out"], copy, symlinks=True)
    shutil.rmtree(copy / "site-packages" / "sqlparse-0.6.1.dist-info")
    sbom = json.loads((copy / "sbom.cdx.json").read_text())
    for component in sbom["components"]:
        if component["name"] == "waitress":
            component["version"] = "9.9.9"
    (copy / "sbom.cdx.json").write_text(json.dumps(sbom))
    result = bundle("verify", str(copy), cwd=REPO)
    assert result.returncode == 1
    assert "sbom: sqlparse 0.6.1 is in the SBOM but not installed" in result.stderr
    assert "sbom: waitress is 3.0.2 in site-packages but 9.9.9 in the SBOM" in result.stderr


def test_bundled_inspector_runs_a_task_preset(server: Launched) -> None:
    """From the payload: its own interpreter runs the read-only sample's manage.py check."""
    auth = {"X-DJDesk-Token": "s3cret"}
    request = urllib.request.Request(server.url + "workspaces/atlas-telemetry/", headers=auth)
    with urllib.request.urlopen(request, timeout=30) as response:
        cookie = response.headers["Set-Cookie"]
    csrf = cookie.split("csrftoken=")[1].split(";")[0]
    body = json.dumps({"workspace": "atlas-telemetry", "preset": "check", "confirm_safe": True})
    post = urllib.request.Request(
        server.url + "api/task-runs/",
        data=body.encode(),
        method="POST",
        headers={
            **auth,
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "Cookie": f"csrftoken={csrf}",
        },
    )
    with urllib.request.urlopen(post, timeout=60) as response:
        run = json.loads(response.read())
    # The desktop settings use django-tasks-db: the POST returns at once, the launcher's
    # worker runs it (a thread of the server by default).
    assert run["status"] in ("requested", "running", "succeeded")
    run = wait_for(
        lambda: json.loads(server.get(f"/api/task-runs/{run['id']}/", auth)[1]),
        lambda r: r["status"] in ("succeeded", "failed", "cancelled"),
    )
    assert run["status"] == "succeeded", run
    assert "System check identified no issues" in run["log"]


def test_failed_migration_leaves_the_database_as_it_was(built, tmp_path: Path) -> None:
    data = tmp_path / "data"
    boot_and_stop(built["out"], data)
    db = data / "db.sqlite3"
    with closing(sqlite3.connect(db)) as connection, connection:
        # 0003-0005 pending, and a trigger that makes recording an applied migration fail:
        # the schema changes run, then migrate fails half-way.
        connection.execute("DELETE FROM django_migrations WHERE app='inspector' AND name >= '0003'")
        connection.execute(
            "CREATE TRIGGER no_record BEFORE INSERT ON django_migrations "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        connection.execute(
            "INSERT INTO inspector_workspace (name, slug, project_path, description,"
            " python_path, created_at, updated_at) VALUES ('Mine', 'mine', '/x', '',"
            " '', '2025-01-01', '2025-01-01')"
        )
    with closing(sqlite3.connect(db)) as connection, connection:
        before = list(connection.iterdump())
    second = launch(built["out"], data)
    assert second.wait(timeout=60) == 5
    stderr = second.stderr.read() if second.stderr else ""
    assert "migrating the database failed" in stderr and "left as it was" in stderr
    with closing(sqlite3.connect(db)) as connection, connection:
        assert list(connection.iterdump()) == before  # the user's data, exactly as it was
    assert len(list((data / "backups").glob("db-*.sqlite3"))) == 1


def test_pending_migration_is_backed_up_then_applied(built, tmp_path: Path) -> None:
    data = tmp_path / "data"
    boot_and_stop(built["out"], data)
    with closing(sqlite3.connect(data / "db.sqlite3")) as connection, connection:
        connection.execute(
            "DELETE FROM django_migrations WHERE app='inspector' AND name LIKE '0005%'"
        )
    assert boot_and_stop(built["out"], data) == 0
    (backup,) = (data / "backups").glob("db-*.sqlite3")
    with closing(sqlite3.connect(backup)) as connection:
        names = {
            r[0]
            for r in connection.execute("SELECT name FROM django_migrations WHERE app='inspector'")
        }
    assert not any(n.startswith("0005") for n in names)  # the state before migrating
    with closing(sqlite3.connect(data / "db.sqlite3")) as connection, connection:
        names = {
            r[0]
            for r in connection.execute("SELECT name FROM django_migrations WHERE app='inspector'")
        }
    assert any(n.startswith("0005") for n in names)


def test_first_launch_starts_from_the_pre_migrated_database(built, tmp_path: Path) -> None:
    out = built["out"]
    template = out / "template.sqlite3"
    info = json.loads((out / "build-info.json").read_text())
    assert info["template_database"] is True
    assert "template.sqlite3" in (out / "SHA256SUMS").read_text()
    epoch = info["source_date_epoch"]
    with closing(sqlite3.connect(f"{template.as_uri()}?mode=ro", uri=True)) as db:
        applied = {row[0] for row in db.execute("SELECT applied FROM django_migrations")}
        seeded = db.execute("SELECT slug FROM inspector_workspace").fetchall()
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    # Every timestamp written while migrating is SOURCE_DATE_EPOCH, nothing of the build's clock.
    assert {datetime.fromisoformat(a).timestamp() for a in applied} == {float(epoch)}
    assert seeded == [("atlas-telemetry",)]
    data = tmp_path / "data"
    boot_and_stop(out, data)
    with closing(sqlite3.connect(data / "db.sqlite3")) as db:
        applied_here = {row[0] for row in db.execute("SELECT applied FROM django_migrations")}
    assert applied_here == applied  # copied, not migrated again at first launch
    assert (data / "db.sqlite3.app-version").read_text() == "0.1.0\n"
