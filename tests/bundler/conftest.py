from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_bundle.tools.toolchain import host_triple
from djdesk_bundle.ui import Reporter
from tests.bundler.mirror import serve_mirror
from tests.conftest import REPO, load_script

LOCAL_PYTHON = Path("/usr/bin/python3.11")
# The triple the end-to-end tests build for: this host's, whichever interpreter they use.
HOST_TRIPLE = host_triple()
# DJDESK_TEST_INTERPRETER=pinned (CI on GitHub's runners): the end-to-end tests use the
# pinned python-build-standalone interpreter of this host's triple (downloaded once, checked
# against manifests/python-build-standalone.toml) instead of an archive
# made from Debian's python3.11.
USE_PINNED = os.environ.get("DJDESK_TEST_INTERPRETER") == "pinned"
needs_local_python = pytest.mark.skipif(
    not USE_PINNED and (not LOCAL_PYTHON.is_file() or sys.platform != "linux"),
    reason="needs Debian's relocatable /usr/bin/python3.11 to make a local interpreter archive "
    "(or DJDESK_TEST_INTERPRETER=pinned to download the pinned one)",
)

# What makes its payload from Debian's python3.11 whatever DJDESK_TEST_INTERPRETER says
# (scripts/release_rehearsal.py, for x86_64 Linux): it skips on GitHub's runners.
needs_debian_python = pytest.mark.skipif(
    not LOCAL_PYTHON.is_file() or HOST_TRIPLE != "x86_64-unknown-linux-gnu",
    reason="makes its payload from Debian's /usr/bin/python3.11 on x86_64 Linux "
    "(scripts/make_local_interpreter.py), not from the pinned interpreter",
)


@pytest.fixture
def reporter() -> Reporter:
    return Reporter(verbosity=-1)


@pytest.fixture(scope="session")
def local_interpreter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host's interpreter as a python-build-standalone-shaped archive + manifest."""
    if USE_PINNED:
        return pinned_interpreter(tmp_path_factory.mktemp("interpreter"))
    if not LOCAL_PYTHON.is_file():
        pytest.skip("needs Debian's /usr/bin/python3.11")
    out = tmp_path_factory.mktemp("interpreter")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_local_interpreter.py"), "--output", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def pinned_interpreter(out: Path, mirror: str | None = None) -> Path:
    """This host's pinned interpreter, verified, as a one-target mirror dir + manifest
    (``mirror``: where to download it from instead of the pin's URL)."""
    from djdesk_bundle.build.fetch import fetch_interpreter
    from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest

    manifest = load_manifest(DEFAULT_MANIFEST)
    pin = manifest.pin_for(HOST_TRIPLE)
    archive = fetch_interpreter(pin, out / "download-cache", Reporter(verbosity=-1), mirror)
    shutil.copyfile(archive, out / pin.filename)
    (out / "manifest.toml").write_text(
        f'release = "{pin.release}"\npython-version = "{pin.python_version}"\n'
        f'[targets.{pin.triple}]\nurl = "{pin.filename}"\nsha256 = "{pin.sha256}"\n',
        encoding="utf-8",
    )
    return out


def clone_repo(destination: Path) -> Path:
    """A fresh checkout of HEAD (what CI and a release engineer build from)."""
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(REPO), str(destination)], check=True
    )
    return destination


def bundle_exe() -> str:
    """The console script installed beside this interpreter (the venv's)."""
    return shutil.which("djdesk-bundle", path=str(Path(sys.executable).parent)) or "djdesk-bundle"


