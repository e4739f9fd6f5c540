"""The build action's steps (``action.yml``) and the attest action's pairing (``attest/``).

Inputs come as ``INPUT_<NAME>`` environment variables (the actions pass each input through
``env:``, never into the shell text); outputs, summaries and annotations go through
:mod:`.runner`.

    plan      check the target and that the app's and the shell's versions agree (and, on a
              pushed tag, equal it); outputs version, publish, electron-builder flags
    keychain  macOS: import the signing certificate into a temporary keychain; outputs the
              codesign identity (nothing without a certificate)
    collect   copy what the build made into one flat directory with the target in every
              name that lacks it; installer SBOMs
    sboms     the payload archive and each installer with its SBOM, for attest/action.yml
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.release.runner import annotate, table, write_summary

DEFAULT_OUTPUT_DIR = f"electron/{contract.ARCHIVE_ROOT}"  # this repository's layout

# Release target -> (electron-builder platform, arch); its flags are --<platform> --<arch>.
TARGETS = {
    "x86_64-unknown-linux-gnu": ("linux", "x64"),
    "aarch64-unknown-linux-gnu": ("linux", "arm64"),
    "x86_64-apple-darwin": ("mac", "x64"),
    "aarch64-apple-darwin": ("mac", "arm64"),
    "x86_64-pc-windows-msvc": ("win", "x64"),
    "aarch64-pc-windows-msvc": ("win", "arm64"),
}
INSTALLER_SUFFIXES = (".dmg", ".zip", ".exe", ".AppImage", ".deb", ".tar.gz")
MAX_INSTALLERS = 3  # per target (Linux: AppImage, deb, tar.gz); attest/action.yml has 3 steps


class ActionError(Exception):
    """A problem with the inputs or the project; annotated at ``file``/``line`` if known."""

    def __init__(self, message: str, file: Path | None = None, line: int | None = None):
        super().__init__(message)
        self.file, self.line = file, line


def inputs(env: Mapping[str, str], *names: str) -> dict[str, str]:
    return {name: env.get(f"INPUT_{name.upper()}", "").strip() for name in names}


def bundle_options(project: Path) -> dict[str, Any]:
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(config.get("tool", {}).get("djdesk-bundle", {}))


def version_line(path: Path) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(r'\s*"?version"?\s*[:=]', line):
            return number
    return None


def project_files(project: Path, electron: Path) -> tuple[Path, Path]:
    """(the app's pyproject.toml, the shell's package.json)."""
    app_dir = bundle_options(project).get("app-dir", ".")
    return project / app_dir / "pyproject.toml", electron / "package.json"


def project_versions(project: Path, electron: Path) -> tuple[str, str]:
    """(the app's version from its pyproject.toml, the shell's from package.json)."""
    app_file, shell_file = project_files(project, electron)
    app = tomllib.loads(app_file.read_text(encoding="utf-8"))
    shell = json.loads(shell_file.read_text(encoding="utf-8"))
    return str(app["project"]["version"]), str(shell["version"])


def release_decision(
    app: str, shell: str, event: str, ref_type: str, ref_name: str
) -> tuple[str, bool]:
    """(version, publish): publish only from a pushed tag v<version> that the app and the
    shell share. A manual run (workflow_dispatch, or anything but a push) is a dry run
    whatever its ref: signing, attesting and publishing wait for the tag's own push."""
    if app != shell:
        raise ActionError(f"the app's version {app} differs from the shell's package.json {shell}")
    if ref_type != "tag":
        return app, False
    if ref_name != f"v{app}":
        raise ActionError(f"tag {ref_name} does not match the app's and the shell's version {app}")
    return app, event == "push"


def plan_summary(version: str, publish: bool, env: Mapping[str, str], target: str) -> str:
    ref = f"{env.get('GITHUB_REF_TYPE', '')} {env.get('GITHUB_REF_NAME', '')}".strip()
    event = env.get("GITHUB_EVENT_NAME", "") or "(no event)"
    verdict = "publishes: signs, attests and drafts the release" if publish else "dry run"
    rows = [("version", version), ("ref", ref or "(none)"), ("event", event), ("run", verdict)]
    if target:
        rows.insert(0, ("target", target))
    return "### Release plan\n\n" + table(("", ""), rows)


