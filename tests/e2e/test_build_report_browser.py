"""The build report rendered by Debian's Chromium: the treemap is drawn (every part a
visible block with its packages inside), and the page loads nothing from anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.inspect.report import ReportInputs, write_report
from tests.bundler.test_report import fake_payload

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_report_renders_its_treemap_in_chromium(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    payload = fake_payload(tmp_path / "payload")
    report = write_report(
        ReportInputs(payload, timings=[("fetch", 1.0), ("install", 4.0)], left_out=[".env"]),
        tmp_path / "report.html",
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    treemap = page.locator("svg#treemap")
    expect(treemap).to_be_visible()
    parts = page.locator("svg#treemap g.part")
    expect(parts).to_have_count(5)  # site-packages, python, static, app, top-level files
    site = page.locator('svg#treemap g.part[data-name="site-packages"] rect')
    box = site.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    django = page.locator('svg#treemap g.entry[data-name="django"] rect').bounding_box()
    assert django is not None and django["width"] * django["height"] > 0
    # Inside its part: the package's block lies within site-packages' block.
    assert box["x"] <= django["x"] and django["x"] + django["width"] <= box["x"] + box["width"]
    expect(page.locator("table.components")).to_contain_text("BSD-3-Clause")
    expect(page.locator("table.timings")).to_contain_text("5.0 s")
    expect(page.locator("ul.left-out")).to_contain_text(".env")
    assert requests == [report.as_uri()]
