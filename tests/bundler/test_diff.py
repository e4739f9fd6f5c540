"""``djdesk-bundle diff``: two payloads made to differ in known ways; it names exactly those."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import threading
from contextlib import closing
from pathlib import Path

import pytest

from djdesk_bundle.build.pack import write_archive
from djdesk_bundle.cli import main
from djdesk_bundle.inspect.diff import diff_payloads


def sbom(components: dict[str, str]) -> str:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [
                {"name": name, "version": version, "purl": f"pkg:pypi/{name}@{version}"}
                for name, version in components.items()
            ],
        },
        indent=2,
    )


def make_payload(root: Path) -> Path:
    files = {
        "app/manage.py": "import sys\nprint(sys.argv)\n",
        "app/settings.py": "A = 1\nDEBUG = False\nB = 2\n",
        "app/old.txt": "soon gone\n",
        "app/run.sh": "#!/bin/sh\necho hi\n",
        "sbom.cdx.json": sbom({"django": "5.2.19", "waitress": "3.0.2", "sqlparse": "0.6.1"}),
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, newline="\n")  # the same sizes on Windows
    (root / "app" / "run.sh").chmod(0o644)
    (root / "python" / "bin").mkdir(parents=True)
    (root / "python" / "bin" / "blob").write_bytes(bytes(range(256)) * 4)
    with closing(sqlite3.connect(root / "template.sqlite3")) as db, db:
        db.execute("CREATE TABLE workspace (id INTEGER PRIMARY KEY, slug TEXT)")
        db.execute("INSERT INTO workspace VALUES (1, 'atlas')")
    return root


def make_changes(root: Path) -> None:
    (root / "app" / "new.txt").write_text("new\n")
    (root / "app" / "old.txt").unlink()
    (root / "app" / "settings.py").write_text("A = 1\nDEBUG = True\nB = 2\n", newline="\n")
    (root / "app" / "run.sh").chmod(0o755)
    blob = bytearray((root / "python" / "bin" / "blob").read_bytes())
    blob[100] ^= 0xFF
    (root / "python" / "bin" / "blob").write_bytes(bytes(blob))
    with closing(sqlite3.connect(root / "template.sqlite3")) as db, db:
        db.execute("INSERT INTO workspace VALUES (2, 'notes')")
        db.execute("CREATE INDEX workspace_slug ON workspace (slug)")
    (root / "sbom.cdx.json").write_text(
        sbom({"django": "5.2.20", "waitress": "3.0.2", "asgiref": "3.13.0"})
    )


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    first = make_payload(tmp_path / "a")
    second = tmp_path / "b"
    shutil.copytree(first, second)
    make_changes(second)
    return first, second


# Windows has no executable bit to flip.
POSIX_MODES = sys.platform != "win32"
EXPECTED_CHANGED = {
    "app/settings.py": ["size 26 -> 25", "content"],
    **({"app/run.sh": ["mode 0644 -> 0755"]} if POSIX_MODES else {}),
    "python/bin/blob": ["content"],
    "sbom.cdx.json": None,  # its bytes changed: the components below say how
    "template.sqlite3": None,
}


def check_report(report) -> None:  # type: ignore[no-untyped-def]
    assert report.added == ["app/new.txt"]
    assert report.removed == ["app/old.txt"]
    assert set(report.changed) == set(EXPECTED_CHANGED)
    for path, what in EXPECTED_CHANGED.items():
        if what is not None:
            assert report.changed[path] == what, path
    assert report.details["app/settings.py"][-3:-1] == ["-DEBUG = False", "+DEBUG = True"]
    sqlite = report.details["template.sqlite3"]
    assert "schema: added index workspace_slug" in sqlite
    assert any(line.startswith("table workspace: 1 row(s) added, 0 removed") for line in sqlite)
    assert report.sbom_added == ["asgiref 3.13.0"]
    assert report.sbom_removed == ["sqlparse 0.6.1"]
    assert report.sbom_changed == {"django": ["version 5.2.19 -> 5.2.20"]}
    assert not report.identical


def test_payload_dirs(pair) -> None:
    check_report(diff_payloads(*pair, deep=False))


def test_payloads_under_a_folder_whose_name_is_not_uri_safe(tmp_path: Path) -> None:
    """The databases are opened by a file: URI made from the path (a "#" used to end it;
    a Windows drive path was no URI at all)."""
    first = make_payload(tmp_path / "build #2" / "a")
    second = tmp_path / "build #2" / "b"
    shutil.copytree(first, second)
    make_changes(second)
    check_report(diff_payloads(first, second, deep=False))


def test_archives_name_the_same_differences(pair, tmp_path: Path) -> None:
    archives = [tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"]
    for payload, archive in zip(pair, archives, strict=True):
        write_archive(payload, archive, 1_700_000_000)
    check_report(diff_payloads(*archives, deep=False))


def test_archives_differing_only_in_mtime(pair, tmp_path: Path) -> None:
    first = tmp_path / "first.tar.gz"
    second = tmp_path / "second.tar.gz"
    write_archive(pair[0], first, 1_700_000_000)
    write_archive(pair[0], second, 1_700_000_001)
    report = diff_payloads(first, second)
    assert not report.added and not report.removed and report.changed
    # The stable part (python/) keeps its fixed mtime; everything else moved by a second.
    assert all(what == ["mtime 1700000000 -> 1700000001"] for what in report.changed.values())
    assert "python/bin/blob" not in report.changed
    assert "app/settings.py" in report.changed
    (grouped,) = [line for line in report.lines() if "only by mtime" in line]
    assert grouped.startswith(f"changed: {len(report.changed)} entries only by mtime 1700000000")


def test_cli_exit_codes(pair, tmp_path: Path, capsys) -> None:
    same = tmp_path / "same"
    shutil.copytree(pair[0], same)
    assert main(["diff", str(pair[0]), str(same)]) == 0
    assert capsys.readouterr().out.strip() == "identical"
    assert main(["diff", "--no-diffoscope", *map(str, pair)]) == 1
    out = capsys.readouterr().out
    assert "added: app/new.txt" in out and "removed: app/old.txt" in out
    assert "changed: app/run.sh (mode 0644 -> 0755)" in out or not POSIX_MODES
    assert "sbom: changed django: version 5.2.19 -> 5.2.20" in out
    archive = tmp_path / "a.tar.gz"
    write_archive(pair[0], archive, 1_700_000_000)
    assert main(["diff", str(archive), str(archive)]) == 0
    assert main(["diff", str(archive), str(same)]) == 0  # an archive and the dir it packs
    capsys.readouterr()
    assert main(["diff", str(pair[0]), str(tmp_path / "nowhere")]) == 2
    assert "no such payload directory or archive" in capsys.readouterr().err


@pytest.mark.skipif(not shutil.which("diffoscope"), reason="diffoscope is not installed")
def test_diffoscope_looks_into_binary_files(pair) -> None:
    report = diff_payloads(*pair)
    details = report.details["python/bin/blob"]
    assert details[0] == "diffoscope:" and len(details) > 1


# Hostile payloads (issue #27): diff reads archives through the archive policy, streams.


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def test_the_path_max_symlink_chain_is_refused_before_anything_is_written(
    tmp_path: Path, capsys
) -> None:
    """CVE-2025-4517's chain rooted at django-bundle/: tarfile's data filter on the host
    Python (3.11.7) let it write two levels above diff's scratch dir."""
    component, steps = "d" * 247, "abcdefghijklmnop"
    members: list[tuple[tarfile.TarInfo, bytes | None]] = [
        (_entry("django-bundle", tarfile.DIRTYPE), None)
    ]
    prefix = "django-bundle"
    for step in steps:
        members += [
            (_entry(f"{prefix}/{component}", tarfile.DIRTYPE), None),
            (_entry(f"{prefix}/{step}", tarfile.SYMTYPE, component), None),
        ]
        prefix = f"{prefix}/{component}"
    chain = "django-bundle/" + "/".join(steps)
    members.append((_entry(f"{chain}/{'l' * 254}", tarfile.SYMTYPE, "/".join([".."] * 16)), None))
    escape = f"{'/'.join(steps)}/{'l' * 254}/../../.."
    members.append((_entry("django-bundle/escape", tarfile.SYMTYPE, escape), None))
    members.append((_entry("django-bundle/escape/planted"), b"owned"))
    hostile = _tar(tmp_path / "hostile.tar.gz", members)
    clean = _tar(tmp_path / "clean.tar.gz", [(_entry("django-bundle/VERSION"), b"1")])
    scratch = tmp_path / "x" / "y" / "tmp"
    scratch.mkdir(parents=True)
    import tempfile

    before = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        assert main(["diff", str(clean), str(hostile)]) == 5
    finally:
        tempfile.tempdir = before
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: hostile.tar.gz: entry") and "\n" not in err, err
    assert list(tmp_path.rglob("planted")) == []


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_entry("django-bundle/app/pipe", tarfile.FIFOTYPE), "is a FIFO"),
        (_entry("django-bundle/app/hard", tarfile.LNKTYPE, "django-bundle/VERSION"), "hard link"),
        (_entry("django-bundle/app/out", tarfile.SYMTYPE, "../../etc/passwd"), "outside"),
        (_entry("/django-bundle/abs"), "absolute path"),
        (_entry("django-bundle/../evil"), "'..'"),
    ],
)
def test_hostile_members_are_refused(tmp_path: Path, member, message: str) -> None:
    from djdesk_bundle.errors import UnsafeArchive

    good = [(_entry("django-bundle/VERSION"), b"1")]
    data = b"" if member.isreg() else None
    hostile = _tar(tmp_path / "h.tar.gz", [*good, (member, data)])
    clean = _tar(tmp_path / "c.tar.gz", good)
    with pytest.raises(UnsafeArchive, match=message):
        diff_payloads(clean, hostile)


