"""Data Lab: deterministic Jupyter notebooks made from a workspace's scans.

Each template embeds the scan data it uses (so the notebook runs without the inspector)
and has no outputs, execution counts, timestamps or random ids: the same workspace state
exported twice gives the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .models import ScanJob, Workspace

if TYPE_CHECKING:
    import nbformat

# nbformat (and the jsonschema it validates with) is imported where a notebook is made or
# read, not with the URLconf: every launch's first page would otherwise wait for it.


class ExportError(Exception):
    def __init__(self, message: str, field: str = "template") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    scan: str  # the scan kind whose result it embeds
    cells: Callable[[dict[str, Any]], list[tuple[str, str]]]


def _data_cell(data: dict[str, Any]) -> str:
    text = json.dumps(data, indent=1, sort_keys=True)
    return f"import json\n\nscan = json.loads(r'''{text}''')"


def _schema_cells(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            "code",
            "models = [m for m in scan['models'] if not m['abstract']]\n"
            "for m in models:\n    print(f\"{m['app']}.{m['name']}: {', '.join(f['name'] for f in m['fields'])}\")",
        ),
        ("markdown", "## Relations"),
        (
            "code",
            "for r in scan['relations']:\n    print(f\"{r['source']}.{r['field']} -> {r['target']} ({r['relation']})\")",
        ),
        ("markdown", "## Apps without models"),
        (
            "code",
            "with_models = {m['app'] for m in scan['models']}\n"
            "print(sorted(set(scan['apps']) - with_models) or 'none')",
        ),
    ]


def _migration_cells(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            "code",
            "for app in scan['apps']:\n"
            "    applied = [m['name'] for m in app['migrations'] if m['applied']]\n"
            "    print(f\"{app['label']}: {len(applied)} applied, {len(app['pending'])} pending {app['pending']}\")",
        ),
        ("markdown", "## Conflicts (more than one leaf in an app)"),
        ("code", "print(scan['conflicts'] or 'none')"),
    ]


def _log_cells(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            "code",
            "from collections import Counter\n\nprint(Counter(e['level'] for e in scan['entries']))",
        ),
        ("markdown", "## Levels over time (per minute)"),
        (
            "code",
            "per_minute = Counter((e['timestamp'][:5], e['level']) for e in scan['entries'] if e['timestamp'])\n"
            "for (minute, level), n in sorted(per_minute.items()):\n    print(minute, level, n)",
        ),
        ("markdown", "## Top error messages"),
        (
            "code",
            "errors = Counter(e['message'] for e in scan['entries'] if e['level'] in ('error', 'critical'))\n"
            "for message, n in errors.most_common(10):\n    print(n, message)",
        ),
    ]


TEMPLATES = {
    t.key: t
    for t in (
        Template("schema-audit", "Schema audit", ScanJob.Kind.SCHEMA, _schema_cells),
        Template("migration-status", "Migration status", ScanJob.Kind.MIGRATIONS, _migration_cells),
        Template("log-study", "Log study", ScanJob.Kind.LOGS, _log_cells),
    )
}


def get_template(key: str) -> Template:
    if key not in TEMPLATES:
        raise ExportError(f"unknown template {key!r} (templates: {', '.join(TEMPLATES)})")
    return TEMPLATES[key]


def build_notebook(workspace: Workspace, template: Template) -> nbformat.NotebookNode:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    scan = (
        workspace.scans.filter(kind=template.scan, status=ScanJob.Status.COMPLETED)
        .order_by("-id")
        .first()
    )
    if scan is None:
        raise ExportError(f"run the {template.scan} scan of {workspace.name} first", field="scan")
    cells = [
        new_markdown_cell(
            f"# {template.title}: {workspace.name}\n\nMade by the DJDesk inspector from "
            f"its {template.scan} scan; the scan data is embedded below."
        ),
        new_code_cell(_data_cell(scan.result)),
    ]
    for kind, source in template.cells(scan.result):
        cells.append(new_markdown_cell(source) if kind == "markdown" else new_code_cell(source))
    for index, cell in enumerate(cells):
        cell["id"] = f"{template.key}-{index:02d}"  # stable ids: no random uuids
    notebook = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "djdesk": {"workspace": workspace.slug, "template": template.key},
        },
    )
    nbformat.validate(notebook)
    return notebook


def export_dir(workspace: Workspace) -> Path:
    return Path(settings.INSPECTOR_DATA_LAB_ROOT) / workspace.slug


def export_path(workspace: Workspace, key: str) -> Path:
    return export_dir(workspace) / f"{get_template(key).key}.ipynb"


def export_notebook(workspace: Workspace, key: str) -> Path:
    """Write the notebook atomically (replaced as a whole on re-export)."""
    import nbformat

    notebook = build_notebook(workspace, get_template(key))
    target = export_path(workspace, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def list_exports(workspace: Workspace) -> list[dict[str, Any]]:
    found = []
    for key, template in TEMPLATES.items():
        path = export_dir(workspace) / f"{key}.ipynb"
        if path.is_file():
            stat = path.stat()
            found.append(
                {
                    "template": key,
                    "title": template.title,
                    "size": stat.st_size,
                    "modified": stat.st_mtime,
                }
            )
    return found


def read_export(workspace: Workspace, key: str) -> nbformat.NotebookNode:
    import nbformat

    path = export_path(workspace, key)
    if not path.is_file():
        raise FileNotFoundError(path)
    return nbformat.read(path, as_version=4)
