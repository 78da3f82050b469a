"""A real waitress server on 127.0.0.1 for tests that need sockets and server threads."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server

SERVER_THREADS = 8
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: Any


class LiveServer:
    """A waitress server on a free port of 127.0.0.1, serving one WSGI app from a thread."""

    def __init__(self, app: Any) -> None:
        self.server = create_server(app, host="127.0.0.1", port=0, threads=SERVER_THREADS)
        self.port = self.server.effective_port
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:
            # stop() closes the sockets from another thread, which can make
            # the loop's select() fail on a closed descriptor.
            if not self.stopping:
                raise

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_SECONDS)
        try:
            sent_headers = dict(headers or {})
            encoded = None
            if body is not None:
                encoded = json.dumps(body).encode()
                sent_headers["Content-Type"] = content_type
            connection.request(method, path, body=encoded, headers=sent_headers)
            response = connection.getresponse()
            raw = response.read()
            parsed = json.loads(raw) if raw else None
            return Reply(response.status, response.msg, parsed)
        finally:
            connection.close()

    def send_chunked(
        self, method: str, path: str, chunks: list[bytes], headers: dict[str, str]
    ) -> Reply:
        """Send a body with ``Transfer-Encoding: chunked``, so without a Content-Length."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(
                method, path, body=iter(chunks), headers=headers, encode_chunked=True
            )
            response = connection.getresponse()
            raw = response.read()
            return Reply(response.status, response.msg, json.loads(raw) if raw else None)
        finally:
            connection.close()

    def stop(self) -> None:
        # Closing every dispatcher of the socket map ends the server's loop.
        self.stopping = True
        while self.server._map:
            for dispatcher in list(self.server._map.values()):
                dispatcher.close()
        self.server.task_dispatcher.shutdown()
        self.thread.join(timeout=10)
