"""What ``djdesk-bundle init`` finds in a Django project: where ``manage.py`` and the project
package are, which settings module a desktop app should start from, where the
dependencies are declared and which Python the project asks for.

Plain functions over a path; every choice is explained in ``Scan.notes`` so that ``init``
can say why it wrote what it wrote.
"""

from __future__ import annotations

import ast
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from djdesk_bundle.errors import ConfigError

# Settings modules a desktop app should start from, best first.
PRODUCTION_LIKE = ("desktop", "production", "prod", "live")
# Never a deployment's settings: development, tests, or the shared part of a split.
NOT_PRODUCTION = {
    "__init__",
    "base",
    "common",
    "defaults",
    "default",
    "dev",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "ci",
}
DEFAULT_REQUIRES_PYTHON = ">=3.11"
LOCK_NAME = "requirements.lock.txt"


@dataclass(frozen=True)
class Scan:
    app_dir: str  # relative to the project, "." for a flat project
    app_package: str
    settings_module: str
    name: str
    requires_python: str
    requirements: str  # a requirements file (relative), or "" when pyproject declares deps
    has_project_table: bool
    notes: list[str] = field(default_factory=list)


def read_pyproject(project: Path) -> dict[str, Any]:
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def find_manage_py(project: Path) -> Path:
    """manage.py at the top of the project, else one level down."""
    top = project / "manage.py"
    if top.is_file():
        return top
    below = sorted(p for p in project.glob("*/manage.py") if p.is_file())
    if not below:
        raise ConfigError(
            f"no manage.py in {project} or one level below: run init in the Django project "
            "(the folder holding manage.py or its parent), or pass --project DIR"
        )
    if len(below) > 1:
        found = ", ".join(p.relative_to(project).as_posix() for p in below)
        raise ConfigError(
            f"several manage.py one level below {project} ({found}): pass --project "
            "with the one to bundle"
        )
    return below[0]


