"""The secret guard's second half: the text of every file that ships is scanned with
Yelp's ``detect-secrets`` (its default plugins and filters). The first half, names that say
"secret", is in ``selection.py``.

A private key or a credential in a provider's own format (AWS, GitHub, Stripe, PyPI, …)
stops the build naming file and line: everyone who installs the app can read the payload.
What the keyword and entropy heuristics find in the app's files is a warning (in the
generated docs and samples folders, only the certain findings count). A false positive is
marked where it is, with detect-secrets' own inline comment ``pragma: allowlist secret``.

In the generated folders only the blocking plugins run. Before detect-secrets' line by
line analysis (hundreds of microseconds a line), a pre-search (``PreSearch``) looks at each
file's whole text once for anything an enabled plugin could match; only a file it does not
clear is analysed (on the inspector's docs and samples: 3.3 s -> 0.3 s). It never clears a
file detect-secrets would flag (tests/bundler/test_secret_scan.py: a file per plugin class).

Results are remembered per file content (sha256) in the cache, so a rebuild scans only
the files that changed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

# The pre-search: the regex plugins' own patterns where they are cheap over a whole text...
OWN_PATTERNS = frozenset(
    {
        "AWSKeyDetector",
        "AzureStorageKeyDetector",
        "BasicAuthDetector",
        "DiscordBotTokenDetector",
        "GitHubTokenDetector",
        "GitLabTokenDetector",
        "IPPublicDetector",
        "JwtTokenDetector",
        "OpenAIDetector",
        "PrivateKeyDetector",
        "PypiTokenDetector",
        "SendGridDetector",
        "SlackDetector",
        "SquareOAuthDetector",
        "StripeDetector",
        "TwilioKeyDetector",
    }
)
# ... the entropy plugins' quoted strings, each measured as they measure it ...
ENTROPY_PLUGINS = frozenset({"Base64HighEntropyString", "HexHighEntropyString"})
_MARKS = ("(?#keyword)", "(?#secret)")


@dataclass(frozen=True)
class Scope:
    """The plugins run on a part's files and where their results are remembered: every
    plugin on the app's own files; in the generated folders (docs, samples) only the
    blocking ones, the only findings that count there."""

    name: str
    plugins: frozenset[str] | None  # None: all of detect-secrets' plugins


APP_SCOPE = Scope("all", None)
GENERATED_SCOPE = Scope("blocking", BLOCKING_PLUGINS)


@functools.cache
def contained_patterns() -> dict[str, str]:
    """... and, for the others, a pattern that every match of theirs contains: their own
    are slow over a whole text (a lookbehind or a class first, ``.+`` on a long line) or
    refer back to a group (the keyword plugin's)."""
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector

    # What build_assignment_regex puts between a keyword and its secret.
    made = RegexBasedDetector.build_assignment_regex("", *_MARKS).pattern
    assign = made.split(_MARKS[0])[1].split(_MARKS[1])[0]
    word = "(?:" + "|".join(keyword.DENYLIST) + r")\w*"
    quote = "['\"`]"
    return {
        "ArtifactoryDetector": r"AKC[a-zA-Z0-9]{10}|AP[\dABCDEF][a-zA-Z0-9]{8}",
        "CloudantDetector": rf"(?i:(?:api|)(?:key|pwd|pw|password|pass|token){assign}"
        r"(?:[0-9a-f]{64}|[a-z]{24})|cloudant\.com)",
        "IbmCloudIamDetector": rf"(?i:(?:key|pwd|password|pass|token){assign}[a-zA-Z0-9_\-]{{44}})",
        "IbmCosHmacDetector": rf"(?i:secret[-_]?(?:access)?[-_]?key{assign}[a-f0-9]{{48}})",
        "MailchimpDetector": r"-us[0-9](?<=[0-9a-z]{32}-us[0-9])",
        "NpmDetector": r"/:_authToken=",
        # Their URL's dots are unescaped: any character.
        "SoftlayerDetector": rf"(?i:(?:key|pwd|password|pass|token){assign}[a-z0-9]{{64}}"
        r"|://api.softlayer.com/soap/)",
        "TelegramBotTokenDetector": r":(?<=\d{8}:)[0-9A-Za-z_-]{35}",
        # A keyword, then an assignment, a comparison, a call or a quoted string and a
        # semicolon; or a quoted string compared with a keyword.
        "KeywordDetector": rf"(?i:{word}(?:[\]'\"]{{0,2}}\s*[:=!]|\[[0-9]*\]\s*[!=]"
        rf"|.assign\(|\(\"|\S{{0,50}}\s*{quote}[^\n\v'\"]*{quote};)|[!=]{{2,3}}\s*\w*{word})",
    }


class PreSearch:
    """Whether any enabled plugin could find something in a file: one compiled regex over
    each text detect-secrets would analyse (its own reader: the file's lines, or what its
    config and YAML transformers make of them), every line stripped as its scan strips
    it, joined by newlines; and the entropy plugins' own measure of the quoted strings
    long enough to pass it. A file it clears has nothing a plugin would report; a file
    it does not goes through detect-secrets' line-by-line scan, whose answer is kept."""

    def __init__(self, plugins: list[Any]) -> None:
        contained = contained_patterns()
        parts, self.entropy = [], []
        self.everything = False  # a plugin not understood here: scan every file
        for plugin in plugins:
            name = type(plugin).__name__
            if name in contained:
                parts.append(f"(?:{contained[name]})")
            elif name in OWN_PATTERNS:
                parts += [_scoped(pattern) for pattern in plugin.denylist]
            elif name in ENTROPY_PLUGINS:
                # A string of n characters has an entropy of at most log2(n).
                shortest = max(1, int(2**plugin.entropy_limit))
                run = f"[{re.escape(plugin.charset)}]{{{shortest},}}"
                self.entropy.append((plugin, re.compile(f"(?=(['\"])({run})\\1)")))
            else:
                self.everything = True
        self.regex = re.compile("|".join(parts) or "(?!)", re.MULTILINE)

    def may_match(self, path: Path) -> bool:
        from detect_secrets.core.scan import _get_lines_from_file

        if self.everything:
            return True
        for lines in _get_lines_from_file(str(path)):
            text = "\n".join(line.rstrip() for line in lines)
            if self.regex.search(text):
                return True
            for plugin, quoted in self.entropy:
                for match in quoted.finditer(text):
                    if plugin.calculate_shannon_entropy(match[2]) > plugin.entropy_limit:
                        return True
        return False


def _scoped(pattern: re.Pattern[str]) -> str:
    flags = "".join(f for bit, f in ((re.I, "i"), (re.X, "x"), (re.S, "s")) if pattern.flags & bit)
    return f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})"


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


