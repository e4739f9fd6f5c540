"""The logic of the repository's GitHub Action (action.yml): one subcommand per step.

Inputs come as ``INPUT_<NAME>`` environment variables (the action passes each input
through ``env:``, never into the shell text); outputs go to ``$GITHUB_OUTPUT`` and a table
of the assets to ``$GITHUB_STEP_SUMMARY``.

    plan      check the target and that the app's and the shell's versions agree (and, on a
              tag, equal it); outputs version, publish, electron-builder flags
    keychain  macOS: import the signing certificate into a temporary keychain; outputs the
              codesign identity (nothing without a certificate)
    collect   copy what the build made into one flat directory with the target in every
              name that lacks it; installer SBOMs when the bundler can write them
    sboms     (attest/action.yml) the payload archive and each installer with its SBOM
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

# The payload contract, read as data (this runs with `uv run --no-project`: standard library).
CONTRACT = json.loads(
    (
        Path(__file__).resolve().parent.parent / "bundler" / "djdesk_runtime" / "contract.json"
    ).read_text(encoding="utf-8")
)
SBOM_FILE = CONTRACT["payload"]["files"]["sbom"]
DEFAULT_OUTPUT_DIR = f"electron/{CONTRACT['payload']['root']}"  # this repository's layout

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


class ActionError(Exception):
    """A problem with the inputs or the project; printed as a GitHub ::error::."""


def inputs(env: Mapping[str, str], *names: str) -> dict[str, str]:
    return {name: env.get(f"INPUT_{name.upper()}", "").strip() for name in names}


def write_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> None:
    target = env.get("GITHUB_OUTPUT")
    lines = "".join(f"{key}={value}\n" for key, value in values.items())
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        sys.stdout.write(lines)


def bundle_options(project: Path) -> dict[str, str]:
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(config.get("tool", {}).get("djdesk-bundle", {}))


def project_versions(project: Path, electron: Path) -> tuple[str, str]:
    """(the app's version from its pyproject.toml, the shell's from package.json)."""
    app_dir = bundle_options(project).get("app-dir", ".")
    app = tomllib.loads((project / app_dir / "pyproject.toml").read_text(encoding="utf-8"))
    shell = json.loads((electron / "package.json").read_text(encoding="utf-8"))
    return str(app["project"]["version"]), str(shell["version"])


def release_decision(app: str, shell: str, ref_type: str, ref_name: str) -> tuple[str, bool]:
    """(version, publish): publish only from a tag v<version> that the app and shell share."""
    if app != shell:
        raise ActionError(f"the app's version {app} differs from the shell's package.json {shell}")
    if ref_type != "tag":
        return app, False
    if ref_name != f"v{app}":
        raise ActionError(f"tag {ref_name} does not match the app's and the shell's version {app}")
    return app, True


def cmd_plan(env: Mapping[str, str]) -> dict[str, str]:
    given = inputs(env, "project_dir", "target", "electron_dir")
    if given["target"] and given["target"] not in TARGETS:
        raise ActionError(f"target {given['target']!r} is not one of {', '.join(TARGETS)}")
    project = Path(given["project_dir"] or ".")
    electron = project / (given["electron_dir"] or "electron")
    version, publish = release_decision(
        *project_versions(project, electron),
        env.get("GITHUB_REF_TYPE", ""),
        env.get("GITHUB_REF_NAME", ""),
    )
    platform, arch = (
        (f"--{flag}" for flag in TARGETS[given["target"]]) if given["target"] else ("", "")
    )
    if not publish:
        print(f"::notice::{env.get('GITHUB_REF_NAME', '')} is not a v* tag: built and checked only")
    return {
        "version": version,
        "publish": str(publish).lower(),
        "builder-platform": platform,
        "builder-arch": arch,
        "electron-dir": str(electron),
        "payload-dir": bundle_options(project).get("output-dir", DEFAULT_OUTPUT_DIR),
    }


def run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def cmd_keychain(env: Mapping[str, str]) -> dict[str, str]:
    given = inputs(env, "macos_certificate", "macos_certificate_password")
    if not given["macos_certificate"]:
        print("::notice::no macOS certificate given: the payload and the app stay unsigned")
        return {"identity": ""}
    temp = Path(env.get("RUNNER_TEMP", "/tmp"))
    certificate = temp / "djdesk-signing.p12"
    certificate.write_bytes(base64.b64decode(given["macos_certificate"]))
    keychain = str(temp / "djdesk-signing.keychain-db")
    password = secrets.token_hex(16)
    run(["security", "create-keychain", "-p", password, keychain])
    run(["security", "set-keychain-settings", "-lut", "21600", keychain])
    run(["security", "unlock-keychain", "-p", password, keychain])
    run(
        [
            "security",
            "import",
            str(certificate),
            "-k",
            keychain,
            "-f",
            "pkcs12",
            "-P",
            given["macos_certificate_password"],
            "-T",
            "/usr/bin/codesign",
        ]
    )
    run(
        [
            "security",
            "set-key-partition-list",
            "-S",
            "apple-tool:,apple:",
            "-s",
            "-k",
            password,
            keychain,
        ]
    )
    listed = run(["security", "list-keychains", "-d", "user"]).split()
    run(
        [
            "security",
            "list-keychains",
            "-d",
            "user",
            "-s",
            keychain,
            *[name.strip('"') for name in listed],
        ]
    )
    certificate.unlink()
    found = re.search(
        r'"(Developer ID Application: [^"]+)"',
        run(["security", "find-identity", "-v", "-p", "codesigning", keychain]),
    )
    if not found:
        raise ActionError("the certificate holds no 'Developer ID Application' identity")
    return {"identity": found.group(1)}


def is_installer(path: Path) -> bool:
    return path.is_file() and path.name.endswith(INSTALLER_SUFFIXES)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        output / f"sbom-{target}.cdx.json": payload / SBOM_FILE,
    }
    built = electron / "dist"
    for path in sorted(built.iterdir()) if built.is_dir() else []:
        wanted = (
            is_installer(path)
            or path.name.endswith(".blockmap")
            or (path.name.startswith("latest") and path.name.endswith(".yml"))
        )
        if wanted and path.is_file():
            chosen[output / path.name] = path
    for destination, source in chosen.items():
        if not source.is_file():
            raise ActionError(f"{source} was not built")
        shutil.copyfile(source, destination)
    return sorted(chosen)


def installer_sboms(project: Path, payload: Path, assets: list[Path]) -> list[Path]:
    """``djdesk-bundle installer-sbom`` per installer, when the bundler has that command."""
    command = ["uv", "run", "--frozen", "djdesk-bundle", "installer-sbom"]
    probe = subprocess.run([*command, "--help"], cwd=project, capture_output=True, check=False)
    if probe.returncode != 0:
        print("::notice::this djdesk-bundle has no installer-sbom command: no installer SBOMs")
        return []
    written = []
    for installer in (a for a in assets if is_installer(a) and "-payload-" not in a.name):
        sbom = installer.with_name(f"{installer.name}.cdx.json")
        subprocess.run(
            [
                *command,
                "--payload",
                str(payload.resolve()),
                "--installer",
                str(installer.resolve()),
                "--output",
                str(sbom.resolve()),
            ],
            cwd=project,
            check=True,
        )
        written.append(sbom)
    return written


def summary_table(target: str, assets: list[Path]) -> str:
    rows = [f"| `{a.name}` | {a.stat().st_size} | `{file_sha256(a)[:16]}…` |" for a in assets]
    return (
        "\n".join([f"### {target}", "", "| asset | bytes | sha256 |", "|---|---:|---|", *rows, ""])
        + "\n"
    )


def cmd_collect(env: Mapping[str, str]) -> dict[str, str]:
    given = inputs(env, "project_dir", "target", "electron_dir", "output_dir")
    project = Path(given["project_dir"] or ".")
    electron = project / (given["electron_dir"] or "electron")
    output = Path(given["output_dir"] or f"release-{given['target']}")
    assets = collect(project, electron, given["target"], output)
    payload = project / bundle_options(project).get("output-dir", DEFAULT_OUTPUT_DIR)
    if given.get("target") and env.get("INPUT_INSTALLER_SBOMS", "true") != "false":
        assets = sorted([*assets, *installer_sboms(project, payload, assets)])
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary_table(given["target"], assets))
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


MAX_INSTALLERS = 3  # per target (Linux: AppImage, deb, tar.gz); attest/action.yml has 3 steps


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
    return outputs


COMMANDS = {"plan": cmd_plan, "keychain": cmd_keychain, "collect": cmd_collect, "sboms": cmd_sboms}


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    if len(args) != 1 or args[0] not in COMMANDS:
        print(f"usage: release_action.py {{{','.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        write_outputs(env, COMMANDS[args[0]](env))
    except (ActionError, OSError, KeyError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"::error::{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
