"""The one request check shared by the payload launcher and the dev-mode middleware."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.urls import include, path

from djdesk.middleware import SessionTokenMiddleware
from djdesk_runtime.contract import EXIT_CODES
from djdesk_runtime.errors import LaunchError
from djdesk_runtime.guard import check_public_paths, decide, guard_wsgi, host_allowed
from djdesk_runtime.serve import public_paths


@pytest.mark.parametrize(
    ("host", "port", "allowed"),
    [
        ("127.0.0.1:8000", 8000, True),
        ("localhost:8000", 8000, True),
        ("127.0.0.1", 8000, True),
        ("localhost", None, True),
        ("127.0.0.1:9000", 8000, False),
        ("evil.example", None, False),
        ("evil.example:8000", 8000, False),
        ("127.0.0.1.evil.example", None, False),
        ("", None, False),
    ],
)
def test_host_allowed(host: str, port: int | None, allowed: bool) -> None:
    assert host_allowed(host, port) is allowed


def environ(**extra: str) -> dict[str, object]:
    return {"HTTP_HOST": "127.0.0.1:8000", "REQUEST_METHOD": "GET", "PATH_INFO": "/", **extra}


def test_header_or_cookie_passes_anything_else_is_refused() -> None:
    assert decide(environ(HTTP_X_DJDESK_TOKEN="t0k"), "t0k", 8000) is None
    assert decide(environ(HTTP_COOKIE="a=b; djdesk_token=t0k"), "t0k", 8000) is None
    assert decide(environ(), "t0k", 8000)[0] == "403 Forbidden"
    assert decide(environ(HTTP_X_DJDESK_TOKEN="t0"), "t0k", 8000)[0] == "403 Forbidden"
    assert decide(environ(HTTP_COOKIE="djdesk_token=nope"), "t0k", 8000)[0] == "403 Forbidden"
    assert decide(environ(HTTP_HOST="evil.example", HTTP_X_DJDESK_TOKEN="t0k"), "t0k")[0] == (
        "400 Bad Request"
    )
    # No secret is never "let everyone in": the launcher always has one (#16).
    assert decide(environ(), "", 8000)[0] == "403 Forbidden"
    assert decide(environ(QUERY_STRING="djdesk_token="), "", 8000)[0] == "403 Forbidden"


def test_query_token_sets_cookie_and_redirects() -> None:
    status, headers, _ = decide(environ(QUERY_STRING="djdesk_token=t0k&x=1"), "t0k", 8000)
    assert status == "302 Found"
    assert ("Location", "/?x=1") in headers
    assert any(h == "Set-Cookie" and "HttpOnly" in v and "t0k" in v for h, v in headers)
    post = environ(QUERY_STRING="djdesk_token=t0k", REQUEST_METHOD="POST")
    assert decide(post, "t0k", 8000)[0] == "403 Forbidden"


def test_wsgi_wrapper() -> None:
    calls = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        return [b"ok"]

    guarded = guard_wsgi(app, "t0k", 8000)
    assert guarded(environ(HTTP_X_DJDESK_TOKEN="t0k"), lambda s, h: calls.append(s)) == [b"ok"]
    assert guarded(environ(), lambda s, h: calls.append(s)) == [b"missing or wrong session token"]
    assert calls == ["200 OK", "403 Forbidden"]


@override_settings(ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"])
def test_dev_middleware_uses_the_same_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJDESK_SESSION_TOKEN", "t0k")
    middleware = SessionTokenMiddleware(
        lambda request: __import__("django").http.HttpResponse("app")
    )
    factory = RequestFactory(HTTP_HOST="127.0.0.1:8000")
    assert middleware(factory.get("/")).status_code == 403
    assert middleware(factory.get("/", HTTP_X_DJDESK_TOKEN="t0k")).content == b"app"
    assert middleware(RequestFactory(HTTP_HOST="evil.example").get("/")).status_code == 400
    monkeypatch.delenv("DJDESK_SESSION_TOKEN")
    assert SessionTokenMiddleware(lambda r: "passed")(factory.get("/")) == "passed"


@pytest.mark.parametrize(
    "prefix",
    [
        "/",  # the root
        "",
        "ping/",  # not absolute
        "/admin/",
        "/admin",
        "/admin/login/",
        "//ping/",
        "/ping/../admin/",
        "/./ping",
        "/ping%2F",
        "/ping\\x",
        "/ping?x=1",
        "/ping\n",
    ],
)
def test_a_public_path_is_never_the_root_the_admin_or_unplain(prefix: str) -> None:
    assert len(check_public_paths([prefix])) == 1
    assert check_public_paths(["/ping/", "/hooks/cron"]) == []
    assert check_public_paths(["/backoffice/x"], ["/admin/", "/backoffice/"]) == [
        "'/backoffice/x' overlaps the admin (/backoffice/)"
    ]


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/ping", True),
        ("/ping/", True),
        ("/ping/deep/er", True),
        ("/pingx", False),
        ("/ping/../admin/", False),
        ("/ping/./x", False),
        ("/ping//x", False),
        ("/ping/%2e%2e/admin/", False),  # the media layer would decode it again
        ("/ping/a\\b", False),
        ("/", False),
        ("/other/ping/", False),
    ],
)
def test_public_paths_pass_without_the_token_but_not_the_host_check(
    path: str, public: bool
) -> None:
    answer = decide(environ(PATH_INFO=path), "t0k", 8000, ["/ping/"])
    assert (answer is None) is public, answer
    assert decide(environ(PATH_INFO=path, HTTP_HOST="evil.example"), "t0k", 8000, ["/ping/"])[
        0
    ] == ("400 Bad Request")
    assert decide(environ(PATH_INFO=path), "t0k", 8000)[0] == "403 Forbidden"


urlpatterns = [
    path("backoffice/", include(([path("", lambda request: None, name="index")], "admin")))
]


@override_settings(ROOT_URLCONF=__name__)
def test_the_launcher_checks_public_paths_against_the_projects_own_admin() -> None:
    assert public_paths(("/ping/",)) == ("/ping/",)
    assert public_paths(()) == ()
    for refused in ("/backoffice/", "/admin/x"):
        with pytest.raises(LaunchError, match=r"public-paths: .* overlaps the admin") as raised:
            public_paths(("/ping/", refused))
        assert raised.value.exit_code == EXIT_CODES["startup_failed"]
