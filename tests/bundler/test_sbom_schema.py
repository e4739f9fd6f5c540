"""The SBOM check (sbom/schema.py, jsonschema-rs) gives the verdicts of cyclonedx-python-lib's
own strict validator (jsonschema with its format checkers) on a real SBOM and on broken
copies of it, and says what is wrong in one line."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from djdesk_bundle.errors import SbomInvalid
from djdesk_bundle.sbom.schema import validate_sbom
from tests.bundler.test_sbom import make_sbom

Document = dict[str, Any]


def _first_component(document: Document) -> Document:
    return document["components"][0]  # type: ignore[no-any-return]


def _reference(url: str) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        _first_component(document)["externalReferences"] = [{"type": "website", "url": url}]

    return change


def _set(path: tuple[str | int, ...], value: object) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[Document], None]:
    return lambda document: document.pop(key)


CHANGES: dict[str, Callable[[Document], None]] = {
    "unchanged": lambda document: None,
    "an unknown property": lambda document: _first_component(document).update(bogus=1),
    "an IRI with a space and <>": _reference("http://exa mple.com/<>"),
    "an IRI with non-ASCII letters": _reference("https://example.org/bücher/ü?q=ß#ä"),
    "a relative IRI reference": _reference("../docs/index.html"),
    "a private-use character in the path": _reference("https://example.org/\ue000"),
    "a timestamp that is no date-time": _set(("metadata", "timestamp"), "yesterday"),
    "an unknown component type": _set(("components", 0, "type"), "spaceship"),
    "a version that is a number": _set(("components", 0, "version"), 3),
    "a serial number that is no URN": _set(("serialNumber",), "12345"),
    "no bomFormat": _drop("bomFormat"),
    "an unknown hash algorithm": _set(
        ("components", 0, "hashes"), [{"alg": "MD4", "content": "0" * 32}]
    ),
    "a hash that is not hex": _set(
        ("components", 0, "hashes"), [{"alg": "SHA-256", "content": "z"}]
    ),
    "an e-mail address without @": _set(
        ("metadata", "authors"), [{"name": "Ada", "email": "not an address"}]
    ),
}


@pytest.fixture(scope="module")
def sbom_document(tmp_path_factory: pytest.TempPathFactory) -> Document:
    return make_sbom(tmp_path_factory.mktemp("sbom"))


def _verdict_of_cyclonedx(text: str) -> bool:
    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def _verdict_of_ours(text: str) -> bool:
    try:
        validate_sbom(text)
    except SbomInvalid:
        return False
    return True


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_the_same_verdict_as_cyclonedx_python_lib(sbom_document: Document, change: str) -> None:
    document = copy.deepcopy(sbom_document)
    CHANGES[change](document)
    text = json.dumps(document)
    assert _verdict_of_ours(text) == _verdict_of_cyclonedx(text)


def test_the_changes_cover_both_verdicts(sbom_document: Document) -> None:
    verdicts = set()
    for change in CHANGES.values():
        document = copy.deepcopy(sbom_document)
        change(document)
        verdicts.add(_verdict_of_ours(json.dumps(document)))
    assert verdicts == {True, False}


def test_an_invalid_sbom_is_one_line_that_names_where(sbom_document: Document) -> None:
    document = copy.deepcopy(sbom_document)
    _first_component(document)["type"] = "spaceship"
    with pytest.raises(SbomInvalid) as raised:
        validate_sbom(json.dumps(document))
    message = str(raised.value)
    assert "\n" not in message
    assert "components/0/type" in message and "spaceship" in message


def test_not_json_is_one_line() -> None:
    with pytest.raises(SbomInvalid, match="not valid JSON"):
        validate_sbom("{ nope")


def test_the_schemas_come_from_the_library_not_the_network(tmp_path: Path) -> None:
    """The registry holds every schema the strict BOM schema refers to: the validator is
    made offline (a missing one would be fetched, or fail)."""
    from djdesk_bundle.sbom.schema import REFERENCED, cyclonedx_validator

    assert all(Path(path).is_file() for path in REFERENCED.values())
    assert cyclonedx_validator().is_valid({"bomFormat": "CycloneDX"}) is False
