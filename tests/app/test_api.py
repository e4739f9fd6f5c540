"""The status API: shape, 404, ETag/304 and a bounded number of queries."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspector import services
from inspector.models import DocLink, ScanJob, TaskPreset, Workspace, WorkspaceTaskRun

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/workspaces/{}/status/"


@pytest.fixture
def atlas() -> Workspace:
    return Workspace.objects.get(slug="atlas-telemetry")


def test_status_shape_after_scans(client, atlas: Workspace) -> None:
    services.start_scans(atlas)
    response = client.get(STATUS_URL.format(atlas.slug))
    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["workspace"] == "Atlas Telemetry"
    insights = {i["title"]: i["value"] for i in data["insights"]}
    assert insights["Pending migrations"] == "3"
    assert insights["Models"] == "9"  # the abstract base is not a table
    assert insights["Apps"] == "4"
    assert insights["Migration conflicts"] == "1"
    assert insights["Recent errors"] == "2"
    apps = {a["label"]: a["pending_migrations"] for a in data["apps"]}
    assert apps == {"accounts": 0, "catalog.datasets": 1, "catalog.sources": 0, "telemetry": 2}
    dataset = next(n for n in data["schema"]["nodes"] if n["name"] == "Dataset")
    assert dataset["fields"][:3] == ["id", "created", "slug"]
    assert {
        "source": "telemetry.Metric",
        "field": "event",
        "target": "Event",
        "relation": "many-to-one",
    } in data["schema"]["edges"]
    assert data["log_excerpt"][0] == {
        "timestamp": "15:20:11",
        "level": "info",
        "message": "atlas.ingest Started ingest worker pid=4121",
        "file": "logs/atlas.log",
    }
    assert sorted(s["kind"] for s in data["scans"]) == ["logs", "migrations", "schema"]
    assert {s["status"] for s in data["scans"]} == {"completed"}
    assert {s["progress"] for s in data["scans"]} == {100}
    assert data["doc_links"][0] == {
        "title": "Integration guide",
        "url": "https://djdesk.readthedocs.io/en/latest/integration.html",
    }


def test_status_poll_never_starts_a_scan(client, atlas: Workspace) -> None:
    response = client.get(STATUS_URL.format(atlas.slug))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["scans"] == []
    assert not ScanJob.objects.exists()


def test_unknown_workspace_is_json_404(client) -> None:
    response = client.get(STATUS_URL.format("no-such-thing"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert "no-such-thing" in response.json()["error"]


def test_etag_and_not_modified(client, atlas: Workspace) -> None:
    services.start_scans(atlas)
    first = client.get(STATUS_URL.format(atlas.slug))
    etag = first["ETag"]
    again = client.get(STATUS_URL.format(atlas.slug), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    services.start_scans(atlas, ["logs"])  # something changed: a new full payload
    changed = client.get(STATUS_URL.format(atlas.slug), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != etag


def _grow(workspace: Workspace, scans: int, runs: int) -> None:
    preset = TaskPreset.objects.get(key="check")
    ScanJob.objects.bulk_create(
        ScanJob(workspace=workspace, kind="logs", status="completed", progress=100)
        for _ in range(scans)
    )
    WorkspaceTaskRun.objects.bulk_create(
        WorkspaceTaskRun(workspace=workspace, preset=preset) for _ in range(runs)
    )


def test_query_count_does_not_grow_with_data(client, atlas: Workspace) -> None:
    url = STATUS_URL.format(atlas.slug)
    _grow(atlas, scans=2, runs=2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == HTTPStatus.OK
    _grow(atlas, scans=40, runs=40)
    for i in range(10):
        Workspace.objects.create(name=f"Other {i}", slug=f"other-{i}", project_path="djdesk")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == HTTPStatus.OK
    assert len(large) == len(small)
    assert len(large) <= 6  # one more than a quiet poll: queued runs are checked for staleness


def test_a_poll_costs_at_most_five_queries_and_a_304_one(client, atlas: Workspace) -> None:
    url = STATUS_URL.format(atlas.slug)
    services.start_scans(atlas)
    _grow(atlas, scans=30, runs=0)
    with CaptureQueriesContext(connection) as full:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK and len(full) <= 5, [q["sql"] for q in full]
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert len(cached) == 1


def test_the_etag_follows_task_runs_and_doc_links(client, atlas: Workspace) -> None:
    url = STATUS_URL.format(atlas.slug)
    first = client.get(url)["ETag"]
    _grow(atlas, scans=0, runs=1)
    second = client.get(url)["ETag"]
    assert second != first
    DocLink.objects.create(title="New page", path="new.html", order=99)
    assert client.get(url)["ETag"] != second


def test_rescan_api_accepts_and_validates(client, atlas: Workspace) -> None:
    url = f"/api/workspaces/{atlas.slug}/scans/"
    ok = client.post(url, {"kinds": ["schema"]}, content_type="application/json")
    assert ok.status_code == HTTPStatus.ACCEPTED
    assert [s["kind"] for s in ok.json()["scans"]] == ["schema"]
    assert ok.json()["scans"][0]["status"] == "completed"
    bad = client.post(url, {"kinds": ["bogus"]}, content_type="application/json")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert bad.json()["field"] == "kinds"
    garbage = client.post(url, "{not json", content_type="application/json")
    assert garbage.status_code == HTTPStatus.BAD_REQUEST
    assert client.post("/api/workspaces/nope/scans/").status_code == HTTPStatus.NOT_FOUND


def test_scan_of_missing_folder_fails_cleanly(atlas: Workspace) -> None:
    ghost = Workspace.objects.create(name="Ghost", slug="ghost", project_path="/nonexistent/x")
    (job,) = services.start_scans(ghost, ["schema"])
    job.refresh_from_db()
    assert job.status == ScanJob.Status.FAILED
    assert "project folder not found" in job.error
