"""SHA256SUMS: the sha256 of every other file of a payload, sorted by path, in the format
``sha256sum`` reads (digest, two spaces, POSIX path). ``describe`` writes it; ``verify``
and ``diff`` read it."""

from __future__ import annotations

import stat
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.fs.tree import walk


def payload_file_digests(payload: Path, known: Digests | None = None) -> dict[str, str]:
    """{POSIX relative path: sha256} of every file of the payload; a symlink to a file
    counts as that file, one to a directory is not a file (``verify`` refuses it). A
    build passes the digests it ``known`` (files linked from the previous payload)."""
    sha256 = known.file_sha256 if known is not None else file_sha256
    digests = {}
    for rel, info in walk(payload):
        if stat.S_ISREG(info.st_mode):
            looked_up = known.remembered(info) if known is not None else None
            digests[rel] = looked_up or sha256(payload / rel)
        elif stat.S_ISLNK(info.st_mode) and not (payload / rel).is_dir():
            digests[rel] = sha256(payload / rel)
    return digests


def write_checksums(payload: Path, known: Digests | None = None) -> int:
    digests = payload_file_digests(payload, known)
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
