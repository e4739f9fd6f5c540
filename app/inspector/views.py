"""HTTP views: the dashboard, the workspace wizard, the status API and offline docs."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import FormView, TemplateView

from . import datalab, live_lab, notebook_preview, runner, services
from .api_errors import RequestError, json_error, parse_json_object
from .forms import WorkspaceWizardForm
from .models import ScanJob, TaskPreset, Workspace, WorkspaceTaskRun
from .task_requests import create_task_run
from .tasks import execute_workspace_task, export_data_lab


def no_workspace(slug: str) -> JsonResponse:
    return json_error(HTTPStatus.NOT_FOUND, f"no workspace with slug {slug[:200]!r}", "slug")


def data_lab_exports(workspace: Workspace) -> list[dict[str, Any]]:
    """The sidebar's list of a workspace's notebook exports (empty when the flag is off)."""
    exports = datalab.list_exports(workspace) if settings.DJDESK_FLAG_DATA_LAB else []
    for export in exports:
        export["modified_at"] = datetime.fromtimestamp(export["modified"], tz=UTC)
    return exports


@method_decorator(ensure_csrf_cookie, name="dispatch")
class DashboardView(TemplateView):
    template_name = "inspector/dashboard.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        slug = kwargs.get("slug")
        if slug is None:
            first = Workspace.objects.first()
            if first is None:
                return redirect("inspector:wizard")
            return redirect("inspector:dashboard", slug=first.slug)
        self.workspace = get_object_or_404(Workspace, slug=slug)
        # First view of a never-scanned workspace starts its scans; polls never do.
        services.ensure_initial_scans(self.workspace)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = services.build_status_payload(self.workspace)
        context.update(
            workspace=self.workspace,
            data_lab_exports=data_lab_exports(self.workspace),
            status=status,
            scan_history=services.scan_history(status),
            doc_links=status["doc_links"],
            task_presets=TaskPreset.objects.all(),
        )
        return context


@method_decorator(ensure_csrf_cookie, name="dispatch")
class WorkspaceWizardView(FormView):
    template_name = "inspector/wizard.html"
    form_class = WorkspaceWizardForm

    def form_invalid(self, form: WorkspaceWizardForm) -> HttpResponse:
        """A 400 naming the field: the form again with its errors and the input kept, or
        JSON for a client that asks for it."""
        if "application/json" in self.request.headers.get("Accept", ""):
            field, messages = next(iter(form.errors.items()))
            return json_error(
                HTTPStatus.BAD_REQUEST, messages[0], field, errors=form.errors.get_json_data()
            )
        response = super().form_invalid(form)
        response.status_code = HTTPStatus.BAD_REQUEST
        return response

    def form_valid(self, form: WorkspaceWizardForm) -> HttpResponse:
        workspace = form.save()
        if form.cleaned_data["run_scans"]:
            services.start_scans(workspace)
        return redirect("inspector:dashboard", slug=workspace.slug)


class RescanView(View):
    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        workspace = get_object_or_404(Workspace, slug=slug)
        services.start_scans(workspace)
        return redirect("inspector:dashboard", slug=slug)


@require_GET
def workspace_status(request: HttpRequest, slug: str) -> HttpResponse:
    workspace = services.workspace_for_status(slug)
    if workspace is None:
        return no_workspace(slug)
    etag = services.status_etag(workspace)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=HTTPStatus.NOT_MODIFIED)
    else:
        response = JsonResponse(services.build_status_payload(workspace))
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_POST
def workspace_rescan_api(request: HttpRequest, slug: str) -> JsonResponse:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        return no_workspace(slug)
    kinds = scan_kinds(parse_json_object(request.body).get("kinds"))
    jobs = services.start_scans(workspace, kinds)
    for job in jobs:
        job.refresh_from_db()
    return JsonResponse(
        {"scans": [services.scan_dict(j) for j in jobs]}, status=HTTPStatus.ACCEPTED
    )


def scan_kinds(kinds: object) -> list[str] | None:
    """The ``kinds`` of a rescan request: absent (all), or a list of known kind names."""
    if kinds is None:
        return None
    known = [str(kind) for kind in services.SCAN_KINDS]
    if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
        raise RequestError("kinds", f"kinds must be a list of scan kinds ({', '.join(known)})")
    unknown = sorted(set(kinds) - set(known))
    if unknown:
        raise RequestError("kinds", f"unknown scan kinds {unknown} (known: {', '.join(known)})")
    return kinds


@require_GET
def offline_docs(request: HttpRequest, path: str = "index.html") -> HttpResponse:
    root = Path(settings.INSPECTOR_DOCS_BUNDLE_DIR).resolve()
    try:
        target = (root / (path or "index.html")).resolve()
        if target.is_dir():
            target = target / "index.html"
        found = target.is_relative_to(root) and target.is_file()
    except (OSError, ValueError):  # a NUL byte, a name longer than the OS allows
        found = False
    if not found:
        raise Http404("no such page in the offline docs")
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target.open("rb"), content_type=content_type)


@require_http_methods(["GET", "POST"])
def task_runs(request: HttpRequest) -> JsonResponse:
    """POST: create a run of an allowlisted preset (with the immediate backend it has
    finished). GET ?state=active: the runs not finished yet (the shell asks before updating)."""
    if request.method == "GET":
        if request.GET.get("state") != "active":
            return json_error(
                HTTPStatus.BAD_REQUEST, "only ?state=active is supported", field="state"
            )
        active = (
            WorkspaceTaskRun.objects.select_related("workspace", "preset")
            .filter(status__in=WorkspaceTaskRun.ACTIVE_STATUSES)
            .order_by("pk")
        )
        return JsonResponse({"runs": [services.task_run_dict(run, detail=True) for run in active]})
    run = create_task_run(request.body)
    execute_workspace_task.enqueue(run.pk)
    run.refresh_from_db()
    return JsonResponse(services.task_run_dict(run, detail=True), status=HTTPStatus.CREATED)


@require_GET
def task_run_detail(request: HttpRequest, run_id: int) -> JsonResponse:
    run = WorkspaceTaskRun.objects.select_related("workspace", "preset").filter(pk=run_id).first()
    if run is None:
        return json_error(HTTPStatus.NOT_FOUND, f"no task run {run_id}", "run_id")
    return JsonResponse(services.task_run_dict(run, detail=True))


@require_POST
def task_run_cancel(request: HttpRequest, run_id: int) -> JsonResponse:
    run = WorkspaceTaskRun.objects.select_related("workspace", "preset").filter(pk=run_id).first()
    if run is None:
        return json_error(HTTPStatus.NOT_FOUND, f"no task run {run_id}", "run_id")
    cancelled = not run.finished and runner.request_cancel(run_id)
    run.refresh_from_db()
    if not cancelled:
        return json_error(HTTPStatus.CONFLICT, f"run {run_id} has already {run.status}", "run_id")
    return JsonResponse(services.task_run_dict(run, detail=True), status=HTTPStatus.ACCEPTED)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """API clients get JSON, pages the usual message."""
    if request.path.startswith("/api/"):
        return json_error(HTTPStatus.FORBIDDEN, f"CSRF check failed: {reason}", field="csrf")
    return HttpResponse(f"CSRF check failed: {reason}", status=HTTPStatus.FORBIDDEN)


def data_lab_workspace(slug: str) -> Workspace | JsonResponse:
    """The workspace of a Data Lab API call, or the JSON 404 saying what is missing."""
    if not settings.DJDESK_FLAG_DATA_LAB:
        return json_error(
            HTTPStatus.NOT_FOUND, "the Data Lab is off (DJDESK_FLAG_DATA_LAB)", "path"
        )
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        return no_workspace(slug)
    return workspace


@require_http_methods(["POST", "DELETE"])
def data_lab_live(request: HttpRequest, slug: str) -> HttpResponse:
    """POST: start (or find) the live Jupyter server over the export folder; DELETE: stop it."""
    workspace = data_lab_workspace(slug)
    if isinstance(workspace, JsonResponse):
        return workspace
    if request.method == "DELETE":
        if not live_lab.stop(workspace):
            return json_error(
                HTTPStatus.NOT_FOUND, "no live lab is running for this workspace", "slug"
            )
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    try:
        lab = live_lab.start(workspace)
    except live_lab.LabUnavailable as error:
        return json_error(HTTPStatus.CONFLICT, str(error), "lab")
    return JsonResponse(
        {"url": f"{lab.url}tree?token={lab.token}", "folder": str(lab.folder)},
        status=HTTPStatus.CREATED,
    )


@require_POST
def data_lab_export(request: HttpRequest, slug: str) -> JsonResponse:
    workspace = data_lab_workspace(slug)
    if isinstance(workspace, JsonResponse):
        return workspace
    try:
        template = datalab.get_template(str(parse_json_object(request.body).get("template", "")))
    except datalab.ExportError as error:
        return json_error(HTTPStatus.BAD_REQUEST, error.message, field=error.field)
    job = ScanJob.objects.create(
        workspace=workspace, kind=ScanJob.Kind.EXPORT, result={"template": template.key}
    )
    export_data_lab.enqueue(job.pk, template.key)
    job.refresh_from_db()
    if job.status == ScanJob.Status.FAILED:  # finished already (immediate backend) and failed
        return json_error(
            HTTPStatus.BAD_REQUEST, job.error, field="scan", job=services.scan_dict(job)
        )
    return JsonResponse(
        {
            "job": services.scan_dict(job),
            "template": template.key,
            "preview_url": f"/workspaces/{slug}/data-lab/{template.key}/",
        },
        status=HTTPStatus.ACCEPTED,
    )


@require_GET
def data_lab_preview(request: HttpRequest, slug: str, template: str) -> HttpResponse:
    """A static rendering of an export (see notebook_preview): nothing in it runs."""
    if not settings.DJDESK_FLAG_DATA_LAB or template not in datalab.TEMPLATES:
        raise Http404("no such notebook")
    workspace = get_object_or_404(Workspace, slug=slug)
    try:
        notebook = datalab.read_export(workspace, template)
    except FileNotFoundError:
        raise Http404("not exported yet") from None
    return render(
        request,
        "inspector/data_lab_preview.html",
        {
            "workspace": workspace,
            "template": datalab.TEMPLATES[template],
            "cells": notebook_preview.preview_cells(notebook),
            "data_lab_exports": data_lab_exports(workspace),
        },
    )
