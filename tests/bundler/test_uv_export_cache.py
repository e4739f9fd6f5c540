"""The uv lock check and export are remembered by what they read: a rebuild that touches
neither the lock nor a pyproject runs no uv process for them, and any change (or a
tampered remembered export) is checked and exported again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from djdesk_bundle.build import install
from djdesk_bundle.cache.store import Store
from djdesk_bundle.errors import LockError
from djdesk_bundle.options import load_options, read_app_project
from djdesk_bundle.tools.toolchain import Toolchain
from tests.bundler.notes_project import make_notes_project


def exported(project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """The export's text and how many uv processes it took."""
    calls = []
    real_run = install.run

    def counting(argv, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(argv)
        return real_run(argv, **kwargs)

    toolchain = Toolchain.find()
    monkeypatch.setattr(install, "run", counting)
    options = load_options(project, {"DJDESK_BUNDLE_CACHE_DIR": str(cache)})
    locked = install.export_locked_requirements(options, read_app_project(options), toolchain)
    monkeypatch.setattr(install, "run", real_run)
    return locked.requirements, len(calls)


def test_an_unchanged_lock_is_exported_once(tmp_path: Path, monkeypatch) -> None:
    project = make_notes_project(tmp_path / "notes")
    cache = tmp_path / "cache"
    first, runs = exported(project, cache, monkeypatch)
    assert runs == 2 and "django==" in first  # uv lock --check, uv export
    again, runs = exported(project, cache, monkeypatch)
    assert (again, runs) == (first, 0)
    # An app-only change (not a pyproject) still reuses it.
    (project / "src" / "notesite" / "urls.py").write_text("urlpatterns = []\n")
    assert exported(project, cache, monkeypatch)[1] == 0


def test_a_changed_pyproject_is_checked_again(tmp_path: Path, monkeypatch) -> None:
    project = make_notes_project(tmp_path / "notes")
    cache = tmp_path / "cache"
    exported(project, cache, monkeypatch)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"markupsafe>=3.0",', '"markupsafe>=3.0", "six",')
    )
    with pytest.raises(LockError, match=r"out of date with pyproject\.toml: run `uv lock`"):
        exported(project, cache, monkeypatch)


def test_a_tampered_remembered_export_is_not_used(tmp_path: Path, monkeypatch) -> None:
    project = make_notes_project(tmp_path / "notes")
    cache = tmp_path / "cache"
    first, _ = exported(project, cache, monkeypatch)
    (remembered,) = [
        p for p in (cache / "uv-exports").iterdir() if p.suffix != ".json" and p.name != ".lock"
    ]
    (one_hash,) = re.findall(r"sha256:([0-9a-f]{64})", first)[:1]
    # Stored as the cache stores (its record matches): the hashes are still checked.
    Store(remembered.parent).put_text(remembered.name, first.replace(one_hash, "0" * 64))
    again, runs = exported(project, cache, monkeypatch)
    assert (again, runs) == (first, 2)
