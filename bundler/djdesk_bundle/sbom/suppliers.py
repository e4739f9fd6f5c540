"""Who supplies each component (the NTIA minimum element "supplier name").

- a PyPI distribution: the people its metadata names (``Maintainer``/``Maintainer-email``
  first, then ``Author``/``Author-email``), else the index that distributed it;
- an npm package: the ``author`` (then ``maintainers``) of its installed ``package.json``,
  else the registry that distributed it;
- the interpreter and the libraries built into it: python-build-standalone's builder;
- Electron, and the Chromium, Node and V8 inside it: the OpenJS Foundation, Electron's home.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import Any

from cyclonedx.model import XsUri
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity

PYPI = ("Python Package Index (distributor)", "https://pypi.org/")
NPM = ("npm registry (distributor)", "https://www.npmjs.com/")
ASTRAL = (
    "Astral Software Inc. (python-build-standalone)",
    "https://github.com/astral-sh/python-build-standalone",
)
OPENJS = ("OpenJS Foundation (Electron)", "https://openjsf.org/")


def entity(
    name: str, url: str | None = None, contacts: list[tuple[str, str]] | None = None
) -> OrganizationalEntity:
    return OrganizationalEntity(
        name=name,
        urls=[XsUri(url)] if url else None,
        contacts=[_contact(person, email) for person, email in contacts or []] or None,
    )


def _contact(person: str, email: str) -> OrganizationalContact:
    """An address without an @ ("author": "notes-desk") is a name, not an email: the
    CycloneDX schema (idn-email) refuses it, and the build with it."""
    if "@" not in email:
        person, email = person or email, ""
    return OrganizationalContact(name=person or None, email=email or None)


def _people(names: str, emails: str) -> list[tuple[str, str]]:
    """(name, email) pairs from a name field and an RFC 822 address field."""
    found = [(n.strip().strip('"'), e.strip()) for n, e in getaddresses([emails]) if e or n]
    if not found and names.strip():
        found = [(names.strip(), "")]
    return found


def pypi_supplier(meta: Any) -> OrganizationalEntity:
    for name_field, email_field in (("Maintainer", "Maintainer-email"), ("Author", "Author-email")):
        names, emails = str(meta.get(name_field) or ""), str(meta.get(email_field) or "")
        people = _people(names, emails)
        if people:
            label = names.strip() or ", ".join(n or e for n, e in people)
            return entity(label, None, people)
    return entity(*PYPI)


def npm_supplier(package_json: dict[str, Any] | None) -> OrganizationalEntity:
    if package_json:
        author = package_json.get("author")
        if isinstance(author, str) and author.strip():
            person, email = getaddresses([author])[0]
            return entity(person or author.strip(), None, [(person or author.strip(), email)])
        if isinstance(author, dict) and author.get("name"):
            return entity(
                str(author["name"]), None, [(str(author["name"]), str(author.get("email") or ""))]
            )
        maintainers = [m for m in package_json.get("maintainers") or [] if isinstance(m, dict)]
        if maintainers:
            people = [(str(m.get("name") or ""), str(m.get("email") or "")) for m in maintainers]
            return entity(", ".join(p for p, _ in people if p) or NPM[0], None, people)
    return entity(*NPM)
