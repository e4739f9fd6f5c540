"""The pinned interpreter manifest (``djdesk_bundle/data/python-build-standalone.toml``).

Pins are data: a release, a CPython version and, per target triple, a URL, a sha256 and
a variant. A pin without a sha256 is an error, never "skip the check". Optional
``[libraries]`` (for every target) and ``[targets.<triple>.libraries]`` tables give the
versions of the C libraries built into the interpreter (``openssl = "3.0.18"``), for the
SBOM when the interpreter cannot run on the build host to report them itself.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from djdesk_bundle.errors import ConfigError

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")

# The pins this version of djdesk-bundle ships with: package data, so an installed tool
# builds any project without a path into this repository.
DEFAULT_MANIFEST = Path(__file__).resolve().parent / "data" / "python-build-standalone.toml"


@dataclass(frozen=True)
class InterpreterPin:
    triple: str
    url: str  # absolute upstream URL, or a file name relative to a mirror
    sha256: str
    variant: str
    python_version: str
    release: str
    libraries: tuple[tuple[str, str], ...] = ()  # (name, version) of bundled C libraries

    @property
    def filename(self) -> str:
        return PurePosixPath(urlsplit(self.url).path).name

    @property
    def python_minor(self) -> str:
        return ".".join(self.python_version.split(".")[:2])

    @property
    def is_windows(self) -> bool:
        return "windows" in self.triple

    def download_url(self, mirror: str | None) -> str:
        """The mirror, when given, replaces everything but the file name (like uv's)."""
        if mirror:
            return mirror.rstrip("/") + "/" + self.filename
        if not urlsplit(self.url).scheme:
            raise ConfigError(
                f"the manifest gives a relative URL for {self.triple} ({self.url}): "
                "pass --python-mirror (or DJDESK_BUNDLE_PYTHON_MIRROR) to say where it lives"
            )
        return self.url


@dataclass(frozen=True)
class Manifest:
    path: Path
    release: str
    python_version: str
    pins: dict[str, InterpreterPin]

    def pin_for(self, triple: str) -> InterpreterPin:
        try:
            return self.pins[triple]
        except KeyError:
            known = ", ".join(sorted(self.pins)) or "none"
            raise ConfigError(
                f"{self.path}: no interpreter pinned for target {triple!r} (pinned: {known})"
            ) from None


def load_manifest(path: Path) -> Manifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"interpreter manifest not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"interpreter manifest {path} is not UTF-8 text (a TOML file)") from None
    except OSError as exc:
        raise ConfigError(f"interpreter manifest {path}: {exc.strerror or exc}") from None
    release = str(data.get("release", ""))
    version = str(data.get("python-version", ""))
    if not release or not version:
        raise ConfigError(f"{path}: 'release' and 'python-version' are required")
    default_variant = str(data.get("variant", "install_only"))
    shared_libraries = _libraries(data.get("libraries", {}), f"{path}: [libraries]")
    targets = data.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise ConfigError(f"{path}: no [targets.<triple>] tables")
    pins = {}
    for triple, entry in sorted(targets.items()):
        where = f"{path}: [targets.{triple}]"
        url, sha256 = entry.get("url", ""), str(entry.get("sha256", "")).lower()
        if not url:
            raise ConfigError(f"{where} has no url")
        if not SHA256_PATTERN.match(sha256):
            raise ConfigError(f"{where} needs a sha256 of 64 hex digits (got {sha256!r})")
        pins[triple] = InterpreterPin(
            triple=triple,
            url=url,
            sha256=sha256,
            variant=str(entry.get("variant", default_variant)),
            python_version=version,
            release=release,
            libraries=tuple(
                sorted(
                    (
                        shared_libraries
                        | _libraries(entry.get("libraries", {}), f"{where}.libraries")
                    ).items()
                )
            ),
        )
    return Manifest(path=path, release=release, python_version=version, pins=pins)


def _libraries(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) and v for v in table.values()):
        raise ConfigError(f"{where} must map library names to version strings")
    return {str(k): v for k, v in table.items()}
