#!/usr/bin/env python3
"""DJDesk benchmark, side by side with PyInstaller onedir: builds and their floor, sizes,
the update download, first 200s and serving memory, for the inspector and a `wagtail start`
site (figures, not assertions; the README's Performance section says how each is taken).

    python scripts/bench.py [--quick] [--build-rounds 3] [--boots 10] [--skip-wagtail] ...

Prints a table and writes var/bench/latest.json. Builds use the local interpreter archive
(scripts/make_local_interpreter.py) through a file:// mirror, like `just demo`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from djdesk_runtime.contract import (
    APP_DIR,
    DATA_DIR_LAYOUT,
    DESKTOP_OVERRIDES,
    ENV,
    INTERPRETER_POSIX,
    LAUNCHER,
    LAUNCHER_OPTIONS,
    PYTHON_FLAGS,
    RUNTIME_DIR,
    SESSION_HEADER,
    SITE_PACKAGES_DIR,
    TIMING_PREFIX,
)
from djdesk_runtime.overrides import environment

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import bench_floor  # noqa: E402 - beside this script
import bench_pyinstaller  # noqa: E402
import bench_serving  # noqa: E402


def timed(argv: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def clone_repo(work: Path) -> Path:
    """A clone of this checkout (with its generated samples and docs) that the app-only
    rebuild may modify."""
    clone = work / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    for generated in ("sample_projects", "var/docs_bundle"):
        if (REPO / generated).is_dir():
            shutil.copytree(REPO / generated, clone / generated, symlinks=True)
    return clone


def user_env() -> dict[str, str]:
    """This environment as a user's shell has it: no DJDesk settings, and Python caching
    the bytecode of what it imports (this machine sets PYTHONDONTWRITEBYTECODE=1, which
    would make every process compile the bundler's imports again: ~0.35 s)."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJDESK_BUNDLE_") and key != "PYTHONDONTWRITEBYTECODE"
    }


def warm_bytecode() -> None:
    """Cache the bytecode of what a build imports, as a user's first run would have."""
    modules = "djdesk_bundle.cli, djdesk_bundle.build.pipeline, djdesk_bundle.sbom.document, cyclonedx.validation.json"
    subprocess.run([sys.executable, "-c", f"import {modules}"], check=True, env=user_env())


def cli_build(project: Path, interpreter: Path, cache: Path, out: Path) -> tuple[float, Path, Path]:
    """One whole `djdesk-bundle build` process, as a user runs it: (seconds, payload, archive)."""
    env = user_env()
    argv = [
        *(sys.executable, "-m", "djdesk_bundle.cli", "build", "-q"),
        *("--project", str(project), "--manifest", str(interpreter / "manifest.toml")),
        *("--python-mirror", interpreter.as_uri(), "--cache-dir", str(cache)),
        *("--output", str(out / "out"), "--dist", str(out / "dist")),
    ]
    seconds = timed(argv, env=env)
    return seconds, out / "out", next((out / "dist").glob("*.tar.gz"))


STATUS_PATH = "api/workspaces/atlas-telemetry/status/"
BENCH_TOKEN = "bench"  # the launcher always requires a session token
FIGURES = ("cold", "app_only", "no_op")
TOOLS = ("djdesk", "pyinstaller")
BLOCK = 64 << 10  # what a block-level updater compares


@dataclass
class Subject:
    """A project both tools build: where the one-line change goes, what PyInstaller is
    given, the URLs both apps must answer alike, the URL a boot waits for."""

    label: str
    root: Path  # the project (a git repository) DJDesk builds
    changed: Path  # the file the one-line app change goes to
    pyinstaller: bench_pyinstaller.Project
    paths: tuple[str, ...]
    boot_path: str
    token: bool = True  # DJDesk's launcher requires the session token


def locked_requirements(project: Path) -> str:
    """Exactly what `djdesk-bundle build` installs: the project's lock and the desktop
    runtime's own dependencies."""
    from djdesk_bundle.build.install import export_locked_requirements, with_runtime_dependencies
    from djdesk_bundle.options import load_options, read_app_project
    from djdesk_bundle.tools.toolchain import Toolchain

    options = load_options(project, {})
    locked = export_locked_requirements(options, read_app_project(options), Toolchain.find())
    return with_runtime_dependencies(locked).requirements


