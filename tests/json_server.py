"""A local HTTP server that answers GET paths with canned JSON (tests only; 127.0.0.1)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from local_http import LocalHTTPServer


class JsonServer(LocalHTTPServer):
    def __init__(self, routes: dict[str, object]) -> None:
        self.routes = routes
        self.queries: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                outer.queries.append(self.path)
                body = outer.routes.get(url.path)
                data = json.dumps(body if body is not None else {"error": "not found"}).encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
