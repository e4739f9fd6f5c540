"""The release's reproducibility check for one target: rebuild the payload from an empty
cache, in another directory, and compare it byte for byte with the archive the build job
published. On a difference, ``djdesk-bundle diff`` (when the bundler has it) says where.

    uv run python scripts/compare_rebuild.py --target TRIPLE --published DIR --work DIR \
        [-- MORE BUILD ARGS, e.g. --manifest FILE --python-mirror URL]

A payload the build job code-signed (``CODESIGNED=true``) cannot match byte for byte:
code signatures carry a timestamp. The gate stays: the two payloads may differ only where
signing writes (the bytes of native binaries, Mach-O or PE, and their lines in
SHA256SUMS); that is reported as a warning, anything else fails the job.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.inspect.checksums import parse_checksums
from djdesk_bundle.inspect.diff import Side, compare, open_side
from djdesk_bundle.release.runner import annotate, group, write_summary
from djdesk_bundle.sign.codesign import is_macho, is_pe

BUNDLE = ["uv", "run", "--frozen", "djdesk-bundle"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_archive(directory: Path, target: str) -> Path:
    found = sorted(directory.glob(f"*-payload-*-{target}.tar.gz"))
    if len(found) != 1:
        raise SystemExit(f"error: expected one payload archive for {target} in {directory}")
    return found[0]


def rebuild(target: str, work: Path, extra: list[str]) -> Path:
    """A build with its own empty cache and output dirs (nothing shared with the first)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJDESK_CODESIGN")}
    subprocess.run(
        [
            *BUNDLE,
            "build",
            "--target",
            target,
            "--force",
            "--cache-dir",
            str(work / "cache"),
            "--output",
            str(work / "out"),
            "--dist",
            str(work / "dist"),
            *extra,
        ],
        check=True,
        env=env,
    )
    return published_archive(work / "dist", target)


def explain(published: Path, rebuilt: Path) -> None:
    probe = subprocess.run([*BUNDLE, "diff", "--help"], capture_output=True, check=False)
    if probe.returncode == 0:
        subprocess.run([*BUNDLE, "diff", str(published), str(rebuilt)], check=False)
    else:
        print("(this djdesk-bundle has no `diff` command: only the hashes differ)")


SIGNING_CHANGES = ("content", "size ")  # what a signature does to a binary's entry


def beyond_signing(published: Path, rebuilt: Path) -> list[str]:
    """How a code-signed payload differs from its unsigned rebuild beyond what signing
    changes: [] when only native binaries (and their SHA256SUMS lines) differ."""
    with open_side(published) as signed, open_side(rebuilt) as unsigned:
        report = compare(signed, unsigned, deep=False)

        def signable(path: str) -> bool:
            native = signed.path(path)
            return native.is_file() and (is_macho(native) or is_pe(native))

        problems = [f"added: {p}" for p in report.added]
        problems += [f"removed: {p}" for p in report.removed] + report.notes
        for path, what in report.changed.items():
            if path == contract.CHECKSUMS:
                problems += checksum_lines_beyond_signing(signed, unsigned, signable)
            elif not (signable(path) and all(w.startswith(SIGNING_CHANGES) for w in what)):
                problems.append(f"changed: {path} ({', '.join(what)})")
    return problems


def checksum_lines_beyond_signing(
    signed: Side, unsigned: Side, signable: Callable[[str], bool]
) -> list[str]:
    ours = parse_checksums(signed.path(contract.CHECKSUMS).read_text(encoding="utf-8"))
    theirs = parse_checksums(unsigned.path(contract.CHECKSUMS).read_text(encoding="utf-8"))
    return [
        f"{contract.CHECKSUMS}: {path} differs"
        for path in sorted(set(ours) | set(theirs))
        if ours.get(path) != theirs.get(path) and not signable(path)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--published", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("build_args", nargs="*", help="after --: more `build` arguments")
    args = parser.parse_args(argv)
    published = published_archive(args.published, args.target)
    with group(f"rebuild {args.target} from an empty cache"):
        rebuilt = rebuild(args.target, args.work, args.build_args)
    title = f"### Reproducible {args.target}: "
    if sha256(published) == sha256(rebuilt):
        print(f"reproducible: {published.name} {sha256(published)}")
        write_summary(os.environ, f"{title}yes\n\n`{published.name}` `{sha256(published)}`")
        return 0
    print(f"{published.name}: published {sha256(published)}, rebuilt {sha256(rebuilt)}")
    with group("where the archives differ"):
        explain(published, rebuilt)
    hashes = f"published `{sha256(published)}`, rebuilt `{sha256(rebuilt)}`"
    if os.environ.get("CODESIGNED") == "true":
        beyond = beyond_signing(published, rebuilt)
        if not beyond:
            annotate(
                "warning",
                f"{args.target}: the published payload is code-signed (timestamped "
                "signatures): it differs from the rebuild only in its native binaries",
            )
            write_summary(os.environ, f"{title}code-signed, only its binaries differ\n\n{hashes}")
            return 0
        annotate(
            "error",
            f"the rebuild of {args.target} differs beyond code signing:\n" + "\n".join(beyond),
        )
        write_summary(os.environ, f"{title}**no** (beyond code signing)\n\n{hashes}")
        return 1
    annotate("error", f"the rebuild of {args.target} differs from the published archive")
    write_summary(os.environ, f"{title}**no**\n\n{hashes}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
