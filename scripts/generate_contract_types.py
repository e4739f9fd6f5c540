"""Write the contract's typed accessors from ``bundler/djdesk_runtime/contract.json``: a
TypedDict module for Python (``djdesk_runtime/contract_types.py``, which mypy checks every
key against) and a declaration file for the shell (``electron/lib/contract.d.ts``, which
editors and ``tsc --checkJs`` read for ``lib/contract.js``). ``--check`` changes nothing
and exits 1 when either is stale. Standard library only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "bundler" / "djdesk_runtime" / "contract.json"
PYTHON_TYPES = REPO / "bundler" / "djdesk_runtime" / "contract_types.py"
JS_TYPES = REPO / "electron" / "lib" / "contract.d.ts"
# What electron/lib/contract.js exports, by section (tests/test_contract.py checks it).
JS_EXPORTS = {
    "PAYLOAD": "payload",
    "LAUNCHER": "launcher",
    "ENV": "environment",
    "SESSION": "session",
    "DATA_DIR": "data_dir",
    "IPC": "ipc",
    "UI": "ui",
}
NOTICE = "generated from contract.json by scripts/generate_contract_types.py: do not edit"


def type_name(path: tuple[str, ...]) -> str:
    """``("payload", "dirs")`` is ``PayloadDirs``; the whole contract is ``Contract``."""
    return "".join(part.title().replace("_", "") for part in path) or "Contract"


Object = tuple[tuple[str, ...], dict[str, Any]]


def objects(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[Object]:
    """Every object of the contract with its path, inner objects first."""
    for key, value in node.items():
        if isinstance(value, dict):
            yield from objects(value, (*path, key))
    yield path, node


def python_type(value: object, name: str) -> str:
    if isinstance(value, dict):
        return name
    if isinstance(value, list):
        kinds = {python_type(item, name) for item in value}
        return f"list[{kinds.pop() if len(kinds) == 1 else 'object'}]"
    return type(value).__name__


def js_type(value: object, name: str) -> str:
    if isinstance(value, dict):
        return name
    if isinstance(value, list):
        kinds = {js_type(item, name) for item in value}
        return f"readonly {kinds.pop() if len(kinds) == 1 else 'unknown'}[]"
    return {"str": "string", "int": "number", "bool": "boolean"}[type(value).__name__]


def python_module(contract: dict[str, Any]) -> str:
    lines = ['"""The contract\'s keys as TypedDicts,', f'{NOTICE}."""', ""]
    lines += ["from __future__ import annotations", "", "from typing import TypedDict"]
    for path, node in objects(contract):
        lines += ["", "", f"class {type_name(path)}(TypedDict):"]
        for key, value in node.items():
            lines.append(f"    {key}: {python_type(value, type_name((*path, key)))}")
    return "\n".join(lines) + "\n"


def js_declarations(contract: dict[str, Any]) -> str:
    lines = ["// The contract's keys as types,", f"// {NOTICE}."]
    for path, node in objects(contract):
        lines += ["", f"export interface {type_name(path)} {{"]
        for key, value in node.items():
            lines.append(f"  readonly {key}: {js_type(value, type_name((*path, key)))};")
        lines.append("}")
    lines += ["", "export declare const CONTRACT: Contract;"]
    for name, key in JS_EXPORTS.items():
        lines.append(f"export declare const {name}: Contract['{key}'];")
    lines += [
        "/** A payload path given '/'-separated in the contract, for this platform. */",
        "export declare function payloadPath(",
        "  pathModule: { join(...parts: string[]): string }, bundleDir: string, relative: string,",
        "): string;",
    ]
    return "\n".join(lines) + "\n"


def wanted() -> dict[Path, str]:
    contract = json.loads(CONTRACT.read_text(encoding="utf-8"))
    return {PYTHON_TYPES: python_module(contract), JS_TYPES: js_declarations(contract)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    files = wanted()
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text("utf-8") != text]
    for path in stale:
        if args.check:
            print(f"error: {path} is not current: run python scripts/generate_contract_types.py")
        else:
            path.write_text(files[path], encoding="utf-8")
            print(f"wrote {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
