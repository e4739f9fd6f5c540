"""The CycloneDX 1.6 SBOM of a payload, built with cyclonedx-python-lib.

Components: the interpreter (with a CPE) and the native libraries in it
(``interpreter.py``), every distribution installed in ``site-packages`` (from its
metadata, with the wheel's sha256 from the lock), the app, and the Electron shell with
Electron, Chromium, Node, V8 and its npm production dependency graph (``shell.py``).
Licences are SPDX expressions (``licenses.py``); every component names its supplier
(``suppliers.py``); the metadata names the SBOM's author, the app's manufacturer and
supplier, the tool with its version and the lifecycle phase ("build"): the NTIA minimum
elements and CISA's 2025 additions (hash, licence, tool, generation context).
Deterministic: bom-refs are purls, the serial number is a UUID derived from the content,
the timestamp is SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import HeaderParser
from pathlib import Path

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.model.license import DisjunctiveLicense
from cyclonedx.model.lifecycle import LifecyclePhase, PredefinedLifecycle
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from packaging.utils import canonicalize_name

from djdesk_bundle import __version__, contract
from djdesk_bundle.build.extract import interpreter_executable
from djdesk_bundle.build.requirements import required_name
from djdesk_bundle.pins import InterpreterPin
from djdesk_bundle.sbom.interpreter import interpreter_component, library_components
from djdesk_bundle.sbom.licenses import distribution_licence, licenses_of
from djdesk_bundle.sbom.schema import validate_sbom
from djdesk_bundle.sbom.shell import shell_part
from djdesk_bundle.sbom.suppliers import entity, npm_supplier, pypi_supplier

SERIAL_NAMESPACE = uuid.UUID("6f1c1e02-5d1b-4a53-9f5e-0a3c2b9d7e41")


@dataclass
class Distribution:
    name: str
    version: str
    license: str = ""
    requires: list[str] = field(default_factory=list)
    wheel_tags: set[str] = field(default_factory=set)
    supplier: OrganizationalEntity | None = None

    @property
    def purl(self) -> PackageURL:
        return PackageURL(type="pypi", name=canonicalize_name(self.name), version=self.version)


BUILT_FROM_SDIST = "djdesk:built-from-sdist"


def installed_distributions(
    site_packages: Path, environment: Mapping[str, str]
) -> list[Distribution]:
    """Every ``*.dist-info`` in site-packages, read from its METADATA and WHEEL files; what
    each requires is what its markers keep in the target's ``environment``."""
    found = []
    for info in sorted(site_packages.glob("*.dist-info")):
        meta = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        license_files = sorted(
            [*info.glob("licenses/**/*"), *info.glob("LICEN[CS]E*"), *info.glob("COPYING*")]
        )
        requires = _required_names(meta.get_all("Requires-Dist") or [], environment)
        wheel = info / "WHEEL"
        tags = set()
        if wheel.is_file():
            tags = set(
                HeaderParser().parsestr(wheel.read_text(encoding="utf-8")).get_all("Tag") or []
            )
        licence = distribution_licence(meta, [f for f in license_files if f.is_file()])
        found.append(
            Distribution(
                meta["Name"], meta["Version"], licence, requires, tags, pypi_supplier(meta)
            )
        )
    return found


