"""The one reader of a CycloneDX SBOM: the payload's (``verify``, ``diff``, the build
report, ``installer-sbom``) and any a user hands ``audit``.

An SBOM read is untrusted input: it is read to at most ``MAX_SBOM_BYTES``, parsed as JSON
(a document nested past the parser's depth is refused, not a crash), and its shape is
checked before anyone looks inside: an object whose ``components``, and theirs, are lists
of objects no deeper than ``MAX_DEPTH``, each one's name, version, purl and type strings.
Anything else is one line of ``SbomInvalid``, which names where it was read and the path
inside the document. Whether the document also says it is CycloneDX (``bomFormat``) is
the caller's to ask (``Sbom.is_cyclonedx``): ``audit`` and ``installer-sbom`` require it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from djdesk_bundle.errors import SbomInvalid

MAX_SBOM_BYTES = 64 * 1024 * 1024  # a payload's SBOM is well under 1 MiB
CHUNK = 1 << 20
MAX_DEPTH = 32  # components nested deeper than this are not an SBOM a build writes
FIELDS = ("name", "version", "purl", "type")  # read by every command: strings when present


@dataclass(frozen=True)
class Sbom:
    document: dict[str, Any]  # the whole object, as parsed
    components: tuple[dict[str, Any], ...]  # the top-level components
    every_component: tuple[dict[str, Any], ...]  # all of them, nested ones after their parent

    @property
    def is_cyclonedx(self) -> bool:
        return self.document.get("bomFormat") == "CycloneDX"


def read_sbom(path: Path, where: str | None = None) -> Sbom:
    """The SBOM in ``path`` (``where`` names it in errors: the path by default)."""
    where = where or str(path)
    chunks, size = [], 0
    try:
        with path.open("rb") as handle:  # in chunks: read(MAX) would allocate MAX at once
            while size <= MAX_SBOM_BYTES and (chunk := handle.read(CHUNK)):
                chunks.append(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise SbomInvalid(f"{where}: no such SBOM") from None
    except OSError as exc:
        raise SbomInvalid(f"{where}: cannot read the SBOM ({exc.strerror})") from None
    return parse_sbom(b"".join(chunks), where)


def parse_sbom(data: bytes | str, where: str) -> Sbom:
    if len(data) > MAX_SBOM_BYTES:
        raise SbomInvalid(f"{where}: larger than {MAX_SBOM_BYTES >> 20} MiB: not an SBOM")
    try:
        document = json.loads(data)
    except RecursionError:
        raise SbomInvalid(f"{where}: not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise SbomInvalid(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise SbomInvalid(f"{where}: not a CycloneDX SBOM (it is a {kind}, not an object)")
    top = _list_of_objects(document.get("components", []), f"{where}: components")
    every = tuple(_walk(top, f"{where}: components"))
    return Sbom(document, tuple(top), every)


def _list_of_objects(value: object, at: str) -> list[dict[str, Any]]:
    rule = "components must be a list of objects"
    if not isinstance(value, list):
        raise SbomInvalid(f"{at}: expected list, got {type(value).__name__} ({rule})")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise SbomInvalid(f"{at}[{index}]: expected dict, got {type(item).__name__} ({rule})")
    return value


def _walk(top: list[dict[str, Any]], at: str) -> Iterator[dict[str, Any]]:
    """Every component, each before those nested in it (a stack: the depth is input)."""
    stack = [(f"{at}[{i}]", component, 0) for i, component in enumerate(top)][::-1]
    while stack:
        where, component, depth = stack.pop()
        for key in FIELDS:
            if key in component and not isinstance(component[key], str):
                kind = type(component[key]).__name__
                raise SbomInvalid(f"{where}.{key}: expected str, got {kind}")
        yield component
        if "components" not in component:
            continue
        if depth >= MAX_DEPTH:
            raise SbomInvalid(f"{where}: nests components over {MAX_DEPTH} deep")
        nested = _list_of_objects(component["components"], f"{where}.components")
        stack += [(f"{where}.components[{i}]", c, depth + 1) for i, c in enumerate(nested)][::-1]
