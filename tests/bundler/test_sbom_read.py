"""The one SBOM reader (sbom/read.py): bounded, parsed, its shape checked, one-line errors;
and the commands that read an SBOM through it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from djdesk_bundle.cli import main
from djdesk_bundle.errors import SbomInvalid
from djdesk_bundle.sbom import read
from djdesk_bundle.sbom.read import parse_sbom, read_sbom
from tests.bundler.test_report import fake_payload

NESTED = {
    "bomFormat": "CycloneDX",
    "components": [
        {"name": "cpython", "components": [{"name": "openssl"}, {"name": "zlib"}]},
        {"name": "django"},
    ],
}


def test_every_component_comes_after_its_parent(tmp_path: Path) -> None:
    path = tmp_path / "sbom.json"
    path.write_text(json.dumps(NESTED))
    sbom = read_sbom(path)
    assert sbom.is_cyclonedx and [c["name"] for c in sbom.components] == ["cpython", "django"]
    assert [c["name"] for c in sbom.every_component] == ["cpython", "openssl", "zlib", "django"]
    assert not parse_sbom('{"components": []}', "x").is_cyclonedx  # the caller's to refuse


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "x: not valid JSON ("),
        ("[" * 200_000 + "]" * 200_000, "x: not valid JSON (nested too deeply)"),
        ('"a string"', "x: not a CycloneDX SBOM (it is a str, not an object)"),
        ('{"components": {"name": "x"}}', "x: components: expected list, got dict"),
        ('{"components": [{"name": 3}]}', "x: components[0].name: expected str, got int"),
        (
            '{"components": [{"name": "a", "components": [7]}]}',
            "x: components[0].components[0]: expected dict, got int",
        ),
    ],
)
def test_a_malformed_sbom_is_one_line_saying_where(text: str, said: str) -> None:
    with pytest.raises(SbomInvalid) as raised:
        parse_sbom(text, "x")
    assert str(raised.value).startswith(said) and "\n" not in str(raised.value)


def test_an_sbom_is_read_within_a_limit(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(read, "MAX_SBOM_BYTES", 1000)
    monkeypatch.setattr(read, "CHUNK", 64)
    path = tmp_path / "sbom.json"
    path.write_text(json.dumps({"components": [], "padding": "x" * 2000}))
    with pytest.raises(SbomInvalid, match="larger than"):
        read_sbom(path)
    with pytest.raises(SbomInvalid, match=r"no such SBOM"):
        read_sbom(tmp_path / "none.json")


def test_the_report_of_a_payload_with_a_malformed_sbom_is_a_one_line_error(
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """It was a traceback (the report read the SBOM without a check)."""
    payload = fake_payload(tmp_path / "payload")
    (payload / "sbom.cdx.json").write_text('{"components": [{"name": ["a list"]}]}')
    assert main(["report", str(payload)]) == 9
    err = capsys.readouterr().err
    assert "components[0].name: expected str" in err and "Traceback" not in err


def test_an_installer_sbom_from_one_that_names_no_app_is_refused(
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """It was a KeyError (metadata without a component passed the check)."""
    payload = tmp_path / "payload"
    payload.mkdir()
    (payload / "sbom.cdx.json").write_text(json.dumps({**NESTED, "metadata": {}}))
    installer = tmp_path / "App.AppImage"
    installer.write_bytes(b"x")
    argv = ["installer-sbom", "--payload", str(payload), "--installer", str(installer)]
    assert main([*argv, "--output", str(tmp_path / "out.json")]) == 9
    assert "names its app" in capsys.readouterr().err
