"""The integration guide's commands, run as written on a real startproject site, so the
guide cannot drift from the tool. Blocks marked ``% guide-step`` run in order: the first
from a scratch folder, the rest in the project; only the environment points the build at
the local interpreter (over a real 127.0.0.1 mirror) and at private tool and cache dirs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bundler.conftest import needs_local_python
from tests.bundler.mirror import serve_mirror
from tests.bundler.projects import make_allauth_site
from tests.conftest import REPO

GUIDE = REPO / "docs" / "integration.md"
STEP = re.compile(r"^% guide-step[^\n]*\n```bash\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def guide_steps(text: str) -> list[str]:
    return [match["body"] for match in STEP.finditer(text)]


def test_the_guide_has_five_commands_at_most() -> None:
    steps = guide_steps(GUIDE.read_text())
    commands = [line for step in steps for line in step.splitlines() if line.strip()]
    assert len(steps) == 2 and 0 < len(commands) <= 5, commands


@pytest.mark.e2e
@needs_local_python
@pytest.mark.skipif(
    sys.platform == "win32",
    reason="the guide's commands are bash; on a Windows runner `bash` on PATH may be WSL's "
    "launcher, and uv installs djdesk-bundle.exe (the other tests build there with the CLI)",
)
def test_the_guide_bundles_a_startproject_site(local_interpreter: Path, tmp_path: Path) -> None:
    site = make_allauth_site(tmp_path / "work")
    tools = tmp_path / "tools"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJDESK_", "DJANGO_", "VIRTUAL_ENV", "UV_TOOL"))
    }
    env |= {
        "DJDESK_CHECKOUT": str(REPO),
        "UV_TOOL_DIR": str(tools / "envs"),
        "UV_TOOL_BIN_DIR": str(tools / "bin"),
        # The tool the guide installs comes first on PATH (uv and git: from the user's PATH).
        "PATH": os.pathsep.join([str(tools / "bin"), os.environ["PATH"]]),
        "DJDESK_BUNDLE_INTERPRETER_MANIFEST": str(local_interpreter / "manifest.toml"),
        "DJDESK_BUNDLE_CACHE_DIR": str(tmp_path / "cache"),
    }
    install, *in_project = guide_steps(GUIDE.read_text())
    with serve_mirror(local_interpreter) as (url, state):
        env["DJDESK_BUNDLE_PYTHON_MIRROR"] = url
        for body, cwd in [(install, tmp_path), *((step, site) for step in in_project)]:
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", body],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, f"{body}\n{result.stdout}\n{result.stderr}"
        assert state.requests, "the interpreter must come through the HTTP mirror"
    assert "ok:" in result.stderr  # verify's last word
    payload = site / ".djdesk" / "django-bundle"
    assert (payload / "static" / "account" / "js" / "account.js").is_file()
    assert (tools / "bin" / "djdesk-bundle").is_file()
    which = subprocess.run(
        ["bash", "-c", "command -v djdesk-bundle"], env=env, capture_output=True, text=True
    )
    assert which.stdout.strip() == str(tools / "bin" / "djdesk-bundle")
