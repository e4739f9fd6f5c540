"""Stage 2, fetch: the interpreter archive into a content-addressed cache, verified.

Cache layout: ``<cache>/interpreters/<sha256>/<file name>``. A partial download is kept
as ``*.part`` and resumed with an HTTP Range request; the sha256 is checked on every
use, cache hits included, and a file that does not match is moved aside.
"""

from __future__ import annotations

import os
import shlex
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.errors import ChecksumMismatch, ConfigError, FetchError, OfflineCacheMiss
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.options import Options
from djdesk_bundle.pins import DEFAULT_MANIFEST, InterpreterPin
from djdesk_bundle.ui import Reporter, advance

CHUNK = 1024 * 1024
RETRIES = 4
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 30


def cached_path(cache_dir: Path, pin: InterpreterPin) -> Path:
    return cache_dir / "interpreters" / pin.sha256 / pin.filename


def _check(path: Path, expected: str, url: str, digests: Digests | None = None) -> None:
    actual = digests.file_sha256(path) if digests is not None else file_sha256(path)
    if actual != expected:
        aside = path.with_name(f"{path.name.removesuffix('.part')}.bad-{actual[:12]}")
        os.replace(path, aside)
        raise ChecksumMismatch(
            f"sha256 mismatch for {url}\n  expected {expected}\n  actual   {actual}\n"
            f"the file was moved aside to {aside}"
        )


def _copy_local(url: str, part: Path, reporter: Reporter) -> None:
    source = Path(url2pathname(urlsplit(url).path))
    if not source.is_file():
        raise FetchError(f"not found: {url} (no file at {source})")
    size = source.stat().st_size
    with (
        reporter.download(f"copy {source.name}", size) as bar,
        source.open("rb") as src,
        part.open("wb") as dst,
    ):
        while chunk := src.read(CHUNK):
            dst.write(chunk)
            advance(bar, len(chunk))


def _download_once(url: str, part: Path, reporter: Reporter) -> None:
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "djdesk-bundle"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    # urllib honours HTTPS_PROXY/NO_PROXY; OpenSSL honours SSL_CERT_FILE/SSL_CERT_DIR.
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        if offset and response.status != 206:
            offset = 0  # the server ignored the Range header: start again
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length else None
        with reporter.download(part.name.removesuffix(".part"), total) as bar:
            advance(bar, 0, completed=offset)
            with part.open("ab" if offset else "wb") as handle:
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    advance(bar, len(chunk))
        if total is not None and part.stat().st_size < total:
            raise OSError(f"connection closed after {part.stat().st_size} of {total} bytes")


def _download(url: str, part: Path, expected: str, reporter: Reporter) -> None:
    for attempt in range(1, RETRIES + 1):
        try:
            _download_once(url, part, reporter)
            return
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and part.exists():
                # Nothing left to resume: the .part is either the whole file (a run killed
                # between the last byte and the rename) or junk to start again from.
                if file_sha256(part) == expected:
                    return
                part.unlink()
                reporter.detail("the partial download cannot be resumed; starting again")
                problem = "HTTP 416"
            elif 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            else:
                problem = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            problem = str(getattr(exc, "reason", exc))
        if attempt == RETRIES:
            raise FetchError(
                f"could not download {url} after {RETRIES} attempts ({problem}); if upstream "
                "is unreachable, use --python-mirror URL (or DJDESK_BUNDLE_PYTHON_MIRROR) "
                "with a mirror or file:// folder that holds the same file"
            )
        reporter.detail(f"attempt {attempt} failed ({problem}); retrying")
        time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))


