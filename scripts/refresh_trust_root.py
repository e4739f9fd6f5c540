"""Refresh the sigstore trust root the desktop shell verifies update feeds with.

The shell never fetches it: it ships `electron/trust/sigstore-trusted-root.json`, pinned
by sha256 in `electron/trust/release-trust.json` (like the interpreter manifest). This
script replaces both, from sigstore's production TUF repository (verified by TUF, needs
the network) or from a given file (`--from`), and `--check` confirms the pin.

    uv run python scripts/refresh_trust_root.py            # online, TUF-verified
    uv run python scripts/refresh_trust_root.py --from trusted_root.json
    uv run python scripts/refresh_trust_root.py --check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

TRUST_DIR = Path(__file__).resolve().parent.parent / "electron" / "trust"
PINS = "release-trust.json"


def write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def fetch_production_root() -> tuple[bytes, str]:
    """sigstore's current production trust root, verified through TUF (online)."""
    from sigstore import __version__
    from sigstore._internal.tuf import DEFAULT_TUF_URL, TrustUpdater

    path = Path(TrustUpdater(DEFAULT_TUF_URL, offline=False).get_trusted_root_path())
    return path.read_bytes(), f"{DEFAULT_TUF_URL} (TUF-verified by sigstore-python {__version__})"


def validated(data: bytes, origin: str) -> bytes:
    """Refuse anything sigstore itself would not load as a trusted root."""
    from sigstore.models import TrustedRoot
    from sigstore_models.trustroot import v1 as trustroot_v1

    try:
        TrustedRoot(trustroot_v1.TrustedRoot.from_json(data))
    except Exception as exc:
        raise SystemExit(f"{origin} is not a sigstore trusted root: {exc}") from None
    return data


def check(trust_dir: Path) -> int:
    pins = json.loads((trust_dir / PINS).read_text())
    root = trust_dir / pins["trustedRoot"]["file"]
    digest = hashlib.sha256(root.read_bytes()).hexdigest()
    if digest != pins["trustedRoot"]["sha256"]:
        print(
            f"{root.name}: sha256 {digest}, pinned {pins['trustedRoot']['sha256']}", file=sys.stderr
        )
        return 1
    validated(root.read_bytes(), str(root))
    print(f"{root.name}: sha256 {digest} matches its pin")
    return 0


def refresh(trust_dir: Path, source: Path | None) -> int:
    if source is None:
        data, origin = fetch_production_root()
    else:
        data, origin = source.read_bytes(), f"file {source.name}"
    validated(data, origin)
    pins_path = trust_dir / PINS
    pins = json.loads(pins_path.read_text())
    digest = hashlib.sha256(data).hexdigest()
    # The root first, then the pin: a crash in between fails closed (hash mismatch).
    write_atomic(trust_dir / pins["trustedRoot"]["file"], data)
    pins["trustedRoot"].update(sha256=digest, source=origin)
    write_atomic(pins_path, (json.dumps(pins, indent=2) + "\n").encode())
    print(f"trust root {digest} from {origin}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="a trusted_root.json to pin")
    parser.add_argument("--check", action="store_true", help="only verify the pin")
    parser.add_argument("--trust-dir", type=Path, default=TRUST_DIR)
    args = parser.parse_args(argv)
    if args.check:
        return check(args.trust_dir)
    return refresh(args.trust_dir, args.source)


if __name__ == "__main__":
    sys.exit(main())
