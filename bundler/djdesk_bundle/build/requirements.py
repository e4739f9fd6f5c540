"""Projects that declare their dependencies in ``requirements*.txt`` (with ``-r`` includes).

``djdesk-bundle lock`` compiles the chosen requirements file, includes resolved, into a
hash-pinned ``requirements.lock.txt`` with ``uv pip compile --generate-hashes --universal``
(one lock for every target). The lock's header records a digest of its inputs, so a build
from a lock older than the requirements it was made from is refused, as ``uv lock
--check`` does for a ``uv.lock``.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from djdesk_bundle.errors import LockError
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.options import Options
from djdesk_bundle.tools.process import run, tail

INCLUDE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(?P<path>\S+)\s*$")
CONSTRAINT = re.compile(r"^\s*(?:-c|--constraint)(?:\s+|=)(?P<path>\S+)\s*$")
MADE_BY = "# Made by `djdesk-bundle lock`"
DIGEST_LINE = re.compile(
    r"^# inputs-sha256: (?P<digest>[0-9a-f]{64}) python (?P<python>\d+\.\d+)$", re.MULTILINE
)


def included_files(path: Path, seen: tuple[Path, ...] = ()) -> list[Path]:
    """``path`` and every file it includes with ``-r``/``-c``, recursively, in order."""
    path = path.resolve()
    if path in seen:
        return []
    if not path.is_file():
        where = f" (included from {seen[-1]})" if seen else ""
        raise LockError(f"requirements file {path} not found{where}")
    files = [path]
    for line in path.read_text(encoding="utf-8").splitlines():
        match = INCLUDE.match(line) or CONSTRAINT.match(line)
        if match:
            files += included_files(path.parent / match["path"], (*seen, path))
    return list(dict.fromkeys(files))


def expand_includes(path: Path, seen: tuple[Path, ...] = ()) -> str:
    """The requirements of ``path`` with each ``-r FILE`` replaced by that file's lines, so
    the text can be installed from anywhere (includes are relative to their file)."""
    path = path.resolve()
    if path in seen:
        return ""
    if not path.is_file():
        raise LockError(f"requirements file {path} not found (included from {seen[-1]})")
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = INCLUDE.match(line)
        if match:
            lines.append(expand_includes(path.parent / match["path"], (*seen, path)).rstrip("\n"))
        elif not CONSTRAINT.match(line):
            lines.append(line)
    return "\n".join(lines) + "\n"


HASH_OPTION = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


def logical_lines(text: str) -> list[str]:
    """Requirement lines with their ``\\`` continuations joined and comments dropped."""
    joined = re.sub(r"\\\r?\n", " ", text)
    lines = (COMMENT.sub("", line).strip() for line in joined.splitlines())
    return [line for line in lines if line]


def check_lock_lines(text: str, source: Path) -> None:
    """The lock is the payload's supply chain: only ``name==version`` lines, each with its
    sha256 hashes, installed from the configured index. An option line (``--no-binary``,
    ``--find-links``, ``-e``, ``--index-url``…) or a direct reference (``name @ URL``)
    would change where a package comes from or how it is built: refused, one line naming it."""
    missing = []
    for line in logical_lines(text):
        if line.startswith("-"):
            raise LockError(
                f"{source}: the option line {line[:120]!r} is not allowed in a lock: "
                "a lock holds only hash-pinned name==version lines from the configured index"
            )
        requirement, *options = re.split(r"\s+(?=--)", line)
        pinned = _pinned_requirement(requirement, source)
        if any(not HASH_OPTION.match(option.strip()) for option in options):
            raise LockError(
                f"{source}: {line[:120]!r}: only --hash=sha256:… may follow a requirement"
            )
        if not options:
            missing.append(f"{pinned.name}{pinned.specifier}")
    if missing:
        raise LockError(
            f"{source}: requirements without --hash=sha256: {', '.join(missing)}; make a "
            "hash-pinned lock with `uv lock` (or `uv pip compile --generate-hashes`)"
        )


def required_name(text: str, environment: Mapping[str, str]) -> str | None:
    """The canonical name a requirement (a ``Requires-Dist`` value, a ``[project]``
    dependency) asks for in the marker ``environment`` (``InterpreterPin.
    marker_environment``), or None when its marker leaves it out there or it is no
    requirement. No extra is asked for: an extra's requirement counts only under it."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    if requirement.marker and not requirement.marker.evaluate({**environment, "extra": ""}):
        return None
    return canonicalize_name(requirement.name)


def _pinned_requirement(text: str, source: Path) -> Requirement:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]  # packaging adds the line again, with a caret
        raise LockError(f"{source}: {text[:120]!r} is not a requirement ({reason})") from None
    if requirement.url:
        raise LockError(
            f"{source}: {text[:120]!r} is a direct reference: a lock installs only "
            "name==version from the configured index"
        )
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        raise LockError(f"{source}: {text[:120]!r} is not pinned to one version (name==version)")
    return requirement


