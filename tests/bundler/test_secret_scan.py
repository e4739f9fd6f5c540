"""The secret scan's pre-search (build/secret_scan.py): a file it clears is one in which
detect-secrets itself finds nothing. Each plugin class gets a file it flags, scanned as an
app file (every plugin) and as a generated folder's (the blocking ones); the answer must
be detect-secrets' own, line for line."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.build.secret_scan import (
    APP_SCOPE,
    BLOCKING_PLUGINS,
    GENERATED_SCOPE,
    PreSearch,
    Scope,
    _settings,
    find_secrets,
)
from djdesk_bundle.build.selection import SourceFiles, select_folder

B64 = "qT7vXk2LmN9pR4sW8yZ1bC6dF3gH5jK0"  # high entropy, base64-shaped
HEX40 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"

# A file per plugin class that detect-secrets flags with that class (checked below).
SAMPLES = {
    "ArtifactoryDetector": ("settings.py", "artifactory = AKCp8jQ4zXr5NvT2kLmW9\n"),
    "AWSKeyDetector": ("aws.py", 'aws_secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9Q3mT5vL1"\n'),
    "AzureStorageKeyDetector": (
        "azure.txt",
        "DefaultEndpointsProtocol=https;AccountKey=" + ("Ab3+Cd4/Ef5=" * 8)[:88] + "\n",
    ),
    "BasicAuthDetector": ("db.py", 'URL = "postgres://admin:s3cr3tPass@db.example.com/app"\n'),
    "CloudantDetector": ("c.py", 'cloudant_password = "' + "a1b2c3d4e5f60718" * 4 + '"\n'),
    "DiscordBotTokenDetector": (
        "bot.js",
        "const t = 'MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs';\n",
    ),
    "GitHubTokenDetector": (
        "gh.sh",
        "export T=ghp_" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY1zA3" + "\n",
    ),
    "GitLabTokenDetector": ("gl.sh", "export T=glpat-" + "xY7zQ2wE4rT6yU8iO0pA" + "\n"),
    "Base64HighEntropyString": ("b.py", f'TOKEN_VALUE = "{B64}"\n'),
    "HexHighEntropyString": ("h.py", f'digest_value = "{HEX40}"\n'),
    "IbmCloudIamDetector": (
        "ibm.py",
        'ibm_cloud_iam_api_key = "' + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY1zA3cD5eF7g" + 'H"\n',
    ),
    "IbmCosHmacDetector": ("cos.py", 'secret_access_key = "' + "a1b2c3d4e5f6" * 4 + '"\n'),
    "IPPublicDetector": ("hosts.txt", "server 93.184.216.34\n"),
    "JwtTokenDetector": (
        "jwt.txt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n",
    ),
    "KeywordDetector": ("dev.py", 'PASSWORD = "correct-horse-battery-staple-9"\n'),
    "MailchimpDetector": ("mc.txt", "key " + "0123456789abcdef" * 2 + "-us12\n"),
    "NpmDetector": (
        "registry.txt",
        "//registry.npmjs.org/:_authToken=npm_aB3dE5fG7hJ9kL1mN2pQ4r\n",
    ),
    "OpenAIDetector": (
        "ai.py",
        "k = 'sk-" + "aB3dE5fG7hJ9kL1mN2pQ" + "T3BlbkFJ" + "xY7zQ2wE4rT6yU8iO0pA" + "'\n",
    ),
    "PrivateKeyDetector": ("armour.txt", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n"),
    "PypiTokenDetector": ("pypirc", "password = pypi-AgEIcHlwaS5vcmc" + "aB3dE5fG7h" * 8 + "\n"),
    "SendGridDetector": (
        "sg.txt",
        "SG." + "aB3dE5fG7hJ9kL1mN2pQ4r" + "." + "xY7zQ2wE4rT6yU8iO0pA" * 2 + "abc\n",
    ),
    "SlackDetector": ("slack.txt", "token xoxb-123456789012-abcdefghij12\n"),
    "SoftlayerDetector": ("sl.py", 'softlayer_api_key = "' + "a1b2c3d4e5f6g7h8" * 4 + '"\n'),
    "SquareOAuthDetector": (
        "sq.txt",
        "sq0csp-" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY1zA3cD5eF7g" + "\n",
    ),
    "StripeDetector": ("stripe.txt", "sk_live_" + "aB3dE5fG7hJ9kL1mN2pQ4rS6" + "\n"),
    "TelegramBotTokenDetector": ("tg.txt", "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq\n"),
    "TwilioKeyDetector": ("tw.txt", "sid AC" + "0123456789abcdef" * 2 + "\n"),
}
# Found only in what a transformer makes of the file: the INI value gets quotes.
TRANSFORMED = ("app.ini", f"[server]\napi_token = {HEX40}\n")


def detect_secrets_itself(path: Path, scope: Scope) -> list[tuple[str, int]]:
    from detect_secrets.core.scan import scan_file

    with _settings(scope):
        return sorted((s.type, s.line_number) for s in scan_file(str(path)))


def secret_type(plugin: str) -> str:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    mapping = get_mapping_from_secret_type_to_class()
    return next(kind for kind, cls in mapping.items() if cls.__name__ == plugin)


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "files"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _findings(root: Path, cache: Path, generated: bool) -> list[tuple[str, str]]:
    selection = select_folder(root)
    sources = SourceFiles(selection, None, None) if not generated else None
    if generated:
        sources = SourceFiles(select_folder(root.parent / "empty"), None, selection)
    assert sources is not None
    return sorted((f.where.split("/", 1)[1], f.kind) for f in find_secrets(sources, cache))


def test_every_plugin_is_understood_by_the_pre_search() -> None:
    from detect_secrets.settings import get_plugins

    for scope in (APP_SCOPE, GENERATED_SCOPE):
        with _settings(scope):
            plugins = list(get_plugins())
            assert not PreSearch(plugins).everything
    assert {type(p).__name__ for p in plugins} == BLOCKING_PLUGINS
    assert set(SAMPLES) >= BLOCKING_PLUGINS


@pytest.mark.parametrize("plugin", sorted(SAMPLES))
@pytest.mark.parametrize("generated", [False, True], ids=["app", "generated"])
def test_a_file_detect_secrets_flags_is_still_flagged(
    tmp_path: Path, plugin: str, generated: bool
) -> None:
    name, text = SAMPLES[plugin]
    root = _folder(tmp_path, {name: text})
    (tmp_path / "empty").mkdir()
    scope = GENERATED_SCOPE if generated else APP_SCOPE
    found = detect_secrets_itself(root / name, scope)
    if plugin == "IPPublicDetector":
        assert found == []  # its filters drop a string without letters: every address
    elif not generated or plugin in BLOCKING_PLUGINS:
        assert secret_type(plugin) in {t for t, _ in found}, (
            f"the sample does not exercise {plugin}: {found}"
        )
    expected = sorted((f"{name}:{line}", kind) for kind, line in found)
    if generated:
        expected = [(w, k) for w, k in expected if plugin in BLOCKING_PLUGINS]
    # Twice: scanned, then from the remembered results.
    assert _findings(root, tmp_path / "cache", generated) == expected
    assert _findings(root, tmp_path / "cache", generated) == expected


def test_what_a_transformer_makes_of_a_file_is_searched_too(tmp_path: Path) -> None:
    name, text = TRANSFORMED
    root = _folder(tmp_path, {name: text})
    found = detect_secrets_itself(root / name, APP_SCOPE)
    assert ("Hex High Entropy String", 2) in found  # the raw line has no quotes
    assert _findings(root, tmp_path / "cache", False) == [
        (f"{name}:{line}", kind) for kind, line in found
    ]


def test_a_file_without_anything_a_plugin_matches_is_cleared(tmp_path: Path) -> None:
    from detect_secrets.settings import get_plugins

    root = _folder(
        tmp_path,
        {
            "views.py": 'from django.shortcuts import render\n\nTEMPLATE = "inspector/home.html"\n',
            "notes.md": "The secret scan reads every file that ships.\nSee 127.0.0.1:8000.\n",
        },
    )
    with _settings(APP_SCOPE):
        pre_search = PreSearch(list(get_plugins()))
        assert not pre_search.may_match(root / "views.py")
        assert not pre_search.may_match(root / "notes.md")
