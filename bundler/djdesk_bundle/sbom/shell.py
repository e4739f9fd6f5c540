"""The Electron shell's part of the SBOM: Electron (with its Chromium and Node), and the
npm production dependencies as the graph ``package-lock.json`` records.

The shell is a component of its own (``pkg:npm/<name>@<version>`` from its
``package.json``); it depends on Electron and on its direct production dependencies only,
and every npm package depends on what npm resolved for it (the lock's nested
``node_modules`` paths, looked up the way Node's resolver walks up them).

Electron's npm package is a development dependency (a downloader), yet Electron's
binary is the runtime electron-builder ships, so it is listed. Its Chromium and Node
versions are not in any file npm installs: they come from a table in
``djdesk_bundle/data/electron-versions.toml`` keyed by Electron's major.minor, refreshed by
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

ELECTRON_CPE = ("electronjs", "electron")
CHROMIUM_CPE = ("google", "chrome")
NODE_CPE = ("nodejs", "node.js")


@dataclass
class ShellPart:
    """Components to add, and edges: {bom-ref: [bom-refs it depends on]}."""

    shell: Component | None = None
    components: list[Component] = field(default_factory=list)
    edges: dict[str, list[str]] = field(default_factory=dict)


def _npm_purl(name: str, version: str) -> PackageURL:
    namespace, _, short = name.rpartition("/")
    return PackageURL(type="npm", namespace=namespace or None, name=short, version=version)


def _resolve(packages: dict[str, Any], from_key: str, name: str) -> str | None:
    """The lock key npm installed ``name`` at, as seen from the package at ``from_key``."""
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


def _npm_component(key: str, entry: dict[str, Any]) -> Component:
    name = key.rsplit("node_modules/", 1)[-1]
    version = str(entry.get("version", ""))
    purl = _npm_purl(name, version)
    hashes = []
    integrity = str(entry.get("integrity", ""))
    if integrity.startswith("sha512-"):
        digest = base64.b64decode(integrity.removeprefix("sha512-")).hex()
        hashes.append(HashType(alg=HashAlgorithm.SHA_512, content=digest))
    return Component(
        name=name,
        version=version,
        purl=purl,
        bom_ref=str(purl),
        hashes=hashes,
        licenses=licenses_of(str(entry.get("license", ""))),
    )


def npm_graph(packages: dict[str, Any]) -> tuple[dict[str, Component], dict[str, list[str]]]:
    """Production npm components by bom-ref, and the edges between them (plus ``""``: the
    shell's own direct production dependencies)."""
    components: dict[str, Component] = {}
    ref_of: dict[str, str] = {}
    for key, entry in sorted(packages.items()):
        if key.startswith("node_modules/") and _production(entry):
            component = _npm_component(key, entry)
            ref_of[key] = str(component.bom_ref.value)
            components.setdefault(ref_of[key], component)  # one package at two paths: one
    edges: dict[str, set[str]] = {}
    for key in ["", *ref_of]:
        entry = packages.get(key, {})
        targets = edges.setdefault(ref_of.get(key, ""), set())
        for name in _dependency_names(entry):
            resolved = _resolve(packages, key, name)
            if resolved in ref_of:
                targets.add(ref_of[resolved])
    return components, {ref: sorted(targets) for ref, targets in edges.items()}


def electron_versions(table: Path | None, electron: str) -> dict[str, str]:
    """{"chromium": …, "node": …} for this Electron release ({} when the table lacks it)."""
    if table is None or not table.is_file():
        return {}
    data = tomllib.loads(table.read_text(encoding="utf-8")).get("electron", {})
    major_minor = ".".join(electron.split(".")[:2])
    row = data.get(major_minor, {})
    return {k: str(row[k]) for k in ("chromium", "node", "v8") if row.get(k)}


def _runtime(name: str, version: str, cpe_parts: tuple[str, str], purl: PackageURL) -> Component:
    return Component(
        name=name,
        version=version,
        type=ComponentType.FRAMEWORK,
        purl=purl,
        bom_ref=str(purl),
        cpe=cpe(*cpe_parts, version),
    )


def electron_components(version: str, table: Path | None) -> tuple[Component, list[Component]]:
    """Electron, and the Chromium and Node built into it (when the table knows them)."""
    stack = electron_versions(table, version)
    electron = _runtime("electron", version, ELECTRON_CPE, _npm_purl("electron", version))
    if not stack:
        electron.properties.add(
            Property(
                name="djdesk:chromium-node-versions",
                value="unknown: not in djdesk_bundle/data/electron-versions.toml "
                "(run scripts/refresh_electron_versions.py)",
            )
        )
    inside = []
    if "chromium" in stack:
        purl = PackageURL(type="generic", name="chromium", version=stack["chromium"])
        inside.append(_runtime("chromium", stack["chromium"], CHROMIUM_CPE, purl))
    if "node" in stack:
        purl = PackageURL(type="generic", name="node", version=stack["node"])
        inside.append(_runtime("node", stack["node"], NODE_CPE, purl))
    return electron, inside


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
    shell_purl = _npm_purl(name, version)
    shell = Component(
        name=name,
        version=version,
        type=ComponentType.APPLICATION,
        purl=shell_purl,
        bom_ref=str(shell_purl),
        description="the Electron desktop shell",
        licenses=licenses_of(str(root.get("license", ""))),
    )
    components, edges = npm_graph(packages)
    part = ShellPart(shell=shell, components=list(components.values()))
    direct = edges.pop("", [])
    electron_entry = packages.get("node_modules/electron")
    if electron_entry:
        electron, inside = electron_components(str(electron_entry["version"]), versions_table)
        part.components = [c for c in part.components if c.bom_ref != electron.bom_ref]
        part.components += [electron, *inside]
        part.edges[str(electron.bom_ref.value)] = [str(c.bom_ref.value) for c in inside]
        direct = [str(electron.bom_ref.value), *direct]
    part.edges[str(shell.bom_ref.value)] = direct
    part.edges.update(edges)
    return part
