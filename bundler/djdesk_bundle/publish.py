"""Build in a staging directory, then swap it into place; repair an interrupted swap.

The swap is two renames: ``OUT -> OUT.old`` then ``STAGING -> OUT``. A kill between
them leaves ``OUT.old`` and no ``OUT``; ``recover()`` (run first by every build) puts
``OUT.old`` back. Any other leftover (an abandoned staging dir, a finished swap's
``OUT.old``) is removed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


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


def recover(output: Path) -> list[str]:
    """Bring OUT back to the last complete payload; return what was repaired."""
    repaired = []
    old = old_path(output)
    if old.exists() and not output.exists():
        os.replace(old, output)
        repaired.append(f"restored {output} from an interrupted swap")
    elif old.exists():
        shutil.rmtree(old)
    for stale in output.parent.glob(f"{output.name}.staging-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)) or int(pid) == os.getpid():
            shutil.rmtree(stale, ignore_errors=True)
            repaired.append(f"removed the abandoned {stale.name}")
    return repaired


def publish(staging: Path, output: Path) -> None:
    old = old_path(output)
    if output.exists():
        os.replace(output, old)
    os.replace(staging, output)
    shutil.rmtree(old, ignore_errors=True)
