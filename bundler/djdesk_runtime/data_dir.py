"""The data dir is private to its user: made 0700, its files 0600, unsafe ones refused or
repaired with a message, before anything is read from it or written into it.

Refused (``data_dir_unusable``): a data dir that is not a directory, that another user
owns, or that this user cannot write; a ``secret_key`` that is a symlink, not a file, or
another user's. Repaired, saying so: a data dir writable by others (made 0700); the
database files readable by others (made 0600); a ``secret_key`` readable by others or
too short to be a key (replaced by a new one: sessions signed with the old one end).
Modes and owners are POSIX ideas: on Windows the data dir is the user's profile folder,
private by its ACL.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from .contract import DATA_DIR_LAYOUT, ENV
from .errors import LaunchError, describe, is_disk_full, say

POSIX = os.name == "posix"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
# Django's own bar for a key (security.W009): at least 50 characters, 5 different.
KEY_MIN_LENGTH, KEY_MIN_UNIQUE = 50, 5


def prepare(root: Path) -> None:
    """Make (0700) or check the data dir; refuse an unusable one, repair an unsafe one."""
    try:
        root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except FileExistsError:
        raise LaunchError(
            "data_dir_unusable", f"the data folder {root} is a file, not a folder: move it aside"
        ) from None
    except OSError as exc:
        raise unusable(root, exc) from exc
    if POSIX:
        _check_owner_and_mode(root)
        _private_database_files(root)
    if not os.access(root, os.W_OK | os.X_OK):
        raise LaunchError(
            "data_dir_unusable",
            f"the data folder {root} is not writable by this user: give it back (chown/chmod) "
            f"or set {ENV['data_dir']} to a folder of yours",
        )


def _check_owner_and_mode(root: Path) -> None:
    info = root.stat()
    if info.st_uid != os.geteuid():
        raise LaunchError(
            "data_dir_unusable",
            f"the data folder {root} belongs to another user (uid {info.st_uid}): "
            "it cannot be trusted with this user's database and key",
        )
    if info.st_mode & 0o022:
        os.chmod(root, PRIVATE_DIR)
        say(
            f"warning: the data folder {root} was writable by other users "
            f"(mode {stat.S_IMODE(info.st_mode):04o}): made it {PRIVATE_DIR:04o}"
        )


def _private_database_files(root: Path) -> None:
    for path in root.glob("*.sqlite3*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_file() and not path.is_symlink() and mode & 0o077:
            os.chmod(path, PRIVATE_FILE)
            say(f"warning: {path} was readable by other users (mode {mode:04o}): made it 0600")


def unusable(root: Path, exc: OSError) -> LaunchError:
    if is_disk_full(exc):
        return LaunchError("disk_full", f"disk full: no room in {root} ({describe(exc)})")
    why = describe(exc)
    return LaunchError("data_dir_unusable", f"the data folder {root} cannot be used ({why})")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` as a 0600 file, atomically: a full disk or a refusal leaves no
    partial file behind, and a one-line error."""
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        try:
            while data:
                data = data[os.write(descriptor, data) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise unusable(path.parent, exc) from exc


def secret_key(root: Path) -> str:
    """The data dir's key: read when it is safe, made (or replaced, saying why) when not."""
    path = root / DATA_DIR_LAYOUT["secret_key"]
    problem = _key_problem(path)
    if problem is None:
        key = _read_key(path)
        if len(key) >= KEY_MIN_LENGTH and len(set(key)) >= KEY_MIN_UNIQUE:
            return key
        problem = f"was too short to be a key ({len(key)} characters)"
    key = secrets.token_urlsafe(50)
    write_private(path, key.encode("ascii"))
    if problem:
        say(f"warning: {path} {problem}: replaced it with a new key (sessions signed in end)")
    return key


def _key_problem(path: Path) -> str | None:
    """Why the key file cannot be kept ("" when there is none yet), or None when it can."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise unusable(path.parent, exc) from exc
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a file"
        raise LaunchError(
            "data_dir_unusable",
            f"{path} is {kind}: the key must be a file of the data folder; remove it "
            "(a new key is made at the next start)",
        )
    if POSIX and info.st_uid != os.geteuid():
        raise LaunchError("data_dir_unusable", f"{path} belongs to another user: remove it")
    if POSIX and info.st_mode & 0o077:
        return f"was readable by other users (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _read_key(path: Path) -> str:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)  # never through a link made since
    try:
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read(4096).decode("ascii", "replace").strip()
    except OSError as exc:
        raise unusable(path.parent, exc) from exc
