"""Release assets: installer names per target, gathering the build jobs' files, and the
check before upload (feed urls are assets under exactly that name, SHA256SUMS is complete)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from djdesk_bundle.release import check as check_release
from djdesk_bundle.release import gather as gather_release
from djdesk_bundle.release.__main__ import main as release_main
from djdesk_bundle.release.action import TARGETS  # release target -> (platform, arch)
from tests.conftest import REPO, load_script

ELECTRON = REPO / "electron"
needs_electron_builder = pytest.mark.skipif(
    shutil.which("node") is None or not (ELECTRON / "node_modules" / "app-builder-lib").is_dir(),
    reason="needs Node.js and `npm ci` in electron/ (electron-builder)",
)


def installer_names(platform: str, arch: str) -> list[dict[str, object]]:
    result = subprocess.run(
        ["node", "release/artifactNames.mjs", platform, arch],
        cwd=ELECTRON,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@needs_electron_builder
def test_every_installer_name_has_its_arch_and_no_spaces() -> None:
    names = [n["file"] for p, a in TARGETS.values() for n in installer_names(p, a)]
    assert len(names) == len(set(names)), names  # x64 and arm64 never collide
    for name in names:
        assert check_release.SAFE_NAME.match(name), f"{name!r} would be renamed by GitHub"
    assert "DJDesk-Setup-0.1.0-x64.exe" in names and "DJDesk-Setup-0.1.0-arm64.exe" in names


def sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


def write_release(root: Path, files: dict[str, bytes], feeds: dict[str, list[str]]) -> Path:
    """A release dir: the files, feeds offering some of them, and a complete SHA256SUMS."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    for feed, urls in feeds.items():
        entries = [
            {"url": url, "sha512": sha512(files[url]), "size": len(files[url])} for url in urls
        ]
        (root / feed).write_text(
            yaml.safe_dump(
                {"version": "0.1.0", "files": entries, "path": urls[0]}
                | {"sha512": entries[0]["sha512"], "releaseDate": "2026-11-25"}
            )
        )
    sums = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(root.iterdir())
    )
    (root / "SHA256SUMS").write_text(sums)
    return root


GOOD = {
    "DJDesk-Setup-0.1.0-x64.exe": b"x64 installer",
    "DJDesk-Setup-0.1.0-x64.exe.blockmap": b"x64 blockmap",
    "DJDesk-Setup-0.1.0-arm64.exe": b"arm64 installer",
    "DJDesk-Setup-0.1.0-arm64.exe.blockmap": b"arm64 blockmap",
}
GOOD_FEEDS = {"latest.yml": ["DJDesk-Setup-0.1.0-arm64.exe", "DJDesk-Setup-0.1.0-x64.exe"]}


def test_a_complete_release_passes(tmp_path: Path) -> None:
    release = write_release(tmp_path / "r", GOOD, GOOD_FEEDS)
    assert check_release.check_release(release, version="0.1.0") == []


def test_an_asset_with_spaces_is_caught(tmp_path: Path) -> None:
    # electron-builder's default NSIS name; GitHub would upload it as DJDesk.Setup.0.1.0.exe.
    files = {"DJDesk Setup 0.1.0.exe": b"installer", "DJDesk Setup 0.1.0.exe.blockmap": b"b"}
    release = write_release(tmp_path / "r", files, {"latest.yml": ["DJDesk Setup 0.1.0.exe"]})
    problems = [str(p) for p in check_release.check_release(release)]
    assert "asset name 'DJDesk Setup 0.1.0.exe' would be renamed by GitHub" in problems[0]


def test_a_feed_url_that_is_not_an_asset_is_caught(tmp_path: Path) -> None:
    release = write_release(tmp_path / "r", GOOD, GOOD_FEEDS)
    # What happened with the old names: the feed says dashes, the upload has another name.
    (release / "DJDesk-Setup-0.1.0-x64.exe").rename(release / "DJDesk.Setup.0.1.0.exe")
    problems = [str(p) for p in check_release.check_release(release)]
    assert "latest.yml: url DJDesk-Setup-0.1.0-x64.exe is not an uploaded asset" in problems[0]
    assert any("SHA256SUMS does not list DJDesk.Setup.0.1.0.exe" in p for p in problems)


def test_missing_blockmap_wrong_hash_and_incomplete_sums_are_caught(tmp_path: Path) -> None:
    release = write_release(tmp_path / "r", GOOD, GOOD_FEEDS)
    (release / "DJDesk-Setup-0.1.0-arm64.exe.blockmap").unlink()
    (release / "DJDesk-Setup-0.1.0-x64.exe").write_bytes(b"another installer")
    (release / "sbom-x86_64-pc-windows-msvc.cdx.json").write_text("{}")
    problems = "\n".join(map(str, check_release.check_release(release, version="0.2.0")))
    assert "DJDesk-Setup-0.1.0-arm64.exe.blockmap is missing" in problems
    assert "DJDesk-Setup-0.1.0-x64.exe does not have the sha512 the feed states" in problems
    assert "SHA256SUMS does not list sbom-x86_64-pc-windows-msvc.cdx.json" in problems
    assert "SHA256SUMS lists DJDesk-Setup-0.1.0-arm64.exe.blockmap, which is not" in problems
    assert "offers version 0.1.0, the release is 0.2.0" in problems


