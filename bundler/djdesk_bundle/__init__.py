"""djdesk-bundle: turn a Django project and its lock into a verifiable desktop payload."""

__version__ = "0.1.0"
