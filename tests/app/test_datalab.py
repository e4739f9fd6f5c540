"""Data Lab exports: valid, deterministic notebooks and a preview that never runs them."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path

import nbformat
import pytest

from inspector import services
from inspector.models import ScanJob, Workspace

pytestmark = pytest.mark.django_db
TEMPLATES = ["schema-audit", "migration-status", "log-study"]


@pytest.fixture
def atlas() -> Workspace:
    workspace = Workspace.objects.get(slug="atlas-telemetry")
    services.start_scans(workspace)
    return workspace


def export(client, slug: str, template: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/workspaces/{slug}/data-lab/export/",
        {"template": template},
        content_type="application/json",
    )


@pytest.mark.parametrize("template", TEMPLATES)
def test_export_is_valid_and_byte_identical(
    client, lab: Path, atlas: Workspace, template: str
) -> None:
    response = export(client, atlas.slug, template)
    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json()["job"]["status"] == "completed"
    path = lab / "atlas-telemetry" / f"{template}.ipynb"
    first = path.read_bytes()
    notebook = nbformat.reads(first.decode(), as_version=4)
    nbformat.validate(notebook)
    assert all(c.get("execution_count") is None for c in notebook.cells if c.cell_type == "code")
    assert (
        notebook.cells[0].cell_type == "markdown" and "Atlas Telemetry" in notebook.cells[0].source
    )
    assert export(client, atlas.slug, template).status_code == HTTPStatus.ACCEPTED
    assert path.read_bytes() == first
    assert not list(path.parent.glob(".*.tmp"))
    exports = ScanJob.objects.filter(kind="export")
    assert exports.count() == 2  # shown with the other jobs
    status = client.get(f"/api/workspaces/{atlas.slug}/status/").json()
    assert "export" in [s["kind"] for s in status["scans"]]


def test_notebook_embeds_its_data_and_runs_without_the_inspector(client, lab, atlas) -> None:
    export(client, atlas.slug, "migration-status")
    notebook = nbformat.read(lab / "atlas-telemetry" / "migration-status.ipynb", as_version=4)
    namespace: dict = {}
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in notebook.cells:
            if cell.cell_type == "code":
                exec(cell.source, namespace)
    assert "telemetry: 1 applied, 2 pending" in out.getvalue()
    assert "['telemetry']" in out.getvalue()


def test_bad_requests(client, lab, atlas) -> None:
    bad = export(client, atlas.slug, "no-such")
    assert bad.status_code == HTTPStatus.BAD_REQUEST and "unknown template" in bad.json()["error"]
    assert export(client, "nope", "log-study").status_code == HTTPStatus.NOT_FOUND
    fresh = Workspace.objects.create(name="Fresh", slug="fresh", project_path="djdesk")
    unscanned = export(client, fresh.slug, "schema-audit")
    assert unscanned.status_code == HTTPStatus.BAD_REQUEST
    assert "run the schema scan of Fresh first" in unscanned.json()["error"]
    for name in ("..", "..%2Fsecret", "schema-audit.ipynb", "%2E%2E"):
        assert client.get(f"/workspaces/{atlas.slug}/data-lab/{name}/").status_code == 404


def test_flag_off_hides_everything(client, settings, atlas) -> None:
    settings.DJDESK_FLAG_DATA_LAB = False
    assert export(client, atlas.slug, "log-study").status_code == HTTPStatus.NOT_FOUND
    assert b"data-data-lab" not in client.get(f"/workspaces/{atlas.slug}/").content


def test_preview_escapes_outputs(client, lab: Path, atlas: Workspace) -> None:
    export(client, atlas.slug, "log-study")
    path = lab / "atlas-telemetry" / "log-study.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="<script>alert('text')</script>"),
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<script>alert('html')</script><b>hi</b>"}
        ),
    ]
    nbformat.write(notebook, path)
    page = client.get(f"/workspaces/{atlas.slug}/data-lab/log-study/")
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;text&#x27;)&lt;/script&gt;" in body
    assert 'sandbox=""' in body and 'srcdoc="&lt;script&gt;alert(&#x27;html&#x27;)' in body


def test_panel_lists_exports(client, lab, atlas) -> None:
    export(client, atlas.slug, "schema-audit")
    page = client.get(f"/workspaces/{atlas.slug}/").content.decode()
    assert "data-data-lab" in page and "/workspaces/atlas-telemetry/data-lab/schema-audit/" in page
    assert json.dumps("Export Log study")[1:-1] in page
