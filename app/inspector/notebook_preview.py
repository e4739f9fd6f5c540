"""The static preview of an exported notebook, rendered on the server.

Markdown becomes HTML (markdown-it-py) and is then sanitised (nh3: no script, no event
handler attributes, no images fetched from elsewhere, links only to http(s)/mailto);
code is highlighted by Pygments into classes styled by a static stylesheet; long code
cells are collapsed. Outputs are escaped text, or HTML confined to a sandboxed frame.
Nothing in a notebook runs here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import nh3
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from pygments.formatters import HtmlFormatter

# Code cells longer than this are shown collapsed behind a disclosure.
COLLAPSE_AFTER_LINES = 15
ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img"}  # no request to anywhere from a preview
URL_SCHEMES = {"http", "https", "mailto"}


# markdown-it and Pygments load on the first preview, not with the URLconf: every
# launch's first page would otherwise wait for them.
@cache
def _formatter() -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter

    # static/inspector/pygments.css is stylesheet() below (a test keeps them in step).
    return HtmlFormatter(cssclass="highlight", style="default")


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


@dataclass
class Output:
    text: str = ""
    html: str = ""  # untrusted: only ever placed in a sandboxed iframe's srcdoc


@dataclass
class PreviewCell:
    type: str
    html: SafeString
    lines: int = 0
    collapsed: bool = False
    outputs: list[Output] = field(default_factory=list)


def stylesheet() -> str:
    """The text of static/inspector/pygments.css (rewrite the file from it on a change)."""
    header = "/* Pygments' default style: made by inspector.notebook_preview.stylesheet(). */\n"
    return header + _formatter().get_style_defs(".highlight") + "\n"


def render_markdown(source: str) -> SafeString:
    html = _markdown().render(source)
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer"
    )
    return mark_safe(clean)  # sanitised by nh3 just above


def highlight_code(source: str, language: str) -> SafeString:
    from pygments import highlight
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.special import TextLexer
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = TextLexer()
    return mark_safe(highlight(source, lexer, _formatter()))  # Pygments escapes the source


def _outputs(cell: Any) -> list[Output]:
    outputs = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/html" in data:
            outputs.append(Output(html="".join(data["text/html"])))
        else:
            text = output.get("text") or data.get("text/plain") or output.get("evalue", "")
            outputs.append(Output(text="".join(text)))
    return outputs


def preview_cells(notebook: Any) -> list[PreviewCell]:
    language = notebook.metadata.get("language_info", {}).get("name", "python")
    cells = []
    for cell in notebook.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            cells.append(PreviewCell("markdown", render_markdown(source)))
        elif cell.cell_type == "code":
            lines = source.count("\n") + 1
            cells.append(
                PreviewCell(
                    "code",
                    highlight_code(source, language),
                    lines=lines,
                    collapsed=lines > COLLAPSE_AFTER_LINES,
                    outputs=_outputs(cell),
                )
            )
        else:  # raw cells are shown as they are, escaped
            cells.append(PreviewCell("raw", highlight_code(source, "text")))
    return cells