INSPECTOR_PATHS = (
    "",
    "workspaces/atlas-telemetry/",
    "workspaces/new/",
    STATUS_PATH,
    "api/task-runs/",
    "docs/offline/",
    "docs/offline/bundler.html",
    "static/inspector/app.css",
    "static/inspector/app.js",
    "static/inspector/pygments.css",
    "no-such-page/",
)
WAGTAIL_PATHS = (
    "",
    "search/",
    "search/?query=welcome",
    "admin/login/",
    "admin/",
    "static/css/mysite.css",
    "static/js/mysite.js",
    "static/wagtailadmin/css/core.css",
    "static/wagtailadmin/js/core.js",
    "no-such-page/",
)


def inspector_subject(work: Path) -> Subject:
    project = clone_repo(work)
    config = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["djdesk-bundle"]
    app = project / config["app-dir"]
    return Subject(
        label="inspector",
        root=project,
        changed=app / "inspector" / "views.py",
        pyinstaller=bench_pyinstaller.Project(
            name="inspector-pyinstaller",
            folder=app,
            settings=config["collectstatic-settings"],
            wsgi=config["wsgi-application"].partition(":")[0],
            requirements=locked_requirements(project),
            flags=bench_pyinstaller.inspector_flags(),
            docs=project / config["docs-dir"],
            samples=project / config["samples-dir"],
            worker=config.get("worker-command", ""),
        ),
        paths=INSPECTOR_PATHS,
        boot_path=STATUS_PATH,
    )


def wagtail_subject(work: Path) -> Subject:
    """A `wagtail start` site (from PyPI) made ready as DJDesk's guide says: init, lock."""
    sys.path.insert(0, str(REPO))
    from tests.bundler.projects import make_wagtail_site

    site = make_wagtail_site(work / "wagtail")
    for command in ("init", "lock"):
        subprocess.run(
            [sys.executable, "-m", "djdesk_bundle.cli", command, "--project", str(site)],
            check=True,
            capture_output=True,
        )
    config = tomllib.loads((site / "pyproject.toml").read_text())["tool"]["djdesk-bundle"]
    return Subject(
        label="wagtail",
        root=site,
        changed=site / "home" / "models.py",
        pyinstaller=bench_pyinstaller.Project(
            name="mysite",
            folder=site,
            settings=config["settings-module"],
            wsgi=config["wsgi-application"].partition(":")[0],
            requirements=locked_requirements(site),
            flags=bench_pyinstaller.wagtail_flags(),
            worker=config.get("worker-command", ""),
        ),
        paths=WAGTAIL_PATHS,
        boot_path="",
    )


@dataclass
class Built:
    """What the rounds left: the last outputs, and the archives before and after the
    one-line change (for the update download)."""

    times: dict[str, dict[str, list[float]]]
    payload: Path
    archive: Path
    onedir: Path | None = None
    archives: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    floors: list[float] = field(default_factory=list)


def build_rounds(
    subject: Subject, interpreter: Path, work: Path, rounds: int, floor: bool
) -> Built:
    """Cold (empty stage caches; uv's download cache as it is on this machine), after a
    one-line app .py change, no-op: whole processes, DJDesk and PyInstaller interleaved,
    and (``floor``) the floor after each cold build."""
    from djdesk_bundle.build.pack import COMPRESS_LEVEL

    warm_bytecode()
    archive_of = next(interpreter.glob("*.tar.gz"))
    with_pyinstaller = bench_pyinstaller.available()
    here = work / subject.label
    if with_pyinstaller:
        pyinstaller_python = bench_pyinstaller.environment_for(
            subject.pyinstaller, archive_of, here
        )
    times = {tool: {figure: [] for figure in FIGURES} for tool in TOOLS}
    built: Built | None = None
    keep: dict[str, list[Path]] = {tool: [] for tool in TOOLS}
    floors: list[float] = []
    for index in range(rounds):
        cache, out = here / f"cache-{index}", here / f"build-{index}"
        pyi_work, pyi_config = here / f"pyi-{index}", here / f"pyi-config-{index}"
        for figure in FIGURES:
            if figure == "app_only":
                subject.changed.write_text(subject.changed.read_text() + "# a one-line change\n")
            seconds, payload, archive = cli_build(subject.root, interpreter, cache, out)
            times["djdesk"][figure].append(seconds)
            if index == 0 and figure != "no_op":
                keep["djdesk"].append(shutil.copy(archive, here / f"djdesk-{figure}.tar.gz"))
            if floor and figure == "cold":
                floors.append(floor_build(archive_of, subject, payload, here))
            if with_pyinstaller:
                seconds, onedir = bench_pyinstaller.build(
                    subject.pyinstaller, pyinstaller_python, pyi_work, pyi_config
                )
                times["pyinstaller"][figure].append(seconds)
                if index == 0 and figure != "no_op":
                    target = here / f"pyinstaller-{figure}.tar.gz"
                    bench_pyinstaller.archive(onedir, target, COMPRESS_LEVEL)
                    keep["pyinstaller"].append(target)
        built = Built(times, payload, archive, onedir if with_pyinstaller else None)
    assert built is not None
    built.archives = {tool: (paths[0], paths[1]) for tool, paths in keep.items() if paths}
    built.floors = floors
    return built


