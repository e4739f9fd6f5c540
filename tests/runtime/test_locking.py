"""The data-dir lock, contended by a real second process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_runtime.errors import LaunchError
from djdesk_runtime.locking import exclusive_lock
from tests.conftest import REPO

HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[2])
from djdesk_runtime.locking import exclusive_lock
from pathlib import Path
with exclusive_lock(Path(sys.argv[1]), 5, print):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_holder_waits_then_gives_up_with_its_code(tmp_path: Path) -> None:
    lock = tmp_path / "data" / "launcher.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), str(REPO / "bundler")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        said: list[str] = []
        with pytest.raises(LaunchError) as raised, exclusive_lock(lock, 0.3, said.append):
            pass
        assert raised.value.reason == "data_dir_locked" and raised.value.exit_code == 7
        assert said == [f"waiting for another launcher that holds {lock}…"]
    finally:
        holder.communicate("", timeout=10)
    with exclusive_lock(lock, 0.3, said.append):  # free again once the holder is gone
        pass
