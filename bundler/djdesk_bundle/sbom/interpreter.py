"""The interpreter's part of the SBOM: CPython with a CPE, and the native libraries in it.

Scanners that match by CPE (Grype, Trivy, Dependency-Track) find CPython's advisories by
``cpe:2.3:a:python:python:<version>``; python-build-standalone links OpenSSL, SQLite,
zlib, expat, libffi, bzip2, xz, mpdecimal, uuid, libedit and others into the interpreter,
and their advisories are the ones that matter most. What each release builds, with
version, licence and CPE, is data kept with the pins
(``manifests/python-build-standalone-libraries.toml``, one table per release); where the
interpreter runs here, the versions it reports itself (``ssl.OPENSSL_VERSION``,
``sqlite3.sqlite_version`` ...) are checked against the table and win, and each
component says which source its version has. A pin's own ``[libraries]`` table adds to
the release's (a mirror's custom build).

A local interpreter (``host-libraries = true`` in its manifest, as
``scripts/make_local_interpreter.py`` writes) links the host's shared libraries: its
libraries are named as the host's, from what the interpreter reports, none as built in.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.component import Component, ComponentType
from packageurl import PackageURL

from djdesk_bundle.errors import ConfigError
from djdesk_bundle.pins import InterpreterPin
from djdesk_bundle.sbom.cache import LIBRARY_TABLE
from djdesk_bundle.sbom.licenses import licenses_of
from djdesk_bundle.sbom.suppliers import ASTRAL, entity

VERSION_SOURCE = "djdesk:version-source"

# CPE (vendor:product, as NVD names them) and upstream licence of libraries that a pin's own
# [libraries] table or the probe names and the release table does not (a local
# interpreter's host libraries): every native part carries a licence.
KNOWN_LIBRARIES = {
    "openssl": ("openssl:openssl", "Apache-2.0"),
    "sqlite": ("sqlite:sqlite", "blessing"),
    "zlib": ("zlib:zlib", "Zlib"),
    "expat": ("libexpat_project:libexpat", "MIT"),
    "libffi": ("libffi_project:libffi", "MIT"),
    "bzip2": ("bzip:bzip2", "bzip2-1.0.6"),
    "xz": ("tukaani:xz", "0BSD"),
    "ncurses": ("gnu:ncurses", "X11"),
    "readline": ("gnu:readline", "GPL-3.0-or-later"),
    "tcl": ("tcl:tcl", "TCL"),
    "tk": ("tcl:tk", "TCL"),
    "mpdecimal": ("bytereef:mpdecimal", "BSD-2-Clause"),
}


def _known(name: str, version: str) -> Library:
    cpe_name, licence = KNOWN_LIBRARIES.get(name, ("", "NOASSERTION"))
    return Library(name, version, licence, cpe_name)


# Run by the payload's own interpreter: each library version it can report, as JSON.
PROBE = r"""
import json
found = {}
def grab(name, read):
    try:
        found[name] = str(read()).strip()
    except Exception:
        pass
grab("openssl", lambda: __import__("ssl").OPENSSL_VERSION.split()[1])
grab("sqlite", lambda: __import__("sqlite3").sqlite_version)
grab("zlib", lambda: __import__("zlib").ZLIB_RUNTIME_VERSION)
grab("expat", lambda: __import__("pyexpat").EXPAT_VERSION.removeprefix("expat_"))
grab("mpdecimal", lambda: __import__("_decimal").__libmpdec_version__)
grab("ncurses", lambda: "%d.%d.%d" % tuple(__import__("_curses").ncurses_version))
grab("tcl", lambda: __import__("_tkinter").TCL_VERSION)
def readline():
    import readline
    if getattr(readline, "backend", "readline") != "readline" or "EditLine" in (
        readline._READLINE_LIBRARY_VERSION
    ):
        return None  # libedit: no version to report
    return readline._READLINE_LIBRARY_VERSION
