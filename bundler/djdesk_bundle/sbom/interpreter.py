"""The interpreter's part of the SBOM: CPython with a CPE, and the C libraries inside it.

Scanners that match by CPE (Grype, Trivy, Dependency-Track) find CPython's advisories by
``cpe:2.3:a:python:python:<version>``; python-build-standalone links OpenSSL, SQLite,
zlib, expat, libffi, bzip2, xz and others into the interpreter, and their advisories
are the ones that matter most. Their versions come from the interpreter itself when it
runs here (``ssl.OPENSSL_VERSION``, ``sqlite3.sqlite_version`` ...), else from the
manifest's optional ``[libraries]`` tables (libraries with no version API, such as
bzip2 or xz, only ever from there).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cyclonedx.model.component import Component, ComponentType
from packageurl import PackageURL

from djdesk_bundle.pins import InterpreterPin

# (CPE vendor, CPE product) of the libraries python-build-standalone builds in, as NVD
# names them. A library not listed here still gets a component, without a CPE.
LIBRARY_CPE = {
    "openssl": ("openssl", "openssl"),
    "sqlite": ("sqlite", "sqlite"),
    "zlib": ("zlib", "zlib"),
    "expat": ("libexpat_project", "libexpat"),
    "libffi": ("libffi_project", "libffi"),
    "bzip2": ("bzip", "bzip2"),
    "xz": ("tukaani", "xz"),
    "ncurses": ("gnu", "ncurses"),
    "readline": ("gnu", "readline"),
    "tcl": ("tcl", "tcl"),
    "tk": ("tcl", "tk"),
    "libmpdec": ("bytereef", "libmpdec"),
    "util-linux": ("kernel", "util-linux"),
}

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
grab("libmpdec", lambda: __import__("_decimal").__libmpdec_version__)
grab("ncurses", lambda: "%d.%d.%d" % tuple(__import__("_curses").ncurses_version))
grab("tcl", lambda: __import__("_tkinter").TCL_VERSION)
print(json.dumps(found, sort_keys=True))
"""


def cpe(vendor: str, product: str, version: str) -> str:
    return f"cpe:2.3:a:{vendor}:{product}:{version}:*:*:*:*:*:*:*"


def interpreter_cpe(pin: InterpreterPin) -> str:
    return cpe("python", "python", pin.python_version)


def probe_libraries(executable: Path) -> dict[str, str]:
    """Library versions the interpreter reports about itself ({} when it cannot run here)."""
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


def library_components(pin: InterpreterPin, executable: Path) -> list[Component]:
    """One component per bundled library: the manifest's data, overridden by the probe."""
    versions = {**dict(pin.libraries), **probe_libraries(executable)}
    components = []
    for name, version in sorted(versions.items()):
        purl = PackageURL(type="generic", name=name, version=version)
        known = LIBRARY_CPE.get(name)
        components.append(
            Component(
                name=name,
                version=version,
                type=ComponentType.LIBRARY,
                purl=purl,
                bom_ref=str(purl),
                cpe=cpe(*known, version) if known else None,
                description=f"built into CPython {pin.python_version} ({pin.triple})",
            )
        )
    return components


def interpreter_component(pin: InterpreterPin, **fields: object) -> Component:
    """CPython, named so that purl- and CPE-based scanners both find it."""
    purl = PackageURL(
        type="generic",
        name="cpython",
        version=pin.python_version,
        qualifiers={"release": pin.release, "target": pin.triple},
    )
    return Component(
        name="cpython",
        version=pin.python_version,
        type=ComponentType.PLATFORM,
        purl=purl,
        bom_ref=str(purl),
        cpe=interpreter_cpe(pin),
        description=f"python-build-standalone {pin.release} {pin.variant} for {pin.triple}",
        **fields,  # type: ignore[arg-type]
    )
