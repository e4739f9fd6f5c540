"""The desktop shell `djdesk-bundle init` gives a project: the inspector's Electron shell
(this repository's ``electron/``, carried in the wheel as ``djdesk_bundle/shell/``) with
what is the inspector's own replaced by the project's: names, app id, version, the GitHub
repository that publishes and signs its updates, its icon, and where its payload is.

One source, no template to drift: every other byte (security, boot, updates, packaging,
fuses) is the inspector's, and a test renders the inspector's own values back into
``electron/`` byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from djdesk_bundle.errors import ConfigError
from djdesk_bundle.scaffold.shell_listing import listed_files

PACKAGE_SHELL = "shell"  # djdesk_bundle/shell/ in an installed distribution
SHELL_GITIGNORE = "node_modules/\ndist/\n"
MIN_ICON_SIZE = 512  # electron-builder's smallest icon for macOS
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ShellParams:
    """What differs between one project's shell and another's."""

    name: str  # npm package name
    product_name: str
    app_id: str  # reverse-DNS, e.g. org.example.fieldnotes
    version: str  # the app's version: a release tag must equal it
    description: str
    repository: str  # owner/name on GitHub: where updates are published, who signs them
    author: str  # also the Linux packages' maintainer
    payload_dir: str  # the payload, relative to the shell dir (posix)
    dev_app_dir: str  # manage.py's folder, relative to the shell dir, for `npm start`
    dev_settings: str = ""  # "" = manage.py's default


def shell_source() -> Path:
    """The shell's files: in the installed package, else this checkout's electron/."""
    packaged = Path(str(resources.files("djdesk_bundle"))) / PACKAGE_SHELL
    if (packaged / "main.js").is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "electron"


def shell_files(source: Path) -> list[Path]:
    """The files a shell is made of (data/shell-files.txt), relative to ``source``."""
    listing = resources.files("djdesk_bundle").joinpath("data", "shell-files.txt")
    return listed_files(source, listing.read_text(encoding="utf-8"))


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"  # npm's own layout


def _package_json(text: str, params: ShellParams) -> str:
    data = json.loads(text)
    dev_server = {"appDir": params.dev_app_dir}
    if params.dev_settings:
        dev_server["settings"] = params.dev_settings
    own = {"payloadDir": params.payload_dir, "devServer": dev_server}
    data |= {
        "name": params.name,
        "productName": params.product_name,
        "version": params.version,
        "description": params.description,
        "homepage": f"https://github.com/{params.repository}",
        "author": params.author,
        "djdesk": own,
    }
    return _json_text(data)


def _package_lock(text: str, params: ShellParams) -> str:
    data = json.loads(text)
    data["name"] = params.name
    data["version"] = params.version
    data["packages"][""] |= {"name": params.name, "version": params.version}
    return _json_text(data)


def _release_trust(text: str, params: ShellParams) -> str:
    data = json.loads(text)
    data["releaseIdentity"]["repository"] = params.repository
    return _json_text(data)


def _yaml_value(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML scalar


def _builder_config(text: str, params: ShellParams) -> str:
    """electron-builder.yml, edited line by line so its comments stay."""
    owner, repo = params.repository.split("/")
    lines = {
        r"^appId: .*$": f"appId: {params.app_id}",
        r"^productName: .*$": f"productName: {_yaml_value(params.product_name)}",
        r"^  maintainer: .*$": f"  maintainer: {_yaml_value(params.author)}",
        r"^  - from: .*$": f"  - from: {_yaml_value(params.payload_dir)}",
        r"^  owner: .*$": f"  owner: {owner}",
        r"^  repo: .*$": f"  repo: {repo}",
    }
    for pattern, line in lines.items():
        text = _replace_lines(text, pattern, _constant(line), expected=1)
    # Installer names: the product's name as a file name (no spaces: GitHub renames them).
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", params.product_name).strip("-")
    artifact = r"^(\s*artifactName: )[^$]*?(-(?:Setup-)?\$\{version\})"
    return _replace_lines(text, artifact, lambda m: f"{m[1]}{stem}{m[2]}", expected=2)


def _constant(line: str) -> Callable[[re.Match[str]], str]:
    return lambda _: line  # a function, so that backslashes stay as they are


def _replace_lines(
    text: str, pattern: str, line: Callable[[re.Match[str]], str], expected: int
) -> str:
    text, count = re.subn(pattern, line, text, flags=re.MULTILINE)
    if count != expected:
        # The inspector's file changed shape: the scaffold must follow (tested).
        raise RuntimeError(f"electron-builder.yml: {pattern} matched {count} lines")
    return text


RENDERERS = {
    "package.json": _package_json,
    "package-lock.json": _package_lock,
    "trust/release-trust.json": _release_trust,
    "electron-builder.yml": _builder_config,
}


def render_shell(params: ShellParams, source: Path | None = None) -> dict[str, bytes]:
    """Every file of the project's shell, by path relative to the shell dir."""
    source = source or shell_source()
    rendered: dict[str, bytes] = {}
    for relative in shell_files(source):
        key = relative.as_posix()
        data = (source / relative).read_bytes()
        if key in RENDERERS:
            data = RENDERERS[key](data.decode("utf-8"), params).encode("utf-8")
        rendered[key] = data
    return rendered


def check_icon(icon: Path) -> None:
    """A PNG of at least 512x512 (electron-builder makes every platform's icon from it)."""
    try:
        head = icon.read_bytes()[:24]
    except OSError as exc:
        raise ConfigError(f"--icon {icon}: {exc.strerror}") from None
    if not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise ConfigError(f"--icon {icon}: not a PNG file (give a PNG of at least 512x512)")
    width, height = struct.unpack(">II", head[16:24])
    if min(width, height) < MIN_ICON_SIZE:
        raise ConfigError(
            f"--icon {icon}: {width}x{height} is too small (at least "
            f"{MIN_ICON_SIZE}x{MIN_ICON_SIZE}: macOS needs it)"
        )


def write_shell(destination: Path, params: ShellParams, icon: Path | None = None) -> int:
    """Write the shell into ``destination`` (new or empty); the number of files written.
    The icon has been checked (``check_icon``)."""
    files = render_shell(params)
    for relative, data in files.items():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (destination / ".gitignore").write_text(SHELL_GITIGNORE, encoding="utf-8")
    if icon is not None:
        # electron-builder's default icon: build/icon.png (buildResources).
        shutil.copyfile(icon, destination / "build" / "icon.png")
    return len(files) + 1 + (icon is not None)
