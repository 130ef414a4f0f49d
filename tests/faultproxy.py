"""A fault-injecting HTTP proxy for tests: put it between a real client (boto3, hcloud) and
a real server (moto's server, the Hetzner emulator) and rewrite chosen answers.

``FaultProxy(upstream)`` listens on 127.0.0.1 (ephemeral port) and forwards every request
to ``upstream``. A :class:`Rule` matches a request by a substring of ``"METHOD /path?query"``
plus its headers and body, and replaces or rewrites the upstream answer: an HTML page with
200 (a corporate proxy's error page), an empty body, a JSON body transformed by a function
(wrong types, missing members, endless pagination)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, str], bytes]

PROXY_PAGE = (b"<html><head><title>Access denied</title></head><body><h1>Web filter</h1>"
              b"<p>The page you requested is blocked by corporate policy.</p></body></html>")


@dataclass
class Rule:
    match: str | tuple[str, ...]  # substring(s), all present, of "METHOD /path?query\nheaders\n\nbody"
    rewrite: Callable[[Answer], Answer]
    times: int = 10**9
    hits: int = 0


def html_page(answer: Answer) -> Answer:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, PROXY_PAGE


def empty_body(answer: Answer) -> Answer:
    kept = {k: v for k, v in answer[1].items() if k.lower() == "content-type"}
    return 200, kept or {"Content-Type": "application/json"}, b""


def json_body(change: Callable[[Any], Any]) -> Callable[[Answer], Answer]:
    """Rewrite a JSON answer with ``change(parsed) -> new value``."""

    def rewrite(answer: Answer) -> Answer:
        status, headers, body = answer
        value = change(json.loads(body or b"null"))
        return status, {"Content-Type": headers.get("Content-Type", "application/json")}, json.dumps(value).encode()

    return rewrite


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def add(self, match: str | tuple[str, ...], rewrite: Callable[[Answer], Answer], times: int = 10**9) -> Rule:
        rule = Rule(match, rewrite, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _rule_for(self, text: str) -> Rule | None:
        with self._lock:
            self.requests.append(text.split("\n", 1)[0])
            for rule in self.rules:
                wanted = (rule.match,) if isinstance(rule.match, str) else rule.match
                if all(w in text for w in wanted) and rule.hits < rule.times:
                    rule.hits += 1
                    return rule
        return None

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        request = urllib.request.Request(self.upstream + path, data=body if method != "GET" else None,
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()


class _Handler(BaseHTTPRequestHandler):
    proxy: FaultProxy
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection",
                                                                              "accept-encoding")}
        text = f"{self.command} {self.path}\n" + "\n".join(f"{k}: {v}" for k, v in headers.items()) + "\n\n" \
            + body.decode("utf-8", "replace")
        rule = self.proxy._rule_for(text)
        answer = self.proxy.forward(self.command, self.path, headers, body)
        if rule is not None:
            answer = rule.rewrite(answer)
        status, out_headers, out_body = answer
        self.send_response(status)
        for key, value in out_headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(out_body)))
        self.end_headers()
        self.wfile.write(out_body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass
