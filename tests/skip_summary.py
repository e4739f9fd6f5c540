"""A pytest plugin: a run that skipped tests says so in its last lines, with the reasons and
what installs the missing pieces (a skip hidden in a long log reads as a pass).

Its section comes after pytest's short test summary, right before the final counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator

import pytest

INSTALL_HINT = (
    "a missing Debian package: `just test` installs them when run as root "
    "(scripts/debian_packages.sh test), else prints the apt-get command to run"
)


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None]:
    yield  # pytest's own summaries first
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    if not skipped:
        return
    reasons = Counter(skip_reason(report) for report in skipped)
    terminalreporter.section(f"{len(skipped)} test(s) skipped: not tested here", yellow=True)
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:4d}  {reason}")
    terminalreporter.write_line(INSTALL_HINT)
