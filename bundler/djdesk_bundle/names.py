"""Distribution names compared the way PyPI compares them (PEP 503), without importing
the SBOM library (the up-to-date check and ``verify`` need only this)."""

from __future__ import annotations

import re


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