# A comment, as pip reads one: from a "#" at the start of a line or after whitespace (a
# URL's "#sha256=" fragment is not one).
COMMENT = re.compile(r"(^|\s)#.*$")


def _meaningful(text: str) -> bytes:
    """What pip reads of a requirements file: no comments, blank lines or edge spaces."""
    lines = (COMMENT.sub("", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line).encode()


def inputs_digest(requirements: Path, python_version: str, *, verbatim: bool = False) -> str:
    """The digest a lock records of the requirements it came from (and their includes):
    of what pip reads, so a comment-only edit leaves the lock current. ``verbatim``: of
    the files' bytes, as locks made before that recorded it."""
    digest = hashlib.sha256(f"python {python_version}\0".encode())
    for path in included_files(requirements):
        content = path.read_bytes() if verbatim else _meaningful(path.read_text("utf-8"))
        digest.update(content + b"\0")
    return digest.hexdigest()


def minimum_python(requires_python: str) -> str:
    """'3.11' for '>=3.11' (or '>=3.11,<4'): the oldest Python the lock must work on."""
    match = re.search(r">=\s*(\d+\.\d+)", requires_python)
    return match[1] if match else "3.11"


def lock_path(options: Options) -> Path:
    return options.path(options.lock or "requirements.lock.txt")


def compile_requirements(options: Options, requires_python: str, uv: Path) -> Path:
    """Write the hash-pinned lock of ``options.requirements`` (by ``uv pip compile``);
    return its path."""
    source = options.path(options.requirements)
    target = lock_path(options)
    refuse_to_overwrite(target)
    python = minimum_python(requires_python)
    argv = [
        str(uv),
        "pip",
        "compile",
        "--quiet",
        "--generate-hashes",
        "--universal",
        "--no-header",
        "--python-version",
        python,
        str(source),
    ]
    result = run(argv, cwd=options.project_dir, timeout=options.process_timeout)
    if result.returncode != 0:
        raise LockError(f"uv pip compile failed for {source}:\n{tail(result.stderr)}")
    relative = source.relative_to(options.project_dir).as_posix()
    header = (
        f"{MADE_BY} from {relative} (and what it includes) for Python\n"
        f"# >= {python}: {shlex.join(['uv', *argv[1:-1], relative])}\n"
        "# Do not edit: change the requirements and run `djdesk-bundle lock` again.\n"
        f"# inputs-sha256: {inputs_digest(source, python)} python {python}\n"
    )
    write_atomic(target, header + result.stdout)
    return target


def refuse_to_overwrite(target: Path) -> None:
    """The lock is written only over a lock this command made: ``lock = "pyproject.toml"``
    (or a path given by mistake) must not replace a file of the user's."""
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise LockError(f"not writing the lock to {target}: it is not a regular file")
    if target.is_file():
        with target.open("rb") as handle:
            start = handle.read(len(MADE_BY))
        if start != MADE_BY.encode():
            raise LockError(
                f"not overwriting {target}: it was not made by `djdesk-bundle lock`; "
                "move it away or set lock to another file"
            )


def check_lock_is_current(options: Options, lock: Path) -> None:
    """A lock made by ``djdesk-bundle lock`` must match the requirements it came from."""
    if not options.requirements:
        return
    source = options.path(options.requirements)
    if not lock.is_file():
        raise LockError(f"no lock {lock} for {options.requirements}: run `djdesk-bundle lock`")
    recorded = DIGEST_LINE.search(lock.read_text(encoding="utf-8"))
    if recorded is None:
        raise LockError(
            f"{lock} was not made by `djdesk-bundle lock` from {options.requirements}: "
            "run `djdesk-bundle lock`"
        )
    current = {
        inputs_digest(source, recorded["python"]),
        inputs_digest(source, recorded["python"], verbatim=True),  # an older lock's digest
    }
    if recorded["digest"] not in current:
        raise LockError(
            f"{lock} is out of date with {options.requirements}: run `djdesk-bundle lock`"
        )


def lock_project(options: Options, uv: Path) -> str:
    """`djdesk-bundle lock`: compile the requirements into their lock, or `uv lock` a
    project that declares its dependencies in pyproject.toml. Returns what was locked."""
    if options.requirements:
        project = project_requires_python(options.project_dir)
        return str(compile_requirements(options, project, uv))
    result = run(
        [str(uv), "lock", "--quiet"], cwd=options.project_dir, timeout=options.process_timeout
    )
    if result.returncode != 0:
        raise LockError(f"uv lock failed in {options.project_dir}:\n{tail(result.stderr)}")
    return str(options.project_dir / "uv.lock")


def project_requires_python(project_dir: Path) -> str:
    data = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data.get("project", {}).get("requires-python", ">=3.11"))
