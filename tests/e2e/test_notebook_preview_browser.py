"""The notebook preview in Chromium: rendered markdown, highlighted and collapsed code,
outputs apart from code, and nothing from the notebook runs (issue #20)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HOSTILE = (
    "## Notes <script>window.__owned = 'script'</script>\n\n"
    "<img src=x onerror=\"window.__owned = 'img'\">"
    "<b onmouseover=\"window.__owned = 'hover'\">hover me</b>"
)


def test_preview_renders_and_runs_nothing(page, inspector_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    page.locator("[data-export-template=schema-audit]").click()
    expect(page.locator("main > h1")).to_have_text("Schema audit: Atlas Telemetry")
    path = tmp_path / "data" / "data_lab" / "atlas-telemetry" / "schema-audit.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[3].source = HOSTILE
    notebook.cells[2].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="accounts.Team: id, name\n"),
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<script>parent.__owned = 'output'</script>"}
        ),
    ]
    nbformat.write(notebook, path)
    page.reload()

    # Markdown is HTML: headings, not "# …" text.
    expect(page.locator(".cell-markdown h1")).to_have_text("Schema audit: Atlas Telemetry")
    expect(page.locator(".cell-markdown h2").first).to_have_text("Notes")
    # Code is highlighted: a keyword is coloured differently from a name.
    code = page.locator(".cell-code").nth(1)
    keyword = code.locator(".highlight .k, .highlight .kn").first
    name = code.locator(".highlight .n").first
    colour = "el => getComputedStyle(el).color"
    assert keyword.evaluate(colour) != name.evaluate(colour)
    # The embedded scan (a long cell) is collapsed until asked for.
    collapsed = page.locator(".code-collapsed")
    expect(collapsed).to_have_count(1)
    expect(collapsed.locator(".highlight")).to_be_hidden()
    collapsed.locator("summary").click()
    expect(collapsed.locator(".highlight")).to_be_visible()
    expect(collapsed).to_contain_text("catalog.datasets")
    # Outputs stand apart from the code above them: their own prompt and background.
    output = code.locator(".cell-output .output")
    expect(output).to_have_text("accounts.Team: id, name\n")
    background = "el => getComputedStyle(el).backgroundColor"
    assert output.evaluate(background) != code.locator(".highlight").evaluate(background)
    expect(code.locator(".cell-output .cell-prompt").first).to_have_text("Out")
    # Nothing ran: not the markdown's script or handlers, not the HTML output (sandboxed).
    page.locator("b", has_text="hover me").hover()
    assert page.evaluate("window.__owned") is None
    assert page.locator(".cell-markdown img").count() == 0
    expect(page.locator("iframe.output-html")).to_have_attribute("sandbox", "")
    assert errors == []
