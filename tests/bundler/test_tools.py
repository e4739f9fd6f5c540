"""External tools: a git checkout without git is an error, not a silent change of what ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.errors import ToolMissing
from djdesk_bundle.tools.git import in_git_checkout, require_git


def test_a_checkout_without_git_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    assert in_git_checkout(tmp_path / "app")
    with pytest.raises(ToolMissing, match=r"git is not installed, but .* is a git checkout"):
        require_git(tmp_path / "app", None)
    require_git(tmp_path / "app", Path("/usr/bin/git"))


def test_outside_a_checkout_git_is_not_needed(tmp_path: Path) -> None:
    assert not in_git_checkout(tmp_path)
    require_git(tmp_path, None)
