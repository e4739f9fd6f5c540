"""What ships of site-packages: sourceless bytecode, pruned test suites, .po and locales."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from djdesk_bundle.build.slim import DependencyShape, shape_dependencies
from djdesk_bundle.options import DEFAULT_DEPENDENCY_PRUNE, load_options
from tests.bundler.test_config import write_project

FILES = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "ANSWER = 42\n",
    "pkg/migrations/__init__.py": "",
    "pkg/migrations/0001_initial.py": "",
    "pkg/tests/test_mod.py": "",
    "pkg/stubs.pyi": "",
    "pkg/templates/page.html": "<p>",
    "pkg/utils/locale": "a module's data file, not a folder of languages",
    **{
        f"pkg/locale/{lang}/LC_MESSAGES/django.{kind}": kind
        for lang in ("en", "fr", "fr_CA", "de")
        for kind in ("po", "mo")
    },
}


def make_site(root: Path) -> Path:
    site = root / "site-packages"
    for name, text in FILES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    info = site / "pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: pkg\nVersion: 1.0\n")
    record = [f"{name},sha256=x,1\n" for name in FILES] + ["pkg-1.0.dist-info/RECORD,,\n"]
    (info / "RECORD").write_text("".join(record))
    return site


def shipped(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def test_sourceless_pruned_and_importable(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    shape = DependencyShape(prune=DEFAULT_DEPENDENCY_PRUNE, locales=("fr",), sources=False)
    facts = shape_dependencies(site, shape, Path(sys.executable), tmp_path)
    files = shipped(site)
    assert not [name for name in files if name.endswith((".py", ".po", ".pyi"))]
    assert not [name for name in files if "__pycache__" in name or "/tests/" in name]
    assert {"pkg/__init__.pyc", "pkg/mod.pyc", "pkg/migrations/0001_initial.pyc"} <= files
    assert "pkg/templates/page.html" in files
    locales = {name.split("/")[2] for name in files if "/locale/" in name}
    assert locales == {"en", "fr", "fr_CA"}  # English always; "fr" keeps its regions
    assert {"pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD"} <= files
    record = (site / "pkg-1.0.dist-info/RECORD").read_text()
    assert "pkg/mod.py," not in record and "pkg/templates/page.html," in record
    assert facts["sources_dropped"] == 4
    # CPython imports the sourceless modules, and finds the sourceless migrations.
    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-B",
            "-c",
            "import sys, pkgutil; sys.path.insert(0, sys.argv[1]);"
            "import pkg.mod as m, pkg.migrations;"
            "print(m.ANSWER, [i.name for i in pkgutil.iter_modules(pkg.migrations.__path__)])",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["42", "['0001_initial']"]


def test_sources_and_all_locales_on_request(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    shape = DependencyShape(prune=(), locales=(), sources=True)
    shape_dependencies(site, shape, Path(sys.executable), tmp_path)
    files = shipped(site)
    assert {"pkg/mod.py", "pkg/tests/test_mod.py", "pkg/locale/de/LC_MESSAGES/django.po"} <= files
    assert any(name.startswith("pkg/__pycache__/mod.") for name in files)


def test_no_interpreter_keeps_sources(tmp_path: Path) -> None:
    """A cross-target build cannot compile: it must not drop the sources."""
    site = make_site(tmp_path)
    shape = DependencyShape(prune=DEFAULT_DEPENDENCY_PRUNE, locales=(), sources=False)
    shape_dependencies(site, shape, None, tmp_path)
    assert "pkg/mod.py" in shipped(site)


def test_options_from_table_and_env(tmp_path: Path) -> None:
    root = write_project(tmp_path, 'app-dir = "src"\ndependency-locales = ["fr"]')
    options = load_options(root, {"DJDESK_BUNDLE_DEPENDENCY_SOURCES": "true"})
    shape = DependencyShape.from_options(options)
    assert (shape.locales, shape.sources, shape.prune) == (
        ("fr",),
        True,
        tuple(sorted(DEFAULT_DEPENDENCY_PRUNE)),
    )
    env = {"DJDESK_BUNDLE_DEPENDENCY_PRUNE": "**/docs"}
    assert DependencyShape.from_options(load_options(root, env)).prune == ("**/docs",)
    env = {"DJDESK_BUNDLE_EXTEND_DEPENDENCY_PRUNE": "wagtail/test"}
    extended = DependencyShape.from_options(load_options(root, env)).prune
    assert extended == tuple(sorted((*DEFAULT_DEPENDENCY_PRUNE, "wagtail/test")))
