"""The release's reproducibility check for one target: rebuild the payload from an empty
cache, in another directory, and compare it byte for byte with the archive the build job
published. On a difference, ``djdesk-bundle diff`` (when the bundler has it) says where.

    uv run python scripts/compare_rebuild.py --target TRIPLE --published DIR --work DIR \
        [-- MORE BUILD ARGS, e.g. --manifest FILE --python-mirror URL]

A payload the build job code-signed (``CODESIGNED=true``) cannot match: code signatures
carry a timestamp. It is still rebuilt and compared, and the difference is reported as a
warning instead of failing the job.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from djdesk_bundle.release.runner import annotate, group, write_summary

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
        annotate(
            "warning",
            "the published payload is code-signed (timestamped signatures): "
            "the rebuild cannot match it byte for byte; the difference is listed above",
        )
        write_summary(os.environ, f"{title}code-signed, differs (a warning)\n\n{hashes}")
        return 0
    annotate("error", f"the rebuild of {args.target} differs from the published archive")
    write_summary(os.environ, f"{title}**no**\n\n{hashes}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
