"""What ``djdesk-bundle audit`` prints: a table for people, JSON for scripts, SARIF 2.1.0
for code scanning (GitHub reads ``security-severity`` to rank the results)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from djdesk_bundle import __version__
from djdesk_bundle.inspect.audit import AuditReport, Finding

FORMATS = ("table", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# SARIF levels, and the score GitHub ranks by when a finding has no CVSS score.
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
DEFAULT_SCORE = {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 2.0, "unknown": 5.0}


def table(findings: list[Finding]) -> list[str]:
    rows = [("SEVERITY", "ADVISORY", "PACKAGE", "FIXED IN", "SUMMARY")]
    for f in findings:
        advisory = f.advisory + (f" ({', '.join(f.aliases)})" if f.aliases else "")
        rows.append((f.severity, advisory, f.package.label, f.fixed or "-", f.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def summary_line(report: AuditReport) -> str:
    names = ", ".join(report.unchecked[:6]) + (", …" if len(report.unchecked) > 6 else "")
    return (
        f"{len(report.findings)} vulnerability finding(s) over {len(report.checked)} "
        f"package(s); not checked (no OSV ecosystem): {len(report.unchecked)}"
        + (f" ({names})" if names else "")
    )


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "package": asdict(finding.package),
        "ids": list(finding.ids),
        "severity": finding.severity,
        "score": finding.score,
        "vectors": list(finding.vectors),
        "fixed": finding.fixed or None,
        "summary": finding.summary,
    }


def as_json(report: AuditReport) -> str:
    return json.dumps(
        {
            "schema_version": 1,
            "tool": {"name": "djdesk-bundle", "version": __version__},
            "findings": [_finding_json(f) for f in report.findings],
            "checked": [asdict(p) for p in report.checked],
            "not_checked": report.unchecked,
        },
        indent=2,
    )


def _rule(finding: Finding) -> dict[str, Any]:
    score = finding.score if finding.score is not None else DEFAULT_SCORE[finding.severity]
    return {
        "id": finding.advisory,
        "shortDescription": {"text": finding.summary or finding.advisory},
        "helpUri": f"https://osv.dev/vulnerability/{finding.advisory}",
        "properties": {
            "security-severity": f"{score:.1f}",
            "tags": ["security", "vulnerability", *finding.aliases],
        },
    }


def _result(finding: Finding, sbom: Path) -> dict[str, Any]:
    fix = f"; fixed in {finding.fixed}" if finding.fixed else "; no fix known"
    return {
        "ruleId": finding.advisory,
        "level": SARIF_LEVEL.get(finding.severity, "warning"),
        "message": {
            "text": f"{finding.package.label}: {', '.join(finding.ids)} ({finding.severity}){fix}"
        },
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": sbom.as_posix()}}}],
        "partialFingerprints": {"package/advisory": f"{finding.package.label}/{finding.advisory}"},
    }


def as_sarif(report: AuditReport, sbom: Path) -> str:
    rules = {f.advisory: _rule(f) for f in report.findings}
    run = {
        "tool": {
            "driver": {
                "name": "djdesk-bundle audit",
                "version": __version__,
                "informationUri": "https://osv.dev/",
                "rules": [rules[key] for key in sorted(rules)],
            }
        },
        "results": [_result(f, sbom) for f in report.findings],
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def render(report: AuditReport, output_format: str, sbom: Path) -> str:
    if output_format == "json":
        return as_json(report)
    if output_format == "sarif":
        return as_sarif(report, sbom)
    lines = table(report.findings) if report.findings else []
    return "\n".join([*lines, summary_line(report)])
