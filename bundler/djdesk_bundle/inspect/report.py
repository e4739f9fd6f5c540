"""The build report: one self-contained HTML page (no script, no external file) that shows
what makes a payload big (a treemap by part and by package), the stage timings, the SBOM's
components and licences, and the app's files that were left out.

``build`` writes it beside the archive (``<archive stem>.report.html``); ``djdesk-bundle
report`` writes it for any payload dir.
"""

from __future__ import annotations

import html
import json
import stat
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import squarify  # type: ignore[import-untyped]

from djdesk_bundle import contract
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.fs.tree import walk
from djdesk_bundle.sbom.read import read_sbom

WIDTH, HEIGHT = 1100, 560
LABEL_HEIGHT = 16  # a lower block shows its name on hover only
SHOWN_LEFT_OUT = 200
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1")


@dataclass(frozen=True)
class ReportInputs:
    payload: Path
    archive: Path | None = None
    archive_sha256: str = ""
    timings: Sequence[tuple[str, float]] = ()
    left_out: Sequence[str] = ()  # the app's files that did not ship, each with why


@dataclass(frozen=True)
class Area:
    name: str
    size: int
    children: tuple[Area, ...] = ()


def report_path(archive: Path) -> Path:
    return archive.with_name(archive.name.removesuffix(".tar.gz") + ".report.html")


def _file_sizes(root: Path) -> dict[str, int]:
    """Payload-relative path -> size of every regular file (links and the rest: 0)."""
    return {path: info.st_size for path, info in walk(root) if not _is_dir(info.st_mode)}


def _is_dir(mode: int) -> bool:
    return stat.S_ISDIR(mode)


def _distribution_of(site_packages: Path) -> dict[str, str]:
    """Top-level name in site-packages -> the distribution that installed it (RECORD)."""
    owners: dict[str, str] = {}
    for record in sorted(site_packages.glob("*.dist-info/RECORD")):
        name = record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        for line in record.read_text(encoding="utf-8").splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            if top and not top.startswith(".."):
                owners.setdefault(top, name)
    return owners


def _stdlib_entry(path: str) -> str:
    """The interpreter by what takes the room: the standard library's modules and
    packages (lib/python3.X/NAME, Lib/NAME on Windows), else bin, include, ..."""
    parts = path.split("/")
    if len(parts) > 2 and parts[0] == "lib" and parts[1].startswith("python"):
        return f"lib/{parts[2]}"
    if len(parts) > 1 and parts[0] == "Lib":
        return f"Lib/{parts[1]}"
    return parts[0]


def payload_areas(payload: Path) -> Area:
    """The payload's size as a two-level tree: its parts, then within each part its
    packages (site-packages, by distribution) or its top-level entries."""
    sizes = _file_sizes(payload)
    owners = _distribution_of(payload / contract.SITE_PACKAGES_DIR)
    grouped: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, size in sizes.items():
        part, _, rest = path.partition("/")
        if not rest:
            grouped["(top-level files)"][part] += size
            continue
        top = rest.split("/", 1)[0]
        if part == contract.SITE_PACKAGES_DIR:
            top = owners.get(top, top)
        elif part == contract.PYTHON_DIR:
            top = _stdlib_entry(rest)
        grouped[part][top] += size
    parts = [
        Area(part, sum(children.values()), _sorted(Area(n, s) for n, s in children.items()))
        for part, children in grouped.items()
    ]
    return Area("payload", sum(sizes.values()), _sorted(parts))


def _sorted(areas: Iterable[Area]) -> tuple[Area, ...]:
    return tuple(sorted((a for a in areas if a.size > 0), key=lambda a: (-a.size, a.name)))


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _layout(
    areas: Sequence[Area], x: float, y: float, dx: float, dy: float
) -> list[dict[str, float]]:
    if not areas or dx <= 0 or dy <= 0:
        return []
    normalized = squarify.normalize_sizes([a.size for a in areas], dx, dy)
    rects: list[dict[str, float]] = squarify.squarify(normalized, x, y, dx, dy)
    return rects


def _rect(area: Area, rect: dict[str, float], fill: str, path: str, css: str) -> str:
    x, y, dx, dy = (round(rect[k], 1) for k in ("x", "y", "dx", "dy"))
    title = html.escape(f"{path}: {_megabytes(area.size)}")
    label = ""
    # The longest text that fits (about 6.5 px a character at 11 px), else the hover title.
    fitting = [
        t for t in (f"{area.name} {_megabytes(area.size)}", area.name) if len(t) * 6.5 + 8 <= dx
    ]
    if fitting and dy >= LABEL_HEIGHT:
        text = html.escape(fitting[0])
        label = f'<text x="{x + 4}" y="{y + 13}" class="{css}-label">{text}</text>'
    return (
        f'<g class="{css}" data-name="{html.escape(area.name)}" data-size="{area.size}">'
        f"<title>{title}</title>"
        f'<rect x="{x}" y="{y}" width="{dx}" height="{dy}" fill="{fill}"/>{label}</g>'
    )


