"""The generated reference (djdesk_bundle/reference.py): the options table in
docs/bundler.md and the JSON schema are what Options makes; the schema validates the
inspector's own table and refuses what load_options refuses; every command and every
build flag is shown in the reference."""

from __future__ import annotations

import json
import tomllib

import jsonschema
import pytest

from djdesk_bundle.cli import make_parser
from djdesk_bundle.options import SETTABLE
from djdesk_bundle.reference import SCHEMA_PATH, options_schema
from tests.conftest import REPO, load_script

BUNDLER_DOCS = (REPO / "docs" / "bundler.md").read_text(encoding="utf-8")


def test_the_options_table_and_the_schema_are_current() -> None:
    assert load_script("generate_reference").main(["--check"]) == 0
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == options_schema()


def test_every_option_is_in_the_schema_and_the_table() -> None:
    properties = options_schema()["properties"]
    assert set(properties) == set(SETTABLE)
    for name in SETTABLE:
        assert f"| `{name}` |" in BUNDLER_DOCS, name


def test_the_schema_validates_a_real_table_and_refuses_typos_and_wrong_types() -> None:
    schema = options_schema()
    table = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["djdesk-bundle"]
    jsonschema.validate(table, schema)
    for bad in ({"app-dri": "app"}, {"offline": "yes please"}, {"include": "a,b"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**table, **bad}, schema)


def test_every_command_and_build_flag_is_in_the_reference() -> None:
    parser = make_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands
    for name, command in commands.items():
        assert f"`djdesk-bundle {name}" in BUNDLER_DOCS, name
        if name == "build":
            flags = [s for a in command._actions for s in a.option_strings if s.startswith("--")]
            row = next(
                line for line in BUNDLER_DOCS.splitlines() if "`djdesk-bundle build`" in line
            )
            missing = [flag for flag in flags if f"`{flag}" not in row and flag != "--help"]
            assert not missing, missing
