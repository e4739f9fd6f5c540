"""Code signing of the payload's native binaries (macOS ``codesign``, Windows ``signtool``).

It runs in the build after the app stage and before ``describe``, so SHA256SUMS, the SBOM
and ``verify`` all see the signed bytes. Signing is configured by the environment (the
release workflow passes its secrets there); without an identity the payload stays unsigned
and the build says so (a GitHub Actions ``::notice::`` too). A tool that fails, fails the
build. File names go to the tools as arguments, never through a shell.

macOS: ``DJDESK_CODESIGN_IDENTITY`` (an identity in the keychain, e.g.
"Developer ID Application: Name (TEAMID)"); hardened runtime, secure timestamp, and the
interpreter's entitlements (``entitlements/python.plist``, or
``DJDESK_CODESIGN_ENTITLEMENTS``).

Windows: ``DJDESK_WINDOWS_CERTIFICATE`` (a .pfx file) and
``DJDESK_WINDOWS_CERTIFICATE_PASSWORD``; ``DJDESK_SIGNTOOL`` when signtool.exe
is not on PATH; ``DJDESK_TIMESTAMP_URL`` (an RFC 3161 server).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from djdesk_bundle.errors import CodesignFailed
from djdesk_bundle.ui import Reporter

IDENTITY_ENV = "DJDESK_CODESIGN_IDENTITY"
ENTITLEMENTS_ENV = "DJDESK_CODESIGN_ENTITLEMENTS"
WINDOWS_CERTIFICATE_ENV = "DJDESK_WINDOWS_CERTIFICATE"
WINDOWS_PASSWORD_ENV = "DJDESK_WINDOWS_CERTIFICATE_PASSWORD"
SIGNTOOL_ENV = "DJDESK_SIGNTOOL"
TIMESTAMP_URL_ENV = "DJDESK_TIMESTAMP_URL"
DEFAULT_TIMESTAMP_URL = "http://timestamp.digicert.com"
ENTITLEMENTS = Path(__file__).resolve().parents[1] / "entitlements" / "python.plist"

# Mach-O (32/64-bit, either byte order) and universal ("fat") binaries.
MACHO_MAGICS = {
    bytes.fromhex(m) for m in ("feedface", "feedfacf", "cefaedfe", "cffaedfe", "cafebabe")
}
PE_SUFFIXES = (".exe", ".dll", ".pyd")
BATCH = 64  # files per tool invocation (command lines stay short on Windows)

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_tool(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def is_macho(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head[:4] not in MACHO_MAGICS:
        return False
    # Java class files share 0xcafebabe; a fat header's arch count is small.
    return head[:4] != bytes.fromhex("cafebabe") or 0 < int.from_bytes(head[4:8], "big") < 20


def is_pe(path: Path) -> bool:
    if not path.name.lower().endswith(PE_SUFFIXES):
        return False
    with path.open("rb") as handle:
        return handle.read(2) == b"MZ"


def native_files(root: Path, kind: Callable[[Path], bool]) -> list[Path]:
    """Signable files, innermost first and libraries before executables (inside-out)."""
    found = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and kind(p)]
    return sorted(found, key=lambda p: (-len(p.parts), p.suffix in ("", ".exe"), str(p)))


def batches(paths: list[Path]) -> Iterator[list[str]]:
    for start in range(0, len(paths), BATCH):
        yield [str(p) for p in paths[start : start + BATCH]]


def _run(runner: Runner, args: list[str], what: str) -> None:
    result = runner(args)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()
        raise CodesignFailed(f"{what} failed (exit {result.returncode}): {' '.join(detail[-3:])}")


def _notice(env: Mapping[str, str], reporter: Reporter, message: str) -> None:
    reporter.warn(message)
    if env.get("GITHUB_ACTIONS") == "true":
        print(f"::notice title=Payload not signed::{message}", flush=True)


def sign_macos(root: Path, identity: str, entitlements: Path, runner: Runner) -> int:
    files = native_files(root, is_macho)
    base = ["codesign", "--force", "--timestamp", "--options", "runtime"]
    for chunk in batches(files):
        _run(
            runner,
            [*base, "--entitlements", str(entitlements), "--sign", identity, "--", *chunk],
            "codesign",
        )
        _run(runner, ["codesign", "--verify", "--strict", "--", *chunk], "codesign --verify")
    return len(files)


def sign_windows(root: Path, env: Mapping[str, str], signtool: str, runner: Runner) -> int:
    files = native_files(root, is_pe)
    url = env.get(TIMESTAMP_URL_ENV) or DEFAULT_TIMESTAMP_URL
    certificate = env[WINDOWS_CERTIFICATE_ENV]
    password = env.get(WINDOWS_PASSWORD_ENV, "")
    for chunk in batches(files):
        _run(
            runner,
            [signtool, "sign", "/fd", "sha256", "/td", "sha256", "/tr", url, "/f", certificate]
            + (["/p", password] if password else [])
            + chunk,
            "signtool sign",
        )
        _run(runner, [signtool, "verify", "/pa", *chunk], "signtool verify")
    return len(files)


def signing_requested(triple: str, env: Mapping[str, str]) -> bool:
    """Will the build sign? (A signed build is never "up to date" with an earlier one.)"""
    if "apple-darwin" in triple:
        return bool(env.get(IDENTITY_ENV))
    return "windows" in triple and bool(env.get(WINDOWS_CERTIFICATE_ENV))


def sign_payload(
    staging: Path,
    triple: str,
    env: Mapping[str, str],
    reporter: Reporter,
    runner: Runner = run_tool,
) -> bool:
    """Sign the payload's native binaries for ``triple``'s OS; True when anything was signed."""
    if "apple-darwin" in triple:
        identity = env.get(IDENTITY_ENV, "")
        if not identity:
            _notice(env, reporter, f"{IDENTITY_ENV} is not set: the macOS payload is not signed")
            return False
        if shutil.which("codesign") is None and runner is run_tool:
            raise CodesignFailed("codesign not found: macOS payloads are signed on macOS")
        entitlements = Path(env.get(ENTITLEMENTS_ENV) or ENTITLEMENTS)
        if not entitlements.is_file():
            raise CodesignFailed(f"entitlements file {entitlements} not found")
        count = sign_macos(staging, identity, entitlements, runner)
    elif "windows" in triple:
        if not env.get(WINDOWS_CERTIFICATE_ENV, ""):
            _notice(
                env,
                reporter,
                f"{WINDOWS_CERTIFICATE_ENV} is not set: the Windows payload is not signed",
            )
            return False
        signtool = env.get(SIGNTOOL_ENV) or shutil.which("signtool") or ""
        if not signtool:
            raise CodesignFailed(f"signtool not found: set {SIGNTOOL_ENV} to signtool.exe")
        count = sign_windows(staging, env, signtool, runner)
    else:
        return False  # Linux: no platform signature; sigstore signs the release
    reporter.info(f"signed {count} native file(s) of the payload")
    return count > 0
