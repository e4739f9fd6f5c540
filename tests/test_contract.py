"""The payload contract is written once: ``bundler/djdesk_runtime/contract.json``.

The bundler, the launcher, the desktop settings, the Electron shell and the inspector's page
read it; this test fails when one of its names is typed again as a string literal anywhere
in their code, when the shell's code names a key the contract does not have, or when the
typed accessors generated from it are stale.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, load_script

CONTRACT = REPO / "bundler" / "djdesk_runtime" / "contract.json"
SHELL_COPY = REPO / "electron" / "contract.json"
# Where the names may not be re-typed: every module of the bundler, the runtime, the
# Django project, the shell and the developer scripts.
PYTHON_CODE = ["bundler/**/*.py", "app/djdesk/**/*.py", "app/inspector/**/*.py", "scripts/*.py"]
JS_CODE = [
    "electron/*.js",
    "electron/*.cjs",
    "electron/lib/*.js",
    "electron/release/*.*js",
    "app/inspector/static/**/*.js",
]
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
    # The page finds the ui names in the element of this id, which the base template renders.
    # ... and its update banner's button is a data-update-action element, not the IPC action.
    "app/inspector/static/inspector/app.js": {"djdesk-ui", "update-action"},
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
    """Distinctive names: file names, paths, flags, prefixes, channels, our variables, the
    bridge's global."""
    names = set(contract_names(json.loads(CONTRACT.read_text())))
    return {
        n
        for n in names - NOT_POLICED
        if re.search(r"[.:/ -]", n) or n.startswith(("DJDESK_", "djdesk"))
    }


def plain_ui_names() -> set[str]:
    """The update phases and actions: plain words, policed as whole literals only."""
    ui = json.loads(CONTRACT.read_text())["ui"]
    return {*ui["update_phases"].values(), *ui["update_actions"].values()}


def python_literals(path: Path) -> Iterator[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    previous = None
    for token in tokens:
        docstring = previous in (None, tokenize.INDENT, tokenize.NEWLINE, tokenize.DEDENT)
        if token.type == tokenize.STRING and not (docstring and token.string.endswith('"""')):
            yield token.start[0], token.string
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous = token.type


def js_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, line) of each string or template literal, and of each comment (its end
    negative): a small scanner, enough for our code."""
    i, line = 0, 1
    while i < len(text):
        char = text[i]
        if text.startswith(("//", "/*"), i):
            closing = "\n" if text[i + 1] == "/" else "*/"
            end = text.find(closing, i)
            end = len(text) if end < 0 else end + len(closing.strip())
            yield i, -end, line
            line += text.count("\n", i, end)
            i = end
            continue
        if char in "'\"`":
            end = literal_end(text, i)
            yield i, end, line
            line += text.count("\n", i, end)
            i = end
            continue
        line += char == "\n"
        i += 1


def literal_end(text: str, start: int) -> int:
    """Where the literal opened at `start` ends; a template's `${...}` may hold literals."""
    quote, j = text[start], start + 1
    while j < len(text) and text[j] != quote:
        if text[j] == "\\":
            j += 2
        elif quote == "`" and text.startswith("${", j):
            j, depth = j + 2, 1
            while j < len(text) and depth:
                if text[j] in "'\"`":
                    j = literal_end(text, j)
                    continue
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
        else:
            j += 1
    return min(j + 1, len(text))


def js_literals(path: Path) -> Iterator[tuple[int, str]]:
    """String and template literals, comments skipped."""
    text = path.read_text(encoding="utf-8")
    for start, end, line in js_spans(text):
        if end > 0:
            yield line, text[start:end]


def js_code(path: Path) -> str:
    """The code with its literals and comments blanked (so lines stay where they were)."""
    text = path.read_text(encoding="utf-8")
    chars = list(text)
    for start, end, _line in js_spans(text):
        for k in range(start, abs(end)):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


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


def test_the_bootstrap_literals_are_the_contracts() -> None:
    contract = json.loads(CONTRACT.read_text())
    assert contract["ipc"]["preload_argument"] in (REPO / "electron/preload.cjs").read_text()
    script_id = contract["ui"]["page_script_id"]
    assert f'json_script:"{script_id}"' in (REPO / BASE_TEMPLATE).read_text()
    assert f'getElementById("{script_id}")' in (REPO / PAGE_SCRIPT).read_text()


BASE_TEMPLATE = "app/inspector/templates/inspector/base.html"
PAGE_SCRIPT = "app/inspector/static/inspector/app.js"
# The shell's and the page's code, which read the contract (electron/release/ only must not
# re-type its names).
SHELL_AND_PAGE = [p for p in JS_CODE if not p.startswith("electron/release")]
# The shell's and the page's names for the contract's parts (electron/lib/contract.js, app.js).
CONTRACT_PARTS = {
    "CONTRACT": (),
    "PAYLOAD": ("payload",),
    "LAUNCHER": ("launcher",),
    "ENV": ("environment",),
    "SESSION": ("session",),
    "DATA_DIR": ("data_dir",),
    "IPC": ("ipc",),
    "UI": ("ui",),
    "ui": ("ui",),  # the preload's, from the main process's argument
}
ALIAS = re.compile(r"\bconst (\w+) = (\w+)((?:\.\w+)*);")
DESTRUCTURED = re.compile(r"\bconst \{([^{}]*)\} = (\w+)((?:\.\w+)*);")
CHAIN = re.compile(r"(?<![\w.$])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)+)")


