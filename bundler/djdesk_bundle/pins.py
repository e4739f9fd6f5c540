"""The pins (``manifests/`` at the top of the repository) and the interpreter manifest
(``manifests/python-build-standalone.toml``).

Pins are data: a release, a CPython version and, per target triple, a URL, a sha256 and
a variant. A pin without a sha256 is an error, never "skip the check". The native
libraries of each python-build-standalone release are a table of their own
(``manifests/python-build-standalone-libraries.toml``, read by ``sbom/interpreter.py``);
optional ``[libraries]`` (for every target) and ``[targets.<triple>.libraries]`` tables
here add to it (a mirror's own build), and ``host-libraries = true`` marks a local
interpreter that links the host's libraries. ``pin_age_warning`` says when a release is
older than ``MAX_PIN_AGE_DAYS``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from djdesk_bundle.errors import ConfigError

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")

PACKAGE = Path(__file__).resolve().parent


def manifest_file(name: str) -> Path:
    """A file of ``manifests/``: the package's copy when installed (the build hook,
    ``bundler/hatch_build.py``, puts it there), else the checkout's (an editable install)."""
    packaged = PACKAGE / "manifests" / name
    return packaged if packaged.is_file() else PACKAGE.parents[1] / "manifests" / name


# The pins this version of djdesk-bundle ships with: packaged, so an installed tool
# builds any project without a path into this repository.
DEFAULT_MANIFEST = manifest_file("python-build-standalone.toml")


@dataclass(frozen=True)
class InterpreterPin:
    triple: str
    url: str  # absolute upstream URL, or a file name relative to a mirror
    sha256: str
    variant: str
    python_version: str
    release: str
    libraries: tuple[tuple[str, str], ...] = ()  # (name, version) of bundled C libraries
    # A local interpreter (scripts/make_local_interpreter.py) links the host's libraries.
    host_libraries: bool = False

    @property
    def filename(self) -> str:
        return PurePosixPath(urlsplit(self.url).path).name

    @property
    def python_minor(self) -> str:
        return ".".join(self.python_version.split(".")[:2])

    @property
    def is_windows(self) -> bool:
        return "windows" in self.triple

    def marker_environment(self) -> dict[str, str]:
        """The PEP 508 marker values of this target (not of the host that builds it)."""
        arch = self.triple.split("-", 1)[0]
        if self.is_windows:
            machine = {"x86_64": "AMD64", "aarch64": "ARM64"}.get(arch, arch)
            system = ("win32", "Windows", "nt")
        elif "darwin" in self.triple:
            machine = {"aarch64": "arm64"}.get(arch, arch)
            system = ("darwin", "Darwin", "posix")
        else:
            machine, system = arch, ("linux", "Linux", "posix")
        sys_platform, platform_system, os_name = system
        return {
            "python_version": self.python_minor,
            "python_full_version": self.python_version,
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "platform_machine": machine,
            "sys_platform": sys_platform,
            "platform_system": platform_system,
            "os_name": os_name,
        }

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
            host_libraries=data.get("host-libraries") is True,
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


# A python-build-standalone release older than this carries months of CPython, OpenSSL and
# SQLite fixes that a newer one has: `scripts/refresh_interpreter_pins.py --check-age`
# (CI) warns, and a refresh (the same script with --metadata) moves the pins.
MAX_PIN_AGE_DAYS = 120


def release_date(release: str) -> date | None:
    """python-build-standalone names its releases by date (``20260814``)."""
    try:
        return datetime.strptime(release, "%Y%m%d").date()
    except ValueError:
        return None  # a local or custom release: no age to tell


def pin_age_warning(manifest: Manifest, today: date, max_days: int = MAX_PIN_AGE_DAYS) -> str:
    """What to say when the pinned release is older than ``max_days`` ("" when it is not)."""
    released = release_date(manifest.release)
    if released is None or (today - released).days <= max_days:
        return ""
    return (
        f"{manifest.path.name}: python-build-standalone {manifest.release} (CPython "
        f"{manifest.python_version}) is {(today - released).days} days old, more than "
        f"{max_days}: run scripts/refresh_interpreter_pins.py --metadata download-metadata.json"
    )