def treemap_svg(root: Area) -> str:
    """Parts as coloured blocks, each divided into its packages or entries."""
    shapes = []
    for index, (part, rect) in enumerate(
        zip(root.children, _layout(root.children, 0, 0, WIDTH, HEIGHT), strict=True)
    ):
        fill = PALETTE[index % len(PALETTE)]
        shapes.append(_rect(part, rect, fill, part.name, "part"))
        # Below its label; a block too small for that shows its part alone.
        inner = (rect["x"] + 2, rect["y"] + 18, rect["dx"] - 4, rect["dy"] - 20)
        children = _layout(part.children, *inner)
        for child, child_rect in zip(part.children, children, strict=False):
            shapes.append(_rect(child, child_rect, fill, f"{part.name}/{child.name}", "entry"))
    return (
        f'<svg id="treemap" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="payload size by part and package">{"".join(shapes)}</svg>'
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _licences(component: dict[str, Any]) -> str:
    names = []
    for entry in component.get("licenses", []):
        licence = entry.get("license", {})
        names.append(entry.get("expression") or licence.get("id") or licence.get("name") or "")
    return ", ".join(n for n in names if n) or "(none declared)"


def sbom_rows(payload: Path) -> list[tuple[str, str, str, str]]:
    sbom_file = payload / contract.SBOM
    if not sbom_file.is_file():
        return []
    components = read_sbom(sbom_file).components
    return sorted(
        (c.get("name", ""), c.get("version", ""), c.get("type", ""), _licences(c))
        for c in components
    )


STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1140px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #555; } code { font-size: 13px; }
svg rect { stroke: #fff; stroke-width: 1; } g.entry rect { fill-opacity: .55; }
g:hover > rect { fill-opacity: 1; stroke: #222; }
text { font-size: 11px; fill: #111; pointer-events: none; } .part-label { font-weight: 600; }
table { border-collapse: collapse; margin-top: 8px; }
td, th { padding: 2px 10px; text-align: left; }
tbody tr:nth-child(odd) { background: #f4f4f4; } td.num { text-align: right; }
.bar { display: inline-block; height: 10px; background: #4e79a7; }
"""


def _header(inputs: ReportInputs) -> str:
    info_file = inputs.payload / contract.BUILD_INFO
    info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.is_file() else {}
    app = info.get("app", {}) if isinstance(info.get("app"), dict) else {}
    interpreter = info.get("interpreter", {}) if isinstance(info.get("interpreter"), dict) else {}
    name = app.get("name") or info.get("name") or inputs.payload.name
    version = app.get("version") or info.get("version") or ""
    lines = [f"<h1>{html.escape(f'{name} {version}'.strip())}: build report</h1>"]
    facts = [f"payload {inputs.payload}"]
    if interpreter.get("triple"):
        facts.append(f"target {interpreter['triple']}")
    if inputs.archive is not None and inputs.archive.is_file():
        size = _megabytes(inputs.archive.stat().st_size)
        facts.append(f"archive {inputs.archive.name} ({size}, sha256 {inputs.archive_sha256})")
    lines += [f'<p class="meta">{html.escape(fact)}</p>' for fact in facts]
    return "".join(lines)


def _timings(timings: Sequence[tuple[str, float]]) -> str:
    if not timings:
        return "<p>Stage timings are in the report a build writes beside its archive.</p>"
    longest = max(seconds for _, seconds in timings) or 1.0
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td class=num>{seconds:.1f} s</td>"
        f'<td><span class="bar" style="width:{int(300 * seconds / longest)}px"></span></td></tr>'
        for name, seconds in timings
    )
    total = sum(seconds for _, seconds in timings)
    return (
        f'<table class="timings"><tbody>{rows}<tr><th>total</th>'
        f"<th class=num>{total:.1f} s</th><th></th></tr></tbody></table>"
    )


def _largest(root: Area) -> str:
    rows = sorted(
        ((part.name, child.name, child.size) for part in root.children for child in part.children),
        key=lambda row: -row[2],
    )[:25]
    return _table(
        ("part", "package or entry", "size"),
        [(part, name, _megabytes(size)) for part, name, size in rows],
        "largest",
    )


def _left_out(paths: Sequence[str]) -> str:
    if not paths:
        return "<p>None: every file of the app dir that git tracks or would track shipped.</p>"
    shown = "".join(f"<li><code>{html.escape(p)}</code></li>" for p in paths[:SHOWN_LEFT_OUT])
    more = len(paths) - SHOWN_LEFT_OUT
    tail = f"<p>… and {more} more.</p>" if more > 0 else ""
    intro = f"<p>{len(paths)} file(s) of the app dir did not ship:</p>"
    return f'{intro}<ul class="left-out">{shown}</ul>{tail}'


def render_report(inputs: ReportInputs) -> str:
    root = payload_areas(inputs.payload)
    components = sbom_rows(inputs.payload)
    parts = ", ".join(f"{p.name} {_megabytes(p.size)}" for p in root.children)
    sections = [
        _header(inputs),
        f"<h2>What makes it {_megabytes(root.size)}</h2><p>{html.escape(parts)}</p>",
        treemap_svg(root),
        "<h2>The largest packages and entries</h2>",
        _largest(root),
        "<h2>Stage timings</h2>",
        _timings(inputs.timings),
        f"<h2>Components ({len(components)}, from the SBOM)</h2>",
        _table(("name", "version", "type", "licences"), components, "components"),
        "<h2>Left out</h2>",
        _left_out(inputs.left_out),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        # Self-contained: nothing is loaded, not even from the page's own folder.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>build report</title><style>{STYLE}</style></head><body>"
        + "".join(sections)
        + "</body></html>\n"
    )


def write_report(inputs: ReportInputs, destination: Path) -> Path:
    write_atomic(destination, render_report(inputs))
    return destination