_pruned: dict[str, list[str]] = {}


def floor_build(interpreter_archive: Path, subject: Subject, payload: Path, work: Path) -> float:
    """The cheapest way to the same tree (scripts/bench_floor.py), timed as one run."""
    from djdesk_bundle.build.pack import COMPRESS_LEVEL

    requirements = work / "floor-requirements.txt"
    if subject.label not in _pruned:
        requirements.write_text(subject.pyinstaller.requirements)
        scratch = work / "floor-scratch"
        _pruned[subject.label] = bench_floor.pruned_paths(interpreter_archive, payload, scratch)
    return bench_floor.build(
        interpreter_archive,
        requirements,
        payload,
        _pruned[subject.label],
        work / "floor",
        COMPRESS_LEVEL,
    )


def update_download(before: Path, after: Path) -> dict[str, float]:
    """The 64 KiB blocks of ``after`` that differ from ``before`` at the same offset: what a
    block-level updater downloads for that release (the bundler writes the unchanging
    interpreter and dependencies first, so that a release changes the archive's end)."""
    old, new = before.read_bytes(), after.read_bytes()
    changed = [
        len(new[start : start + BLOCK])
        for start in range(0, len(new), BLOCK)
        if new[start : start + BLOCK] != old[start : start + BLOCK]
    ]
    download = sum(changed)
    return {
        "blocks": len(changed),
        "bytes": download,
        "archive_bytes": len(new),
        "share": download / len(new),
    }


def serving(
    subject: Subject, payload: Path, onedir: Path | None, work: Path, rounds: int, requests: int
) -> dict[str, object]:
    """Both apps on fresh data dirs, each ``requests`` requests cycling through the URLs
    and the tasks they enqueued run to the end (both apps run them in a thread): the same
    answers to the URLs then (else the bench fails), and the memory of each app's process
    tree."""
    memory: dict[str, list[dict[str, object]]] = {tool: [] for tool in TOOLS}
    for index in range(rounds):
        data = work / f"{subject.label}-serve-{index}"
        process = launch_payload(payload, data)
        url = process.stdout.readline().split()[1]  # type: ignore[union-attr]
        fetch = bench_serving.fetcher(url, {SESSION_HEADER: BENCH_TOKEN} if subject.token else None)
        try:
            ours = bench_serving.served(fetch, subject.paths, requests, payload, data)
            memory["djdesk"].append(bench_serving.tree_memory(process.pid))
        finally:
            process.terminate()
            process.wait()
        if onedir is None:
            continue
        data = work / f"{subject.label}-pyi-serve-{index}"
        app, url = bench_pyinstaller.launch(onedir, data)
        fetch = bench_serving.fetcher(url)
        try:
            theirs = bench_serving.served(fetch, subject.paths, requests, onedir, data)
            memory["pyinstaller"].append(bench_serving.tree_memory(app.pid))
        finally:
            bench_pyinstaller.stop(app)
        differences = bench_serving.compare(ours, theirs)
        if differences:
            raise SystemExit(
                f"{subject.label}: DJDesk and PyInstaller answer differently:\n  "
                + "\n  ".join(differences)
            )
    return {
        "requests": requests,
        "paths": list(subject.paths),
        **{
            tool: {
                key: spread([m[key] for m in runs]) for key in ("rss", "pss", "uss", "processes")
            }
            | {"runs": runs}
            for tool, runs in memory.items()
            if runs
        },
    }


