"""``djdesk-bundle audit``: an SBOM against small OSV data sets made here (offline, or from
a stub OSV API on 127.0.0.1), one finding per vulnerability, in three formats, and
malformed inputs refused in one line."""

from __future__ import annotations

import json
import threading
import tracemalloc
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    assert (
        "5 vulnerability finding(s)" in out and "not checked (no OSV ecosystem): 1 (openssl" in out
    )
    # The unrated CPython advisory counts at every threshold (fail closed) ...
    assert main(["audit", sbom, "--osv", str(osv_dir), "--severity", "critical"]) == 1
    # ... and with only the fixed records, nothing is found at all.
    fixed_only = tmp_path / "fixed-only"
    fixed_only.mkdir()
    for name in ("PYSEC-2026-2.json", "GHSA-plnt-sq01-0003.json"):
        (fixed_only / name).write_text(next(osv_dir.rglob(name)).read_text())
    capsys.readouterr()
    assert main(["audit", sbom, "--osv", str(fixed_only), "--severity", "low"]) == 0
    assert "0 vulnerability finding(s)" in capsys.readouterr().out


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


def django_sbom(path: Path, version: str = "4.2.0") -> Path:
    component = {"name": "Django", "version": version, "purl": f"pkg:pypi/django@{version}"}
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "components": [component]}))
    return path


# As OSV's PyPI export has it (reconstructed for the November 2023 Django DoS): the PYSEC
# record (unrated) and the GHSA one aliasing it,
# both over every maintained branch.
DJANGO_BRANCHES = [
    {"introduced": "0"},
    {"fixed": "3.2.23"},
    {"introduced": "4.0"},
    {"fixed": "4.1.13"},
    {"introduced": "4.2"},
    {"fixed": "4.2.7"},
]
PYSEC_DJANGO = advisory(
    "PYSEC-2023-225",
    "PyPI",
    "django",
    DJANGO_BRANCHES,
    aliases=["CVE-2023-46695", "GHSA-qmf9-6jqf-j8fq"],
)
GHSA_DJANGO = advisory(
    "GHSA-qmf9-6jqf-j8fq",
    "PyPI",
    "django",
    DJANGO_BRANCHES,
    aliases=["CVE-2023-46695"],
    severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    database_specific={"severity": "HIGH"},
)


