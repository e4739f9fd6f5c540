"""``djdesk-bundle init``: start a project's ``[tool.djdesk-bundle]`` table from what is
found in the project (see ``project_scan``), and git-ignore what the tool writes.

Safe to run again: what is already there is left alone, and the report says so.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .outputs import DEFAULT_DIST_DIR, DEFAULT_OUTPUT_DIR, TOOL_DIR
from .project_scan import LOCK_NAME, Scan, scan_project

GITIGNORE_ENTRY = f"/{TOOL_DIR}/"
GITIGNORE_BLOCK = f"\n# djdesk-bundle: the payload and its archives\n{GITIGNORE_ENTRY}\n"


@dataclass
class InitReport:
    written: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def project_table(scan: Scan) -> str:
    lines = [
        "[project]",
        f"name = {_toml_string(scan.name)}",
        'version = "0.1.0"',
        f"requires-python = {_toml_string(scan.requires_python)}",
    ]
    return "\n".join(lines) + "\n"


def bundle_table(scan: Scan) -> str:
    lines = [
        "[tool.djdesk-bundle]",
        f"app-dir = {_toml_string(scan.app_dir)}",
        f"app-package = {_toml_string(scan.app_package)}",
        f"settings-module = {_toml_string(scan.settings_module)}",
        f"wsgi-application = {_toml_string(scan.app_package + '.wsgi:application')}",
        f"output-dir = {_toml_string(DEFAULT_OUTPUT_DIR)}",
        f"dist-dir = {_toml_string(DEFAULT_DIST_DIR)}",
    ]
    if scan.requirements:
        lines += [
            f"requirements = {_toml_string(scan.requirements)}",
            f"lock = {_toml_string(LOCK_NAME)}",
        ]
    return "\n".join(lines) + "\n"


def _update_pyproject(project: Path, scan: Scan, report: InitReport) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    tool = tomllib.loads(text).get("tool", {})
    blocks = []
    if scan.has_project_table:
        report.left_alone.append(f"{pyproject} [project] (already there)")
    else:
        blocks.append(project_table(scan))
    if "djdesk-bundle" in tool:
        report.left_alone.append(f"{pyproject} [tool.djdesk-bundle] (already there; edit it)")
    else:
        blocks.append(bundle_table(scan))
    if blocks:
        prefix = text.rstrip("\n") + "\n\n" if text.strip() else ""
        pyproject.write_text(prefix + "\n".join(blocks), encoding="utf-8")
        report.written.append(f"{pyproject} ({', '.join(b.splitlines()[0] for b in blocks)})")


def _update_gitignore(project: Path, report: InitReport) -> None:
    gitignore = project / ".gitignore"
    text = gitignore.read_text(encoding="utf-8") if gitignore.is_file() else ""
    present = {line.strip().strip("/") for line in text.splitlines()}
    if TOOL_DIR in present:
        report.left_alone.append(f"{gitignore} (already ignores {GITIGNORE_ENTRY})")
        return
    prefix = text if not text or text.endswith("\n") else text + "\n"
    gitignore.write_text(prefix + GITIGNORE_BLOCK.lstrip("\n" if not text else ""), "utf-8")
    report.written.append(f"{gitignore} ({GITIGNORE_ENTRY}: the payload and archives)")


def init_project(project: Path, settings: str | None = None) -> InitReport:
    """Write what is missing; leave what is there."""
    project = project.resolve()
    scan = scan_project(project, settings)
    report = InitReport(notes=list(scan.notes))
    _update_pyproject(project, scan, report)
    _update_gitignore(project, report)
    report.notes.append(
        "desktop shell: nothing written for Electron yet; the payload in "
        f"{DEFAULT_OUTPUT_DIR} is what a shell starts (see docs/integration.md)"
    )
    return report


def next_steps(project: Path) -> str:
    pyproject = project / "pyproject.toml"
    table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    has_requirements = bool(table.get("djdesk-bundle", {}).get("requirements"))
    lock = "`djdesk-bundle lock`" if has_requirements else "`uv lock`"
    return f"next: {lock}, then `djdesk-bundle build`"
