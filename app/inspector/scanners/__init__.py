"""Static scanners over an inspected Django project.

They read files and the project's SQLite database (read-only); they never import or
execute the inspected project's code. Each returns a dataclass with a ``to_dict()``.
"""

from .layout import Finding, discover_apps
from .logs import LogScan, scan_logs
from .migrations import MigrationScan, scan_migrations
from .schema import SchemaScan, scan_schema

__all__ = [
    "Finding",
    "LogScan",
    "MigrationScan",
    "SchemaScan",
    "discover_apps",
    "scan_logs",
    "scan_migrations",
    "scan_schema",
]
