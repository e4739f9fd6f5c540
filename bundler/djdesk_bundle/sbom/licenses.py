"""Licenses as SPDX-aware tools read them: an SPDX id where the text is one (``MIT``,
``apache-2.0``), an SPDX expression where it is one (``MIT OR Apache-2.0``), else a name
(``BSD License``). cyclonedx-python-lib's license factory makes that call."""

from __future__ import annotations

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression

_FACTORY = LicenseFactory()


def licenses_of(text: str) -> list[DisjunctiveLicense | LicenseExpression]:
    text = text.strip()
    if not text:
        return []
    return [_FACTORY.make_from_string(text)]
