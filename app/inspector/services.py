"""Non-HTTP logic behind the views: starting scans and building the status payload."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db.models import DateTimeField, F, Func, IntegerField, Max, OuterRef, Q, Subquery

from .allowlist import NotAllowed
from .datalab import TEMPLATES
from .models import DocLink, ScanJob, TaskPreset, Workspace, WorkspaceTaskRun
from .runner import reap_stale_runs
from .tasks import run_scan

LOG_TAIL = 20_000  # characters of a task run's log the API returns

RECENT_SCANS = 12
RECENT_TASK_RUNS = 10
SCAN_KINDS = [ScanJob.Kind.SCHEMA, ScanJob.Kind.MIGRATIONS, ScanJob.Kind.LOGS]


def start_scans(workspace: Workspace, kinds: list[str] | None = None) -> list[ScanJob]:
    jobs = [
        ScanJob.objects.create(workspace=workspace, kind=kind) for kind in (kinds or SCAN_KINDS)
    ]
    for job in jobs:
        # Rows exist (autocommit) before the enqueue, so a worker backend finds them.
        result = run_scan.enqueue(job.pk)
        ScanJob.objects.filter(pk=job.pk).update(task_result_id=result.id)
    return jobs


def ensure_initial_scans(workspace: Workspace) -> bool:
    """Start the scans of a workspace that has never been scanned; True if started."""
    if workspace.scans.exists():
        return False
    start_scans(workspace)
    return True


def _aggregate(queryset: Any, function: str, field: str, output: Any) -> Subquery:
    """One aggregate of ``queryset`` as a column of the outer query (no GROUP BY)."""
    value = Func(F(field), function=function, output_field=output)
    return Subquery(queryset.order_by().values(v=value)[:1], output_field=output)


def workspace_for_status(slug: str) -> Workspace | None:
    """The workspace with a fingerprint of everything its status shows, in one query:
    a `304` costs nothing more, and a full poll knows whether any run may need reaping."""
    scans = ScanJob.objects.filter(workspace=OuterRef("pk"))
    runs = WorkspaceTaskRun.objects.filter(workspace=OuterRef("pk"))
    active = WorkspaceTaskRun.objects.filter(status__in=WorkspaceTaskRun.ACTIVE_STATUSES)
    number, stamp = IntegerField(), DateTimeField()
    return (
        Workspace.objects.filter(slug=slug)
        .annotate(
            scan_count=_aggregate(scans, "COUNT", "id", number),
            scan_changed=_aggregate(scans, "MAX", "updated_at", stamp),
            run_count=_aggregate(runs, "COUNT", "id", number),
            run_changed=_aggregate(runs, "MAX", "updated_at", stamp),
            link_count=_aggregate(DocLink.objects.all(), "COUNT", "id", number),
            link_last=_aggregate(DocLink.objects.all(), "MAX", "id", number),
            active_runs=_aggregate(active, "COUNT", "id", number),
        )
        .first()
    )


def status_etag(workspace: Workspace) -> str:
    """A fingerprint of everything the status payload shows (from workspace_for_status)."""
    parts = (
        workspace.updated_at,
        workspace.scan_count,  # type: ignore[attr-defined]
        workspace.scan_changed,  # type: ignore[attr-defined]
        workspace.run_count,  # type: ignore[attr-defined]
        workspace.run_changed,  # type: ignore[attr-defined]
        workspace.link_count,  # type: ignore[attr-defined]
        workspace.link_last,  # type: ignore[attr-defined]
    )
    raw = "|".join(map(str, parts))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def doc_link_url(link: DocLink) -> str:
    if (settings.INSPECTOR_DOCS_BUNDLE_DIR / "index.html").is_file():
        return f"/docs/offline/{link.path}"
    return settings.INSPECTOR_DOCS_BASE_URL.rstrip("/") + "/" + link.path.lstrip("/")


def doc_links() -> list[dict[str, str]]:
    return [{"title": link.title, "url": doc_link_url(link)} for link in DocLink.objects.all()]


KIND_ORDER = [*SCAN_KINDS, ScanJob.Kind.EXPORT]
MODEL_BASE_NAMES = {"Model", "models.Model"}


def _newest_per_kind(scans: Any) -> Any:
    return scans.order_by().values("kind").annotate(newest=Max("id")).values("newest")


def latest_scans(
    workspace: Workspace,
) -> tuple[list[ScanJob], list[ScanJob], dict[str, ScanJob]]:
    """In one query: the recent scans, the newest scan of each kind (the panel's current
    rows, however old) and the newest completed one of each kind (what the panels show)."""
    scans = workspace.scans.all()
    jobs = list(
        scans.filter(
            Q(id__in=scans.order_by("-id").values("id")[:RECENT_SCANS])
            | Q(id__in=_newest_per_kind(scans))
            | Q(id__in=_newest_per_kind(scans.filter(status=ScanJob.Status.COMPLETED)))
        ).order_by("-id")
    )
    current: dict[str, ScanJob] = {}
    latest: dict[str, ScanJob] = {}
    for job in jobs:
        current.setdefault(job.kind, job)
        if job.status == ScanJob.Status.COMPLETED:
            latest.setdefault(job.kind, job)
    ordered = [current[kind] for kind in KIND_ORDER if kind in current]
    return jobs[:RECENT_SCANS], ordered, latest


def _insights(
    schema: dict[str, Any], migrations: dict[str, Any], logs: dict[str, Any], findings: int
) -> list[dict[str, str]]:
    levels = logs.get("levels", {})
    models = [m for m in schema.get("models", []) if not m.get("abstract")]
    return [
        {"title": "Pending migrations", "value": str(migrations.get("pending_total", 0))},
        {"title": "Models", "value": str(len(models))},
        {"title": "Apps", "value": str(len(schema.get("apps", [])))},
        {"title": "Migration conflicts", "value": str(len(migrations.get("conflicts", [])))},
        {
            "title": "Recent errors",
            "value": str(levels.get("error", 0) + levels.get("critical", 0)),
        },
        {"title": "Scan findings", "value": str(findings)},
    ]


def _resolver(models: list[dict[str, Any]]) -> Any:
    """Find the node id a relation or a base class names: "Model" in the same app (else
    the one model of that name), "app_label.Model" by the last part of an app's label."""
    by_name: dict[str, list[str]] = {}
    for model in models:
        by_name.setdefault(model["name"], []).append(model["app"])

    def resolve(target: str, app: str) -> str | None:
        label, _, name = target.rpartition(".")
        apps = by_name.get(name, [])
        if label:
            matches = [a for a in apps if a == label or a.endswith("." + label)]
        else:
            matches = [app] if app in apps else apps
        return f"{matches[0]}.{name}" if len(matches) == 1 else None

    return resolve


