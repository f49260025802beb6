"""A real HTTP server on 127.0.0.1 playing a webhook receiver, in a thread of its own.

``failures`` answers the first N requests with 500; ``hang`` never answers (until the server is
closed); otherwise 204. Every request body that was answered 2xx is kept in ``received`` (parsed
JSON), every request at all counts in ``requests``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, *, failures: int = 0, hang: bool = False) -> None:
        self.failures = failures
        self.hang = hang
        self.requests = 0
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests += 1
                    failing = receiver.requests <= receiver.failures
                if receiver.hang:
                    receiver._closed.wait(60)
                    return
                if failing:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append(json.loads(body))
                    receiver.headers.append(dict(self.headers.items()))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Not daemon threads: server_close() joins them, so no request socket is left for the
        # garbage collector to find unclosed (a ResourceWarning, an error under pytest).
        self.server.daemon_threads = False
        self.server.block_on_close = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)

    def states(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(doc["rule"], doc["state"]) for doc in self.received]
