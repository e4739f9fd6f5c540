"""Safe extraction: every kind of hostile entry is refused before anything is written."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from djdesk_bundle.build.extract import (
    ExtractLimits,
    Interpreter,
    extract_interpreter,
    interpreter_executable,
    make_bytecode,
    prune,
)
from djdesk_bundle.errors import ConfigError, UnsafeArchive
from djdesk_bundle.options import DEFAULT_PRUNE, load_options
from djdesk_bundle.tools.toolchain import host_triple
from tests.bundler.conftest import needs_local_python
from tests.processes import WINDOWS


def make_tar(path: Path, entries: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            data = b"x" * info.size if info.isreg() else None
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def file_entry(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


def link_entry(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def device_entry(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (file_entry("/etc/evil"), "absolute path"),
        (file_entry("python/../../evil"), "'..'"),
        (link_entry("python/bin/escape", "../../../etc/passwd"), "links outside the tree"),
        (link_entry("python/bin/abs", "/etc/passwd"), "absolute path"),
        (link_entry("python/hard", "../outside", tarfile.LNKTYPE), "links outside the tree"),
        (device_entry("python/dev"), "device"),
    ],
)
def test_hostile_entries_are_refused(tmp_path: Path, entry, message: str) -> None:
    archive = make_tar(tmp_path / "bad.tar.gz", [file_entry("python/bin/python3"), entry])
    destination = tmp_path / "out"
    with pytest.raises(UnsafeArchive, match=message):
        extract_interpreter(archive, destination)
    assert not (destination / "python").exists()  # checked before anything was written
    assert not (tmp_path / "evil").exists()


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="extracts a symlink, which needs SeCreateSymbolicLinkPrivilege on Windows "
    "(python-build-standalone's Windows archives hold none)",
)
def test_inner_links_are_fine_and_prune_works(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "ok.tar.gz",
        [
            file_entry("python/bin/python3.11"),
            link_entry("python/bin/python3", "python3.11"),
            file_entry("python/lib/python3.11/os.py"),
            file_entry("python/lib/python3.11/test/test_os.py"),
            file_entry("python/lib/python3.11/email/tests/t.py"),
            file_entry("python/include/python.h"),
        ],
    )
    root = extract_interpreter(archive, tmp_path / "out")
    assert (root / "bin" / "python3").is_symlink()
    report = prune(root, ("lib/python*/test", "lib/python*/**/tests", "include", "nothing/*"))
    assert report.paths == 3
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "bin/python3",
        "bin/python3.11",
        "lib/python3.11/os.py",
    ]


def test_not_an_install_only_archive(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "x.tar.gz", [])
    with pytest.raises(UnsafeArchive, match="no top-level python/"):
        extract_interpreter(archive, tmp_path / "out")
    (tmp_path / "garbage.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(UnsafeArchive, match="not a readable tar"):
        extract_interpreter(tmp_path / "garbage.tar.gz", tmp_path / "out2")


def symlink_chain_archive(path: Path) -> Path:
    """CVE-2025-4517's PATH_MAX technique, under python/: nested directories with
    247-character names, each reachable through a one-letter symlink, so that the
    expanded path of the chain passes PATH_MAX and ``os.path.realpath`` (behind the stdlib
    ``data`` filter before 3.11.13) stops resolving it; then a link that climbs out
    through the chain, and a file written through that link."""
    component = "d" * 247
    steps = "abcdefghijklmnop"
    entries = []
    prefix = "python"
    for step in steps:
        directory = tarfile.TarInfo(f"{prefix}/{component}")
        directory.type = tarfile.DIRTYPE
        entries += [directory, link_entry(f"{prefix}/{step}", component)]
        prefix = f"{prefix}/{component}"
    chain = "python/" + "/".join(steps)
    long_link = f"{chain}/{'l' * 254}"
    entries.append(link_entry(long_link, "/".join([".."] * len(steps))))
    # Lexically python/escape -> python/a/…/p/lll…/../.. stays inside python/; on disk it
    # is three levels above the extraction directory.
    entries.append(link_entry("python/escape", f"{'/'.join(steps)}/{'l' * 254}/../../.."))
    entries.append(file_entry("python/escape/planted"))
    return make_tar(path, [file_entry("python/bin/python3"), *entries])


def test_symlink_chain_past_path_max_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "x" / "y" / "z"
    deep.mkdir(parents=True)
    archive = symlink_chain_archive(tmp_path / "chain.tar.gz")
    destination = deep / "build"
    with pytest.raises(UnsafeArchive, match="written through the symlink"):
        extract_interpreter(archive, destination)
    assert not (destination / "python").exists()
    planted = [p for p in tmp_path.rglob("planted")]
    assert planted == []


def test_members_outside_python_are_refused(tmp_path: Path) -> None:
    for name in ("run_django.py", "app/evil.py", "./other/x"):
        archive = make_tar(
            tmp_path / "outside.tar.gz", [file_entry("python/bin/python3"), file_entry(name)]
        )
        with pytest.raises(UnsafeArchive, match="outside python/"):
            extract_interpreter(archive, tmp_path / "out")
        assert not (tmp_path / "out" / "python").exists()


def test_links_must_end_at_a_file_inside_python(tmp_path: Path) -> None:
    cases = [
        (link_entry("python/lib", "../app"), "links outside python/"),
        (link_entry("python/bin/dir", "."), "does not end at a file"),
        (link_entry("python/bin/dangling", "nothing"), "does not end at a file"),
        (link_entry("python/hard", "python/bin/later", tarfile.LNKTYPE), "does not end at a file"),
    ]
    for entry, message in cases:
        archive = make_tar(tmp_path / "l.tar.gz", [file_entry("python/bin/python3"), entry])
        with pytest.raises(UnsafeArchive, match=message):
            extract_interpreter(archive, tmp_path / "out")


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "dup.tar.gz",
        [
            file_entry("python/bin/python3"),
            file_entry("python/lib/os.py"),
            file_entry("python/lib/os.py"),
        ],
    )
    with pytest.raises(UnsafeArchive, match="appears twice"):
        extract_interpreter(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "python").exists()


def test_expanded_size_limit(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.addfile(file_entry("python/bin/python3"), io.BytesIO(b"x"))
        zeros = tarfile.TarInfo("python/zeros")
        zeros.size = 64 * 1024 * 1024
        tar.addfile(zeros, io.BytesIO(bytes(zeros.size)))
    assert archive.stat().st_size < 200_000  # a small archive that expands 300-fold
    with pytest.raises(UnsafeArchive, match="expands to more than 16777216 bytes"):
        extract_interpreter(archive, tmp_path / "out", ExtractLimits(max_bytes=16 * 1024 * 1024))
    assert not (tmp_path / "out" / "python").exists()
    root = extract_interpreter(archive, tmp_path / "ok")  # the default limit is 2 GiB
    assert (root / "zeros").stat().st_size == 64 * 1024 * 1024


def test_entry_count_limit(tmp_path: Path) -> None:
    entries = [file_entry("python/bin/python3")] + [file_entry(f"python/f{i}") for i in range(100)]
    archive = make_tar(tmp_path / "many.tar.gz", entries)
    with pytest.raises(UnsafeArchive, match="more than 100 entries"):
        extract_interpreter(archive, tmp_path / "out", ExtractLimits(max_entries=100))
    assert not (tmp_path / "out" / "python").exists()
    extract_interpreter(archive, tmp_path / "ok", ExtractLimits(max_entries=101))


def test_limits_are_options(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "site").mkdir()
    (tmp_path / "app" / "site" / "wsgi.py").write_text("")
    (tmp_path / "pyproject.toml").write_text("[tool.djdesk-bundle]\nextract-max-bytes = 1000\n")
    options = load_options(tmp_path, {"DJDESK_BUNDLE_EXTRACT_MAX_ENTRIES": "50"})
    assert ExtractLimits.from_options(options) == ExtractLimits(1000, 50)
    with pytest.raises(ConfigError, match="extract-max-entries must be a positive whole number"):
        load_options(tmp_path, {"DJDESK_BUNDLE_EXTRACT_MAX_ENTRIES": "lots"})


def test_truncated_archive_is_a_one_line_error(tmp_path: Path, local_interpreter: Path) -> None:
    (whole,) = local_interpreter.glob("*.tar.gz")
    cut = tmp_path / whole.name
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(UnsafeArchive, match="truncated or not a readable tar archive"):
        extract_interpreter(cut, tmp_path / "out")
    assert not (tmp_path / "out" / "python").exists()


def test_runs_here_is_one_answer_that_does_not_depend_on_an_emulator(tmp_path: Path) -> None:
    """Bytecode, the template database, the check, the smoke test and the SBOM's probe all
    ask ``runs_here``: the host's own target only, even when another target's executable
    would start here (before, bytecode and the template database ran it when it did, the
    check and the smoke test did not)."""
    starts = Path(sys.executable)
    here = host_triple()
    other = "aarch64-apple-darwin" if "linux" in here else "x86_64-unknown-linux-gnu"
    cross = Interpreter(tmp_path, starts, other, here, compile_wanted=True, cache_key="")
    assert not cross.runs_here and not cross.compiles
    cross.check_starts()  # a cross target is never run, so never refused for not starting
    host = Interpreter(tmp_path, starts, here, here, compile_wanted=True, cache_key="")
    assert host.runs_here and host.compiles
    host.check_starts()
    broken = tmp_path / "python" / "bin" / "python3"
    broken.parent.mkdir(parents=True)
    broken.write_text("not an interpreter")
    broken.chmod(0o755)
    dead = Interpreter(tmp_path / "python", broken, here, here, False, "")
    with pytest.raises(UnsafeArchive, match="no runnable python/bin/python3"):
        dead.check_starts()


def extracted(local_interpreter: Path, payload: Path) -> Interpreter:
    (archive,) = local_interpreter.glob("*.tar.gz")
    root = extract_interpreter(archive, payload)
    prune(root, DEFAULT_PRUNE)
    here = host_triple()
    return Interpreter(root, interpreter_executable(payload, WINDOWS), here, here, True, "")


def python_files(root: Path) -> tuple[set[str], set[str]]:
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    return {n for n in names if n.endswith(".py")}, {n for n in names if "__pycache__" in n}


@needs_local_python
def test_the_stdlib_ships_sourceless_and_still_starts_imports_and_tells_where(
    tmp_path: Path, local_interpreter: Path
) -> None:
    """The default (interpreter-sources = false): each stdlib module is its .pyc beside it,
    no .py and no __pycache__; `python -I` starts, extension modules load, and a traceback
    names the payload's file and line."""
    interpreter = extracted(local_interpreter, tmp_path / "payload")
    make_bytecode(interpreter, tmp_path / "payload", sources=False)
    sources, caches = python_files(interpreter.root)
    assert not sources and not caches
    assert list(interpreter.root.rglob("json/decoder.pyc"))
    # The default prune list takes the test suite's extension modules and what needs Tk.
    assert list(interpreter.root.rglob("_ctypes.*")) and not list(
        interpreter.root.rglob("_ctypes_test*")
    )
    assert not [
        p for name in ("_testcapi*", "xxlimited*", "turtle.*") for p in interpreter.root.rglob(name)
    ]
    probe = subprocess.run(
        [
            str(interpreter.executable),
            "-I",
            "-c",
            "import sqlite3, ssl, ctypes, decimal, zoneinfo, json, sys;"
            "print(sqlite3.sqlite_version, sys.flags.isolated); json.loads('{')",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 1 and probe.stdout.split()[1] == "1", probe.stderr
    assert "/python/lib/python3." in probe.stderr or "/python/Lib/" in probe.stderr
    assert 'json/decoder.py", line ' in probe.stderr, probe.stderr
    assert "JSONDecodeError" in probe.stderr


@needs_local_python
def test_interpreter_sources_keeps_the_stdlib_py(tmp_path: Path, local_interpreter: Path) -> None:
    interpreter = extracted(local_interpreter, tmp_path / "payload")
    make_bytecode(interpreter, tmp_path / "payload", sources=True)
    sources, caches = python_files(interpreter.root)
    assert any(name.endswith("json/decoder.py") for name in sources)
    assert any(name.endswith(".pyc") for name in caches)
    assert not list(interpreter.root.rglob("json/decoder.pyc"))
    (tmp_path / "app" / "site").mkdir(parents=True)
    (tmp_path / "app" / "site" / "wsgi.py").write_text("")
    (tmp_path / "pyproject.toml").write_text("[tool.djdesk-bundle]\ninterpreter-sources = true\n")
    assert load_options(tmp_path, {}).interpreter_sources
    env = {"DJDESK_BUNDLE_INTERPRETER_SOURCES": "0"}
    assert not load_options(tmp_path, env).interpreter_sources