def _schema_graph(schema: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Models with their fields, and every relation and inheritance between them as an
    edge whose ``target_id`` is the node it points at (None: a model outside the project)."""
    models = schema.get("models", [])
    resolve = _resolver(models)
    nodes = [
        {
            "id": f"{m['app']}.{m['name']}",
            "name": m["name"],
            "app": m["app"],
            "fields": [f["name"] for f in m["fields"]],
            "field_types": [f["type"] for f in m["fields"]],
            "abstract": m["abstract"],
            "proxy": m["proxy"],
        }
        for m in models
    ]
    edges = []
    for relation in schema.get("relations", []):
        app = relation["source"].rpartition(".")[0]
        edges.append({**relation, "target_id": resolve(relation["target"], app)})
    for model in models:
        for base in model.get("bases", []):
            base_id = resolve(base.rsplit(".", 1)[-1], model["app"])
            if base_id and base not in MODEL_BASE_NAMES:
                edges.append(
                    {
                        "source": f"{model['app']}.{model['name']}",
                        "field": "",
                        "target": base,
                        "target_id": base_id,
                        "relation": "proxy" if model["proxy"] else "inherits",
                    }
                )
    return {"nodes": nodes, "edges": edges}


def _apps(schema: dict[str, Any], migrations: dict[str, Any]) -> list[dict[str, Any]]:
    by_label = {a["label"]: a for a in migrations.get("apps", [])}
    labels = sorted(set(schema.get("apps", [])) | set(by_label))
    return [
        {
            "label": label,
            "pending_migrations": by_label.get(label, {}).get("pending_migrations", 0),
            "pending": by_label.get(label, {}).get("pending", []),
            "migrations": len(by_label.get(label, {}).get("migrations", [])),
            "conflict": by_label.get(label, {}).get("conflict", False),
        }
        for label in labels
    ]


def task_run_dict(run: WorkspaceTaskRun, detail: bool = False) -> dict[str, Any]:
    """One serializer for a task run: the summary the status poll lists, or (``detail``)
    everything the task-run API returns, the log's tail included."""
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    summary = {
        "id": run.pk,
        "preset": run.preset.key,
        "label": run.preset.label,
        "status": run.status,
        "progress": run.progress,
        "exit_code": run.exit_code,
        "duration": run.duration,
        "error": run.error,
        "created_at": stamp(run.created_at),
    }
    if not detail:
        return summary
    return summary | {
        "workspace": run.workspace.slug,
        "args": run.args,
        "note": run.note,
        "argv": run.argv,
        "log": run.log[-LOG_TAIL:],
        "started_at": stamp(run.started_at),
        "finished_at": stamp(run.finished_at),
    }


def scan_label(job: ScanJob) -> str:
    """What the scans panel calls a job: its kind, and for an export its template and file."""
    if job.kind != ScanJob.Kind.EXPORT:
        return str(ScanJob.Kind(job.kind).label)
    template = TEMPLATES.get(str(job.result.get("template", "")))
    if template is None:
        return "Data Lab export"
    return f"Export: {template.title} ({job.result.get('file') or template.key + '.ipynb'})"


def scan_dict(job: ScanJob) -> dict[str, Any]:
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "id": job.pk,
        "kind": job.kind,
        "label": scan_label(job),
        "status": job.status,
        "progress": job.progress,
        "findings": job.findings,
        "findings_count": len(job.findings),
        "error": job.error,
        "created_at": stamp(job.created_at),
        "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at),
        "duration": job.duration,
    }


