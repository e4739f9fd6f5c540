"""The repository's GitHub Action (action.yml, attest/action.yml) through its script's
inputs and outputs: INPUT_* variables in, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "release_action.py"


def run_action(
    command: str, tmp_path: Path, cwd: Path = REPO, **inputs: str
) -> tuple[int, dict[str, str], str, str]:
    """Run one step as the action does; returns (exit code, outputs, summary, stderr)."""
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {
        "PATH": __import__("os").environ["PATH"],
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    env.update({k: v for k, v in inputs.items() if k.startswith("GITHUB_")})
    result = subprocess.run(
        [sys.executable, str(SCRIPT), command], cwd=cwd, env=env, capture_output=True, text=True
    )
    values = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, values, summary.read_text(), result.stderr + result.stdout


def versions() -> str:
    import tomllib

    return tomllib.loads((REPO / "app" / "pyproject.toml").read_text())["project"]["version"]


def test_plan_on_the_matching_tag_publishes(tmp_path: Path) -> None:
    code, out, _, _ = run_action(
        "plan",
        tmp_path,
        target="aarch64-pc-windows-msvc",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME=f"v{versions()}",
    )
    assert code == 0
    assert out == {
        "version": versions(),
        "publish": "true",
        "builder-platform": "--win",
        "builder-arch": "--arm64",
        "electron-dir": "electron",
        "payload-dir": "electron/django-bundle",
    }


def test_plan_on_a_branch_builds_but_never_publishes(tmp_path: Path) -> None:
    # A manual run (workflow_dispatch) on main: no signing identity of a branch, no release.
    code, out, _, log = run_action(
        "plan",
        tmp_path,
        target="x86_64-unknown-linux-gnu",
        GITHUB_REF_TYPE="branch",
        GITHUB_REF_NAME="main",
    )
    assert code == 0 and out["publish"] == "false"
    assert "::notice::main is not a v* tag" in log


def test_plan_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    code, out, _, log = run_action(
        "plan",
        tmp_path,
        target="x86_64-unknown-linux-gnu",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME="v9.9.9",
    )
    assert code == 1 and out == {}
    assert (
        f"::error::tag v9.9.9 does not match the app's and the shell's version {versions()}" in log
    )


def test_plan_refuses_a_shell_with_another_version(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "electron").mkdir()
    (project / "pyproject.toml").write_text('[tool.djdesk-bundle]\napp-dir = "app"\n')
    (project / "app" / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.0.0"\n')
    (project / "electron" / "package.json").write_text(json.dumps({"version": "1.0.1"}))
    code, _, _, log = run_action(
        "plan",
        tmp_path,
        project_dir=str(project),
        target="x86_64-apple-darwin",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME="v1.0.0",
    )
    assert code == 1 and "differs from the shell's package.json 1.0.1" in log


def test_plan_refuses_an_unknown_target(tmp_path: Path) -> None:
    code, _, _, log = run_action("plan", tmp_path, target="x86_64-apple-darwin20")
    assert code == 1 and "target 'x86_64-apple-darwin20' is not one of" in log


def fake_build(project: Path, target: str, installers: list[str]) -> None:
    """What `djdesk-bundle build` and electron-builder leave behind (contents stand in)."""
    (project / "dist").mkdir(parents=True)
    (project / "electron" / "django-bundle").mkdir(parents=True)
    (project / "electron" / "dist" / "linux-unpacked").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.djdesk-bundle]\n")
    archive = project / "dist" / f"demo-payload-1.0.0-{target}.tar.gz"
    archive.write_bytes(b"payload")
    archive.with_name(archive.name + ".sha256").write_text("x\n")
    (project / "electron" / "django-bundle" / "sbom.cdx.json").write_text("{}")
    for name in installers:
        (project / "electron" / "dist" / name).write_bytes(name.encode())
    (project / "electron" / "dist" / "builder-debug.yml").write_text("x: 1\n")


def test_collect_writes_a_flat_release_dir_outputs_and_a_summary(tmp_path: Path) -> None:
    project = tmp_path / "project"
    target = "x86_64-pc-windows-msvc"
    fake_build(
        project,
        target,
        [
            "Demo-Setup-1.0.0-x64.exe",
            "Demo-Setup-1.0.0-x64.exe.blockmap",
            "Demo-1.0.0-win-x64.zip",
            "latest.yml",
        ],
    )
    code, out, summary, log = run_action(
        "collect",
        tmp_path,
        cwd=tmp_path,
        project_dir="project",
        target=target,
        output_dir="out",
        installer_sboms="false",
    )
    assert code == 0, log
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [
            "Demo-1.0.0-win-x64.zip",
            "Demo-Setup-1.0.0-x64.exe",
            "Demo-Setup-1.0.0-x64.exe.blockmap",
            f"demo-payload-1.0.0-{target}.tar.gz",
            f"demo-payload-1.0.0-{target}.tar.gz.sha256",
            "latest.yml",
            f"sbom-{target}.cdx.json",
        ]
    )
    assert out["assets-dir"] == "out"
    assert out["payload-archive"] == f"out/demo-payload-1.0.0-{target}.tar.gz"
    assert out["installers"] == "Demo-1.0.0-win-x64.zip Demo-Setup-1.0.0-x64.exe"
    assert f"### {target}" in summary and "| `Demo-Setup-1.0.0-x64.exe` | 24 |" in summary


def test_collect_fails_clearly_without_a_payload(tmp_path: Path) -> None:
    project = tmp_path / "project"
    fake_build(project, "x86_64-apple-darwin", [])
    code, out, _, log = run_action(
        "collect",
        tmp_path,
        cwd=tmp_path,
        project_dir="project",
        target="aarch64-apple-darwin",
        output_dir="out",
    )
    assert code == 1 and out == {}
    assert "::error::expected one payload archive for aarch64-apple-darwin" in log


def test_sboms_pairs_the_payload_and_installers_with_their_sboms(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in [
        "demo-payload-1.0.0-aarch64-apple-darwin.tar.gz",
        "sbom-aarch64-apple-darwin.cdx.json",
        "Demo-1.0.0-mac-arm64.dmg",
        "Demo-1.0.0-mac-arm64.dmg.cdx.json",
        "Demo-1.0.0-mac-arm64.zip",
    ]:
        (assets / name).write_text("x")
    code, out, _, log = run_action("sboms", tmp_path, assets_dir=str(assets))
    assert code == 0, log
    assert out["payload-sbom"].endswith("sbom-aarch64-apple-darwin.cdx.json")
    assert out["installer-1"].endswith("Demo-1.0.0-mac-arm64.dmg")
    assert out["installer-sbom-1"].endswith("Demo-1.0.0-mac-arm64.dmg.cdx.json")
    assert out["installer-2"] == "" and out["installer-3"] == ""  # the zip has no SBOM


@pytest.mark.parametrize("action", ["action.yml", "attest/action.yml"])
def test_every_input_reaches_the_script_through_env_not_shell_text(action: str) -> None:
    data = yaml.safe_load((REPO / action).read_text())
    for step in data["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"{action}: an expression inside run: {step}"


def test_sboms_fails_clearly_on_a_directory_that_is_not_a_release(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    code, _, _, log = run_action("sboms", tmp_path, assets_dir=str(tmp_path / "assets"))
    assert code == 1 and "must hold one payload archive and one sbom-*.cdx.json" in log
