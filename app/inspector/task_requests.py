"""Validating a task-run request: every field checked, nothing run unless all is well."""

from __future__ import annotations

from typing import Any

from .allowlist import SAFE_VALUE, NotAllowed, render_argv
from .api_errors import RequestError, parse_json_object
from .models import ScanJob, TaskPreset, Workspace, WorkspaceTaskRun

ALLOWED_FIELDS = {"workspace", "preset", "args", "note", "confirm_safe"}


def _migrations_by_app(workspace: Workspace) -> dict[str, list[str]]:
    scan = workspace.scans.filter(
        kind=ScanJob.Kind.MIGRATIONS, status=ScanJob.Status.COMPLETED
    ).first()
    if scan is None:
        raise RequestError("args", "run the migrations scan of this workspace first")
    return {
        a["app_label"]: [m["name"] for m in a["migrations"]] for a in scan.result.get("apps", [])
    }


def _check_values(workspace: Workspace, args: dict[str, Any]) -> None:
    for name, value in args.items():
        if not isinstance(value, str) or not SAFE_VALUE.fullmatch(value):
            raise RequestError(f"args.{name}", f"{value!r} is not a plain identifier")
    if "app_label" in args or "migration" in args:
        known = _migrations_by_app(workspace)
        app = args.get("app_label", "")
        if app not in known:
            raise RequestError(
                "args.app_label",
                f"{app!r} is not an app with migrations "
                f"(known: {', '.join(sorted(known)) or 'none'})",
            )
        if "migration" in args and args["migration"] not in known[app]:
            raise RequestError(
                "args.migration", f"{args['migration']!r} is not a migration of {app}"
            )


def parse_task_request(body: bytes) -> dict[str, Any]:
    data = parse_json_object(body)
    unknown = sorted(set(data) - ALLOWED_FIELDS)
    if unknown:
        raise RequestError(unknown[0], f"unknown field {unknown[0]!r}")
    return data


def create_task_run(body: bytes) -> WorkspaceTaskRun:
    """Validate the request and create the run (status requested); raise RequestError."""
    data = parse_task_request(body)
    workspace = Workspace.objects.filter(slug=str(data.get("workspace", ""))).first()
    if workspace is None:
        raise RequestError("workspace", f"unknown workspace {data.get('workspace')!r}")
    preset = TaskPreset.objects.filter(key=str(data.get("preset", ""))).first()
    if preset is None:
        raise RequestError("preset", f"unknown preset {data.get('preset')!r}")
    args = data.get("args", {})
    if not isinstance(args, dict):
        raise RequestError("args", "args must be an object of the preset's named parameters")
    try:
        params = preset.params
    except NotAllowed as exc:
        raise RequestError("preset", f"preset {preset.key!r} is not allowed: {exc}") from None
    extra, missing = sorted(set(args) - set(params)), sorted(set(params) - set(args))
    if extra:
        raise RequestError(
            "args", f"{preset.key} takes no argument {extra[0]!r} (takes: {params or 'none'})"
        )
    if missing:
        raise RequestError("args", f"{preset.key} needs argument {missing[0]!r}")
    _check_values(workspace, args)
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 200:
        raise RequestError("note", "note must be text of at most 200 characters")
    if preset.requires_confirmation and data.get("confirm_safe") is not True:
        raise RequestError("confirm_safe", f"{preset.label} requires confirm_safe: true")
    try:
        render_argv(preset.argv, args)
    except NotAllowed as exc:
        raise RequestError("args", str(exc)) from None
    return WorkspaceTaskRun.objects.create(workspace=workspace, preset=preset, args=args, note=note)
