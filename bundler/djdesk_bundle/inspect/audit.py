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

One finding per vulnerability and package: OSV's PyPI export carries a PYSEC record and
the GHSA record aliasing it (and both alias the CVE), so records whose ids or aliases meet
are one vulnerability; the finding shows every id, the highest severity any of them
gives, and the fix on the range that matched (django 4.2.0 in ``[4.2, 4.2.7)`` is fixed in
4.2.7, not in the 3.2.23 of an older branch).

Severity: ``database_specific.severity`` of the advisory or of the affected entry (GitHub's
LOW/MODERATE/HIGH/CRITICAL), else the highest CVSS score in ``severity[]`` (v2, v3 or v4
vectors, scored with the ``cvss`` library; 0.1-3.9 low, 4-6.9 medium, 7-8.9 high,
9-10 critical). A vulnerability none of whose records rates it is ``unknown`` and counts
at every threshold: an unrated advisory fails the audit rather than passing it.

Components with no OSV ecosystem are listed as not checked: the native libraries, the
Chromium, Node and V8 inside Electron (and those the SBOM says it does not know).

Inputs are untrusted (the SBOM through ``sbom/read.py``, the OSV records through
``osv_records.py``): an SBOM or OSV record of the wrong shape (a list for an object, a
number for a string, nesting past what a parser should follow) is a one-line error, and
an OSV zip is read member by member within limits (``MAX_RECORD_BYTES`` each,
``MAX_RECORDS`` of them), so a small archive cannot make the audit use gigabytes.

Online (the default) uses OSV's ``/v1/querybatch`` and ``/v1/vulns/<id>``; offline
(``--osv PATH``) reads a directory of OSV JSON files (searched recursively) or an OSV zip
as OSV distributes it per ecosystem (``<ecosystem>/all.zip``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from packageurl import PackageURL
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from djdesk_bundle.errors import ConfigError, FetchError, SbomInvalid
from djdesk_bundle.inspect.osv_records import (
    MAX_RECORD_BYTES,
    checked_record,
    expect,
    load_json,
    read_records,
    too_big,
    within,
)
from djdesk_bundle.sbom.read import Sbom, read_sbom

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
# The SBOM property that names what Electron's table did not know (sbom/shell.py).
STACK_UNKNOWN = "djdesk:electron-stack-unknown"


@dataclass(frozen=True)
class Package:
    ecosystem: str  # "PyPI", "npm", or "GIT" (the interpreter, by its repository)
    name: str  # normalised for PyPI; the repository URL for GIT
    version: str
    label: str  # what the table shows


@dataclass(frozen=True)
class Finding:
    """One vulnerability of one package, however many records and aliases describe it."""

    package: Package
    advisory: str  # the id of a record that matched (the first in order)
    aliases: tuple[str, ...]  # every other id: other records', their aliases (CVE ...)
    severity: str  # low, medium, high, critical or unknown: the highest any record gives
    fixed: str  # the fix on the matched range, "" when none is known
    summary: str
    vectors: tuple[str, ...] = ()  # the CVSS vectors read
    score: float | None = None  # the highest CVSS base score

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.advisory, *self.aliases)

    def at_or_above(self, threshold: str) -> bool:
        if self.severity == "unknown":
            return True
        return LEVELS.index(self.severity) >= LEVELS.index(threshold)


@dataclass
class AuditReport:
    findings: list[Finding]
    checked: list[Package]
    unchecked: list[str]  # components with no OSV ecosystem


@dataclass(frozen=True)
class Match:
    """A record that applies to a package: the entry that matched and its range's fix."""

    package: Package
    record: dict[str, Any]
    entry: dict[str, Any]
    fixed: str


# --- the SBOM's packages ---


def _read_sbom(sbom_path: Path) -> Sbom:
    """The SBOM audited; a bad one is a usage error here (exit 2), as every bad input is."""
    try:
        sbom = read_sbom(sbom_path)
    except SbomInvalid as exc:
        raise ConfigError(str(exc)) from None
    if not sbom.is_cyclonedx:
        raise ConfigError(f"{sbom_path}: not a CycloneDX SBOM")
    return sbom


def _unknown_stack(component: dict[str, Any], where: str) -> list[str]:
    """What inside Electron the SBOM could not name (sbom/shell.py's property)."""
    found = []
    properties = expect(component.get("properties", []), list, f"{where}.properties")
    for prop in properties:
        if isinstance(prop, dict) and prop.get("name") == STACK_UNKNOWN:
            parts = str(prop.get("value", "")).split(":", 1)[0].split(", ")
            found += [f"{part} in electron {component.get('version', '')} (version unknown)"
                      for part in parts if part]  # fmt: skip
    return found


