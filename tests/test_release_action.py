"""The repository's GitHub Action (action.yml, attest/action.yml) through its steps'
inputs and outputs (``python -m djdesk_bundle.release``): INPUT_* variables in,
$GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY out."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from djdesk_bundle.release.runner import annotation, write_outputs
from tests.conftest import REPO


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
        [sys.executable, "-m", "djdesk_bundle.release", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
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
        GITHUB_EVENT_NAME="push",
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
        GITHUB_EVENT_NAME="workflow_dispatch",
        GITHUB_REF_TYPE="branch",
        GITHUB_REF_NAME="main",
    )
    assert code == 0 and out["publish"] == "false"
    assert "::notice::main (workflow_dispatch) is not a pushed v* tag" in log


def test_plan_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    code, out, _, log = run_action(
        "plan",
        tmp_path,
        target="x86_64-unknown-linux-gnu",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME="v9.9.9",
    )
    assert code == 1 and out == {}
    # Annotated where the version is written: app/pyproject.toml's `version =` line.
    assert f"tag v9.9.9 does not match the app's and the shell's version {versions()}" in log
    assert re.search(r"::error file=app/pyproject.toml,line=\d+::tag v9.9.9 does not", log), log


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
    assert f"### Build {target}" in summary and "| `Demo-Setup-1.0.0-x64.exe` | 24 |" in summary
    assert "- code signing: not code-signed" in summary
    assert "- payload: verified against its SHA256SUMS" in summary


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


def test_a_manual_run_on_the_matching_tag_is_a_dry_run(tmp_path: Path) -> None:
    """workflow_dispatch with the tag as its ref: built and checked, never signed,
    attested or published (that identity is what every installed app trusts)."""
    code, out, summary, log = run_action(
        "plan",
        tmp_path,
        target="x86_64-apple-darwin",
        GITHUB_EVENT_NAME="workflow_dispatch",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME=f"v{versions()}",
    )
    assert code == 0, log
    assert out["publish"] == "false"
    assert "is not a pushed v* tag: built and checked only" in log
    assert "| run | dry run |" in summary and "| event | workflow_dispatch |" in summary


def test_plan_writes_what_it_decided_into_the_job_summary(tmp_path: Path) -> None:
    _, _, summary, _ = run_action(
        "plan",
        tmp_path,
        GITHUB_EVENT_NAME="push",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME=f"v{versions()}",
    )
    assert "### Release plan" in summary
    assert "| run | publishes: signs, attests and drafts the release |" in summary


def test_sboms_summarises_what_is_attested(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in [
        "demo-payload-1.0.0-x86_64-apple-darwin.tar.gz",
        "sbom-x86_64-apple-darwin.cdx.json",
    ]:
        (assets / name).write_text("x")
    code, _, summary, log = run_action("sboms", tmp_path, assets_dir=str(assets))
    assert code == 0, log
    assert "| `demo-payload-1.0.0-x86_64-apple-darwin.tar.gz` | provenance, SBOM |" in summary


# --- the draft release: tests/fixtures/release/gh.py stands in for `gh` --------------------

GH = REPO / "tests" / "fixtures" / "release" / "gh.py"
needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="the gh stand-in is a #! script")


def stand_in_gh(tmp_path: Path, release: dict | None) -> tuple[Path, Path, Path]:
    state, log = tmp_path / "release.json", tmp_path / "gh.log"
    if release is not None:
        state.write_text(json.dumps(release))
    return GH, state, log


def draft(tmp_path: Path, gh: Path) -> subprocess.CompletedProcess[str]:
    state, log = tmp_path / "release.json", tmp_path / "gh.log"
    release = tmp_path / "release"
    release.mkdir(exist_ok=True)
    for name in ("SHA256SUMS", "latest.yml", "DJDesk-Setup-1.0.0-x64.exe"):
        (release / name).write_text(name)
    return subprocess.run(
        [sys.executable, "-m", "djdesk_bundle.release", "draft", str(release), "--tag", "v1.0.0"],
        env={
            **__import__("os").environ,
            **{"DJDESK_GH": str(gh), "GH_STATE": str(state), "GH_LOG": str(log)},
            "GITHUB_STEP_SUMMARY": "",
        },
        capture_output=True,
        text=True,
    )


@needs_posix
def test_the_first_attempt_creates_a_draft_of_the_existing_tag_only(tmp_path: Path) -> None:
    gh, state, log = stand_in_gh(tmp_path, None)
    result = draft(tmp_path, gh)
    assert result.returncode == 0, result.stderr
    create = json.loads(log.read_text().splitlines()[-1])
    assert create[:3] == ["release", "create", "v1.0.0"]
    assert "--draft" in create and "--verify-tag" in create  # never a tag made from a branch
    assert json.loads(state.read_text())["assets"] == sorted(
        ["SHA256SUMS", "latest.yml", "DJDesk-Setup-1.0.0-x64.exe"]
    )


@needs_posix
def test_a_rerun_updates_the_draft_a_failed_attempt_left(tmp_path: Path) -> None:
    gh, state, log = stand_in_gh(tmp_path, {"draft": True, "assets": ["SHA256SUMS", "old.exe"]})
    result = draft(tmp_path, gh)
    assert result.returncode == 0, result.stderr
    assert "updated with 3 asset(s)" in result.stdout
    calls = [json.loads(line)[:2] for line in log.read_text().splitlines()]
    assert ["release", "create"] not in calls
    assert ["release", "edit"] in calls
    upload = next(json.loads(c) for c in log.read_text().splitlines() if '"upload"' in c)
    assert "--clobber" in upload
    assert json.loads(state.read_text())["assets"] == sorted(
        ["SHA256SUMS", "latest.yml", "DJDesk-Setup-1.0.0-x64.exe"]
    )  # old.exe, which this attempt does not publish, is gone


@needs_posix
def test_a_published_release_is_never_changed(tmp_path: Path) -> None:
    gh, _, log = stand_in_gh(tmp_path, {"draft": False, "assets": ["SHA256SUMS"]})
    result = draft(tmp_path, gh)
    assert result.returncode == 1
    assert "::error::release v1.0.0 is already published: left as it is" in result.stdout
    assert [json.loads(line)[:2] for line in log.read_text().splitlines()] == [["release", "view"]]


# --- what the steps tell the runner --------------------------------------------------------


def test_annotations_escape_the_message_and_the_file_name() -> None:
    line = annotation("error", "two lines\nand 100%", file="dir/a,b:c.yml", line=7, title="x")
    assert line == "::error file=dir/a%2Cb%3Ac.yml,line=7,title=x::two lines%0Aand 100%25"
    assert annotation("notice", "plain") == "::notice::plain"


def test_multi_line_outputs_use_the_delimited_form(tmp_path: Path) -> None:
    output = tmp_path / "out"
    write_outputs({"GITHUB_OUTPUT": str(output)}, {"one": "1", "many": "a\nb"})
    lines = output.read_text().splitlines()
    assert lines[0] == "one=1"
    assert lines[1].startswith("many<<ghadelimiter_") and lines[2:4] == ["a", "b"]
    assert lines[4] == lines[1].split("<<")[1]


def test_a_check_problem_is_annotated_at_its_file_and_line(tmp_path: Path) -> None:
    release = tmp_path / "release"
    release.mkdir()
    (release / "latest.yml").write_text("version: 1.0.0\nfiles:\n  - url: Missing.exe\n")
    (release / "SHA256SUMS").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "djdesk_bundle.release", "check", str(release)],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "GITHUB_STEP_SUMMARY": ""},
    )
    assert result.returncode == 1
    where = str(release / "latest.yml").replace(":", "%3A").replace(",", "%2C")
    assert f"::error file={where},line=3::latest.yml: url Missing.exe is not" in result.stdout
