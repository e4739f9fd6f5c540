"""The build report: sizes by part and by distribution, the SBOM's components, the files
left out, and the page a build writes beside its archive."""

from __future__ import annotations

import json
from pathlib import Path

from djdesk_bundle.build.pipeline import BuildResult
from djdesk_bundle.build.selection import select_sources
from djdesk_bundle.cli import main
from djdesk_bundle.cli.build import build_report
from djdesk_bundle.inspect.report import (
    ReportInputs,
    payload_areas,
    render_report,
    report_path,
)
from djdesk_bundle.options import load_options
from djdesk_bundle.scaffold.init import ShellChoices, init_project
from djdesk_bundle.tools.git import find_git


def fake_payload(root: Path) -> Path:
    """A payload's shape with files of known sizes (what the treemap must add up)."""
    files = {
        "python/bin/python3": 3000,
        "python/lib/python3.11/os.py": 1000,
        "site-packages/django/__init__.py": 5000,
        "site-packages/django/db/models.py": 2000,
        "site-packages/django-5.2.dist-info/RECORD": 0,
        "site-packages/waitress/server.py": 700,
        "app/shop/views.py": 300,
        "static/admin/base.css": 400,
        "VERSION": 10,
    }
    for relative, size in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    (root / "site-packages/django-5.2.dist-info/RECORD").write_text(
        "django/__init__.py,,\ndjango/db/models.py,,\ndjango-5.2.dist-info/RECORD,,\n"
    )
    (root / "build-info.json").write_text(json.dumps({"version": "1.0"}))
    sbom = {
        "components": [
            {
                "name": "Django",
                "version": "5.2",
                "type": "library",
                "licenses": [{"license": {"id": "BSD-3-Clause"}}],
            },
            {
                "name": "waitress",
                "version": "3.0",
                "type": "library",
                "licenses": [{"expression": "ZPL-2.1"}],
            },
        ]
    }
    (root / "sbom.cdx.json").write_text(json.dumps(sbom))
    return root


def test_sizes_by_part_and_by_distribution(tmp_path: Path) -> None:
    root = payload_areas(fake_payload(tmp_path / "payload"))
    parts = {part.name: part for part in root.children}
    assert root.children[0].name == "site-packages"  # the largest first
    site = {child.name: child.size for child in parts["site-packages"].children}
    record_size = (tmp_path / "payload/site-packages/django-5.2.dist-info/RECORD").stat().st_size
    assert site == {"django": 7000 + record_size, "waitress": 700}
    assert parts["python"].size == 4000
    assert root.size == sum(p.size for p in root.children)


def test_the_page_has_the_treemap_components_and_licences(tmp_path: Path) -> None:
    payload = fake_payload(tmp_path / "payload")
    page = render_report(ReportInputs(payload, timings=[("fetch", 1.5), ("install", 3.0)]))
    assert '<svg id="treemap"' in page and 'data-name="site-packages"' in page
    assert "BSD-3-Clause" in page and "ZPL-2.1" in page
    assert "install" in page and "4.5 s" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def test_a_build_writes_the_report_beside_the_archive(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    for relative, text in {
        "manage.py": "",
        "shop/__init__.py": "",
        "shop/settings.py": "",
        "shop/wsgi.py": "application = None\n",
        "db.sqlite3": "",
        ".env": "SECRET=1",
    }.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text)
    init_project(project, shell=ShellChoices(write=False))
    options = load_options(project, {})
    payload = fake_payload(tmp_path / "out")
    archive = tmp_path / "dist" / "shop-payload-1.0-x86_64-unknown-linux-gnu.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(b"archive")
    sources = select_sources(options, find_git())  # what resolve selected
    result = BuildResult(payload, archive, "ab" * 32, sources, [("resolve", 0.1), ("pack", 2.0)])
    written = build_report(options, result)
    assert (
        written
        == report_path(archive)
        == archive.with_name("shop-payload-1.0-x86_64-unknown-linux-gnu.report.html")
    )
    page = written.read_text()
    # What the file selection left out, with why (build/selection.py decides).
    assert (
        "db.sqlite3 (the project&#x27;s database" in page
        or "db.sqlite3 (the project's database" in page
    )
    assert ".env (its name says it holds a secret" in page
    assert "pack" in page and "ab" * 32 in page
    # An up-to-date build ran only resolve: the report with the real timings is kept.
    build_report(options, BuildResult(payload, archive, "ab" * 32, sources, [("resolve", 0.1)]))
    assert written.read_text() == page


def test_the_report_command_writes_a_page_for_a_payload(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    payload = fake_payload(tmp_path / "payload")
    assert main(["report", str(payload)]) == 0
    assert (tmp_path / "payload.report.html").is_file()
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "not a payload dir" in capsys.readouterr().err


def test_a_part_too_small_for_its_packages_is_drawn_alone(tmp_path: Path) -> None:
    payload = fake_payload(tmp_path / "payload")
    (payload / "python/lib/big.so").write_bytes(b"x" * 5_000_000)  # the rest are slivers
    page = render_report(ReportInputs(payload))
    assert 'data-name="static"' in page and 'data-name="admin"' not in page
