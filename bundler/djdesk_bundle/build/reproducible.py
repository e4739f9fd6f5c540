"""``build --check-reproducible``: two independent builds, compared byte for byte.

Independent means: each build has its own output and dist directories and its own,
empty cache, so the interpreter is extracted and the dependencies are installed twice
(nothing comes from the stage cache or the packed-member cache); and each runs under a
different umask, time zone and locale. Only the verified interpreter download is shared
(copied into each cache: it is the pinned input, checked by sha256, not a build product),
and uv's own download cache, as for any second project on the machine. When the archives
differ, ``diff`` says where.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from djdesk_bundle.build.fetch import cached_path, fetch_stage
from djdesk_bundle.build.pipeline import BuildResult, build
from djdesk_bundle.build.resolve import resolve_pin
from djdesk_bundle.inspect.diff import DiffReport, diff_payloads
from djdesk_bundle.options import Options
from djdesk_bundle.ui import Reporter


@dataclass(frozen=True)
class MachineState:
    """What differs between the two builds' machines besides their directories."""

    umask: int
    tz: str
    locale: str

    def describe(self) -> str:
        return f"umask {self.umask:03o}, TZ={self.tz}, LC_ALL={self.locale}"


MACHINES = (
    MachineState(umask=0o022, tz="UTC", locale="C.UTF-8"),
    MachineState(umask=0o077, tz="Asia/Tokyo", locale="POSIX"),
)
LOCALE_VARIABLES = ("TZ", "LC_ALL", "LANG")


def _tzset() -> None:
    if hasattr(time, "tzset"):  # Unix only; Windows processes read TZ when they start
        time.tzset()


@contextmanager
def machine_state(state: MachineState) -> Iterator[dict[str, str]]:
    """Run the enclosed build (and every process it starts) under ``state``; yields its env."""
    saved = {name: os.environ.get(name) for name in LOCALE_VARIABLES}
    os.environ.update(TZ=state.tz, LC_ALL=state.locale, LANG=state.locale)
    _tzset()
    old_umask = os.umask(state.umask)
    try:
        yield dict(os.environ)
    finally:
        os.umask(old_umask)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _tzset()


@dataclass
class ReproducibilityReport:
    builds: list[BuildResult] = field(default_factory=list)
    difference: DiffReport | None = None  # None: identical archives

    @property
    def reproducible(self) -> bool:
        return self.difference is None


def check_reproducible(
    options: Options, reporter: Reporter, env: Mapping[str, str]
) -> ReproducibilityReport:
    pin = resolve_pin(options)
    download = fetch_stage(options, pin, reporter)  # once, verified, from the user's cache
    report = ReproducibilityReport()
    with tempfile.TemporaryDirectory(prefix="djdesk-repro-") as scratch:
        for number, state in enumerate(MACHINES, start=1):
            where = Path(scratch) / f"build-{number}"
            cache = where / "cache"
            seeded = cached_path(cache, pin)
            seeded.parent.mkdir(parents=True)
            shutil.copyfile(download, seeded)
            reporter.info(
                f"[bold]reproducibility build {number}/{len(MACHINES)}[/bold] in {where} "
                f"(empty cache; {state.describe()})"
            )
            with machine_state(state) as build_env:
                build_env.update({k: v for k, v in env.items() if k not in LOCALE_VARIABLES})
                report.builds.append(
                    build(
                        replace(
                            options,
                            cache_dir=str(cache),
                            output_dir=str(where / "out"),
                            dist_dir=str(where / "dist"),
                        ),
                        reporter,
                        build_env,
                        force=True,
                    )
                )
        first, second = report.builds
        if first.archive_sha256 != second.archive_sha256:
            report.difference = diff_payloads(first.archive, second.archive)
    return report
