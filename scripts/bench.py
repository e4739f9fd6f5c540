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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))


def timed(argv: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def build(work: Path, interpreter: Path, cache: Path, name: str) -> dict[str, object]:
    from djdesk_bundle.build import build as run_build
    from djdesk_bundle.config import load_options
    from djdesk_bundle.ui import Reporter

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJDESK_BUNDLE_")}
    env.update(
        DJDESK_BUNDLE_PYTHON_MIRROR=interpreter.as_uri(),
        DJDESK_BUNDLE_CACHE_DIR=str(cache),
        DJDESK_BUNDLE_INTERPRETER_MANIFEST=str(interpreter / "manifest.toml"),
    )
    options = load_options(REPO, env)
    start = time.perf_counter()
    result = run_build(
        options, Reporter(verbosity=-1), env, output=work / name / "out", dist=work / name / "dist"
    )
    return {
        "total": time.perf_counter() - start,
        "stages": dict(result.timings),
        "output": str(result.output),
        "archive": str(result.archive),
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
    req = work / "req.txt"
    req.write_text(
        subprocess.run(
            [
                "uv",
                "export",
                "--frozen",
                "--package",
                "djdesk",
                "--no-dev",
                "--no-emit-workspace",
                "--no-header",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
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


def boot_once(out: Path, data: Path) -> dict[str, float]:
    env = {"PATH": os.environ["PATH"], "DJDESK_DATA_DIR": str(data)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(out / "python/bin/python3"), "-I", str(out / "run_django.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = process.stdout.readline()  # type: ignore[union-attr]
    ready = time.perf_counter() - start
    url = line.split()[1]
    with urllib.request.urlopen(
        url + "api/workspaces/atlas-telemetry/status/", timeout=30
    ) as response:
        response.read()
    first = time.perf_counter() - start
    process.terminate()
    process.wait()
    return {"ready": ready, "first_200": first}


def floor(out: Path, data: Path) -> float:
    code = (
        "import sys, os; sys.path[:0]=[os.path.join(sys.argv[1], 'app'), os.path.join(sys.argv[1], 'site-packages')];"
        "os.environ['DJANGO_SETTINGS_MODULE']='djdesk.settings.desktop'; import django; django.setup()"
    )
    return timed(
        [str(out / "python/bin/python3"), "-I", "-c", code, str(out)],
        env={"PATH": os.environ["PATH"], "DJDESK_DATA_DIR": str(data)},
    )


def boots(out: Path, work: Path, count: int) -> dict[str, object]:
    migrated = work / "boot-migrated"
    boot_once(out, migrated)  # migrate once
    warm = [boot_once(out, migrated) for _ in range(count)]
    empty = []
    for i in range(count):
        empty.append(boot_once(out, work / f"boot-empty-{i}"))
    floors = [floor(out, migrated) for _ in range(count)]
    median = lambda values: statistics.median(values)  # noqa: E731
    base = median(floors)
    return {
        "floor_median_s": base,
        "migrated": {
            "ready_median_s": median([b["ready"] for b in warm]),
            "first_200_median_s": median([b["first_200"] for b in warm]),
            "first_200_worst_s": max(b["first_200"] for b in warm),
        },
        "empty": {
            "ready_median_s": median([b["ready"] for b in empty]),
            "first_200_median_s": median([b["first_200"] for b in empty]),
            "first_200_worst_s": max(b["first_200"] for b in empty),
        },
        "migrated_over_floor": median([b["first_200"] for b in warm]) / base,
        "empty_over_floor": median([b["first_200"] for b in empty]) / base,
    }


def polling(out: Path, work: Path, count: int) -> dict[str, object]:
    data = work / "poll-data"
    boot_once(out, data)
    with sqlite3.connect(data / "db.sqlite3") as db:
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
    env = {"PATH": os.environ["PATH"], "DJDESK_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [str(out / "python/bin/python3"), "-I", str(out / "run_django.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    url = process.stdout.readline().split()[1] + "api/workspaces/bench-25/status/"  # type: ignore[union-attr]
    latencies, etag, full_bytes = [], None, 0
    with urllib.request.urlopen(url, timeout=10) as response:
        full_bytes, etag = len(response.read()), response.headers["ETag"]
    for i in range(count):
        headers = {"If-None-Match": etag} if i % 2 else {}
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=10
            ) as response:
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
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boots", type=int, default=10)
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument(
        "--skip-pip", action="store_true", help="skip the uv-vs-pip install baseline"
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
        results["build_cold"] = build(work, interpreter, work / "cache", "cold")
        results["build_warm"] = build(work, interpreter, work / "cache", "warm")
        out = Path(str(results["build_warm"]["output"]))  # type: ignore[index]
        size, files = tree_size(out)
        with tempfile.TemporaryDirectory() as raw:
            shutil.unpack_archive(next(interpreter.glob("*.tar.gz")), raw)
            unpruned, _ = tree_size(Path(raw) / "python")
        pruned, _ = tree_size(out / "python")
        results["payload"] = {
            "unpacked_bytes": size,
            "files": files,
            "archive_bytes": Path(str(results["build_warm"]["archive"])).stat().st_size,  # type: ignore[index]
            "interpreter_unpruned_bytes": unpruned,
            "interpreter_pruned_bytes": pruned,
            "biggest_dirs": biggest_dirs(out),
        }
        if not args.skip_pip:
            results["install_baseline"] = install_baseline(work)
        results["boot"] = boots(out, work, args.boots)
        results["polling"] = polling(out, work, args.polls)
    target = REPO / "var" / "bench" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"\nwritten to {target.relative_to(REPO)}")
    return 0


def print_table(r: dict) -> None:  # type: ignore[type-arg]
    rows = [
        ("cold build (s)", f"{r['build_cold']['total']:.1f}"),
        ("warm build (s)", f"{r['build_warm']['total']:.1f}"),
    ]
    rows += [(f"  warm {k} (s)", f"{v:.2f}") for k, v in r["build_warm"]["stages"].items()]
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
    bt = r["boot"]
    rows += [
        ("boot floor: django.setup() (s)", f"{bt['floor_median_s']:.2f}"),
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
    ]
    pl = r["polling"]
    rows += [
        (
            f"status poll 50x20x20, {pl['requests']} req: p50 / p99 (ms)",
            f"{pl['p50_ms']:.1f} / {pl['p99_ms']:.1f}",
        ),
        ("status poll bytes: full / 304", f"{pl['bytes_full']} / {pl['bytes_304']}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