def scan_history(status: dict[str, Any]) -> list[dict[str, Any]]:
    """The recent scans of a status payload that are not a kind's current row."""
    current = {scan["id"] for scan in status["current_scans"]}
    return [scan for scan in status["scans"] if scan["id"] not in current]


def _safe_params(preset: TaskPreset) -> list[str]:
    try:
        return preset.params
    except NotAllowed:
        return []


def build_status_payload(workspace: Workspace) -> dict[str, Any]:
    """The dashboard's consolidated state; a fixed number of queries however much data."""
    if getattr(workspace, "active_runs", 1):  # unknown, or some run may be stale
        reap_stale_runs()
    recent, current, latest = latest_scans(workspace)
    schema = latest["schema"].result if "schema" in latest else {}
    migrations = latest["migrations"].result if "migrations" in latest else {}
    logs = latest["logs"].result if "logs" in latest else {}
    findings = sum(len(job.findings) for job in latest.values())
    runs = workspace.task_runs.select_related("preset")[:RECENT_TASK_RUNS]
    return {
        "workspace": workspace.name,
        "slug": workspace.slug,
        "project_path": str(workspace.resolved_path()),
        "insights": _insights(schema, migrations, logs, findings),
        "apps": _apps(schema, migrations),
        "schema": _schema_graph(schema),
        "log_excerpt": [
            {k: e[k] for k in ("timestamp", "level", "message", "file")}
            for e in logs.get("entries", [])[-25:]
        ],
        "scans": [scan_dict(job) for job in recent],
        "current_scans": [scan_dict(job) for job in current],
        "tasks": [task_run_dict(run) for run in runs],
        "task_presets": [
            {
                "key": p.key,
                "label": p.label,
                "requires_confirmation": p.requires_confirmation,
                "description": p.description,
                "docs_url": p.docs_url,
                "icon": p.icon,
                "params": _safe_params(p),
            }
            for p in TaskPreset.objects.all()
        ],
        "migration_choices": {
            a["app_label"]: [m["name"] for m in a["migrations"]] for a in migrations.get("apps", [])
        },
        "doc_links": doc_links(),
    }