def sbom_packages(sbom_path: Path) -> tuple[list[Package], list[str]]:
    packages, unchecked = [], []
    for component in _read_sbom(sbom_path).every_component:
        unchecked += _unknown_stack(component, f"{sbom_path}: {component.get('name')}")
        if component.get("type") == "application":
            continue  # the app and its shell: ours, and an npm name may belong to another
        package = _package(component)
        if package is None:
            version = component.get("version", "")
            unchecked.append(f"{component.get('name')} {version}".strip())
        else:
            packages.append(package)
    return packages, sorted(unchecked)


def _package(component: dict[str, Any]) -> Package | None:
    """The OSV package of a component; None when it has no OSV ecosystem."""
    try:
        purl = PackageURL.from_string(component.get("purl", ""))
    except ValueError:
        return None
    version = purl.version or ""
    label = f"{component.get('name')} {version}"
    if purl.type == "pypi":
        return Package("PyPI", canonicalize_name(purl.name), version, label)
    if purl.type == "npm":
        name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
        return Package("npm", name, version, label)
    if purl.type == "generic" and purl.name == "cpython":
        return Package("GIT", CPYTHON_REPO, version, label)
    return None


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


def _ordered(ecosystem: str, events: list[dict[str, str]]) -> list[dict[str, str]]:
    def order(x: dict[str, str], y: dict[str, str]) -> int:
        return _compare(ecosystem, next(iter(x.values())), next(iter(y.values())))

    return sorted((e for e in events if e and "limit" not in e), key=cmp_to_key(order))


def _in_range(ecosystem: str, events: list[dict[str, str]], version: str) -> bool:
    """The OSV schema's evaluation: walk the events in version order."""
    affected = False
    for event in _ordered(ecosystem, events):
        if "introduced" in event and _compare(ecosystem, version, event["introduced"]) >= 0:
            affected = True
        elif ("fixed" in event and _compare(ecosystem, version, event["fixed"]) >= 0) or (
            "last_affected" in event and _compare(ecosystem, version, event["last_affected"]) > 0
        ):
            affected = False
    return affected


def _range_fix(ecosystem: str, events: list[dict[str, str]], version: str) -> str:
    """The fix of the interval ``version`` is in: the first ``fixed`` above it."""
    for event in _ordered(ecosystem, events):
        if "fixed" in event and _compare(ecosystem, event["fixed"], version) > 0:
            return str(event["fixed"])
    return ""


def _version_ranges(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in entry.get("ranges", []) if r.get("type") in ("ECOSYSTEM", "SEMVER")]


def _matched_fix(package: Package, entry: dict[str, Any]) -> str | None:
    """None when the entry does not affect the package; else the fix ("" if none known)."""
    if package.ecosystem == "GIT":
        repos = {r.get("repo", "").rstrip("/").removesuffix(".git") for r in entry["ranges"]}
        tags = {f"v{package.version}", package.version}
        hit = CPYTHON_REPO in repos and bool(tags & set(entry.get("versions", [])))
        return "" if hit else None
    try:
        ranges = _version_ranges(entry)
        hits = [r for r in ranges if _in_range(package.ecosystem, r["events"], package.version)]
        if not hits and package.version not in entry.get("versions", []):
            return None
        fixes = [
            _range_fix(package.ecosystem, r["events"], package.version) for r in hits or ranges
        ]
        fixes = [f for f in fixes if f]
        return _sorted_versions(package.ecosystem, fixes)[0] if fixes else ""
    except InvalidVersion:
        return None


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


def _vectors(record: dict[str, Any], entry: dict[str, Any]) -> list[str]:
    return [str(item.get("score", "")) for item in [*record.get("severity", []),
            *entry.get("severity", [])]]  # fmt: skip


def rating(record: dict[str, Any], entry: dict[str, Any]) -> tuple[str, float | None]:
    """(level, highest CVSS base score) of one record for one affected entry."""
    rated = [scored for vector in _vectors(record, entry) if (scored := _cvss_level(vector))]
    score = max(rated)[0] if rated else None
    for specific in (entry.get("database_specific") or {}, record.get("database_specific") or {}):
        word = str(specific.get("severity", "")).lower() if isinstance(specific, dict) else ""
        if word in SEVERITY_WORDS:
            return SEVERITY_WORDS[word], score
    if not rated:
        return "unknown", None
    word = max(rated)[1]
    return (word if word in LEVELS else "low" if word == "none" else "unknown"), score


def severity_of(record: dict[str, Any], entry: dict[str, Any]) -> str:
    return rating(record, entry)[0]


# --- OSV records matched ---


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


def _matches(record: dict[str, Any], by_key: dict[tuple[str, str], list[Package]]) -> list[Match]:
    found = []
    for key, entry in _record_keys(record):
        for package in by_key.get(key, []):
            fixed = _matched_fix(package, entry)
            if fixed is not None:
                found.append(Match(package, record, entry, fixed))
    return found


