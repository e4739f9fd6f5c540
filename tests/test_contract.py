"""The payload contract is written once: ``bundler/djdesk_runtime/contract.json``.

The bundler, the launcher, the desktop settings and the Electron shell read it; this test
fails when one of its names is typed again as a string literal anywhere in their code.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CONTRACT = REPO / "bundler" / "djdesk_runtime" / "contract.json"
SHELL_COPY = REPO / "electron" / "contract.json"
# Where the names may not be re-typed: every module of the bundler, the runtime, the
# Django project, the shell and the developer scripts.
PYTHON_CODE = ["bundler/**/*.py", "app/djdesk/**/*.py", "app/inspector/**/*.py", "scripts/*.py"]
JS_CODE = ["electron/*.js", "electron/*.cjs", "electron/lib/*.js"]
# Names too generic to police (also plain English, or standard outside this project), and
# the desktop overrides' names, which users write in [tool.djdesk-bundle] and overrides.py
# defines (tests/runtime/test_overrides.py checks they are the contract's).
NOT_POLICED = {
    "-I",
    "127.0.0.1",
    "localhost",
    "SOURCE_DATE_EPOCH",
    "DJANGO_SETTINGS_MODULE",
    *json.loads(CONTRACT.read_text())["launcher"]["desktop_overrides"],
}
# Where the same spelling means something else, or bootstraps the rest.
ALLOWED = {
    # The preload finds the contract through this argument (a sandboxed preload cannot read files).
    "electron/preload.cjs": {"--djdesk-ipc="},
    # Every Python's own library folder: the interpreter's prune globs, not the payload's dir.
    "bundler/djdesk_bundle/options.py": {"site-packages"},
    "scripts/make_local_interpreter.py": {"site-packages"},
    # The inspector scans *other* projects, whose files have these common names.
    "app/inspector/scanners/layout.py": {"site-packages"},
    "app/inspector/scanners/migrations.py": {"db.sqlite3"},
    "app/inspector/runner.py": {"site-packages"},
    # The generated sample projects' own settings.
    "scripts/fetch_samples.py": {"db.sqlite3"},
}


def contract_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "about":
                yield from contract_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from contract_names(value)
    elif isinstance(node, str):
        yield node


def policed() -> set[str]:
    """Distinctive names: file names, paths, flags, prefixes, channels, our variables."""
    names = set(contract_names(json.loads(CONTRACT.read_text())))
    return {n for n in names - NOT_POLICED if re.search(r"[.:/ -]", n) or n.startswith("DJDESK_")}


def python_literals(path: Path) -> Iterator[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    previous = None
    for token in tokens:
        docstring = previous in (None, tokenize.INDENT, tokenize.NEWLINE, tokenize.DEDENT)
        if token.type == tokenize.STRING and not (docstring and token.string.endswith('"""')):
            yield token.start[0], token.string
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous = token.type


def js_literals(path: Path) -> Iterator[tuple[int, str]]:
    """String and template literals, comments skipped (a small scanner, enough for our code)."""
    text = path.read_text(encoding="utf-8")
    i, line = 0, 1
    while i < len(text):
        char = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i) + 2
            line += text.count("\n", i, end)
            i = end
            continue
        if char in "'\"`":
            j = i + 1
            while j < len(text) and text[j] != char:
                j += 2 if text[j] == "\\" else 1
            yield line, text[i : j + 1]
            line += text.count("\n", i, j)
            i = j + 1
            continue
        line += char == "\n"
        i += 1


def files(patterns: list[str]) -> list[Path]:
    return sorted({p for pattern in patterns for p in REPO.glob(pattern)})


def test_the_shell_carries_an_identical_copy() -> None:
    assert SHELL_COPY.read_bytes() == CONTRACT.read_bytes(), (
        "electron/contract.json differs: cp bundler/djdesk_runtime/contract.json electron/"
    )


def test_no_contract_name_is_typed_twice() -> None:
    names = policed()
    assert {"django-bundle", "template.sqlite3", "DJDESK_READY ", "X-DJDesk-Token"} <= names
    found = []
    for path, literals in [(p, python_literals) for p in files(PYTHON_CODE)] + [
        (p, js_literals) for p in files(JS_CODE)
    ]:
        relative = path.relative_to(REPO).as_posix()
        allowed = ALLOWED.get(relative, set())
        for number, literal in literals(path):
            for name in names - allowed:
                if name in literal:
                    found.append(f"{relative}:{number}: {name!r} in {literal[:60]}")
    assert not found, "contract names typed again (read them from the contract):\n" + "\n".join(
        found
    )


def test_the_bootstrap_literal_is_the_contracts() -> None:
    ipc = json.loads(CONTRACT.read_text())["ipc"]
    assert ipc["preload_argument"] in (REPO / "electron/preload.cjs").read_text()


@pytest.mark.parametrize("key", ["django_log", "shell_log"])
def test_the_shell_and_django_log_to_different_files(key: str) -> None:
    layout = json.loads(CONTRACT.read_text())["data_dir"]
    assert layout["django_log"] != layout["shell_log"] and layout[key].endswith(".log")
