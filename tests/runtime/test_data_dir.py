"""The data dir is private, and an unusable or unsafe one is said so in one line: real
folders and files, a real second user (nobody) and a real full disk (a small tmpfs)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from djdesk_runtime.config import LauncherConfig
from djdesk_runtime.contract import EXIT_CODES, LAUNCHER_CONFIG
from djdesk_runtime.data_dir import prepare, secret_key, write_private
from djdesk_runtime.errors import LaunchError
from tests.conftest import REPO
from tests.runtime.test_database import fill, small_tmpfs

posix_only = pytest.mark.skipif(os.name != "posix", reason="modes and owners are POSIX")
NOBODY = 65534
needs_root = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="giving a file to another user needs root"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def refusal(call: object, *args: object) -> LaunchError:
    with pytest.raises(LaunchError) as raised:
        call(*args)  # type: ignore[operator]
    assert "\n" not in str(raised.value)
    return raised.value


@posix_only
def test_a_new_data_dir_is_0700_and_its_key_0600(tmp_path: Path) -> None:
    """It used to be 0755 (and the key's folder readable by every local user)."""
    previous = os.umask(0o022)
    try:
        prepare(tmp_path / "profile" / "data")
        key = secret_key(tmp_path / "profile" / "data")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "profile" / "data") == 0o700
    assert mode(tmp_path / "profile" / "data" / "secret_key") == 0o600 and len(key) >= 50


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    error = refusal(prepare, tmp_path / "data")
    assert error.reason == "data_dir_unusable" and error.exit_code == 12
    assert (
        str(error) == f"the data folder {tmp_path / 'data'} is a file, not a folder: move it aside"
    )


@posix_only
def test_unsafe_modes_are_repaired_and_said(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    (data / "db.sqlite3").write_bytes(b"")
    os.chmod(data, 0o777)
    os.chmod(data / "db.sqlite3", 0o644)
    prepare(data)
    assert mode(data) == 0o700 and mode(data / "db.sqlite3") == 0o600
    assert capsys.readouterr().err.splitlines() == [
        f"run_django: warning: the data folder {data} was writable by other users (mode "
        "0777): made it 0700",
        f"run_django: warning: {data / 'db.sqlite3'} was readable by other users (mode 0644): "
        "made it 0600",
    ]


@needs_root
def test_a_data_dir_or_key_of_another_user_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, NOBODY, NOBODY)
    error = refusal(prepare, data)
    assert error.reason == "data_dir_unusable" and "belongs to another user (uid 65534)" in str(
        error
    )
    os.chown(data, 0, 0)
    (data / "secret_key").write_text("k" * 60)
    os.chown(data / "secret_key", NOBODY, NOBODY)
    assert "belongs to another user" in str(refusal(secret_key, data))


@posix_only
@pytest.mark.parametrize(
    ("content", "file_mode", "why"),
    [
        ("short", 0o600, "was too short to be a key (5 characters)"),
        ("k" * 60, 0o644, "was readable by other users (mode 0644)"),
        ("", 0o600, "was too short to be a key (0 characters)"),
    ],
)
def test_a_weak_or_exposed_key_is_replaced_and_said(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, content: str, file_mode: int, why: str
) -> None:
    """A 5-character or world-readable key used to be used as it was."""
    path = tmp_path / "secret_key"
    path.write_text(content)
    os.chmod(path, file_mode)
    key = secret_key(tmp_path)
    assert key != content and len(key) >= 50 and path.read_text() == key
    assert mode(path) == 0o600
    assert capsys.readouterr().err == (
        f"run_django: warning: {path} {why}: replaced it with a new key (sessions signed in end)\n"
    )
    assert secret_key(tmp_path) == key  # kept from now on


def test_a_key_that_is_a_link_or_a_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "known-key"
    elsewhere.write_text("k" * 60)
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").symlink_to(elsewhere)
    error = refusal(secret_key, data)
    assert error.reason == "data_dir_unusable"
    assert str(error).startswith(f"{data / 'secret_key'} is a symbolic link:")
    (data / "secret_key").unlink()
    (data / "secret_key").mkdir()
    assert "is not a file" in str(refusal(secret_key, data))


@pytest.fixture
def full_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KiB tmpfs filled to the last byte."""
    with small_tmpfs(tmp_path / "full", "64k") as folder:
        fill(folder)
        yield folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a tmpfs is a Linux mount")
def test_a_full_disk_leaves_no_partial_key(full_folder: Path) -> None:
    """Each failed start on a full disk used to leave a 0-byte secret_key.partial-PID."""
    error = refusal(secret_key, full_folder)
    assert error.reason == "disk_full" and error.exit_code == 9
    assert str(error).startswith(f"disk full: no room in {full_folder} (OSError: [Errno 28]")
    assert sorted(p.name for p in full_folder.iterdir()) == ["filler"]
    with pytest.raises(LaunchError):
        write_private(full_folder / "db.sqlite3", b"x" * 8192)
    assert sorted(p.name for p in full_folder.iterdir()) == ["filler"]


AS_NOBODY = [
    "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
    # Only to reach the test's folder (pytest's is root's, 0700): reading and searching
    # are allowed, writing is checked as for any other user.
    "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search",
]  # fmt: skip
RUN_LAUNCHER = "import sys; sys.path.insert(0, sys.argv[1]); from djdesk_runtime.launcher import main; sys.exit(main(sys.argv[2], []))"  # noqa: E501


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_a_data_dir_this_user_cannot_write_is_one_line(tmp_path: Path) -> None:
    """It used to be a traceback (PermissionError … secret_key.partial-…)."""
    payload = tmp_path / "payload"
    payload.mkdir()
    config = LauncherConfig("s", "s.wsgi:application", True, (), "1.0", ())
    (payload / LAUNCHER_CONFIG).write_text(config.to_json())
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    os.chown(data, NOBODY, NOBODY)
    result = subprocess.run(
        [*AS_NOBODY, sys.executable, "-I", "-c", RUN_LAUNCHER, str(REPO / "bundler"), str(payload)],
        env={"PATH": os.environ["PATH"], "DJDESK_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        check=False,
    )
    if "setpriv:" in result.stderr:
        pytest.skip(f"setpriv cannot drop to nobody here: {result.stderr.strip()}")
    assert result.returncode == EXIT_CODES["data_dir_unusable"], result.stderr
    assert result.stderr == (
        f"run_django: the data folder {data} is not writable by this user: give it back "
        "(chown/chmod) or set DJDESK_DATA_DIR to a folder of yours\n"
    )
    assert list(data.iterdir()) == []
