"""Read-only paging over the Hetzner APIs with the official ``hcloud`` library.

Why ``Client.request`` and not ``client.servers.get_all()``: the bound models of hcloud
are lazy. ``volume.server.name`` or ``firewall.applied_to[0].server.name`` on a listed
object is one more request per resource (and one more per resource per run against a
3,600 requests/hour budget). We take the listing's JSON as it was received, which is
also what the auditor gets as ``raw``, and resolve every reference from other listings.
So the number of requests grows with pages (50 resources each), never with resources.

Retries: hcloud's own retry (5 tries, 1-60 s jittered, blind to the rate-limit headers)
is switched off and replaced by a bounded one that retries 429, 5xx, timeouts and
connection errors with exponential backoff, honouring ``Retry-After`` and
``RateLimit-Reset`` (capped), so tests can make it tiny.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from hcloud import APIException, Client

from auditpack.model import ErrorReason

PER_PAGE = 50
_RETRY_CODES = frozenset({"rate_limit_exceeded", "unavailable", "server_error", "service_error", "timeout",
                          "bad_gateway", "maintenance", "conflict"})
_REASONS = {
    "unauthorized": ErrorReason.AUTHENTICATION,
    "token_readonly": ErrorReason.PERMISSION_DENIED,
    "forbidden": ErrorReason.PERMISSION_DENIED,
    "not_found": ErrorReason.NOT_FOUND,
    "rate_limit_exceeded": ErrorReason.THROTTLED,
    "timeout": ErrorReason.TIMEOUT,
}


class ListingError(Exception):
    """A listing could not be read completely. ``reason`` is for the evidence; the message
    never contains the token (hcloud's messages do not either: code, message, correlation id)."""

    def __init__(self, message: str, reason: ErrorReason) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Pacing:
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    timeout: float = 30.0
    max_pages: int = 2000  # per listing: 100,000 resources, far above any real project
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


@dataclass
class Listing:
    items: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    pages: int = 0
    problem: str | None = None  # why the listing is incomplete although its pages were read


def make_client(token: str, endpoint: str, timeout: float) -> Client:
    client = Client(token, api_endpoint=endpoint, application_name="auditpack", timeout=timeout)
    # Our retry replaces hcloud's (see the module docstring). The attribute is private in
    # hcloud 2.x; if it disappears, hcloud retries first and ours second: slower, still correct.
    base = getattr(client, "_client", None)
    if base is not None and hasattr(base, "_retry_max_retries"):
        base._retry_max_retries = 0
    return client


def _hint_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """How long the server asks us to wait: Retry-After, else RateLimit-Reset when the
    budget is exhausted (Hetzner sends a UNIX time at which the bucket is full again)."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(retry_after)
            return max(0.0, parsed.timestamp() - now) if parsed else None
    if headers.get("RateLimit-Remaining") == "0" and headers.get("RateLimit-Reset"):
        try:
            return max(0.0, float(headers["RateLimit-Reset"]) - now)
        except ValueError:
            return None
    return None


def _retryable(exc: BaseException, status: int | None) -> bool:
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return True
    if status is not None and (status == 429 or status >= 500):
        return True
    return isinstance(exc, APIException) and str(exc.code) in _RETRY_CODES


def _reason(exc: BaseException, status: int | None) -> ErrorReason:
    if isinstance(exc, requests.exceptions.Timeout):
        return ErrorReason.TIMEOUT
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ErrorReason.CONNECTIVITY
    if isinstance(exc, APIException):
        reason = _REASONS.get(str(exc.code))
        if reason is not None:
            return reason
        if status == 401:
            return ErrorReason.AUTHENTICATION
        if status == 403:
            return ErrorReason.PERMISSION_DENIED
        if status == 429:
            return ErrorReason.THROTTLED
        if status is not None and status >= 500:
            return ErrorReason.CONNECTIVITY
        return ErrorReason.INVALID_RESPONSE
    return ErrorReason.INVALID_RESPONSE


def _describe(exc: BaseException, status: int | None) -> str:
    if isinstance(exc, APIException) and status is not None and 200 <= status < 300:
        return f"HTTP {status}, but the answer is not JSON (not the API's answer)"
    if isinstance(exc, APIException):
        return f"HTTP {status or '?'} {exc.code}: {exc.message}"
    if isinstance(exc, requests.exceptions.RequestException):
        return f"{type(exc).__name__} (the API could not be reached)"
    return f"{type(exc).__name__}: {exc}"


def get_page(client: Client, path: str, params: Mapping[str, Any], pacing: Pacing,
             counter: list[int]) -> dict[str, Any]:
    """One GET with bounded retries. ``counter[0]`` counts the requests actually sent."""
    attempt = 0
    seen: list[requests.Response] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        seen.append(response)

    while True:
        seen.clear()
        counter[0] += 1
        try:
            body = client.request("GET", path, params=dict(params), hooks={"response": [hook]},
                                  timeout=pacing.timeout)
        except (APIException, requests.exceptions.RequestException) as exc:
            response = seen[-1] if seen else None
            status = response.status_code if response is not None else None
            if attempt < pacing.max_retries and _retryable(exc, status):
                delay = pacing.backoff_base * (2 ** attempt)
                hint = _hint_seconds(response.headers, pacing.clock()) if response is not None else None
                if hint is not None:
                    delay = max(delay, hint)
                pacing.sleep(min(delay, pacing.backoff_max))
                attempt += 1
                continue
            suffix = f" after {attempt + 1} attempts" if attempt else ""
            raise ListingError(f"GET {path} failed{suffix}: {_describe(exc, status)}", _reason(exc, status)) from None
        if not isinstance(body, dict):
            raise ListingError(f"GET {path}: the response is not a JSON object", ErrorReason.INVALID_RESPONSE)
        return body


def list_all(client: Client, path: str, key: str, pacing: Pacing,
             params: Mapping[str, Any] | None = None) -> Listing:
    """Every item of a collection, page by page (50 per page, ``meta.pagination.next_page``)."""
    out = Listing()
    counter = [0]
    page: int | None = 1
    seen_pages: set[int] = set()
    while page:
        seen_pages.add(page)
        body = get_page(client, path, {**(params or {}), "page": page, "per_page": PER_PAGE}, pacing, counter)
        items = body.get(key)
        if not isinstance(items, list):
            raise ListingError(f"GET {path}: the response has no list {key!r}", ErrorReason.INVALID_RESPONSE)
        odd = [i for i in items if not isinstance(i, dict)]
        if odd and out.problem is None:
            out.problem = (f"GET {path}: {len(odd)} item(s) of {key!r} on page {page} are not an object "
                           f"(e.g. {type(odd[0]).__name__}); they cannot be evaluated")
        out.items.extend(i for i in items if isinstance(i, dict))
        out.pages += 1
        pagination = (body.get("meta") or {}).get("pagination") or {}
        nxt = pagination.get("next_page")
        if nxt is not None and (not isinstance(nxt, int) or nxt in seen_pages):
            raise ListingError(f"GET {path}: inconsistent pagination (next_page {nxt!r})",
                               ErrorReason.INVALID_RESPONSE)
        if nxt is not None and out.pages >= pacing.max_pages:
            out.problem = (f"GET {path}: stopped after {out.pages} pages, the listing did not end (a new page "
                           f"on every answer); {len(out.items)} item(s) read are kept")
            break
        page = nxt
    out.requests = counter[0]
    return out
