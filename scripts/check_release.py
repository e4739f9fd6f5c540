"""Check a release directory before it is uploaded: what the updater and users will fetch.

- every asset name survives GitHub unchanged (no spaces or other characters it rewrites);
- every ``url:`` (and ``path:``) in every ``latest*.yml`` names an asset under exactly that
  name, with the size and sha512 the feed states, and offers the release's version;
- installers that electron-updater downloads differentially have their ``.blockmap``;
- ``SHA256SUMS`` lists every asset (except itself and the sigstore bundles), with the right
  hashes, and nothing else; with ``--signed``, every asset and SHA256SUMS has its bundle.

    uv run python scripts/check_release.py release --version 0.1.0 [--signed]

Prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from pathlib import Path

import yaml

# GitHub keeps these characters in an asset name; it rewrites others (a space becomes `.`).
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
SUMS = "SHA256SUMS"
BUNDLE_SUFFIX = ".sigstore.json"
# electron-builder writes a separate .blockmap for these; electron-updater fetches it.
BLOCKMAP_SUFFIXES = (".exe", ".dmg")
MAC_FEED_BLOCKMAP_SUFFIXES = (".zip",)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_sha512_b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def feed_urls(feed: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    """(url, entry) for each file the feed offers; the legacy `path` counts too."""
    entries = feed.get("files") or []
    pairs = [(str(e["url"]), e) for e in entries if isinstance(e, dict) and "url" in e]
    if "path" in feed:
        pairs.append((str(feed["path"]), {"sha512": feed.get("sha512")}))
    return pairs


def check_feed(release: Path, name: str, version: str | None) -> list[str]:
    problems = []
    try:
        feed = yaml.safe_load((release / name).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [f"{name}: not YAML ({exc})"]
    if not isinstance(feed, dict) or not feed.get("files"):
        return [f"{name}: not an update feed (no files)"]
    if version is not None and str(feed.get("version")) != version:
        problems.append(f"{name}: offers version {feed.get('version')}, the release is {version}")
    for url, entry in feed_urls(feed):
        asset = release / url
        if "/" in url or not asset.is_file():
            problems.append(f"{name}: url {url} is not an uploaded asset of that exact name")
            continue
        if entry.get("sha512") and entry["sha512"] != file_sha512_b64(asset):
            problems.append(f"{name}: {url} does not have the sha512 the feed states")
        if "size" in entry and entry["size"] != asset.stat().st_size:
            problems.append(f"{name}: {url} is not {entry['size']} bytes")
        wants_blockmap = url.endswith(BLOCKMAP_SUFFIXES) or (
            "-mac" in name and url.endswith(MAC_FEED_BLOCKMAP_SUFFIXES)
        )
        if wants_blockmap and not (release / f"{url}.blockmap").is_file():
            problems.append(f"{name}: {url}.blockmap is missing (no differential updates)")
    return problems


def check_sums(release: Path, assets: list[str]) -> list[str]:
    sums = release / SUMS
    if not sums.is_file():
        return [f"{SUMS} is missing"]
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name:
            return [f"{SUMS}:{number}: not a `SHA256  NAME` line: {line!r}"]
        listed[name.lstrip("*")] = digest
    problems = []
    for name in assets:
        if name == SUMS or name.endswith(BUNDLE_SUFFIX):
            continue
        if name not in listed:
            problems.append(f"{SUMS} does not list {name}")
        elif listed[name] != file_sha256(release / name):
            problems.append(f"{SUMS}: {name} has another sha256")
    problems += [
        f"{SUMS} lists {name}, which is not an asset" for name in listed if name not in assets
    ]
    return problems


def check_release(release: Path, version: str | None = None, signed: bool = False) -> list[str]:
    if not release.is_dir():
        return [f"{release} is not a directory"]
    assets = sorted(p.name for p in release.iterdir())
    problems = [
        f"directory {name} cannot be uploaded" for name in assets if (release / name).is_dir()
    ]
    assets = [name for name in assets if (release / name).is_file()]
    problems += [
        f"asset name {name!r} would be renamed by GitHub (spaces or other characters)"
        for name in assets
        if not SAFE_NAME.match(name)
    ]
    feeds = [name for name in assets if name.startswith("latest") and name.endswith(".yml")]
    if not feeds:
        problems.append("no update feed (latest*.yml)")
    for name in feeds:
        problems += check_feed(release, name, version)
    problems += check_sums(release, assets)
    if signed:
        problems += [
            f"{name} has no {name}{BUNDLE_SUFFIX}"
            for name in assets
            if not name.endswith(BUNDLE_SUFFIX) and f"{name}{BUNDLE_SUFFIX}" not in assets
        ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path, help="the directory whose files are uploaded")
    parser.add_argument("--version", help="the version every feed must offer")
    parser.add_argument("--signed", action="store_true", help="every asset must be signed")
    args = parser.parse_args(argv)
    problems = check_release(args.release, args.version, args.signed)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{args.release}: every feed url is an asset, {SUMS} lists every asset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
