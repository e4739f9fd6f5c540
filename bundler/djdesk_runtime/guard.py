"""The per-launch secret and Host check: one implementation for every bundled project.

The payload's launcher wraps the project's WSGI application with ``guard_wsgi``; in
development the inspector uses the same check as a Django middleware. Standard library
only: it runs inside every payload. An empty token lets nothing through: the launcher
always has one (it makes one when the shell gives none).

A project may list ``public-paths``: URL prefixes answered without the token (a local
integration such as a cron job pinging a health URL). The Host check still applies to
them; the root and the admin are never public (``check_public_paths``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, quote, urlencode

from .contract import LOOPBACK_HOSTS, SESSION_COOKIE, SESSION_HEADER, SESSION_QUERY

# The header as WSGI names it: X-DJDesk-Token -> HTTP_X_DJDESK_TOKEN.
TOKEN_ENVIRON_KEY = "HTTP_" + SESSION_HEADER.upper().replace("-", "_")

Headers = list[tuple[str, str]]
WSGIApp = Callable[[dict[str, object], Callable[..., object]], Iterable[bytes]]
Refusal = tuple[str, Headers, bytes]

# C0 controls and DEL: a decoded request path holding them (``%0d%0a``) would end up raw
# in a Location header and in log lines (#27).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# What stays literal when the decoded path is quoted again for a Location header.
PATH_SAFE = "/:@!$&'()*+,;=~"
ADMIN_PREFIX = "/admin/"


def _refusal(status: str, message: str) -> Refusal:
    return status, [("Content-Type", "text/plain; charset=utf-8")], message.encode()


def local_location(path: str, query: str) -> str:
    """A redirect target that stays on this origin whatever the path holds: quoted again
    (``\\`` and ``%`` included) and with one leading slash (``//evil.com`` and
    ``/\\evil.com`` are other hosts to a browser)."""
    location = "/" + quote(path, safe=PATH_SAFE).lstrip("/")
    return location + (f"?{query}" if query else "")


def check_public_paths(
    prefixes: Sequence[str], admin_prefixes: Sequence[str] = (ADMIN_PREFIX,)
) -> list[str]:
    """Why each of ``prefixes`` cannot be public (empty: all can): each must be an absolute
    URL path below the root, of plain segments, and neither hold nor lie inside the admin."""
    problems = []
    for prefix in prefixes:
        admin = next((a for a in admin_prefixes if is_below(a, prefix) or is_below(prefix, a)), "")
        segments = prefix[1:].rstrip("/").split("/")
        if not prefix.startswith("/") or prefix.strip("/") == "":
            problems.append(f"{prefix!r} must start with / and name a path below the root")
        elif any(s in ("", ".", "..") for s in segments) or CONTROL_CHARACTERS.search(prefix):
            problems.append(f"{prefix!r} must be plain path segments (no //, . or ..)")
        elif "%" in prefix or "\\" in prefix or "?" in prefix or "#" in prefix:
            problems.append(f"{prefix!r} must not hold %, \\, ? or #")
        elif admin:
            problems.append(f"{prefix!r} overlaps the admin ({admin})")
    return problems


def is_below(path: str, prefix: str) -> bool:
    """``path`` is ``prefix`` or inside it, by whole segments (``/ping`` holds ``/ping/x``,
    not ``/pingx``)."""
    base = prefix.rstrip("/")
    return path == base or path.startswith(base + "/")


def is_public(path: str, public_paths: Sequence[str]) -> bool:
    """A plain path (no dot segments, no ``%`` a later layer could decode again, no
    backslash) inside one of the public prefixes."""
    if "%" in path or "\\" in path or "//" in path:
        return False
    if any(segment in (".", "..") for segment in path.split("/")):
        return False
    return any(is_below(path, prefix) for prefix in public_paths)


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
    environ: Mapping[str, object],
    token: str,
    port: int | None = None,
    public_paths: Sequence[str] = (),
) -> Refusal | None:
    """(status, headers) to answer instead of the app, or None to let the request through."""
    if not host_allowed(str(environ.get("HTTP_HOST", "")), port):
        return _refusal("400 Bad Request", "Host not allowed")
    path = str(environ.get("PATH_INFO", "/"))
    if CONTROL_CHARACTERS.search(path):
        return _refusal("400 Bad Request", "control characters in the request path")
    if carries_token(environ, token) or is_public(path, public_paths):
        return None
    query = dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
    offered = query.pop(SESSION_QUERY, "")
    if (
        token
        and environ.get("REQUEST_METHOD") == "GET"
        and hmac.compare_digest(offered.encode(), token.encode())
    ):
        location = local_location(path, urlencode(query))
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        return "302 Found", [("Location", location), ("Set-Cookie", cookie)], b""
    return _refusal("403 Forbidden", "missing or wrong session token")


def guard_wsgi(
    application: WSGIApp, token: str, port: int | None = None, public_paths: Sequence[str] = ()
) -> WSGIApp:
    def guarded(
        environ: dict[str, object], start_response: Callable[..., object]
    ) -> Iterable[bytes]:
        refusal = decide(environ, token, port, public_paths)
        if refusal is None:
            return application(environ, start_response)
        status, headers, body = refusal
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return guarded
