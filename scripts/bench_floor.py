"""The floor of a cold build, for `just bench`: the payload's tree made the cheapest way
this machine knows, timed as one whole run, beside DJDesk's cold build.

Extract the interpreter archive, delete what the build pruned from it (the list is taken
from the payload before the clock starts), ``uv pip install`` the locked wheels from uv's
warm cache, copy the app, runtime, static files, docs and samples from the payload,
``compileall`` on 2 processes, and write the ``.tar.gz`` at the build's level on 2 threads
(8 MiB of tar per gzip member, as the build writes it; zlib releases the GIL). No checks,
no SBOM, no template database, no report: what is left is the work any tool must do.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from djdesk_runtime.contract import INTERPRETER_POSIX, SITE_PACKAGES_DIR

CHUNK = 8 << 20
THREADS = 2
NO_BYTECODE = shutil.ignore_patterns("__pycache__")


def pruned_paths(interpreter_archive: Path, payload: Path, scratch: Path) -> list[str]:
    """What the build left out of the interpreter: the highest paths (relative to the
    archive's root) that the payload's ``python/`` does not have."""
    shutil.unpack_archive(interpreter_archive, scratch)
    root = scratch / "python"
    removed: list[str] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        for name in [*dirs, *files]:
            relative = (here / name).relative_to(scratch)
            if not (payload / relative).exists() and not (payload / relative).is_symlink():
                removed.append(str(relative))
                if name in dirs:
                    dirs.remove(name)
    shutil.rmtree(root)
    return removed


def compress(tree: Path, target: Path, level: int) -> None:
    """``tree`` as a .tar.gz of gzip members compressed on THREADS threads."""
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        tar.add(tree, arcname=tree.name)
    data = stream.getbuffer()
    with ThreadPoolExecutor(THREADS) as pool, target.open("wb") as out:
        chunks = (bytes(data[i : i + CHUNK]) for i in range(0, len(data), CHUNK))
        for member in pool.map(lambda chunk: gzip.compress(chunk, level, mtime=0), chunks):
            out.write(member)


def build(
    interpreter_archive: Path,
    requirements: Path,
    payload: Path,
    pruned: list[str],
    work: Path,
    level: int,
) -> float:
    """One floor build into ``work`` (emptied first): seconds."""
    shutil.rmtree(work, ignore_errors=True)
    tree = work / payload.name
    tree.mkdir(parents=True)
    start = time.perf_counter()
    subprocess.run(["tar", "-xzf", str(interpreter_archive), "-C", str(tree)], check=True)
    for relative in pruned:
        path = tree / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    python = tree / INTERPRETER_POSIX
    install = ["uv", "pip", "install", "-q", "--python", str(python), "--no-deps"]
    target = tree / SITE_PACKAGES_DIR
    subprocess.run(
        [*install, "--require-hashes", "--target", str(target), "-r", str(requirements)],
        check=True,
        env={**os.environ, "UV_LINK_MODE": "copy"},
    )
    for part in payload.iterdir():
        if part.name not in ("python", SITE_PACKAGES_DIR):
            if part.is_dir():  # without bytecode: compileall writes it
                shutil.copytree(part, tree / part.name, ignore=NO_BYTECODE)
            else:
                shutil.copy2(part, tree / part.name)
    subprocess.run(
        [str(python), "-I", "-m", "compileall", "-q", "-j", str(THREADS), str(tree)],
        check=True,
    )
    compress(tree, work / f"{payload.name}.tar.gz", level)
    return time.perf_counter() - start
