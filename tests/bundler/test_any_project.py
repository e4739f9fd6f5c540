"""Any Django project, not only the inspector: build, verify, boot, cross-target, bad locks."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest

from djdesk_bundle.fetch import sha256_of
from djdesk_bundle.tools import uv_binary
from tests.bundler.conftest import bundle, needs_local_python
from tests.bundler.notes_project import make_notes_project

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
    assert (
        notes / "build" / "dist" / "notes-desk-payload-1.2.3-x86_64-unknown-linux-gnu.tar.gz"
    ).is_file()
    assert bundle("verify", str(out), cwd=notes).returncode == 0
    assert not (out / "app" / "notes.log").exists()
    assert (out / "static" / "notes" / "notes.css").is_file()
    launcher = (out / "run_django.py").read_text()
    assert "'notesite.settings'" in launcher
    assert "inspector" not in launcher and "djdesk.settings" not in launcher
    env = {"PATH": os.environ["PATH"], "DJDESK_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [
            str(out / "python/bin/python3"),
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
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("DJDESK_READY "), process.stderr.read()  # type: ignore[union-attr]
        url = line.split()[1]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"Notes Desk" in response.read()
        with urllib.request.urlopen(url + "assets/notes/notes.css", timeout=10) as response:
            assert b"rebeccapurple" in response.read()
        assert (tmp_path / "data" / "notes.sqlite3").is_file()  # migrated on first start
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


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
        f'url = "{archive.name}"\nsha256 = "{sha256_of(archive)}"\n'
    )
    return directory


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
    assert "PRECOMPILED = False" in (output / "run_django.py").read_text()
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
    subprocess.run([uv_binary(), "lock", "-q"], cwd=project, check=True)
    result = build_notes(
        project, local_interpreter / "manifest.toml", local_interpreter.as_uri(), tmp_path / "cache"
    )
    assert result.returncode == 6
    message = result.stderr.replace("\n", " ")
    assert "docopt has no wheel for x86_64-unknown-linux-gnu" in message


def test_init_then_build_a_fresh_project(local_interpreter, tmp_path) -> None:
    project = make_notes_project(tmp_path / "fresh", lock=False)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text[: text.index("[tool.djdesk-bundle]")])
    result = bundle("init", "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = (project / "pyproject.toml").read_text()
    assert 'app-dir = "src"' in table and 'app-package = "notesite"' in table
    builder = (project / "electron" / "electron-builder.yml").read_text()
    assert "appId: com.example.notesdesk" in builder and "productName: notes-desk" in builder
    assert "artifactName: ${productName}-${version}-${os}-${arch}.${ext}" in builder
    again = bundle("init", "--project", str(project), cwd=tmp_path)
    assert again.returncode == 2 and "already has [tool.djdesk-bundle]" in again.stderr
    subprocess.run([uv_binary(), "lock", "-q"], cwd=project, check=True)
    (project / "manifests").mkdir()
    shutil.copy(
        local_interpreter / "manifest.toml", project / "manifests" / "python-build-standalone.toml"
    )
    built = bundle(
        "build",
        "--project",
        str(project),
        "--python-mirror",
        local_interpreter.as_uri(),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-compile",
        cwd=tmp_path,
        env=clean_env(),
    )
    assert built.returncode == 0, built.stderr
    assert (project / "electron" / "django-bundle" / "run_django.py").is_file()


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


def test_check_reproducible(notes, local_interpreter, tmp_path) -> None:
    result = build_notes(
        notes,
        local_interpreter / "manifest.toml",
        local_interpreter.as_uri(),
        tmp_path / "c",
        "--check-reproducible",
        "--output",
        str(tmp_path / "out"),
        "--dist",
        str(tmp_path / "dist"),
    )
    assert result.returncode == 0, result.stderr
    assert "reproducible" in result.stderr


def test_archive_differences_names_files(tmp_path) -> None:
    from djdesk_bundle.pack import write_deterministic_tar
    from djdesk_bundle.reproducible import archive_differences

    for name, content in (("a", "same"), ("b", "other")):
        (tmp_path / name / "app").mkdir(parents=True)
        (tmp_path / name / "app" / "x.py").write_text(content)
        (tmp_path / name / "app" / "y.py").write_text("same")
        write_deterministic_tar(
            tmp_path / f"{name}.tar.gz",
            tmp_path / name,
            "django-bundle",
            [Path("app"), Path("app/x.py"), Path("app/y.py")],
            1,
        )
    assert archive_differences(tmp_path / "a.tar.gz", tmp_path / "b.tar.gz") == [
        "django-bundle/app/x.py"
    ]
    assert archive_differences(tmp_path / "a.tar.gz", tmp_path / "a.tar.gz") == []


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
    (out / "static" / "notes" / "notes.css").write_text("tampered")
    assert "up to date" not in build()
    assert (out / "static" / "notes" / "notes.css").read_text() != "tampered"
    archive.unlink()
    assert "up to date" not in build() and archive.is_file()
