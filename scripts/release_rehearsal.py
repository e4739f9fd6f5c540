"""Rehearse the publishing side of a release, offline, here (``just release-rehearsal``).

What the release workflow does after its build jobs, on real files wherever this machine
can make them:

1. a real payload for this host (the local interpreter archive over a loopback HTTP mirror);
2. real electron-builder output for it (``--linux dir tar.gz``, fuses flipped by the
   afterPack hook) with a stand-in Electron (``electronDist``; the binary cannot be
   downloaded here), collected by the repository action's own ``collect`` step;
3. for the other five targets (and the Linux installers that need tools from GitHub:
   AppImage, deb), stand-in files named exactly as electron-builder names them
   (electron/release/artifactNames.mjs) with feeds as electron-builder writes them;
4. the sign job's gathering and feed merge, the release SHA256SUMS, the pre-upload asset
   check; the feed verification with the shell's verifier (unsigned feeds must be refused;
   the test fixture's signed file must pass).

Exits 1 with the failing step when any of it fails.

    uv run python scripts/release_rehearsal.py --work var/rehearsal [--builder-config FILE]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from djdesk_bundle.release.action import TARGETS
from djdesk_bundle.release.check import check_release
from djdesk_bundle.release.gather import FeedConflict, gather
from djdesk_runtime.contract import ARCHIVE_ROOT, SBOM, VERSION_FILE

REPO = Path(__file__).resolve().parent.parent

HOST_TARGET = "x86_64-unknown-linux-gnu"
FIXTURE = REPO / "tests" / "fixtures" / "sigstore" / "signed-artifact.whl"
FIXTURE_IDENTITY = {"repository": "trailofbits/rfc8785.py"}
FUSE_SENTINEL = b"dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX"
RELEASE_DATE = "2026-01-01T00:00:00.000Z"
STARTED = time.monotonic()


class RehearsalFailed(Exception):
    pass


def step(title: str) -> None:
    print(f"\n== {title} ({time.monotonic() - STARTED:.0f} s)", flush=True)


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RehearsalFailed(f"{' '.join(args[:4])}… failed:\n{result.stdout}{result.stderr}")
    return result


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """A loopback HTTP mirror on a free port (what --python-mirror fetches from)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def app_version() -> str:
    return str(tomllib.loads((REPO / "app" / "pyproject.toml").read_text())["project"]["version"])


def shell_copy(work: Path, builder_config: Path | None) -> Path:
    """electron/ without build outputs (node_modules linked), so nothing here is touched."""
    shell = work / "electron"
    ignore = shutil.ignore_patterns("node_modules", ARCHIVE_ROOT, "dist", "*.log")
    shutil.copytree(REPO / "electron", shell, ignore=ignore)
    (shell / "node_modules").symlink_to(REPO / "electron" / "node_modules")
    if builder_config:
        shutil.copyfile(builder_config, shell / "electron-builder.yml")
    return shell


