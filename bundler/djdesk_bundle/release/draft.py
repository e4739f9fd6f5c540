"""The GitHub release of a tag as a draft, made or brought up to date (``gh``).

A re-run of the publish job after a failed attempt finds the draft that attempt made: its
assets are replaced (``--clobber``), assets no longer in the release directory removed,
and the title set again. A release that is already published is never touched: that
stops the job with an error, since installed apps may have fetched it.
"""

from __future__ import annotations

import json
from pathlib import Path

from djdesk_bundle.tools.process import run


class DraftError(Exception):
    pass


def gh(executable: str, *args: str) -> str:
    result = run([executable, *args])
    if result.returncode != 0:
        raise DraftError(f"gh {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def existing_release(executable: str, tag: str) -> dict[str, object] | None:
    result = run([executable, "release", "view", tag, "--json", "isDraft,assets"])
    if result.returncode == 0:
        found: dict[str, object] = json.loads(result.stdout)
        return found
    if "not found" in result.stderr.lower():
        return None
    raise DraftError(f"gh release view {tag} failed: {result.stderr.strip()}")


def draft_release(tag: str, title: str, files: list[Path], executable: str = "gh") -> str:
    """Create the draft of ``tag`` with ``files``, or update the draft a failed attempt
    left; returns what was done ("created" or "updated")."""
    paths = [str(path) for path in sorted(files)]
    known = existing_release(executable, tag)
    if known is None:
        gh(
            executable,
            "release",
            "create",
            tag,
            *paths,
            "--draft",
            "--verify-tag",
            "--title",
            title,
            "--generate-notes",
        )
        return "created"
    if not known.get("isDraft"):
        raise DraftError(f"release {tag} is already published: left as it is")
    gh(executable, "release", "upload", tag, *paths, "--clobber")
    wanted = {path.name for path in files}
    assets = known.get("assets")
    for asset in assets if isinstance(assets, list) else []:
        if isinstance(asset, dict) and asset.get("name") not in wanted:
            gh(executable, "release", "delete-asset", tag, str(asset["name"]), "--yes")
    gh(executable, "release", "edit", tag, "--title", title, "--draft=true")
    return "updated"
