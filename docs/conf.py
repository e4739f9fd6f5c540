"""Sphinx configuration for the DJDesk documentation."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

project = "DJDesk"
author = "DJDesk contributors"
# A fixed year (not today's): the docs bundle ships in the reproducible payload.
copyright = f"2026, {author}"
release = tomllib.loads((ROOT / "app" / "pyproject.toml").read_text())["project"]["version"]
version = release

extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"DJDesk {release}"
html_last_updated_fmt = None  # no wall-clock time in the output: the bundle is reproducible
html_show_sphinx = False
