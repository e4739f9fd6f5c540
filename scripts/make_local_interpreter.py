#!/usr/bin/env python3
"""Package this host's relocatable interpreter as a python-build-standalone-shaped archive.

    uv run python scripts/make_local_interpreter.py --output DIR    (in a DJDesk checkout)

A developer tool of this repository: nothing can be downloaded from python.org or GitHub
on its development machines, so offline builds and tests use Debian's /usr/bin/python3.11
(which runs relocated under ``-I``): ``python/bin/python3.11`` (+ ``python3`` ->
``python3.11``) and ``python/lib/python3.11/``, as in an upstream ``install_only``
archive. Writes the archive (deterministic: same interpreter, same bytes) and
``DIR/manifest.toml`` in the format of manifests/python-build-standalone.toml,
with URLs relative to a mirror:

    djdesk-bundle build --manifest DIR/manifest.toml --python-mirror file://DIR

It needs djdesk-bundle importable (`uv sync` in the checkout, then `uv run`). For your own
project's offline build, use the pinned interpreters instead: `djdesk-bundle fetch --to DIR`
on a connected machine, then `djdesk-bundle build --python-mirror file://DIR`
(docs/integration.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

RELEASE = "local"
EPOCH = 315532800  # fixed: the archive must not depend on when it was made
SKIPPED = {"__pycache__", "dist-packages", "site-packages", "test", "idlelib", "tkinter"}


def interpreter_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-I", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def stage_tree(python: Path, stdlib: Path, root: Path, minor: str) -> list[Path]:
    bin_dir = root / "python" / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy2(python, bin_dir / f"python{minor}")
    os.symlink(f"python{minor}", bin_dir / "python3")
    lib = root / "python" / "lib" / f"python{minor}"
    shutil.copytree(
        stdlib, lib, symlinks=False, ignore=lambda d, names: [n for n in names if n in SKIPPED]
    )
    return sorted(p.relative_to(root / "python") for p in (root / "python").rglob("*"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--output", type=Path, required=True, help="the folder for the archive and manifest"
    )
    parser.add_argument(
        "--python",
        type=Path,
        default=Path("/usr/bin/python3.11"),
        help="the relocatable interpreter to package (default: %(default)s, Debian's)",
    )
    parser.add_argument(
        "--stdlib",
        type=Path,
        default=None,
        help="its standard library (default: /usr/lib/pythonX.Y)",
    )
    args = parser.parse_args(argv)
    # Imported after --help: the help must work under a plain python3 too.
    try:
        from djdesk_bundle.build.pack import write_deterministic_tar
        from djdesk_bundle.tools.toolchain import host_triple
    except ImportError:
        parser.error(
            "djdesk-bundle is not importable from this Python: run it in a DJDesk checkout "
            "as `uv run python scripts/make_local_interpreter.py` (after `uv sync`)"
        )
    if not args.python.is_file():
        parser.error(
            f"{args.python} not found: this needs Debian's python3.11 (apt-get install python3.11)"
        )
    version = interpreter_version(args.python)
    minor = ".".join(version.split(".")[:2])
    stdlib = args.stdlib or Path(f"/usr/lib/python{minor}")
    triple = host_triple()
    name = f"cpython-{version}+{RELEASE}-{triple}-install_only.tar.gz"
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        entries = stage_tree(args.python, stdlib, root, minor)
        digest = write_deterministic_tar(
            args.output / name, root / "python", "python", entries, EPOCH
        )
    (args.output / "manifest.toml").write_text(
        "# A local interpreter made by scripts/make_local_interpreter.py from this host's\n"
        "# relocatable Python; URLs are relative to --python-mirror. Its native libraries\n"
        "# (libssl, libsqlite3, libz, libexpat, libffi ...) are the host's shared ones.\n"
        f'release = "{RELEASE}"\npython-version = "{version}"\nvariant = "install_only"\n'
        "host-libraries = true\n\n"
        f'[targets.{triple}]\nurl = "{name}"\nsha256 = "{digest}"\n',
        encoding="utf-8",
    )
    print(f"{args.output / name}\nsha256 {digest}\nmanifest {args.output / 'manifest.toml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
