"""``djdesk-bundle init``: start a project's ``[tool.djdesk-bundle]`` table and its
electron-builder configuration, from what is found in the project."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

ELECTRON_BUILDER = """\
# electron-builder configuration written by `djdesk-bundle init`; adjust and commit.
appId: {app_id}
productName: {product}
# OS and arch in every installer name, no spaces: the x64 and arm64 builds must not
# collide, and GitHub renames uploads with spaces (the update feed's url would 404).
artifactName: ${{productName}}-${{version}}-${{os}}-${{arch}}.${{ext}}
nsis:
  artifactName: ${{productName}}-Setup-${{version}}-${{arch}}.${{ext}}
directories:
  output: dist/installers
  buildResources: build
files:
  - main.js
  - preload.cjs
  - lib/**
# The payload built by `djdesk-bundle build` ships beside the app, unpacked.
extraResources:
  - from: {output_dir}
    to: django-bundle
mac:
  icon: build/icon.icns
  category: public.app-category.developer-tools
win:
  icon: build/icon.ico
linux:
  icon: build/icons
  category: Development
"""


@dataclass(frozen=True)
class Detected:
    app_dir: str
    app_package: str
    name: str


def detect(project: Path) -> Detected:
    """Find manage.py (at the top or one level down) and the package holding wsgi.py."""
    candidates = sorted([project / "manage.py", *project.glob("*/manage.py")])
    manage = next((p for p in candidates if p.is_file()), None)
    if manage is None:
        raise ConfigError(f"no manage.py in {project} or one level below: is it a Django project?")
    app_dir = manage.parent
    packages = sorted(p.parent.name for p in app_dir.glob("*/wsgi.py"))
    if len(packages) != 1:
        raise ConfigError(f"expected one */wsgi.py in {app_dir}, found {packages or 'none'}")
    name = project.name
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        name = (
            tomllib.loads(pyproject.read_text(encoding="utf-8"))
            .get("project", {})
            .get("name", name)
        )
    rel = app_dir.relative_to(project).as_posix() or "."
    return Detected(app_dir=rel, app_package=packages[0], name=str(name))


def table_text(found: Detected) -> str:
    return (
        "\n[tool.djdesk-bundle]\n"
        f'app-dir = "{found.app_dir}"\n'
        f'app-package = "{found.app_package}"\n'
        f'settings-module = "{found.app_package}.settings"\n'
        f'wsgi-application = "{found.app_package}.wsgi:application"\n'
        'interpreter-manifest = "manifests/python-build-standalone.toml"\n'
        'output-dir = "electron/django-bundle"\n'
        'dist-dir = "dist"\n'
    )


def init_project(project: Path) -> list[Path]:
    """Write the table (and electron-builder.yml when absent); return what was written."""
    project = project.resolve()
    found = detect(project)
    pyproject = project / "pyproject.toml"
    written = []
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        if "tool" in tomllib.loads(text) and "djdesk-bundle" in tomllib.loads(text)["tool"]:
            raise ConfigError(f"{pyproject} already has [tool.djdesk-bundle]; edit it there")
    else:
        text = f'[project]\nname = "{found.name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    pyproject.write_text(text.rstrip("\n") + "\n" + table_text(found), encoding="utf-8")
    written.append(pyproject)
    builder = project / "electron" / "electron-builder.yml"
    if not builder.exists():
        builder.parent.mkdir(exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "", found.name.lower()) or "app"
        builder.write_text(
            ELECTRON_BUILDER.format(
                app_id=f"com.example.{slug}",
                product=found.name,
                output_dir="django-bundle",
            ),
            encoding="utf-8",
        )
        written.append(builder)
    return written
