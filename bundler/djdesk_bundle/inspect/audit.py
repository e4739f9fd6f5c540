"""``djdesk-bundle audit SBOM``: the SBOM's components against OSV advisories.

What is matched, and how:

- ``pkg:pypi/…`` in OSV's ``PyPI`` ecosystem and ``pkg:npm/…`` (Electron included) in
  ``npm``: an advisory applies when the version is in an ``affected[].versions`` list or
  inside an ``ECOSYSTEM``/``SEMVER`` range (events ``introduced``, ``fixed``,
  ``last_affected``, evaluated in version order as the OSV schema says). PyPI versions
  compare with ``packaging.version``, npm versions by SemVer precedence.
- The interpreter (``pkg:generic/cpython``, CPE ``python:python``): OSV has no CPython
  ecosystem. The Python Software Foundation publishes CPython's advisories (``PSF-…``)
  with ``GIT`` ranges on ``https://github.com/python/cpython``, and OSV.dev lists the
  release tags a range covers in ``affected[].versions`` (``v3.12.1``). So the interpreter
  matches an advisory with a ``GIT`` range on that repository whose ``versions`` name its
  release tag; online, OSV is asked for that repository and tag.
- The C libraries inside the interpreter and Chromium/Node inside Electron have no OSV
  ecosystem: they are listed as not checked (their CPEs serve CPE-based scanners).

Severity: ``database_specific.severity`` of the advisory or of the affected entry (GitHub's
LOW/MODERATE/HIGH/CRITICAL), else the highest CVSS score in ``severity[]`` (v2, v3 or v4
vectors, scored with the ``cvss`` library; 0.1-3.9 low, 4-6.9 medium, 7-8.9 high,
9-10 critical). An advisory with neither is ``unknown`` and counts at every threshold:
an unrated advisory fails the audit rather than passing it.

Online (the default) uses OSV's ``/v1/querybatch`` and ``/v1/vulns/<id>``; offline
(``--osv PATH``) reads a directory of OSV JSON files (searched recursively) or an OSV zip
as OSV distributes it per ecosystem (``<ecosystem>/all.zip``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from packageurl import PackageURL
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from djdesk_bundle.errors import ConfigError, FetchError

CPYTHON_REPO = "https://github.com/python/cpython"
OSV_API = "https://api.osv.dev/v1"
LEVELS = ("low", "medium", "high", "critical")
# GitHub says MODERATE where CVSS says medium.
SEVERITY_WORDS = {
    "low": "low",
    "moderate": "medium",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}
TIMEOUT = 30


@dataclass(frozen=True)
class Package:
    ecosystem: str  # "PyPI", "npm", or "GIT" (the interpreter, by its repository)
    name: str  # normalised for PyPI; the repository URL for GIT
    version: str
    label: str  # what the table shows


@dataclass(frozen=True)
class Finding:
    package: Package
    advisory: str
    aliases: tuple[str, ...]
    severity: str  # low, medium, high, critical or unknown
    fixed: str  # the first fixed version named, "" when none is
    summary: str

    def at_or_above(self, threshold: str) -> bool:
        if self.severity == "unknown":
            return True
        return LEVELS.index(self.severity) >= LEVELS.index(threshold)


@dataclass
class AuditReport:
    findings: list[Finding]
    checked: list[Package]
    unchecked: list[str]  # components with no OSV ecosystem


# --- the SBOM's packages ---


def _components(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in items:
        yield component
        yield from _components(component.get("components", []))


def sbom_packages(sbom_path: Path) -> tuple[list[Package], list[str]]:
    try:
        sbom = json.loads(sbom_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{sbom_path}: no such SBOM") from None
    except ValueError as exc:
        raise ConfigError(f"{sbom_path}: not JSON ({exc})") from None
    if sbom.get("bomFormat") != "CycloneDX":
        raise ConfigError(f"{sbom_path}: not a CycloneDX SBOM")
    packages, unchecked = [], []
    for component in _components(sbom.get("components", [])):
        if component.get("type") == "application":
            continue  # the app and its shell: ours, and an npm name may belong to another
        text = component.get("purl", "")
        try:
            purl = PackageURL.from_string(text)
        except ValueError:
            unchecked.append(str(component.get("name")))
            continue
        version = purl.version or ""
        label = f"{component.get('name')} {version}"
        if purl.type == "pypi":
            packages.append(Package("PyPI", canonicalize_name(purl.name), version, label))
        elif purl.type == "npm":
            name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
            packages.append(Package("npm", name, version, label))
        elif purl.type == "generic" and purl.name == "cpython":
            packages.append(Package("GIT", CPYTHON_REPO, version, label))
        else:
            unchecked.append(label)
    return packages, sorted(unchecked)


# --- versions and ranges ---


def _semver_key(version: str) -> tuple[Any, ...]:
    core, _, pre = version.lstrip("v").split("+", 1)[0].partition("-")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in [*core.split("."), "0", "0"][:3])
    if not pre:
        return (numbers, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (numbers, 0, parts)


def _compare(ecosystem: str, a: str, b: str) -> int:
    if a == b:
        return 0
    if a == "0":
        return -1
    if b == "0":
        return 1
    if ecosystem == "PyPI":
        left: Any = Version(a)
        right: Any = Version(b)
    else:
        left, right = _semver_key(a), _semver_key(b)
    return -1 if left < right else 1 if left > right else 0


def _in_range(ecosystem: str, events: list[dict[str, str]], version: str) -> bool:
    """The OSV schema's evaluation: walk the events in version order."""

    def event_version(event: dict[str, str]) -> str:
        return next(iter(event.values()))

    def order(x: dict[str, str], y: dict[str, str]) -> int:
        return _compare(ecosystem, event_version(x), event_version(y))

    ordered = sorted((e for e in events if e and "limit" not in e), key=cmp_to_key(order))
    affected = False
    for event in ordered:
        if "introduced" in event and _compare(ecosystem, version, event["introduced"]) >= 0:
            affected = True
        elif ("fixed" in event and _compare(ecosystem, version, event["fixed"]) >= 0) or (
            "last_affected" in event and _compare(ecosystem, version, event["last_affected"]) > 0
        ):
            affected = False
    return affected


