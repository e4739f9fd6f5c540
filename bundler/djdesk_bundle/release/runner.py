"""What a step tells the GitHub runner: outputs, the job summary, annotations, log groups.

One helper for every release step, so that each message is escaped the same way (a
multi-line ``::error::`` shows every line, a ``:`` or ``,`` in a file name does not end
the property) and every multi-line output uses the delimited form the runner documents.
Outside a runner (no ``GITHUB_OUTPUT``), outputs go to stdout and the summary nowhere.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TextIO

Level = Literal["error", "warning", "notice"]


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF escaped (the runner turns them back)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value (``file=``, ``title=``): ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: Level,
    message: str,
    file: Path | str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    """The ``::error file=F,line=N,title=T::message`` line (not printed)."""
    properties = []
    if file is not None:
        properties.append(f"file={escape_property(str(file))}")
        if line is not None:
            properties.append(f"line={line}")
    if title:
        properties.append(f"title={escape_property(title)}")
    joined = f" {','.join(properties)}" if properties else ""
    return f"::{level}{joined}::{escape_data(message)}"


def annotate(
    level: Level,
    message: str,
    file: Path | str | None = None,
    line: int | None = None,
    title: str | None = None,
    stream: TextIO | None = None,
) -> None:
    print(annotation(level, message, file, line, title), file=stream or sys.stdout, flush=True)


@contextmanager
def group(title: str, stream: TextIO | None = None) -> Iterator[None]:
    """A collapsed section of the log around a long output."""
    out = stream or sys.stdout
    print(f"::group::{escape_data(title)}", file=out, flush=True)
    try:
        yield
    finally:
        print("::endgroup::", file=out, flush=True)


def output_lines(values: Mapping[str, str]) -> str:
    """``key=value`` lines; a multi-line value in the ``key<<DELIMITER`` form."""
    lines = []
    for key, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
            lines.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{key}={value}\n")
    return "".join(lines)


def write_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> None:
    text = output_lines(values)
    target = env.get("GITHUB_OUTPUT")
    if not target:
        sys.stdout.write(text)
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(text)


def write_summary(env: Mapping[str, str], markdown: str) -> None:
    """Append to the job summary (every release job writes one)."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n\n")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; ``|`` in a cell escaped."""

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([row(header), "|" + "---|" * len(header), *map(row, rows)])