def fetch_interpreter(
    pin: InterpreterPin,
    cache_dir: Path,
    reporter: Reporter,
    mirror: str | None = None,
    offline: bool = False,
    fill_hint: str = "",
    digests: Digests | None = None,
) -> Path:
    """Return the verified archive in the cache, downloading it if needed. ``fill_hint``
    is the fetch command that fills this cache (the options in use), for a cache miss; a
    cache hit is checked again (by a build, with the digests it remembers)."""
    target = cached_path(prepare_cache_root(cache_dir), pin)
    url = pin.download_url(mirror) if not offline else pin.url
    if target.is_file():
        _check(target, pin.sha256, str(target), digests)
        reporter.detail(f"cache hit: {target}")
        return target
    if offline:
        command = fill_hint or f"djdesk-bundle fetch --target {pin.triple}"
        raise OfflineCacheMiss(
            f"offline and {pin.filename} (sha256 {pin.sha256[:12]}…) is not in the cache "
            f"{cache_dir}; fill it first with `{command}` (or, from a mirror folder that "
            "`djdesk-bundle fetch --to DIR` filled, build with --python-mirror file://DIR)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    if urlsplit(url).scheme == "file":
        _copy_local(url, part, reporter)
    else:
        _download(url, part, pin.sha256, reporter)
    _check(part, pin.sha256, url)
    os.replace(part, target)
    return target


# The Cache Directory Tagging convention (bford.info/cachedir): backup tools skip a folder
# holding this file, and `clean --all` deletes only a cache root that holds it, i.e. one
# this tool created (``cache-dir = ".."`` once emptied the project's parent folder).
CACHE_TAG = "CACHEDIR.TAG"
CACHE_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file marks the download and build cache of djdesk-bundle.\n"
    "# `djdesk-bundle clean --all` deletes this folder; nothing else in it is yours.\n"
)


def prepare_cache_root(cache_dir: Path) -> Path:
    """Create the cache root with its tag; an existing empty folder is tagged too. A
    folder that already holds something untagged is used but never claimed."""
    if cache_dir.exists() and not cache_dir.is_dir():
        raise ConfigError(f"cache-dir {cache_dir} exists and is not a directory")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tag = cache_dir / CACHE_TAG
    if not tag.exists() and not any(cache_dir.iterdir()):
        tag.write_text(CACHE_TAG_TEXT, encoding="utf-8")
    return cache_dir


def is_tool_cache(cache_dir: Path) -> bool:
    tag = cache_dir / CACHE_TAG
    if tag.is_symlink() or not tag.is_file() or cache_dir.is_symlink():
        return False
    with tag.open("rb") as handle:
        return handle.read(len(CACHE_TAG_TEXT)) == CACHE_TAG_TEXT.encode()


def clear_cache(cache_dir: Path, default: bool = False) -> bool:
    """Delete the cache root if this tool made it (or it is the default one, named after
    the tool, which older versions left untagged); False when there was none."""
    if not cache_dir.exists():
        return False
    if not (is_tool_cache(cache_dir) or (default and not cache_dir.is_symlink())):
        raise ConfigError(
            f"not removing {cache_dir}: it holds no {CACHE_TAG} written by djdesk-bundle, "
            "so it may not be its cache; delete it yourself if it is"
        )
    shutil.rmtree(cache_dir)
    return True


def fill_command(options: Options, pin: InterpreterPin) -> str:
    """The `djdesk-bundle fetch` that fills the cache this build reads: the same project,
    manifest, mirror and cache dir."""
    words = ["djdesk-bundle", "fetch", "--project", str(options.project_dir)]
    words += ["--target", pin.triple]
    if Path(options.interpreter_manifest).resolve() != DEFAULT_MANIFEST.resolve():
        words += ["--manifest", str(options.path(options.interpreter_manifest))]
    if options.python_mirror:
        words += ["--python-mirror", options.python_mirror]
    if options.cache_dir:
        words += ["--cache-dir", str(options.cache_root)]
    return shlex.join(words)


def fetch_stage(
    options: Options, pin: InterpreterPin, reporter: Reporter, digests: Digests | None = None
) -> Path:
    """The verified interpreter archive, per the options' cache, mirror and offline mode."""
    return fetch_interpreter(
        pin,
        options.cache_root,
        reporter,
        mirror=options.python_mirror or None,
        offline=options.offline,
        fill_hint=fill_command(options, pin),
        digests=digests,
    )


def fill_mirror(
    pins: list[InterpreterPin],
    folder: Path,
    cache_dir: Path,
    reporter: Reporter,
    mirror: str | None = None,
    offline: bool = False,
) -> list[Path]:
    """Copy each pinned archive, verified, into ``folder`` under its file name: a mirror
    for ``--python-mirror file://FOLDER`` on a machine that cannot download them. Each comes
    through the cache (downloaded once, checked there) and is checked again in ``folder``;
    one already there and matching is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for pin in pins:
        copy = folder / pin.filename
        if copy.is_file() and file_sha256(copy) == pin.sha256:
            reporter.detail(f"already in the mirror: {copy}")
        else:
            cached = fetch_interpreter(pin, cache_dir, reporter, mirror=mirror, offline=offline)
            part = copy.with_name(copy.name + ".part")
            shutil.copyfile(cached, part)
            _check(part, pin.sha256, str(cached))
            os.replace(part, copy)
        copies.append(copy)
    return copies