def _store_key(scope: Scope) -> str:
    version = importlib.metadata.version("detect-secrets")
    suffix = "" if scope.plugins is None else f"-{scope.name}"
    return f"detect-secrets-{version}{suffix}.json"


def _load(store: Store, scope: Scope) -> dict[str, list[list[object]]]:
    text = store.get_text(_store_key(scope))
    try:
        data = json.loads(text) if text is not None else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def _settings(scope: Scope) -> Iterator[None]:
    from detect_secrets.settings import default_settings, transient_settings

    if scope.plugins is None:
        with default_settings():
            yield
    else:
        with transient_settings({"plugins_used": [{"name": n} for n in sorted(scope.plugins)]}):
            yield


def _scan_files(paths: dict[str, Path], scope: Scope) -> dict[str, list[list[object]]]:
    """detect-secrets' findings in each file (by digest): [type, line, blocking]."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import get_plugins

    classes: dict[str, type] = dict(get_mapping_from_secret_type_to_class())
    plugin_of = {kind: plugin.__name__ for kind, plugin in classes.items()}
    results: dict[str, list[list[object]]] = {}
    with _settings(scope):
        pre_search = PreSearch(list(get_plugins()))
        for digest, path in paths.items():
            found = scan_file(str(path)) if pre_search.may_match(path) else ()
            results[digest] = [
                [
                    secret.type,
                    secret.line_number,
                    plugin_of.get(secret.type, "") in BLOCKING_PLUGINS,
                ]
                for secret in found
            ]
    return results


def find_secrets(
    sources: SourceFiles, cache_root: Path, digests: Digests | None = None
) -> list[Finding]:
    store = Store.under(cache_root, "secret-scans", keep=4)
    sha256 = digests.file_sha256 if digests is not None else file_sha256
    findings: list[Finding] = []
    for scope in (APP_SCOPE, GENERATED_SCOPE):
        shipped = [
            (label, item.name, sha256(item.source), item.source)
            for label, selection in sources.selections()
            if (label == "app") == (scope is APP_SCOPE)
            for item in selection.shipped
            if _scannable(item.source)
        ]
        if not shipped:
            continue
        known = _load(store, scope)
        missing = {digest: path for _, _, digest, path in shipped if digest not in known}
        if missing:
            known.update(_scan_files(missing, scope))
            store.put_text(_store_key(scope), json.dumps(known, sort_keys=True))
        for label, name, digest, _ in shipped:
            for kind, line, blocking in known[digest]:
                # The heuristics' guesses are about the project's own text; in the
                # generated folders (the docs' search index, samples) they are noise.
                if blocking or label == "app":
                    findings.append(Finding(f"{label}/{name}:{line}", str(kind), bool(blocking)))
    return findings


def secrets_stage(
    sources: SourceFiles, cache_root: Path, reporter: Reporter, digests: Digests | None = None
) -> int:
    """Stop on a blocking finding; warn about the rest. Returns the number of files scanned."""
    return report_findings(find_secrets(sources, cache_root, digests), sources, reporter)


def report_findings(findings: list[Finding], sources: SourceFiles, reporter: Reporter) -> int:
    """What ``secrets_stage`` does with the findings (also with those of a scan run in the
    build's background worker)."""
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
