"""``djdesk-bundle init``: start a project's ``[tool.djdesk-bundle]`` table from what is
found in the project (see ``project_scan``), and git-ignore what the tool writes.

Safe to run again: what is already there is left alone, and the report says so.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from djdesk_bundle.build.outputs import DEFAULT_DIST_DIR, DEFAULT_OUTPUT_DIR, TOOL_DIR
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.scaffold.project_scan import (
    LOCK_NAME,
    Scan,
    find_manage_py,
    read_pyproject,
    scan_project,
)
from djdesk_bundle.scaffold.shell import ShellParams, check_icon, shell_metadata, write_shell
from djdesk_bundle.tools.git import find_git, git

SHELL_DIR = "electron"
GITHUB_REMOTE = re.compile(r"github\.com[:/](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")

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
    text = _read(pyproject)
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


@dataclass(frozen=True)
class ShellChoices:
    """What `init` was told about the desktop shell (None: `init` picks)."""

    write: bool = True
    product_name: str | None = None
    app_id: str | None = None
    repository: str | None = None
    icon: Path | None = None


APP_ID = re.compile(r"[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)+")
REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def check_shell_choices(choices: ShellChoices) -> None:
    """Refuse what electron-builder or GitHub would refuse later, before writing anything."""
    if choices.app_id is not None and not APP_ID.fullmatch(choices.app_id):
        raise ConfigError(
            f"--app-id {choices.app_id!r}: a reverse-DNS name is expected, e.g. org.example.notes"
        )
    if choices.repository is not None and not REPOSITORY.fullmatch(choices.repository):
        raise ConfigError(
            f"--repository {choices.repository!r}: OWNER/NAME of a GitHub repository is expected"
        )
    if choices.product_name is not None and not re.search(r"[A-Za-z0-9]", choices.product_name):
        raise ConfigError(f"--product-name {choices.product_name!r}: give a name with letters")
    if choices.icon is not None:
        check_icon(choices.icon)


def _github_repository(project: Path) -> str | None:
    remote = git(find_git(), project, "remote", "get-url", "origin")  # init's one git call
    match = GITHUB_REMOTE.search(remote.strip()) if remote else None
    return match["repo"] if match else None


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def shell_params(project: Path, scan: Scan, choices: ShellChoices, notes: list[str]) -> ShellParams:
    """The shell's values: what `init` was given, else what the project says, noted."""
    slug = re.sub(r"[^a-z0-9]+", "-", scan.name.lower()).strip("-") or "app"
    shell = project / SHELL_DIR
    project_table = tomllib.loads(_read(project / "pyproject.toml")).get("project", {})
    # The project's own name, as written (not the package name capitalised).
    product = choices.product_name or str(project_table.get("name") or scan.name)
    if not choices.product_name:
        notes.append(
            f"shell: product name {product!r}: pass --product-name for the name people see"
        )
    license_, author = shell_metadata(project_table, product, _relative(project, shell), notes)
    app_id = choices.app_id or f"org.example.{slug.replace('-', '')}"
    if not choices.app_id:
        notes.append(f"shell: app id {app_id}: pass --app-id with a reverse-DNS name you own")
    repository = choices.repository or _github_repository(project)
    if not repository:
        repository = f"OWNER/{slug}"
        notes.append(
            f"shell: updates come from the GitHub releases of {repository} and are refused "
            "until that is your repository: pass --repository OWNER/NAME"
        )
    return ShellParams(
        name=slug,
        product_name=product,
        app_id=app_id,
        version=str(project_table.get("version", "0.1.0")),
        description=f"{product}: a Django app on the desktop",
        repository=repository,
        author=author,
        license=license_,
        payload_dir=_relative(project / DEFAULT_OUTPUT_DIR, shell),
        dev_app_dir=_relative(find_manage_py(project).parent, shell),
    )


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _write_shell(project: Path, scan: Scan, choices: ShellChoices, report: InitReport) -> None:
    shell = project / SHELL_DIR
    if shell.exists() and any(shell.iterdir()):
        report.left_alone.append(f"{shell}/ (already there; delete it to get a fresh shell)")
        return
    params = shell_params(project, scan, choices, report.notes)
    count = write_shell(shell, params, icon=choices.icon)
    report.written.append(
        f"{shell}/ ({count} files: the desktop shell of {params.product_name}, {params.app_id})"
    )


def configured_table(project: Path) -> dict[str, object] | None:
    """The project's [tool.djdesk-bundle] table, None before the first init."""
    table = read_pyproject(project).get("tool", {}).get("djdesk-bundle")
    return dict(table) if isinstance(table, dict) else None


def _rerun_notes(
    project: Path, table: dict[str, object], settings: str | None, shell: ShellChoices
) -> list[str]:
    """A re-run says what is configured (not its fresh guesses) and which flags it did not
    apply: the table and the shell are the user's once written."""
    notes = [f"configured in {project / 'pyproject.toml'} [tool.djdesk-bundle]:"]
    notes += [f"  {key} = {json.dumps(value)}" for key, value in table.items()]
    configured = table.get("settings-module")
    if settings and settings != configured:
        notes.append(
            f"ignored --settings {settings}: settings-module is {json.dumps(configured)} "
            "(edit pyproject.toml to change it)"
        )
    shell_dir = project / SHELL_DIR
    if shell.write and shell_dir.is_dir() and any(shell_dir.iterdir()):
        given = {
            "--product-name": shell.product_name,
            "--app-id": shell.app_id,
            "--repository": shell.repository,
            "--icon": shell.icon,
        }
        flags = [flag for flag, value in given.items() if value is not None]
        if flags:
            notes.append(
                f"ignored {', '.join(flags)}: {shell_dir}/ is already there (edit its "
                "package.json and electron-builder.yml, or delete it for a fresh shell)"
            )
    return notes


def init_project(
    project: Path, settings: str | None = None, shell: ShellChoices | None = None
) -> InitReport:
    """Write what is missing; leave what is there (and say what is configured)."""
    project = project.resolve()
    shell = shell or ShellChoices()
    check_shell_choices(shell)
    table = configured_table(project)
    if table is None:
        scan = scan_project(project, settings)
        report = InitReport(notes=list(scan.notes))
    else:
        configured = table.get("settings-module")
        scan = scan_project(
            project,
            str(configured) if configured else settings,
            settings_given_as=f"{project / 'pyproject.toml'} settings-module",
        )
        report = InitReport(notes=_rerun_notes(project, table, settings, shell))
    _update_pyproject(project, scan, report)
    _update_gitignore(project, report)
    if shell.write:
        _write_shell(project, scan, shell, report)
    return report


def next_steps(project: Path) -> str:
    pyproject = project / "pyproject.toml"
    table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    has_requirements = bool(table.get("djdesk-bundle", {}).get("requirements"))
    lock = "`djdesk-bundle lock`" if has_requirements else "`uv lock`"
    return f"next: {lock}, then `djdesk-bundle build`"
