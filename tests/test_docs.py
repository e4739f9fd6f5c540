"""The documentation builds with warnings as errors, and every command it shows exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from djdesk_bundle.cli import make_parser
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "-q",
            "-b",
            "html",
            str(REPO / "docs"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for page in (
        "index",
        "integration",
        "bundler",
        "verify-a-release",
        "updates",
        "security",
        "troubleshooting",
    ):
        assert (tmp_path / f"{page}.html").is_file()
    footer = (tmp_path / "index.html").read_text()
    assert re.search(r"Copyright (©|&#169;) 2026, DJDesk contributors", footer)  # a holder


def subcommands() -> set[str]:
    parser = make_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return set(action.choices)


def recipes() -> set[str]:
    text = (REPO / "justfile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*)\b[^\n]*?:(?:\s|$)", text, re.MULTILINE))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_shown_exists(page: Path) -> None:
    text = page.read_text()
    shown_bundle = set(re.findall(r"djdesk-bundle ([a-z][a-z-]*[a-z])", text))
    assert shown_bundle <= subcommands(), shown_bundle - subcommands()
    shown_just = set(re.findall(r"`just ([a-z][a-z0-9-]*)", text)) | set(
        re.findall(r"&& just ([a-z][a-z0-9-]*)", text)
    )
    assert shown_just <= recipes(), shown_just - recipes()
    for flag in re.findall(r"djdesk-bundle [a-z]+[^`\n]*?(--[a-z-]+)", text):
        assert flag in make_parser().format_help() or any(
            flag in sub.format_help()
            for sub in next(
                a for a in make_parser()._actions if a.dest == "command"
            ).choices.values()
        ), flag
