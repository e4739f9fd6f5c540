"""The same Django project built with PyInstaller onedir, for `just bench`'s side-by-side figures.

PyInstaller is an optional, bench-only dependency group (`uv run --group bench`); without
it the bench prints DJDesk's figures alone. The build is what PyInstaller's Django
documentation and its hook (``PyInstaller/hooks/hook-django.py``) expect, on what the
payload ships:

- the payload's interpreter: a virtualenv made from the extracted local interpreter
  archive (the one the DJDesk build extracts), holding exactly the project's locked
  dependencies as the build installs them (with the desktop runtime's waitress and
  whitenoise) and the bench group;
- a ``manage.py``-style entry in the project folder (``scripts/pyinstaller_entry.py``
  copied there), so that the hook finds the project package, its settings and apps;
  ``DJANGO_SETTINGS_MODULE`` during the build is the one the app runs with; it runs the
  project's task worker as DJDesk's launcher does by default, in a thread;
- only the flags the app needs to start (found by trying: each one's absence is a
  traceback at launch or a 500), listed per project by the caller;
- the same static files, collected by the project's ``collectstatic`` into the bundle
  (timed with the build, as DJDesk's build collects them), and the same docs and samples
  beside the executable, where the settings look for them (``BASE_DIR.parent``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from djdesk_runtime.contract import DESKTOP_OVERRIDES, DOCS_DIR, ENV, SAMPLES_DIR, STATIC_DIR
from djdesk_runtime.overrides import environment

ENTRY = Path(__file__).resolve().with_name("pyinstaller_entry.py")
REPO = ENTRY.parent.parent
ENTRY_NAME = "desktop_app.py"  # beside manage.py


@dataclass(frozen=True)
class Project:
    """A Django project as PyInstaller is given it."""

    name: str
    folder: Path  # the folder holding manage.py: the entry goes beside it
    settings: str  # the project's desktop settings module
    wsgi: str  # the module holding ``application``
    requirements: str  # the locked deps with hashes, as the DJDesk build installs them
    flags: tuple[str, ...]  # what the app needs to start, beyond the hook
    docs: Path | None = None
    samples: Path | None = None
    worker: str = ""  # the project's worker-command, run in a thread of the app


def inspector_flags() -> tuple[str, ...]:
    """What the inspector needs beyond the Django hook, each found missing at launch: the
    desktop runtime (imported by name from settings, and its contract.json), the app's
    templates (the hook collects the project package's data only), the metadata two apps
    read their ``__version__`` from, WhiteNoise's middleware and storage (named in
    settings; the hook reads no ``MIDDLEWARE``), and the task worker's module (the entry
    runs django-tasks-db's worker in a thread; nothing imports it by name)."""
    return (
        *("--collect-all", "djdesk_runtime"),
        *("--collect-data", "inspector"),
        *("--copy-metadata", "django-tasks", "--copy-metadata", "django-tasks-db"),
        *("--collect-submodules", "whitenoise"),
        *("--hidden-import", "django_tasks_db.management.commands.db_worker"),
    )


def wagtail_flags() -> tuple[str, ...]:
    """What a `wagtail start` site needs beyond the Django hook, each found missing at launch
    or on one of the bench's URLs: the desktop runtime, the templates of Wagtail's apps and
    the site's own apps (the hook collects only the project package's data), Django REST
    framework's modules (Wagtail's API names them in settings), WhiteNoise's middleware, the
    metadata django-tasks reads its version from and its default backend (named in it)."""
    return (
        *("--collect-all", "djdesk_runtime"),
        *("--collect-data", "wagtail", "--collect-data", "home", "--collect-data", "search"),
        *("--collect-submodules", "rest_framework", "--collect-submodules", "whitenoise"),
        *("--copy-metadata", "django-tasks"),
        *("--hidden-import", "django_tasks.backends.immediate"),
    )


def available() -> bool:
    return importlib.util.find_spec("PyInstaller") is not None


def bench_group_requirements() -> str:
    argv = [
        "uv",
        "export",
        "--frozen",
        "--no-emit-workspace",
        "--no-header",
        "--only-group",
        "bench",
    ]
    return subprocess.run(argv, cwd=REPO, check=True, capture_output=True, text=True).stdout


def environment_for(project: Project, interpreter_archive: Path, work: Path) -> Path:
    """A virtualenv on the payload's interpreter with the project's locked deps and
    PyInstaller; its python. The entry is written now, before either tool's first build
    (untracked, it is no part of DJDesk's app)."""
    write_entry(project)
    base = work / "python-base"
    if not base.is_dir():
        base.mkdir(parents=True)
        shutil.unpack_archive(interpreter_archive, base)
    venv = work / f"venv-{project.name}"
    requirements = work / f"requirements-{project.name}.txt"
    requirements.write_text(project.requirements + "\n" + bench_group_requirements())
    python = base / "python" / "bin" / "python3"
    subprocess.run(["uv", "venv", "-q", "--python", str(python), str(venv)], check=True)
    install = ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
    subprocess.run([*install, "--require-hashes", "--no-deps", "-r", str(requirements)], check=True)
    return venv / "bin" / "python"


