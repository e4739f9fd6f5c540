"""What ships of a project's folders (build/selection.py) and the secret guard
(build/secret_scan.py), on real git repositories in temporary folders; and
``djdesk-bundle files``, which explains the choice."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from djdesk_bundle.build.secret_scan import find_secrets, secrets_stage
from djdesk_bundle.build.selection import SourceFiles, select_app, select_folder, select_sources
from djdesk_bundle.errors import ConfigError, UnsafeSource
from djdesk_bundle.options import load_options
from djdesk_bundle.tools.git import find_git
from djdesk_bundle.ui import Reporter
from tests.bundler.conftest import bundle
from tests.bundler.projects import git_commit_all

GIT = find_git()

# A private key shaped like a real one (detect-secrets matches the armour line).
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"


def make_project(root: Path, table: str = "") -> Path:
    """A flat Django-shaped project committed to git: manage.py, site/, a .gitignore."""
    project = root / "proj"
    (project / "site").mkdir(parents=True)
    (project / "manage.py").write_text("# manage\n")
    (project / "site" / "__init__.py").write_text("")
    (project / "site" / "wsgi.py").write_text("application = None\n")
    (project / "site" / "settings.py").write_text("DEBUG = False\n")
    (project / ".gitignore").write_text(".env\nmedia/\nassets/build/\nsite/local_settings.py\n")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1.0"\n\n'
        f'[tool.djdesk-bundle]\napp-dir = "."\napp-package = "site"\n{table}'
    )
    git_commit_all(project)
    return project


def names(selection) -> set[str]:  # type: ignore[no-untyped-def]
    return {item.name for item in selection.shipped}


def options_of(project: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_options(project, {f"DJDESK_BUNDLE_{k.upper()}": v for k, v in env.items()})


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def test_tracked_files_ship_and_untracked_ones_are_listed(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    for name in (".env.production", "secrets.json", "local_settings.py", "scratch.bin"):
        (project / name).write_text("not for the payload\n")
    selection = select_app(options_of(project), GIT)
    assert names(selection) >= {"manage.py", "site/settings.py", "site/wsgi.py"}
    assert not names(selection) & {".env.production", "secrets.json", "local_settings.py"}
    assert set(selection.untracked()) >= {".env.production", "local_settings.py", "scratch.bin"}


def test_the_tools_own_output_is_not_reported_as_untracked(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / ".djdesk" / "dist").mkdir(parents=True)
    (project / ".djdesk" / "dist" / "payload.tar.gz").write_bytes(b"an archive")
    (project / "electron").mkdir()
    (project / "electron" / "main.js").write_text("// init's desktop shell, not yet committed\n")
    (project / "notes.txt").write_text("forgotten\n")
    assert select_app(options_of(project), GIT).untracked() == ["notes.txt"]


def test_a_link_to_an_ignored_file_stops_the_build_naming_both(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / ".env").write_text("SECRET=1\n")
    os.symlink(".env", project / "config_link.txt")
    git(project, "add", "config_link.txt")
    git(project, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "link")
    with pytest.raises(UnsafeSource) as error:
        select_app(options_of(project), GIT)
    assert "config_link.txt" in str(error.value) and ".env" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_link_into_ignored_media_and_one_outside_are_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "media").mkdir()
    (project / "media" / "upload.jpg").write_bytes(b"\xff\xd8 a user's photo")
    (tmp_path / "outside.txt").write_text("the builder's file\n")
    for link, target in (("photo.jpg", "media/upload.jpg"), ("notes.txt", "../outside.txt")):
        os.symlink(target, project / link)
        git(project, "add", link)
        with pytest.raises(UnsafeSource, match=link.replace(".", r"\.")):
            select_app(options_of(project), GIT)
        git(project, "rm", "-q", "--cached", link)
        (project / link).unlink()


def test_a_link_to_a_shipped_file_is_copied_under_its_own_name(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    os.symlink("settings.py", project / "site" / "settings_alias.py")
    git(project, "add", "site/settings_alias.py")
    selection = select_app(options_of(project), GIT)
    alias = next(item for item in selection.shipped if item.name == "site/settings_alias.py")
    assert alias.source == (project / "site" / "settings.py").resolve()
    assert "link to site/settings.py" in alias.reason


def test_include_ships_generated_and_ignored_files_exclude_drops(tmp_path: Path) -> None:
    table = (
        'include = ["assets/build/**", "site/local_settings.py", ".env.desktop"]\n'
        'exclude = ["docs/**"]\n'
    )
    project = make_project(tmp_path, table)
    (project / "assets" / "build").mkdir(parents=True)
    (project / "assets" / "build" / "app.js").write_text("console.log(1)\n")
    (project / "site" / "local_settings.py").write_text("EXTRA = 1\n")
    (project / ".env.desktop").write_text("NOT_A_SECRET=1\n")  # named exactly: ships
    (project / "docs").mkdir()
    (project / "docs" / "guide.md").write_text("# guide\n")
    git(project, "add", "docs/guide.md")
    selection = select_app(options_of(project), GIT)
    reasons = {item.name: item.reason for item in selection.shipped}
    assert reasons["assets/build/app.js"] == "included"
    assert reasons["site/local_settings.py"] == "included"
    assert ".env.desktop" in reasons
    assert "docs/guide.md" not in reasons
    assert ("docs/guide.md", "excluded") in {(i.name, i.reason) for i in selection.left_out}


def test_secret_names_never_ship_by_glob_and_data_files_do(tmp_path: Path) -> None:
    project = make_project(tmp_path, 'include = ["keys/**"]\n')
    (project / "keys").mkdir()
    (project / "keys" / "server.pem").write_text(PRIVATE_KEY)
    (project / "search.sqlite3").write_bytes(b"SQLite format 3\0 an index the app reads")
    (project / "db.sqlite3").write_bytes(b"SQLite format 3\0 the developer's data")
    (project / ".env.example").write_text("SECRET=change-me\n")
    git(project, "add", "search.sqlite3", ".env.example")
    git(project, "add", "-f", "db.sqlite3")
    selection = select_app(options_of(project), GIT)
    shipped = names(selection)
    assert "search.sqlite3" in shipped and ".env.example" in shipped
    assert "keys/server.pem" not in shipped and "db.sqlite3" not in shipped
    left = {item.name: item.reason for item in selection.left_out}
    assert "secret" in left["keys/server.pem"] and "database" in left["db.sqlite3"]


def test_a_folder_with_a_link_outside_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    (tmp_path / "home" / ".ssh" / "id_ed25519").write_text("key")
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "readme.txt").write_text("a sample\n")
    os.symlink(tmp_path / "home" / ".ssh", samples / "ssh")
    with pytest.raises(UnsafeSource, match="outside"):
        select_folder(samples)


def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name")
    git(project, "add", "-A")
    with pytest.raises(ConfigError) as error:
        select_app(options_of(project), GIT)
    assert "not UTF-8" in str(error.value) and "\n" not in str(error.value)


def test_a_private_key_in_a_shipped_file_stops_the_build_with_file_and_line(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path)
    (project / "site" / "keys.py").write_text('"""keys"""\nKEY = """' + PRIVATE_KEY + '"""\n')
    (project / "site" / "dev.py").write_text('PASSWORD = "correct-horse-battery-staple-9"\n')
    git(project, "add", "-A")
    sources = SourceFiles(select_app(options_of(project), GIT), None, None)
    cache = tmp_path / "cache"
    with pytest.raises(UnsafeSource) as error:
        secrets_stage(sources, cache, Reporter(verbosity=-1))
    assert "app/site/keys.py:2 (Private Key)" in str(error.value)
    # Remembered by content: the second scan reads the cache (same answer).
    assert any(f.blocking for f in find_secrets(sources, cache))
    assert list((cache / "secret-scans").glob("*.json"))


def test_a_marked_false_positive_passes(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "site" / "keys.py").write_text(
        'KEY = "-----BEGIN RSA PRIVATE KEY-----"  # pragma: allowlist secret\n'
    )
    git(project, "add", "-A")
    sources = SourceFiles(select_app(options_of(project), GIT), None, None)
    assert not [f for f in find_secrets(sources, tmp_path / "cache") if f.blocking]


def test_files_command_explains_every_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, 'include = ["assets/build/**"]\n')
    (project / "assets" / "build").mkdir(parents=True)
    (project / "assets" / "build" / "app.js").write_text("1\n")
    (project / "notes.txt").write_text("untracked\n")
    result = bundle("files", "--json", "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    app = json.loads(result.stdout)["app"]
    shipped = {item["name"]: item["reason"] for item in app["shipped"]}
    left = {item["name"]: item["reason"] for item in app["left_out"]}
    assert shipped["manage.py"] == "tracked" and shipped["assets/build/app.js"] == "included"
    assert left["notes.txt"].startswith("untracked")
    assert "pyproject.toml" in shipped  # tracked here; an untracked one is a build input
    text = bundle("files", "--left-out", "--project", str(project), cwd=tmp_path)
    assert "left out  app/notes.txt  (untracked" in text.stdout


def test_sources_of_the_inspector_ship_no_untracked_file() -> None:
    """This repository: every file that ships is tracked (or generated data)."""
    from tests.conftest import REPO

    options = load_options(REPO, {"DJDESK_BUNDLE_SAMPLES_DIR": "", "DJDESK_BUNDLE_DOCS_DIR": ""})
    sources = select_sources(options, GIT)
    assert {item.reason for item in sources.app.shipped} == {"tracked"}
    assert "inspector/apps.py" in names(sources.app)


def test_heuristic_guesses_in_generated_folders_are_not_reported(tmp_path: Path) -> None:
    """A Sphinx search index is full of high-entropy strings: noise, not secrets; a key in
    a generated folder still stops the build."""
    project = make_project(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "searchindex.js").write_text(
        'Search.setIndex({"x": "a3f9c2e81b7d4f6a0c5e9d2b8f1a7c3e"})\n'
    )
    (docs / "page.html").write_text("<p>" + PRIVATE_KEY + "</p>\n")
    sources = SourceFiles(select_app(options_of(project), GIT), None, select_folder(docs))
    findings = find_secrets(sources, tmp_path / "cache")
    assert [f.where for f in findings] == ["docs/page.html:1"] and findings[0].blocking
