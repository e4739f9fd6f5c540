"""The schema diagram in Chromium, under the desktop shell's Content-Security-Policy:
boxes with fields, labelled relation edges, an automatic layout without overlaps, pan,
zoom and a filter by app, readable at 10 models and usable at 100 (issue #20).
Also makes the README's screenshots (into docs/_static/screenshots/ with
DJDESK_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import sqlite3
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import REPO, load_script

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS = REPO / "docs" / "_static" / "screenshots"
DIAGRAM = "[data-schema-diagram]"

# Every pair of model boxes, as laid out on screen, is apart.
OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('[data-schema-diagram] g.node rect.box')]
    .map((r) => r.getBoundingClientRect());
  const hits = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) hits.push(i);
  }));
  return hits.length;
}"""
VIEWBOX = "() => document.querySelector('[data-schema-diagram] svg').getAttribute('viewBox')"


def shell_csp() -> str:
    """The Content-Security-Policy the Electron shell sends (electron/lib/security.js)."""
    source = (REPO / "electron" / "lib" / "security.js").read_text()
    block = source[
        source.index("CONTENT_SECURITY_POLICY = [") : source.index(
            "]", source.index("CONTENT_SECURITY_POLICY = [")
        )
    ]
    return "; ".join(re.findall(r'"([^"]+)"', block))


@pytest.fixture
def strict_page(page):  # type: ignore[no-untyped-def]
    """The page served with the shell's CSP; CSP violations and script errors are kept."""
    csp = shell_csp()
    assert "script-src 'self'" in csp

    def with_csp(route):  # type: ignore[no-untyped-def]
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": csp}
        )

    page.route("**/*", with_csp)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error" and page.problems.append(message.text),
    )
    return page


def viewbox(page) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(v) for v in page.evaluate(VIEWBOX).split()]


def test_atlas_diagram(strict_page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    page = strict_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    diagram = page.locator(DIAGRAM)
    expect(diagram.locator("g.node")).to_have_count(10)
    expect(diagram.locator("g.node.ghost")).to_have_count(0)
    dataset = diagram.locator('g.node[data-model="catalog.datasets.Dataset"]')
    expect(dataset).to_contain_text("owner ForeignKey")
    expect(dataset).to_contain_text("catalog.datasets")
    expect(diagram.locator('g.node[data-model="catalog.datasets.TimeStamped"]')).to_contain_text(
        "«abstract»"
    )
    expect(diagram.locator("g.edge")).to_have_count(10)
    labels = diagram.locator("g.edge-label").all_text_contents()
    for label in ("owner · FK", "teams · M2M", "source · 1:1", "inherits", "proxy of"):
        assert label in labels, labels
    assert labels.count("inherits") == 2
    assert page.evaluate(OVERLAPS) == 0
    # Readable: at this size the whole schema fits at full scale (text is 12 px).
    field = dataset.locator("text.field").first.bounding_box()
    assert field and field["height"] >= 11

    # Zoom with the buttons and the wheel, pan by dragging, fit again.
    fitted = viewbox(page)
    diagram.get_by_role("button", name="Zoom in").click()
    assert viewbox(page)[2] < fitted[2]
    diagram.get_by_role("button", name="Fit").click()
    assert viewbox(page) == fitted
    box = diagram.locator("svg").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(diagram.locator("svg")).not_to_have_attribute("viewBox", " ".join(map(str, fitted)))
    zoomed = viewbox(page)
    assert zoomed[2] < fitted[2]
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40)
    page.mouse.up()
    panned = viewbox(page)
    assert panned[0] < zoomed[0] and panned[1] < zoomed[1] and panned[2] == zoomed[2]

    # The keyboard does the same once the diagram has the focus.
    diagram.locator("svg").focus()
    page.keyboard.press("0")
    assert viewbox(page) == fitted
    page.keyboard.press("+")
    assert viewbox(page)[2] < fitted[2]
    before = viewbox(page)
    page.keyboard.press("ArrowRight")
    assert viewbox(page)[0] > before[0]

    # One app: its models, and the models they relate to, ghosted.
    diagram.locator("[data-diagram-app]").select_option("accounts")
    expect(diagram.locator("g.node:not(.ghost)")).to_have_count(2)
    expect(diagram.locator('g.node.ghost[data-model="catalog.datasets.Dataset"]')).to_have_count(1)
    diagram.locator("[data-diagram-app]").select_option("")
    expect(diagram.locator("g.node")).to_have_count(10)
    assert page.problems == []


