"""``djdesk-bundle audit``: an SBOM against a small OSV data set made here (offline)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from djdesk_bundle.cli import main
from djdesk_bundle.inspect.audit import audit, severity_of


def write_sbom(path: Path) -> Path:
    components = [
        {"name": "Django", "version": "5.2.19", "purl": "pkg:pypi/django@5.2.19"},
        {"name": "waitress", "version": "3.0.2", "purl": "pkg:pypi/waitress@3.0.2"},
        {"name": "sqlparse", "version": "0.6.1", "purl": "pkg:pypi/sqlparse@0.6.1"},
        {"name": "js-yaml", "version": "4.1.0", "purl": "pkg:npm/js-yaml@4.1.0"},
        {
            "name": "@sigstore/verify",
            "version": "3.1.0",
            "purl": "pkg:npm/%40sigstore/verify@3.1.0",
        },
        {"name": "electron", "version": "45.4.1", "purl": "pkg:npm/electron@45.4.1"},
        {
            "name": "cpython",
            "version": "3.14.0",
            "purl": "pkg:generic/cpython@3.14.0?release=20251031&target=x86_64-unknown-linux-gnu",
            "cpe": "cpe:2.3:a:python:python:3.14.0:*:*:*:*:*:*:*",
        },
        {"name": "openssl", "version": "3.0.19", "purl": "pkg:generic/openssl@3.0.19"},
        # Our own shell: an npm package of the same name elsewhere is not us.
        {
            "type": "application",
            "name": "djdesk",
            "version": "0.1.0",
            "purl": "pkg:npm/djdesk@0.1.0",
        },
    ]
    path.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components})
    )
    return path


def advisory(ident: str, ecosystem: str, name: str, events: list[dict[str, str]], **extra) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2026-01-01T00:00:00Z",
        "summary": f"planted advisory {ident}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "SEMVER" if ecosystem == "npm" else "ECOSYSTEM", "events": events}
                ],
                **extra.pop("entry", {}),
            }
        ],
        **extra,
    }


CVSS_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
CVSS_MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"

RECORDS = [
    # Found: Django 5.2.19 is inside [5.2, 5.2.20).
    advisory(
        "GHSA-plnt-dj01-0001",
        "PyPI",
        "django",
        [{"introduced": "5.2"}, {"fixed": "5.2.20"}],
        aliases=["CVE-2026-0001"],
        database_specific={"severity": "HIGH"},
    ),
    # Not found: fixed in 3.0.2, the version we ship.
    advisory("PYSEC-2026-2", "PyPI", "waitress", [{"introduced": "0"}, {"fixed": "3.0.2"}]),
    # Not found: last_affected 0.6.0 < 0.6.1.
    advisory(
        "GHSA-plnt-sq01-0003",
        "PyPI",
        "SQLParse",
        [{"introduced": "0"}, {"last_affected": "0.6.0"}],
    ),
    # Found: npm, by SemVer order (4.1.0 < 4.10.0), rated by its CVSS vector only.
    advisory(
        "GHSA-plnt-js01-0004",
        "npm",
        "js-yaml",
        [{"introduced": "4.0.0"}, {"fixed": "4.10.0"}],
        severity=[{"type": "CVSS_V3", "score": CVSS_MEDIUM}],
    ),
    # Found: listed in affected[].versions; a scoped name.
    {
        **advisory("GHSA-plnt-sg01-0005", "npm", "@sigstore/verify", []),
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "@sigstore/verify"},
                "versions": ["3.1.0"],
                "severity": [{"type": "CVSS_V3", "score": CVSS_CRITICAL}],
            }
        ],
    },
    # Found: Electron (npm), a prerelease boundary.
    advisory(
        "GHSA-plnt-el01-0006",
        "npm",
        "electron",
        [{"introduced": "45.0.0-alpha.1"}, {"fixed": "45.4.2"}],
        database_specific={"severity": "MODERATE"},
    ),
    # Found: the interpreter, as the PSF publishes it (GIT range, release tags listed).
    {
        "schema_version": "1.6.0",
        "id": "PSF-2026-7",
        "modified": "2026-01-01T00:00:00Z",
        "details": "There is a LOW severity vulnerability affecting CPython.\n\nSomething.",
        "affected": [
            {
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://github.com/python/cpython",
                        "events": [{"introduced": "0"}, {"fixed": "abc123"}],
                    }
                ],
                "versions": ["v3.13.9", "v3.14.0"],
            }
        ],
    },
    # Not found: another CPython release.
    {
        "schema_version": "1.6.0",
        "id": "PSF-2026-8",
        "modified": "2026-01-01T00:00:00Z",
        "affected": [
            {
                "ranges": [
                    {"type": "GIT", "repo": "https://github.com/python/cpython", "events": []}
                ],
                "versions": ["v3.12.1"],
            }
        ],
    },
    # Not found: about somebody else's npm package called djdesk.
    advisory("GHSA-plnt-dd01-0010", "npm", "djdesk", [{"introduced": "0"}]),
    # Not found: withdrawn.
    {
        **advisory("GHSA-plnt-dj02-0009", "PyPI", "django", [{"introduced": "0"}]),
        "withdrawn": "2026-01-02T00:00:00Z",
    },
]
FOUND = {
    "GHSA-plnt-dj01-0001": ("Django 5.2.19", "high", "5.2.20"),
    "GHSA-plnt-js01-0004": ("js-yaml 4.1.0", "medium", "4.10.0"),
    "GHSA-plnt-sg01-0005": ("@sigstore/verify 3.1.0", "critical", ""),
    "GHSA-plnt-el01-0006": ("electron 45.4.1", "medium", "45.4.2"),
    "PSF-2026-7": ("cpython 3.14.0", "unknown", ""),
}


@pytest.fixture
def osv_dir(tmp_path: Path) -> Path:
    root = tmp_path / "osv"
    for record in RECORDS:
        (root / record["id"].split("-")[0]).mkdir(parents=True, exist_ok=True)
        (root / record["id"].split("-")[0] / f"{record['id']}.json").write_text(json.dumps(record))
    return root


def test_planted_advisories_are_found_and_fixed_versions_are_not(osv_dir, tmp_path) -> None:
    report = audit(write_sbom(tmp_path / "sbom.json"), osv_dir)
    found = {f.advisory: (f.package.label, f.severity, f.fixed) for f in report.findings}
    assert found == FOUND
    assert report.unchecked == ["openssl 3.0.19"]
    assert {p.label for p in report.checked} >= {"cpython 3.14.0", "waitress 3.0.2"}


def test_an_osv_zip_as_distributed(osv_dir, tmp_path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for record in RECORDS:
            zipped.writestr(f"{record['id']}.json", json.dumps(record))
    report = audit(write_sbom(tmp_path / "sbom.json"), archive)
    assert {f.advisory for f in report.findings} == set(FOUND)


def test_cli_table_and_severity_threshold(osv_dir, tmp_path, capsys) -> None:
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    assert main(["audit", sbom, "--osv", str(osv_dir)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "SEVERITY",
        "ADVISORY",
        "PACKAGE",
        "FIXED",
        "IN",
        "SUMMARY",
    ]
    assert "GHSA-plnt-dj01-0001 (CVE-2026-0001)" in out and "5.2.20" in out
    assert "5 advisory finding(s)" in out and "not checked (no OSV ecosystem): 1 (openssl" in out
    # The unrated CPython advisory counts at every threshold (fail closed) ...
    assert main(["audit", sbom, "--osv", str(osv_dir), "--severity", "critical"]) == 1
    # ... and with only the fixed records, nothing is found at all.
    fixed_only = tmp_path / "fixed-only"
    fixed_only.mkdir()
    for name in ("PYSEC-2026-2.json", "GHSA-plnt-sq01-0003.json"):
        (fixed_only / name).write_text(next(osv_dir.rglob(name)).read_text())
    capsys.readouterr()
    assert main(["audit", sbom, "--osv", str(fixed_only), "--severity", "low"]) == 0
    assert "0 advisory finding(s)" in capsys.readouterr().out


def test_threshold_without_unrated_findings(tmp_path, capsys) -> None:
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "a.json").write_text(json.dumps(RECORDS[3]))  # js-yaml, medium
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    assert main(["audit", sbom, "--osv", str(osv), "--severity", "high"]) == 0
    assert main(["audit", sbom, "--osv", str(osv), "--severity", "medium"]) == 1


def test_bad_inputs_are_one_line_errors(tmp_path, capsys) -> None:
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    assert main(["audit", str(tmp_path / "none.json"), "--osv", str(tmp_path)]) == 2
    assert main(["audit", sbom, "--osv", str(tmp_path / "missing")]) == 2
    (tmp_path / "osv.txt").write_text("not osv")
    assert main(["audit", sbom, "--osv", str(tmp_path / "osv.txt")]) == 2
    err = capsys.readouterr().err
    assert "no such SBOM" in err and "no such OSV export" in err and "OSV zip" in err


def test_severity_from_cvss_v4_and_database_specific() -> None:
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert severity_of({"severity": [{"type": "CVSS_V4", "score": v4}]}, {}) == "critical"
    assert severity_of({"database_specific": {"severity": "LOW"}}, {}) == "low"
    assert severity_of({"severity": [{"type": "CVSS_V3", "score": "garbage"}]}, {}) == "unknown"


@pytest.mark.network
@pytest.mark.skip(reason="needs api.osv.dev; this machine reaches only the package registries")
def test_online_query(tmp_path) -> None:
    report = audit(write_sbom(tmp_path / "sbom.json"))
    assert report.checked