def bundle(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    return subprocess.run(
        [bundle_exe(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def build_env(sample_root: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJDESK_BUNDLE_", "DJANGO_SETTINGS"))
    }
    env["DJDESK_BUNDLE_SAMPLES_DIR"] = str(sample_root / "djdesk")
    env.update(extra)
    return env


def build_argv(output: Path, local_interpreter: Path, cache: Path) -> list[str]:
    """The real CLI building this repo from the local interpreter (dist beside output)."""
    return [
        bundle_exe(),
        "build",
        "--manifest",
        str(local_interpreter / "manifest.toml"),
        "--python-mirror",
        local_interpreter.as_uri(),
        "--output",
        str(output),
        "--dist",
        str(output.parent / "dist"),
        "--cache-dir",
        str(cache),
    ]


def build_into(
    output: Path, sample_root: Path, local_interpreter: Path, cache: Path
) -> subprocess.CompletedProcess[str]:
    argv = build_argv(output, local_interpreter, cache)
    return bundle(*argv[1:], cwd=REPO, env=build_env(sample_root))


@pytest.fixture(scope="session")
def built(tmp_path_factory, local_interpreter: Path, sample_root: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("build")
    with serve_mirror(local_interpreter) as (url, state):
        result = bundle(
            "build",
            "--manifest",
            str(local_interpreter / "manifest.toml"),
            "--python-mirror",
            url,
            "--output",
            str(root / "out"),
            "--dist",
            str(root / "dist"),
            "--cache-dir",
            str(root / "cache"),
            cwd=REPO,
            env=build_env(sample_root),
        )
        assert result.returncode == 0, result.stderr
        assert state.requests, "the interpreter must come through the HTTP mirror"
    (archive,) = (root / "dist").glob("*.tar.gz")
    return {"root": root, "out": root / "out", "archive": archive, "cache": root / "cache"}


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """What an earlier build left in the output dir (recognised by these two files)."""
    out = tmp_path / "out"
    (out / "app").mkdir(parents=True)
    (out / "app" / "marker").write_text("previous complete payload")
    (out / "build-info.json").write_text("{}")
    (out / "SHA256SUMS").write_text("")
    return out


def pack_linux_dir(shell: Path, work: Path, env: dict[str, str] | None = None) -> Path:
    """electron-builder's Linux `dir` target for ``shell``, around a stand-in Electron that
    carries its fuse wire (the afterPack hook flips it; the real binary is on GitHub).
    electronDist goes on the command line only: the committed config stays for real builds.
    Returns the packed app's ``resources/``."""
    stand_in = load_script("release_rehearsal").stand_in_electron(work / "electron-dist")
    builder = ["npx", "--no-install", "electron-builder", "--linux", "dir", "--publish", "never"]
    packed = subprocess.run(
        [*builder, f"-c.electronDist={stand_in}"],
        cwd=shell,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**(env or os.environ), "ELECTRON_SKIP_BINARY_DOWNLOAD": "1"},
    )
    assert packed.returncode == 0, packed.stdout[-3000:] + packed.stderr[-3000:]
    return shell / "dist" / "linux-unpacked" / "resources"


NOTES_PINNED_FIELD = """
class Note(models.Model):
    notebook = models.ForeignKey(Notebook, on_delete=models.CASCADE)
    text = models.TextField()
    pinned = models.BooleanField(default=False)
"""
NOTES_MIGRATION_0002 = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [
        migrations.AddField("note", "pinned", models.BooleanField(default=False)),
    ]
"""
# A write the app acknowledges (the new note's id) only once it is committed: what a test
# counts to prove no acknowledged write is lost.
NOTES_WRITE_VIEW = """

def add(request):
    from django.http import HttpResponse, HttpResponseNotAllowed

    from .models import Notebook

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notebook, _ = Notebook.objects.get_or_create(id=1, defaults={"title": "Field notes"})
    note = Note.objects.create(notebook=notebook, text=request.body.decode())
    return HttpResponse(str(note.id))
"""
NOTES_URLS = """\
from django.urls import path
from notes.views import add, index
urlpatterns = [path("", index), path("add", add)]
"""


@pytest.fixture(scope="session")
def notes_versions(
    local_interpreter: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Payload directories of Notes Desk 1.2.3 and 1.3.0 (one more migration), whose
    ``POST /add`` writes a note and answers its id."""
    from djdesk_bundle.tools.uv import find_uv
    from tests.bundler.notes_project import make_notes_project
    from tests.bundler.test_any_project import build_notes

    root = tmp_path_factory.mktemp("notes-versions")
    project = make_notes_project(root / "notes-desk")
    views = project / "src" / "notes" / "views.py"
    views.write_text(views.read_text() + NOTES_WRITE_VIEW)
    (project / "src" / "notesite" / "urls.py").write_text(NOTES_URLS)
    built = {}
    for version in ("1.2.3", "1.3.0"):
        if version == "1.3.0":
            pyproject = project / "pyproject.toml"
            pyproject.write_text(pyproject.read_text().replace('"1.2.3"', '"1.3.0"'))
            models = project / "src" / "notes" / "models.py"
            text = models.read_text()
            start = text.index("class Note(models.Model):")
            models.write_text(text[:start] + NOTES_PINNED_FIELD.lstrip())
            (project / "src/notes/migrations/0002_note_pinned.py").write_text(NOTES_MIGRATION_0002)
            subprocess.run([find_uv(), "lock", "-q"], cwd=project, check=True)
        result = build_notes(
            project, local_interpreter / "manifest.toml", local_interpreter.as_uri(), root / "cache"
        )
        assert result.returncode == 0, result.stderr
        built[version] = shutil.copytree(
            project / "build" / "payload", root / version, symlinks=True
        )
    return built
