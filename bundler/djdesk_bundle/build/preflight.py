"""Stage 6, check: the pre-flight check of the desktop settings, in every build and in
``djdesk-bundle check``.

The payload's own launcher runs ``--check`` (``djdesk_runtime/checks.py``): Django's
``check --deploy`` on the settings the app will run with, plus the desktop checks (a
writable path inside the payload, a hard-coded secret, ``DEBUG``, a missing runtime
dependency, settings that do not import). Errors stop the build; warnings are printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from djdesk_bundle import contract
from djdesk_bundle.build.app import django_env
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.errors import PreflightFailed
from djdesk_bundle.tools.process import run, tail
from djdesk_runtime.contract import EXIT_CODES, LAUNCHER_OPTIONS, PYTHON_FLAGS


@dataclass(frozen=True)
class Finding:
    level: str
    id: str
    setting: str
    message: str
    fix: str

    def line(self) -> str:
        """``SETTING: [id] message — fix`` (the setting when there is one)."""
        where = f"{self.setting}: " if self.setting else ""
        fix = f" — {self.fix}" if self.fix else ""
        return f"{where}[{self.id}] {self.message}{fix}"


@dataclass(frozen=True)
class CheckReport:
    findings: tuple[Finding, ...]
    ran: bool  # False: the target's interpreter cannot run here (cross-target build)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def notes(self) -> list[Finding]:
        """Risky project settings a desktop override already replaces."""
        return [f for f in self.findings if f.level == "note"]


def parse_findings(stdout: str) -> tuple[Finding, ...]:
    document = json.loads(stdout[stdout.index("{") :])
    return tuple(Finding(**finding) for finding in document["findings"])


def run_check(ctx: StageContext, interpreter: Interpreter) -> CheckReport:
    if not interpreter.runs_here:  # the check imports every app with it
        return CheckReport((), ran=False)
    env = django_env(ctx.options, ctx.options.settings_module, ctx.staging, ctx.work / "check")
    launcher = ctx.staging / contract.LAUNCHER
    argv = [str(interpreter.executable), *PYTHON_FLAGS, str(launcher), LAUNCHER_OPTIONS["check"]]
    result = run(argv, env=env, timeout=ctx.options.process_timeout)
    if result.returncode not in (EXIT_CODES["ok"], EXIT_CODES["check_failed"]):
        raise PreflightFailed(f"the pre-flight check could not run:\n{tail(result.stderr)}")
    try:
        return CheckReport(parse_findings(result.stdout), ran=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise PreflightFailed(f"the pre-flight check said something unreadable ({exc})") from exc


def preflight_stage(ctx: StageContext, interpreter: Interpreter) -> CheckReport:
    report = run_check(ctx, interpreter)
    if not report.ran:
        ctx.reporter.warn(
            f"cannot run the {interpreter.triple} interpreter here: the pre-flight check "
            "is skipped (run `djdesk-bundle check` on that platform)"
        )
    for finding in report.warnings:
        ctx.reporter.warn(finding.line())
    for finding in report.notes:
        ctx.reporter.detail(f"note: {finding.line()}")
    if report.errors:
        lines = "\n".join(f"  {finding.line()}" for finding in report.errors)
        raise PreflightFailed(
            f"the pre-flight check found {len(report.errors)} error(s) that would break the "
            f"desktop app:\n{lines}"
        )
    return report
