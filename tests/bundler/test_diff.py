"""``djdesk-bundle diff``: two payloads made to differ in known ways; it names exactly those."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
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
