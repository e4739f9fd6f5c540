"""SHA256SUMS: the sha256 of every other file of a payload, sorted by path, in the format
``sha256sum`` reads (digest, two spaces, POSIX path). ``describe`` writes it; ``verify``
and ``diff`` read it."""

from __future__ import annotations

import stat
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.cache.digests import file_sha256, remembered
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.fs.tree import walk


def payload_file_digests(payload: Path) -> dict[str, str]:
    """{POSIX relative path: sha256} of every file of the payload; a symlink to a file
    counts as that file, one to a directory is not a file (``verify`` refuses it)."""
    digests = {}
    for rel, info in walk(payload):
        if stat.S_ISREG(info.st_mode):
            digests[rel] = remembered(info) or file_sha256(payload / rel)
        elif stat.S_ISLNK(info.st_mode) and not (payload / rel).is_dir():
            digests[rel] = file_sha256(payload / rel)
    return digests


def write_checksums(payload: Path) -> int:
    digests = payload_file_digests(payload)
    digests.pop(contract.CHECKSUMS, None)
    lines = [f"{digests[rel]}  {rel}\n" for rel in sorted(digests)]
    write_atomic(payload / contract.CHECKSUMS, "".join(lines))
    return len(lines)


def parse_checksums(text: str) -> dict[str, str]:
    entries = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, rel = line.partition("  ")
            entries[rel] = digest
    return entries
