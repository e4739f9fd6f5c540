"""The launcher's server: waitress on a real loopback socket, behind the request guard,
against clients that connect and never finish a request (#27)."""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from djdesk_runtime.guard import guard_wsgi
from djdesk_runtime.serve import ConnectionLimits, bind, make_server

TOKEN = "t0k-for-tests"
SLOW_CLIENTS = 300
# How long a test waits for something that must happen (never a timing assertion: only
# an upper bound so that a broken server fails the test instead of hanging it).
PATIENCE = 30.0


def hello(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


@contextlib.contextmanager
def running(limits: ConnectionLimits | None = None, **guard: Any) -> Iterator[int]:
    """The launcher's server (bind, guard, make_server) in a thread; its port."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(guard_wsgi(hello, TOKEN, port, **guard), sock, 2, limits, token=TOKEN)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        from waitress import wasyncore

        # Closed from the server's own loop (its trigger): the loop ends with an empty map.
        # A loop that already ended has closed its trigger: close what is left here.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:
            wasyncore.close_all(server._map)
        thread.join(PATIENCE)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE)
    connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@contextlib.contextmanager
def half_open(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections that each sent the start of a request and no more."""
    clients: list[socket.socket] = []
    try:
        for _ in range(count):
            client = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            clients.append(client)
        yield clients
    finally:
        for client in clients:
            client.close()


def test_an_authenticated_request_answers_beside_300_slow_connections() -> None:
    with running() as port, half_open(port, SLOW_CLIENTS) as clients:
        for client in clients[::10]:  # still trickling: each is active, never idle
            client.sendall(b"x")
        response = get(port, "/", **{"X-DJDesk-Token": TOKEN})
        assert response.status == 200


def test_a_tenth_of_the_connections_stays_free_for_the_shell() -> None:
    """Even when another process opens far more sockets than the limit (50 here)."""
    limits = ConnectionLimits(connections=50)
    with running(limits) as port, half_open(port, SLOW_CLIENTS):
        for _ in range(3):
            assert get(port, "/", **{"X-DJDesk-Token": TOKEN}).status == 200


def closed_by_server(client: socket.socket) -> bool:
    """Keep trickling one byte at a time until the server closes the connection."""
    deadline = time.monotonic() + PATIENCE
    client.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            client.sendall(b"x")
            if client.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset, or a broken pipe
            return True
    return False


def test_a_connection_that_trickles_its_headers_is_closed() -> None:
    limits = ConnectionLimits(header_seconds=1, idle_seconds=60)
    with running(limits) as port, half_open(port, 2) as clients:
        assert closed_by_server(clients[0])
        # A silent one too (waitress's idle timeout is a minute here).
        clients[1].settimeout(PATIENCE)
        assert clients[1].recv(1024) == b""
        assert get(port, "/", **{"X-DJDesk-Token": TOKEN}).status == 200


def test_without_the_token_the_body_must_arrive_in_time_too() -> None:
    limits = ConnectionLimits(header_seconds=1, idle_seconds=60)
    request = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
    with running(limits) as port:
        stranger = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        stranger.sendall(request % 100_000 + b"\r\n")
        assert closed_by_server(stranger)
        stranger.close()
        shell = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        try:
            # The shell's upload may take longer than the deadline: it carries the token.
            shell.sendall(request % 4 + f"X-DJDesk-Token: {TOKEN}\r\n\r\nab".encode())
            time.sleep(limits.header_seconds * 2.5)  # past the deadline, then the rest
            shell.sendall(b"cd")
            assert shell.recv(1024).startswith(b"HTTP/1.1 200 OK")
        finally:
            shell.close()


@pytest.mark.parametrize(
    "path", ["/%0d%0aSet-Cookie:%20forged=1", "/%0aforged%20line", "/x%00y", "/%7f"]
)
def test_control_characters_in_a_path_are_a_400_and_no_log_line(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), running() as port:
        login = get(port, f"{path}?djdesk_token={TOKEN}")
        with_token = get(port, path, **{"X-DJDesk-Token": TOKEN})
    assert (login.status, with_token.status) == (400, 400)
    assert login.getheader("Location") is None and login.getheader("Set-Cookie") is None
    assert not [r for r in caplog.records if "\n" in r.getMessage() or "\r" in r.getMessage()]


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/%5Cevil.com", "/%5Cevil.com"),
        ("//evil.com", "/evil.com"),
        ("/%2F%2Fevil.com/x", "/evil.com/x"),
        ("/\\\\evil.com", "/%5C%5Cevil.com"),
        ("/a%25b/c%20d", "/a%25b/c%20d"),
        ("/workspaces/new/", "/workspaces/new/"),
    ],
)
def test_the_login_redirect_stays_on_this_origin(path: str, location: str) -> None:
    with running() as port:
        response = get(port, f"{path}?djdesk_token={TOKEN}&next=1")
    assert response.status == 302
    assert response.getheader("Location") == f"{location}?next=1"


def test_a_public_path_answers_without_the_token_and_nothing_else_does() -> None:
    with running(public_paths=("/hooks/ping",)) as port:
        assert get(port, "/hooks/ping").status == 200
        assert get(port, "/hooks/ping/today").status == 200
        assert get(port, "/hooks/pingx").status == 403
        assert get(port, "/hooks/ping/../../admin/").status == 403
        assert get(port, "/hooks/ping/%2e%2e/%2e%2e/admin/").status == 403
        assert get(port, "/hooks/ping", Host="evil.example").status == 400
