"""``djdesk-bundle diff A B``: what differs between two payloads (dirs or archives), and why.

Entries added, removed and changed (type, mode, mtime, size, content); for a changed
file, what changed inside it: SQLite databases by schema and rows, text as a short
unified diff, anything else through ``diffoscope`` when it is installed; and the SBOMs'
components added, removed and changed. ``--check-reproducible`` prints the same report
when its two builds differ, and an auditor gets "what changed between 0.1.0 and 0.2.0".

A payload directory is compared as the archive would store it: modes normalised to
0755/0644 and no mtimes (the archive sets them). Between two archives, every header
field counts.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.fs.archive_policy import checked_members, payload_policy
from djdesk_bundle.fs.hashing import file_sha256, handle_sha256
from djdesk_bundle.fs.tree import kind, regular_file_sha256, walk
from djdesk_bundle.sbom.read import read_sbom

SQLITE_MAGIC = b"SQLite format 3\x00"
TEXT_DIFF_LINES = 20  # per file: enough to see what happened, short enough to read
DIFFOSCOPE_FILES = 5  # binary files handed to diffoscope, at most
DIFFOSCOPE_TIMEOUT = 120
DIFFOSCOPE_LINES = 40
MTIME_GROUP = 5  # more entries than this with the same mtime-only change: one line
# A changed file larger than this gets no closer look (text diff, SQLite, diffoscope):
# its bytes would be copied out and read whole.
DETAIL_MAX_BYTES = 32 * 1024**2
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    kind: str  # "file", "dir" or "symlink"
    mode: int
    mtime: int | None  # None: a payload directory (the archive sets mtimes)
    size: int
    sha256: str  # of a file's bytes, of a link's target, "" for a directory
    order: int  # position in the archive (or the walk)


@dataclass
class Side:
    """One payload: its entries, and the bytes of a file when a closer look needs them.

    An archive is never unpacked: each member is read through the archive policy (the
    one extract and verify use), hashed as it streams, and a single changed file is copied
    out to a flat scratch name only for a closer look, when it is small enough.
    """

    label: str
    root: Path  # the payload dir, or the scratch dir of an archive
    entries: dict[str, Entry]
    archive: Path | None = None
    members: dict[str, tarfile.TarInfo] = field(default_factory=dict)

    def path(self, relative: str) -> Path | None:
        """A regular file holding the entry's bytes, or None (too large for a closer
        look, or not a regular file)."""
        entry = self.entries.get(relative)
        if entry is None or entry.kind != "file" or entry.size > DETAIL_MAX_BYTES:
            return None
        if self.archive is None:
            return self.root / relative
        copy = self.root / f"member-{entry.order}"
        if not copy.exists():
            with tarfile.open(self.archive, "r:*") as tar:
                source = tar.extractfile(self.members[relative])
                assert source is not None
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                with (
                    source,
                    os.fdopen(os.open(copy, flags | getattr(os, "O_BINARY", 0)), "wb") as sink,
                ):
                    shutil.copyfileobj(source, sink, CHUNK)
        return copy


def _normalised_mode(kind: str, mode: int) -> int:
    if kind == "symlink":
        return 0o777
    return 0o755 if kind == "dir" or mode & 0o111 else 0o644


def _directory_side(path: Path) -> Side:
    """Every entry by lstat, never followed; a FIFO, socket or device is listed by its
    type and never opened (it used to hang diff)."""
    entries = {}
    for order, (relative, info) in enumerate(walk(path)):
        what = kind(info)
        if what == "symlink":
            target = os.readlink(path / relative)
            digest = hashlib.sha256(target.encode("utf-8", "surrogateescape")).hexdigest()
            entries[relative] = Entry("symlink", 0o777, None, 0, digest, order)
        elif what == "directory":
            entries[relative] = Entry("dir", 0o755, None, 0, "", order)
        elif what == "file":
            mode = _normalised_mode("file", info.st_mode)
            digest = regular_file_sha256(path / relative)
            entries[relative] = Entry("file", mode, None, info.st_size, digest, order)
        else:
            entries[relative] = Entry(what, 0, None, 0, "", order)
    return Side(str(path), path, entries)


def _archive_side(archive: Path, scratch: Path) -> Side:
    entries: dict[str, Entry] = {}
    members: dict[str, tarfile.TarInfo] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            checked = checked_members(tar, archive, payload_policy())
            for order, (path, member) in enumerate(checked.items()):
                if len(path.parts) == 1:
                    continue  # the root directory: not an entry of the payload
                relative = PurePosixPath(*path.parts[1:]).as_posix()
                if member.issym():
                    what, digest = "symlink", hashlib.sha256(member.linkname.encode()).hexdigest()
                elif member.isdir():
                    what, digest = "dir", ""
                else:
                    what, digest = "file", _streamed_sha256(tar, member)
                    members[relative] = member
                entries[relative] = Entry(
                    what, member.mode, int(member.mtime), member.size, digest, order
                )
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ConfigError(f"{archive}: not a readable payload archive ({exc})") from None
    return Side(str(archive), scratch, entries, archive, members)


def _streamed_sha256(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    handle = tar.extractfile(member)
    assert handle is not None
    with handle:
        return handle_sha256(handle)


@contextmanager
def open_side(path: Path) -> Iterator[Side]:
    if path.is_dir():
        yield _directory_side(path)
        return
    if not path.is_file():
        raise ConfigError(f"{path}: no such payload directory or archive")
    with tempfile.TemporaryDirectory(prefix="djdesk-diff-") as scratch:
        yield _archive_side(path, Path(scratch))


@dataclass
class DiffReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # path -> what differs
    details: dict[str, list[str]] = field(default_factory=dict)  # path -> a closer look
    sbom_added: list[str] = field(default_factory=list)
    sbom_removed: list[str] = field(default_factory=list)
    sbom_changed: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # archive-level differences

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.notes)

    def lines(self) -> list[str]:
        out = [f"added: {p}" for p in self.added] + [f"removed: {p}" for p in self.removed]
        # Thousands of entries that differ only by one mtime shift read best as one line.
        mtime_only: dict[str, list[str]] = {}
        for path, what in self.changed.items():
            if len(what) == 1 and what[0].startswith("mtime "):
                mtime_only.setdefault(what[0], []).append(path)
        grouped = {p for paths in mtime_only.values() if len(paths) > MTIME_GROUP for p in paths}
        for path, what in self.changed.items():
            if path not in grouped:
                out.append(f"changed: {path} ({', '.join(what)})")
                out += [f"    {line}" for line in self.details.get(path, [])]
        for change, paths in mtime_only.items():
            if len(paths) > MTIME_GROUP:
                examples = ", ".join(paths[:MTIME_GROUP])
                out.append(f"changed: {len(paths)} entries only by {change} (e.g. {examples}, …)")
        out += [f"sbom: added {c}" for c in self.sbom_added]
        out += [f"sbom: removed {c}" for c in self.sbom_removed]
        for component, what in self.sbom_changed.items():
            out.append(f"sbom: changed {component}: {'; '.join(what)}")
        return out + self.notes


def _entry_changes(a: Entry, b: Entry) -> list[str]:
    what = []
    if a.kind != b.kind:
        what.append(f"type {a.kind} -> {b.kind}")
    if a.mode != b.mode:
        what.append(f"mode {a.mode:04o} -> {b.mode:04o}")
    if a.mtime is not None and b.mtime is not None and a.mtime != b.mtime:
        what.append(f"mtime {a.mtime} -> {b.mtime}")
    if a.kind == b.kind and a.size != b.size:
        what.append(f"size {a.size} -> {b.size}")
    if a.kind == b.kind and a.sha256 != b.sha256:
        what.append("content")
    return what


def compare(first: Side, second: Side, deep: bool = True) -> DiffReport:
    a, b = first.entries, second.entries
    report = DiffReport(
        added=sorted(set(b) - set(a)),
        removed=sorted(set(a) - set(b)),
    )
    binaries = 0
    for path in sorted(set(a) & set(b)):
        what = _entry_changes(a[path], b[path])
        if not what:
            continue
        report.changed[path] = what
        if "content" in what and a[path].kind == "file":
            files = first.path(path), second.path(path)
            if files[0] is None or files[1] is None:
                report.details[path] = [f"no closer look: over {DETAIL_MAX_BYTES} bytes"]
                continue
            details, is_binary = content_details(
                files[0], files[1], path, deep and binaries < DIFFOSCOPE_FILES
            )
            binaries += is_binary
            if details:
                report.details[path] = details
    sbom_a, sbom_b = first.path(contract.SBOM), second.path(contract.SBOM)
    sbom_changed = "content" in report.changed.get(contract.SBOM, [])
    if sbom_changed and sbom_a is not None and sbom_b is not None:
        sbom_changes(sbom_a, sbom_b, report, (first.label, second.label))
    if first.archive and second.archive and not (report.added or report.removed):
        if [p for p, _ in sorted(a.items(), key=lambda i: i[1].order)] != [
            p for p, _ in sorted(b.items(), key=lambda i: i[1].order)
        ]:
            report.notes.append("archive: the entries are in a different order")
        if (
            not report.changed
            and not report.notes
            and file_sha256(first.archive) != file_sha256(second.archive)
        ):
            report.notes.append(
                "archive: same entries, different bytes (compression or tar framing)"
            )
    return report


def diff_payloads(first: Path, second: Path, deep: bool = True) -> DiffReport:
    if first.is_file() and second.is_file() and file_sha256(first) == file_sha256(second):
        return DiffReport()  # the same archive bytes: nothing to unpack
    with open_side(first) as a, open_side(second) as b:
        return compare(a, b, deep)


# --- a closer look inside one changed file ---


def content_details(a: Path, b: Path, label: str, deep: bool) -> tuple[list[str], bool]:
    """Lines that say what changed inside a file, and whether it is a binary file."""
    head_a, head_b = _head(a), _head(b)
    if head_a.startswith(SQLITE_MAGIC) and head_b.startswith(SQLITE_MAGIC):
        return sqlite_changes(a, b), False
    text_a, text_b = _text(a), _text(b)
    if text_a is not None and text_b is not None:
        return text_diff(text_a, text_b, label), False
    return (diffoscope(a, b) if deep else []), True


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC))


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def text_diff(a: str, b: str, label: str) -> list[str]:
    lines = list(
        difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"a/{label}", f"b/{label}", n=1, lineterm=""
        )
    )
    if len(lines) > TEXT_DIFF_LINES:
        lines = [*lines[:TEXT_DIFF_LINES], f"... ({len(lines) - TEXT_DIFF_LINES} more lines)"]
    return lines


def _sqlite_read(path: Path) -> tuple[dict[str, str], dict[str, list[tuple[Any, ...]]]]:
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"  # "#", "%", a drive: escaped
    with closing(sqlite3.connect(uri, uri=True)) as db:
        schema = {
            f"{kind} {name}": sql or ""
            for kind, name, sql in db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        }
        rows = {}
        for key in schema:
            kind, name = key.split(" ", 1)
            if kind == "table":
                quoted = '"' + name.replace('"', '""') + '"'
                rows[name] = list(db.execute(f"SELECT * FROM {quoted}"))
    return schema, rows


def sqlite_changes(a: Path, b: Path) -> list[str]:
    """Schema objects added, removed or changed; per table, rows added and removed."""
    try:
        schema_a, rows_a = _sqlite_read(a)
        schema_b, rows_b = _sqlite_read(b)
    except sqlite3.DatabaseError as exc:
        return [f"sqlite: unreadable ({exc})"]
    out = [f"schema: added {k}" for k in sorted(set(schema_b) - set(schema_a))]
    out += [f"schema: removed {k}" for k in sorted(set(schema_a) - set(schema_b))]
    out += [
        f"schema: changed {k}"
        for k in sorted(set(schema_a) & set(schema_b))
        if schema_a[k] != schema_b[k]
    ]
    for table in sorted(set(rows_a) & set(rows_b)):
        before, after = _counted(rows_a[table]), _counted(rows_b[table])
        gone = sum((before - after).values())
        new = sum((after - before).values())
        if gone or new:
            sample = next(iter(after - before or before - after))
            out.append(f"table {table}: {new} row(s) added, {gone} removed (e.g. {sample!r})")
    if not out:
        out.append("sqlite: same schema and rows (the file layout differs: page order, free pages)")
    return out


def _counted(rows: list[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    return Counter(rows)


def diffoscope(a: Path, b: Path) -> list[str]:
    """diffoscope's text report on two binary files, when it is installed."""
    tool = shutil.which("diffoscope")
    if tool is None:
        return []
    try:
        result = subprocess.run(
            [
                tool,
                "--text",
                "-",
                "--no-progress",
                "--exclude-directory-metadata=yes",
                str(a),
                str(b),
            ],
            capture_output=True,
            text=True,
            timeout=DIFFOSCOPE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ["diffoscope: did not finish"]
    lines = ["diffoscope:", *result.stdout.splitlines()[2:]]  # its first lines name the files
    if len(lines) > DIFFOSCOPE_LINES:
        lines = [*lines[:DIFFOSCOPE_LINES], f"... ({len(lines) - DIFFOSCOPE_LINES} more lines)"]
    return lines


# --- the SBOMs ---


def _sbom_components(path: Path, label: str) -> dict[str, dict[str, Any]]:
    """{a component's identity without its version: the component}, nested ones included."""
    found = {}
    for component in read_sbom(path, f"{label}: {contract.SBOM}").every_component:
        purl = str(component.get("purl") or component.get("bom-ref") or component.get("name"))
        identity = purl.split("@", 1)[0].split("?", 1)[0]
        found[identity] = component
    return found


def _label(component: dict[str, Any]) -> str:
    return f"{component.get('name')} {component.get('version', '')}".strip()


def sbom_changes(a: Path, b: Path, report: DiffReport, labels: tuple[str, str]) -> None:
    before, after = _sbom_components(a, labels[0]), _sbom_components(b, labels[1])
    report.sbom_added = [_label(after[k]) for k in sorted(set(after) - set(before))]
    report.sbom_removed = [_label(before[k]) for k in sorted(set(before) - set(after))]
    for key in sorted(set(before) & set(after)):
        old, new = before[key], after[key]
        what = []
        for name in ("version", "hashes", "licenses", "cpe", "purl"):
            if old.get(name) != new.get(name):
                if name == "version":
                    what.append(f"version {old.get(name)} -> {new.get(name)}")
                elif name != "purl" or old.get("version") == new.get("version"):
                    what.append(name)
        if what:
            report.sbom_changed[str(old.get("name"))] = what
