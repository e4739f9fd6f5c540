"""Stage 6, describe: VERSION, build-info.json, the SBOM and SHA256SUMS."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import contract
from .manifest import InterpreterPin


@dataclass(frozen=True)
class SourceState:
    name: str
    version: str
    git_sha: str  # "" outside a git checkout
    dirty: bool
    source_date_epoch: int


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def write_version(payload: Path, state: SourceState) -> None:
    sha = state.git_sha or "unknown"
    dirty = " (dirty)" if state.dirty else ""
    write_atomic(
        payload / contract.VERSION_FILE, f"{state.name} {state.version}\ngit {sha}{dirty}\n"
    )


def write_build_info(payload: Path, info: dict[str, Any]) -> None:
    text = json.dumps(info, indent=2, sort_keys=True) + "\n"
    write_atomic(payload / contract.BUILD_INFO, text)


def build_info(state: SourceState, pin: InterpreterPin, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": contract.BUILD_INFO_SCHEMA_VERSION,
        "name": state.name,
        "version": state.version,
        "git": {"sha": state.git_sha, "dirty": state.dirty},
        "source_date_epoch": state.source_date_epoch,
        "interpreter": {
            "python_version": pin.python_version,
            "release": pin.release,
            "triple": pin.triple,
            "variant": pin.variant,
            "sha256": pin.sha256,
            "url": pin.url,
        },
        **extra,
    }


def payload_files(payload: Path) -> list[str]:
    """Every file of the payload (symlinks included), as sorted POSIX relative paths."""
    found = []
    for current, dirnames, filenames in os.walk(payload):
        dirnames.sort()
        for name in filenames:
            found.append((Path(current) / name).relative_to(payload).as_posix())
    return sorted(found)


def write_checksums(payload: Path) -> int:
    lines = [
        f"{file_sha256(payload / rel)}  {rel}\n"
        for rel in payload_files(payload)
        if rel != contract.CHECKSUMS
    ]
    write_atomic(payload / contract.CHECKSUMS, "".join(lines))
    return len(lines)


def parse_checksums(text: str) -> dict[str, str]:
    entries = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, rel = line.partition("  ")
            entries[rel] = digest
    return entries
