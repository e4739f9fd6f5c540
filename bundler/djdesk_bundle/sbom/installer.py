"""``djdesk-bundle installer-sbom``: the SBOM of an installer (AppImage, dmg, NSIS exe …).

The installer is the root component (its file name, the app's version, its sha256). What
it contains is the payload SBOM's content: the app with the interpreter and its
libraries, the Python distributions, and the shell with Electron, Chromium, Node and the
npm graph. The payload's own SBOM is read, not rebuilt, so both describe the same
components with the same bom-refs; the payload archive itself is not inside an
installer (electron-builder ships the unpacked ``django-bundle/``), so it is not listed.
The release workflow attests the result (``actions/attest-sbom``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError, SbomInvalid
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.sbom.document import SERIAL_NAMESPACE
from djdesk_bundle.sbom.read import Sbom, read_sbom
from djdesk_bundle.sbom.schema import validate_sbom


def _payload_sbom(payload: Path) -> Sbom:
    path = payload / contract.SBOM if payload.is_dir() else payload
    if not path.is_file():
        raise ConfigError(f"{path}: no payload SBOM (build the payload first)")
    sbom = read_sbom(path)
    metadata = sbom.document.get("metadata")
    app = metadata.get("component") if isinstance(metadata, dict) else None
    if not (sbom.is_cyclonedx and isinstance(app, dict) and "bom-ref" in app):
        raise SbomInvalid(f"{path}: not a CycloneDX SBOM that names its app (metadata.component)")
    return sbom


def installer_sbom(payload: Path, installer: Path) -> str:
    """The installer's SBOM as CycloneDX 1.6 JSON text (validated)."""
    if not installer.is_file():
        raise ConfigError(f"{installer}: no such installer file")
    inner = _payload_sbom(payload).document
    app = inner["metadata"]["component"]
    root_ref = f"installer:{installer.name}"
    root = {
        "type": "application",
        "bom-ref": root_ref,
        "name": installer.name,
        "version": app.get("version", ""),
        "description": f"installer of {app.get('name')} {app.get('version', '')}".strip(),
        "hashes": [{"alg": "SHA-256", "content": file_sha256(installer)}],
        # Made and supplied by whoever makes the app (the payload SBOM says who).
        **{key: app[key] for key in ("supplier", "manufacturer") if key in app},
    }
    components = [app, *inner.get("components", [])]
    dependencies = [
        {"ref": root_ref, "dependsOn": [app["bom-ref"]]},
        *inner.get("dependencies", []),
    ]
    bom: dict[str, Any] = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "",
        "version": 1,
        "metadata": {**inner["metadata"], "component": root},
        "components": components,
        "dependencies": dependencies,
    }
    # Same installer and payload, same bytes: the serial number comes from the content.
    bom["serialNumber"] = f"urn:uuid:{uuid.UUID(int=0)}"
    draft = json.dumps(bom, indent=2, sort_keys=True)
    bom["serialNumber"] = f"urn:uuid:{uuid.uuid5(SERIAL_NAMESPACE, draft)}"
    text = json.dumps(bom, indent=2, sort_keys=True) + "\n"
    validate_sbom(text)
    return text


def write_installer_sbom(payload: Path, installer: Path, output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, installer_sbom(payload, installer))
    return output
