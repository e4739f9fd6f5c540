"""The secret guard's second half: the text of every file that ships is scanned with
Yelp's ``detect-secrets`` (its default plugins and filters). The first half, names that say
"secret", is in ``selection.py``.

A private key or a credential in a provider's own format (AWS, GitHub, Stripe, PyPI, …)
stops the build naming file and line: everyone who installs the app can read the payload.
What the keyword and entropy heuristics find in the app's files is a warning (in the
generated docs and samples folders, only the certain findings count). A false positive is
marked where it is, with detect-secrets' own inline comment ``pragma: allowlist secret``.

Results are remembered per file content (sha256) in the cache, so a rebuild scans only
the files that changed.
"""

from __future__ import annotations

import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle.build.selection import SourceFiles
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.cache.store import Store
from djdesk_bundle.errors import UnsafeSource
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.ui import Reporter

# Plugins whose findings are certain enough to stop a build (detect-secrets class names).
BLOCKING_PLUGINS = frozenset(
    {
        "PrivateKeyDetector",
        "AWSKeyDetector",
        "AzureStorageKeyDetector",
        "GitHubTokenDetector",
        "GitLabTokenDetector",
        "SlackDetector",
        "StripeDetector",
        "PypiTokenDetector",
        "NpmDetector",
        "OpenAIDetector",
        "SendGridDetector",
        "TwilioKeyDetector",
        "DiscordBotTokenDetector",
        "TelegramBotTokenDetector",
        "MailchimpDetector",
        "SquareOAuthDetector",
        "ArtifactoryDetector",
    }
)
MAX_SCANNED_BYTES = 4 * 1024 * 1024  # larger files are data, not configuration
SKIPPED_SUFFIXES = (".min.js", ".min.css", ".map", ".mo", ".sqlite3", ".db", ".woff", ".woff2")


@dataclass(frozen=True)
class Finding:
    where: str  # part/name:line
    kind: str  # detect-secrets' secret type
    blocking: bool

    def __str__(self) -> str:
        return f"{self.where} ({self.kind})"


def _scannable(path: Path) -> bool:
    if path.name.endswith(SKIPPED_SUFFIXES):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
        return b"\0" not in head and path.stat().st_size <= MAX_SCANNED_BYTES
    except OSError:
        return False


def _store_key() -> str:
    return f"detect-secrets-{importlib.metadata.version('detect-secrets')}.json"


def _load(store: Store) -> dict[str, list[list[object]]]:
    text = store.get_text(_store_key())
    try:
        data = json.loads(text) if text is not None else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _scan(path: Path) -> list[list[object]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import scan_file

    classes: dict[str, type] = dict(get_mapping_from_secret_type_to_class())
    plugin_of = {kind: plugin.__name__ for kind, plugin in classes.items()}
    return [
        [secret.type, secret.line_number, plugin_of.get(secret.type, "") in BLOCKING_PLUGINS]
        for secret in scan_file(str(path))
    ]


def find_secrets(
    sources: SourceFiles, cache_root: Path, digests: Digests | None = None
) -> list[Finding]:
    from detect_secrets.settings import default_settings

    store = Store.under(cache_root, "secret-scans", keep=4)
    sha256 = digests.file_sha256 if digests is not None else file_sha256
    known = _load(store)
    findings: list[Finding] = []
    changed = False
    with default_settings():
        for label, selection in sources.selections():
            for item in selection.shipped:
                if not _scannable(item.source):
                    continue
                digest = sha256(item.source)
                if digest not in known:
                    known[digest] = _scan(item.source)
                    changed = True
                for kind, line, blocking in known[digest]:
                    # The heuristics' guesses are about the project's own text; in the
                    # generated folders (the docs' search index, samples) they are noise.
                    if blocking or label == "app":
                        where = f"{label}/{item.name}:{line}"
                        findings.append(Finding(where, str(kind), bool(blocking)))
    if changed:
        store.put_text(_store_key(), json.dumps(known, sort_keys=True))
    return findings


def secrets_stage(
    sources: SourceFiles, cache_root: Path, reporter: Reporter, digests: Digests | None = None
) -> int:
    """Stop on a blocking finding; warn about the rest. Returns the number of files scanned."""
    findings = find_secrets(sources, cache_root, digests)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise UnsafeSource(
            f"{len(blocking)} secret(s) in files that would ship: "
            + ", ".join(map(str, blocking[:5]))
            + (", …" if len(blocking) > 5 else "")
            + ": remove them (anyone who installs the app can read them), exclude the file, "
            "or mark a false positive with the comment `pragma: allowlist secret`"
        )
    if findings:
        reporter.warn(
            f"{len(findings)} possible secret(s) in files that ship: "
            + ", ".join(map(str, findings[:5]))
            + (", …" if len(findings) > 5 else "")
            + " (mark a false positive with the comment `pragma: allowlist secret`)"
        )
    return sum(len(selection.shipped) for _, selection in sources.selections())
