"""What ships of the third-party packages in ``site-packages/``, chosen per file kind.

- Sources: bytecode only by default. The hash-checked ``.pyc`` is written beside its
  module (the legacy, sourceless location CPython imports when no ``.py`` exists) and the
  ``.py`` is dropped; ``dependency-sources = true`` keeps both. The app's own sources
  always ship, so its tracebacks stay readable. A build that cannot run the target's
  interpreter cannot compile, so it keeps the sources.
- Pruned: what no desktop app imports or reads (``dependency-prune`` globs, relative to
  ``site-packages/``): test suites, gettext sources (``.po``; gettext reads ``.mo``),
  type stubs; ``extend-dependency-prune`` adds globs and keeps those. ``*.dist-info`` is
  never touched: the SBOM and ``verify`` read it.
- Locales: every language by default; ``dependency-locales = ["fr", "de"]`` keeps those
  (and English, which Django needs) in every ``locale/`` folder.

RECORD files lose the lines of files that no longer ship, so they describe the payload.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle.build.bytecode import compile_bytecode, drop_sources
from djdesk_bundle.build.extract import PruneReport, remove_paths
from djdesk_bundle.fs.deleter import Deleter
from djdesk_bundle.fs.globs import matching_paths
from djdesk_bundle.options import Options

ALWAYS_KEPT_LOCALE = "en"


@dataclass(frozen=True)
class DependencyShape:
    """The options that decide what of site-packages ships (part of the stage's key)."""

    prune: tuple[str, ...]
    locales: tuple[str, ...]  # () = every language
    sources: bool

    @classmethod
    def from_options(cls, options: Options) -> DependencyShape:
        return cls(
            prune=tuple(sorted(options.dependency_prune_globs)),
            locales=tuple(sorted(options.dependency_locales)),
            sources=options.dependency_sources,
        )

    def key(self) -> str:
        return repr((self.prune, self.locales, self.sources))


def _metadata(top: str) -> bool:
    return top.endswith(".dist-info")


def unwanted_locales(site_packages: Path, keep: tuple[str, ...]) -> list[Path]:
    """Language folders under any ``locale/`` that are not kept (``fr`` keeps ``fr_CA``)."""
    if not keep:
        return []
    wanted = {*keep, ALWAYS_KEPT_LOCALE}
    found = []
    for folder, dirs, _ in os.walk(site_packages):
        if os.path.basename(folder) != "locale":
            continue
        for language in sorted(dirs):
            base = language.replace("-", "_").split("_")[0]
            if language not in wanted and base not in wanted:
                found.append(Path(folder, language))
        dirs[:] = []  # a language folder holds no further locale/
    return found


def prune_dependencies(
    site_packages: Path, shape: DependencyShape, deleter: Deleter | None = None
) -> PruneReport:
    matches = matching_paths(site_packages, shape.prune, skip=_metadata)
    return remove_paths([*matches, *unwanted_locales(site_packages, shape.locales)], deleter)


def prune_records(site_packages: Path) -> None:
    """Keep only the RECORD lines of files that still ship (RECORD itself stays listed)."""
    for record in sorted(site_packages.glob("*.dist-info/RECORD")):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if (site_packages / line.split(",")[0]).exists()]
        if kept != lines:
            record.write_text("".join(kept), encoding="utf-8")


def shape_dependencies(
    site_packages: Path,
    shape: DependencyShape,
    python: Path | None,
    payload: Path,
    deleter: Deleter | None = None,
) -> dict[str, int]:
    """Prune, then compile (with ``python``, the payload's interpreter, when it runs here)."""
    report = prune_dependencies(site_packages, shape, deleter)
    dropped = 0
    if python is not None:
        sourceless = not shape.sources
        compile_bytecode(python, payload, [site_packages], legacy=sourceless)
        if sourceless:
            dropped = drop_sources(site_packages)
    prune_records(site_packages)
    return {"pruned_paths": report.paths, "pruned_bytes": report.bytes, "sources_dropped": dropped}