def cmd_plan(env: Mapping[str, str]) -> dict[str, str]:
    given = inputs(env, "project_dir", "target", "electron_dir")
    if given["target"] and given["target"] not in TARGETS:
        raise ActionError(f"target {given['target']!r} is not one of {', '.join(TARGETS)}")
    project = Path(given["project_dir"] or ".")
    electron = project / (given["electron_dir"] or "electron")
    app_file, _ = project_files(project, electron)
    try:
        version, publish = release_decision(
            *project_versions(project, electron),
            env.get("GITHUB_EVENT_NAME", ""),
            env.get("GITHUB_REF_TYPE", ""),
            env.get("GITHUB_REF_NAME", ""),
        )
    except ActionError as exc:
        raise ActionError(str(exc), app_file, version_line(app_file)) from None
    platform, arch = (
        (f"--{flag}" for flag in TARGETS[given["target"]]) if given["target"] else ("", "")
    )
    if not publish:
        ref = env.get("GITHUB_REF_NAME", "")
        annotate(
            "notice",
            f"{ref} ({env.get('GITHUB_EVENT_NAME', '')}) is not a pushed v* tag: "
            "built and checked only",
        )
    write_summary(env, plan_summary(version, publish, env, given["target"]))
    return {
        "version": version,
        "publish": str(publish).lower(),
        "builder-platform": platform,
        "builder-arch": arch,
        "electron-dir": str(electron),
        "payload-dir": str(bundle_options(project).get("output-dir", DEFAULT_OUTPUT_DIR)),
    }


