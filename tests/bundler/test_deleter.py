"""What the stages prune is moved aside at once and deleted by a thread (fs/deleter.py);
nothing of it is left in the payload."""

from __future__ import annotations

from pathlib import Path

from djdesk_bundle.build.extract import remove_paths
from djdesk_bundle.build.pipeline import PRUNED_ASIDE
from djdesk_bundle.fs.deleter import Deleter
from djdesk_bundle.inspect.checksums import parse_checksums


def _tree(root: Path) -> list[Path]:
    (root / "pkg" / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (root / "pkg" / "locale" / "fr" / "LC_MESSAGES" / "django.mo").write_bytes(b"x" * 100)
    (root / "pkg" / "tests").mkdir()
    (root / "pkg" / "tests" / "test_a.py").write_text("pass\n")
    (root / "pkg" / "module.pyi").write_text("x: int\n")
    (root / "pkg" / "kept.py").write_text("pass\n")
    return [root / "pkg" / "locale" / "fr", root / "pkg" / "tests", root / "pkg" / "module.pyi"]


def test_moved_aside_at_once_and_deleted_by_wait(tmp_path: Path) -> None:
    doomed = _tree(tmp_path / "tree")
    deleter = Deleter(tmp_path / "aside")
    report = remove_paths(doomed, deleter)
    assert not any(path.exists() for path in doomed)  # gone from the tree before wait()
    assert (tmp_path / "tree" / "pkg" / "kept.py").is_file()
    assert report.paths == 3 and report.bytes == 100 + 5 + 7
    deleter.wait()
    assert not (tmp_path / "aside").exists()


def test_without_a_folder_paths_are_deleted_at_once(tmp_path: Path) -> None:
    doomed = _tree(tmp_path)
    remove_paths(doomed, Deleter())
    assert not any(path.exists() for path in doomed)


def test_a_folder_that_cannot_be_made_means_deleting_at_once(tmp_path: Path) -> None:
    doomed = _tree(tmp_path / "tree")
    deleter = Deleter(tmp_path / "no" / "such" / "parent")
    remove_paths(doomed, deleter)
    assert not any(path.exists() for path in doomed)
    deleter.wait()


def test_a_path_inside_another_is_counted_once(tmp_path: Path) -> None:
    doomed = _tree(tmp_path / "tree")
    inner = doomed[0] / "LC_MESSAGES"
    deleter = Deleter(tmp_path / "aside")
    report = remove_paths([inner, *doomed, doomed[0]], deleter)
    deleter.wait()
    assert report.paths == 3 and not doomed[0].exists()


def test_nothing_moved_aside_ships(built: dict[str, Path]) -> None:
    out = built["out"]
    assert not (out / PRUNED_ASIDE).exists()
    listed = parse_checksums((out / "SHA256SUMS").read_text())
    assert listed and not any(PRUNED_ASIDE in name for name in listed)
