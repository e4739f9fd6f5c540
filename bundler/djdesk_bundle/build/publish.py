"""Build in a staging directory, then swap it into place; repair an interrupted swap.

The swap is two renames: ``OUT -> OUT.old`` then ``STAGING -> OUT``. A kill between
them leaves ``OUT.old`` and no ``OUT``; ``recover()`` (run first by every build) puts
``OUT.old`` back. Any other leftover (an abandoned staging dir, a finished swap's
``OUT.old``) is removed.

The replaced payload is not deleted while the command waits: once the swap is done,
``OUT.old`` is renamed to ``OUT.discard-*`` (a name ``recover()`` never restores) and a
detached child process deletes it. A deletion cut short (the machine stopped) is finished
by the next build's ``recover()``, again in the background. The new payload shares no
file that the deletion could change: files it hard-linked from the old one are only
unlinked from the old directory.

Because publishing replaces OUT wholesale, OUT must be a directory the bundler owns:
missing, empty, or a previous payload (``build-info.json`` and ``SHA256SUMS``), and never
the project's sources or a folder holding them (``check_output_dir``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.options import Options


def old_path(output: Path) -> Path:
    return output.with_name(output.name + ".old")


def staging_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.staging-{os.getpid()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discard_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.discard-{uuid.uuid4().hex[:12]}")


# The deleters this process started: kept so that they are never garbage-collected while
# running (Popen warns then); they outlive the process, detached.
_DELETERS: list[subprocess.Popen[bytes]] = []
_DELETE = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"


def delete_in_background(path: Path) -> None:
    """Delete ``path`` in a detached child process; in this one if none can start."""
    try:
        _DELETERS.append(
            subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _DELETE, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # not stopped by a Ctrl-C meant for the build
            )
        )
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _set_aside(old: Path, output: Path, discard: Callable[[Path], None]) -> None:
    aside = discard_path(output)
    os.replace(old, aside)
    discard(aside)


def recover(output: Path, discard: Callable[[Path], None] = delete_in_background) -> list[str]:
    """Bring OUT back to the last complete payload; return what was repaired."""
    repaired = []
    old = old_path(output)
    if old.exists() and not output.exists():
        os.replace(old, output)
        repaired.append(f"restored {output} from an interrupted swap")
    elif old.exists():
        os.replace(old, discard_path(output))
    for unfinished in output.parent.glob(f"{output.name}.discard-*"):
        discard(unfinished)  # a deletion cut short; harmless if one is still running
    for stale in output.parent.glob(f"{output.name}.staging-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)) or int(pid) == os.getpid():
            shutil.rmtree(stale, ignore_errors=True)
            repaired.append(f"removed the abandoned {stale.name}")
    return repaired


def publish(
    staging: Path, output: Path, discard: Callable[[Path], None] = delete_in_background
) -> None:
    """Swap ``staging`` into place; the payload it replaces is handed to ``discard``."""
    old = old_path(output)
    if output.exists():
        os.replace(output, old)
    os.replace(staging, output)
    if old.exists():
        _set_aside(old, output, discard)


def is_payload(directory: Path) -> bool:
    """Does this directory hold a payload a previous build wrote?"""
    return all(
        (directory / name).is_file() and not (directory / name).is_symlink()
        for name in (contract.BUILD_INFO, contract.CHECKSUMS)
    )


def check_output_dir(output: Path, project_dir: Path, sources: list[Path]) -> None:
    """Refuse an output dir whose contents a build would destroy (see the module doc):
    one that is, holds or lies inside a source folder (the app, samples, docs; inside
    is allowed only when that folder is the project dir itself, as with ``app-dir = "."``,
    where the emptiness check below protects the rest)."""
    for source in [project_dir, *sources]:
        inside = output.is_relative_to(source) and source != project_dir
        if output == source or source.is_relative_to(output) or inside:
            raise ConfigError(
                f"output {output} overlaps the project's sources {source}: a build "
                "replaces its output dir wholesale; choose a directory of its own"
            )
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise ConfigError(f"output {output} exists and is not a directory")
    if output.is_dir() and any(output.iterdir()) and not is_payload(output):
        raise ConfigError(
            f"output {output} is not empty and holds no previous payload "
            f"({contract.BUILD_INFO} and {contract.CHECKSUMS}); a build would replace "
            "everything in it: empty it or choose another directory"
        )


def source_dirs(options: Options) -> list[Path]:
    """The project's folders a build reads and must never replace."""
    optional = [options.samples_dir, options.docs_dir]
    return [options.app_path, *(options.path(folder) for folder in optional if folder)]
