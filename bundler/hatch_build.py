"""Carry the repository's Electron shell (``electron/``) into the distribution as
``djdesk_bundle/shell/``, and its pins (``manifests/``) as ``djdesk_bundle/manifests/``:
the inspector's shell is the one source `djdesk-bundle init` renders a project's shell
from, and an installed tool reads its pins from the package (``pins.manifest_file``).
Built from a checkout, the sdist and the wheel copy ``electron/`` and ``manifests/``; a
wheel built from the sdist copies the sdist's copies. Always force-included: hatch's file
selection would drop the shell's ``build/`` folder, and ``manifests/`` is outside the
package."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE_SHELL = "djdesk_bundle/shell"
PACKAGE_MANIFESTS = "djdesk_bundle/manifests"


def _shell_listing(root: Path) -> ModuleType:
    """djdesk_bundle/scaffold/shell_listing.py, without importing the package (its dependencies
    are not installed while it is being built)."""
    spec = importlib.util.spec_from_file_location(
        "shell_listing", root / "djdesk_bundle" / "scaffold" / "shell_listing.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ShellFilesHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return  # an editable install reads electron/ in place
        root = Path(self.root)
        shell = root.parent / "electron"
        if not (shell / "main.js").is_file():
            shell = root / PACKAGE_SHELL  # building from the sdist
        listing = (root / "djdesk_bundle" / "data" / "shell-files.txt").read_text("utf-8")
        for relative in _shell_listing(root).listed_files(shell, listing):
            target = f"{PACKAGE_SHELL}/{relative.as_posix()}"
            build_data["force_include"][str(shell / relative)] = target
        manifests = root.parent / "manifests"
        if not manifests.is_dir():
            manifests = root / PACKAGE_MANIFESTS  # building from the sdist
        for pin in sorted(p for p in manifests.iterdir() if p.is_file()):
            build_data["force_include"][str(pin)] = f"{PACKAGE_MANIFESTS}/{pin.name}"
