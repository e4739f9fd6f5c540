"""Sigstore: offline verification of a real bundle, and signing up to the network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from djdesk_bundle.errors import VerificationFailed
from djdesk_bundle.sign.sigstore_signing import (
    ExpectedSigner,
    SigningUnavailable,
    identity_token,
    sign_artifacts,
    verify_signature,
    write_release_sums,
)
from tests.bundler.conftest import bundle
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "sigstore"
ARTIFACT = FIXTURES / "signed-artifact.whl"
BUNDLE = FIXTURES / "signed-artifact.whl.sigstore.json"
SIGNER = ExpectedSigner(
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
    "https://token.actions.githubusercontent.com",
)


def test_genuine_artifact_verifies_offline() -> None:
    verify_signature(ARTIFACT, BUNDLE, SIGNER)
    assert ExpectedSigner.github("trailofbits/rfc8785.py", "v0.1.2") == SIGNER


def test_one_changed_byte_fails(tmp_path: Path) -> None:
    data = bytearray(ARTIFACT.read_bytes())
    data[100] ^= 0x01
    tampered = tmp_path / ARTIFACT.name
    tampered.write_bytes(bytes(data))
    with pytest.raises(VerificationFailed, match="digest mismatch"):
        verify_signature(tampered, BUNDLE, SIGNER)


def test_wrong_identity_fails() -> None:
    other = ExpectedSigner.github("trailofbits/rfc8785.py", "v0.1.3")
    with pytest.raises(VerificationFailed, match="SANs do not match"):
        verify_signature(ARTIFACT, BUNDLE, other)


def test_wrong_issuer_fails() -> None:
    with pytest.raises(VerificationFailed, match="OIDCIssuer does not match"):
        verify_signature(
            ARTIFACT, BUNDLE, ExpectedSigner(SIGNER.identity, "https://accounts.google.com")
        )


def test_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("{}")
    with pytest.raises(VerificationFailed, match="not a sigstore bundle"):
        verify_signature(ARTIFACT, tmp_path / "b.json", SIGNER)


def test_cli_verify_signature_exit_codes(tmp_path: Path) -> None:
    ok = bundle(
        "verify",
        str(ARTIFACT),
        "--bundle",
        str(BUNDLE),
        "--github-repository",
        "trailofbits/rfc8785.py",
        "--github-ref",
        "v0.1.2",
        cwd=REPO,
    )
    assert ok.returncode == 0, ok.stderr
    bad = bundle(
        "verify",
        str(ARTIFACT),
        "--bundle",
        str(BUNDLE),
        "--cert-identity",
        SIGNER.identity,
        "--cert-oidc-issuer",
        "https://example.com",
        cwd=REPO,
    )
    assert bad.returncode == 1 and "OIDCIssuer does not match" in bad.stderr
    incomplete = bundle("verify", str(ARTIFACT), "--bundle", str(BUNDLE), cwd=REPO)
    assert incomplete.returncode == 2 and "--cert-identity" in incomplete.stderr


def test_signing_without_identity_is_reported(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACTIONS_ID_TOKEN", "SIGSTORE_", "GITHUB_"))
    }
    with pytest.raises(SigningUnavailable, match="id-token: write"):
        identity_token(env, None, interactive=False)
    artifact = tmp_path / "a.txt"
    artifact.write_text("payload")
    result = bundle("sign", str(artifact), cwd=tmp_path, env=env)
    assert result.returncode == 10 and "no identity to sign with" in result.stderr
    assert not (tmp_path / "a.txt.sigstore.json").exists()


def test_signing_rejects_a_malformed_token(tmp_path: Path) -> None:
    artifact = tmp_path / "a.txt"
    artifact.write_text("payload")
    with pytest.raises(SigningUnavailable, match="identity token is not valid"):
        sign_artifacts([artifact], "not-a-jwt")


def test_release_sums(tmp_path: Path) -> None:
    for name in ("b.tar.gz", "a.dmg"):
        shutil.copy(ARTIFACT, tmp_path / name)
    sums = write_release_sums([tmp_path / "b.tar.gz", tmp_path / "a.dmg"], tmp_path / "SHA256SUMS")
    lines = sums.read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == ["a.dmg", "b.tar.gz"]
    assert all(len(line.split("  ")[0]) == 64 for line in lines)


@pytest.mark.parametrize(
    "content",
    ['{"mediaType": "nonsense"}', "not json at all", '{"trustedRoot": 5}', "\x00\xff"],
)
def test_a_bad_trust_config_is_a_one_line_error(tmp_path: Path, content: str) -> None:
    config = tmp_path / "trust.json"
    config.write_text(content, encoding="latin-1")
    result = bundle(
        "verify",
        str(ARTIFACT),
        "--bundle",
        str(BUNDLE),
        "--cert-identity",
        SIGNER.identity,
        "--cert-oidc-issuer",
        SIGNER.issuer,
        "--trust-root",
        str(config),
        cwd=REPO,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"error: --trust-root {config}: not a valid sigstore client trust config"
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: {**b, "verificationMaterial": {"publicKey": "ECHOED-INPUT" * 20}},
        lambda b: {**b, "messageSignature": ["ECHOED-INPUT"]},
        lambda b: {**b, "mediaType": "ECHOED-INPUT"},
        lambda b: ["ECHOED-INPUT"],
    ],
    ids=["wrong-material", "wrong-type", "wrong-media-type", "a-list"],
)
def test_a_malformed_bundle_is_one_line_without_the_input(tmp_path: Path, capsys, mutate) -> None:
    """Pydantic's report is many lines and echoes the input back; the user gets one line."""
    import json

    from djdesk_bundle.cli import main

    bad = tmp_path / "bad.sigstore.json"
    bad.write_text(json.dumps(mutate(json.loads(BUNDLE.read_text()))))
    argv = ["verify", str(ARTIFACT), "--bundle", str(bad)]
    argv += ["--cert-identity", SIGNER.identity, "--cert-oidc-issuer", SIGNER.issuer]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "not a sigstore bundle" in err
    assert "\n" not in err and "ECHOED-INPUT" not in err, err
