"""Dashboard, wizard and offline docs, through Django's test client."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

import pytest

from inspector.models import ScanJob, Workspace

pytestmark = pytest.mark.django_db


def test_home_redirects_to_first_workspace(client) -> None:
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/workspaces/atlas-telemetry/"


def test_home_without_workspaces_goes_to_wizard(client) -> None:
    Workspace.objects.all().delete()
    assert client.get("/")["Location"] == "/workspaces/new/"


def test_first_dashboard_view_runs_scans_once(client) -> None:
    response = client.get("/workspaces/atlas-telemetry/")
    assert response.status_code == HTTPStatus.OK
    assert response.context["workspace"].slug == "atlas-telemetry"
    assert [p.key for p in response.context["task_presets"]]
    assert response.context["doc_links"][0]["title"] == "Integration guide"
    assert "csrftoken" in response.cookies
    assert ScanJob.objects.filter(status="completed").count() == 3
    body = response.content.decode()
    assert "catalog.datasets" in body and "data-offline-indicator" in body
    client.get("/workspaces/atlas-telemetry/")
    assert ScanJob.objects.count() == 3  # a second view does not rescan


def test_rescan_action(client) -> None:
    client.get("/workspaces/atlas-telemetry/")
    response = client.post("/workspaces/atlas-telemetry/rescan/")
    assert response.status_code == HTTPStatus.FOUND
    assert ScanJob.objects.count() == 6


def test_unknown_dashboard_is_404(client) -> None:
    assert client.get("/workspaces/missing/").status_code == HTTPStatus.NOT_FOUND


def test_wizard_creates_workspace(client, sample_root: Path) -> None:
    response = client.post(
        "/workspaces/new/",
        {
            "name": "Polls",
            "project_path": str(sample_root / "django-polls"),
            "description": "tutorial",
            "run_scans": "on",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    workspace = Workspace.objects.get(slug="polls")
    assert response["Location"] == "/workspaces/polls/"
    assert workspace.scans.filter(status="completed").count() == 3


def test_wizard_slug_is_unique(client, sample_root: Path) -> None:
    Workspace.objects.create(name="Polls", slug="polls", project_path="elsewhere")
    client.post(
        "/workspaces/new/", {"name": "Polls", "project_path": str(sample_root / "django-polls")}
    )
    assert Workspace.objects.filter(slug="polls-2").exists()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("relative/path", "absolute path"),
        ("/definitely/not/here", "does not exist"),
        ("{root}/djdesk/manage.py", "is a file"),
        ("{root}/djdesk/logs", "no manage.py"),
        ("{root}/djdesk", "already inspected"),
        # They were 500s (#27): a name the file system refuses, a user that does not exist.
        ("/" + "a" * 300 + "/project", "cannot be used: File name too long"),
        ("{root}/" + "b" * 300, "cannot be used: File name too long"),
        ("~nosuchuser-djdesk/project", "~nosuchuser-djdesk is not a user of this computer"),
    ],
)
def test_wizard_rejects_bad_paths_and_keeps_input(client, sample_root, path, message) -> None:
    data = {"name": "Mine", "project_path": path.format(root=sample_root), "description": "kept"}
    response = client.post("/workspaces/new/", data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert message in " ".join(form.errors["project_path"])
    body = response.content.decode()
    assert 'value="Mine"' in body and "kept</textarea>" in body
    assert not Workspace.objects.filter(name="Mine").exists()


def test_wizard_errors_are_json_naming_the_field_when_asked(client) -> None:
    data = {"name": "Mine", "project_path": "~nosuchuser-djdesk"}
    response = client.post("/workspaces/new/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["field"] == "project_path" and "not a user" in body["error"]
    assert list(body["errors"]) == ["project_path"]


def test_offline_docs_served_without_escape(client, settings, tmp_path: Path) -> None:
    bundle = tmp_path / "docs_bundle"
    (bundle / "topics" / "migrations").mkdir(parents=True)
    (bundle / "index.html").write_text("<h1>Docs home</h1>")
    (bundle / "topics" / "migrations" / "index.html").write_text("<h1>Migrations</h1>")
    (bundle / "integration.html").write_text("<h1>Integration</h1>")
    (tmp_path / "secret.txt").write_text("top secret")
    settings.INSPECTOR_DOCS_BUNDLE_DIR = bundle
    page = client.get("/docs/offline/topics/migrations/")
    assert page.status_code == HTTPStatus.OK
    assert b"Migrations" in b"".join(page.streaming_content)
    assert client.get("/docs/offline/../secret.txt").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/docs/offline/%2e%2e/secret.txt").status_code == HTTPStatus.NOT_FOUND
    status = client.get("/api/workspaces/atlas-telemetry/status/").json()
    assert status["doc_links"][0]["url"] == "/docs/offline/integration.html"
