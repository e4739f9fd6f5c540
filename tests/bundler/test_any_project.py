"""Any Django project, not only the inspector: build, verify, boot, cross-target, bad locks."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest

from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.tools.uv import find_uv
from tests.bundler.conftest import HOST_TRIPLE, bundle, needs_local_python
from tests.bundler.notes_project import make_notes_project
from tests.bundler.projects import boot_checks
from tests.processes import minimal_env, own_group, payload_python, request_stop, stop_process_tree

pytestmark = [pytest.mark.e2e, needs_local_python]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJDESK_", "DJANGO_SETTINGS"))}


@pytest.fixture(scope="session")
def notes(tmp_path_factory) -> Path:
    return make_notes_project(tmp_path_factory.mktemp("notes") / "notes-desk")


def build_notes(project: Path, manifest: Path, mirror: str, cache: Path, *extra: str, env=None):  # type: ignore[no-untyped-def]
    return bundle(
        "build",
        "--project",
        str(project),
        "--manifest",
        str(manifest),
        "--python-mirror",
        mirror,
        "--cache-dir",
        str(cache),
        *extra,
        cwd=project.parent,
        env=env or clean_env(),
    )


def test_notes_builds_verifies_and_serves(notes, local_interpreter, tmp_path) -> None:
    result = build_notes(
        notes, local_interpreter / "manifest.toml", local_interpreter.as_uri(), tmp_path / "cache"
    )
    assert result.returncode == 0, result.stderr
    out = notes / "build" / "payload"
    assert (notes / "build" / "dist" / f"notes-desk-payload-1.2.3-{HOST_TRIPLE}.tar.gz").is_file()
    assert bundle("verify", str(out), cwd=notes).returncode == 0
    assert not (out / "app" / "notes.log").exists()
    assert (out / "static" / "notes" / "notes.css").is_file()
    launcher = json.loads((out / "launcher.json").read_text())
    assert launcher["settings_module"] == "notesite.settings"
    assert "inspector" not in str(launcher) and "djdesk.settings" not in str(launcher)
    env = minimal_env(DJDESK_DATA_DIR=str(tmp_path / "data"), DJDESK_SESSION_TOKEN="t")
    process = subprocess.Popen(
        [
            str(payload_python(out)),
            "-I",
            str(out / "run_django.py"),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **own_group(),  # its worker too can be stopped (stop_process_tree)
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("DJDESK_READY "), process.stderr.read()  # type: ignore[union-attr]
        url = line.split()[1]
        token = {"X-DJDesk-Token": "t"}
        with urllib.request.urlopen(urllib.request.Request(url, headers=token)) as response:
            assert b"Notes Desk" in response.read()
        css = urllib.request.Request(url + "assets/notes/notes.css", headers=token)
        with urllib.request.urlopen(css, timeout=10) as response:
            assert b"rebeccapurple" in response.read()
        assert (tmp_path / "data" / "notes.sqlite3").is_file()  # migrated on first start
        request_stop(process)
        assert process.wait(timeout=15) == 0
    finally:
        stop_process_tree(process)
    # The helper the real projects' boot tests use: a read-only copy, a fresh data dir.
    wanted = {"/": 200, "/assets/notes/notes.css": 200, "/missing/": 404}
    assert boot_checks(out, tmp_path / "fresh" / "data", wanted) == wanted


def fake_windows_interpreter(directory: Path) -> Path:
    """A python-build-standalone-shaped Windows archive (never run here)."""
    directory.mkdir(parents=True)
    archive = directory / "cpython-3.11.9+local-x86_64-pc-windows-msvc-install_only.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in {
            "python/python.exe": b"MZ",
            "python/Lib/os.py": b"",
            "python/Lib/test/test_x.py": b"",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (directory / "manifest.toml").write_text(
        'release = "local"\npython-version = "3.11.9"\n\n[targets.x86_64-pc-windows-msvc]\n'
        f'url = "{archive.name}"\nsha256 = "{file_sha256(archive)}"\n'
    )
    return directory


@pytest.mark.skipif(
    HOST_TRIPLE == "x86_64-pc-windows-msvc",
    reason="the target is this host's own: its stand-in python.exe would have to run here "
    "(the host build tests cover the real Windows payload on this runner)",
)
def test_cross_target_windows_payload(notes, tmp_path) -> None:
    mirror = fake_windows_interpreter(tmp_path / "win")
    output = tmp_path / "win-payload"
    result = build_notes(
        notes,
        mirror / "manifest.toml",
        mirror.as_uri(),
        tmp_path / "cache",
        "--target",
        "x86_64-pc-windows-msvc",
        "--output",
        str(output),
        "--dist",
        str(tmp_path / "dist"),
    )
    assert result.returncode == 0, result.stderr
    assert "bytecode is not" in result.stderr.replace("\n", " ")
    site = output / "site-packages"
    speedups = [p.name for p in (site / "markupsafe").iterdir() if p.name.startswith("_speedups")]
    assert any(name.endswith("win_amd64.pyd") for name in speedups), speedups
    assert not any(name.endswith(".so") for name in speedups)
    assert (site / "tzdata").is_dir()  # a `sys_platform == 'win32'` dependency of Django
    assert not (output / "python" / "Lib" / "test").exists()  # pruned
    info = json.loads((output / "build-info.json").read_text())
    assert info["precompiled"] is False and info["target"] == "x86_64-pc-windows-msvc"
    assert json.loads((output / "launcher.json").read_text())["precompiled"] is False
    assert not list(output.rglob("*.pyc"))


def test_stale_lock_is_refused(notes, local_interpreter, tmp_path) -> None:
    project = tmp_path / "stale"
    shutil.copytree(notes, project, ignore=shutil.ignore_patterns("build"))
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace('"markupsafe>=3.0",', '"markupsafe>=3.0", "sqlparse>=0.5",')
    )
    result = build_notes(
        project, local_interpreter / "manifest.toml", local_interpreter.as_uri(), tmp_path / "cache"
    )
    assert result.returncode == 6
    assert "out of date with pyproject.toml" in result.stderr and "uv lock" in result.stderr


def test_missing_lock_and_unhashed_requirements(notes, local_interpreter, tmp_path) -> None:
    project = tmp_path / "nolock"
    shutil.copytree(notes, project, ignore=shutil.ignore_patterns("build", "uv.lock"))
    args = (local_interpreter / "manifest.toml", local_interpreter.as_uri(), tmp_path / "cache")
    result = build_notes(project, *args)
    assert result.returncode == 6 and "run `uv lock`" in result.stderr
    (project / "requirements.txt").write_text("django==5.2.19\nwaitress==3.0.2\n")
    result = build_notes(project, *args)
    assert result.returncode == 6
    assert "without --hash=sha256: django==5.2.19, waitress==3.0.2" in result.stderr.replace(
        "\n", " "
    )


def test_sdist_only_dependency_is_named(local_interpreter, tmp_path) -> None:
    project = make_notes_project(tmp_path / "sdist", lock=False)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace('"markupsafe>=3.0",', '"markupsafe>=3.0", "docopt==0.6.2",')
    )
    subprocess.run([find_uv(), "lock", "-q"], cwd=project, check=True)
    result = build_notes(
        project, local_interpreter / "manifest.toml", local_interpreter.as_uri(), tmp_path / "cache"
    )
    assert result.returncode == 11  # install, apart from lock errors (6)
    message = result.stderr.replace("\n", " ")
    assert f"docopt has no wheel for {HOST_TRIPLE}" in message


def test_init_then_build_a_fresh_project(local_interpreter, tmp_path) -> None:
    project = make_notes_project(tmp_path / "fresh", lock=False)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text[: text.index("[tool.djdesk-bundle]")])
    result = bundle("init", "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = (project / "pyproject.toml").read_text()
    assert 'app-dir = "src"' in table and 'app-package = "notesite"' in table
    # The shell comes whole: every file its electron-builder.yml lists is there.
    assert (project / "electron" / "main.js").is_file()
    assert (project / "electron" / "lib" / "server.js").is_file()
    again = bundle("init", "--project", str(project), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "left alone" in again.stderr and "[tool.djdesk-bundle]" in again.stderr
    assert (project / "pyproject.toml").read_text() == table
    subprocess.run([find_uv(), "lock", "-q"], cwd=project, check=True)
    built = bundle(
        "build",
        "--project",
        str(project),
        "--manifest",
        str(local_interpreter / "manifest.toml"),
        "--python-mirror",
        local_interpreter.as_uri(),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-compile",
        cwd=tmp_path,
        env=clean_env(),
    )
    assert built.returncode == 0, built.stderr
    assert (project / ".djdesk" / "django-bundle" / "run_django.py").is_file()


def test_fetch_fills_the_cache_for_offline_builds(notes, local_interpreter, tmp_path) -> None:
    cache = tmp_path / "cache"
    fetched = bundle(
        "fetch",
        "--project",
        str(notes),
        "--manifest",
        str(local_interpreter / "manifest.toml"),
        "--python-mirror",
        local_interpreter.as_uri(),
        "--cache-dir",
        str(cache),
        cwd=tmp_path,
        env=clean_env(),
    )
    assert fetched.returncode == 0, fetched.stderr
    assert "wheels cached" in fetched.stderr
    offline = bundle(
        "build",
        "--project",
        str(notes),
        "--manifest",
        str(local_interpreter / "manifest.toml"),
        "--cache-dir",
        str(cache),
        "--offline",
        "--output",
        str(tmp_path / "out"),
        "--dist",
        str(tmp_path / "dist"),
        cwd=tmp_path,
        env=clean_env(),
    )
    assert offline.returncode == 0, offline.stderr


def test_check_reproducible_builds_twice_from_empty_caches(
    notes, local_interpreter, tmp_path
) -> None:
    """Even with a warm cache, both check builds extract and install from scratch."""
    manifest, mirror, cache = (
        local_interpreter / "manifest.toml",
        local_interpreter.as_uri(),
        tmp_path / "c",
    )
    warm = build_notes(notes, manifest, mirror, cache, "--dist", str(tmp_path / "warm"))
    assert warm.returncode == 0, warm.stderr
    result = build_notes(
        notes,
        manifest,
        mirror,
        cache,
        "--check-reproducible",
        "--output",
        str(tmp_path / "out"),
        "--dist",
        str(tmp_path / "dist"),
    )
    assert result.returncode == 0, result.stderr
    assert "two independent builds gave identical archives" in result.stderr
    checks = result.stderr.split("reproducibility build ")[1:]
    assert len(checks) == 2
    assert "umask 022, TZ=UTC" in checks[0] and "umask 077, TZ=Asia/Tokyo" in checks[1]
    for check in checks:
        check = check.split("two independent builds")[0]
        assert "✓ extract" in check and "✓ install" in check, check
        assert "(cached)" not in check, check  # nothing from the warm stage cache


NOISY_SETTINGS = """
import secrets
STAMP_DIR = BASE_DIR / "stamp"
STAMP_DIR.mkdir(exist_ok=True)
(STAMP_DIR / "build-id.txt").write_text(secrets.token_hex(8) + "\\n")
STATICFILES_DIRS = [STAMP_DIR]
"""


def test_check_reproducible_explains_a_difference(local_interpreter, tmp_path) -> None:
    """A project whose settings write a random file: the check fails and says where."""
    noisy = make_notes_project(tmp_path / "noisy")
    settings = noisy / "src" / "notesite" / "settings.py"
    settings.write_text(settings.read_text() + NOISY_SETTINGS)
    result = build_notes(
        noisy,
        local_interpreter / "manifest.toml",
        local_interpreter.as_uri(),
        tmp_path / "c",
        "--check-reproducible",
    )
    assert result.returncode == 1, result.stderr
    assert "not reproducible" in result.stderr
    assert "changed: static/build-id.txt (content)" in result.stdout
    assert "-" in result.stdout and "+++ b/static/build-id.txt" in result.stdout


def test_stage_cache_reuse_keeps_the_archive_identical(notes, local_interpreter, tmp_path) -> None:
    """A warm build reuses the interpreter and site-packages stages, and changes no byte."""
    env = {**clean_env(), "SOURCE_DATE_EPOCH": "1700000000"}
    digests, outputs = [], []
    for name, cache in (("cold", "shared"), ("warm", "shared"), ("clean", "other")):
        result = build_notes(
            notes,
            local_interpreter / "manifest.toml",
            local_interpreter.as_uri(),
            tmp_path / cache,
            "--output",
            str(tmp_path / name / "out"),
            "--dist",
            str(tmp_path / name / "dist"),
            env=env,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stderr)
        (sidecar,) = (tmp_path / name / "dist").glob("*.sha256")
        digests.append(sidecar.read_text().split()[0])
    assert "extract (cached)" not in outputs[0]
    assert "extract (cached)" in outputs[1] and "install (cached)" in outputs[1]
    assert "(cached)" not in outputs[2]
    assert digests[0] == digests[1] == digests[2]


def test_a_build_with_nothing_changed_is_a_no_op(local_interpreter, tmp_path) -> None:
    project = make_notes_project(tmp_path / "notes-desk")
    env = {**clean_env(), "SOURCE_DATE_EPOCH": "1700000000"}
    cache = tmp_path / "cache"

    def build(*extra: str) -> str:
        result = build_notes(
            project,
            local_interpreter / "manifest.toml",
            local_interpreter.as_uri(),
            cache,
            *extra,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert "up to date" not in build()
    out = project / "build" / "payload"
    (archive,) = (project / "build" / "dist").glob("*.tar.gz")
    first = archive.read_bytes()
    assert "up to date" in build()
    assert archive.read_bytes() == first
    assert "up to date" not in build("--force")
    # A changed app file, a damaged payload, a removed archive: each is built again.
    views = project / "src" / "notes" / "views.py"
    views.write_text(views.read_text() + "# changed\n")
    assert "up to date" not in build()
    assert "up to date" in build()
    # Editor and desktop leftovers are not inputs: they never ship.
    (views.parent / "views.py~").write_text("backup")
    (views.parent / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert "up to date" in build()
    (out / "static" / "notes" / "notes.css").write_text("tampered")
    assert "up to date" not in build()
    assert (out / "static" / "notes" / "notes.css").read_text() != "tampered"
    archive.unlink()
    assert "up to date" not in build() and archive.is_file()
