"""The release's `reproducible` job (scripts/compare_rebuild.py): a rebuild from an empty
cache in another directory must equal the archive the build job published."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bundler.conftest import HOST_TRIPLE, build_env, needs_local_python
from tests.bundler.mirror import serve_mirror
from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, needs_local_python]


def compare(published: Path, work: Path, interpreter: Path, url: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "compare_rebuild.py"),
            "--target",
            HOST_TRIPLE,
            "--published",
            str(published),
            "--work",
            str(work),
            "--",
            "--manifest",
            str(interpreter / "manifest.toml"),
            "--python-mirror",
            url,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_rebuild_matches_the_published_archive_and_a_changed_one_fails(
    built: dict[str, Path], local_interpreter: Path, sample_root: Path, tmp_path: Path
) -> None:
    published = tmp_path / "published"
    published.mkdir()
    shutil.copy(built["archive"], published)
    env = build_env(sample_root)
    with serve_mirror(local_interpreter) as (url, _state):
        same = compare(published, tmp_path / "rebuild", local_interpreter, url, env)
        assert same.returncode == 0, same.stdout + same.stderr
        assert f"reproducible: {built['archive'].name}" in same.stdout
        archive = published / built["archive"].name
        archive.write_bytes(archive.read_bytes() + b"\0")  # what the build job published differs
        other = compare(published, tmp_path / "rebuild", local_interpreter, url, env)
    assert other.returncode == 1
    assert f"::error::the rebuild of {HOST_TRIPLE} differs" in other.stdout
