"""The inspector's data: workspaces (inspected projects), their scans and task runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from .allowlist import NotAllowed, check_argv_template


class TimedMixin:
    """Seconds from start to finish of a job with ``started_at``/``finished_at`` fields."""

    started_at: Any
    finished_at: Any

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 3)
        return None


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    # Relative paths are resolved against INSPECTOR_SAMPLE_ROOT, so one seed works in
    # the repository and in the read-only desktop payload.
    project_path = models.CharField(max_length=1024)
    description = models.TextField(blank=True)
    # The interpreter that runs the project's own commands; blank: its .venv, else ours.
    python_path = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def resolved_path(self) -> Path:
        path = Path(self.project_path).expanduser()
        if not path.is_absolute():
            path = Path(settings.INSPECTOR_SAMPLE_ROOT) / path
        return path

    @classmethod
    def unique_slug(cls, name: str) -> str:
        base = slugify(name)[:120] or "workspace"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug = f"{base}-{n}"
            n += 1
        return slug


class ScanJob(TimedMixin, models.Model):
    class Kind(models.TextChoices):
        SCHEMA = "schema", "Schema"
        MIGRATIONS = "migrations", "Migrations"
        LOGS = "logs", "Logs"
        EXPORT = "export", "Data Lab export"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scans")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    progress = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    # Problems found in the inspected project (a syntax error, an unreadable DB):
    # the scan still completes and reports them.
    findings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["workspace", "kind", "-id"])]

    def __str__(self) -> str:
        return f"{self.kind} scan of {self.workspace_id} ({self.status})"


class TaskPreset(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    docs_url = models.URLField(blank=True)
    icon = models.CharField(max_length=40, blank=True)
    # An argv template (a JSON list), never a shell string.
    argv = models.JSONField(default=list)
    requires_confirmation = models.BooleanField(default=True)
    timeout = models.PositiveIntegerField(default=60)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    @property
    def params(self) -> list[str]:
        return check_argv_template(self.argv)

    def clean(self) -> None:
        try:
            check_argv_template(self.argv)
        except NotAllowed as exc:
            raise ValidationError({"argv": str(exc)}) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()  # a preset outside the allowlist cannot be saved
        super().save(*args, **kwargs)


class WorkspaceTaskRun(TimedMixin, models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.REQUESTED, Status.RUNNING)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="task_runs")
    preset = models.ForeignKey(TaskPreset, on_delete=models.PROTECT, related_name="runs")
    args = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    progress = models.PositiveSmallIntegerField(default=0)
    exit_code = models.IntegerField(null=True, blank=True)
    argv = models.JSONField(default=list, blank=True)  # what was actually run
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    pid = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.preset_id} on {self.workspace_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in self.ACTIVE_STATUSES


class DocLink(models.Model):
    title = models.CharField(max_length=120)
    # A path inside the docs bundle ("topics/migrations.html"): served offline when the
    # bundle exists, otherwise joined to INSPECTOR_DOCS_BASE_URL.
    path = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title