def write_entry(project: Project) -> Path:
    """The entry script in the project folder, with the project's settings and WSGI module."""
    text = ENTRY.read_text()
    text = text.replace('SETTINGS = "djdesk.settings.desktop"', f"SETTINGS = {project.settings!r}")
    text = text.replace('WSGI = "djdesk.wsgi"', f"WSGI = {project.wsgi!r}")
    text = text.replace('WORKER = ""', f"WORKER = {project.worker!r}")
    entry = project.folder / ENTRY_NAME
    if not entry.is_file() or entry.read_text() != text:  # a new mtime is a new analysis
        entry.write_text(text)
    return entry


def build_env(project: Project, work: Path, bundle: Path) -> dict[str, str]:
    """The app's desktop settings environment, as the entry sets it at launch (``bundle``:
    where the static override puts ``STATIC_ROOT``), with the desktop runtime on the path;
    bytecode cached as a user's Python does (DJDesk's builds run the same way)."""
    keep = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    keep = {k: v for k, v in keep.items() if not k.startswith(("DJANGO_", "DJDESK_"))}
    desktop = environment(project.settings, work / "build-data", bundle, DESKTOP_OVERRIDES)
    return {**keep, **desktop, "PYTHONPATH": str(REPO / "bundler")}


def build(project: Project, python: Path, work: Path, config: Path) -> tuple[float, Path]:
    """collectstatic, one whole `pyinstaller` process (the same work and config dirs make a
    rebuild), docs and samples beside the executable: (seconds, onedir)."""
    entry = write_entry(project)
    collected = work / "collected"  # STATIC_ROOT during collectstatic: <bundle>/static
    env = build_env(project, work, collected)
    # The hook reads the project's settings (and collects them) from DJANGO_SETTINGS_MODULE.
    hook_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": project.settings,
        "PYINSTALLER_CONFIG_DIR": str(config),
    }
    dist = work / "dist"
    argv = [
        *(str(python), "-m", "PyInstaller", "--noconfirm", "--onedir", "--log-level", "WARN"),
        *("--name", project.name, "--distpath", str(dist)),
        *("--workpath", str(work / "build"), "--specpath", str(work)),
        *("--paths", str(REPO / "bundler")),
        *("--add-data", f"{collected / STATIC_DIR}:{STATIC_DIR}"),
        *project.flags,
        str(entry),
    ]
    start = time.perf_counter()
    collect = [str(python), "manage.py", "collectstatic", "--noinput", "-v0"]
    run(collect, cwd=project.folder, env=env)
    run(argv, cwd=project.folder, env=hook_env)
    onedir = dist / project.name
    # As the payload ships them: docs/, and samples/<the samples folder's name> (where the
    # inspector's seeded workspace points: on a flat samples/ its scans failed).
    placed = [(project.docs, onedir / DOCS_DIR)]
    if project.samples is not None:
        placed.append((project.samples, onedir / SAMPLES_DIR / project.samples.name))
    for source, target in placed:
        if source is not None:
            # onto the last build's when PyInstaller found nothing to redo
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    return time.perf_counter() - start, onedir


def run(argv: list[str], **kwargs: object) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed:\n{result.stderr[-3000:]}")


def archive(tree: Path, target: Path, level: int) -> int:
    """The onedir tree as a .tar.gz at DJDesk's compression level; its size."""
    with tarfile.open(target, "w:gz", compresslevel=level) as tar:
        tar.add(tree, arcname=tree.name)
    return target.stat().st_size


def launch(app: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    """The onedir app on a free port: (process, its URL)."""
    data.mkdir(parents=True, exist_ok=True)
    log = data.parent / f"{data.name}.stderr"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(app / app.name)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={"PATH": os.environ["PATH"], ENV["data_dir"]: str(data)},
        )
    line = process.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("serving "):
        process.kill()
        process.wait()
        raise RuntimeError(
            f"the PyInstaller app did not start ({line!r}):\n{log.read_text()[-3000:]}"
        )
    return process, line.split()[1]


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def boot_once(app: Path, data: Path, url_path: str) -> float:
    """Spawn the onedir app; seconds to the first 200 on ``url_path``."""
    start = time.perf_counter()
    process, url = launch(app, data)
    try:
        with urllib.request.urlopen(url + url_path, timeout=60) as response:
            response.read()
        return time.perf_counter() - start
    finally:
        stop(process)
