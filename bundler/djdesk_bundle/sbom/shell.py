"""The Electron shell's part of the SBOM: Electron (with its Chromium, Node and V8), and
the npm production dependencies as the graph ``package-lock.json`` records.

The shell is a component of its own (name and version from its lock). It is the
project's own code, not a package of the public registry (its ``package.json`` says
``private``), so it carries no ``pkg:npm`` purl, which scanners would match against the
registry's package of that name; its bom-ref says what it is and a property says why.
It depends on Electron and on its direct production dependencies only, and every npm
package depends on what npm resolved for it (the lock's nested ``node_modules`` paths,
looked up the way Node's resolver walks up them). Suppliers come from each installed
package's ``package.json`` (``author``, ``maintainers``), else the registry.

Electron's npm package is a development dependency (a downloader), yet Electron's
binary is the runtime electron-builder ships, so it is listed. Its Chromium, Node and V8
versions are not in any file npm installs: they come from ``manifests/electron-versions.toml``
(keyed by the exact version, else the release line), refreshed by
``scripts/refresh_electron_versions.py`` (which asks the Electron binary itself).
"""

from __future__ import annotations

import base64
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.component import Component, ComponentType
from packageurl import PackageURL

from djdesk_bundle.sbom.interpreter import cpe
from djdesk_bundle.sbom.licenses import licenses_of
from djdesk_bundle.sbom.suppliers import OPENJS, entity, npm_supplier

ELECTRON_CPE = ("electronjs", "electron")
# (name, CPE vendor and product, upstream licence) of what Electron's binary contains.
INSIDE_ELECTRON = {
    "chromium": (("google", "chrome"), "BSD-3-Clause"),
    "node": (("nodejs", "node.js"), "MIT"),
    "v8": (("google", "v8"), "BSD-3-Clause"),
}
STACK_UNKNOWN = "djdesk:electron-stack-unknown"
PRIVATE = "djdesk:not-in-registry"


@dataclass
class ShellPart:
    """Components to add, and edges: {bom-ref: [bom-refs it depends on]}."""

    shell: Component | None = None
    components: list[Component] = field(default_factory=list)
    edges: dict[str, list[str]] = field(default_factory=dict)


def _npm_purl(name: str, version: str) -> PackageURL:
    namespace, _, short = name.rpartition("/")
    return PackageURL(type="npm", namespace=namespace or None, name=short, version=version)


def resolve_in_lock(packages: dict[str, Any], from_key: str, name: str) -> str | None:
    """The lock key npm installed ``name`` at, as seen from the package at ``from_key``:
    its own node_modules, then each enclosing one up to the root's (how Node finds it)."""
    base = from_key
    while True:
        candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
        if candidate in packages:
            return candidate
        if not base:
            return None
        cut = base.rfind("/node_modules/")
        base = base[:cut] if cut >= 0 else ""


def _production(entry: dict[str, Any]) -> bool:
    return not (entry.get("dev") or entry.get("devOptional") or entry.get("link"))


def _dependency_names(entry: dict[str, Any]) -> list[str]:
    names = set(entry.get("dependencies", {})) | set(entry.get("optionalDependencies", {}))
    return sorted(names | set(entry.get("peerDependencies", {})))


def _integrity(entry: dict[str, Any]) -> list[HashType]:
    """The package tarball's sha512, as the lock's ``integrity`` records it."""
    integrity = str(entry.get("integrity", ""))
    if not integrity.startswith("sha512-"):
        return []
    digest = base64.b64decode(integrity.removeprefix("sha512-")).hex()
    return [HashType(alg=HashAlgorithm.SHA_512, content=digest)]


