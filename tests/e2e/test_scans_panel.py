"""The scans panel in Chromium: one current row per kind, history behind a disclosure,
exports labelled, progress beside its status (issue #20)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def add_running_scan(data_dir: Path, kind: str, progress: int) -> None:
    """A scan still running (the immediate backend finishes them before the page shows)."""
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        (workspace,) = db.execute(
            "SELECT id FROM inspector_workspace WHERE slug = 'atlas-telemetry'"
        )
        db.execute(
            "INSERT INTO inspector_scanjob (workspace_id, kind, status, progress, result,"
            " findings, error, task_result_id, created_at, updated_at, started_at)"
            " VALUES (?, ?, 'running', ?, '{}', '[]', '', '', datetime('now'), datetime('now'),"
            " datetime('now'))",
            (workspace[0], kind, progress),
        )


def test_current_rows_history_and_labelled_exports(
    page, inspector_server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    rows = page.locator("[data-panel=scans] tr")
    expect(rows).to_have_count(3)
    for kind, label in (("schema", "Schema"), ("migrations", "Migrations"), ("logs", "Logs")):
        row = page.locator(f"[data-scan-kind={kind}]")
        expect(row.locator("td").nth(0)).to_contain_text(label)
        expect(row.locator(".badge")).to_have_text("completed")
        expect(row.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
        expect(row.locator("td").nth(3)).to_contain_text(" s")
    history = page.locator("[data-scan-history]")
    expect(history.locator("summary")).to_have_text("History (0 earlier)")
    page.get_by_role("button", name="Rescan").click()
    expect(history.locator("summary")).to_have_text("History (3 earlier)")
    expect(history.locator("li").first).to_be_hidden()  # closed until asked
    history.locator("summary").click()
    expect(history.locator("li")).to_have_count(3)
    expect(history.locator("li").first).to_contain_text("completed")

    # The export navigates to its preview once its request returns: wait for that before
    # leaving, or the script's late navigation aborts ours (net::ERR_ABORTED).
    page.locator("[data-export-template=log-study]").click()
    expect(page).to_have_url(re.compile(r"/data-lab/log-study/$"))
    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    expect(page.locator("[data-scan-kind=export]")).to_contain_text(
        "Export: Log study (log-study.ipynb)"
    )

    add_running_scan(tmp_path / "data", "schema", 40)
    expect(page.locator("[data-scan-kind=schema] .badge")).to_have_text("running", timeout=10_000)
    bar = page.locator("[data-scan-kind=schema] progress")
    expect(bar).to_have_attribute("value", "40")
    # The bar sits beside its status badge, on the same line, inside its cell.
    badge_box = page.locator("[data-scan-kind=schema] .badge").bounding_box()
    bar_box = bar.bounding_box()
    assert badge_box and bar_box
    assert bar_box["x"] > badge_box["x"] + badge_box["width"] - 1
    assert (
        abs((bar_box["y"] + bar_box["height"] / 2) - (badge_box["y"] + badge_box["height"] / 2))
        < badge_box["height"]
    )
