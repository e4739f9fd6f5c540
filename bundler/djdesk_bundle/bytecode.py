"""Precompiled, reproducible bytecode, made with the payload's own interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import contract
from .errors import AppStageError
from .tools import run, tail


def runnable_python(executable: Path) -> bool:
    """Can this host run the payload's own interpreter (same OS and architecture)?"""
    if not executable.exists():
        return False
    try:
        probe = subprocess.run(
            [str(executable), "-I", "-B", "-c", "pass"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return probe.returncode == 0


def host_python() -> Path:
    return Path(sys.executable)


def compile_bytecode(python: Path, payload: Path, paths: list[Path], legacy: bool = False) -> None:
    """Hash-based .pyc whose recorded paths name the payload, not the build directory.

    ``paths`` are directories (compiled recursively) or single files of the payload;
    ``legacy`` writes each ``.pyc`` beside its module (imported even without the ``.py``).
    """
    for path in paths:
        if not path.exists():
            continue
        folder = path if path.is_dir() else path.parent
        logical = f"{contract.ARCHIVE_ROOT}/{folder.relative_to(payload).as_posix()}".rstrip("/.")
        argv = [
            str(python),
            "-I",
            "-B",
            "-m",
            "compileall",
            "-f",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "checked-hash",
            *(["-b"] if legacy else []),
            "-d",
            logical,
            str(path),
        ]
        result = run(argv)
        # compileall exits 1 when some file does not compile (e.g. py2-only test data).
        if result.returncode not in (0, 1):
            raise AppStageError(f"compileall failed in {path}:\n{tail(result.stderr)}")