def contract_aliases(code: str) -> dict[str, tuple[str, ...]]:
    """The parts' names in one file, with its constants bound to a part or a part's key."""
    parts = dict(CONTRACT_PARTS)
    for match in ALIAS.finditer(code):
        if match[2] in parts:
            parts[match[1]] = (*parts[match[2]], *match[3].split(".")[1:])
    for match in DESTRUCTURED.finditer(code):
        if match[2] in parts:
            base = (*parts[match[2]], *match[3].split(".")[1:])
            for entry in filter(None, (e.strip() for e in match[1].split(","))):
                key, _, name = (part.strip() for part in entry.partition(":"))
                parts[name or key] = (*base, key)
    return parts


def unknown_keys(path: Path, contract: dict[str, object]) -> Iterator[str]:
    """Each `PART.key.key` in the file that the contract does not have, as `line: chain`."""
    code = js_code(path)
    parts = contract_aliases(code)
    for match in CHAIN.finditer(code):
        if match[1] not in parts:
            continue
        node: object = contract
        for key in (*parts[match[1]], *match[2].split(".")[1:]):
            if not isinstance(node, dict):
                break  # a string's or a list's own property
            if key not in node:
                line = code.count("\n", 0, match.start()) + 1
                yield f"{line}: {match[0]} (no {key!r})"
                break
            node = node[key]


def test_the_shell_and_the_page_name_only_keys_the_contract_has() -> None:
    contract = json.loads(CONTRACT.read_text())
    found = [
        f"{path.relative_to(REPO)}:{bad}"
        for path in files(SHELL_AND_PAGE)
        for bad in unknown_keys(path, contract)
    ]
    assert not found, "keys the contract does not have:\n" + "\n".join(found)


def test_a_misspelled_or_missing_key_is_found(tmp_path: Path) -> None:
    script = tmp_path / "page.js"
    script.write_text(
        "const PHASE = UI.update_phases;\nconst { storage: kept } = UI;\n"
        "f(PHASE.redy, kept.wizard_path, UI.bridge_methods.notify, UI.bridge.length);\n"
        "// UI.nothing in a comment, 'UI.nothing' in a string\n"
    )
    contract = json.loads(CONTRACT.read_text())
    assert list(unknown_keys(script, contract)) == [
        "3: PHASE.redy (no 'redy')",
        "3: kept.wizard_path (no 'wizard_path')",
    ]
    del contract["ui"]["drop_event"]  # a key the code uses, gone from the contract
    found = [bad for bad in unknown_keys(REPO / PAGE_SCRIPT, contract)]
    assert found and all("(no 'drop_event')" in bad for bad in found)


# Where updates are shown and decided (phases and actions are plain words, policed as whole
# literals there only: elsewhere "error" and "current" mean other things).
UPDATE_CODE = [
    "electron/main.js",
    "electron/preload.cjs",
    "electron/lib/ipc.js",
    "electron/lib/updates.js",
    PAGE_SCRIPT,
]
# Where a whole literal may equal an update phase or action: the same word, another meaning.
PLAIN_ALLOWED = {
    # electron-updater's own event of that name, which the controller turns into a phase.
    "electron/lib/updates.js": {"'error'"},
    # A scan's error message, styled by the CSS class of that name.
    PAGE_SCRIPT: {'"error"'},
}


def test_no_update_phase_or_action_is_typed_as_a_literal() -> None:
    ui = json.loads(CONTRACT.read_text())["ui"]
    words = {*ui["update_phases"].values(), *ui["update_actions"].values()}
    found = []
    for path in files(UPDATE_CODE):
        relative = path.relative_to(REPO).as_posix()
        for number, literal in js_literals(path):
            if literal[1:-1] in words and literal not in PLAIN_ALLOWED.get(relative, set()):
                found.append(f"{relative}:{number}: {literal}")
    assert not found, "update phases or actions typed again (read the contract's ui):\n" + (
        "\n".join(found)
    )


def test_the_typed_accessors_are_current() -> None:
    assert load_script("generate_contract_types").main(["--check"]) == 0


def test_the_shell_exports_what_its_declarations_declare() -> None:
    exports = load_script("generate_contract_types").JS_EXPORTS
    source = (REPO / "electron/lib/contract.js").read_text()
    declared = dict(re.findall(r"export const (\w+) = CONTRACT\.(\w+);", source))
    assert declared == exports


def test_mypy_refuses_a_key_the_contract_does_not_have(tmp_path: Path) -> None:
    module = tmp_path / "uses_contract.py"
    module.write_text(
        "from djdesk_runtime.contract import ENV, UI\n"
        "print(UI['bridge'], ENV['data_dir'])\n"
        "print(UI['update_phases']['redy'], ENV['data_dri'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        # The package from the source tree, as the repository's mypy run sees it.
        env={**os.environ, "MYPYPATH": str(REPO / "bundler")},
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert '"redy"' in result.stdout and '"data_dri"' in result.stdout
    assert result.stdout.count("error:") == 2, result.stdout


@pytest.mark.parametrize("key", ["django_log", "shell_log"])
def test_the_shell_and_django_log_to_different_files(key: str) -> None:
    layout = json.loads(CONTRACT.read_text())["data_dir"]
    assert layout["django_log"] != layout["shell_log"] and layout[key].endswith(".log")
