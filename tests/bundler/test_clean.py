"""`djdesk-bundle clean` deletes only what the tool made (issue #27: `cache-dir = ".."`
then `clean --all` emptied the project's parent folder; a user's dist dir lost a file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.build.fetch import CACHE_TAG, prepare_cache_root
from djdesk_bundle.cli import main


def project_in(parent: Path, table: str = "") -> Path:
    root = parent / "project"
    (root / "src" / "site_pkg").mkdir(parents=True)
    (root / "src" / "site_pkg" / "wsgi.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1.0"\n\n'
        f'[tool.djdesk-bundle]\napp-dir = "src"\n{table}\n'
    )
    return root


def clean(project: Path, *extra: str) -> int:
    return main(["clean", "--project", str(project), *extra])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def test_a_cache_dir_holding_the_project_is_refused(tmp_path, capsys, monkeypatch) -> None:
    sibling = tmp_path / "sibling.txt"
    sibling.write_text("a user's file")
    project = project_in(tmp_path, 'cache-dir = ".."')
    monkeypatch.chdir(project)
    assert clean(project, "--all") == 2
    assert "holds the project" in one_error_line(capsys)
    assert sibling.read_text() == "a user's file" and (project / "pyproject.toml").is_file()


def test_an_untagged_cache_dir_is_never_deleted(tmp_path, capsys, monkeypatch) -> None:
    folder = tmp_path / "any"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    project = project_in(tmp_path)
    monkeypatch.setenv("DJDESK_BUNDLE_CACHE_DIR", str(folder))
    assert clean(project, "--all") == 2
    assert CACHE_TAG in one_error_line(capsys)
    assert (folder / "keep.txt").read_text() == "mine"


def test_a_cache_the_tool_made_is_deleted(tmp_path, capsys, monkeypatch) -> None:
    cache = prepare_cache_root(tmp_path / "cache")
    (cache / "interpreters").mkdir()
    assert (cache / CACHE_TAG).read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    project = project_in(tmp_path)
    monkeypatch.setenv("DJDESK_BUNDLE_CACHE_DIR", str(cache))
    assert clean(project, "--all") == 0
    assert not cache.exists()


def test_a_folder_that_already_held_files_is_not_claimed(tmp_path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    prepare_cache_root(folder)
    assert not (folder / CACHE_TAG).exists()


def test_a_relative_cache_dir_is_the_projects_not_the_cwds(tmp_path, monkeypatch) -> None:
    project = project_in(tmp_path, 'cache-dir = ".cache/bundle"')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    from djdesk_bundle.options import load_options

    assert load_options(project, {}).cache_root == project / ".cache" / "bundle"


def test_clean_in_a_users_dist_dir_removes_only_pending_archives(tmp_path, monkeypatch) -> None:
    dist = tmp_path / "Downloads"
    dist.mkdir()
    kept = ["report.tmp", "x-payload-1.0-t.tar.gz", "draft.1234.tmp", "notes.txt"]
    for name in kept:
        (dist / name).write_text("the user's")
    pending = ["x-payload-1.0-t.tar.gz.4242.tmp", "x-payload-1.0-t.tar.gz.sha256.4242.tmp"]
    for name in pending:
        (dist / name).write_text("half written")
    project = project_in(tmp_path)
    monkeypatch.setenv("DJDESK_BUNDLE_DIST_DIR", str(dist))
    assert clean(project) == 0
    assert sorted(p.name for p in dist.iterdir() if p.name != ".djdesk-bundle.lock") == sorted(kept)


def test_clean_all_keeps_an_output_dir_that_holds_no_payload(tmp_path, capsys, monkeypatch) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "thesis.odt").write_text("years of work")
    project = project_in(tmp_path)
    monkeypatch.setenv("DJDESK_BUNDLE_OUTPUT_DIR", str(folder))
    monkeypatch.setenv("DJDESK_BUNDLE_CACHE_DIR", str(tmp_path / "no-cache-yet"))
    assert clean(project, "--all") == 2
    assert "holds no payload" in one_error_line(capsys)
    assert (folder / "thesis.odt").read_text() == "years of work"
