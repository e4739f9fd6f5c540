"""Stage 7, pack: a deterministic ``.tar.gz`` of the payload and its digest.

Same payload + same SOURCE_DATE_EPOCH => same bytes: entries in a fixed order
(interpreter, deps, app, static, docs, samples, then the top-level files; sorted within
each part), uid/gid 0 with no user names, modes normalised to 0755/0644, gzip headers
with no file name and no time.

The archive is two parts, each a run of gzip members (one valid ``.tar.gz``: gzip readers
concatenate members). The first holds the interpreter and the dependencies, whose entries
carry a fixed old mtime rather than the commit's, so that their compressed bytes depend
on their content only and are reused from a cache when an app-only change is packed
again. The second holds the rest, with every mtime set to SOURCE_DATE_EPOCH.

Within a part, every ``CHUNK_BYTES`` of tar stream is its own gzip member, compressed on
a thread of its own (zlib lets go of the GIL while it compresses), so a cold build packs
on every core; members are written in order, so the bytes do not depend on the number of
cores. The price is a dictionary restarted every 8 MB: a fraction of a percent in size.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import stat
import tarfile
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import BinaryIO, cast

from djdesk_bundle import contract
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.install import SitePackages
from djdesk_bundle.build.resolve import Resolved
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.cache.stage_trees import stage_key
from djdesk_bundle.cache.store import Store

STABLE_MTIME = 315532800  # 1980-01-01, as in wheels: the oldest time ZIP and tools agree on
COMPRESS_LEVEL = 6
PACK_FORMAT = "5"  # bump when the bytes written (or the cache layout) change; 5: chunks
CHUNK_BYTES = 8 << 20  # tar bytes per gzip member
MEMBERS_KEPT = 4  # compressed prefixes kept in the cache (one per interpreter + deps set)
_ENCODING = ("utf-8", "surrogateescape")


class Member:
    """One gzip member: payload entries (relative paths, listed when first asked for: a
    member found in the cache by its key is never listed) and the mtime they carry."""

    def __init__(
        self, entries: Callable[[], list[Path]], mtime: int, cacheable: bool = False
    ) -> None:
        self._list, self.mtime, self.cacheable = entries, mtime, cacheable

    @cached_property
    def entries(self) -> list[Path]:
        return self._list()


def _tree(payload: Path, relative: Path) -> list[Path]:
    """A payload path and, for a directory, everything under it, sorted."""
    root = payload / relative
    if root.is_dir() and not root.is_symlink():
        return [relative, *sorted(p.relative_to(payload) for p in root.rglob("*"))]
    return [relative]


def archive_members(payload: Path, source_date_epoch: int) -> list[Member]:
    """The payload in archive order, split into the stable prefix and the rest."""
    stable = [Path(p) for p in contract.STABLE_PARTS if (payload / p).exists()]
    later = [Path(p) for p in contract.ARCHIVE_PARTS if p not in contract.STABLE_PARTS]
    known = set(contract.ARCHIVE_PARTS) | set(contract.TOP_LEVEL_FILES)
    rest = sorted(Path(p.name) for p in payload.iterdir() if p.name not in known)
    top = [Path(name) for name in contract.TOP_LEVEL_FILES if (payload / name).exists()]

    def changing() -> list[Path]:
        entries = [e for part in later if (payload / part).is_dir() for e in _tree(payload, part)]
        return entries + [e for group in rest for e in _tree(payload, group)] + top

    return [
        Member(lambda: [e for part in stable for e in _tree(payload, part)], STABLE_MTIME, True),
        Member(changing, source_date_epoch),
    ]


def ordered_entries(payload: Path) -> list[Path]:
    """Payload paths (relative) in archive order: directories before their contents."""
    return [entry for member in archive_members(payload, 0) for entry in member.entries]


def _tarinfo(base: Path, relative: Path | None, root_name: str, mtime: int) -> tarfile.TarInfo:
    """The header of one entry (``relative=None``: the archive's root directory)."""
    if relative is None:
        info = tarfile.TarInfo(root_name)
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
        return info
    path = base / relative
    info = tarfile.TarInfo(f"{root_name}/{relative.as_posix()}")
    st = path.lstat()
    info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
    if stat.S_ISLNK(st.st_mode):
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(path), 0o777
    elif stat.S_ISDIR(st.st_mode):
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size = st.st_size
        info.mode = 0o755 if st.st_mode & 0o111 else 0o644
    return info


class _TarWriter:
    """Tar records (PAX format) written to any sink; the end-of-archive only on request."""

    def __init__(self, base: Path, root_name: str) -> None:
        self.base, self.root_name, self.offset = base, root_name, 0

    def write(self, sink: BinaryIO, member: Member, root: bool, end: bool) -> None:
        def put(data: bytes) -> None:
            sink.write(data)
            self.offset += len(data)

        entries: list[Path | None] = [None] if root else []
        for relative in [*entries, *member.entries]:
            info = _tarinfo(self.base, relative, self.root_name, member.mtime)
            put(info.tobuf(tarfile.PAX_FORMAT, *_ENCODING))
            if relative is not None and info.isreg():
                with (self.base / relative).open("rb") as handle:
                    while chunk := handle.read(1 << 20):
                        put(chunk)
                put(tarfile.NUL * (-info.size % tarfile.BLOCKSIZE))
        if end:  # two zero blocks, then padding to a whole record, as tarfile writes
            put(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
            put(tarfile.NUL * (-self.offset % tarfile.RECORDSIZE))


class _Counting:
    """A sink that counts what is written to it, hashes it (``hashes``), and passes it on
    to ``forward`` when there is one."""

    def __init__(self, forward: BinaryIO | None = None, hashes: bool = True) -> None:
        self.forward = forward
        self.size, self.hash = 0, hashlib.sha256() if hashes else None

    def write(self, data: bytes) -> int:
        if self.hash is not None:
            self.hash.update(data)
        if self.forward is not None:
            self.forward.write(data)
        self.size += len(data)
        return len(data)

    def hexdigest(self) -> str:
        assert self.hash is not None
        return self.hash.hexdigest()


class _ChunkedGzip:
    """A sink that compresses every ``CHUNK_BYTES`` written to it as one gzip member (no
    file name, no time) on a thread pool, and writes the members to ``raw`` in order."""

    def __init__(self, raw: BinaryIO, pool: ThreadPoolExecutor, in_flight: int) -> None:
        self.raw, self.pool, self.in_flight = raw, pool, in_flight
        self.buffer = bytearray()
        self.pending: deque[Future[bytes]] = deque()
        self.members = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) >= CHUNK_BYTES:
            self._submit(bytes(self.buffer[:CHUNK_BYTES]))
            del self.buffer[:CHUNK_BYTES]
        return len(data)

    def _submit(self, chunk: bytes) -> None:
        self.members += 1
        self.pending.append(self.pool.submit(gzip.compress, chunk, COMPRESS_LEVEL, mtime=0))
        while len(self.pending) > self.in_flight:  # bounded memory: write what is done
            self.raw.write(self.pending.popleft().result())

    def finish(self) -> None:
        if self.buffer or not self.members:  # an empty part is still one (empty) member
            self._submit(bytes(self.buffer))
            self.buffer.clear()
        while self.pending:
            self.raw.write(self.pending.popleft().result())


def _gzip_member(raw: BinaryIO, produce: Callable[[BinaryIO], None]) -> None:
    """``produce``'s bytes as gzip members of ``CHUNK_BYTES`` each, compressed in parallel."""
    threads = os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gzip") as pool:
        sink = _ChunkedGzip(raw, pool, in_flight=2 * threads)
        produce(sink)  # type: ignore[arg-type]
        sink.finish()


def _cached_member(
    raw: BinaryIO, cache: Path, produce: Callable[[BinaryIO], None], content_key: str | None
) -> int:
    """Append a compressed member, reused when its uncompressed bytes were seen before;
    return their length (recorded with the entry, so that a member found by
    ``content_key`` need not be read to know where the next one starts).

    The key names the tar bytes: ``content_key`` when the caller knows what determines them
    (the stage-cache keys of the trees), else their digest (read, not compressed: cheap);
    with the zlib version and level, so a cached member is exactly what compressing gives."""
    if content_key is None:
        digest = _Counting()
        produce(digest)  # type: ignore[arg-type]
        content_key = digest.hexdigest()
    key = hashlib.sha256(
        f"{PACK_FORMAT} {content_key} {zlib.ZLIB_RUNTIME_VERSION} {COMPRESS_LEVEL}".encode()
    ).hexdigest()[:40]
    store = Store(cache, keep=MEMBERS_KEPT)

    def compress(out: BinaryIO) -> int:
        counted = _Counting(hashes=False)

        def into(gz: BinaryIO) -> None:
            counted.forward = gz
            produce(counted)  # type: ignore[arg-type]

        _gzip_member(out, into)
        return counted.size

    def store_member(partial: Path) -> dict[str, int]:
        with partial.open("wb") as out:
            return {"length": compress(out)}

    name = f"{key}.gz"
    length = _copy_cached_member(store, name, raw)
    if length is None and store.put_file(name, store_member):
        length = _copy_cached_member(store, name, raw)
    # None: a cache that cannot be written (or evicted by another build at once)
    return compress(raw) if length is None else length


def _copy_cached_member(store: Store, name: str, raw: BinaryIO) -> int | None:
    """Copy a stored member into the archive; its tar length, or None when there is none."""
    with store.open_file(name) as found:
        if found is None:
            return None
        cached, facts = found
        shutil.copyfileobj(cached, raw)
        return int(facts["length"])


def write_members(
    destination: Path,
    base: Path,
    root_name: str,
    members: list[Member],
    cache: Path | None = None,
    content_key: str | None = None,
    install: bool = True,
) -> str:
    """Write ``base``'s entries under ``root_name/`` atomically, one gzip member per
    ``Member``; return the sha256 (also written to ``<archive>.sha256``). With
    ``install=False`` the archive is left at ``pending_path(destination)`` for
    ``install_archive`` to put in place later (a build does so after its payload swap)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = pending_path(destination)
    writer = _TarWriter(base, root_name)
    with tmp.open("wb") as file:
        hashed = _Counting(file)  # the archive's digest on the way, not by reading it again
        raw = cast(BinaryIO, hashed)
        for index, member in enumerate(members):
            last = index == len(members) - 1
            produce = partial(_write_member, writer, member, index == 0, last)
            if cache is not None and member.cacheable and not last:
                start = writer.offset
                size = _cached_member(raw, cache, _rewinding(writer, start, produce), content_key)
                writer.offset = start + size  # also when the member came from the cache unread
            else:
                _gzip_member(raw, produce)
    digest = hashed.hexdigest()
    if install:
        install_archive(destination, digest)
    return digest


def pending_path(destination: Path) -> Path:
    """Where this process writes an archive before it is put in place (unique per build,
    so that two builds never write the same temporary file)."""
    return destination.with_name(f"{destination.name}.{os.getpid()}.tmp")


def install_archive(destination: Path, digest: str) -> None:
    """Move the pending archive into place, then its ``.sha256`` sidecar: each an atomic
    rename, so a reader sees an old or a new file, never a partial one."""
    os.replace(pending_path(destination), destination)
    sidecar = destination.with_name(destination.name + ".sha256")
    pending_sidecar = pending_path(sidecar)
    pending_sidecar.write_text(f"{digest}  {destination.name}\n", encoding="utf-8")
    os.replace(pending_sidecar, sidecar)


def _write_member(
    writer: _TarWriter, member: Member, first: bool, last: bool, sink: BinaryIO
) -> None:
    writer.write(sink, member, root=first, end=last)


def _rewinding(
    writer: _TarWriter, offset: int, produce: Callable[[BinaryIO], None]
) -> Callable[[BinaryIO], None]:
    """``produce`` may run twice (digest, then compress): each run starts at ``offset``."""

    def run(sink: BinaryIO) -> None:
        writer.offset = offset
        produce(sink)

    return run


def write_deterministic_tar(
    destination: Path, base: Path, root_name: str, entries: list[Path], mtime: int
) -> str:
    """A single-member archive of ``entries`` (e.g. the local interpreter archive)."""
    return write_members(destination, base, root_name, [Member(lambda: entries, mtime)])


def write_archive(
    payload: Path,
    destination: Path,
    source_date_epoch: int,
    cache: Path | None = None,
    stable_key: str | None = None,
    install: bool = True,
) -> str:
    """The payload archive; its sha256 is returned and written to ``<archive>.sha256``.
    With ``cache``, the compressed interpreter + dependencies member is reused; with
    ``stable_key`` (what determines those two trees), without even reading them."""
    return write_members(
        destination,
        payload,
        contract.ARCHIVE_ROOT,
        archive_members(payload, source_date_epoch),
        cache,
        stable_key,
        install,
    )


@dataclass(frozen=True)
class Packed:
    archive: Path
    sha256: str


def stable_member_key(interpreter: Interpreter, site: SitePackages) -> str:
    """What names the interpreter + dependencies member: their two stage keys."""
    return stage_key("archive-prefix", interpreter.cache_key, site.cache_key)


def store_stable_member(payload: Path, cache: Path, key: str) -> None:
    """The interpreter + dependencies member compressed into the pack cache ahead of the
    pack stage, which then copies it (a job of the build's background worker, once
    install is done: the two trees are final then). By write_members' own code: the same
    writer, member and key, the compressed bytes thrown away here."""
    member = archive_members(payload, 0)[0]
    writer = _TarWriter(payload, contract.ARCHIVE_ROOT)
    produce = partial(_write_member, writer, member, True, False)
    with open(os.devnull, "wb") as sink:
        _cached_member(sink, cache, _rewinding(writer, 0, produce), key)


def pack_stage(
    ctx: StageContext,
    resolved: Resolved,
    interpreter: Interpreter,
    site: SitePackages,
    signed: bool = False,
) -> Packed:
    """The payload's deterministic archive, left pending beside its place in dist/."""
    # Both trees are what their stage keys name (nothing writes into them later), so
    # their compressed member is found by those keys without reading them.
    digest = write_archive(
        ctx.staging,
        resolved.archive,
        resolved.state.source_date_epoch,
        cache=ctx.cache_root / "pack",
        # Signed trees are not what their stage keys name: read them.
        stable_key=None if signed else stable_member_key(interpreter, site),
        install=False,  # put in place after the payload swap (build.publish_stage)
    )
    return Packed(archive=resolved.archive, sha256=digest)