def build_payload(work: Path, shell: Path) -> None:
    step("payload: the local interpreter over a loopback mirror, a real build")
    interpreter = work / "interpreter"
    run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_local_interpreter.py"),
            "--output",
            str(interpreter),
        ]
    )
    samples = work / "samples"
    run([sys.executable, str(REPO / "scripts" / "fetch_samples.py"), "--root", str(samples)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJDESK_BUNDLE_")}
    env["DJDESK_BUNDLE_SAMPLES_DIR"] = str(samples / "djdesk")
    bundler = shutil.which("djdesk-bundle", path=str(Path(sys.executable).parent))
    with serve(interpreter) as url:
        run(
            [
                bundler or "djdesk-bundle",
                "build",
                "--manifest",
                str(interpreter / "manifest.toml"),
                "--python-mirror",
                url,
                "--output",
                str(shell / ARCHIVE_ROOT),
                "--dist",
                str(work / "project" / "dist"),
                "--cache-dir",
                str(work / "cache"),
            ],
            cwd=REPO,
            env=env,
        )


def stand_in_electron(directory: Path) -> Path:
    """An Electron distribution dir whose binary carries Electron's fuse wire (all on)."""
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / "electron"
    binary.write_bytes(
        b"#!/bin/sh\necho stand-in Electron\n" + FUSE_SENTINEL + bytes([1, 8]) + b"11111111"
    )
    binary.chmod(0o755)
    (directory / "LICENSE").write_text("stand-in\n")
    (directory / "version").write_text(
        json.loads((REPO / "electron" / "node_modules" / "electron" / "package.json").read_text())[
            "version"
        ]
    )
    return directory


def seven_zip() -> str:
    for name in ("7za", "7z", "7zz"):
        if path := shutil.which(name):
            return path
    raise RehearsalFailed("electron-builder's tar.gz needs 7-Zip offline: install 7zip (Debian)")


def electron_builder(work: Path, shell: Path) -> None:
    step("electron-builder --linux dir tar.gz (stand-in Electron, fuses flipped by afterPack)")
    env = {
        **os.environ,
        "ELECTRON_BUILDER_7ZIP_PATH": seven_zip(),
        "ELECTRON_SKIP_BINARY_DOWNLOAD": "1",
        "CSC_IDENTITY_AUTO_DISCOVERY": "false",
    }
    # compression=store: the names and contents matter here, not the archive's size.
    run(
        [
            "npx",
            "--no-install",
            "electron-builder",
            "--linux",
            "dir",
            "tar.gz",
            "--x64",
            "--publish",
            "never",
            "-c.compression=store",
            f"-c.electronDist={stand_in_electron(work / 'electron-dist')}",
        ],
        cwd=shell,
        env=env,
    )
    wire = (shell / "dist" / "linux-unpacked" / "djdesk").read_bytes()
    fuses = wire[wire.index(FUSE_SENTINEL) + len(FUSE_SENTINEL) + 2 :][:8]
    if fuses[0:1] != b"0" or fuses[2:4] != b"00" or fuses[5:6] != b"1":
        raise RehearsalFailed(
            f"the packaged binary's fuses are {fuses!r}: RunAsNode, "
            "NODE_OPTIONS, --inspect must be off and only-asar on"
        )


def installer_names(shell: Path, platform: str, arch: str) -> list[dict[str, object]]:
    result = run(["node", "release/artifactNames.mjs", platform, arch], cwd=shell)
    names: list[dict[str, object]] = json.loads(result.stdout)
    return names


def sha512_b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def write_feed(path: Path, version: str, files: list[Path]) -> None:
    """A feed as electron-builder writes it (latest*.yml)."""
    entries = [{"url": f.name, "sha512": sha512_b64(f), "size": f.stat().st_size} for f in files]
    feed = {
        "version": version,
        "files": entries,
        "path": entries[0]["url"],
        "sha512": entries[0]["sha512"],
        "releaseDate": RELEASE_DATE,
    }
    path.write_text(yaml.safe_dump(feed, sort_keys=False), encoding="utf-8")


def feed_name(platform: str, arch: str) -> str:
    if platform == "win":
        return "latest.yml"
    return f"latest-{platform}{'-' + arch if platform == 'linux' and arch != 'x64' else ''}.yml"


def stand_ins(directory: Path, names: list[dict[str, object]], target: str) -> list[Path]:
    """Files standing in for installers this host cannot build (and their blockmaps)."""
    made = []
    for entry in names:
        path = directory / str(entry["file"])
        if not path.exists():
            path.write_bytes(f"stand-in {entry['target']} installer for {target}\n".encode())
            if entry["blockmap"]:
                (directory / f"{path.name}.blockmap").write_bytes(b"stand-in blockmap\n")
        made.append(path)
    return made


def collect_host(work: Path, shell: Path, version: str) -> Path:
    """The host target: real files, collected by the repository action's own step."""
    step(f"{HOST_TARGET}: the action's collect step over the real build")
    platform, arch = TARGETS[HOST_TARGET]
    names = installer_names(shell, platform, arch)
    built = {p.name for p in (shell / "dist").iterdir()}
    expected_tar = next(str(n["file"]) for n in names if n["target"] == "tar.gz")
    if expected_tar not in built:
        raise RehearsalFailed(f"electron-builder wrote {sorted(built)}, not {expected_tar}")
    # AppImage and deb need tools electron-builder downloads from GitHub: stand-ins.
    feed_files = [
        p
        for p, n in zip(stand_ins(shell / "dist", names, HOST_TARGET), names, strict=True)
        if n["feed"]
    ]
    write_feed(shell / "dist" / feed_name(platform, arch), version, feed_files)
    project = work / "project"
    shutil.copyfile(REPO / "pyproject.toml", project / "pyproject.toml")
    (project / "electron").mkdir(exist_ok=True)
    (project / "electron" / ARCHIVE_ROOT).unlink(missing_ok=True)
    (project / "electron" / ARCHIVE_ROOT).symlink_to(shell / ARCHIVE_ROOT)
    out = work / "artifacts" / f"release-{HOST_TARGET}"
    env = {
        **os.environ,
        "INPUT_PROJECT_DIR": str(project),
        "INPUT_TARGET": HOST_TARGET,
        "INPUT_ELECTRON_DIR": str(shell),
        "INPUT_OUTPUT_DIR": str(out),
        "INPUT_INSTALLER_SBOMS": "false",  # stand-in installers: nothing to describe
        "GITHUB_OUTPUT": str(work / "github_output"),
        "GITHUB_STEP_SUMMARY": str(work / "step_summary.md"),
    }
    run([sys.executable, "-m", "djdesk_bundle.release", "collect"], env=env)
    return out


def other_target(
    work: Path, shell: Path, target: str, version: str, payload: Path, host_archive: Path
) -> Path:
    platform, arch = TARGETS[target]
    out = work / "artifacts" / f"release-{target}"
    out.mkdir(parents=True)
    names = installer_names(shell, platform, arch)
    files = stand_ins(out, names, target)
    write_feed(
        out / feed_name(platform, arch),
        version,
        [f for f, n in zip(files, names, strict=True) if n["feed"]],
    )
    archive = out / host_archive.name.replace(HOST_TARGET, target)
    with tarfile.open(archive, "w:gz") as tar:  # a stand-in payload archive
        tar.add(payload / VERSION_FILE, arcname=f"{ARCHIVE_ROOT}/{VERSION_FILE}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.with_name(f"{archive.name}.sha256").write_text(f"{digest}  {archive.name}\n")
    shutil.copyfile(payload / SBOM, out / f"sbom-{target}.cdx.json")
    return out


def verify_feeds(work: Path, release: Path) -> None:
    step("feed verification with the shell's verifier and the trust root the app ships")
    script = REPO / "electron" / "release" / "verifyFeeds.mjs"
    unsigned = subprocess.run(
        ["node", str(script), str(release)], capture_output=True, text=True, check=False
    )
    refused = unsigned.stderr.count("refused (missing-signature)")
    feeds = len(list(release.glob("latest*.yml")))
    if unsigned.returncode != 1 or refused != feeds:
        raise RehearsalFailed(f"unsigned feeds were not all refused:\n{unsigned.stderr}")
    print(f"unsigned: all {feeds} feeds refused (nothing signs here)")
    signed = work / "signed-fixture"
    signed.mkdir()
    shutil.copyfile(FIXTURE, signed / "latest-linux.yml")
    shutil.copyfile(f"{FIXTURE}.sigstore.json", signed / "latest-linux.yml.sigstore.json")
    identity = work / "fixture-identity.json"
    identity.write_text(json.dumps(FIXTURE_IDENTITY))
    # The fixture is a signed wheel, not a feed: its signature verifies, then it is refused
    # as an app would refuse it (a signed file without a feed's version checks nothing).
    genuine = subprocess.run(
        ["node", str(script), str(signed), "--identity", str(identity), "--tag", "v0.1.2"],
        capture_output=True,
        text=True,
        check=False,
    )
    if genuine.returncode != 1 or "(its signature is valid: " not in genuine.stderr:
        raise RehearsalFailed(f"the signed fixture was not verified as expected:\n{genuine.stderr}")
    print(genuine.stderr.strip())


def reuse_payload(work: Path, shell: Path, previous: Path) -> None:
    step(f"payload: reused from the rehearsal in {previous}")
    shutil.copytree(previous / "electron" / ARCHIVE_ROOT, shell / ARCHIVE_ROOT, symlinks=True)
    shutil.copytree(previous / "project" / "dist", work / "project" / "dist")


def rehearse(
    work: Path, builder_config: Path | None = None, payload_from: Path | None = None
) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    version = app_version()
    shell = shell_copy(work, builder_config)
    if payload_from:
        reuse_payload(work, shell, payload_from)
    else:
        build_payload(work, shell)
    electron_builder(work, shell)
    target_dirs = [collect_host(work, shell, version)]
    (host_archive,) = (work / "project" / "dist").glob(f"*-payload-*-{HOST_TARGET}.tar.gz")
    step("stand-ins for the other five targets, named as electron-builder names them")
    for target in TARGETS:
        if target != HOST_TARGET:
            target_dirs.append(
                other_target(work, shell, target, version, shell / ARCHIVE_ROOT, host_archive)
            )
    step("gather every target (the sign job) and merge the feeds")
    release = work / "release"
    try:
        print("feeds:", ", ".join(gather(target_dirs, release)))
    except FeedConflict as exc:
        raise RehearsalFailed(str(exc)) from None
    step("release SHA256SUMS (what `djdesk-bundle sign --release-sums` writes)")
    from djdesk_bundle.sign.sigstore_signing import write_release_sums

    write_release_sums(sorted(p for p in release.iterdir() if p.is_file()), release / "SHA256SUMS")
    step("pre-upload check: feed urls are assets of that exact name, SHA256SUMS is complete")
    problems = check_release(release, version)
    if problems:
        raise RehearsalFailed("\n".join(map(str, problems)))
    print(f"{len(list(release.iterdir()))} assets pass")
    verify_feeds(work, release)
    return release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "var" / "rehearsal")
    parser.add_argument("--builder-config", type=Path, help="another electron-builder.yml")
    parser.add_argument("--payload-from", type=Path, help="reuse an earlier rehearsal's payload")
    args = parser.parse_args(argv)
    try:
        release = rehearse(args.work.resolve(), args.builder_config, args.payload_from)
    except RehearsalFailed as exc:
        print(f"\nerror: release rehearsal failed: {exc}", file=sys.stderr)
        return 1
    print(f"\nrelease rehearsal passed: {release}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
