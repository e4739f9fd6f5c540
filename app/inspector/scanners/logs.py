"""A bounded tail of the project's ``*.log`` files, with timestamp and level parsed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .layout import Finding, iter_project_dirs

LINE_PATTERN = re.compile(
    r"^\[?(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?(?P<time>\d{2}:\d{2}:\d{2})(?:[.,]\d+)?\]?"
    r"\s*[\[\-|]?\s*(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\b[\]:|\-\s]*(?P<msg>.*)$",
    re.IGNORECASE,
)
LEVEL_NAMES = {"warn": "warning"}


@dataclass
class LogEntry:
    file: str
    timestamp: str
    level: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "timestamp": self.timestamp,
            "level": self.level,
            "message": self.message,
        }


@dataclass
class LogScan:
    files: list[str]
    entries: list[LogEntry]
    findings: list[Finding] = field(default_factory=list)

    def level_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(e.level for e in self.entries).items()))

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "entries": [e.to_dict() for e in self.entries],
            "levels": self.level_counts(),
            "findings": [f.to_dict() for f in self.findings],
        }


def parse_line(line: str, file: str) -> LogEntry:
    match = LINE_PATTERN.match(line.strip())
    if not match:
        return LogEntry(file, "", "info", line.strip())
    level = match["level"].lower()
    return LogEntry(file, match["time"], LEVEL_NAMES.get(level, level), match["msg"].strip())


def tail_lines(path: Path, max_bytes: int, max_lines: int) -> tuple[list[str], bool]:
    """The last lines of a file, reading at most max_bytes (a 2 GB log costs the same)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        start = max(0, size - max_bytes)
        handle.seek(start)
        data = handle.read(max_bytes)
    lines = data.decode("utf-8", errors="replace").splitlines()
    if start > 0 and lines:
        lines = lines[1:]  # the first line was cut by the seek
    return [line for line in lines if line.strip()][-max_lines:], start > 0


def scan_logs(root: Path, max_bytes: int = 256 * 1024, max_lines: int = 200) -> LogScan:
    root = Path(root)
    files = sorted(
        path
        for directory in iter_project_dirs(root)
        for path in directory.glob("*.log")
        if path.is_file()
    )
    entries: list[LogEntry] = []
    findings: list[Finding] = []
    for path in files:
        rel = str(path.relative_to(root))
        try:
            lines, truncated = tail_lines(path, max_bytes, max_lines)
        except OSError as exc:
            findings.append(Finding("error", f"unreadable: {exc.strerror or exc}", rel))
            continue
        if truncated:
            findings.append(
                Finding("info", f"large log: read only its last {max_bytes} bytes", rel)
            )
        entries.extend(parse_line(line, rel) for line in lines)
    return LogScan(
        files=[str(p.relative_to(root)) for p in files],
        entries=entries[-max_lines:],
        findings=findings,
    )
