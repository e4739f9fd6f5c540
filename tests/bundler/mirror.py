"""A real HTTP mirror on 127.0.0.1 for the fetch tests: Range support and fault injection."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class MirrorState:
    root: Path
    truncate_first: int | None = None  # send only this many bytes of the first response
    requests: list[dict[str, str]] = field(default_factory=list)


def _handler(state: MirrorState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append({"path": self.path, "range": self.headers.get("Range", "")})
            path = state.root / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404, "Not Found")
                return
            data = path.read_bytes()
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if match and int(match.group(1)) >= len(data):
                # As real servers do: nothing at or after that offset.
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if match:
                start = int(match.group(1))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.truncate_first is not None:
                body, state.truncate_first = body[: state.truncate_first], None
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_mirror(root: Path) -> Iterator[tuple[str, MirrorState]]:
    state = MirrorState(root=root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
