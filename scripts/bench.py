#!/usr/bin/env python3
"""DJDesk benchmark: build, payload size, boot and polling figures (figures, not assertions).

    python scripts/bench.py [--boots 10] [--polls 500] [--skip-pip]

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
import urllib.request
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

import bench_pyinstaller  # noqa: E402 - beside this script


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


FIGURES = ("cold", "app_only", "no_op")


def builds(work: Path, interpreter: Path, rounds: int) -> dict[str, object]:
    """Cold (empty stage caches; uv's download cache as it is on this machine), after a
    one-line app .py change, no-op: whole processes, DJDesk and PyInstaller interleaved."""
    project = clone_repo(work)
    views = project / "app" / "inspector" / "views.py"
    warm_bytecode()
    with_pyinstaller = bench_pyinstaller.available()
    if with_pyinstaller:
        pyinstaller_python = bench_pyinstaller.environment(project, work)
    times: dict[str, dict[str, list[float]]] = {
        tool: {figure: [] for figure in FIGURES} for tool in ("djdesk", "pyinstaller")
    }
    for index in range(rounds):
        cache, out = work / f"cache-{index}", work / f"build-{index}"
        pyi_work, pyi_config = work / f"pyi-{index}", work / f"pyi-config-{index}"
        for figure in FIGURES:
            if figure == "app_only":
                views.write_text(views.read_text() + "# an app-only change\n")
            seconds, payload, archive = cli_build(project, interpreter, cache, out)
            times["djdesk"][figure].append(seconds)
            if with_pyinstaller:
                seconds, onedir = bench_pyinstaller.build(
                    project, pyinstaller_python, pyi_work, pyi_config
                )
                times["pyinstaller"][figure].append(seconds)
    result: dict[str, object] = {"times": times, "output": str(payload), "archive": str(archive)}
    if with_pyinstaller:
        result["pyinstaller_output"] = str(onedir)
    return result


def wagtail_build(work: Path, interpreter: Path) -> dict[str, object]:
    """A `wagtail start` site (from PyPI) bundled as its guide says: init, lock, then a
    cold build (empty stage caches; uv's wheel cache as it is on this machine)."""
    sys.path.insert(0, str(REPO))
    from tests.bundler.projects import make_wagtail_site

    site = make_wagtail_site(work / "wagtail")
    for command in ("init", "lock"):
        subprocess.run(
            [sys.executable, "-m", "djdesk_bundle.cli", command, "--project", str(site)],
            check=True,
            capture_output=True,
        )
    seconds, payload, archive = cli_build(
        site, interpreter, work / "wagtail-cache", work / "wagtail-cold"
    )
    size, files = tree_size(payload)
    return {
        "total": seconds,
        "unpacked_bytes": size,
        "files": files,
        "archive_bytes": archive.stat().st_size,
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

    req = work / "req.txt"  # exactly what `djdesk-bundle build` installs
    options = load_options(REPO, os.environ)
    req.write_text(export_locked_requirements(options, read_app_project(options)).requirements)
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


STATUS_PATH = "api/workspaces/atlas-telemetry/status/"
BENCH_TOKEN = "bench"  # the launcher always requires a session token


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


def boot_once(out: Path, data: Path) -> dict[str, float]:
    """Spawn the launcher; seconds from spawn to the end of each phase and to the first
    200 on the status API (the phases come from the launcher's DJDESK_BOOT_TIMING marks)."""
    spawned = time.time()
    start = time.perf_counter()
    process = launch_payload(out, data, stderr=subprocess.PIPE, **{ENV["boot_timing"]: "1"})
    line = process.stdout.readline()  # type: ignore[union-attr]
    ready = time.perf_counter() - start
    url = line.split()[1]
    with urllib.request.urlopen(authorised(url + STATUS_PATH), timeout=30) as response:
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


def pyinstaller_boots(app: Path, work: Path, count: int) -> dict[str, object]:
    """First 200 of the PyInstaller build: migrated data dir (after a first launch), empty."""
    migrated = work / "pyi-boot-migrated"
    bench_pyinstaller.boot_once(app, migrated, STATUS_PATH)
    runs: dict[str, list[float]] = {"migrated": [], "empty": []}
    for index in range(count):  # interleaved, as DJDesk's
        runs["migrated"].append(bench_pyinstaller.boot_once(app, migrated, STATUS_PATH))
        empty = work / f"pyi-boot-empty-{index}"
        runs["empty"].append(bench_pyinstaller.boot_once(app, empty, STATUS_PATH))
    return {key: spread(values) for key, values in runs.items()}


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
    parser.add_argument("--boots", type=int, default=10)
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument(
        "--build-rounds", type=int, default=3, help="cold/app-only/no-op rounds (spread)"
    )
    parser.add_argument(
        "--skip-pip", action="store_true", help="skip the uv-vs-pip install baseline"
    )
    parser.add_argument(
        "--skip-wagtail", action="store_true", help="skip the `wagtail start` site's build"
    )
    args = parser.parse_args(argv)
    import urllib.error  # noqa: F401 - used in polling()

    results: dict[str, object] = {}
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
        results["builds"] = builds(work, interpreter, args.build_rounds)
        out = Path(str(results["builds"]["output"]))  # type: ignore[index]
        size, files = tree_size(out)
        with tempfile.TemporaryDirectory() as raw:
            shutil.unpack_archive(next(interpreter.glob("*.tar.gz")), raw)
            unpruned, _ = tree_size(Path(raw) / "python")
        pruned, _ = tree_size(out / "python")
        results["payload"] = {
            "unpacked_bytes": size,
            "files": files,
            "archive_bytes": Path(str(results["builds"]["archive"])).stat().st_size,  # type: ignore[index]
            "interpreter_unpruned_bytes": unpruned,
            "interpreter_pruned_bytes": pruned,
            "biggest_dirs": biggest_dirs(out),
        }
        onedir = results["builds"].get("pyinstaller_output")  # type: ignore[attr-defined]
        if onedir:
            from djdesk_bundle.build.pack import COMPRESS_LEVEL

            size, files = tree_size(Path(onedir))
            archive = bench_pyinstaller.archive(Path(onedir), work / "pyi.tar.gz", COMPRESS_LEVEL)
            results["pyinstaller_payload"] = {
                "unpacked_bytes": size,
                "files": files,
                "archive_bytes": archive,
            }
        if not args.skip_pip:
            results["install_baseline"] = install_baseline(work)
        if not args.skip_wagtail:
            results["wagtail"] = wagtail_build(work, interpreter)
        results["boot"] = boots(out, work, args.boots)
        if onedir:
            try:
                results["pyinstaller_boot"] = pyinstaller_boots(Path(onedir), work, args.boots)
            except RuntimeError as error:  # reported, not fatal: the other figures stand
                print(error, file=sys.stderr)
        results["polling"] = polling(out, work, args.polls)
    target = REPO / "var" / "bench" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"\nwritten to {target.relative_to(REPO)}")
    return 0


def fmt(values: dict[str, float]) -> str:
    return f"{values['median']:.2f} ({values['min']:.2f}-{values['max']:.2f})"


def side_by_side(r: dict) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    """Each figure for DJDesk and PyInstaller (median (min-max)) and the ratio of medians."""
    times, rows = r["builds"]["times"], []
    for figure, label in (
        ("cold", "cold build, whole process (s)"),
        ("app_only", "rebuild after a one-line app .py change (s)"),
        ("no_op", "no-op rebuild (s)"),
    ):
        cells, medians = [], []
        for tool in ("djdesk", "pyinstaller"):
            if not times[tool][figure]:
                cells.append("-")
                medians.append(0.0)
                continue
            values = spread(times[tool][figure])
            share = values["median"] / statistics.median(times[tool]["cold"])
            cells.append(fmt(values) + ("" if figure == "cold" else f", {share:.0%} of cold"))
            medians.append(values["median"])
        rows.append((label, cells[0], cells[1], ratio(*medians)))
    bt, pyi = r["boot"], r.get("pyinstaller_boot", {})
    for key in ("migrated", "empty"):
        ours = bt[key]["first_200_median_s"]
        theirs = pyi.get(key)
        rows.append(
            (
                f"first 200, {key} data dir (s)",
                f"{ours:.3f} (worst {bt[key]['first_200_worst_s']:.3f}),"
                f" {bt[f'{key}_over_floor']:.2f}x floor",
                fmt(theirs) if theirs else "-",
                ratio(ours, theirs["median"] if theirs else 0),
            )
        )
    p, q = r["payload"], r.get("pyinstaller_payload") or {}
    rows.append(
        (
            "output, sum of files (MB, files)",
            f"{p['unpacked_bytes'] / 1e6:.1f}, {p['files']}",
            f"{q['unpacked_bytes'] / 1e6:.1f}, {q['files']}" if q else "-",
            ratio(p["unpacked_bytes"], q.get("unpacked_bytes", 0)),
        )
    )
    rows.append(
        (
            "output .tar.gz (MB)",
            f"{p['archive_bytes'] / 1e6:.1f}",
            f"{q['archive_bytes'] / 1e6:.1f}" if q else "-",
            ratio(p["archive_bytes"], q.get("archive_bytes", 0)),
        )
    )
    return rows


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def print_table(r: dict) -> None:  # type: ignore[type-arg]
    header = ("figure", "DJDesk", "PyInstaller onedir", "DJDesk / PyInstaller")
    table = [header, *side_by_side(r)]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
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
    if "wagtail" in r:
        w = r["wagtail"]
        rows += [
            ("wagtail start site: cold build (s)", f"{w['total']:.1f}"),
            (
                "wagtail start site: payload unpacked / archive (MB)",
                f"{w['unpacked_bytes'] / 1e6:.1f} / {w['archive_bytes'] / 1e6:.1f}",
            ),
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