def write_records(root: Path, *records: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(records):
        (root / f"{i}.json").write_text(json.dumps(record))
    return root


def test_a_pysec_record_and_its_ghsa_alias_are_one_finding_with_the_branch_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = write_records(tmp_path / "osv", PYSEC_DJANGO, GHSA_DJANGO)
    sbom = django_sbom(tmp_path / "sbom.json")
    (finding,) = audit(sbom, osv).findings
    assert set(finding.ids) == {"PYSEC-2023-225", "GHSA-qmf9-6jqf-j8fq", "CVE-2023-46695"}
    assert finding.severity == "high"  # the GHSA's, though the PYSEC record is unrated
    assert finding.fixed == "4.2.7"  # the 4.2 branch's fix, not 3.2.23
    assert finding.vectors == ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",)
    assert finding.score == 7.5
    assert main(["audit", str(sbom), "--osv", str(osv), "--severity", "high"]) == 1
    assert main(["audit", str(sbom), "--osv", str(osv), "--severity", "critical"]) == 0
    out = capsys.readouterr().out
    assert "1 vulnerability finding(s)" in out and "3.2.23" not in out
    (row,) = {line for line in out.splitlines() if line.startswith("high")}  # printed twice
    assert "GHSA-qmf9-6jqf-j8fq (PYSEC-2023-225, CVE-2023-46695)" in row and "4.2.7" in row
    # On the older branch the older fix is the one to take.
    (old,) = audit(django_sbom(tmp_path / "old.json", "4.1.2"), osv).findings
    assert old.fixed == "4.1.13"


def test_json_and_sarif_beside_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = write_records(tmp_path / "osv", PYSEC_DJANGO, GHSA_DJANGO, RECORDS[3])
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    django = str(django_sbom(tmp_path / "django.json"))
    assert main(["audit", django, "--osv", str(osv), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["schema_version"] == 1
    (finding,) = report["findings"]
    assert finding["fixed"] == "4.2.7" and finding["severity"] == "high"
    assert finding["package"] == {"ecosystem": "PyPI", "name": "django", "version": "4.2.0",
                                  "label": "Django 4.2.0"}  # fmt: skip
    assert main(["audit", sbom, "--osv", str(osv), "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    (result,) = run["results"]  # js-yaml: the one record that applies to this SBOM
    assert result["ruleId"] == "GHSA-plnt-js01-0004" and result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == sbom
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "5.4"  # its CVSS v3 base score


def test_what_has_no_osv_ecosystem_is_listed_as_not_checked(tmp_path: Path) -> None:
    electron = {
        "name": "electron",
        "version": "45.4.1",
        "purl": "pkg:npm/electron@45.4.1",
        "properties": [
            {"name": "djdesk:electron-stack-unknown", "value": "node, v8: not in the table"}
        ],
    }
    chromium = {"name": "chromium", "version": "156.0.8078.100",
                "purl": "pkg:generic/chromium@156.0.8078.100"}  # fmt: skip
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "components": [electron, chromium]}))
    report = audit(sbom, write_records(tmp_path / "osv"))
    assert [p.label for p in report.checked] == ["electron 45.4.1"]  # Electron itself: npm
    assert report.unchecked == [
        "chromium 156.0.8078.100",
        "node in electron 45.4.1 (version unknown)",
        "v8 in electron 45.4.1 (version unknown)",
    ]


# Records shaped as the PSF's advisory database publishes them (no package, a GIT range on
# CPython's repository, the release tags it covers as OSV.dev lists them, CVSS v4 or a
# database_specific rating); no registry package ships the real ones, so the ids, tags,
# commit and CVEs here are this test's own.
PSF_RECORDS = [
    {
        "schema_version": "1.7.0",
        "id": "PSF-2099-9",
        "modified": "2025-08-01T00:00:00Z",
        "published": "2025-07-28T00:00:00Z",
        "aliases": ["CVE-2099-8194"],
        "summary": "tarfile: infinite loop when processing an archive with negative offsets",
        "affected": [
            {
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://github.com/python/cpython",
                        "events": [
                            {"introduced": "0"},
                            {"fixed": "cdae923ffe187d6ef916c0f665a31249619193fe"},
                        ],
                    }
                ],
                "versions": ["v3.13.5", "v3.14.0b1", "v3.14.0b2", "v3.14.0rc1"],
            }
        ],
        "severity": [
            {
                "type": "CVSS_V4",
                "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
            }
        ],
    },
    {
        "schema_version": "1.7.0",
        "id": "PSF-2099-3",
        "modified": "2026-09-01T00:00:00Z",
        "aliases": ["CVE-2099-0931"],
        "details": "There is a MEDIUM severity vulnerability affecting CPython.\n\nMore.",
        "affected": [
            {
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://github.com/python/cpython.git",
                        "events": [{"introduced": "0"}],
                    }
                ],
                "versions": ["v3.13.9", "v3.14.6", "v3.14.7"],
            }
        ],
        "database_specific": {"severity": "MEDIUM"},
    },
]


