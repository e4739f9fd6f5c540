"""``djdesk-bundle clean``: only what the tool made."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.build.fetch import clear_cache
from djdesk_bundle.build.locks import build_locks
from djdesk_bundle.cli.common import options_from, target_arguments
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.ui import Reporter


def arguments(clean_cmd: argparse.ArgumentParser) -> None:
    target_arguments(clean_cmd)
    clean_cmd.add_argument(
        "--all", action="store_true", help="also the download cache and the last payload"
    )


# What a build leaves pending in dist (pack.pending_path): ARCHIVE[.sha256].PID.tmp.
PENDING_ARCHIVE = re.compile(r"^.+-payload-.+\.tar\.gz(?:\.sha256)?\.\d+\.tmp$")


def _pending_archives(dist: Path) -> list[Path]:
    if not dist.is_dir():
        return []
    return [
        path
        for path in dist.iterdir()
        if PENDING_ARCHIVE.match(path.name) and path.is_file() and not path.is_symlink()
    ]


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    """Delete only what the tool made: pending archives by their names in dist, a payload
    (it has build-info.json and SHA256SUMS) and a cache root tagged as the tool's."""
    from djdesk_bundle.build.publish import is_payload, recover

    options = options_from(args)
    output = options.path(options.output_dir)
    dist = options.path(options.dist_dir)
    # A build's swap and pending archives are its own until it is done: wait for it.
    with build_locks(output, dist, reporter):
        for message in recover(output):
            reporter.info(message)
        if args.all and output.exists() and not (output.is_dir() and is_payload(output)):
            raise ConfigError(
                f"not removing {output}: it holds no payload ({contract.BUILD_INFO} and "
                f"{contract.CHECKSUMS}), so djdesk-bundle did not make it"
            )
        if args.all and clear_cache(options.cache_root, default=not options.cache_dir):
            reporter.info(f"removed the cache {options.cache_root}")
        for leftover in _pending_archives(dist):
            leftover.unlink()
        if output.exists() and not args.all:
            reporter.info(f"kept {output} (the last complete payload)")
        elif output.exists():
            shutil.rmtree(output)
            reporter.info(f"removed {output}")
    return 0