grab("readline", readline)
print(json.dumps({k: v for k, v in found.items() if v and v != "None"}, sort_keys=True))
"""


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    license: str = ""
    cpe: str = ""  # vendor:product
    source: str = ""  # where the version comes from
    archive_url: str = ""  # the upstream source archive the release builds it from
    archive_sha256: str = ""


def cpe(vendor: str, product: str, version: str) -> str:
    return f"cpe:2.3:a:{vendor}:{product}:{version}:*:*:*:*:*:*:*"


def interpreter_cpe(pin: InterpreterPin) -> str:
    return cpe("python", "python", pin.python_version)


def _target_os(triple: str) -> str:
    return "windows" if "windows" in triple else "darwin" if "darwin" in triple else "linux"


def release_libraries(release: str, triple: str, table: Path = LIBRARY_TABLE) -> dict[str, Library]:
    """The libraries python-build-standalone ``release`` builds into ``triple``'s
    interpreter ({} for a release with no table)."""
    try:
        data = tomllib.loads(table.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{table}: cannot read the library table ({exc})") from None
    row = data.get("releases", {}).get(release, {})
    source = f"python-build-standalone {release} build configuration"
    found = {}
    for key, entry in sorted(row.get("libraries", {}).items()):
        if _target_os(triple) not in entry.get("os", ["darwin", "linux", "windows"]):
            continue
        name = str(entry.get("name", key))
        found[name] = Library(
            name,
            str(entry["version"]),
            str(entry.get("license", "")),
            str(entry.get("cpe", "")),
            source,
            str(entry.get("source-url", "")),
            str(entry.get("source-sha256", "")),
        )
    return found


def probe_libraries(executable: Path) -> dict[str, str]:
    """Library versions the interpreter reports about itself ({} when it fails)."""
    if not executable.exists():
        return {}
    try:
        result = subprocess.run(
            [str(executable), "-I", "-B", "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        found = json.loads(result.stdout) if result.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items() if v}


def interpreter_libraries(pin: InterpreterPin, executable: Path | None) -> list[Library]:
    """The release's table, then the pin's own, then what the interpreter reports (when
    there is an ``executable`` that runs here)."""
    libraries = {} if pin.host_libraries else release_libraries(pin.release, pin.triple)
    for name, version in pin.libraries:
        known = libraries.get(name, _known(name, version))
        libraries[name] = dataclasses.replace(
            known, version=version, source="the interpreter manifest"
        )
    for name, version in (probe_libraries(executable) if executable else {}).items():
        known = libraries.get(name, _known(name, version))
        checked = "reported by the interpreter"
        if known.version and known.version != version:
            checked += f" (the table says {known.version})"
        if known.version != version:  # another build than the table's: not its archive
            known = dataclasses.replace(known, archive_url="", archive_sha256="")
        libraries[name] = dataclasses.replace(known, version=version, source=checked)
    return [libraries[name] for name in sorted(libraries)]


def library_components(pin: InterpreterPin, executable: Path | None) -> list[Component]:
    """One component per native library, with its licence, CPE, supplier and source."""
    components = []
    for library in interpreter_libraries(pin, executable):
        purl = PackageURL(type="generic", name=library.name, version=library.version)
        vendor, _, product = library.cpe.partition(":")
        where = (
            "the host's shared library, linked by the local interpreter (not part of it)"
            if pin.host_libraries
            else f"built into CPython {pin.python_version} ({pin.triple}) by "
            f"python-build-standalone {pin.release}"
        )
        supplier = (
            entity("the build host's operating system (host library)")
            if pin.host_libraries
            else entity(*ASTRAL)
        )
        component = Component(
            name=library.name,
            version=library.version,
            type=ComponentType.LIBRARY,
            purl=purl,
            bom_ref=str(purl),
            cpe=cpe(vendor, product, library.version) if product else None,
            description=where,
            supplier=supplier,
            licenses=licenses_of(library.license or "NOASSERTION"),
        )
        component.properties.add(Property(name=VERSION_SOURCE, value=library.source))
        if library.archive_url and library.archive_sha256:
            component.external_references.add(_source_archive(library))
        components.append(component)
    return components


def _source_archive(library: Library) -> ExternalReference:
    return ExternalReference(
        type=ExternalReferenceType.SOURCE_DISTRIBUTION,
        url=XsUri(library.archive_url),
        comment="the upstream source archive python-build-standalone builds it from",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=library.archive_sha256)],
    )


def interpreter_component(pin: InterpreterPin, **fields: object) -> Component:
    """CPython, named so that purl- and CPE-based scanners both find it."""
    purl = PackageURL(
        type="generic",
        name="cpython",
        version=pin.python_version,
        qualifiers={"release": pin.release, "target": pin.triple},
    )
    built = (
        f"a local interpreter for {pin.triple}: its native libraries are the host's"
        if pin.host_libraries
        else f"python-build-standalone {pin.release} {pin.variant} for {pin.triple}"
    )
    return Component(
        name="cpython",
        version=pin.python_version,
        type=ComponentType.PLATFORM,
        purl=purl,
        bom_ref=str(purl),
        cpe=interpreter_cpe(pin),
        description=built,
        supplier=entity("the build host (local interpreter)")
        if pin.host_libraries
        else entity(*ASTRAL),
        **fields,  # type: ignore[arg-type]
    )
