"""The SBOM serves audits: the minimum elements (supplier, author, tool, lifecycle, licence,
hash) checked by an independent consumer, SPDX licences, the interpreter's CPE and its
native libraries per python-build-standalone release, Electron with Chromium, Node and V8,
and the shell's npm dependency graph (edges, not a flat list)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.sbom.document import build_sbom
from djdesk_bundle.sbom.schema import validate_sbom
from tests.bundler.conftest import HOST_TRIPLE, LOCAL_PYTHON, USE_PINNED
from tests.conftest import REPO

NPM_LOCK = REPO / "electron" / "package-lock.json"
BSD3_TEXT = "Redistribution ... Neither the name of the copyright holder nor the names ...\n"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("License-Expression: mit\n", {"license": {"id": "MIT"}}),
        ("License-Expression: MIT OR Apache-2.0\n", {"expression": "MIT OR Apache-2.0"}),
        ("License: apache-2.0\n", {"license": {"id": "Apache-2.0"}}),
        # waitress: "ZPL 2.1" and the Zope classifier name one SPDX id
        (
            "License: ZPL 2.1\nClassifier: License :: OSI Approved :: Zope Public License\n",
            {"license": {"id": "ZPL-2.1"}},
        ),
        ("Classifier: License :: OSI Approved :: MIT License\n", {"license": {"id": "MIT"}}),
        # traitlets, nbformat: License is the licence text, its first line names it
        (
            "License: BSD 3-Clause License\n  Copyright (c) 2001\n",
            {"license": {"id": "BSD-3-Clause"}},
        ),
        # sqlparse: only "BSD License"; the licence file's third clause says which BSD
        (
            "Classifier: License :: OSI Approved :: BSD License\nLicense-File: LICENSE\n",
            {"license": {"id": "BSD-3-Clause"}},
        ),
        ("License: Our Own Licence\n", {"license": {"name": "Our Own Licence"}}),
    ],
)
def test_licences_are_spdx_expressions_from_metadata_then_classifiers(
    tmp_path: Path,
    headers: str,
    expected: dict,  # type: ignore[type-arg]
) -> None:
    sbom = make_sbom(tmp_path, metadata=headers)
    (component,) = [c for c in sbom["components"] if c["name"] == "demo-dist"]
    assert component["licenses"] == [expected]


def make_sbom(
    tmp_path: Path,
    metadata: str = "License-Expression: MIT\n",
    runnable: bool = True,
    release: str = "local",
    manifest_extra: str = '[libraries]\nbzip2 = "1.0.8"\nopenssl = "0.0.1"\n',
    site_packages: Path | None = None,
    direct: list[str] | None = None,
) -> dict:  # type: ignore[type-arg]
    """An SBOM for a small payload: one distribution (or ``site_packages``), the host's
    interpreter (runnable or not), the repository's shell lock, and an Electron table that
    knows 45.4."""
    payload = tmp_path / "payload"
    info = payload / "site-packages" / "demo_dist-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: demo-dist\nVersion: 1.0\n"
        "Author-email: Ada Example <ada@example.org>\n" + metadata
    )
    (info / "LICENSE").write_text(BSD3_TEXT)
    if site_packages is not None:
        shutil.rmtree(payload / "site-packages")
        (payload / "site-packages").symlink_to(site_packages)
    (payload / "python" / "bin").mkdir(parents=True)
    if runnable and LOCAL_PYTHON.is_file():
        (payload / "python" / "bin" / "python3").symlink_to(LOCAL_PYTHON)
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        f'release = "{release}"\npython-version = "3.11.2"\n{manifest_extra}\n'
        f'[targets.x86_64-unknown-linux-gnu]\nurl = "cpython.tar.gz"\nsha256 = "{"a" * 64}"\n'
    )
    table = tmp_path / "electron-versions.toml"
    table.write_text('[electron."45.4"]\nchromium = "999.0.1.2"\nnode = "24.99.0"\nv8 = "15.9"\n')
    text = build_sbom(
        payload,
        "djdesk",
        "0.1.0",
        load_manifest(manifest).pin_for("x86_64-unknown-linux-gnu"),
        tmp_path / "requirements.txt",
        direct or ["demo-dist"],
        NPM_LOCK,
        1_700_000_000,
        electron_versions=table,
        interpreter_runs_here=runnable,
    )
    validate_sbom(text)  # CycloneDX 1.6, offline
    (tmp_path / "made.cdx.json").write_text(text)
    return json.loads(text)  # type: ignore[no-any-return]


# sbomaudit's checks that are minimum elements (NTIA 2021, CISA 2025); its others are
# policy (OSI approval, deprecation, latest version, a CPE on every package).
MINIMUM_CHECKS = (
    "SBOM Creator identified",
    "SBOM Creation time defined",
    "Supplier included",
    "Version included",
    "License included",
    "SPDX Compatible License id",
    "Dependency relationship",
    "NTIA",
    "Package id",
    "Package name",
)


def minimum_elements_failures(sbom_path: Path) -> list[str]:
    """What an independent consumer (lib4sbom's parser, sbomaudit's NTIA minimum
    elements) fails in the SBOM; [] when it conforms."""
    from lib4sbom.parser import SBOMParser
    from sbomaudit.audit import SBOMaudit

    parser = SBOMParser()
    parser.parse_file(str(sbom_path))
    audit = SBOMaudit({"offline": True}, output="quiet")  # no console, no network
    conformant = audit.audit_sbom(parser)
    failures = [
        f"{section}: {item.get('name', '')} {report['text']}".strip()
        for section, items in audit.get_audit().items()
        for item in items
        for report in item.get("reports", [item])
        if report.get("state") == "Fail" and str(report.get("text", "")).startswith(MINIMUM_CHECKS)
    ]
    return failures if failures or conformant else ["not NTIA conformant"]


def missing_elements(sbom: dict) -> list[str]:  # type: ignore[type-arg]
    """The CISA 2025 additions sbomaudit does not check: every component has a supplier
    and a licence, every registry package a hash; the metadata names author, manufacturer,
    the tool with its version and the lifecycle."""
    missing = []
    for c in sbom["components"]:
        label = c.get("bom-ref", c["name"])
        missing += [f"{label}: {key}" for key in ("supplier", "licenses") if not c.get(key)]
        registry = c.get("purl", "").startswith(("pkg:pypi/", "pkg:npm/"))
        made_here = c.get("purl", "").startswith("pkg:pypi/demo-dist")  # no wheel locked
        if registry and not made_here and not c.get("hashes"):
            missing.append(f"{label}: hashes")
    meta = sbom["metadata"]
    missing += [
        f"metadata: {key}" for key in ("authors", "manufacturer", "supplier") if not meta.get(key)
    ]
    if meta.get("lifecycles") != [{"phase": "build"}]:
        missing.append("metadata: lifecycle")
    if not all(t.get("version") for t in meta["tools"]["components"]):
        missing.append("metadata: tool version")
    return missing


def test_every_component_has_a_supplier_and_the_metadata_an_author(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path, runnable=False, release="20260814", manifest_extra="")
    assert minimum_elements_failures(tmp_path / "made.cdx.json") == []
    assert missing_elements(sbom) == []
    demo = by_purl(sbom, "pkg:pypi/demo-dist@")
    assert demo["supplier"] == {
        "name": "Ada Example",
        "contact": [{"name": "Ada Example", "email": "ada@example.org"}],
    }
    assert by_purl(sbom, "pkg:generic/cpython@")["supplier"]["name"].startswith("Astral")
    assert by_purl(sbom, "pkg:npm/electron@")["supplier"]["name"].startswith("OpenJS")
    # The shell's package.json names its author: the app's publisher and the SBOM's author.
    assert sbom["metadata"]["authors"] == [{"name": "DJDesk", "email": "team@djdesk.invalid"}]
    assert sbom["metadata"]["manufacturer"]["name"] == "DJDesk"


def test_without_author_metadata_the_index_is_the_supplier(tmp_path: Path) -> None:
    from djdesk_bundle.sbom.document import installed_distributions

    info = tmp_path / "anonymous-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: anonymous\nVersion: 1.0\n")
    (dist,) = installed_distributions(tmp_path, {})
    assert dist.supplier is not None and dist.supplier.name == "Python Package Index (distributor)"


def test_what_a_distribution_requires_is_what_its_markers_keep_for_the_target(
    tmp_path: Path,
) -> None:
    """Markers are evaluated for the target, not searched for "extra ==": an extra's
    requirement written without spaces, or one for another platform or Python, is not a
    dependency of the distribution (before, only "extra ==" with a space was left out)."""
    from djdesk_bundle.pins import InterpreterPin
    from djdesk_bundle.sbom.document import installed_distributions

    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    requires = [
        "Always>=1",
        'argon2-cffi>=19.1.0; extra == "argon2"',
        "bcrypt; extra=='bcrypt'",
        'tzdata; sys_platform == "win32"',
        'typing_extensions>=4; python_version < "3.11"',
        'Linux.Only; platform_system == "Linux" and platform_machine == "x86_64"',
    ]
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        + "".join(f"Requires-Dist: {line}\n" for line in requires)
    )

    def pin(triple: str) -> InterpreterPin:
        return InterpreterPin(triple, "u", "0" * 64, "install_only", "3.11.2", "local")

    (linux,) = installed_distributions(
        tmp_path, pin("x86_64-unknown-linux-gnu").marker_environment()
    )
    assert linux.requires == ["always", "linux-only"]
    (windows,) = installed_distributions(
        tmp_path, pin("x86_64-pc-windows-msvc").marker_environment()
    )
    assert windows.requires == ["always", "tzdata"]


def test_a_third_party_projects_distributions_meet_the_minimum_elements(tmp_path: Path) -> None:
    """This workspace's environment: some 150 real distributions of other projects, with
    every kind of metadata (PEP 639 expressions, License fields, classifiers only, no
    author but maintainers, no licence at all ...), as one project's dependencies."""
    site = Path(sysconfig.get_paths()["purelib"])
    names = [info.name.split("-")[0] for info in site.glob("*.dist-info")]
    sbom = make_sbom(
        tmp_path, runnable=False, release="20260814", manifest_extra="", site_packages=site,
        direct=names,
    )  # fmt: skip
    pypi = [c for c in sbom["components"] if c.get("purl", "").startswith("pkg:pypi/")]
    assert len(pypi) > 100
    licence = {c["name"]: json.dumps(c["licenses"]) for c in pypi}
    failures = minimum_elements_failures(tmp_path / "made.cdx.json")
    unknown = [f for f in failures if "SPDX Compatible License id" in f]
    assert [f for f in failures if f not in unknown] == []
    # Not SPDX only where the metadata names no SPDX licence: said so, not guessed.
    unnamed = [f.split()[1] for f in unknown]
    assert all("NOASSERTION" in licence[n] or "LicenseRef-" in licence[n] for n in unnamed)
    assert len(unnamed) <= 5, unnamed
    assert [c["name"] for c in pypi if not c.get("supplier")] == []


