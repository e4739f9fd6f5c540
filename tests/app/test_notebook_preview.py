"""The notebook preview: markdown rendered and sanitised, code highlighted, long cells
collapsed, outputs apart; nothing a notebook carries can run (issue #20)."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

import nbformat
import pytest

from inspector import services
from inspector.models import Workspace
from inspector.notebook_preview import render_markdown, stylesheet
from tests.conftest import APP_DIR

pytestmark = pytest.mark.django_db
PREVIEW = "/workspaces/atlas-telemetry/data-lab/schema-audit/"

HOSTILE_MARKDOWN = """# Findings <script>alert('md')</script>

<img src=x onerror="alert('img')"> and <b onmouseover="alert('b')">bold</b>

[a link](javascript:alert('href')) · <a href="https://example.org" onclick="alert(1)">ok</a>

<iframe src="https://example.org"></iframe><style>body{display:none}</style>
"""


@pytest.fixture
def exported(client, lab: Path) -> Path:
    workspace = Workspace.objects.get(slug="atlas-telemetry")
    services.start_scans(workspace)
    response = client.post(
        "/api/workspaces/atlas-telemetry/data-lab/export/",
        {"template": "schema-audit"},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.ACCEPTED
    return lab / "atlas-telemetry" / "schema-audit.ipynb"


def test_markdown_is_rendered_as_html(client, exported: Path) -> None:
    body = client.get(PREVIEW).content.decode()
    assert "<h1>Schema audit: Atlas Telemetry</h1>" in body
    assert "<h2>Relations</h2>" in body
    assert "# Schema audit" not in body  # not shown as raw text any more


def test_script_and_event_handlers_in_markdown_are_neutralised(client, exported: Path) -> None:
    notebook = nbformat.read(exported, as_version=4)
    notebook.cells[0].source = HOSTILE_MARKDOWN
    nbformat.write(notebook, exported)
    body = client.get(PREVIEW).content.decode()
    markdown = body[body.index('<div class="markdown">') :]
    markdown = markdown[: markdown.index("</section>")]
    for forbidden in (
        "<script",
        "onerror",
        "onmouseover",
        "onclick",
        'href="javascript',
        "<iframe",
    ):
        assert forbidden not in markdown.lower(), forbidden
    assert "<style" not in markdown and "<img" not in markdown
    assert "<b>bold</b>" in markdown
    assert '<a href="https://example.org" rel="noopener noreferrer">ok</a>' in markdown


def test_sanitiser_alone() -> None:
    html = str(render_markdown(HOSTILE_MARKDOWN))
    assert "<h1>Findings </h1>" in html  # the script and its text are gone
    # What is left of the attack is text: the refused javascript: link, shown as written.
    assert html.count("alert") == 1 and "<p>[a link](javascript:alert('href')) · <a" in html


def test_code_is_highlighted_and_long_cells_collapsed(client, exported: Path) -> None:
    body = client.get(PREVIEW).content.decode()
    assert '<div class="highlight"><pre><span></span>' in body
    assert (
        '<span class="kn">import</span><span class="w"> </span><span class="nn">json</span>' in body
    )
    # The embedded scan (hundreds of lines) is behind a disclosure; short cells are not.
    assert body.count('<details class="code-collapsed">') == 1
    assert "lines of code</summary>" in body
    assert "inspector/pygments.css" in body
    assert "<script>" not in body.replace('<script src="/static/inspector/app.js" defer>', "")


def test_outputs_are_set_apart_from_code(client, exported: Path) -> None:
    notebook = nbformat.read(exported, as_version=4)
    notebook.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    nbformat.write(notebook, exported)
    body = client.get(PREVIEW).content.decode()
    assert '<div class="cell-output"><span class="cell-prompt" aria-hidden="true">Out</span>' in (
        " ".join(body.split()).replace("> <", "><")
    )
    assert '<pre class="output">42\n</pre>' in body


def test_the_pygments_stylesheet_is_in_step() -> None:
    path = APP_DIR / "inspector" / "static" / "inspector" / "pygments.css"
    assert path.read_text() == stylesheet()