def lock_wheel_hashes(lock_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """{(name, version): {wheel file name: sha256}} from a uv.lock."""
    if lock_path.name != "uv.lock":
        return {}
    data = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    hashes: dict[tuple[str, str], dict[str, str]] = {}
    for package in data.get("package", []):
        wheels = {}
        for wheel in package.get("wheels", []):
            filename = wheel.get("url", "").rsplit("/", 1)[-1]
            if wheel.get("hash", "").startswith("sha256:"):
                wheels[filename] = wheel["hash"].removeprefix("sha256:")
        hashes[(canonicalize_name(package["name"]), str(package.get("version", "")))] = wheels
    return hashes


def _wheel_tags(filename: str) -> set[str]:
    parts = filename.removesuffix(".whl").split("-")
    if len(parts) < 5:
        return set()
    pythons, abis, platforms = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    return {f"{p}-{a}-{pl}" for p in pythons for a in abis for pl in platforms}


def installed_wheel_sha256(dist: Distribution, lock: dict[tuple[str, str], dict[str, str]]) -> str:
    """The sha256 of the locked wheel whose tags match what was installed."""
    for filename, digest in sorted(
        lock.get((canonicalize_name(dist.name), dist.version), {}).items()
    ):
        if _wheel_tags(filename) & dist.wheel_tags:
            return digest
    return ""


def build_sbom(
    payload: Path,
    app_name: str,
    app_version: str,
    pin: InterpreterPin,
    lock_path: Path,
    app_dependencies: list[str],  # the app's [project] dependencies (requirements)
    package_lock: Path | None,
    source_date_epoch: int,
    validated_cache: Path | None = None,
    electron_versions: Path | None = None,
    built_from_sdist: tuple[str, ...] = (),
    *,
    interpreter_runs_here: bool,
) -> str:
    """Return the SBOM as CycloneDX 1.6 JSON text (validated; with ``validated_cache``, an
    SBOM whose exact text already passed is not validated again). The interpreter is asked
    for its libraries' versions only when it runs here (``Interpreter.runs_here``)."""
    bom = Bom()
    app = _describe_app(bom, app_name, app_version, source_date_epoch, package_lock)
    executable = interpreter_executable(payload, pin.is_windows)
    interpreter = _add_interpreter(bom, pin, executable if interpreter_runs_here else None)
    environment = pin.marker_environment()
    by_name = _add_distributions(bom, payload, lock_path, environment)
    for name in sorted({canonicalize_name(n) for n in built_from_sdist} & set(by_name)):
        # Not a wheel from the index: built here from its hash-pinned sdist (build-sdists).
        by_name[name].properties.add(Property(name=BUILT_FROM_SDIST, value="true"))
    direct = sorted(set(_required_names(app_dependencies, environment)) & set(by_name))
    shell = _add_shell(bom, package_lock, electron_versions)
    bom.register_dependency(
        app, [interpreter, *(by_name[d] for d in direct), *([shell] if shell else [])]
    )
    return _finish(bom, validated_cache)


def _app_publisher(name: str, package_lock: Path | None) -> OrganizationalEntity:
    """Who makes the app: the shell's ``package.json`` author, else the app's project."""
    if package_lock is not None:
        try:
            manifest = json.loads((package_lock.parent / "package.json").read_text("utf-8"))
        except (OSError, ValueError):
            manifest = None
        if isinstance(manifest, dict) and manifest.get("author"):
            return npm_supplier(manifest)
    return entity(f"the {name} project")


def _describe_app(
    bom: Bom, name: str, version: str, source_date_epoch: int, package_lock: Path | None
) -> Component:
    """The app as the SBOM's subject, made and supplied by its publisher, who is also the
    SBOM's author (djdesk-bundle, the tool, writes it for them at build time)."""
    publisher = _app_publisher(name, package_lock)
    app_purl = PackageURL(type="generic", name=name, version=version)
    app = Component(
        name=name,
        version=version,
        type=ComponentType.APPLICATION,
        purl=app_purl,
        bom_ref=str(app_purl),
        supplier=publisher,
        manufacturer=publisher,
    )
    bom.metadata.component = app
    bom.metadata.timestamp = datetime.fromtimestamp(source_date_epoch, tz=UTC)
    bom.metadata.supplier = publisher
    bom.metadata.manufacturer = publisher
    bom.metadata.authors.update(publisher.contacts or [OrganizationalContact(name=publisher.name)])
    bom.metadata.lifecycles.add(PredefinedLifecycle(LifecyclePhase.BUILD))
    tool_purl = PackageURL(type="pypi", name="djdesk-bundle", version=__version__)
    bom.metadata.tools.components.add(
        Component(
            name="djdesk-bundle",
            version=__version__,
            type=ComponentType.APPLICATION,
            bom_ref=str(tool_purl),
            purl=tool_purl,
            supplier=entity("DJDesk"),
        )
    )
    return app


def _add_interpreter(bom: Bom, pin: InterpreterPin, executable: Path | None) -> Component:
    """CPython (with its CPE) and the C libraries built into it (those ``executable``,
    when it runs here, reports too)."""
    interpreter = interpreter_component(
        pin,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=pin.sha256)],
        licenses=[DisjunctiveLicense(id="Python-2.0")],
        external_references=[
            ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(pin.url))
        ]
        if "://" in pin.url
        else [],
    )
    bom.components.add(interpreter)
    libraries = library_components(pin, executable)
    for library in libraries:
        bom.components.add(library)
    bom.register_dependency(interpreter, libraries)
    return interpreter


def _add_distributions(
    bom: Bom, payload: Path, lock_path: Path, environment: Mapping[str, str]
) -> dict[str, Component]:
    """Every installed distribution, hashed by the wheel the lock pinned, and their graph."""
    lock = lock_wheel_hashes(lock_path)
    dists = installed_distributions(payload / contract.SITE_PACKAGES_DIR, environment)
    by_name: dict[str, Component] = {}
    for dist in dists:
        digest = installed_wheel_sha256(dist, lock)
        component = Component(
            name=dist.name,
            version=dist.version,
            purl=dist.purl,
            bom_ref=str(dist.purl),
            licenses=licenses_of(dist.license or "NOASSERTION"),
            supplier=dist.supplier,
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest)] if digest else [],
        )
        bom.components.add(component)
        by_name[canonicalize_name(dist.name)] = component
    for dist in dists:
        targets = sorted({canonicalize_name(r) for r in dist.requires} & set(by_name))
        bom.register_dependency(
            by_name[canonicalize_name(dist.name)], [by_name[t] for t in targets]
        )
    return by_name


def _add_shell(
    bom: Bom, package_lock: Path | None, electron_versions: Path | None
) -> Component | None:
    """The Electron shell, Electron itself and the npm graph; the shell's component."""
    shell = shell_part(package_lock, electron_versions)
    by_ref = {str(c.bom_ref.value): c for c in shell.components}
    for component in shell.components:
        bom.components.add(component)
    if shell.shell is not None:
        bom.components.add(shell.shell)
        by_ref[str(shell.shell.bom_ref.value)] = shell.shell
    for ref, targets in shell.edges.items():
        bom.register_dependency(by_ref[ref], [by_ref[t] for t in targets])
    return shell.shell


def _finish(bom: Bom, validated_cache: Path | None) -> str:
    """A content-derived serial number (same inputs, same bytes), then validation."""
    bom.serial_number = uuid.UUID(int=0)
    draft = JsonV1Dot6(bom).output_as_string(indent=2)
    bom.serial_number = uuid.uuid5(SERIAL_NAMESPACE, draft)
    text = JsonV1Dot6(bom).output_as_string(indent=2) + "\n"
    marker = None
    if validated_cache is not None:
        marker = validated_cache / hashlib.sha256(text.encode()).hexdigest()
        if marker.is_file():
            return text
    validate_sbom(text)
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return text


def _required_names(requirements: Iterable[str], environment: Mapping[str, str]) -> list[str]:
    return [name for r in requirements if (name := required_name(r, environment))]