def test_an_archive_beyond_the_limits_is_refused_unread(tmp_path: Path) -> None:
    """A header claiming 3 GiB (more than extraction allows) is refused when read: no
    byte of it is hashed or written."""
    from djdesk_bundle.errors import UnsafeArchive

    info = _entry("django-bundle/big")
    info.size = 3 * 1024**3
    header = _entry("django-bundle/VERSION").tobuf() + info.tobuf()  # and no data at all
    bombs = [tmp_path / "a.tar", tmp_path / "b.tar"]
    bombs[0].write_bytes(header)
    bombs[1].write_bytes(header + b"\0" * 512)
    with pytest.raises(UnsafeArchive, match="expands to more than"):
        diff_payloads(*bombs)


def test_large_files_are_hashed_as_they_stream_never_unpacked(tmp_path: Path) -> None:
    """Two small archives of large, nearly equal files: diff wrote 2 GiB for 1 GiB files.
    Now each member is hashed while read; nothing lands in the scratch dir, and a file
    too large for a closer look says so."""
    from djdesk_bundle.inspect.diff import DETAIL_MAX_BYTES, _archive_side, compare

    size = DETAIL_MAX_BYTES + 1
    archives = []
    for name, last in (("a", b"\0"), ("b", b"\1")):
        data = b"\0" * (size - 1) + last
        archives.append(_tar(tmp_path / f"{name}.tar.gz", [(_entry("django-bundle/big"), data)]))
    sides = []
    for index, archive in enumerate(archives):
        scratch = tmp_path / f"scratch{index}"
        scratch.mkdir()
        sides.append(_archive_side(archive, scratch))
        assert list(scratch.iterdir()) == []
    report = compare(*sides)
    assert report.changed["big"] == ["content"]
    assert report.details["big"] == [f"no closer look: over {DETAIL_MAX_BYTES} bytes"]
    assert all(list(side.root.iterdir()) == [] for side in sides)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_in_a_payload_dir_is_listed_never_opened(pair) -> None:
    os.mkfifo(pair[1] / "app" / "pipe")
    answer: list[object] = []
    worker = threading.Thread(
        target=lambda: answer.append(diff_payloads(*pair, deep=False)), daemon=True
    )
    worker.start()
    worker.join(60)
    if worker.is_alive():  # unblock the opener, then fail
        with open(pair[1] / "app" / "pipe", "wb"):
            pass
        pytest.fail("diff opened the FIFO and blocked")
    report = answer[0]
    assert "app/pipe" in report.added  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "is a list, not an object"),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ("{not json", "not valid JSON"),
        ('{"components": {"name": "x"}}', "components must be a list of objects"),
        ('{"components": ["django"]}', "components must be a list of objects"),
        ('{"components": [{"name": "x", "components": 5}]}', "must be a list of objects"),
        (
            '{"components": ' + '[{"name": "x", "components": ' * 40 + "[]" + "}]" * 40 + "}",
            "nests components over 32 deep",
        ),
    ],
    ids=["list", "deep", "not-json", "object", "strings", "nested-int", "nested-deep"],
)
def test_a_malformed_sbom_is_one_line(pair, capsys, text: str, message: str) -> None:
    (pair[1] / "sbom.cdx.json").write_text(text)
    assert main(["diff", "--no-diffoscope", *map(str, pair)]) == 9
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err, err[:300]
