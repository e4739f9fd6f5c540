"""The generated samples are deterministic, valid Django projects."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import load_script


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_samples_are_byte_identical_across_runs(tmp_path: Path) -> None:
    fetch = load_script("fetch_samples")
    fetch.generate_samples(tmp_path / "a")
    fetch.generate_samples(tmp_path / "b")
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


@pytest.mark.parametrize("sample", ["django-polls", "djdesk", "generated"])
def test_sample_passes_django_check(sample_root: Path, sample: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=sample_root / sample,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_generator_cli_rejects_bad_sizes(tmp_path: Path) -> None:
    fetch = load_script("fetch_samples")
    with pytest.raises(SystemExit) as exit_info:
        fetch.main(["--root", str(tmp_path), "--apps", "0"])
    assert exit_info.value.code == 2
