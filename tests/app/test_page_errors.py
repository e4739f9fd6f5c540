"""A wrong method on a page address is a readable page naming the method (issue #20),
not Django's empty 405; the API's 405s stay JSON (test_api_errors)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("get", "/workspaces/atlas-telemetry/rescan/", "POST"),
        ("put", "/workspaces/atlas-telemetry/rescan/", "POST"),
        ("post", "/workspaces/atlas-telemetry/", "GET, HEAD"),
        ("delete", "/workspaces/new/", "GET, POST, PUT"),
        ("post", "/workspaces/atlas-telemetry/data-lab/schema-audit/", "GET"),
    ],
)
def test_a_wrong_method_on_a_page_is_a_readable_405(
    client, method: str, url: str, allowed: str
) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"].startswith("text/html")
    assert response["Allow"].startswith(allowed)
    page = response.content.decode()
    assert f"<h1>{method.upper()} is not allowed here</h1>" in page
    assert f"only answers {response['Allow']}." in page
    assert ("what a button sends" in page) == ("GET" not in allowed)
    assert '<a href="/">Back to the inspector</a>' in page


def test_a_head_on_a_post_only_page_has_no_body(client) -> None:
    response = client.head("/workspaces/atlas-telemetry/rescan/")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"].startswith("POST")
    assert response.content == b""


def test_a_post_to_a_static_file_is_a_readable_405(client, settings) -> None:
    # WhiteNoise answers static files before any view; let it find them in the source tree.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    assert client.get("/static/inspector/app.css").status_code == HTTPStatus.OK
    response = client.post("/static/inspector/app.css")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "GET, HEAD"
    assert b"<h1>POST is not allowed here</h1>" in response.content
