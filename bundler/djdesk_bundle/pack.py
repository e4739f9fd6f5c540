"""Stage 7, pack: a deterministic ``.tar.gz`` of the payload and its digest.

Same payload + same SOURCE_DATE_EPOCH => same bytes: entries in a fixed order
(interpreter, deps, app, static, docs, samples, then the top-level files; sorted within
each part), every mtime set to SOURCE_DATE_EPOCH, uid/gid 0 with no user names,
modes normalised to 0755/0644, and a gzip header with no file name and no time.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import tarfile
from pathlib import Path

from . import contract


def ordered_entries(payload: Path) -> list[Path]:
    """Payload paths (relative) in archive order: directories before their contents."""

    def tree(relative: Path) -> list[Path]:
        root = payload / relative
        if root.is_dir() and not root.is_symlink():
            return [relative, *sorted(p.relative_to(payload) for p in root.rglob("*"))]
        return [relative]

    known = set(contract.ARCHIVE_PARTS) | set(contract.TOP_LEVEL_FILES)
    parts = [Path(part) for part in contract.ARCHIVE_PARTS if (payload / part).is_dir()]
    rest = sorted(Path(p.name) for p in payload.iterdir() if p.name not in known)
    top = [Path(name) for name in contract.TOP_LEVEL_FILES if (payload / name).exists()]
    return [entry for group in (*parts, *rest) for entry in tree(group)] + top


def _tarinfo(base: Path, relative: Path, root_name: str, mtime: int) -> tarfile.TarInfo:
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


def write_deterministic_tar(
    destination: Path, base: Path, root_name: str, entries: list[Path], mtime: int
) -> str:
    """Write ``base``'s entries under ``root_name/`` atomically; return the sha256.

    Also writes ``<archive>.sha256``.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".tmp")
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        root = tarfile.TarInfo(root_name)
        root.type, root.mode, root.mtime = tarfile.DIRTYPE, 0o755, mtime
        tar.addfile(root)
        for relative in entries:
            info = _tarinfo(base, relative, root_name, mtime)
            if info.isreg():
                with (base / relative).open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    os.replace(tmp, destination)
    sidecar = destination.with_name(destination.name + ".sha256")
    sidecar.write_text(f"{digest}  {destination.name}\n", encoding="utf-8")
    return digest


def write_archive(payload: Path, destination: Path, source_date_epoch: int) -> str:
    """The payload archive; its sha256 is returned and written to ``<archive>.sha256``."""
    return write_deterministic_tar(
        destination, payload, contract.ARCHIVE_ROOT, ordered_entries(payload), source_date_epoch
    )
