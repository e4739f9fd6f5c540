"""Check the tool's own sdist and wheel before they are published (what ``twine check``
looks at, and what this tool needs): one of each, the same name and version, complete
core metadata, the console script, the wheel's RECORD hashes, and the Electron shell
inside both (every entry of ``djdesk_bundle/data/shell-files.txt``, read from the wheel).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

NAME = "djdesk-bundle"
SHELL = "djdesk_bundle/shell"
LISTING = "djdesk_bundle/data/shell-files.txt"
REQUIRED_FIELDS = ("Metadata-Version", "Name", "Version", "Summary", "Requires-Python")


def metadata_problems(metadata: Message, where: str) -> list[str]:
    problems = [f"{where}: no {field}" for field in REQUIRED_FIELDS if not metadata.get(field)]
    if metadata.get("Name", "").replace("_", "-").lower() != NAME:
        problems.append(f"{where}: Name is {metadata.get('Name')!r}, not {NAME}")
    if not metadata.get_all("Requires-Dist"):
        problems.append(f"{where}: no Requires-Dist (the tool's dependencies)")
    return problems


def shell_entries(listing: str) -> list[str]:
    return [line.strip() for line in listing.splitlines() if line.strip() and line[0] != "#"]


def missing_shell(names: set[str], prefix: str, listing: str) -> list[str]:
    shell = f"{prefix}{SHELL}/"
    return [
        entry
        for entry in shell_entries(listing)
        if f"{shell}{entry}" not in names
        and not any(n.startswith(f"{shell}{entry}/") for n in names)
    ]


def record_problems(archive: zipfile.ZipFile, record_name: str) -> list[str]:
    problems = []
    names = set(archive.namelist())
    rows = csv.reader(io.StringIO(archive.read(record_name).decode("utf-8")))
    for path, digest, _size in rows:
        if not digest:
            continue  # RECORD itself
        if path not in names:
            problems.append(f"wheel: {path} is in RECORD but not in the wheel")
            continue
        algorithm, _, expected = digest.partition("=")
        actual = base64.urlsafe_b64encode(hashlib.new(algorithm, archive.read(path)).digest())
        if actual.rstrip(b"=").decode() != expected:
            problems.append(f"wheel: {path} does not match its RECORD hash")
    return problems


def check_wheel(wheel: Path) -> tuple[Message, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (info,) = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode("utf-8"))
        problems = metadata_problems(metadata, "wheel")
        scripts = (
            archive.read(f"{info}/entry_points.txt").decode()
            if f"{info}/entry_points.txt" in names
            else ""
        )
        if "djdesk-bundle = djdesk_bundle.cli:main" not in scripts:
            problems.append("wheel: no djdesk-bundle console script")
        if LISTING not in names:
            return metadata, [*problems, f"wheel: no {LISTING}"]
        listing = archive.read(LISTING).decode("utf-8")
        problems += [
            f"wheel: the shell's {e} is missing" for e in missing_shell(names, "", listing)
        ]
        problems += record_problems(archive, f"{info}/RECORD")
    return metadata, problems


def check_sdist(sdist: Path, listing: str) -> tuple[Message, list[str]]:
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
        (root,) = {n.split("/", 1)[0] for n in names}
        member = archive.extractfile(f"{root}/PKG-INFO")
        if member is None:
            return Message(), ["sdist: no PKG-INFO"]
        metadata = Parser().parsestr(member.read().decode("utf-8"))
    problems = metadata_problems(metadata, "sdist")
    problems += [
        f"sdist: the shell's {e} is missing" for e in missing_shell(names, f"{root}/", listing)
    ]
    return metadata, problems


def check_dists(directory: Path) -> list[str]:
    wheels, sdists = sorted(directory.glob("*.whl")), sorted(directory.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"{directory}: expected one wheel and one sdist, found {wheels + sdists}"]
    wheel_metadata, problems = check_wheel(wheels[0])
    with zipfile.ZipFile(wheels[0]) as archive:
        listing = archive.read(LISTING).decode("utf-8") if LISTING in archive.namelist() else ""
    sdist_metadata, more = check_sdist(sdists[0], listing)
    problems += more
    if wheel_metadata.get("Version") != sdist_metadata.get("Version"):
        problems.append("the wheel and the sdist have different versions")
    return problems
