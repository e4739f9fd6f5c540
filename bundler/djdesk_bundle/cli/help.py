"""What ``djdesk-bundle --help`` says: one table of every command's summary, description
and exit codes, and the epilog they share (the guide, the exit codes, the environment).

A new command adds one ``CommandDoc`` here; the CLI's parser takes its texts from it, and
a test checks every subcommand has a description and an epilog.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich_argparse import RawDescriptionRichHelpFormatter

from djdesk_bundle import contract

WIDTH = 78
GUIDE = "docs/integration.md (the integration guide); every option: docs/bundler.md"

# Every exit code (errors.py sets them on the error classes; a test checks none is missing).
EXIT_MEANINGS = {
    0: "ok",
    1: "verification failed",
    2: "usage or configuration (flags, [tool.djdesk-bundle], environment, paths)",
    3: "download (HTTP, mirror, offline cache miss)",
    4: "checksum mismatch",
    5: "unsafe archive",
    6: "lock (missing, stale, unhashed)",
    7: "app stage (collectstatic, bytecode, template database)",
    8: "missing tool (uv, git)",
    9: "invalid SBOM",
    10: "signing unavailable (no identity for sigstore)",
    11: "install (uv could not install the locked dependencies)",
    12: "pre-flight check failed",
    13: "code signing failed",
    14: "unsafe source (a link to a file that does not ship, a secret in a shipped file)",
    15: "smoke test failed (the staged app did not boot, or a page or static file failed)",
    16: "a child process ran past process-timeout",
    70: "internal error (a bug: please report it)",
    130: "interrupted (Ctrl-C)",
}

ENVIRONMENT = (
    "DJDESK_BUNDLE_<OPTION> sets any option of [tool.djdesk-bundle] (upper case, - as _, "
    "lists comma-separated), e.g. DJDESK_BUNDLE_PYTHON_MIRROR, DJDESK_BUNDLE_CACHE_DIR, "
    "DJDESK_BUNDLE_OFFLINE=1, DJDESK_BUNDLE_TARGET; flags win over the environment, which "
    "wins over pyproject.toml."
)
BUILD_ENVIRONMENT = (
    "SOURCE_DATE_EPOCH (default: the commit time of HEAD); DJDESK_CODESIGN_IDENTITY "
    "(macOS) or DJDESK_WINDOWS_CERTIFICATE (Windows) sign the payload's binaries."
)
OFFLINE_ROUTES = (
    "Without a network: `djdesk-bundle fetch` on a connected machine fills the caches, "
    "then `build --offline`; or `djdesk-bundle fetch --to DIR`, carry DIR over, and "
    "`build --python-mirror file://DIR` there."
)


@dataclass(frozen=True)
class CommandDoc:
    summary: str  # its line in `djdesk-bundle --help`
    description: str  # the paragraphs atop `djdesk-bundle NAME --help` (blank-line separated)
    exit_codes: tuple[int, ...]  # beyond 0, 2 and 130, which every command has
    failure: str = ""  # what exit 1 means for this command, when it has one
    reads_options: bool = True  # reads [tool.djdesk-bundle] and DJDESK_BUNDLE_*
    notes: str = ""  # a paragraph of the epilog of its own
    environment: str = ""  # the other environment variables it reads


COMMAND_DOCS: dict[str, CommandDoc] = {
    "init": CommandDoc(
        summary="set up a Django project: [tool.djdesk-bundle], .gitignore, electron/",
        description=(
            "Find manage.py, the project package and its production-like settings, and "
            "append a [tool.djdesk-bundle] table to pyproject.toml; add the build folders "
            "to .gitignore and write the desktop shell into electron/. It checks that the "
            "settings module and the WSGI application it writes exist in the project.\n\n"
            "Safe to re-run: a project already set up keeps its table; init reports the "
            "configured values and names the flags it did not apply."
        ),
        exit_codes=(),
        reads_options=False,
    ),
    "lock": CommandDoc(
        summary="lock the dependencies: requirements -> hash-pinned lock, else uv lock",
        description=(
            "Compile the project's requirements file (with its -r includes) into a "
            "hash-pinned requirements.lock.txt, or run `uv lock` for a uv project. A build "
            "refuses a missing, stale or unhashed lock."
        ),
        exit_codes=(6, 8),
    ),
    "check": CommandDoc(
        summary="the pre-flight check alone: would the project work as a desktop app?",
        description=(
            "Run Django's `check --deploy` and the desktop checks with the desktop "
            "settings, in the target's interpreter with the locked dependencies: so check "
            "first runs the resolve, fetch, extract, install and app stages into a scratch "
            "folder (it needs the interpreter archive, from the cache, a mirror or the "
            "network). Errors exit 12, as in a build; warnings are listed. Then the smoke "
            "test boots that scratch payload and requests its pages (exit 15 when one fails)."
        ),
        exit_codes=(3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16),
        notes=OFFLINE_ROUTES,
    ),
    "files": CommandDoc(
        summary="what ships from the project's folders, and what is left out, and why",
        description=(
            "List every file of app-dir, samples-dir and docs-dir that a build would ship, "
            "with the reason (tracked, included, a link to a shipped file copied under its "
            "own name), and every file it would leave out, with the reason (untracked, "
            "excluded, a secret's name, a cache, the project's database). A symlink to a "
            "file that does not ship stops it as it stops a build. before-build is not run."
        ),
        exit_codes=(14,),
    ),
    "build": CommandDoc(
        summary="build the payload and its archive",
        description=(
            "Build the payload (interpreter, locked dependencies, app, static files, "
            f"VERSION, {contract.BUILD_INFO}, SBOM, SHA256SUMS) into the output dir and a "
            "deterministic archive into the dist dir. Each stage is timed; a build changes "
            "the output only when every stage succeeded, and does nothing when nothing it "
            "reads has changed (--force rebuilds)."
        ),
        exit_codes=(3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16),
        failure="--check-reproducible: the two archives differ",
        notes=OFFLINE_ROUTES,
        environment=BUILD_ENVIRONMENT,
    ),
    "verify": CommandDoc(
        summary="check a payload dir or archive against its SHA256SUMS (or a signature)",
        description=(
            "Check every file of a payload dir or archive against its SHA256SUMS and its "
            "SBOM: modified, missing and extra files are listed. With --bundle, check a "
            "sigstore signature of any file against an expected signer instead."
        ),
        exit_codes=(5,),
        failure="a file, the SBOM or the signature does not match",
        reads_options=False,
    ),
    "fetch": CommandDoc(
        summary="fill the caches for --offline builds, or a mirror folder (--to)",
        description=(
            "Download what a build downloads, once, on a connected machine: the pinned "
            "interpreter archive of the target (verified against its sha256) into the "
            "download cache, and the target's locked wheels into uv's cache. A later "
            "`build --offline` uses only those.\n\n"
            "With --to DIR, copy the pinned interpreter archives (verified) into DIR "
            "instead, a mirror folder for `--python-mirror file://DIR` on another machine."
        ),
        exit_codes=(3, 4, 6, 8, 11),
        notes=OFFLINE_ROUTES,
    ),
    "targets": CommandDoc(
        summary="list the pinned target triples",
        description=(
            "List the target triples the interpreter manifest pins (the project's, else the "
            "one djdesk-bundle ships): the values --target takes."
        ),
        exit_codes=(),
    ),
    "clean": CommandDoc(
        summary="remove build leftovers (and, with --all, the cache and the payload)",
        description=(
            "Finish what an interrupted build left (a half-done swap, pending archives); "
            "the last complete payload is kept. With --all, also remove it and the download "
            "cache. A running build is waited for."
        ),
        exit_codes=(),
    ),
    "sign": CommandDoc(
        summary="keyless-sign files with sigstore",
        description=(
            "Sign files with sigstore's keyless signing: a .sigstore.json bundle beside "
            "each. The identity comes from --identity-token, SIGSTORE_ID_TOKEN, the ambient "
            "CI credentials, or (with --interactive) a browser sign-in."
        ),
        exit_codes=(10,),
        reads_options=False,
        environment="SIGSTORE_ID_TOKEN (an OIDC identity token for the signature).",
    ),
    "diff": CommandDoc(
        summary="what differs between two payloads or archives",
        description=(
            "Compare two payload dirs or archives file by file: SQLite files by schema and "
            "rows, text as a short unified diff, binaries with diffoscope when it is "
            "installed."
        ),
        exit_codes=(5,),
        failure="the payloads differ",
        reads_options=False,
    ),
    "installer-sbom": CommandDoc(
        summary="the SBOM of an installer that ships a payload",
        description=(
            "Write a CycloneDX SBOM for an installer file: the installer, with the payload's "
            f"SBOM (from a payload dir or its {contract.SBOM}) as its components."
        ),
        exit_codes=(9,),
        reads_options=False,
    ),
    "audit": CommandDoc(
        summary="an SBOM's components against OSV advisories",
        description=(
            "Look up every component of a CycloneDX SBOM in OSV's advisories (online, or "
            "offline from --osv) and list the findings with their severity."
        ),
        exit_codes=(3, 9),
        failure="findings at or above --severity",
        reads_options=False,
    ),
    "report": CommandDoc(
        summary="a payload's build report: one HTML page to look at",
        description=(
            "Write one self-contained HTML page about a payload: a treemap of its size by "
            "part and by package (what makes the app big), the largest packages, the SBOM's "
            "components and licences. Every build writes one beside its archive "
            "(NAME.report.html), with the stage timings and the app's files that were left "
            "out."
        ),
        exit_codes=(),
    ),
}


class HelpFormatter(RawDescriptionRichHelpFormatter):
    """Rich help as the build output is; texts are plain (brackets such as
    [tool.djdesk-bundle] are not markup) and wrapped here, paragraph by paragraph."""

    help_markup = False
    text_markup = False


def paragraphs(text: str) -> str:
    return "\n\n".join(textwrap.fill(part, WIDTH) for part in text.split("\n\n"))


def exit_code_lines(doc: CommandDoc) -> list[str]:
    codes = sorted({0, 2, 130, *doc.exit_codes, *((1,) if doc.failure else ())})
    return [f"  {code:3d}  {doc.failure if code == 1 else EXIT_MEANINGS[code]}" for code in codes]


def epilog(doc: CommandDoc) -> str:
    parts = [f"Guide: {GUIDE}."]
    if doc.notes:
        parts.append(paragraphs(doc.notes))
    environment = " ".join(
        text for text in (ENVIRONMENT if doc.reads_options else "", doc.environment) if text
    )
    if environment:
        parts.append(paragraphs(f"Environment: {environment}"))
    parts.append("Exit codes:\n" + "\n".join(exit_code_lines(doc)))
    return "\n\n".join(parts)


def top_description() -> str:
    names = ", ".join(COMMAND_DOCS)
    return paragraphs(
        "djdesk-bundle ships a Django project as a desktop app: it builds a verifiable "
        "payload (interpreter, locked dependencies, app, SBOM, checksums) for an Electron "
        f"shell.\n\nCommands: {names}. `djdesk-bundle COMMAND --help` explains each.\n\n"
        "A project's path: init, lock, build, verify."
    )


def top_epilog() -> str:
    return "\n\n".join(
        [
            f"Guide: {GUIDE}.",
            paragraphs(f"Environment: {ENVIRONMENT}"),
            "Exit codes:\n"
            + "\n".join(f"  {code:3d}  {meaning}" for code, meaning in EXIT_MEANINGS.items()),
        ]
    )
