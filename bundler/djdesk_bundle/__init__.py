"""djdesk-bundle: turn a Django project and its lock into a verifiable desktop payload."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("djdesk-bundle")  # one version: the one in bundler/pyproject.toml
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"
