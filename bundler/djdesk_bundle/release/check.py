"""Check a release directory before it is uploaded: what the updater and users will fetch.

- every asset name survives GitHub unchanged (no spaces or other characters it rewrites);
- every ``url:`` (and ``path:``) in every ``latest*.yml`` names an asset under exactly that
  name, with the size and sha512 the feed states, and offers the release's version;
- installers that electron-updater downloads differentially have their ``.blockmap``;
- ``SHA256SUMS`` lists every asset (except itself and the sigstore bundles), with the right
  hashes, and nothing else; with ``signed``, every asset and SHA256SUMS has its bundle.

Each problem names the file (and, in a feed or SHA256SUMS, the line) it is about, so the
step can annotate it there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.release.feeds import is_feed

# GitHub keeps these characters in an asset name; it rewrites others (a space becomes `.`).
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
SUMS = "SHA256SUMS"
BUNDLE_SUFFIX = ".sigstore.json"
# electron-builder writes a separate .blockmap for these; electron-updater fetches it.
BLOCKMAP_SUFFIXES = (".exe", ".dmg")
MAC_FEED_BLOCKMAP_SUFFIXES = (".zip",)


@dataclass(frozen=True)
class Problem:
    message: str
    file: str | None = None  # an asset's name, relative to the release directory
    line: int | None = None

    def __str__(self) -> str:
        return self.message


def file_sha512_b64(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode()


def feed_urls(feed: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(url, entry) for each file the feed offers; the legacy `path` counts too."""
    entries = feed.get("files") or []
    pairs = [(str(e["url"]), e) for e in entries if isinstance(e, dict) and "url" in e]
    if "path" in feed:
        pairs.append((str(feed["path"]), {"sha512": feed.get("sha512")}))
    return pairs


def line_of(text: str, needle: str) -> int | None:
    """The first line (1-based) of ``text`` that holds ``needle``."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def check_entry(release: Path, name: str, url: str, entry: dict[str, Any]) -> list[str]:
    asset = release / url
    if "/" in url or not asset.is_file():
        return [f"{name}: url {url} is not an uploaded asset of that exact name"]
    problems = []
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


def check_feed(release: Path, name: str, version: str | None) -> list[Problem]:
    text = (release / name).read_text(encoding="utf-8")
    try:
        feed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return [Problem(f"{name}: not YAML ({exc})", name, line)]
    if not isinstance(feed, dict) or not feed.get("files"):
        return [Problem(f"{name}: not an update feed (no files)", name)]
    problems = []
    if version is not None and str(feed.get("version")) != version:
        message = f"{name}: offers version {feed.get('version')}, the release is {version}"
        problems.append(Problem(message, name, line_of(text, "version:")))
    for url, entry in feed_urls(feed):
        line = line_of(text, url)
        problems += [Problem(m, name, line) for m in check_entry(release, name, url, entry)]
    return problems


def read_sums(sums: Path) -> dict[str, str] | Problem:
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name:
            return Problem(f"{SUMS}:{number}: not a `SHA256  NAME` line: {line!r}", SUMS, number)
        listed[name.lstrip("*")] = digest
    return listed


def check_sums(release: Path, assets: list[str]) -> list[Problem]:
    if not (release / SUMS).is_file():
        return [Problem(f"{SUMS} is missing")]
    listed = read_sums(release / SUMS)
    if isinstance(listed, Problem):
        return [listed]
    text = (release / SUMS).read_text(encoding="utf-8")
    problems = []
    for name in assets:
        if name == SUMS or name.endswith(BUNDLE_SUFFIX):
            continue
        if name not in listed:
            problems.append(Problem(f"{SUMS} does not list {name}", SUMS))
        elif listed[name] != file_sha256(release / name):
            problems.append(
                Problem(f"{SUMS}: {name} has another sha256", SUMS, line_of(text, name))
            )
    problems += [
        Problem(f"{SUMS} lists {name}, which is not an asset", SUMS, line_of(text, name))
        for name in listed
        if name not in assets
    ]
    return problems


def check_names(release: Path, entries: list[str]) -> list[Problem]:
    problems = [
        Problem(f"directory {name} cannot be uploaded", name)
        for name in entries
        if (release / name).is_dir()
    ]
    return problems + [
        Problem(f"asset name {name!r} would be renamed by GitHub (spaces or other characters)")
        for name in entries
        if (release / name).is_file() and not SAFE_NAME.match(name)
    ]


def check_release(release: Path, version: str | None = None, signed: bool = False) -> list[Problem]:
    if not release.is_dir():
        return [Problem(f"{release} is not a directory")]
    entries = sorted(p.name for p in release.iterdir())
    problems = check_names(release, entries)
    assets = [name for name in entries if (release / name).is_file()]
    feeds = [name for name in assets if is_feed(Path(name))]
    if not feeds:
        problems.append(Problem("no update feed (latest*.yml)"))
    for name in feeds:
        problems += check_feed(release, name, version)
    problems += check_sums(release, assets)
    if signed:
        problems += [
            Problem(f"{name} has no {name}{BUNDLE_SUFFIX}", name)
            for name in assets
            if not name.endswith(BUNDLE_SUFFIX) and f"{name}{BUNDLE_SUFFIX}" not in assets
        ]
    return problems
