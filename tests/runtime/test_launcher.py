"""The launcher's own logic, without a payload: options, tokens, one-line failures."""

from __future__ import annotations

import errno

import pytest

from djdesk_runtime.contract import EXIT_CODES
from djdesk_runtime.errors import LaunchError
from djdesk_runtime.launcher import backups_kept, lock_wait, parse_args, report_unexpected


def test_options_and_their_errors() -> None:
    args = parse_args(["--port", "0"], {})
    assert (args.host, args.port, args.threads) == ("127.0.0.1", 0, 4)
    assert parse_args([], {"DJDESK_FORCE_PORT": "8123"}).port == 8123
    for argv, env, message in [
        (["--host", "0.0.0.0"], {}, "--host must be one of 127.0.0.1, localhost, not '0.0.0.0'"),
        (["--port", "x"], {}, "argument --port: invalid int value: 'x'"),
        ([], {"DJDESK_FORCE_PORT": "80a"}, "DJDESK_FORCE_PORT must be a port number"),
    ]:
        with pytest.raises(LaunchError) as raised:
            parse_args(argv, env)
        assert raised.value.exit_code == EXIT_CODES["usage"]
        assert message in str(raised.value)


def test_numbers_from_the_environment() -> None:
    assert backups_kept({}) == 5 and backups_kept({"DJDESK_BACKUPS_KEPT": "2"}) == 2
    assert lock_wait({"DJDESK_LOCK_WAIT": "0.5"}) == 0.5
    for bad in ({"DJDESK_BACKUPS_KEPT": "0"}, {"DJDESK_BACKUPS_KEPT": "many"}):
        with pytest.raises(LaunchError, match="DJDESK_BACKUPS_KEPT must be a number"):
            backups_kept(bad)
    with pytest.raises(LaunchError, match="DJDESK_LOCK_WAIT must be a number of seconds"):
        lock_wait({"DJDESK_LOCK_WAIT": "soon"})


def test_unexpected_errors_are_one_line_with_a_code(capsys: pytest.CaptureFixture[str]) -> None:
    missing = ModuleNotFoundError("No module named 'waitress'", name="waitress")
    assert report_unexpected(missing) == EXIT_CODES["missing_dependency"]
    full = OSError(errno.ENOSPC, "No space left on device")
    assert report_unexpected(RuntimeError("wrapped")) == EXIT_CODES["startup_failed"]
    try:
        try:
            raise full
        except OSError as exc:
            raise RuntimeError("while writing") from exc
    except RuntimeError as outer:
        assert report_unexpected(outer) == EXIT_CODES["disk_full"]
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "run_django: waitress cannot be imported (ModuleNotFoundError: No module named "
        "'waitress'): is it a project dependency?",
        "run_django: startup failed: RuntimeError: wrapped",
        "run_django: disk full: OSError: [Errno 28] No space left on device",
    ]


def test_the_build_time_options_parse_whatever_the_contract_calls_them() -> None:
    args = parse_args(["--desktop-check"], {})
    assert args.check is True and args.manage is None
    args = parse_args(["--manage", "createsuperuser", "--noinput"], {})
    assert args.manage == ["createsuperuser", "--noinput"] and args.check is False