def by_purl(sbom: dict, prefix: str) -> dict:  # type: ignore[type-arg]
    (component,) = [c for c in sbom["components"] if c.get("purl", "").startswith(prefix)]
    return component  # type: ignore[no-any-return]


def depends_on(sbom: dict, ref: str) -> list[str]:  # type: ignore[type-arg]
    return next(d.get("dependsOn", []) for d in sbom["dependencies"] if d["ref"] == ref)


@pytest.mark.skipif(not LOCAL_PYTHON.is_file(), reason="needs Debian's /usr/bin/python3.11")
def test_interpreter_has_a_cpe_and_its_libraries_from_running_it(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path)
    cpython = by_purl(sbom, "pkg:generic/cpython@3.11.2")
    assert cpython["cpe"] == "cpe:2.3:a:python:python:3.11.2:*:*:*:*:*:*:*"
    reported = subprocess.run(
        [
            str(LOCAL_PYTHON),
            "-I",
            "-c",
            "import ssl, sqlite3; print(ssl.OPENSSL_VERSION.split()[1], sqlite3.sqlite_version)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    openssl = by_purl(sbom, "pkg:generic/openssl@")
    assert openssl["version"] == reported[0]  # the interpreter's own answer beats the manifest
    assert openssl["cpe"] == f"cpe:2.3:a:openssl:openssl:{reported[0]}:*:*:*:*:*:*:*"
    assert by_purl(sbom, "pkg:generic/sqlite@")["version"] == reported[1]
    assert by_purl(sbom, "pkg:generic/zlib@")["cpe"].startswith("cpe:2.3:a:zlib:zlib:")
    assert by_purl(sbom, "pkg:generic/bzip2@")["version"] == "1.0.8"  # only the manifest knows
    libraries = depends_on(sbom, cpython["bom-ref"])
    assert openssl["bom-ref"] in libraries and len(libraries) >= 4


def test_libraries_from_the_manifest_when_the_interpreter_cannot_run(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path, runnable=False)
    assert by_purl(sbom, "pkg:generic/openssl@")["version"] == "0.0.1"
    assert by_purl(sbom, "pkg:generic/bzip2@")["version"] == "1.0.8"
    assert not [
        c for c in sbom["components"] if c.get("purl", "").startswith("pkg:generic/sqlite@")
    ]


def test_electron_with_chromium_and_node_and_the_npm_graph(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path)
    electron = by_purl(sbom, "pkg:npm/electron@45.4.1")
    assert electron["cpe"] == "cpe:2.3:a:electronjs:electron:45.4.1:*:*:*:*:*:*:*"
    chromium = by_purl(sbom, "pkg:generic/chromium@999.0.1.2")
    node = by_purl(sbom, "pkg:generic/node@24.99.0")
    v8 = by_purl(sbom, "pkg:generic/v8@15.9")
    assert chromium["cpe"].startswith("cpe:2.3:a:google:chrome:999.0.1.2:")
    assert v8["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    inside = {chromium["bom-ref"], node["bom-ref"], v8["bom-ref"]}
    assert set(depends_on(sbom, electron["bom-ref"])) == inside
    # The root holds the shell; the shell holds Electron and its direct production deps only.
    (shell,) = [c for c in sbom["components"] if c["bom-ref"] == "djdesk-shell:djdesk@0.1.0"]
    assert shell["bom-ref"] in depends_on(sbom, "pkg:generic/djdesk@0.1.0")
    lock = json.loads(NPM_LOCK.read_text())
    direct = lock["packages"][""]["dependencies"]
    shell_deps = depends_on(sbom, shell["bom-ref"])
    assert len(shell_deps) == len(direct) + 1 and electron["bom-ref"] in shell_deps
    assert "pkg:npm/lazy-val@1.0.5" not in shell_deps  # electron-updater's, not the shell's
    # npm's own edges: @sigstore/verify needs @sigstore/bundle; electron-updater needs lazy-val.
    assert "pkg:npm/%40sigstore/bundle@4.0.0" in depends_on(
        sbom, "pkg:npm/%40sigstore/verify@3.1.0"
    )
    updater = by_purl(sbom, "pkg:npm/electron-updater@")
    assert any(ref.startswith("pkg:npm/lazy-val@") for ref in depends_on(sbom, updater["bom-ref"]))
    assert not [c for c in sbom["components"] if c.get("purl", "").startswith("pkg:npm/electron-b")]


def test_the_shell_is_not_claimed_as_a_registry_package(tmp_path: Path) -> None:
    """``pkg:npm/djdesk@0.1.0`` names a public npm package this private shell is not:
    scanners would match the registry's advisories and licence for it."""
    sbom = make_sbom(tmp_path, runnable=False)
    assert "pkg:npm/djdesk@" not in json.dumps(sbom)
    (shell,) = [c for c in sbom["components"] if c["bom-ref"].startswith("djdesk-shell:")]
    assert "purl" not in shell and shell["licenses"] == [{"license": {"id": "MIT"}}]
    assert [p["name"] for p in shell["properties"]] == ["djdesk:not-in-registry"]
    assert shell["supplier"]["name"] == "DJDesk"


def shell_electron() -> str:
    pinned = json.loads((REPO / "electron" / "package.json").read_text())["devDependencies"]
    locked = json.loads(NPM_LOCK.read_text())["packages"]["node_modules/electron"]["version"]
    assert pinned["electron"] == locked, "package.json and its lock pin one Electron"
    return str(locked)


def test_the_electron_table_covers_the_electron_the_shell_pins() -> None:
    from djdesk_bundle.sbom.cache import ELECTRON_VERSIONS
    from djdesk_bundle.sbom.shell import electron_versions

    version = shell_electron()
    assert ELECTRON_VERSIONS == REPO / "manifests" / "electron-versions.toml"
    stack = electron_versions(ELECTRON_VERSIONS, version)
    assert stack["chromium"].startswith("156.") and stack["v8"] == "15.6"
    rows = tomllib.loads(ELECTRON_VERSIONS.read_text())["electron"]
    row = rows.get(version) or rows[".".join(version.split(".")[:2])]
    assert row["source"]  # where the versions come from


def test_native_libraries_of_the_pinned_release_when_it_cannot_run_here(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path, runnable=False, release="20260814", manifest_extra="")
    libraries = {c["name"]: c for c in sbom["components"] if c["type"] == "library" and "cpe" in c}
    wanted = {"libffi", "bzip2", "xz", "libedit", "uuid", "mpdecimal", "openssl", "sqlite"}
    assert wanted | {"zlib", "expat", "ncurses", "zstd"} <= set(libraries)
    for name, library in libraries.items():
        assert library["purl"] == f"pkg:generic/{name}@{library['version']}"
        assert library["cpe"].split(":")[5] == library["version"]
        assert library["licenses"] and library["supplier"]["name"].startswith("Astral")
        (source,) = library["properties"]
        assert source["value"] == "python-build-standalone 20260814 build configuration"
    assert libraries["xz"]["licenses"] == [{"license": {"id": "0BSD"}}]
    assert libraries["sqlite"]["version"] == "3.53.1"
    (archive,) = libraries["openssl"]["externalReferences"]
    assert archive["type"] == "source-distribution" and len(archive["hashes"][0]["content"]) == 64
    cpython = by_purl(sbom, "pkg:generic/cpython@")
    assert {libraries[n]["bom-ref"] for n in wanted} <= set(depends_on(sbom, cpython["bom-ref"]))


def test_the_pinned_release_has_a_library_table_for_every_triple() -> None:
    from djdesk_bundle.sbom.interpreter import release_libraries

    manifest = load_manifest(DEFAULT_MANIFEST)
    for triple in manifest.pins:
        names = set(release_libraries(manifest.release, triple))
        assert {"openssl", "sqlite", "bzip2", "xz", "libffi", "mpdecimal"} <= names, triple
        assert names & {"zlib", "zlib-ng"}, triple


@pytest.mark.skipif(not LOCAL_PYTHON.is_file(), reason="needs Debian's /usr/bin/python3.11")
def test_the_table_is_checked_against_what_the_interpreter_reports(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path, release="20260814", manifest_extra="")
    openssl = by_purl(sbom, "pkg:generic/openssl@")
    (source,) = openssl["properties"]
    if openssl["version"] != "3.5.7":  # another OpenSSL than the table's: said, not hidden
        assert source["value"] == "reported by the interpreter (the table says 3.5.7)"
        assert "externalReferences" not in openssl  # the table's archive is not this build
    assert by_purl(sbom, "pkg:generic/bzip2@")["properties"][0]["value"].startswith(
        "python-build-standalone 20260814"
    )


@pytest.mark.skipif(not LOCAL_PYTHON.is_file(), reason="needs Debian's /usr/bin/python3.11")
def test_a_local_interpreter_names_its_libraries_as_the_hosts(tmp_path: Path) -> None:
    """Debian's python3.11 links the host's libssl, libsqlite3 ...: none is built in."""
    sbom = make_sbom(tmp_path, manifest_extra="host-libraries = true\n")
    libraries = [c for c in sbom["components"] if c.get("purl", "").startswith("pkg:generic/")]
    libraries = [c for c in libraries if c["type"] == "library"]
    assert {"openssl", "sqlite", "zlib", "expat"} <= {c["name"] for c in libraries}
    assert not [c["name"] for c in libraries if "built into" in c["description"]]
    assert all("host" in c["description"] and "host" in c["supplier"]["name"] for c in libraries)
    assert all(c["licenses"] for c in libraries)
    assert "host" in by_purl(sbom, "pkg:generic/cpython@")["description"]


def test_make_local_interpreter_says_its_libraries_are_the_hosts(local_interpreter: Path) -> None:
    pin = load_manifest(local_interpreter / "manifest.toml").pin_for(HOST_TRIPLE)
    assert pin.host_libraries


def test_the_payload_sbom_meets_the_minimum_elements(built) -> None:  # type: ignore[no-untyped-def]
    """The inspector's payload, as the session's end-to-end build made it."""
    path = built["out"] / "sbom.cdx.json"
    assert minimum_elements_failures(path) == []
    sbom = json.loads(path.read_text())
    assert missing_elements(sbom) == []
    libraries = {
        c["name"]: c
        for c in sbom["components"]
        if c["type"] == "library" and c.get("purl", "").startswith("pkg:generic/")
    }
    assert {"openssl", "sqlite", "zlib", "expat"} <= set(libraries)  # what its interpreter imports
    if USE_PINNED:  # the pinned release's interpreter agrees with its table
        sources = {n: c["properties"][0]["value"] for n, c in libraries.items()}
        assert [n for n, source in sources.items() if "the table says" in source] == []
        assert sources["openssl"] == "reported by the interpreter"
        assert {"libffi", "bzip2", "xz", "mpdecimal"} <= set(libraries)


def test_unknown_electron_line_is_said_not_guessed(tmp_path: Path) -> None:
    sbom = make_sbom(tmp_path)
    shutil.rmtree(tmp_path / "payload")
    from djdesk_bundle.sbom.shell import electron_components

    electron, inside = electron_components("45.4.1", tmp_path / "missing.toml")
    assert inside == []
    assert [p.name for p in electron.properties] == ["djdesk:electron-stack-unknown"]
    assert sbom["specVersion"] == "1.6"


def test_installer_sbom_holds_the_payload_and_the_shell(tmp_path: Path) -> None:
    import hashlib

    from djdesk_bundle.cli import main

    payload_sbom = make_sbom(tmp_path)
    payload = tmp_path / "payload"
    (payload / "sbom.cdx.json").write_text(json.dumps(payload_sbom))
    installer = tmp_path / "DJDesk-0.1.0.AppImage"
    installer.write_bytes(b"\x7fELF not really an AppImage")
    output = tmp_path / "out" / "DJDesk-0.1.0.AppImage.cdx.json"
    argv = ["installer-sbom", "--payload", str(payload), "--installer", str(installer)]
    assert main([*argv, "--output", str(output)]) == 0
    sbom = json.loads(output.read_text())
    root = sbom["metadata"]["component"]
    assert root["name"] == "DJDesk-0.1.0.AppImage" and root["version"] == "0.1.0"
    assert root["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(installer.read_bytes()).hexdigest()}
    ]
    purls = {c.get("purl", "") for c in sbom["components"]}
    assert {"pkg:generic/djdesk@0.1.0", "pkg:npm/electron@45.4.1"} <= purls
    assert "djdesk-shell:djdesk@0.1.0" in {c["bom-ref"] for c in sbom["components"]}
    assert {c.get("purl", "") for c in payload_sbom["components"]} <= purls
    assert depends_on(sbom, root["bom-ref"]) == ["pkg:generic/djdesk@0.1.0"]
    assert root["supplier"]["name"] == "DJDesk"
    assert minimum_elements_failures(output) == []
    assert main([*argv, "--output", str(tmp_path / "again.json")]) == 0
    assert (tmp_path / "again.json").read_bytes() == output.read_bytes()  # deterministic
    assert main(["installer-sbom", "--payload", str(tmp_path), "--installer", str(installer),
                 "--output", str(output)]) == 2  # fmt: skip


@pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("sh") is None,
    reason="the Electron stand-in is a #! shell script (Windows does not run those)",
)
def test_refresh_script_records_what_the_electron_binary_reports(tmp_path: Path) -> None:
    """A stand-in for the Electron binary answers `-p process.versions` like the real one."""
    from djdesk_bundle.sbom.shell import electron_versions
    from tests.conftest import load_script

    fake = tmp_path / "electron"
    fake.write_text(
        "#!/bin/sh\n"
        '[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 3\n'
        """echo '{"electron":"45.4.1","chrome":"999.0.1.2","node":"24.99.0","v8":"14.9"}'\n"""
    )
    fake.chmod(0o755)
    table = tmp_path / "electron-versions.toml"
    shutil.copyfile(REPO / "manifests" / "electron-versions.toml", table)
    refresh = load_script("refresh_electron_versions")
    assert refresh.main(["--electron", str(fake), "--table", str(table)]) == 0
    assert electron_versions(table, "45.4.1") == {
        "chromium": "999.0.1.2",
        "node": "24.99.0",
        "v8": "14.9",
    }
    assert electron_versions(table, "40.0.3")["chromium"] == "144.0.7559.60"  # kept
    text = table.read_text()
    assert text.index('[electron."40.0"]') < text.index('[electron."45.4.1"]')  # sorted
    assert text.count('[electron."45.4.1"]') == 1  # the exact release's row, replaced


def test_refresh_takes_chromium_from_electron_to_chromium(tmp_path: Path) -> None:
    """Without the binary: the npm package electron-to-chromium's table, its version said."""
    from djdesk_bundle.sbom.shell import electron_versions
    from tests.conftest import load_script

    package = tmp_path / "package"
    package.mkdir()
    (package / "package.json").write_text('{"name": "electron-to-chromium", "version": "9.9.9"}')
    (package / "full-versions.json").write_text('{"45.4.1": "156.0.1.2", "45.5.0": "156.0.3.4"}')
    table = tmp_path / "electron-versions.toml"
    shutil.copyfile(REPO / "manifests" / "electron-versions.toml", table)
    refresh = load_script("refresh_electron_versions")
    argv = ["--electron-to-chromium", str(package), "--table", str(table)]
    assert refresh.main(argv) == 0  # the shell's Electron, from its lock
    assert electron_versions(table, shell_electron()) == {"chromium": "156.0.1.2", "v8": "15.6"}
    source = tomllib.loads(table.read_text())["electron"][shell_electron()]["source"]
    assert source.startswith("chromium: npm electron-to-chromium 9.9.9 (full-versions.json); v8:")
    with pytest.raises(SystemExit, match=r"knows no Electron 46\.0\.0"):
        refresh.main([*argv, "--version", "46.0.0"])


def test_an_author_that_is_no_email_address_is_a_name() -> None:
    """A package.json author such as "notes-desk" (init writes the product name when the
    project names no author) made the SBOM fail its own schema (idn-email)."""
    from djdesk_bundle.sbom.suppliers import npm_supplier

    supplier = npm_supplier({"author": "notes-desk"})
    (contact,) = supplier.contacts
    assert contact.name == "notes-desk" and contact.email is None
    (named,) = npm_supplier({"author": "Ada <ada@example.org>"}).contacts
    assert (named.name, named.email) == ("Ada", "ada@example.org")