def match_offline(packages: list[Package], osv: Path) -> list[Match]:
    if not osv.exists():
        raise ConfigError(f"{osv}: no such OSV export")
    by_key: dict[tuple[str, str], list[Package]] = {}
    for package in packages:
        by_key.setdefault(_package_key(package.ecosystem, package.name), []).append(package)
    found = []
    for record in read_records(osv):
        if not record.get("withdrawn"):
            found += _matches(record, by_key)
    return found


# --- one finding per vulnerability ---


def _groups(matches: list[Match]) -> list[list[Match]]:
    """Matches of one package whose records share an id or alias: one vulnerability."""
    groups: list[tuple[set[str], list[Match]]] = []
    for match in sorted(matches, key=lambda m: str(m.record["id"])):
        ids = {str(match.record["id"]), *match.record.get("aliases", [])}
        joined = [g for g in groups if g[1][0].package == match.package and g[0] & ids]
        for group in joined:
            groups.remove(group)
            ids |= group[0]
        merged = [m for g in joined for m in g[1]] + [match]
        groups.append((ids, merged))
    return [group for _, group in groups]


def _finding(group: list[Match]) -> Finding:
    package = group[0].package
    own = sorted({str(m.record["id"]) for m in group})
    aliases = sorted({a for m in group for a in m.record.get("aliases", [])} - set(own))
    ratings = [rating(m.record, m.entry) for m in group]
    known = [level for level, _ in ratings if level != "unknown"]
    scores = [score for _, score in ratings if score is not None]
    fixes = _sorted_versions(package.ecosystem, list({m.fixed for m in group if m.fixed}))
    summaries = [_first_line(str(m.record.get("summary") or m.record.get("details") or ""))
                 for m in group]  # fmt: skip
    return Finding(
        package=package,
        advisory=own[0],
        aliases=(*own[1:], *aliases),
        severity=max(known, key=LEVELS.index) if known else "unknown",
        fixed=fixes[-1] if fixes else "",  # the fix every record agrees is one
        summary=next((text for text in summaries if text), ""),
        vectors=tuple(sorted({v for m in group for v in _vectors(m.record, m.entry) if v})),
        score=max(scores) if scores else None,
    )


def _sorted_versions(ecosystem: str, versions: list[str]) -> list[str]:
    def order(a: str, b: str) -> int:
        try:
            return _compare(ecosystem, a, b)
        except InvalidVersion:  # a record's odd "fixed": ordered as text, not an error
            return -1 if a < b else 1 if a > b else 0

    return sorted(versions, key=cmp_to_key(order))


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0][:80] if lines else ""


# --- online: OSV's API ---


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    return _fetch(request)


def _fetch(request: urllib.request.Request | str) -> Any:
    url = request if isinstance(request, str) else request.full_url
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = response.read(MAX_RECORD_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"OSV query failed ({url}): {exc}; use --osv PATH offline") from None
    within(len(data) <= MAX_RECORD_BYTES, f"{url}: answer {too_big()}")
    return load_json(data, url, "an OSV answer")


def _query(package: Package) -> dict[str, Any]:
    version = f"v{package.version}" if package.ecosystem == "GIT" else package.version
    return {"package": {"ecosystem": package.ecosystem, "name": package.name}, "version": version}


def match_online(packages: list[Package], api: str = OSV_API) -> list[Match]:
    answer = expect(_post(f"{api}/querybatch", {"queries": [_query(p) for p in packages]}),
                     dict, f"{api}/querybatch")  # fmt: skip
    results = expect(answer.get("results", []), list, f"{api}/querybatch: results")
    found: list[Match] = []
    records: dict[str, dict[str, Any]] = {}
    for package, result in zip(packages, results, strict=False):
        vulns = expect(expect(result, dict, "a querybatch result").get("vulns") or [], list,
                        "a querybatch result's vulns")  # fmt: skip
        for vuln in vulns:
            ident = str(expect(vuln, dict, "a querybatch vuln").get("id", ""))
            if ident not in records:
                url = f"{api}/vulns/{ident}"
                records[ident] = checked_record(_fetch(url), url) or {"id": ident}
            key = _package_key(package.ecosystem, package.name)
            entries = [e for k, e in _record_keys(records[ident]) if k == key] or [{}]
            fixes = [f for e in entries if (f := _matched_fix(package, e)) is not None] or [""]
            found.append(Match(package, records[ident], entries[0], fixes[0]))
    return found


def audit(sbom: Path, osv: Path | None = None, api: str = OSV_API) -> AuditReport:
    packages, unchecked = sbom_packages(sbom)
    matches = match_offline(packages, osv) if osv else match_online(packages, api)
    order = {level: i for i, level in enumerate(("unknown", *reversed(LEVELS)))}
    findings = sorted(
        (_finding(group) for group in _groups(matches)),
        key=lambda f: (order[f.severity], f.package.label, f.advisory),
    )
    return AuditReport(findings, packages, unchecked)
