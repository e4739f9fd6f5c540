"""Writes that a reader never sees half done: a temporary file beside the target, then
``os.replace``, which is atomic on one file system."""

from __future__ import annotations

import os
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """A name beside ``path`` that no other process writes (two builds may race)."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def write_atomic(path: Path, text: str) -> None:
    tmp = temporary_sibling(path)
    try:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = temporary_sibling(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
