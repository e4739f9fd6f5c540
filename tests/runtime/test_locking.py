"""The data-dir lock, contended by a real second process holding it shared or exclusive."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from djdesk_runtime.errors import LaunchError
from djdesk_runtime.locking import EXCLUSIVE, SHARED, DataDirLock
from tests.conftest import REPO

HOLDER = """
import sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from djdesk_runtime.locking import DataDirLock
with DataDirLock(Path(sys.argv[1]), 5, print) as lock:
    assert lock.try_hold(sys.argv[3])
    print("held", flush=True)
    sys.stdin.read()
"""


@contextmanager
def held_elsewhere(lock: Path, how: str) -> Iterator[None]:
    """``lock`` held ``how`` by another process until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), str(REPO / "bundler"), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.communicate("", timeout=10)


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    return tmp_path / "launcher.lock"


def test_an_exclusive_holder_is_waited_for_then_given_up_on(lock_file: Path) -> None:
    said: list[str] = []
    with held_elsewhere(lock_file, EXCLUSIVE), DataDirLock(lock_file, 0.3, said.append) as lock:
        for attempt in (lock.exclusive_or_shared, lock.shared, lambda: lock.exclusive("no")):
            with pytest.raises(LaunchError) as raised:
                attempt()
            assert raised.value.reason == "data_dir_locked" and raised.value.exit_code == 7
        assert said == [f"waiting for another launcher that holds {lock_file}…"] * 3
    with DataDirLock(lock_file, 0.3, said.append) as lock:  # free once the holder is gone
        assert lock.exclusive_or_shared() == EXCLUSIVE


def test_a_serving_holder_is_shared_with_and_never_waited_for(lock_file: Path) -> None:
    """A server holds it shared: another server shares it; what needs it alone (an
    upgrade, --manage) is refused at once with its own code, and nothing is said."""
    said: list[str] = []
    with held_elsewhere(lock_file, SHARED), DataDirLock(lock_file, 30, said.append) as lock:
        assert lock.exclusive_or_shared() == SHARED
        lock.release()
        with pytest.raises(LaunchError) as raised:
            lock.exclusive("another copy is serving")
        assert raised.value.reason == "data_dir_in_use" and raised.value.exit_code == 11
        assert str(raised.value) == "another copy is serving" and lock.held is None
        assert lock.try_hold(SHARED) and lock.held == SHARED
    assert said == []


def test_a_shared_holder_keeps_an_upgrade_out_until_it_releases(lock_file: Path) -> None:
    with DataDirLock(lock_file, 0.3, print) as server, DataDirLock(lock_file, 0.3, print) as up:
        assert server.exclusive_or_shared() == EXCLUSIVE
        assert not up.try_hold(SHARED)
        server.release()
        server.shared()
        with pytest.raises(LaunchError, match="serving"):
            up.exclusive("serving")
        server.release()
        up.exclusive("serving")
        assert up.held == EXCLUSIVE
