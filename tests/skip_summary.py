"""A pytest plugin: a run that skipped tests says so in its last lines, with the reasons and
what would let them run (a skip hidden in a long log reads as a pass).

Its section comes after pytest's short test summary, right before the final counts. A test
marked ``network`` needs the internet, which tests here never reach: no package installs
it, so it gets its own hint; every other skip is a missing Debian package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator

import pytest

INSTALL_HINT = (
    "a missing Debian package: `just test` installs them when run as root "
    "(scripts/debian_packages.sh test), else prints the apt-get command to run"
)
NETWORK_HINT = (
    "the internet (marked `network`): tests here reach only the PyPI, npm and Debian "
    "registries, so these run only on a machine online, by hand"
)


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def needs_network(report: pytest.TestReport) -> bool:
    return "network" in report.keywords


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None]:
    yield  # pytest's own summaries first
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    if not skipped:
        return
    terminalreporter.section(f"{len(skipped)} test(s) skipped: not tested here", yellow=True)
    for hint, online in ((INSTALL_HINT, False), (NETWORK_HINT, True)):
        reasons = Counter(skip_reason(r) for r in skipped if needs_network(r) == online)
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"{count:4d}  {reason}")
        if reasons:
            terminalreporter.write_line(f"      needs {hint}")
