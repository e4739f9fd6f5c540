"""Where djdesk-bundle writes inside a project, and the rule that keeps a payload from
shipping inside the next one."""

from __future__ import annotations

from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.options import Options

# The folder `init` puts the payload and the archives in (git-ignored by `init`); the app
# stage never copies it, so it may sit inside the app dir of a flat project.
TOOL_DIR = ".djdesk"
DEFAULT_OUTPUT_DIR = f"{TOOL_DIR}/{contract.ARCHIVE_ROOT}"
DEFAULT_DIST_DIR = f"{TOOL_DIR}/dist"


def check_outputs_outside_app(options: Options, output: Path, dist: Path) -> None:
    """Refuse an output or dist dir inside the app dir (but outside TOOL_DIR): the app
    stage would copy the last payload into the next one."""
    app = options.app_path
    for key, path, default in (
        ("output-dir", output.resolve(), DEFAULT_OUTPUT_DIR),
        ("dist-dir", dist.resolve(), DEFAULT_DIST_DIR),
    ):
        inside = path == app or path.is_relative_to(app)
        if inside and TOOL_DIR not in path.relative_to(app).parts:
            raise ConfigError(
                f"{key} {path} is inside app-dir {app}, so every payload would ship the "
                f'previous one: set {key} = "{default}" (or a folder outside app-dir) '
                "in [tool.djdesk-bundle]"
            )
