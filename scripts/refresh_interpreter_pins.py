#!/usr/bin/env python3
"""Rewrite the interpreter pins from uv's python-build-standalone list.

    python scripts/refresh_interpreter_pins.py --metadata download-metadata.json [--line 3.14]
    python scripts/refresh_interpreter_pins.py --check-age

uv publishes every python-build-standalone release with its URL and sha256
(``crates/uv-python/download-metadata.json`` in astral-sh/uv). This picks the newest patch
release of the pinned CPython line (or ``--line``) in its newest build, for every triple
already pinned, in the ``install_only_stripped`` variant, and rewrites
``manifests/python-build-standalone.toml`` sorted, so a refresh's diff is only what changed.
A triple the list does not have for that release is an error, never a pin without a hash.

``--check-age`` warns (exit 0, a ``warning:`` line) when the pinned release is older than
``pins.MAX_PIN_AGE_DAYS``; with ``--strict`` it fails (exit 1) instead: CI runs it.
The native libraries of a new release need their table in
``manifests/python-build-standalone-libraries.toml`` (the tests say when one is missing).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest, pin_age_warning

VARIANT = "install_only_stripped"
HEADER = """\
# Pinned standalone CPython interpreters (astral-sh/python-build-standalone).
# Data, not code: djdesk-bundle reads it; every pin must carry its sha256.
# Rewritten by `python scripts/refresh_interpreter_pins.py --metadata download-metadata.json`
# (uv's list of python-build-standalone releases); its native libraries are in
# python-build-standalone-libraries.toml. The download URL is `url`, or
# <python-mirror>/<file name> when a mirror is given.
"""


def _triple_of(url: str, version: str, build: str) -> str:
    name = unquote(Path(urlsplit(url).path).name)
    prefix, suffix = f"cpython-{version}+{build}-", f"-{VARIANT}.tar.gz"
    if not (name.startswith(prefix) and name.endswith(suffix)):
        return ""
    return name.removeprefix(prefix).removesuffix(suffix)


def candidates(metadata: dict[str, Any], line: str) -> dict[tuple[int, str], dict[str, Any]]:
    """{(patch, build): {triple: entry}} for the stable releases of CPython ``line``."""
    major, minor = (int(part) for part in line.split("."))
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for entry in metadata.values():
        if (entry.get("name"), entry.get("major"), entry.get("minor")) != ("cpython", major, minor):
            continue
        if entry.get("prerelease") or entry.get("variant") or entry["arch"].get("variant"):
            continue
        version = f"{major}.{minor}.{entry['patch']}"
        triple = _triple_of(str(entry["url"]), version, str(entry["build"]))
        if triple:
            found.setdefault((int(entry["patch"]), str(entry["build"])), {})[triple] = entry
    return found


def newest_pins(metadata: dict[str, Any], line: str, triples: list[str]) -> tuple[str, str, dict]:  # type: ignore[type-arg]
    """(python version, release, {triple: entry}) of the newest patch and build that has
    every pinned triple."""
    for (patch, build), by_triple in sorted(candidates(metadata, line).items(), reverse=True):
        if set(triples) <= set(by_triple):
            return f"{line}.{patch}", build, {t: by_triple[t] for t in triples}
    raise SystemExit(f"error: no {line} release in the list has all of {', '.join(triples)}")


def render(version: str, release: str, entries: dict[str, dict[str, Any]]) -> str:
    lines = [HEADER.rstrip("\n"), f'release = "{release}"', f'python-version = "{version}"']
    lines += [f'variant = "{VARIANT}"', ""]
    for triple in sorted(entries):
        sha256 = str(entries[triple]["sha256"])
        if len(sha256) != 64:
            raise SystemExit(f"error: {triple}: the list gives no sha256")
        lines += [f"[targets.{triple}]", f'url = "{unquote(entries[triple]["url"])}"']
        lines += [f'sha256 = "{sha256}"', ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata", type=Path, help="uv's download-metadata.json")
    parser.add_argument("--line", help="the CPython line to pin (default: the pinned one)")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--check-age", action="store_true", help="warn on an old pin")
    parser.add_argument("--strict", action="store_true", help="with --check-age: fail")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    if args.check_age:
        warning = pin_age_warning(manifest, datetime.date.today())
        if warning:
            print(f"{'error' if args.strict else 'warning'}: {warning}", file=sys.stderr)
            return 1 if args.strict else 0
        print(f"ok: release {manifest.release} is recent enough")
        return 0
    if args.metadata is None:
        parser.error("--metadata is required (or --check-age)")
    try:
        metadata = json.loads(args.metadata.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        parser.error(f"{args.metadata}: {exc}")
    line = args.line or ".".join(manifest.python_version.split(".")[:2])
    version, release, entries = newest_pins(metadata, line, sorted(manifest.pins))
    write_atomic(args.manifest, render(version, release, entries))
    print(f"pinned CPython {version} from python-build-standalone {release}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
