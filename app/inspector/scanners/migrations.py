"""Migration graph per app (from the files) and what is applied (from the SQLite DB)."""

from __future__ import annotations

import ast
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .layout import AppDir, Finding, discover_apps, parse_source

DATABASE_NAMES = ("db.sqlite3", "db.sqlite", "database.sqlite3")


@dataclass
class MigrationInfo:
    name: str
    dependencies: list[tuple[str, str]]
    applied: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "applied": self.applied,
            "dependencies": [list(d) for d in self.dependencies],
        }


@dataclass
class AppMigrations:
    label: str
    app_label: str
    migrations: list[MigrationInfo] = field(default_factory=list)

    @property
    def leaves(self) -> list[str]:
        depended_on = {
            name for m in self.migrations for app, name in m.dependencies if app == self.app_label
        }
        return sorted(m.name for m in self.migrations if m.name not in depended_on)

    @property
    def pending(self) -> list[str]:
        return [m.name for m in self.migrations if not m.applied]

    @property
    def conflict(self) -> bool:
        return len(self.leaves) > 1

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "app_label": self.app_label,
            "migrations": [m.to_dict() for m in self.migrations],
            "leaves": self.leaves,
            "pending": self.pending,
            "pending_migrations": len(self.pending),
            "conflict": self.conflict,
        }


@dataclass
class MigrationScan:
    apps: list[AppMigrations]
    database: str  # relative path of the DB read, "" when there is none
    findings: list[Finding]

    @property
    def pending_total(self) -> int:
        return sum(len(a.pending) for a in self.apps)

    @property
    def conflicts(self) -> list[str]:
        return [a.label for a in self.apps if a.conflict]

    def to_dict(self) -> dict[str, object]:
        return {
            "apps": [a.to_dict() for a in self.apps],
            "database": self.database,
            "pending_total": self.pending_total,
            "conflicts": self.conflicts,
            "findings": [f.to_dict() for f in self.findings],
        }


def _dependencies(tree: ast.Module) -> list[tuple[str, str]] | None:
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"):
        for stmt in cls.body:
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "dependencies" for t in stmt.targets)
                and isinstance(stmt.value, ast.List | ast.Tuple)
            ):
                deps = []
                for item in stmt.value.elts:
                    if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                        parts = [e.value for e in item.elts if isinstance(e, ast.Constant)]
                        if len(parts) == 2:
                            deps.append((str(parts[0]), str(parts[1])))
                return deps
        return []
    return None


def _app_migrations(app: AppDir, root: Path, max_bytes: int) -> tuple[AppMigrations, list[Finding]]:
    result = AppMigrations(label=app.label, app_label=app.app_label)
    findings: list[Finding] = []
    directory = app.path / "migrations"
    for path in sorted(directory.glob("*.py")) if directory.is_dir() else []:
        if path.name == "__init__.py":
            continue
        tree, problem = parse_source(path, root, max_bytes)
        if tree is None:
            findings.append(problem)
            continue
        deps = _dependencies(tree)
        if deps is None:
            findings.append(Finding("warning", "no Migration class", str(path.relative_to(root))))
            continue
        result.migrations.append(MigrationInfo(name=path.stem, dependencies=deps))
    return result, findings


def find_database(root: Path) -> Path | None:
    for name in DATABASE_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def read_applied(database: Path) -> tuple[set[tuple[str, str]], Finding | None]:
    """Applied migrations, read through a read-only SQLite connection."""
    uri = f"{database.resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=1)
        try:
            tables = connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchall()
            if not tables:
                return set(), Finding(
                    "info", "database has no django_migrations table", database.name
                )
            rows = connection.execute("SELECT app, name FROM django_migrations").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return set(), Finding("error", f"database unreadable: {exc}", database.name)
    return {(str(app), str(name)) for app, name in rows}, None


def scan_migrations(root: Path, max_source_bytes: int = 2 * 1024 * 1024) -> MigrationScan:
    root = Path(root)
    findings: list[Finding] = []
    apps = []
    for app in discover_apps(root):
        if not (app.path / "migrations").is_dir():
            continue
        migrations, problems = _app_migrations(app, root, max_source_bytes)
        apps.append(migrations)
        findings.extend(problems)
    database = find_database(root)
    applied: set[tuple[str, str]] = set()
    if database is None:
        findings.append(Finding("info", "no SQLite database found: every migration is pending"))
    else:
        applied, problem = read_applied(database)
        if problem:
            findings.append(problem)
    for app_migrations in apps:
        for migration in app_migrations.migrations:
            migration.applied = (app_migrations.app_label, migration.name) in applied
    return MigrationScan(
        apps=apps,
        database=str(database.relative_to(root)) if database else "",
        findings=findings,
    )
