"""Precompiled, reproducible bytecode, made with the payload's own interpreter."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.errors import AppStageError
from djdesk_bundle.tools.process import run, tail


def host_python() -> Path:
    return Path(sys.executable)


COMPILE = """
import compileall, py_compile, sys
from pathlib import Path
legacy, workers = sys.argv[1] == "1", int(sys.argv[2])
mode = py_compile.PycInvalidationMode.CHECKED_HASH
for path, logical in zip(sys.argv[3::2], sys.argv[4::2]):
    options = dict(ddir=logical, force=True, quiet=1, legacy=legacy, invalidation_mode=mode)
    if Path(path).is_dir():
        compileall.compile_dir(path, workers=workers, **options)
    else:
        compileall.compile_file(path, **options)
"""


def compile_bytecode(
    python: Path, payload: Path, paths: list[Path], legacy: bool = False, parallel: bool = True
) -> None:
    """Hash-based .pyc whose recorded paths name the payload, not the build directory.

    ``paths`` are directories (compiled recursively) or single files of the payload, all
    in one process; ``legacy`` writes each ``.pyc`` beside its module (imported even
    without the ``.py``); ``parallel`` uses every core (worth its start-up cost for
    thousands of modules, not for an app's few dozen). A module that does not compile
    (e.g. py2-only test data) is skipped, as ``compileall`` does.
    """
    pairs = []
    for path in paths:
        if path.exists():
            folder = path if path.is_dir() else path.parent
            logical = f"{contract.ARCHIVE_ROOT}/{folder.relative_to(payload).as_posix()}"
            pairs += [str(path), logical.rstrip("/.")]
    if not pairs:
        return
    flags = ["1" if legacy else "0", "0" if parallel else "1"]
    result = run([str(python), "-I", "-B", "-c", COMPILE, *flags, *pairs])
    if result.returncode != 0:
        raise AppStageError(f"compileall failed in {paths[0]}:\n{tail(result.stderr)}")


def drop_sources(root: Path) -> int:
    """Make ``root`` sourceless once ``compile_bytecode(..., legacy=True)`` ran on it: remove
    each ``.py`` that has its ``.pyc`` beside it, and every ``__pycache__`` (never read
    without the ``.py``: an archive's own, other optimisation levels); how many ``.py`` went.
    A top-level ``*.dist-info`` is left alone (the SBOM and ``verify`` read it). (os.walk:
    one directory listing answers "is the .pyc there" for all its files.)"""
    dropped = 0
    for folder, dirs, files in os.walk(root):
        if folder == str(root):
            dirs[:] = [d for d in dirs if not d.endswith(".dist-info")]
        if "__pycache__" in dirs:
            dirs.remove("__pycache__")
            cache = os.path.join(folder, "__pycache__")
            if os.path.islink(cache):
                os.unlink(cache)
            else:
                shutil.rmtree(cache)
        present = set(files)
        for name in files:
            if name.endswith(".py") and f"{name}c" in present:
                os.unlink(os.path.join(folder, name))
                dropped += 1
    return dropped
