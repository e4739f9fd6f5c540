"""Licences as SPDX expressions, normalised by the ``license-expression`` library.

A distribution's licence is, in this order: PEP 639's ``License-Expression``; the
``License`` field when its first line is an SPDX expression or a known name of one; the
``License ::`` classifiers (mapped to SPDX ids; "BSD License" says neither 2- nor
3-clause, so the licence file's text decides). What none of these names as SPDX stays a
named licence (CycloneDX ``license.name``) rather than a guess.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression

_FACTORY = LicenseFactory()

# Names that License fields and classifiers use for SPDX licences (lower case).
KNOWN_NAMES = {
    "mit license": "MIT",
    "mit": "MIT",
    "apache software license": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "bsd 3-clause license": "BSD-3-Clause",
    "bsd 2-clause license": "BSD-2-Clause",
    "zope public license": "ZPL-2.1",
    "zpl 2.1": "ZPL-2.1",
    "python software foundation license": "PSF-2.0",
    "isc license (iscl)": "ISC",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "the unlicense (unlicense)": "Unlicense",
    "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
    "gnu lesser general public license v2 or later (lgplv2+)": "LGPL-2.0-or-later",
    "gnu general public license v3 (gplv3)": "GPL-3.0-only",
    "historical permission notice and disclaimer (hpnd)": "HPND",
    "public domain": "LicenseRef-Public-Domain",
}


@functools.cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


def spdx_expression(text: str) -> str | None:
    """``text`` as a normalised SPDX expression, or None when it is not one."""
    from license_expression import ExpressionError

    text = text.strip()
    if not text or len(text) > 200 or "\n" in text:
        return None
    known = KNOWN_NAMES.get(text.lower())
    if known:
        return known
    try:
        parsed = _licensing().parse(text, validate=True, strict=True)
    except (ExpressionError, TypeError, ValueError):
        return None
    return None if parsed is None else str(parsed.render())


def _classifier_licence(classifiers: list[str], license_files: list[Path]) -> str | None:
    names = [
        c.split("::")[-1].strip()
        for c in classifiers
        if c.startswith("License ::") and c.split("::")[-1].strip() != "OSI Approved"
    ]
    ids = []
    for name in names:
        if name == "BSD License":
            ids.append(_bsd_variant(license_files))
        else:  # a classifier SPDX has no id for stays visible as a LicenseRef
            ids.append(spdx_expression(name) or _licence_ref(name))
    return " OR ".join(sorted(set(ids))) if ids else None


def _licence_ref(name: str) -> str:
    return "LicenseRef-" + re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")


def _bsd_variant(license_files: list[Path]) -> str:
    """BSD-3-Clause when the licence text has the "neither the name" clause."""
    for path in license_files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if re.search(r"neither the name", text, re.IGNORECASE):
            return "BSD-3-Clause"
        if re.search(r"redistributions in binary form", text, re.IGNORECASE):
            return "BSD-2-Clause"
    return "LicenseRef-BSD-unspecified"


def distribution_licence(meta: Any, license_files: list[Path]) -> str:
    """The licence of a distribution from its METADATA (an email.message.Message)."""
    declared = str(meta.get("License-Expression") or "").strip()
    expression = spdx_expression(declared)
    if expression:
        return expression
    field = str(meta.get("License") or "").strip()
    first = field.splitlines()[0].strip() if field else ""
    from_field = spdx_expression(first)
    if from_field:
        return from_field
    from_classifiers = _classifier_licence(list(meta.get_all("Classifier") or []), license_files)
    return from_classifiers or declared or first


def licenses_of(text: str) -> list[DisjunctiveLicense | LicenseExpression]:
    """CycloneDX licences for an SPDX expression (a name when it is not one)."""
    text = text.strip()
    if not text:
        return []
    return [_FACTORY.make_from_string(spdx_expression(text) or text)]
