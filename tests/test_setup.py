"""The README's set-up: the Debian packages script, the justfile's recipes, the skip summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "debian_packages.sh"


def bare_path(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only bash and the named tools: a machine missing the rest."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", *tools):
        found = shutil.which(tool)
        assert found, tool
        (folder / tool).symlink_to(found)
    return str(folder)


def test_without_apt_get_the_script_names_what_is_missing_and_carries_on(tmp_path: Path) -> None:
    result = subprocess.run(
        [shutil.which("bash") or "bash", str(SCRIPT), "test"],
        env={"PATH": bare_path(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "nodejs npm git" in result.stderr and "7zip" in result.stderr
    assert "diffoscope-minimal" in result.stderr


def test_an_unknown_group_is_a_usage_error() -> None:
    result = subprocess.run(["bash", str(SCRIPT), "tset"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.skipif(shutil.which("just") is None, reason="needs just (pip install rust-just)")
def test_fetch_samples_takes_no_other_recipe_names_as_arguments() -> None:
    result = subprocess.run(
        ["just", "--dry-run", "fetch-samples", "docs-bundle", "local-interpreter"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stderr.splitlines()
    assert "uv run --frozen python scripts/fetch_samples.py" in lines
    assert any("scripts/docs_bundle.py" in line for line in lines)
    assert any("scripts/make_local_interpreter.py" in line for line in lines)


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """pytest on `folder` alone, with the summary plugin and none of this suite's set-up."""
    plugins = ["-p", "tests.skip_summary", "-p", "no:cacheprovider", "-p", "no:django"]
    alone = ["-c", os.devnull, "--rootdir", str(folder), str(folder)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, *alone],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_run_with_skips_ends_on_their_reasons(tmp_path: Path) -> None:
    (tmp_path / "test_some.py").write_text(
        "import pytest\n"
        'def test_browser():\n    pytest.skip("Debian\'s chromium is not installed")\n'
        "@pytest.mark.skipif(True, reason='needs 7zip')\n"
        "def test_packaging():\n    pass\n"
        "def test_plain():\n    pass\n"
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout
    last = result.stdout.strip().splitlines()[-6:]
    assert "2 test(s) skipped: not tested here" in last[0]
    assert any("Debian's chromium is not installed" in line for line in last)
    assert any("needs 7zip" in line for line in last)
    assert "1 passed, 2 skipped" in last[-1]


def test_a_network_only_skip_is_not_sent_to_a_debian_package(tmp_path: Path) -> None:
    """Before, every skip got the Debian hint, also one that needs the internet (which no
    package installs): each kind of skip now gets the hint that fits it."""
    (tmp_path / "test_some.py").write_text(
        "import pytest\n"
        "@pytest.mark.network\n"
        '@pytest.mark.skip(reason="needs sigstore\'s TUF repository on the internet")\n'
        "def test_online():\n    pass\n"
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout
    section = result.stdout.split("not tested here", 1)[1]
    assert "needs sigstore's TUF repository on the internet" in section
    assert "needs the internet (marked `network`)" in section
    assert "Debian package" not in section
    # With a skip of each kind, each reason is followed by its own hint.
    (tmp_path / "test_other.py").write_text(
        "import pytest\n"
        "@pytest.mark.skipif(True, reason='needs 7zip')\n"
        "def test_packaging():\n    pass\n"
    )
    lines = run_pytest(tmp_path).stdout.split("not tested here", 1)[1].splitlines()
    debian = next(i for i, line in enumerate(lines) if "Debian package" in line)
    online = next(i for i, line in enumerate(lines) if "marked `network`" in line)
    assert any("needs 7zip" in line for line in lines[:debian])
    assert any("TUF" in line for line in lines[debian:online])


def test_a_run_without_skips_adds_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_some.py").write_text("def test_plain():\n    pass\n")
    result = run_pytest(tmp_path)
    assert "not tested here" not in result.stdout


PLAIN_PYTHON = Path("/usr/bin/python3.11")  # Debian's: no workspace packages


@pytest.mark.skipif(not PLAIN_PYTHON.is_file(), reason="needs Debian's /usr/bin/python3.11")
def test_the_local_interpreter_script_explains_itself_under_a_plain_python(
    tmp_path: Path,
) -> None:
    script = str(REPO / "scripts" / "make_local_interpreter.py")
    shown = subprocess.run(
        [str(PLAIN_PYTHON), "-I", script, "--help"], capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "A developer tool of this repository" in shown.stdout
    assert "djdesk-bundle fetch --to DIR" in shown.stdout
    refused = subprocess.run(
        [str(PLAIN_PYTHON), "-I", script, "--output", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "djdesk-bundle is not importable" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "out").exists()