def security(*args: str) -> str:
    """Run macOS ``security``; a failure says which subcommand, never its arguments
    (they hold the certificate's password)."""
    result = subprocess.run(["security", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ActionError(f"security {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def import_certificate(certificate: Path, password: str, keychain: str) -> None:
    unlock = secrets.token_hex(16)
    security("create-keychain", "-p", unlock, keychain)
    security("set-keychain-settings", "-lut", "21600", keychain)
    security("unlock-keychain", "-p", unlock, keychain)
    security(
        "import",
        str(certificate),
        "-k",
        keychain,
        "-f",
        "pkcs12",
        "-P",
        password,
        "-T",
        "/usr/bin/codesign",
    )
    security("set-key-partition-list", "-S", "apple-tool:,apple:", "-s", "-k", unlock, keychain)
    listed = [name.strip('"') for name in security("list-keychains", "-d", "user").split()]
    security("list-keychains", "-d", "user", "-s", keychain, *listed)


def cmd_keychain(env: Mapping[str, str]) -> dict[str, str]:
    given = inputs(env, "macos_certificate", "macos_certificate_password")
    if not given["macos_certificate"]:
        annotate("notice", "no macOS certificate given: the payload and the app stay unsigned")
        return {"identity": ""}
    temp = Path(env.get("RUNNER_TEMP", "/tmp"))
    certificate = temp / "djdesk-signing.p12"
    keychain = str(temp / "djdesk-signing.keychain-db")
    certificate.write_bytes(base64.b64decode(given["macos_certificate"]))
    try:
        import_certificate(certificate, given["macos_certificate_password"], keychain)
    finally:
        certificate.unlink()
    found = re.search(
        r'"(Developer ID Application: [^"]+)"',
        security("find-identity", "-v", "-p", "codesigning", keychain),
    )
    if not found:
        raise ActionError("the certificate holds no 'Developer ID Application' identity")
    return {"identity": found.group(1)}


def is_installer(path: Path) -> bool:
    return path.is_file() and path.name.endswith(INSTALLER_SUFFIXES)


def wanted_from_builder(path: Path) -> bool:
    return path.is_file() and (
        is_installer(path)
        or path.name.endswith(".blockmap")
        or (path.name.startswith("latest") and path.name.endswith(".yml"))
    )


def collect(project: Path, electron: Path, target: str, output: Path) -> list[Path]:
    """Copy the payload archive, its SBOM, installers, blockmaps and feeds into ``output``."""
    options = bundle_options(project)
    dist = project / options.get("dist-dir", "dist")
    payload = project / options.get("output-dir", DEFAULT_OUTPUT_DIR)
    output.mkdir(parents=True, exist_ok=True)
    archives = sorted(dist.glob(f"*-payload-*-{target}.tar.gz"))
    if len(archives) != 1:
        raise ActionError(f"expected one payload archive for {target} in {dist}, found {archives}")
    chosen = {
        output / archives[0].name: archives[0],
        output / f"{archives[0].name}.sha256": archives[0].with_name(f"{archives[0].name}.sha256"),
        output / f"sbom-{target}.cdx.json": payload / contract.SBOM,
    }
    built = electron / "dist"
    for path in sorted(built.iterdir()) if built.is_dir() else []:
        if wanted_from_builder(path):
            chosen[output / path.name] = path
    for destination, source in chosen.items():
        if not source.is_file():
            raise ActionError(f"{source} was not built")
        shutil.copyfile(source, destination)
    return sorted(chosen)


def installer_sboms(project: Path, payload: Path, assets: list[Path]) -> list[Path]:
    """``djdesk-bundle installer-sbom`` (this very bundler) per installer."""
    written = []
    for installer in (a for a in assets if is_installer(a) and "-payload-" not in a.name):
        sbom = installer.with_name(f"{installer.name}.cdx.json")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "djdesk_bundle.cli",
                "installer-sbom",
                "--payload",
                str(payload.resolve()),
                "--installer",
                str(installer.resolve()),
                "--output",
                str(sbom.resolve()),
            ],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ActionError(f"installer-sbom {installer.name}: {result.stderr.strip()}")
        written.append(sbom)
    return written


def assets_table(assets: list[Path]) -> str:
    rows = [(f"`{a.name}`", str(a.stat().st_size), f"`{file_sha256(a)[:16]}…`") for a in assets]
    return table(("asset", "bytes", "sha256"), rows)


def build_summary(target: str, assets: list[Path], env: Mapping[str, str]) -> str:
    """What the build leg made; collect runs only after `verify` passed (the step before)."""
    signer = inputs(env, "code_signing")["code_signing"] or "not code-signed"
    notarised = inputs(env, "notarisation")["notarisation"] or "not notarised"
    return "\n".join(
        [
            f"### Build {target}",
            "",
            "- payload: verified against its SHA256SUMS (`djdesk-bundle verify`)",
            f"- code signing: {signer}",
            f"- notarisation: {notarised}",
            "",
            assets_table(assets),
        ]
    )


def cmd_collect(env: Mapping[str, str]) -> dict[str, str]:
    given = inputs(env, "project_dir", "target", "electron_dir", "output_dir")
    project = Path(given["project_dir"] or ".")
    electron = project / (given["electron_dir"] or "electron")
    output = Path(given["output_dir"] or f"release-{given['target']}")
    assets = collect(project, electron, given["target"], output)
    payload = project / bundle_options(project).get("output-dir", DEFAULT_OUTPUT_DIR)
    if given["target"] and env.get("INPUT_INSTALLER_SBOMS", "true") != "false":
        assets = sorted([*assets, *installer_sboms(project, payload, assets)])
    write_summary(env, build_summary(given["target"], assets, env))
    archive = next(
        a for a in assets if a.name.endswith(f"{given['target']}.tar.gz") and "-payload-" in a.name
    )
    return {
        "assets-dir": str(output),
        "payload-archive": str(archive),
        "installers": " ".join(
            a.name for a in assets if is_installer(a) and "-payload-" not in a.name
        ),
    }


def cmd_sboms(env: Mapping[str, str]) -> dict[str, str]:
    """The (subject, SBOM) pairs of a collected directory, for attest/action.yml."""
    assets = Path(inputs(env, "assets_dir")["assets_dir"])
    archives = sorted(assets.glob("*-payload-*.tar.gz"))
    sboms = sorted(assets.glob("sbom-*.cdx.json"))
    if len(archives) != 1 or len(sboms) != 1:
        raise ActionError(f"{assets} must hold one payload archive and one sbom-*.cdx.json")
    archive, sbom = archives[0], sboms[0]
    pairs = [
        (p, p.with_name(f"{p.name}.cdx.json"))
        for p in sorted(assets.iterdir())
        if is_installer(p) and p != archive
    ]
    pairs = [(p, s) for p, s in pairs if s.is_file()]
    if len(pairs) > MAX_INSTALLERS:
        raise ActionError(
            f"{len(pairs)} installer SBOMs; attest/action.yml attests {MAX_INSTALLERS}"
        )
    outputs = {"payload-archive": str(archive), "payload-sbom": str(sbom)}
    for number in range(1, MAX_INSTALLERS + 1):
        subject, installer_sbom = pairs[number - 1] if number <= len(pairs) else ("", "")
        outputs[f"installer-{number}"] = str(subject)
        outputs[f"installer-sbom-{number}"] = str(installer_sbom)
    provenance = sorted(p for p in assets.iterdir() if p.is_file())
    rows = [
        (f"`{p.name}`", "provenance" + (", SBOM" if p in dict(pairs) or p == archive else ""))
        for p in provenance
    ]
    write_summary(env, f"### Attested ({assets})\n\n" + table(("subject", "attestations"), rows))
    return outputs
