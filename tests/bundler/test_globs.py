"""The prune globs matched in one walk (fs/globs.py) select what ``Path.glob`` selects:
checked on a real interpreter tree with the default ``prune`` list, and on a real
``site-packages`` (this checkout's environment) with the default ``dependency-prune``."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest

from djdesk_bundle.fs.globs import glob_matcher, matching_paths
from djdesk_bundle.options import DEFAULT_DEPENDENCY_PRUNE, DEFAULT_PRUNE


def _highest(paths: set[Path]) -> set[Path]:
    """What pathlib's matches delete: each one not inside another."""
    return {p for p in paths if not any(parent in paths for parent in p.parents)}


def _pathlib(root: Path, patterns: tuple[str, ...]) -> set[Path]:
    return _highest({path for pattern in patterns for path in root.glob(pattern)})


def test_the_default_prune_on_a_real_interpreter(local_interpreter: Path, tmp_path: Path) -> None:
    shutil.unpack_archive(next(local_interpreter.glob("*.tar.gz")), tmp_path)
    root = tmp_path / "python"
    found = matching_paths(root, DEFAULT_PRUNE)
    assert set(found) == _pathlib(root, DEFAULT_PRUNE)
    assert len(found) == len(set(found))
    assert any(path.name.startswith("_ctypes_test") for path in found)


def test_the_default_dependency_prune_on_a_real_site_packages() -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    patterns = (*DEFAULT_DEPENDENCY_PRUNE, "django/contrib/*/static", "**/[!_]*.txt")
    found = set(matching_paths(site, patterns))
    assert found and found == _pathlib(site, patterns)


def test_a_skipped_top_level_name_is_not_entered(tmp_path: Path) -> None:
    (tmp_path / "pkg-1.0.dist-info" / "tests").mkdir(parents=True)
    (tmp_path / "pkg" / "tests").mkdir(parents=True)
    found = matching_paths(tmp_path, ("**/tests",), skip=lambda top: top.endswith(".dist-info"))
    assert found == [tmp_path / "pkg" / "tests"]


def test_a_symlinked_folder_is_matched_but_not_entered(tmp_path: Path) -> None:
    (tmp_path / "real" / "tests").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert matching_paths(tmp_path, ("link/tests",)) == []
    assert matching_paths(tmp_path, ("lin?",)) == [tmp_path / "link"]


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("*.po", "django.po", True),
        ("*.po", "locale/django.po", False),  # * stays within a name
        ("**/*.po", "django.po", True),  # ** is also no folder at all
        ("**/*.po", "a/b/c/django.po", True),
        ("*", ".hidden", True),  # as Path.glob: a leading dot is matched
        ("lib/python*/test", "lib/python3.11/test/", True),
        ("lib/python*/test", "lib/python3.11/x/test/", False),
        ("bin/pip*", "bin/pip3.11", True),
        ("LICEN[CS]E*", "LICENSE.txt", True),
        ("LICEN[CS]E*", "LICENXE", False),
        ("[!_]*.txt", "_top.txt", False),
        ("[!_]*.txt", "top.txt", True),
        ("**/locale/", "pkg/locale/", True),  # folders only
        ("**/locale/", "pkg/locale", False),
        ("pkg/**", "pkg/", True),  # the folder and all below
        ("pkg/**", "pkg/sub/", True),
        ("a+b(c)", "a+b(c)", True),  # regex characters are literal
        ("a.b", "aXb", False),
    ],
)
def test_glob_semantics(pattern: str, path: str, matched: bool) -> None:
    assert glob_matcher([pattern])(path) is matched
