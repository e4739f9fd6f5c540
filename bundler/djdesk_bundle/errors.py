"""One error base class; each subclass carries its own exit code, caught once in main()."""

from __future__ import annotations


class BundleError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""

    exit_code = 1


class VerificationFailed(BundleError):
    exit_code = 1


class ConfigError(BundleError):
    exit_code = 2


class FetchError(BundleError):
    exit_code = 3


class OfflineCacheMiss(FetchError):
    exit_code = 3


class ChecksumMismatch(FetchError):
    exit_code = 4


class UnsafeArchive(BundleError):
    exit_code = 5


class LockError(BundleError):
    exit_code = 6


class InstallError(BundleError):
    exit_code = 6


class AppStageError(BundleError):
    exit_code = 7


class ToolMissing(BundleError):
    exit_code = 8


class CodesignFailed(BundleError):
    """macOS codesign or Windows signtool refused a payload file (see codesign.py)."""

    exit_code = 11