def project_figures(
    subject: Subject, interpreter: Path, work: Path, args: argparse.Namespace, floor: bool
) -> dict[str, object]:
    """Builds, sizes, update download, serving and boots of one project, both tools."""
    built = build_rounds(subject, interpreter, work, args.build_rounds, floor)
    result: dict[str, object] = {
        "times": built.times,
        "output": str(built.payload),
        "archive": str(built.archive),
        "size": {"djdesk": sizes(built.payload, built.archive)},
        "update": {tool: update_download(*pair) for tool, pair in built.archives.items()},
    }
    if built.floors:
        result["floor"] = spread(built.floors)
    if built.onedir:
        result["pyinstaller_output"] = str(built.onedir)
        archive = built.archives["pyinstaller"][1]
        result["size"]["pyinstaller"] = sizes(built.onedir, archive)  # type: ignore[index]
    result["serving"] = serving(
        subject, built.payload, built.onedir, work, args.memory_rounds, args.requests
    )
    result["first_200"] = first_200(subject, built.payload, built.onedir, work, args.boots)
    return result


def sizes(tree: Path, archive: Path) -> dict[str, int]:
    total, files = tree_size(tree)
    du = subprocess.run(["du", "-sk", str(tree)], capture_output=True, text=True, check=True)
    return {
        "unpacked_bytes": total,
        "files": files,
        "disk_bytes": int(du.stdout.split()[0]) * 1024,
        "archive_bytes": archive.stat().st_size,
    }


def first_200(
    subject: Subject, payload: Path, onedir: Path | None, work: Path, count: int
) -> dict[str, object]:
    """Seconds from spawn to the first 200 on the subject's boot URL, on a migrated data dir
    (after a first launch) and on an empty one, both tools interleaved."""
    runs: dict[str, dict[str, list[float]]] = {
        tool: {"migrated": [], "empty": []} for tool in TOOLS
    }
    base = work / f"{subject.label}-boot"
    boot_once(payload, base / "djdesk-migrated", subject.boot_path)
    if onedir:
        bench_pyinstaller.boot_once(onedir, base / "pyi-migrated", subject.boot_path)
    for index in range(count):
        runs["djdesk"]["migrated"].append(
            boot_once(payload, base / "djdesk-migrated", subject.boot_path)["first_200"]
        )
        runs["djdesk"]["empty"].append(
            boot_once(payload, base / f"djdesk-empty-{index}", subject.boot_path)["first_200"]
        )
        if onedir:
            runs["pyinstaller"]["migrated"].append(
                bench_pyinstaller.boot_once(onedir, base / "pyi-migrated", subject.boot_path)
            )
            runs["pyinstaller"]["empty"].append(
                bench_pyinstaller.boot_once(onedir, base / f"pyi-empty-{index}", subject.boot_path)
            )
    return {
        tool: {key: spread(values) for key, values in data.items() if values}
        for tool, data in runs.items()
    }


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def biggest_dirs(root: Path, count: int = 10) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(root).parts
            key = "/".join(rel[:3]) if len(rel) > 3 else "/".join(rel[:-1]) or "."
            sizes[key] = sizes.get(key, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda item: -item[1])[:count]


