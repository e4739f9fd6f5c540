"""``djdesk-bundle check``: the pre-flight check and the smoke test, in a scratch folder."""

from __future__ import annotations

import argparse
import os

from djdesk_bundle.build.pipeline import check
from djdesk_bundle.cli.common import options_from, target_arguments
from djdesk_bundle.ui import Reporter


def arguments(check_cmd: argparse.ArgumentParser) -> None:
    target_arguments(check_cmd)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    options = options_from(args)
    # Said first: the check needs the target's interpreter and the locked dependencies.
    reporter.info(
        "the pre-flight check runs in the payload's interpreter: resolve, fetch, extract, "
        "install and app run first, into a scratch folder"
    )
    report = check(options, reporter, os.environ)
    reporter.info(
        f"[green]ok[/green]: no errors, {len(report.warnings)} warning(s)"
        if report.ran
        else "[yellow]skipped[/yellow]: the target's interpreter cannot run here"
    )
    return 0