def _entry_matches(package: Package, entry: dict[str, Any]) -> bool:
    if package.ecosystem == "GIT":
        repos = {r.get("repo", "").rstrip("/").removesuffix(".git") for r in entry["ranges"]}
        tags = {f"v{package.version}", package.version}
        return CPYTHON_REPO in repos and bool(tags & set(entry.get("versions", [])))
    if package.version in entry.get("versions", []):
        return True
    try:
        return any(
            _in_range(package.ecosystem, r.get("events", []), package.version)
            for r in entry.get("ranges", [])
            if r.get("type") in ("ECOSYSTEM", "SEMVER")
        )
    except InvalidVersion:
        return False


def _fixed(entry: dict[str, Any]) -> str:
    for found in entry.get("ranges", []):
        for event in found.get("events", []):
            if "fixed" in event and found.get("type") != "GIT":
                return str(event["fixed"])
    return ""


# --- severity ---


def _cvss_level(vector: str) -> tuple[float, str] | None:
    # Imported here: the CLI imports this module for its LEVELS, and every build pays
    # for what it imports at start.
    from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]

    try:
        if vector.startswith("CVSS:4"):
            score = CVSS4(vector)
            return float(score.base_score), str(score.severity).lower()
        if vector.startswith("CVSS:3"):
            score = CVSS3(vector)
            return float(score.base_score), str(score.severities()[0]).lower()
        score = CVSS2(vector)
        return float(score.base_score), str(score.severities()[0]).lower()
    except Exception:  # a malformed vector rates nothing; the advisory stays "unknown"
        return None


def severity_of(record: dict[str, Any], entry: dict[str, Any]) -> str:
    for specific in (entry.get("database_specific") or {}, record.get("database_specific") or {}):
        word = str(specific.get("severity", "")).lower()
        if word in SEVERITY_WORDS:
            return SEVERITY_WORDS[word]
    rated = [
        scored
        for item in [*record.get("severity", []), *entry.get("severity", [])]
        if (scored := _cvss_level(str(item.get("score", ""))))
    ]
    if not rated:
        return "unknown"
    word = max(rated)[1]
    return word if word in LEVELS else "low" if word == "none" else "unknown"


# --- where advisories come from ---


def _package_key(ecosystem: str, name: str) -> tuple[str, str]:
    return ecosystem, canonicalize_name(name) if ecosystem == "PyPI" else name


