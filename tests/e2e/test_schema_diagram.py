"""The schema diagram in Chromium, under the desktop shell's Content-Security-Policy:
boxes with fields, labelled relation edges, an automatic layout without overlaps, pan,
zoom and a filter by app, readable at 10 models and usable at 100 (issue #20).
Also writes the README's screenshots (docs/_static/screenshots/)."""

from __future__ import annotations

import re
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


def test_readme_screenshots(page, inspector_server: str) -> None:
    """The README's pictures, made from a real run (rewritten on every run)."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    page.get_by_role("button", name="Rescan").click()
    page.locator("[data-export-template=schema-audit]").click()
    expect(page.locator("main > h1")).to_have_text("Schema audit: Atlas Telemetry")
    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    expect(page.locator("[data-poll-status]")).to_contain_text("Updated", timeout=10_000)
    expect(page.locator(f"{DIAGRAM} g.node")).to_have_count(10)
    page.locator("[data-scan-history] summary").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
    page.locator(".panel-schema").screenshot(path=SCREENSHOTS / "schema-diagram.png")
    for name in ("dashboard.png", "schema-diagram.png"):
        assert (SCREENSHOTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
