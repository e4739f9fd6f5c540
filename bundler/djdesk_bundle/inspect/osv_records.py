"""Reading untrusted JSON: SBOMs and OSV records checked for shape where the audit reads
them, and OSV exports (a directory, or a zip as OSV distributes it) read within limits.

A record of the wrong shape (a list for an object, a number for a string, nesting past
what a parser follows) is a one-line ``ConfigError`` naming the file and the field, never
an ``AttributeError`` or ``RecursionError``; a zip is read member by member, each to at
most ``MAX_RECORD_BYTES`` whatever its header claims, so memory stays bounded by one
record however the archive was made.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from djdesk_bundle.errors import ConfigError

# OSV records are kilobytes (the largest PyPI ones, with long version lists, under 2 MB).
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_RECORDS = 2_000_000


def load_json(data: bytes | str, where: str, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise ConfigError(f"{where}: not {what} (nested too deeply)") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: not {what} ({exc})") from None


def expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"{where}: expected {names}, got {type(value).__name__}")
    return value


def strings(value: Any, where: str) -> list[str]:
    items: list[str] = expect(value, list, where)
    for i, item in enumerate(items):
        expect(item, str, f"{where}[{i}]")
    return items


def _check_entry(entry: Any, where: str) -> None:
    expect(entry, dict, where)
    if "package" in entry:
        package = expect(entry["package"], dict, f"{where}.package")
        for key in ("ecosystem", "name"):
            expect(package.get(key, ""), str, f"{where}.package.{key}")
    strings(entry.get("versions", []), f"{where}.versions")
    for i, found in enumerate(expect(entry.get("ranges", []), list, f"{where}.ranges")):
        at = f"{where}.ranges[{i}]"
        expect(found, dict, at)
        expect(found.get("type", ""), str, f"{at}.type")
        expect(found.get("repo", ""), str, f"{at}.repo")
        for j, event in enumerate(expect(found.get("events", []), list, f"{at}.events")):
            expect(event, dict, f"{at}.events[{j}]")
            for key, value in event.items():
                expect(value, str, f"{at}.events[{j}].{key}")
    _check_severity(entry, where)


def _check_severity(item: dict[str, Any], where: str) -> None:
    for i, rated in enumerate(expect(item.get("severity", []), list, f"{where}.severity")):
        expect(expect(rated, dict, f"{where}.severity[{i}]").get("score", ""), str,
                f"{where}.severity[{i}].score")  # fmt: skip
    expect(item.get("database_specific") or {}, dict, f"{where}.database_specific")


def checked_record(record: Any, where: str) -> dict[str, Any] | None:
    """The record if it has the OSV schema's shape where this reads it; None for a JSON
    file that is not an OSV record at all (no ``id``)."""
    if not isinstance(record, dict) or "id" not in record:
        return None
    expect(record["id"], str, f"{where}: id")
    strings(record.get("aliases", []), f"{where}: aliases")
    for key in ("summary", "details"):
        expect(record.get(key) or "", str, f"{where}: {key}")
    _check_severity(record, f"{where}:")
    for i, entry in enumerate(expect(record.get("affected", []), list, f"{where}: affected")):
        _check_entry(entry, f"{where}: affected[{i}]")
    return record


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        within(len(files) <= MAX_RECORDS, f"{path}: more than {MAX_RECORDS} files")
        for file in files:
            within(file.stat().st_size <= MAX_RECORD_BYTES, f"{file}: {too_big()}")
            yield from _parsed(file.read_bytes(), str(file))
    elif zipfile.is_zipfile(path):
        yield from _zip_records(path)
    else:
        raise ConfigError(f"{path}: --osv needs a directory of OSV JSON files or an OSV zip")


def within(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def too_big() -> str:
    return f"larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB: not an OSV record"


def _zip_records(path: Path) -> Iterator[dict[str, Any]]:
    """Member by member, each read to at most ``MAX_RECORD_BYTES`` (whatever its header
    claims): memory stays bounded by one record however the archive is made."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.endswith(".json")]
            within(len(members) <= MAX_RECORDS, f"{path}: more than {MAX_RECORDS} records")
            for member in sorted(members, key=lambda m: m.filename):
                where = f"{path}:{member.filename}"
                within(member.file_size <= MAX_RECORD_BYTES, f"{where}: {too_big()}")
                with archive.open(member) as stream:
                    data = stream.read(MAX_RECORD_BYTES + 1)
                within(len(data) <= MAX_RECORD_BYTES, f"{where}: {too_big()}")
                yield from _parsed(data, where)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise ConfigError(f"{path}: not a readable OSV zip ({exc})") from None


def _parsed(data: bytes, where: str) -> Iterator[dict[str, Any]]:
    record = checked_record(load_json(data, where, "an OSV JSON record"), where)
    if record is not None:
        yield record