def test_the_interpreter_is_matched_by_its_release_tag(tmp_path: Path) -> None:
    osv = write_records(tmp_path / "osv", *PSF_RECORDS)
    for version, found in (("3.14.7", ["PSF-2099-3"]), ("3.14.0rc1", ["PSF-2099-9"])):
        purl = f"pkg:generic/cpython@{version}?release=20260814&target=x86_64-unknown-linux-gnu"
        sbom = tmp_path / f"{version}.json"
        component = {"name": "cpython", "version": version, "purl": purl}
        sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "components": [component]}))
        report = audit(sbom, osv)
        assert [f.advisory for f in report.findings] == found
    (rc,) = report.findings
    assert rc.severity == "high" and rc.ids == ("PSF-2099-9", "CVE-2099-8194")  # its CVSS v4


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[]", "not a CycloneDX SBOM"),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ('{"bomFormat": "CycloneDX", "components": "django"}', "components: expected list"),
        ('{"bomFormat": "CycloneDX", "components": [7]}', "components[0]: expected dict"),
        ('{"bomFormat": "CycloneDX", "components": [{"purl": 5}]}', "purl: expected str"),
    ],
)
def test_a_malformed_sbom_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    sbom = tmp_path / "sbom.json"
    sbom.write_text(text)
    assert main(["audit", str(sbom), "--osv", str(write_records(tmp_path / "osv"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and said in " ".join(err.split()) and "Traceback" not in err


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({"id": "X-1", "affected": "django"}, "affected: expected list"),
        ({"id": "X-1", "aliases": 3}, "aliases: expected list"),
        ({"id": 12}, "id: expected str"),
        (
            {
                "id": "X-1",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "django"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": 4}]}],
                    }
                ],
            },
            "events[0].introduced: expected str",
        ),
        ({"id": "X-1", "affected": [{"severity": {"score": "x"}}]}, "severity: expected list"),
        ({"id": "X-1", "details": {"text": "x"}}, "details: expected str"),
    ],
)
def test_a_malformed_osv_record_is_a_one_line_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record: dict,
    said: str,  # type: ignore[type-arg]
) -> None:
    osv = write_records(tmp_path / "osv", record)
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    assert main(["audit", sbom, "--osv", str(osv)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error:") and said in err and "Traceback" not in err


def test_deep_osv_json_and_a_list_for_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    lists = write_records(tmp_path / "lists", [RECORDS[0]])  # not an OSV record: skipped
    assert main(["audit", sbom, "--osv", str(lists)]) == 0
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "a.json").write_text("[" * 200_000 + "]" * 200_000)
    assert main(["audit", sbom, "--osv", str(deep)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_an_osv_zip_is_read_within_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small zip that inflates to 64 MiB of one member is refused before it is read
    whole (such an 815 KB zip made the audit use 2.49 GB)."""
    bomb = tmp_path / "all.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("PYSEC-1.json", json.dumps(RECORDS[0]))
        zipped.writestr("PYSEC-2.json", b" " * (64 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    sbom = str(write_sbom(tmp_path / "sbom.json"))
    tracemalloc.start()
    try:
        code = main(["audit", sbom, "--osv", str(bomb)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2 and "PYSEC-2.json: larger than 16 MiB" in capsys.readouterr().err
    assert peak < 40 * 1024 * 1024  # bounded by one record's limit, not the member's size


class StubOsv(BaseHTTPRequestHandler):
    """OSV's API as much as the audit uses: /v1/querybatch and /v1/vulns/<id>."""

    records: dict[str, dict] = {}  # type: ignore[type-arg]
    queries: list[dict] = []  # type: ignore[type-arg]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StubOsv.queries = body["queries"]
        results = [{"vulns": [{"id": i} for i in self._ids(q)]} for q in body["queries"]]
        self._answer({"results": results})

    def _ids(self, query: dict) -> list[str]:  # type: ignore[type-arg]
        name = query["package"]["name"]
        names = {i: {e.get("package", {}).get("name") for e in r["affected"]}
                 for i, r in self.records.items()}  # fmt: skip
        return sorted(i for i, found in names.items() if name in found)

    def do_GET(self) -> None:
        ident = self.path.rsplit("/", 1)[-1]
        if ident in self.records:
            self._answer(self.records[ident])
        else:
            self.send_error(404)

    def _answer(self, data: object) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_osv() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_online_query_against_a_stub_osv_api(
    stub_osv: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    StubOsv.records = {r["id"]: r for r in (PYSEC_DJANGO, GHSA_DJANGO)}
    sbom = str(django_sbom(tmp_path / "sbom.json"))
    assert main(["audit", sbom, "--osv-api", stub_osv, "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["fixed"] == "4.2.7" and finding["severity"] == "high"
    assert len(finding["ids"]) == 3
    assert StubOsv.queries == [
        {"package": {"ecosystem": "PyPI", "name": "django"}, "version": "4.2.0"}
    ]
    StubOsv.records = {}
    assert main(["audit", sbom, "--osv-api", stub_osv]) == 0
    assert "0 vulnerability finding(s)" in capsys.readouterr().out


def test_an_unreachable_osv_api_is_a_fetch_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again before the audit asks it
    sbom = str(django_sbom(tmp_path / "sbom.json"))
    assert main(["audit", sbom, "--osv-api", f"http://127.0.0.1:{port}/v1"]) == 3
    assert "use --osv PATH offline" in " ".join(capsys.readouterr().err.split())
