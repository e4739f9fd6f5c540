"""`djdesk-bundle --help`: plain text naming every command; each subcommand with a
description, every argument explained, and an epilog (guide, environment, exit codes)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from djdesk_bundle.cli import main, make_parser
from djdesk_bundle.ui import Reporter


def subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in make_parser()._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


def help_text(argv: list[str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "djdesk_bundle.cli", *argv],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"},
    )
    return result.stdout


def test_the_top_help_is_plain_text_naming_every_command() -> None:
    text = help_text(["--help"])
    assert "``" not in text
    first = text.split("\n\n")[1]  # after the usage line
    assert first.startswith("djdesk-bundle ships a Django project as a desktop app")
    listed = text.split("Commands:")[1].split(".")[0]
    for name in subparsers():
        assert name in listed, name
    assert "docs/integration.md" in text and "DJDESK_BUNDLE_" in text


@pytest.mark.parametrize("name", sorted(subparsers()))
def test_every_subcommand_has_a_description_an_epilog_and_explained_arguments(
    name: str,
) -> None:
    parser = subparsers()[name]
    assert parser.description and len(parser.description.split()) >= 8, name
    assert parser.epilog and "docs/integration.md" in parser.epilog
    assert "Exit codes:" in parser.epilog and "  0  ok" in parser.epilog
    for action in parser._actions:
        assert action.help and action.help.strip(), (name, action.dest)
    text = help_text([name, "--help"])
    assert "Exit codes:" in text and parser.description.split(".")[0] in text


def test_commands_that_read_options_name_the_environment_variables() -> None:
    for name in ("build", "check", "fetch", "lock", "clean", "targets"):
        assert "DJDESK_BUNDLE_<OPTION>" in (subparsers()[name].epilog or ""), name
    assert "DJDESK_BUNDLE_" not in (subparsers()["diff"].epilog or "")


def test_quiet_prints_no_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = Reporter(verbosity=-1)
    quiet.console.file = sys.stderr
    quiet.warn("another build is using the output; waiting for it to finish")
    quiet.info("wrote something")
    assert capsys.readouterr().err == ""
    Reporter(verbosity=0).warn("shown")
    assert "warning: shown" in capsys.readouterr().err


def test_verify_on_a_missing_path_is_a_usage_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err and "nowhere" in err


def test_check_says_it_needs_the_interpreter_and_runs_the_stages_first() -> None:
    description = subparsers()["check"].description or ""
    assert "needs the interpreter archive" in description
    assert "resolve, fetch, extract, install and app stages" in description
