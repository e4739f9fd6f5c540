"""An SBOM made before from the same inputs is used again.

A rebuild after an app change ships the same interpreter, distributions, lock and shell,
so its SBOM is the same text: making it again would import cyclonedx, parse the lock and
probe the interpreter for nothing. What the SBOM is made from, and so the key it is
stored under, is the interpreter tree, every ``*.dist-info`` folder in site-packages, the
pin, the lock, the shell's package-lock, the Electron versions and the native-library
tables (manifests/), the app's name, version,
dependencies and SOURCE_DATE_EPOCH, the host (the interpreter is probed when it runs
here), and the code that writes it (the bundler's SBOM modules, cyclonedx-python-lib).

Like the stage cache, the store is checked, not trusted: a stored SBOM is used only when
its exact text passed validation when it was made (its digest is among the validated
ones); an edited or damaged entry is made again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from djdesk_bundle import __version__, contract
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.cache.store import Store
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.fs.tree import tree_digest
from djdesk_bundle.pins import InterpreterPin, manifest_file

SBOM_PACKAGE = Path(__file__).resolve().parent
ELECTRON_VERSIONS = manifest_file("electron-versions.toml")
LIBRARY_TABLE = manifest_file("python-build-standalone-libraries.toml")


def sbom_code() -> list[Path]:
    """Every module of this package: a new part of the SBOM changes the key by being here."""
    return sorted(SBOM_PACKAGE.glob("*.py"))


@dataclasses.dataclass(frozen=True)
class SbomInputs:
    payload: Path
    app_name: str
    app_version: str
    pin: InterpreterPin
    lock_path: Path
    app_dependencies: tuple[str, ...]
    package_lock: Path | None
    source_date_epoch: int
    electron_versions: Path | None
    host_triple: str  # the toolchain's: the interpreter is probed when it runs here
    library_table: Path = LIBRARY_TABLE  # what sbom/interpreter.py reads
    built_from_sdist: tuple[str, ...] = ()  # build-sdists: installed from a wheel built here
    # Interpreter.runs_here: a function of the pin's and the host's triples (both keyed).
    interpreter_runs_here: bool = False


def npm_manifests(package_lock: Path | None) -> list[Path]:
    """The ``package.json`` files the SBOM reads suppliers from: the shell's own and each
    installed production package's (the lock records neither author nor maintainers)."""
    if package_lock is None or not package_lock.is_file():
        return []
    try:
        packages = json.loads(package_lock.read_text(encoding="utf-8")).get("packages", {})
    except (OSError, ValueError, AttributeError):
        return []
    keys = [k for k, e in packages.items() if isinstance(e, dict) and not e.get("dev")]
    return [package_lock.parent / key / "package.json" for key in sorted(keys)]


def sbom_key(inputs: SbomInputs, digests: Digests | None = None) -> str:
    import cyclonedx  # the package's __init__ only: cheap, unlike its models

    digest = hashlib.sha256()

    def add(label: str, value: str) -> None:
        digest.update(f"{label}\0{value}\0".encode("utf-8", "surrogateescape"))

    add("tools", f"{__version__} {cyclonedx.__version__} {inputs.host_triple}")
    add("pin", json.dumps(dataclasses.asdict(inputs.pin), sort_keys=True))
    app = [inputs.app_name, inputs.app_version, inputs.source_date_epoch]
    add("app", json.dumps([*app, sorted(inputs.app_dependencies)]))
    add("built from sdist", json.dumps(sorted(inputs.built_from_sdist)))
    sha256 = digests.file_sha256 if digests is not None else file_sha256
    files = [("lock", inputs.lock_path), ("npm", inputs.package_lock)]
    files += [("electron", inputs.electron_versions), ("libraries", inputs.library_table)]
    files += [(f"code {path.name}", path) for path in sbom_code()]
    files += [(f"npm {path.parent.name}", path) for path in npm_manifests(inputs.package_lock)]
    for label, path in files:
        add(label, sha256(path) if path is not None and path.is_file() else "-")
    add("python", tree_digest(inputs.payload / contract.PYTHON_DIR, digests))
    for info in sorted((inputs.payload / contract.SITE_PACKAGES_DIR).glob("*.dist-info")):
        add(info.name, tree_digest(info, digests))
    return digest.hexdigest()


def stored_sbom(store: Path, validated: Path, key: str) -> str | None:
    """The SBOM stored under ``key``, if its bytes are intact and its text is one that
    passed validation."""
    text = Store(store).get_text(f"{key}.cdx.json")
    if text is None or not (validated / hashlib.sha256(text.encode()).hexdigest()).is_file():
        return None
    return text


def store_sbom(store: Path, key: str, text: str) -> None:
    Store(store).put_text(f"{key}.cdx.json", text)
