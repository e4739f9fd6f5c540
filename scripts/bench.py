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


def build(
    project: Path, work: Path, interpreter: Path, cache: Path, name: str, output: str = ""
) -> dict[str, object]:
    from djdesk_bundle.build import build as run_build
    from djdesk_bundle.config import load_options
    from djdesk_bundle.ui import Reporter

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJDESK_BUNDLE_")}
    env.update(
        DJDESK_BUNDLE_PYTHON_MIRROR=interpreter.as_uri(),
        DJDESK_BUNDLE_CACHE_DIR=str(cache),
        DJDESK_BUNDLE_INTERPRETER_MANIFEST=str(interpreter / "manifest.toml"),
    )
    options = load_options(project, env)
    out = work / (output or name)
    start = time.perf_counter()
    result = run_build(options, Reporter(verbosity=-1), env, output=out / "out", dist=out / "dist")
    return {
        "total": time.perf_counter() - start,
        "stages": dict(result.timings),
        "output": str(result.output),
        "archive": str(result.archive),
        "sha256": result.archive_sha256,
    }


def builds(work: Path, interpreter: Path) -> dict[str, dict[str, object]]:
    """Cold (empty caches), warm (caches filled, new output), app-only, no-op."""
    project = clone_repo(work)
    cache = work / "cache"
    # The SBOM validator's imports are paid once per process: pay them before timing.
    import cyclonedx.validation.json  # noqa: F401

    from djdesk_bundle.sbom import validate_sbom  # noqa: F401

    results = {"cold": build(project, work, interpreter, cache, "cold")}
    results["warm"] = build(project, work, interpreter, cache, "warm")
    views = project / "app" / "inspector" / "views.py"
    views.write_text(views.read_text() + "# an app-only change\n")
    results["app_only"] = build(project, work, interpreter, cache, "app_only", output="warm")
    results["no_op"] = build(project, work, interpreter, cache, "no_op", output="warm")
    return results


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
    result = build(site, work, interpreter, work / "wagtail-cache", "wagtail-cold")
    size, files = tree_size(Path(str(result["output"])))
    archive = Path(str(result["archive"])).stat().st_size
    return {**result, "unpacked_bytes": size, "files": files, "archive_bytes": archive}


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
    from djdesk_bundle.config import load_options, read_app_project
    from djdesk_bundle.install import export_locked_requirements

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
    with urllib.request.urlopen(
        authorised(url + "api/workspaces/atlas-telemetry/status/"), timeout=30
    ) as response:
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
    migrated = work / "boot-migrated"
    boot_once(out, migrated)  # the first launch, then every launch after it
    warm = [boot_once(out, migrated) for _ in range(count)]
    empty = [boot_once(out, work / f"boot-empty-{i}") for i in range(count)]
    floors = [floor(out, migrated) for _ in range(count)]
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
        results["builds"] = builds(work, interpreter)
        out = Path(str(results["builds"]["warm"]["output"]))  # type: ignore[index]
        size, files = tree_size(out)
        with tempfile.TemporaryDirectory() as raw:
            shutil.unpack_archive(next(interpreter.glob("*.tar.gz")), raw)
            unpruned, _ = tree_size(Path(raw) / "python")
        pruned, _ = tree_size(out / "python")
        results["payload"] = {
            "unpacked_bytes": size,
            "files": files,
            "archive_bytes": Path(str(results["builds"]["warm"]["archive"])).stat().st_size,  # type: ignore[index]
            "interpreter_unpruned_bytes": unpruned,
            "interpreter_pruned_bytes": pruned,
            "biggest_dirs": biggest_dirs(out),
        }
        if not args.skip_pip:
            results["install_baseline"] = install_baseline(work)
        if not args.skip_wagtail:
            results["wagtail"] = wagtail_build(work, interpreter)
        results["boot"] = boots(out, work, args.boots)
        results["polling"] = polling(out, work, args.polls)
    target = REPO / "var" / "bench" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"\nwritten to {target.relative_to(REPO)}")
    return 0


def print_table(r: dict) -> None:  # type: ignore[type-arg]
    b = r["builds"]
    cold = b["cold"]["total"]
    rows = [("cold build (s)", f"{cold:.1f}")]
    for name, label in (
        ("warm", "warm build"),
        ("app_only", "app-only rebuild"),
        ("no_op", "no-op rebuild"),
    ):
        rows.append(
            (
                f"{label} (s, % of cold)",
                f"{b[name]['total']:.1f} ({100 * b[name]['total'] / cold:.0f}%)",
            )
        )
    for name in ("cold", "app_only"):
        stages = ", ".join(f"{k} {v:.1f}" for k, v in b[name]["stages"].items())
        rows.append((f"  {name} stages (s)", stages))
    p = r["payload"]
    rows += [
        ("payload unpacked (MB)", f"{p['unpacked_bytes'] / 1e6:.1f}"),
        ("payload files", str(p["files"])),
        ("payload archive (MB)", f"{p['archive_bytes'] / 1e6:.1f}"),
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
        (
            "boot migrated: first 200 median / worst (s)",
            f"{bt['migrated']['first_200_median_s']:.2f} / {bt['migrated']['first_200_worst_s']:.2f} "
            f"({bt['migrated_over_floor']:.2f}x floor)",
        ),
        (
            "boot empty data dir: first 200 median / worst (s)",
            f"{bt['empty']['first_200_median_s']:.2f} / {bt['empty']['first_200_worst_s']:.2f} "
            f"({bt['empty_over_floor']:.2f}x floor)",
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
