"""Hostile requests (issue #16): every API error is a 4xx JSON body naming the field,
and nothing reaches a user as a 500 or a traceback."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from inspector.allowlist import NotAllowed, render_argv
from inspector.models import Workspace

pytestmark = pytest.mark.django_db

POST_ENDPOINTS = [
    "/api/workspaces/atlas-telemetry/scans/",
    "/api/task-runs/",
    "/api/workspaces/atlas-telemetry/data-lab/export/",
]


@pytest.fixture
def atlas() -> Workspace:
    return Workspace.objects.get(slug="atlas-telemetry")


@pytest.fixture
def client() -> Client:
    # An exception a view lets escape must become a response, not a test error.
    return Client(raise_request_exception=False)


def assert_json_error(response, status: HTTPStatus, field: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["field"] == field and data["error"], data
    assert "Traceback" not in data["error"]
    return data


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_json_nested_5000_deep_is_a_400(client, lab, atlas, url: str) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = client.post(url, '{"kinds": ' + deep + "}", content_type="application/json")
    assert_json_error(response, HTTPStatus.BAD_REQUEST, "body")


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_a_3_mb_body_is_a_json_413(client, lab, atlas, url: str) -> None:
    body = b'{"note": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post(url, body, content_type="application/json")
    data = assert_json_error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body")
    assert "1048576" in data["error"]  # says the limit


def test_the_body_limit_is_a_setting(client, settings, atlas) -> None:
    settings.INSPECTOR_API_MAX_BODY_BYTES = 10
    url = POST_ENDPOINTS[0]
    response = client.post(url, '{"kinds": ["schema"]}', content_type="application/json")
    assert_json_error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body")


@pytest.mark.parametrize(
    "kinds", [[1, None], "schema", {"schema": 1}, [["schema"]], 7, [None], ["schema", 1]]
)
def test_kinds_must_be_a_list_of_known_names(client, atlas, kinds: object) -> None:
    response = client.post(POST_ENDPOINTS[0], {"kinds": kinds}, content_type="application/json")
    assert_json_error(response, HTTPStatus.BAD_REQUEST, "kinds")


def test_a_scans_body_that_is_not_an_object_names_the_body(client, atlas) -> None:
    response = client.post(POST_ENDPOINTS[0], "[1, 2]", content_type="application/json")
    assert_json_error(response, HTTPStatus.BAD_REQUEST, "body")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/workspaces/atlas-telemetry/scans/"),
        ("get", "/api/workspaces/atlas-telemetry/data-lab/export/"),
        ("get", "/api/task-runs/1/cancel/"),
        ("post", "/api/workspaces/atlas-telemetry/status/"),
        ("put", "/api/task-runs/"),
        ("get", "/api/workspaces/atlas-telemetry/data-lab/live/"),
    ],
)
def test_a_wrong_method_is_a_json_405(client, lab, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    data = assert_json_error(response, HTTPStatus.METHOD_NOT_ALLOWED, "method")
    assert response["Allow"] and response["Allow"] in data["error"]


def test_an_unknown_api_path_is_a_json_404(client) -> None:
    response = client.get("/api/" + "a" * 1000 + "/")
    assert_json_error(response, HTTPStatus.NOT_FOUND, "path")


def test_a_1000_char_slug_is_a_json_404(client) -> None:
    response = client.get("/api/workspaces/" + "a" * 1000 + "/status/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["field"] == "slug"


@pytest.mark.parametrize(
    "path", ["%00", "index.html%00.png", "a%00/b", "a" * 1000, "a" * 1000 + "/index.html"]
)
def test_hostile_docs_paths_are_404s(client, settings, tmp_path, path: str) -> None:
    settings.INSPECTOR_DOCS_BUNDLE_DIR = tmp_path
    (tmp_path / "index.html").write_text("<h1>docs</h1>")
    response = client.get("/docs/offline/" + path)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Traceback" not in response.content


def test_an_uncaught_error_is_a_json_500_without_traceback(client, monkeypatch, atlas) -> None:
    from inspector import services

    def broken(*args: object) -> None:
        raise RuntimeError("secret internals /home/someone/db.sqlite3")

    monkeypatch.setattr(services, "build_status_payload", broken)
    response = client.get("/api/workspaces/atlas-telemetry/status/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == "application/json"
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize("value", ["datasets\n", "datasets\r\n", "0001_initial\n"])
def test_safe_value_refuses_a_trailing_newline(value: str) -> None:
    argv = ["manage.py", "sqlmigrate", "{app_label}", "{migration}"]
    good = {"app_label": "datasets", "migration": "0001_initial"}
    assert render_argv(argv, good)[2:] == ["datasets", "0001_initial"]
    name = "app_label" if value.startswith("datasets") else "migration"
    with pytest.raises(NotAllowed):
        render_argv(argv, {**good, name: value})