def test_a_100_model_project_stays_usable(
    strict_page, inspector_server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = strict_page
    big = tmp_path / "big"
    load_script("fetch_samples").make_generated(big, 10, 10)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(inspector_server + "/workspaces/new/")
    page.fill("input[name=name]", "Hundred")
    page.fill("input[name=project_path]", str(big))
    page.click("button[type=submit]")
    diagram = page.locator(DIAGRAM)
    expect(diagram.locator("g.node")).to_have_count(100)
    expect(diagram.locator("g.edge")).to_have_count(90)
    assert page.evaluate(OVERLAPS) == 0
    # Fitted, everything is in view; zoomed in, a box is drawn larger.
    svg_box = diagram.locator("svg").bounding_box()
    assert svg_box
    boxes = diagram.locator("g.node rect.box")
    for i in (0, 55, 99):
        b = boxes.nth(i).bounding_box()
        assert b and b["x"] >= svg_box["x"] - 1 and b["y"] >= svg_box["y"] - 1
        assert b["x"] + b["width"] <= svg_box["x"] + svg_box["width"] + 1
        assert b["y"] + b["height"] <= svg_box["y"] + svg_box["height"] + 1
    before = boxes.first.bounding_box()
    for _ in range(3):
        diagram.get_by_role("button", name="Zoom in").click()
    after = boxes.first.bounding_box()
    assert before and after and after["width"] > before["width"] * 1.8
    # Grouped by app: ten models at a time.
    diagram.locator("[data-diagram-app]").select_option("app03")
    expect(diagram.locator("g.node")).to_have_count(10)
    expect(diagram.locator('g.node[data-model="app03.Model09"]')).to_have_count(1)
    assert page.problems == []


# What the README's pictures show instead of this run's clock and temporary directory.
FROZEN_AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
PROJECT_PATH_LABEL = "~/projects/atlas-telemetry/djdesk"
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how Django stores a DateTimeField in SQLite


def freeze_recorded_times(data_dir: Path) -> None:
    """Give every scan and the export fixed times, so the pictures do not change per run."""
    (database,) = data_dir.rglob("*.sqlite3")
    with sqlite3.connect(database) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM inspector_scanjob ORDER BY id")]
        for i, scan_id in enumerate(ids):
            started = FROZEN_AT + timedelta(seconds=i)
            finished = started + timedelta(milliseconds=20 + 10 * (i % 3))
            db.execute(
                "UPDATE inspector_scanjob SET started_at = ?, finished_at = ? WHERE id = ?",
                (started.strftime(SQLITE_TIME), finished.strftime(SQLITE_TIME), scan_id),
            )
    db.close()
    for export in data_dir.rglob("*.ipynb"):
        os.utime(export, (FROZEN_AT.timestamp(), FROZEN_AT.timestamp()))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (signature, then the IHDR chunk)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_readme_screenshots(browser, inspector_server: str, tmp_path: Path) -> None:
    """The README's pictures, made from a real run with frozen times and a fixed path label.

    They are written into the repository only with DJDESK_UPDATE_SCREENSHOTS=1, so a plain
    test run leaves tracked files alone; otherwise they go to this test's tmp dir."""
    from playwright.sync_api import expect

    target = SCREENSHOTS if os.environ.get("DJDESK_UPDATE_SCREENSHOTS") == "1" else tmp_path
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="en-US", timezone_id="UTC"
    )
    page = context.new_page()
    try:
        page.goto(inspector_server + "/workspaces/atlas-telemetry/")
        page.get_by_role("button", name="Rescan").click()
        page.locator("[data-export-template=schema-audit]").click()
        expect(page.locator("main > h1")).to_have_text("Schema audit: Atlas Telemetry")
        freeze_recorded_times(tmp_path / "data")
        # The browser's clock stands still: "Updated" shows FROZEN_AT and no later poll
        # (a timer) replaces what is on screen.
        page.clock.install(time=FROZEN_AT)
        page.clock.pause_at(FROZEN_AT)
        page.goto(inspector_server + "/workspaces/atlas-telemetry/")
        expect(page.locator("[data-poll-status]")).to_have_text("Updated 9:30:00 AM")
        expect(page.locator(f"{DIAGRAM} g.node")).to_have_count(10)
        page.locator("[data-scan-history] summary").click()
        page.locator("[data-project-path]").evaluate(
            "(code, label) => { code.textContent = label; }", PROJECT_PATH_LABEL
        )
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=target / "dashboard.png", full_page=True)
        panel = page.locator(".panel-schema")
        panel_box = panel.bounding_box()
        panel.screenshot(path=target / "schema-diagram.png")
    finally:
        context.close()
    width, height = png_size(target / "dashboard.png")
    assert width == 1440 and height >= 1000
    assert panel_box
    # The element's box is fractional; the picture is whole pixels.
    shot_width, shot_height = png_size(target / "schema-diagram.png")
    assert abs(shot_width - panel_box["width"]) <= 1 and abs(shot_height - panel_box["height"]) <= 1
