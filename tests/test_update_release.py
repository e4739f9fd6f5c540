"""The release side of updates: merged, signed feeds; the shell's pinned identity matches
the release workflow; the shipped trust root matches its pin and can be refreshed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

TRUST = REPO / "electron" / "trust"
SCRIPTS = REPO / "scripts"


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True, check=False
    )


def merge_feeds(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "djdesk_bundle.release", "merge-feeds", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def feed(path: Path, version: str, *files: tuple[str, str], date: str = "2026-11-01") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [{"url": url, "sha512": sha, "size": 10} for url, sha in files]
    data = {"version": version, "files": entries, "path": entries[0]["url"]}
    data |= {"sha512": entries[0]["sha512"], "releaseDate": date}
    path.write_text(yaml.safe_dump(data))
    return path


def test_feeds_of_two_architectures_become_one(tmp_path: Path) -> None:
    x64 = feed(tmp_path / "x64" / "latest-mac.yml", "0.2.0", ("DJDesk-0.2.0-x64.zip", "aaa"))
    arm = feed(
        tmp_path / "arm64" / "latest-mac.yml",
        "0.2.0",
        ("DJDesk-0.2.0-arm64.zip", "bbb"),
        date="2026-11-02",
    )
    linux = feed(tmp_path / "x64" / "latest-linux.yml", "0.2.0", ("DJDesk-0.2.0.AppImage", "ccc"))
    out = tmp_path / "release"
    result = merge_feeds("--output", str(out), str(x64), str(arm), str(linux))
    assert result.returncode == 0, result.stderr
    merged = yaml.safe_load((out / "latest-mac.yml").read_text())
    assert [f["url"] for f in merged["files"]] == ["DJDesk-0.2.0-arm64.zip", "DJDesk-0.2.0-x64.zip"]
    assert merged["version"] == "0.2.0" and merged["releaseDate"] == "2026-11-02"
    assert len(yaml.safe_load((out / "latest-linux.yml").read_text())["files"]) == 1


def test_feeds_that_disagree_are_not_merged(tmp_path: Path) -> None:
    out = tmp_path / "release"
    a = feed(tmp_path / "a" / "latest.yml", "0.2.0", ("DJDesk-0.2.0.exe", "aaa"))
    b = feed(tmp_path / "b" / "latest.yml", "0.3.0", ("DJDesk-0.3.0.exe", "bbb"))
    result = merge_feeds("--output", str(out), str(a), str(b))
    assert result.returncode == 1 and "different versions ['0.2.0', '0.3.0']" in result.stderr
    c = feed(tmp_path / "c" / "latest.yml", "0.2.0", ("DJDesk-0.2.0.exe", "ccc"))
    result = merge_feeds("--output", str(out), str(a), str(c))
    assert result.returncode == 1 and "both called DJDesk-0.2.0.exe" in result.stderr
    assert not out.exists() or not list(out.iterdir())  # nothing half-written


def test_the_shell_trusts_exactly_the_release_workflow() -> None:
    identity = json.loads((TRUST / "release-trust.json").read_text())["releaseIdentity"]
    release = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert identity["workflow"] == ".github/workflows/release.yml"
    assert release[True]["push"]["tags"] == ["v*"]  # PyYAML reads `on:` as True
    assert identity["refPattern"] == "refs/tags/v*"
    assert identity["issuer"] == "https://token.actions.githubusercontent.com"
    builder = yaml.safe_load((REPO / "electron" / "electron-builder.yml").read_text())
    assert f"{builder['publish']['owner']}/{builder['publish']['repo']}" == identity["repository"]
    # Signing and publishing run in the sign/ and publish/ actions this workflow uses.
    sign_action = yaml.safe_load((REPO / "sign" / "action.yml").read_text())
    runs = " ".join(step.get("run", "") for step in sign_action["runs"]["steps"])
    assert "djdesk_bundle.release gather" in runs and "latest*.yml.sigstore.json" not in runs
    publish_action = yaml.safe_load((REPO / "publish" / "action.yml").read_text())
    publish = " ".join(step.get("run", "") for step in publish_action["runs"]["steps"])
    # Not merely "non-empty": the shell's own verifier with the trust root the app ships.
    assert "node release/verifyFeeds.mjs" in publish and '--tag "v$VERSION"' in publish


def test_the_shipped_trust_root_matches_its_pin() -> None:
    result = run_script("refresh_trust_root.py", "--check")
    assert result.returncode == 0, result.stderr


def test_refreshing_from_a_file_repins_it(tmp_path: Path) -> None:
    trust = tmp_path / "trust"
    shutil.copytree(TRUST, trust)
    import sigstore

    staging = next((Path(sigstore.__file__).parent / "_store").glob("*sigstage*/trusted_root.json"))
    result = run_script("refresh_trust_root.py", "--trust-dir", str(trust), "--from", str(staging))
    assert result.returncode == 0, result.stderr
    assert (trust / "sigstore-trusted-root.json").read_bytes() == staging.read_bytes()
    assert run_script("refresh_trust_root.py", "--check", "--trust-dir", str(trust)).returncode == 0
    # Not a trust root: refused, and the pinned files are untouched.
    before = {p.name: p.read_bytes() for p in trust.iterdir()}
    junk = tmp_path / "junk.json"
    junk.write_text('{"mediaType": "nonsense"}')
    result = run_script("refresh_trust_root.py", "--trust-dir", str(trust), "--from", str(junk))
    assert result.returncode != 0 and "is not a sigstore trusted root" in result.stderr
    assert {p.name: p.read_bytes() for p in trust.iterdir()} == before
    # A modified root no longer matches its pin.
    root = trust / "sigstore-trusted-root.json"
    root.write_bytes(root.read_bytes() + b"\n")
    assert run_script("refresh_trust_root.py", "--check", "--trust-dir", str(trust)).returncode == 1


@pytest.mark.network
@pytest.mark.skip(reason="needs sigstore's TUF repository on the internet")
def test_refreshing_online(tmp_path: Path) -> None:
    shutil.copytree(TRUST, tmp_path / "trust")
    args = ("--trust-dir", str(tmp_path / "trust"))
    assert run_script("refresh_trust_root.py", *args).returncode == 0
    assert run_script("refresh_trust_root.py", "--check", *args).returncode == 0
