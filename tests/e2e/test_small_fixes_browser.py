"""The small fixes of issue #20, seen from Chromium: a GET on a POST-only endpoint answers
JSON like every other API error (a readable page for a page address), and the docs footer
names its copyright holder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FETCH = """async (url) => {
  const response = await fetch(url);
  return {status: response.status, type: response.headers.get('content-type'),
          allow: response.headers.get('allow'), body: await response.json()};
}"""


def test_a_get_on_a_post_only_endpoint_is_json(page, inspector_server: str) -> None:
    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    for url in ("/api/workspaces/atlas-telemetry/scans/", "/api/task-runs/1/cancel/"):
        answer = page.evaluate(FETCH, url)
        assert answer["status"] == 405 and answer["type"] == "application/json"
        assert answer["allow"] == "POST"
        assert answer["body"] == {
            "error": "GET is not allowed here (allowed: POST)",
            "field": "method",
        }


def test_opening_a_post_only_page_address_is_a_readable_page(page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    response = page.goto(inspector_server + "/workspaces/atlas-telemetry/rescan/")
    assert response and response.status == 405 and response.headers["allow"].startswith("POST")
    expect(page).to_have_title("GET not allowed · DJDesk inspector")
    expect(page.locator("h1")).to_have_text("GET is not allowed here")
    expect(page.locator("main")).to_contain_text("/workspaces/atlas-telemetry/rescan/ only answers")
    page.get_by_role("link", name="Back to the inspector").click()
    expect(page).to_have_url(inspector_server + "/workspaces/atlas-telemetry/")
    expect(page.get_by_role("heading", name="Atlas Telemetry", level=1)).to_be_visible()


def test_the_docs_footer_names_its_holder(page, tmp_path: Path) -> None:
    out = tmp_path / "html"
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(REPO / "docs"), str(out)],
        check=True,
    )
    page.goto((out / "index.html").as_uri())
    footer = page.locator("footer .copyright")
    assert footer.inner_text().split() == ["Copyright", "©", "2026,", "DJDesk", "contributors"]
