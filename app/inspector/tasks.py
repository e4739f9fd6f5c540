"""Background work, run through django-tasks (the immediate backend by default)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .models import ScanJob
from .scanners import scan_logs, scan_migrations, scan_schema


def _run_scanner(kind: str, root):  # type: ignore[no-untyped-def]
    limit = settings.INSPECTOR_MAX_SOURCE_BYTES
    if kind == ScanJob.Kind.SCHEMA:
        return scan_schema(root, max_source_bytes=limit)
    if kind == ScanJob.Kind.MIGRATIONS:
        return scan_migrations(root, max_source_bytes=limit)
    return scan_logs(root, settings.INSPECTOR_LOG_TAIL_BYTES, settings.INSPECTOR_LOG_TAIL_LINES)


@task()
def export_data_lab(job_id: int, template: str) -> str:
    """Write a Data Lab notebook; progress and outcome are recorded on an export job."""
    from .datalab import ExportError, export_notebook

    job = ScanJob.objects.select_related("workspace").get(pk=job_id)
    job.status, job.progress, job.started_at = ScanJob.Status.RUNNING, 10, timezone.now()
    job.save(update_fields=["status", "progress", "started_at", "updated_at"])
    try:
        path = export_notebook(job.workspace, template)
        job.result = {"template": template, "file": path.name, "size": path.stat().st_size}
        job.status = ScanJob.Status.COMPLETED
    except ExportError as exc:
        job.status, job.error = ScanJob.Status.FAILED, exc.message
    job.progress, job.finished_at = 100, timezone.now()
    job.save()
    return job.status


@task()
def run_scan(scan_id: int) -> str:
    """Run one scan and record its progress and outcome on the ScanJob row."""
    job = ScanJob.objects.select_related("workspace").get(pk=scan_id)
    job.status, job.progress, job.started_at = ScanJob.Status.RUNNING, 10, timezone.now()
    job.save(update_fields=["status", "progress", "started_at", "updated_at"])
    root = job.workspace.resolved_path()
    try:
        if not root.is_dir():
            raise FileNotFoundError(f"project folder not found: {root}")
        scan = _run_scanner(job.kind, root)
        job.result = scan.to_dict()
        job.findings = [f.to_dict() for f in scan.findings]
        job.status = ScanJob.Status.COMPLETED
    except Exception as exc:  # a scan records its failure; it never takes the server down
        job.status, job.error = ScanJob.Status.FAILED, f"{type(exc).__name__}: {exc}"
    job.progress, job.finished_at = 100, timezone.now()
    job.save()
    return job.status


@task()
def execute_workspace_task(run_id: int) -> str:
    """Run one allowlisted preset for a workspace (see runner.execute)."""
    from .models import WorkspaceTaskRun
    from .runner import execute

    run = WorkspaceTaskRun.objects.select_related("preset", "workspace").get(pk=run_id)
    if run.status != WorkspaceTaskRun.Status.REQUESTED:
        return run.status  # cancelled before it started, or already run
    return execute(run).status
