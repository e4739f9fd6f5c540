"""The per-launch secret and Host check: one implementation for every bundled project.

The payload's launcher wraps the project's WSGI application with ``guard_wsgi``; in
development the inspector uses the same check as a Django middleware. Standard library
only: it runs inside every payload. An empty token lets nothing through: the launcher
always has one (it makes one when the shell gives none).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode

from .contract import LOOPBACK_HOSTS, SESSION_COOKIE, SESSION_HEADER, SESSION_QUERY

# The header as WSGI names it: X-DJDesk-Token -> HTTP_X_DJDESK_TOKEN.
TOKEN_ENVIRON_KEY = "HTTP_" + SESSION_HEADER.upper().replace("-", "_")

Headers = list[tuple[str, str]]
WSGIApp = Callable[[dict[str, object], Callable[..., object]], Iterable[bytes]]


def host_allowed(host: str, port: int | None = None) -> bool:
    """Only 127.0.0.1 / localhost, optionally with the server's own port."""
    name, _, host_port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    if not name:
        name, host_port = host, ""
    if name not in LOOPBACK_HOSTS:
        return False
    return not host_port or port is None or host_port == str(port)


def carries_token(environ: Mapping[str, object], token: str) -> bool:
    """Constant-time check of the header or cookie against the secret (never an empty one)."""
    if not token:
        return False
    expected = token.encode()
    candidates = [str(environ.get(TOKEN_ENVIRON_KEY, ""))]
    try:
        cookie = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        cookie = SimpleCookie()
    if SESSION_COOKIE in cookie:
        candidates.append(cookie[SESSION_COOKIE].value)
    return any(hmac.compare_digest(c.encode(), expected) for c in candidates if c)


def decide(
    environ: Mapping[str, object], token: str, port: int | None = None
) -> tuple[str, Headers, bytes] | None:
    """(status, headers) to answer instead of the app, or None to let the request through."""
    if not host_allowed(str(environ.get("HTTP_HOST", "")), port):
        return (
            "400 Bad Request",
            [("Content-Type", "text/plain; charset=utf-8")],
            b"Host not allowed",
        )
    if carries_token(environ, token):
        return None
    query = dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
    offered = query.pop(SESSION_QUERY, "")
    if (
        token
        and environ.get("REQUEST_METHOD") == "GET"
        and hmac.compare_digest(offered.encode(), token.encode())
    ):
        rest = urlencode(query)
        location = str(environ.get("PATH_INFO", "/")) + (f"?{rest}" if rest else "")
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        return "302 Found", [("Location", location), ("Set-Cookie", cookie)], b""
    return (
        "403 Forbidden",
        [("Content-Type", "text/plain; charset=utf-8")],
        b"missing or wrong session token",
    )


def guard_wsgi(application: WSGIApp, token: str, port: int | None = None) -> WSGIApp:
    def guarded(
        environ: dict[str, object], start_response: Callable[..., object]
    ) -> Iterable[bytes]:
        refusal = decide(environ, token, port)
        if refusal is None:
            return application(environ, start_response)
        status, headers, body = refusal
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return guarded