def test_signed_releases_need_a_bundle_for_every_asset(tmp_path: Path) -> None:
    release = write_release(tmp_path / "r", GOOD, GOOD_FEEDS)
    for path in list(release.iterdir()):
        if path.name != "latest.yml":
            (release / f"{path.name}.sigstore.json").write_text("{}")
    assert [str(p) for p in check_release.check_release(release, signed=True)] == [
        "latest.yml has no latest.yml.sigstore.json"
    ]


def test_the_command_line_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    release = write_release(tmp_path / "r", GOOD, GOOD_FEEDS)
    (release / "SHA256SUMS").unlink()
    assert release_main(["check", str(release)], env={}) == 1


def target_dir(
    root: Path, target: str, files: dict[str, bytes], feed: str, urls: list[str]
) -> Path:
    directory = root / f"release-{target}"
    directory.mkdir(parents=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    entries = [{"url": u, "sha512": sha512(files[u]), "size": len(files[u])} for u in urls]
    (directory / feed).write_text(
        yaml.safe_dump(
            {
                "version": "0.1.0",
                "files": entries,
                "path": urls[0],
                "sha512": entries[0]["sha512"],
                "releaseDate": "2026-11-25",
            }
        )
    )
    return directory


def test_two_windows_builds_with_the_old_default_name_stop_the_gathering(tmp_path: Path) -> None:
    old = "DJDesk Setup 0.1.0.exe"  # electron-builder's default: no arch for a single-arch build
    dirs = [
        target_dir(tmp_path, t, {old: t.encode()}, "latest.yml", [old])
        for t in ("x86_64-pc-windows-msvc", "aarch64-pc-windows-msvc")
    ]
    with pytest.raises(gather_release.FeedConflict, match="two different files are both called"):
        gather_release.gather(dirs, tmp_path / "release")


def test_gathering_keeps_every_target_and_merges_the_feeds(tmp_path: Path) -> None:
    dirs = [
        target_dir(
            tmp_path,
            t,
            {
                f"DJDesk-Setup-0.1.0-{a}.exe": t.encode(),
                f"DJDesk-Setup-0.1.0-{a}.exe.blockmap": b"b" + t.encode(),
            },
            "latest.yml",
            [f"DJDesk-Setup-0.1.0-{a}.exe"],
        )
        for t, a in (("x86_64-pc-windows-msvc", "x64"), ("aarch64-pc-windows-msvc", "arm64"))
    ]
    release = tmp_path / "release"
    assert list(gather_release.gather(dirs, release)) == ["latest.yml"]
    feed = yaml.safe_load((release / "latest.yml").read_text())
    assert [f["url"] for f in feed["files"]] == [
        "DJDesk-Setup-0.1.0-arm64.exe",
        "DJDesk-Setup-0.1.0-x64.exe",
    ]
    assert sorted(p.name for p in release.iterdir()) == sorted([*GOOD, "latest.yml"])


# --- the reproducibility gate of a code-signed target (scripts/compare_rebuild.py) ---------

compare_rebuild = load_script("compare_rebuild")
MACHO = bytes.fromhex("cffaedfe") + b"\0" * 60


def payload_archive(path: Path, files: dict[str, bytes]) -> Path:
    files = dict(files)
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"django-bundle/{name}")
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return path


UNSIGNED = {"python/bin/python3": MACHO, "app/views.py": b"def view(): ...\n"}


def test_a_signed_payload_may_differ_from_its_rebuild_only_in_its_binaries(tmp_path: Path) -> None:
    rebuilt = payload_archive(tmp_path / "rebuilt.tar.gz", UNSIGNED)
    signed = {**UNSIGNED, "python/bin/python3": MACHO + b"signature, timestamped"}
    published = payload_archive(tmp_path / "published.tar.gz", signed)
    assert compare_rebuild.beyond_signing(published, rebuilt) == []


def test_a_signed_payload_that_differs_elsewhere_fails_the_gate(tmp_path: Path) -> None:
    """It used to be a warning and exit 0 for every code-signed target."""
    rebuilt = payload_archive(tmp_path / "rebuilt.tar.gz", UNSIGNED)
    drifted = {**UNSIGNED, "python/bin/python3": MACHO + b"sig", "app/views.py": b"other\n"}
    published = payload_archive(tmp_path / "published.tar.gz", drifted)
    assert compare_rebuild.beyond_signing(published, rebuilt) == [
        "SHA256SUMS: app/views.py differs",
        "changed: app/views.py (size 6 -> 16, content)",
    ]