def _installed_package_json(root: Path | None, key: str) -> dict[str, Any] | None:
    """The installed package's own ``package.json`` (what the lock does not record)."""
    if root is None:
        return None
    try:
        data = json.loads((root / key / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _npm_component(key: str, entry: dict[str, Any], root: Path | None = None) -> Component:
    name = key.rsplit("node_modules/", 1)[-1]
    version = str(entry.get("version", ""))
    purl = _npm_purl(name, version)
    return Component(
        name=name,
        version=version,
        purl=purl,
        bom_ref=str(purl),
        hashes=_integrity(entry),
        licenses=licenses_of(str(entry.get("license", "")) or "NOASSERTION"),
        supplier=npm_supplier(_installed_package_json(root, key)),
    )


def npm_graph(
    packages: dict[str, Any], root: Path | None = None
) -> tuple[dict[str, Component], dict[str, list[str]]]:
    """Production npm components by bom-ref, and the edges between them (plus ``""``: the
    shell's own direct production dependencies)."""
    components: dict[str, Component] = {}
    ref_of: dict[str, str] = {}
    for key, entry in sorted(packages.items()):
        if key.startswith("node_modules/") and _production(entry):
            component = _npm_component(key, entry, root)
            ref_of[key] = str(component.bom_ref.value)
            components.setdefault(ref_of[key], component)  # one package at two paths: one
    edges: dict[str, set[str]] = {}
    for key in ["", *ref_of]:
        entry = packages.get(key, {})
        targets = edges.setdefault(ref_of.get(key, ""), set())
        for name in _dependency_names(entry):
            resolved = resolve_in_lock(packages, key, name)
            if resolved in ref_of:
                targets.add(ref_of[resolved])
    return components, {ref: sorted(targets) for ref, targets in edges.items()}


def electron_versions(table: Path | None, electron: str) -> dict[str, str]:
    """{"chromium": …, "node": …, "v8": …} for this Electron release, as far as the table
    knows them: the row of the exact version, else of its major.minor line."""
    if table is None or not table.is_file():
        return {}
    data = tomllib.loads(table.read_text(encoding="utf-8")).get("electron", {})
    major_minor = ".".join(electron.split(".")[:2])
    row = data.get(electron) or data.get(major_minor) or {}
    return {k: str(row[k]) for k in INSIDE_ELECTRON if row.get(k)}


def _runtime(name: str, version: str, cpe_parts: tuple[str, str], purl: PackageURL) -> Component:
    return Component(
        name=name,
        version=version,
        type=ComponentType.FRAMEWORK,
        purl=purl,
        bom_ref=str(purl),
        cpe=cpe(*cpe_parts, version),
        supplier=entity(*OPENJS),
    )


def electron_components(version: str, table: Path | None) -> tuple[Component, list[Component]]:
    """Electron, and the Chromium, Node and V8 built into it (those the table knows)."""
    stack = electron_versions(table, version)
    electron = _runtime("electron", version, ELECTRON_CPE, _npm_purl("electron", version))
    electron.licenses.update(licenses_of("MIT"))
    missing = sorted(set(INSIDE_ELECTRON) - set(stack))
    if missing:
        electron.properties.add(
            Property(
                name=STACK_UNKNOWN,
                value=f"{', '.join(missing)}: not in manifests/electron-versions.toml "
                "(run scripts/refresh_electron_versions.py)",
            )
        )
    inside = []
    for name, ((vendor, product), licence) in INSIDE_ELECTRON.items():
        if name in stack:
            purl = PackageURL(type="generic", name=name, version=stack[name])
            component = _runtime(name, stack[name], (vendor, product), purl)
            component.licenses.update(licenses_of(licence))
            component.description = f"built into Electron {version}"
            inside.append(component)
    return electron, inside


def _shell_component(
    package_lock: Path, name: str, version: str, root: dict[str, Any]
) -> Component:
    """The shell: the project's own, never a registry package (no ``pkg:npm`` purl)."""
    manifest = _installed_package_json(package_lock.parent, "") or {}
    licence = str(root.get("license") or manifest.get("license") or "NOASSERTION")
    supplier = npm_supplier(manifest) if manifest.get("author") else entity(f"the {name} project")
    shell = Component(
        name=name,
        version=version,
        type=ComponentType.APPLICATION,
        bom_ref=f"djdesk-shell:{name}@{version}",
        description="the Electron desktop shell",
        licenses=licenses_of(licence),
        supplier=supplier,
    )
    shell.properties.add(
        Property(name=PRIVATE, value="the project's own shell, not published to the npm registry")
    )
    return shell


def shell_part(package_lock: Path | None, versions_table: Path | None) -> ShellPart:
    """Everything the shell adds, or nothing when there is no ``package-lock.json``."""
    if package_lock is None or not package_lock.is_file():
        return ShellPart()
    lock = json.loads(package_lock.read_text(encoding="utf-8"))
    packages: dict[str, Any] = lock.get("packages", {})
    root = packages.get("", {})
    name, version = (
        str(root.get("name") or lock.get("name", "shell")),
        str(root.get("version") or lock.get("version", "0")),
    )
    shell = _shell_component(package_lock, name, version, root)
    components, edges = npm_graph(packages, package_lock.parent)
    part = ShellPart(shell=shell, components=list(components.values()))
    direct = edges.pop("", [])
    electron_entry = packages.get("node_modules/electron")
    if electron_entry:
        electron, inside = electron_components(str(electron_entry["version"]), versions_table)
        electron.hashes.update(_integrity(electron_entry))  # the npm package's tarball
        part.components = [c for c in part.components if c.bom_ref != electron.bom_ref]
        part.components += [electron, *inside]
        part.edges[str(electron.bom_ref.value)] = [str(c.bom_ref.value) for c in inside]
        direct = [str(electron.bom_ref.value), *direct]
    part.edges[str(shell.bom_ref.value)] = direct
    part.edges.update(edges)
    return part
