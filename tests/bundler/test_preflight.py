"""The pre-flight check in a real build of a small project (Notes Desk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.build.preflight import Finding, parse_findings
from tests.bundler.conftest import needs_local_python
from tests.bundler.notes_project import make_notes_project
from tests.bundler.test_any_project import build_notes, clean_env
from tests.bundler.test_pack_publish_verify import wait_until_gone

RISKY = """
DEBUG = True
MEDIA_ROOT = BASE_DIR / "uploads"
"""


def test_findings_read_from_the_launchers_json() -> None:
    text = (
        'noise before\n{"findings": [{"level": "warning", "id": "djdesk.W004", '
        '"setting": "DEBUG", "message": "DEBUG is on", "fix": "turn it off"}]}'
    )
    (finding,) = parse_findings(text)
    assert finding == Finding("warning", "djdesk.W004", "DEBUG", "DEBUG is on", "turn it off")
    assert finding.line() == "DEBUG: [djdesk.W004] DEBUG is on — turn it off"


@pytest.mark.e2e
@needs_local_python
def test_risky_settings_stop_the_build_unless_an_override_handles_them(
    local_interpreter: Path, tmp_path: Path
) -> None:
    project = make_notes_project(tmp_path / "notes-desk")
    settings = project / "src" / "notesite" / "settings.py"
    settings.write_text(settings.read_text() + RISKY)
    args = (local_interpreter / "manifest.toml", local_interpreter.as_uri(), tmp_path / "cache")

    plain = build_notes(project, *args, env=clean_env() | {"DJDESK_BUNDLE_DESKTOP_OVERRIDES": ""})
    assert plain.returncode == 12, plain.stderr
    message = plain.stderr.replace("\n", " ")
    assert "pre-flight check found 3 error(s)" in message
    assert "MEDIA_ROOT: [djdesk.E001]" in message and "inside the read-only payload" in message
    assert "DEBUG: [djdesk.E004] DEBUG is on" in message
    assert "SECRET_KEY: [djdesk.E003] SECRET_KEY is written in the settings' source" in message
    assert "Traceback" not in plain.stderr
    assert not (project / "build" / "payload").exists()  # nothing published

    desktop = build_notes(project, *args)  # the overrides on: a payload, and no false alarm
    assert desktop.returncode == 0, desktop.stderr
    # The desktop overrides replace DEBUG and SECRET_KEY: nothing to fix, so not a warning
    # (a note with -v, below).
    assert "DEBUG is on" not in desktop.stderr
    assert "SECRET_KEY is written" not in desktop.stderr
    # With -v the notes say what the runtime replaces (a rebuild: nothing else changed).
    verbose = build_notes(project, *args, "--force", "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "note: DEBUG: [djdesk.W004] DEBUG is on in the project's settings" in verbose.stderr
    wait_until_gone("payload.discard-*", project / "build")  # the replaced payload's deletion