def _record_keys(record: dict[str, Any]) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    for entry in record.get("affected", []):
        package = entry.get("package")
        if package:
            yield _package_key(str(package.get("ecosystem")), str(package.get("name"))), entry
        else:
            for found in entry.get("ranges", []):
                if found.get("type") == "GIT":
                    repo = str(found.get("repo", "")).rstrip("/").removesuffix(".git")
                    yield ("GIT", repo), entry


def _read_records(path: Path) -> Iterator[dict[str, Any]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield from _parsed(file.read_bytes(), str(file))
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield from _parsed(archive.read(name), f"{path}:{name}")
    else:
        raise ConfigError(f"{path}: --osv needs a directory of OSV JSON files or an OSV zip")


def _parsed(data: bytes, where: str) -> Iterator[dict[str, Any]]:
    try:
        record = json.loads(data)
    except ValueError as exc:
        raise ConfigError(f"{where}: not an OSV JSON record ({exc})") from None
    if isinstance(record, dict) and "id" in record:
        yield record


def match_offline(packages: list[Package], osv: Path) -> list[Finding]:
    if not osv.exists():
        raise ConfigError(f"{osv}: no such OSV export")
    by_key: dict[tuple[str, str], list[Package]] = {}
    for package in packages:
        by_key.setdefault(_package_key(package.ecosystem, package.name), []).append(package)
    findings = []
    for record in _read_records(osv):
        if record.get("withdrawn"):
            continue
        for key, entry in _record_keys(record):
            for package in by_key.get(key, []):
                if _entry_matches(package, entry):
                    findings.append(_finding(package, record, entry))
    return findings


def _finding(package: Package, record: dict[str, Any], entry: dict[str, Any]) -> Finding:
    return Finding(
        package=package,
        advisory=str(record["id"]),
        aliases=tuple(sorted(record.get("aliases", []))),
        severity=severity_of(record, entry),
        fixed=_fixed(entry),
        summary=_first_line(str(record.get("summary") or record.get("details") or "")),
    )


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0][:80] if lines else ""


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    return _fetch(request)


def _fetch(request: urllib.request.Request | str) -> Any:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        url = request if isinstance(request, str) else request.full_url
        raise FetchError(f"OSV query failed ({url}): {exc}; use --osv PATH offline") from None


def _query(package: Package) -> dict[str, Any]:
    version = f"v{package.version}" if package.ecosystem == "GIT" else package.version
    return {"package": {"ecosystem": package.ecosystem, "name": package.name}, "version": version}


def match_online(packages: list[Package], api: str = OSV_API) -> list[Finding]:
    answer = _post(f"{api}/querybatch", {"queries": [_query(p) for p in packages]})
    findings = []
    records: dict[str, dict[str, Any]] = {}
    for package, result in zip(packages, answer.get("results", []), strict=False):
        for vuln in result.get("vulns", []) or []:
            ident = str(vuln["id"])
            if ident not in records:
                records[ident] = _fetch(f"{api}/vulns/{ident}")
            record = records[ident]
            key = _package_key(package.ecosystem, package.name)
            entries = [e for k, e in _record_keys(record) if k == key]
            findings.append(_finding(package, record, entries[0] if entries else {}))
    return findings


def audit(sbom: Path, osv: Path | None = None, api: str = OSV_API) -> AuditReport:
    packages, unchecked = sbom_packages(sbom)
    found = match_offline(packages, osv) if osv else match_online(packages, api)
    unique = {(f.package, f.advisory): f for f in found}
    order = {level: i for i, level in enumerate(("unknown", *reversed(LEVELS)))}
    findings = sorted(
        unique.values(), key=lambda f: (order[f.severity], f.package.label, f.advisory)
    )
    return AuditReport(findings, packages, unchecked)


def table(findings: Iterable[Finding]) -> list[str]:
    rows = [("SEVERITY", "ADVISORY", "PACKAGE", "FIXED IN", "SUMMARY")]
    for f in findings:
        advisory = f.advisory + (f" ({', '.join(f.aliases[:2])})" if f.aliases else "")
        rows.append((f.severity, advisory, f.package.label, f.fixed or "-", f.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def summary_line(report: AuditReport) -> str:
    names = ", ".join(report.unchecked[:6]) + (", …" if len(report.unchecked) > 6 else "")
    return (
        f"{len(report.findings)} advisory finding(s) over {len(report.checked)} package(s); "
        f"not checked (no OSV ecosystem): {len(report.unchecked)}"
        + (f" ({names})" if names else "")
    )
