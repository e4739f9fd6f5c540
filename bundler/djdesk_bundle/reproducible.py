"""``build --check-reproducible``: two builds in different places, compared byte for byte."""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .build import build
from .config import Options
from .digests import file_sha256
from .ui import Reporter


def _member_digests(archive: Path) -> dict[str, str]:
    import hashlib

    digests = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            data = tar.extractfile(member).read() if member.isreg() else b""  # type: ignore[union-attr]
            meta = f"{member.mode}:{member.mtime}:{member.uid}:{member.linkname}".encode()
            digests[member.name] = hashlib.sha256(meta + data).hexdigest()
    return digests


def archive_differences(first: Path, second: Path) -> list[str]:
    """Names of the entries that differ between two archives, in archive order."""
    a, b = _member_digests(first), _member_digests(second)
    names = list(a) + [n for n in b if n not in a]
    return [n for n in names if a.get(n) != b.get(n)] or (
        [] if file_sha256(first) == file_sha256(second) else ["(archive framing differs)"]
    )


def check_reproducible(options: Options, reporter: Reporter, env: Mapping[str, str]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="djdesk-repro-") as scratch:
        root = Path(scratch)
        results = [
            build(
                options, reporter, env, output=root / f"b{i}" / "out", dist=root / f"b{i}" / "dist"
            )
            for i in (1, 2)
        ]
        if results[0].archive_sha256 == results[1].archive_sha256:
            return []
        return archive_differences(results[0].archive, results[1].archive)