def find_project_package(manage_dir: Path, settings: str | None) -> tuple[Path, str]:
    """(app dir, project package): the one package with wsgi.py beside manage.py, or in a
    ``src/`` folder beside it (src layout)."""
    for app_dir in (manage_dir, manage_dir / "src"):
        packages = sorted(p.parent.name for p in app_dir.glob("*/wsgi.py"))
        if settings:
            wanted = settings.split(".")[0]
            if wanted in packages:
                return app_dir, wanted
            continue
        if len(packages) == 1:
            return app_dir, packages[0]
        if len(packages) > 1:
            choices = " or ".join(f"--settings {name}.settings" for name in packages)
            raise ConfigError(
                f"{len(packages)} project packages with wsgi.py in {app_dir} "
                f"({', '.join(packages)}): choose one with {choices}"
            )
    if settings:
        found = [
            p.parent.name for d in (manage_dir, manage_dir / "src") for p in d.glob("*/wsgi.py")
        ]
        close = difflib.get_close_matches(settings.split(".")[0], found, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ConfigError(
            f"--settings {settings}: no package {settings.split('.')[0]!r} with wsgi.py "
            f"in {manage_dir}: give a module of the project package{hint}"
        )
    raise ConfigError(
        f"no */wsgi.py beside {manage_dir / 'manage.py'} (or in src/): "
        "the Django project package needs a wsgi.py (django-admin startproject writes one)"
    )


def choose_settings(app_dir: Path, package: str, notes: list[str]) -> str:
    """The production-like settings module of a project package."""
    single = app_dir / package / "settings.py"
    folder = app_dir / package / "settings"
    if single.is_file() or not folder.is_dir():
        return f"{package}.settings"
    modules = sorted(p.stem for p in folder.glob("*.py"))
    for name in PRODUCTION_LIKE:
        if name in modules:
            notes.append(f"settings: {package}.settings.{name} (production-like, of {modules})")
            return f"{package}.settings.{name}"
    others = [m for m in modules if m not in NOT_PRODUCTION]
    if len(others) == 1:
        notes.append(f"settings: {package}.settings.{others[0]} (not dev/local/test/base)")
        return f"{package}.settings.{others[0]}"
    raise ConfigError(
        f"cannot tell which settings of {folder} a desktop app should use "
        f"(modules: {', '.join(modules)}): pass --settings {package}.settings.<module>"
    )


def project_modules(app_dir: Path, package: str) -> list[str]:
    """The dotted names of the modules and packages of a project package."""
    names = []
    for path in (app_dir / package).rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(app_dir).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


def check_settings_module(app_dir: Path, module: str, given_as: str) -> None:
    """A settings module init writes must exist in the project: a typo is an error now,
    not a failed build later. ``given_as`` says where the name came from."""
    base = app_dir.joinpath(*module.split("."))
    if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
        return
    candidates = project_modules(app_dir, module.split(".")[0])
    close = difflib.get_close_matches(module, candidates, n=3, cutoff=0.8)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ConfigError(f"{given_as} {module}: no such module in {app_dir}{hint}")


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def check_wsgi_application(app_dir: Path, package: str) -> None:
    """The WSGI application init writes (``PACKAGE.wsgi:application``) must be defined."""
    wsgi = app_dir / package / "wsgi.py"
    try:
        tree = ast.parse(wsgi.read_text(encoding="utf-8"), str(wsgi))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{wsgi}: not valid Python ({exc})") from None
    if "application" not in _top_level_names(tree):
        raise ConfigError(
            f"{wsgi} defines no `application`, the WSGI callable a desktop app serves: add "
            "`application = get_wsgi_application()` (as django-admin startproject writes it)"
        )


def classify_requirements(path: Path) -> str:
    """'production', 'plain', 'base' or 'other' (dev, test, …) for a requirements file."""
    stem = path.stem.lower()
    if path.parent.name.lower() == "requirements":
        label = stem
    else:
        label = re.sub(r"^requirements[-_.]?", "", stem)
    if label in ("", "requirements"):
        return "plain"
    if label in PRODUCTION_LIKE:
        return "production"
    if label in ("base", "common"):
        return "base"
    return "other"


# What a server deployment adds that a desktop app never runs or imports: web servers,
# drivers of server databases (the runtime's database override is SQLite), cloud storage
# clients (its media and static overrides replace the storages). Not what settings
# import themselves (sentry-sdk, dj-database-url, django-redis): leaving those out would
# break the settings, which the build's smoke stage would then report.
DEPLOYMENT_ONLY = frozenset(
    {
        "uwsgi", "gunicorn", "uvicorn", "daphne", "hypercorn", "mod-wsgi", "waitress",
        "psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "mysqlclient", "pymysql",
        "django-storages", "boto3", "botocore", "s3transfer", "newrelic", "whitenoise",
    }
)  # fmt: skip
CLOUD_PREFIXES = ("google-cloud-", "azure-", "aws-", "boto")


def _is_deployment_only(name: str) -> bool:
    return name in DEPLOYMENT_ONLY or name.startswith(CLOUD_PREFIXES)


def base_of_production(path: Path) -> tuple[Path, list[str]] | None:
    """(the included base file, what production adds) when a production requirements file
    only adds deployment servers and cloud clients to a file it includes with -r."""
    includes: list[Path] = []
    added: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        option = re.match(r"^(?:-r|--requirement)[\s=]+(\S+)$", line)
        if option:
            includes.append((path.parent / option[1]).resolve())
            continue
        if line.startswith("-"):
            continue
        try:
            added.append(canonicalize_name(Requirement(line.split(" --")[0]).name))
        except InvalidRequirement:
            return None
    if len(includes) != 1 or not includes[0].is_file() or not added:
        return None
    if not all(_is_deployment_only(name) for name in added):
        return None
    return includes[0], sorted(added)


def find_requirements(project: Path, app_dir: Path) -> Path | None:
    """The requirements file that lists what the deployed site needs."""
    found: list[Path] = []
    for folder in dict.fromkeys((project, app_dir)):
        found += folder.glob("requirements*.txt")
        found += folder.glob("requirements/*.txt")
    candidates = sorted(p for p in set(found) if p.is_file() and p.name != LOCK_NAME)
    for kind in ("production", "plain", "base"):
        for path in candidates:
            if classify_requirements(path) == kind:
                return path
    return None


def requires_python(project: Path, data: dict[str, Any], notes: list[str]) -> str:
    declared = data.get("project", {}).get("requires-python")
    if declared:
        return str(declared)
    pinned = project / ".python-version"
    if pinned.is_file():
        match = re.match(r"\s*(\d+)\.(\d+)", pinned.read_text(encoding="utf-8"))
        if match:
            notes.append(f"requires-python: from .python-version ({match[1]}.{match[2]})")
            return f">={match[1]}.{match[2]}"
    return DEFAULT_REQUIRES_PYTHON


def scan_project(
    project: Path, settings: str | None = None, settings_given_as: str = "--settings"
) -> Scan:
    project = project.resolve()
    notes: list[str] = []
    manage = find_manage_py(project)
    app_dir, package = find_project_package(manage.parent, settings)
    if settings:
        check_settings_module(app_dir, settings, settings_given_as)
    module = settings or choose_settings(app_dir, package, notes)
    check_wsgi_application(app_dir, package)
    data = read_pyproject(project)
    table = data.get("project", {})
    requirements = ""
    if not table.get("dependencies"):
        found = find_requirements(project, app_dir)
        if found is None:
            notes.append(
                "dependencies: none found: list Django and the rest in a requirements.txt "
                "or in [project].dependencies, then run `djdesk-bundle lock`"
            )
        else:
            base = (
                base_of_production(found) if classify_requirements(found) == "production" else None
            )
            if base is not None and base[0].is_relative_to(project):
                production = found.relative_to(project).as_posix()
                found = base[0]
                notes.append(
                    f"dependencies: not {production}: it adds only what a server deployment "
                    f"runs ({', '.join(base[1])}), which the desktop runtime replaces; "
                    f'set requirements = "{production}" to ship them anyway'
                )
            requirements = found.relative_to(project).as_posix()
            notes.append(f"dependencies: {requirements} (locked into {LOCK_NAME} by `lock`)")
    return Scan(
        app_dir=app_dir.relative_to(project).as_posix() or ".",
        app_package=package,
        settings_module=module,
        name=str(table.get("name") or project.name),
        requires_python=requires_python(project, data, notes),
        requirements=requirements,
        has_project_table=bool(table),
        notes=notes,
    )
