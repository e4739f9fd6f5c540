"""One error base class; each subclass carries its own exit code, caught once in main().

The exit-code table, each code distinct (README "Exit codes" mirrors it):

====  ======================================================================
0     ok
1     verification failed (``verify``: a payload or signature does not match)
2     configuration (``[tool.djdesk-bundle]``, flags, environment, paths)
3     download (HTTP, mirror, offline cache miss)
4     checksum mismatch (a download or cache entry is not what the pin says)
5     unsafe archive (paths, links, devices, limits, truncation)
6     lock (missing, stale or unhashed lock; export failed)
7     app stage (collectstatic, bytecode, template database)
8     missing tool (uv, git)
9     invalid SBOM
10    signing unavailable (no identity for sigstore)
11    install (uv could not install the locked dependencies for the target)
12    pre-flight check failed (the desktop settings would break the app)
13    code signing failed (codesign or signtool refused a payload file)
14    unsafe source (a link to a file that does not ship, a secret in a shipped file)
15    smoke test failed (the staged app did not boot, or a page or static file failed)
16    a child process of the build ran past ``process-timeout`` and was stopped
70    internal error (a BundleError without a more precise class; a bug)
130   interrupted (Ctrl-C)
====  ======================================================================
"""

from __future__ import annotations


class BundleError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""

    exit_code = 70


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


class AppStageError(BundleError):
    exit_code = 7


class ToolMissing(BundleError):
    exit_code = 8


class SbomInvalid(BundleError):
    exit_code = 9


class SigningUnavailable(BundleError):
    exit_code = 10


class InstallError(BundleError):
    exit_code = 11


class PreflightFailed(BundleError):
    exit_code = 12


class CodesignFailed(BundleError):
    """macOS codesign or Windows signtool refused a payload file (see codesign.py)."""

    exit_code = 13


class UnsafeSource(BundleError):
    """A project file that must not ship: a link to an unshipped or outside file, or a
    shipped file holding a private key or credential (build/selection.py, build/secret_scan.py)."""

    exit_code = 14


class SmokeFailed(BundleError):
    """The staged payload did not boot, or a smoke URL answered 5xx or a static file is
    missing (build/smoke.py)."""

    exit_code = 15


class ChildTimedOut(BundleError):
    """uv, git, collectstatic, the check or the template database hung (tools/process.py)."""

    exit_code = 16


INTERRUPTED = 130