def install_baseline(work: Path) -> dict[str, float]:
    """The same locked install with uv and with pip, each from a cold cache."""
    from djdesk_bundle.build.install import export_locked_requirements
    from djdesk_bundle.options import load_options, read_app_project
    from djdesk_bundle.tools.toolchain import Toolchain

    req = work / "req.txt"  # exactly what `djdesk-bundle build` installs
    options = load_options(REPO, os.environ)
    locked = export_locked_requirements(options, read_app_project(options), Toolchain.find())
    req.write_text(locked.requirements)
    uv = timed(
        [
            "uv",
            "pip",
            "install",
            "--target",
            str(work / "uv-t"),
            "--python",
            sys.executable,
            "--require-hashes",
            "--no-deps",
            "-r",
            str(req),
        ],
        env={**os.environ, "UV_CACHE_DIR": str(work / "uvc")},
    )
    # The venv uv made has no pip: use the base interpreter's, as a user without uv would.
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    pip = timed(
        [
            str(base_python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(work / "pip-t"),
            "--no-cache-dir",
            "--require-hashes",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-r",
            str(req),
        ]
    )
    return {"uv_cold_s": uv, "pip_cold_s": pip, "pip_over_uv": pip / uv}


def authorised(url: str, headers: dict[str, str] | None = None) -> urllib.request.Request:
    return urllib.request.Request(url, headers={SESSION_HEADER: BENCH_TOKEN, **(headers or {})})


def launch_payload(
    out: Path, data: Path, stderr: int = subprocess.DEVNULL, **env: str
) -> subprocess.Popen[str]:
    """The payload's launcher on a free port, as the shell starts it."""
    return subprocess.Popen(
        [
            str(out / INTERPRETER_POSIX),
            *PYTHON_FLAGS,
            str(out / LAUNCHER),
            LAUNCHER_OPTIONS["port"],
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={
            "PATH": os.environ["PATH"],
            ENV["data_dir"]: str(data),
            ENV["session_token"]: BENCH_TOKEN,
            **env,
        },
    )


PHASES = ("interpreter", "django-setup", "migration-check", "listening")


def boot_once(out: Path, data: Path, url_path: str = STATUS_PATH) -> dict[str, float]:
    """Spawn the launcher; seconds from spawn to the end of each phase and to the first
    200 on the status API (the phases come from the launcher's DJDESK_BOOT_TIMING marks)."""
    spawned = time.time()
    start = time.perf_counter()
    process = launch_payload(out, data, stderr=subprocess.PIPE, **{ENV["boot_timing"]: "1"})
    line = process.stdout.readline()  # type: ignore[union-attr]
    ready = time.perf_counter() - start
    url = line.split()[1]
    with urllib.request.urlopen(authorised(url + url_path), timeout=60) as response:
        response.read()
    first = time.perf_counter() - start
    process.terminate()
    _, stderr = process.communicate()
    marks = {}
    for text in stderr.splitlines():
        if text.startswith(TIMING_PREFIX):
            _, phase, stamp = text.split()
            marks[phase] = float(stamp) - spawned
    return {"ready": ready, "first_200": first, **marks}


def floor(out: Path, data: Path) -> tuple[float, float]:
    """The payload's interpreter running `python -I` with the payload's sys.path and
    settings, doing `import django; django.setup()`: (whole run, spawn to setup's end)."""
    folders = [str(out / part) for part in (APP_DIR, SITE_PACKAGES_DIR, RUNTIME_DIR)]
    # The settings as the launcher loads them (the desktop runtime's overrides on).
    desktop_env = environment("djdesk.settings.desktop", data, out, DESKTOP_OVERRIDES)
    code = (
        "import sys, os, time; sys.dont_write_bytecode=True;"
        f"sys.path[:0]={folders!r};"
        f"os.environ.update({desktop_env!r}); import django; django.setup();"
        "print(time.time())"
    )
    spawned, start = time.time(), time.perf_counter()
    result = subprocess.run(
        [str(out / INTERPRETER_POSIX), *PYTHON_FLAGS, "-c", code],
        env={"PATH": os.environ["PATH"], ENV["data_dir"]: str(data)},
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, float(result.stdout.split()[-1]) - spawned


def dev_boot(work: Path) -> float:
    """The development path for comparison: migrate, then runserver, until the first 200."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DJDESK_"))},
        "DJANGO_SETTINGS_MODULE": "djdesk.settings.local",
        ENV["data_dir"]: str(work / "dev-data"),
    }
    manage = [sys.executable, "manage.py"]
    start = time.perf_counter()
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=REPO / "app", env=env, check=True)
    process = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO / "app",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/workspaces/atlas-telemetry/status/", timeout=5
                ) as response:
                    response.read()
                return time.perf_counter() - start
            except OSError:
                time.sleep(0.02)
    finally:
        process.terminate()
        process.wait()


def summary(runs: list[dict[str, float]]) -> dict[str, object]:
    phases = {}
    for phase in PHASES:
        values = [r[phase] for r in runs if phase in r]
        if values:
            phases[phase] = statistics.median(values)
    return {
        "ready_median_s": statistics.median(r["ready"] for r in runs),
        "first_200_median_s": statistics.median(r["first_200"] for r in runs),
        "first_200_worst_s": max(r["first_200"] for r in runs),
        "phases_median_s": phases,
    }


def boots(out: Path, work: Path, count: int) -> dict[str, object]:
    """Launches on a migrated and on an empty data dir, and the floor, interleaved: what the
    machine does meanwhile (the page cache, another process) weighs on the three alike."""
    migrated = work / "boot-migrated"
    boot_once(out, migrated)  # the first launch, then every launch after it
    warm, empty, floors = [], [], []
    for index in range(count):
        warm.append(boot_once(out, migrated))
        empty.append(boot_once(out, work / f"boot-empty-{index}"))
        floors.append(floor(out, migrated))
    base = statistics.median(run for run, _ in floors)
    result = {
        "floor_median_s": base,
        "floor_setup_done_median_s": statistics.median(setup for _, setup in floors),
        "migrated": summary(warm),
        "empty": summary(empty),
    }
    for key in ("migrated", "empty"):
        result[f"{key}_over_floor"] = result[key]["first_200_median_s"] / base  # type: ignore[index]
    result["dev_runserver_first_200_s"] = dev_boot(work)
    return result


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def polling(out: Path, work: Path, count: int) -> dict[str, object]:
    data = work / "poll-data"
    boot_once(out, data)
    with sqlite3.connect(data / DATA_DIR_LAYOUT["database"]) as db:
        preset = db.execute("SELECT id FROM inspector_taskpreset LIMIT 1").fetchone()[0]
        for w in range(50):
            db.execute(
                "INSERT INTO inspector_workspace (name, slug, project_path, description, python_path,"
                " created_at, updated_at) VALUES (?, ?, 'generated', '', '', '2025-01-01', '2025-01-01')",
                (f"Bench {w}", f"bench-{w}"),
            )
            wid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            db.executemany(
                "INSERT INTO inspector_scanjob (workspace_id, kind, status, progress, result, findings,"
                " error, task_result_id, created_at, updated_at) VALUES (?, 'logs', 'completed', 100,"
                " '{}', '[]', '', '', '2025-01-01', '2025-01-01')",
                [(wid,)] * 20,
            )
            db.executemany(
                "INSERT INTO inspector_workspacetaskrun (workspace_id, preset_id, args, note, status,"
                " progress, argv, log, error, cancel_requested, created_at, updated_at) VALUES"
                " (?, ?, '{}', '', 'succeeded', 100, '[]', 'ok', '', 0, '2025-01-01', '2025-01-01')",
                [(wid, preset)] * 20,
            )
    process = launch_payload(out, data)
    url = process.stdout.readline().split()[1] + "api/workspaces/bench-25/status/"  # type: ignore[union-attr]
    latencies, etag, full_bytes = [], None, 0
    with urllib.request.urlopen(authorised(url), timeout=10) as response:
        full_bytes, etag = len(response.read()), response.headers["ETag"]
    for i in range(count):
        headers = {"If-None-Match": etag} if i % 2 else {}
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(authorised(url, headers), timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as error:  # 304
            error.read()
        latencies.append(time.perf_counter() - start)
    process.terminate()
    process.wait()
    latencies.sort()
    return {
        "requests": count,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
        "bytes_full": full_bytes,
        "bytes_304": 0,
        **query_counts(data, "bench-25"),
    }


QUERY_COUNTER = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client, url = Client(HTTP_HOST="127.0.0.1"), f"/api/workspaces/{sys.argv[1]}/status/"
with CaptureQueriesContext(connection) as full:
    etag = client.get(url)["ETag"]
with CaptureQueriesContext(connection) as cached:
    status = client.get(url, HTTP_IF_NONE_MATCH=etag).status_code
assert status == 304, status
print(json.dumps({"queries_full": len(full), "queries_304": len(cached)}))
"""


def query_counts(data: Path, slug: str) -> dict[str, int]:
    """SQL queries per poll, full and 304, counted by Django against the same database."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DJDESK_"))},
        **environment("djdesk.settings.desktop", data, REPO, DESKTOP_OVERRIDES),
        "PYTHONPATH": str(REPO / APP_DIR),
    }
    result = subprocess.run(
        [sys.executable, "-c", QUERY_COUNTER, slug], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"counting queries failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: " + QUICK_HELP)
    parser.add_argument("--boots", type=int, default=10)
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument(
        "--build-rounds", type=int, default=3, help="cold/app-only/no-op rounds (spread)"
    )
    parser.add_argument(
        "--memory-rounds", type=int, default=3, help="launches measured for memory (spread)"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests before memory is read")
    parser.add_argument(
        "--skip-pip", action="store_true", help="skip the uv-vs-pip install baseline"
    )
    parser.add_argument("--skip-wagtail", action="store_true", help="skip the `wagtail start` site")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    import urllib.error  # noqa: F401 - used in polling()

    started = time.perf_counter()
    results: dict[str, object] = {"args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="djdesk-bench-") as scratch:
        work = Path(scratch)
        interpreter = work / "interpreter"
        subprocess.run(
            [
                sys.executable,
                str(REPO / "scripts/make_local_interpreter.py"),
                "--output",
                str(interpreter),
            ],
            check=True,
            capture_output=True,
        )
        inspector = project_figures(inspector_subject(work), interpreter, work, args, True)
        results["inspector"] = inspector
        out = Path(str(inspector["output"]))
        with tempfile.TemporaryDirectory() as raw:
            shutil.unpack_archive(next(interpreter.glob("*.tar.gz")), raw)
            unpruned, _ = tree_size(Path(raw) / "python")
        pruned, _ = tree_size(out / "python")
        results["payload"] = {
            "interpreter_unpruned_bytes": unpruned,
            "interpreter_pruned_bytes": pruned,
            "biggest_dirs": biggest_dirs(out),
        }
        if not args.skip_wagtail:
            results["wagtail"] = project_figures(
                wagtail_subject(work), interpreter, work, args, False
            )
        if not args.skip_pip:
            results["install_baseline"] = install_baseline(work)
        results["boot"] = boots(out, work, args.boots)
        results["polling"] = polling(out, work, args.polls)
    results["wall_s"] = time.perf_counter() - started
    target = REPO / "var" / "bench" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"\nwall time {results['wall_s']:.0f} s; written to {target.relative_to(REPO)}")
    return 0


QUICK = {
    "build_rounds": 1,
    "memory_rounds": 1,
    "boots": 2,
    "polls": 100,
    "skip_pip": True,
}
QUICK_HELP = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items() if v is not True)
QUICK_HELP += ", --skip-pip"


def fmt(values: dict[str, float], digits: int = 2) -> str:
    return f"{values['median']:.{digits}f} ({values['min']:.{digits}f}-{values['max']:.{digits}f})"


MiB = 1 << 20


def build_rows(label: str, p: dict) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    """Cold, one-line change, no-op: median (min-max), share of cold, ratio of medians."""
    times, rows = p["times"], []
    for figure, name in (
        ("cold", "cold build, whole process (s)"),
        ("app_only", "one-line app change (s)"),
        ("no_op", "no-op (s)"),
    ):
        cells, medians = [], []
        for tool in TOOLS:
            if not times[tool][figure]:
                cells.append("-")
                medians.append(0.0)
                continue
            values = spread(times[tool][figure])
            share = values["median"] / statistics.median(times[tool]["cold"])
            cells.append(fmt(values) + ("" if figure == "cold" else f", {share:.0%} of cold"))
            medians.append(values["median"])
        rows.append((f"{label}{name}", cells[0], cells[1], ratio(*medians)))
        if figure == "cold" and "floor" in p:
            floor_s = p["floor"]
            cold = statistics.median(times["djdesk"]["cold"])
            rows.append(
                (
                    f"{label}  its floor: extract, prune, uv install, compileall, compress (s)",
                    f"{fmt(floor_s)}; cold = {cold / floor_s['median']:.2f}x floor",
                    "-",
                    "-",
                )
            )
    return rows


def size_rows(label: str, p: dict) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    ours, theirs = p["size"]["djdesk"], p["size"].get("pyinstaller")
    rows = []
    for key, name, scale, unit in (
        ("disk_bytes", "output on disk (du)", MiB, "MiB"),
        ("unpacked_bytes", "output, sum of files", 1e6, "MB"),
        ("archive_bytes", "output .tar.gz", 1e6, "MB"),
    ):
        extra = f", {ours['files']} files" if key == "unpacked_bytes" else ""
        other = f", {theirs['files']} files" if theirs and key == "unpacked_bytes" else ""
        rows.append(
            (
                f"{label}{name} ({unit})",
                f"{ours[key] / scale:.1f}{extra}",
                f"{theirs[key] / scale:.1f}{other}" if theirs else "-",
                ratio(ours[key], theirs[key] if theirs else 0),
            )
        )
    return rows


def serving_rows(label: str, p: dict) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    rows = []
    first = p["first_200"]
    for key in ("migrated", "empty"):
        ours, theirs = first["djdesk"].get(key), first["pyinstaller"].get(key)
        rows.append(
            (
                f"{label}first 200, {key} data dir (s)",
                fmt(ours, 3),
                fmt(theirs, 3) if theirs else "-",
                ratio(ours["median"], theirs["median"] if theirs else 0),
            )
        )
    update = p["update"]
    cells = []
    for tool in TOOLS:
        u = update.get(tool)
        cells.append(
            f"{u['bytes'] / 1e6:.2f} MB ({u['share']:.1%}, {u['blocks']} blocks)" if u else "-"
        )
    rows.append(
        (
            f"{label}download for a one-line release (64 KiB blocks of the .tar.gz that differ)",
            *cells,
            ratio(update["djdesk"]["bytes"], update.get("pyinstaller", {}).get("bytes", 0)),
        )
    )
    s = p["serving"]
    for key, name in (("pss", "PSS"), ("uss", "USS"), ("rss", "RSS")):
        cells = []
        for tool in TOOLS:
            if tool not in s:
                cells.append("-")
                continue
            m = s[tool]
            each = " + ".join(f"{e[key] / MiB:.0f}" for e in m["runs"][0]["each"])
            processes = (
                f", {m['processes']['median']:.0f} processes ({each})"
                if m["processes"]["median"] > 1
                else ""
            )
            cells.append(fmt({k: v / MiB for k, v in m[key].items()}, 1) + processes)
        rows.append(
            (
                f"{label}memory of the serving process tree after {s['requests']} requests and their tasks, {name} (MiB)",
                *cells,
                ratio(
                    s["djdesk"][key]["median"],
                    s.get("pyinstaller", {}).get(key, {}).get("median", 0),
                ),
            )
        )
    return rows


def side_by_side(r: dict) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    """Each figure for DJDesk and PyInstaller (median (min-max)) and the ratio of medians."""
    rows = []
    for key, label in (("inspector", ""), ("wagtail", "`wagtail start` site: ")):
        if key in r:
            p = r[key]
            rows += build_rows(label, p) + size_rows(label, p) + serving_rows(label, p)
    return rows


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def print_table(r: dict) -> None:  # type: ignore[type-arg]
    header = ("figure", "DJDesk", "PyInstaller onedir", "DJDesk / PyInstaller")
    table = [header, *side_by_side(r)]
    print("| " + " | ".join(header) + " |")
    print("| --- | --- | --- | --- |")
    for row in table[1:]:
        print("| " + " | ".join(row) + " |")
    print()
    rows: list[tuple[str, str]] = []
    p = r["payload"]
    rows += [
        (
            "interpreter unpruned → pruned (MB)",
            f"{p['interpreter_unpruned_bytes'] / 1e6:.1f} → {p['interpreter_pruned_bytes'] / 1e6:.1f}",
        ),
    ]
    if "install_baseline" in r:
        b = r["install_baseline"]
        rows += [
            (
                "locked install, cold cache: uv / pip (s)",
                f"{b['uv_cold_s']:.1f} / {b['pip_cold_s']:.1f}",
            )
        ]
    bt = r["boot"]

    def phases(key: str) -> str:
        marks = bt[key]["phases_median_s"]
        steps, last = [], 0.0
        for phase in ("interpreter", "django-setup", "migration-check", "listening"):
            if phase in marks:
                steps.append(f"{phase} {marks[phase] - last:.2f}")
                last = marks[phase]
        steps.append(f"first response {bt[key]['first_200_median_s'] - last:.2f}")
        return ", ".join(steps)

    rows += [
        (
            "boot floor: python -I, django.setup(): run / until setup done (s)",
            f"{bt['floor_median_s']:.2f} / {bt['floor_setup_done_median_s']:.2f}",
        ),
        (
            "first 200 over that floor: migrated / empty data dir",
            f"{bt['migrated_over_floor']:.2f}x / {bt['empty_over_floor']:.2f}x",
        ),
        ("  migrated phases (s)", phases("migrated")),
        ("  empty phases (s)", phases("empty")),
        (
            "dev runserver (migrate + runserver): first 200 (s)",
            f"{bt['dev_runserver_first_200_s']:.2f}",
        ),
    ]
    pl = r["polling"]
    rows += [
        (
            f"status poll 50x20x20, {pl['requests']} req: p50 / p99 (ms)",
            f"{pl['p50_ms']:.1f} / {pl['p99_ms']:.1f}",
        ),
        ("status poll bytes: full / 304", f"{pl['bytes_full']} / {pl['bytes_304']}"),
        ("status poll SQL queries: full / 304", f"{pl['queries_full']} / {pl['queries_304']}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
