"""Sigstore: keyless signing (release workflow) and offline signature verification."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle.errors import ConfigError, SigningUnavailable, VerificationFailed
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.fs.hashing import file_sha256

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass(frozen=True)
class ExpectedSigner:
    identity: str
    issuer: str

    @classmethod
    def github(cls, repository: str, ref: str, workflow: str = "release.yml") -> ExpectedSigner:
        """The identity a GitHub Actions workflow signs with."""
        ref = ref if ref.startswith("refs/") else f"refs/tags/{ref}"
        return cls(
            f"https://github.com/{repository}/.github/workflows/{workflow}@{ref}", GITHUB_ISSUER
        )


def _verifier(trust: str, offline: bool):  # type: ignore[no-untyped-def]
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.verify import Verifier

    if trust == "production":
        return Verifier.production(offline=offline)
    if trust == "staging":
        return Verifier.staging(offline=offline)
    path = Path(trust)
    if not path.is_file():
        raise VerificationFailed(
            f"trust config {trust} not found (use production, staging or a file)"
        )
    try:
        config = ClientTrustConfig.from_json(path.read_text(encoding="utf-8"))
        return Verifier(trusted_root=config.trusted_root)
    except (ValueError, SigstoreError) as exc:  # pydantic's ValidationError is a ValueError
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(
            f"--trust-root {trust}: not a valid sigstore client trust config ({reason})"
        ) from None


def _reason(exc: Exception) -> str:
    """One short line about a parse error, without the input it quotes."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors(include_input=False, include_url=False)[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "the document"
            return f"{where}: {first.get('msg', type(exc).__name__)}"[:200]
        except (TypeError, IndexError, KeyError):
            pass
    return type(exc).__name__


def verify_signature(
    artifact: Path,
    bundle_path: Path,
    signer: ExpectedSigner,
    trust: str = "production",
    offline: bool = True,
) -> None:
    """Check ``bundle_path`` signs ``artifact`` and was made by ``signer``; raise if not.

    Offline by default: sigstore's trust root shipped with the package is used as is.
    """
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle
    from sigstore.verify.policy import Identity

    for path in (artifact, bundle_path):
        if not path.is_file():
            raise VerificationFailed(f"{path} not found")
    try:
        bundle = Bundle.from_json(bundle_path.read_bytes())
    except (SigstoreError, ValueError, TypeError, AttributeError) as exc:
        # Pydantic's report runs over many lines and quotes the input back: only which
        # field was wrong is said (the user has the file).
        raise VerificationFailed(f"{bundle_path}: not a sigstore bundle ({_reason(exc)})") from None
    policy = Identity(identity=signer.identity, issuer=signer.issuer)
    try:
        _verifier(trust, offline).verify_artifact(artifact.read_bytes(), bundle, policy)
    except SigstoreError as exc:
        raise VerificationFailed(f"{artifact.name}: signature not valid: {exc}") from None


def identity_token(env: Mapping[str, str], explicit: str | None, interactive: bool) -> str:
    """Explicit token > SIGSTORE_ID_TOKEN > GitHub Actions' ambient OIDC > the browser flow."""
    if explicit:
        return explicit
    if env.get("SIGSTORE_ID_TOKEN"):
        return env["SIGSTORE_ID_TOKEN"]
    from sigstore.oidc import IdentityError, detect_credential

    try:
        ambient = detect_credential()
    except IdentityError as exc:
        raise SigningUnavailable(f"could not get the ambient identity: {exc}") from None
    if ambient:
        return ambient
    if interactive:
        from sigstore.models import ClientTrustConfig
        from sigstore.oidc import Issuer

        oidc_url = ClientTrustConfig.production().signing_config.get_oidc_url()
        return str(Issuer(oidc_url).identity_token())
    raise SigningUnavailable(
        "no identity to sign with: run in GitHub Actions with `permissions: id-token: write`, "
        "set SIGSTORE_ID_TOKEN, pass --identity-token, or use --interactive"
    )


def write_release_sums(artifacts: list[Path], destination: Path) -> Path:
    """A release SHA256SUMS over the given assets, sorted by file name."""
    lines = sorted(f"{file_sha256(path)}  {path.name}\n" for path in artifacts)
    write_atomic(destination, "".join(lines))
    return destination


def sign_artifacts(artifacts: list[Path], token: str, staging: bool = False) -> list[Path]:
    """Keyless-sign each artifact; write ``ARTIFACT.sigstore.json`` beside it."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityError, IdentityToken
    from sigstore.sign import SigningContext

    missing = [str(p) for p in artifacts if not p.is_file()]
    if missing:
        raise SigningUnavailable(f"nothing to sign at {', '.join(missing)}")
    try:
        identity = IdentityToken(token)
    except IdentityError as exc:
        raise SigningUnavailable(f"the identity token is not valid: {exc}") from None
    try:
        trust = ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
        context = SigningContext.from_trust_config(trust)
        written = []
        with context.signer(identity) as signer:
            for artifact in artifacts:
                bundle = signer.sign_artifact(artifact.read_bytes())
                target = artifact.with_name(artifact.name + ".sigstore.json")
                write_atomic(target, bundle.to_json())
                written.append(target)
        return written
    except SigstoreError as exc:
        raise SigningUnavailable(f"signing failed: {exc}") from None


def environment() -> dict[str, str]:
    return dict(os.environ)
