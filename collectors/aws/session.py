"""Sessions, clients, error classification and the task pool of the AWS collector.

One boto3 session per account (the default chain, or STS AssumeRole for an
``[[aws.accounts]]`` entry); one client per (account, region, service), created once and
shared by every thread (boto3 clients are thread-safe, client *creation* is not, hence the
lock). Every client gets the same botocore Config: adaptive retries with backoff,
timeouts, a connection pool as large as the worker count, and ``endpoint_url`` when set.

Memory grows with accounts x regions x services clients, so the assumed-role sessions share
the first session's model loader (each service's API description is read and kept once,
not once per account), every client of a service shares one service model and client
class (:mod:`.shared_models`), and an account's clients are closed as soon as its reads
are done.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PaginationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from auditpack.model import ErrorReason

from .answers import InvalidResponse, check_answer
from .config import AwsSettings
from .shared_models import share_models

#: The exceptions an API call is expected to raise. Anything else is a bug and surfaces.
#: NotImplementedError: moto, in-process, raises it for operations it does not emulate.
#: InvalidResponse: a 2xx answer without the documented shape (see answers.py); botocore's
#: ResponseParserError (not a BotoCoreError): an answer it cannot parse, e.g. broken XML.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError, NotImplementedError, InvalidResponse,
                                                    ResponseParserError)

SessionHook = Callable[[boto3.Session], None]

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "Forbidden", "403", "AccessDeniedFault", "UnauthorizedAccess", "AllAccessDisabled"}
_AUTH = {"AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
         "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature",
         "InvalidToken", "RequestExpired"}
_THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
              "TooManyRequestsException", "SlowDown", "RequestThrottled", "RequestThrottledException",
              "ProvisionedThroughputExceededException", "PriorRequestNotComplete", "BandwidthLimitExceeded",
              "EC2ThrottledException", "LimitExceededException"}
_NOT_IMPLEMENTED = {"NotImplemented", "NotImplementedException", "InvalidAction", "UnknownOperationException",
                    "UnsupportedOperation", "501"}


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def classify(exc: BaseException) -> tuple[ErrorReason, str]:
    """An expected API exception -> (reason, one-line message naming the AWS error)."""
    if isinstance(exc, NotImplementedError):
        return ErrorReason.NOT_IMPLEMENTED, f"the endpoint does not implement this operation ({exc})"
    if isinstance(exc, InvalidResponse):
        return ErrorReason.INVALID_RESPONSE, f"not the API's answer: {exc}"
    if isinstance(exc, ResponseParserError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ErrorReason.INVALID_RESPONSE, f"the answer could not be parsed as the API's answer: {first[:200]}"
    if isinstance(exc, PaginationError):
        return ErrorReason.INVALID_RESPONSE, f"inconsistent pagination: {exc}"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        message = str(err.get("Message", "")).strip()
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        retries = int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0)
        if "<html" in message.lower() or len(message) > 300:  # an emulator's or proxy's page, not an AWS error
            message = message.split("\n", 1)[0][:120] if "<html" not in message.lower() else ""
        text = f"{exc.operation_name}: {code or status}" + (f": {message}" if message else "")
        if code == "OptInRequired":
            return ErrorReason.PERMISSION_DENIED, f"{text} (the region is not enabled for this account)"
        if code in _DENIED or code.startswith("AccessDenied"):
            return ErrorReason.PERMISSION_DENIED, text
        if code in _AUTH:
            return ErrorReason.AUTHENTICATION, text
        if code in _THROTTLED or code.startswith("Throttl"):
            return ErrorReason.THROTTLED, f"{text} (still throttled after {retries} retries)"
        if code in _NOT_IMPLEMENTED or "not yet implemented" in message.lower() or status == 501 \
                or (code == "404" and status == 404):  # no AWS error code: the route does not exist there
            return ErrorReason.NOT_IMPLEMENTED, f"{text} (the endpoint does not implement this operation)"
        if status >= 500:
            return ErrorReason.INVALID_RESPONSE, (f"{text} (HTTP {status} after {retries} retries; emulators "
                                                  "answer so for operations they do not implement)")
        if code.startswith("NoSuch") or code.endswith("NotFound") or code.endswith("NotFoundException"):
            return ErrorReason.NOT_FOUND, text
        return ErrorReason.INVALID_RESPONSE, text
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ErrorReason.TIMEOUT, f"timed out: {exc}"
    if isinstance(exc, EndpointConnectionError):
        return ErrorReason.CONNECTIVITY, f"cannot connect: {exc}"
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return ErrorReason.AUTHENTICATION, f"no usable AWS credentials: {exc}"
    if isinstance(exc, BotoCoreError):
        return ErrorReason.CONNECTIVITY, f"{type(exc).__name__}: {exc}"
    return ErrorReason.INTERNAL, f"{type(exc).__name__}: {exc}"


def client_config(settings: AwsSettings, **extra: Any) -> Config:
    return Config(
        retries={"mode": "adaptive", "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=max(10, min(settings.max_workers, settings.max_workers_per_account)),
        user_agent_extra="auditpack",
        **extra,
    )


def call_key(service_model: Any) -> str:
    """The service half of ``policy.OPERATIONS`` keys: the signing name, except s3control."""
    if service_model.service_name == "s3control":
        return "s3control"
    return str(service_model.signing_name)


def new_session(settings: AwsSettings, hook: SessionHook | None) -> boto3.Session:
    session = boto3.Session(profile_name=settings.profile) if settings.profile else boto3.Session()
    # every client of this run (all accounts: they share this loader) gets one model and class per service
    share_models(session._session.get_component("data_loader"))
    if hook is not None:
        hook(session)
    return session


def assumed_session(base: boto3.Session, sts: Any, role_arn: str, external_id: str | None,
                    session_name: str, hook: SessionHook | None) -> boto3.Session:
    """A session on temporary credentials of ``role_arn`` (STS AssumeRole, one hour)."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    creds = sts.assume_role(**params)["Credentials"]
    core = botocore.session.Session()
    # the service descriptions loaded once for every account: tens of MB per account otherwise
    core.register_component("data_loader", base._session.get_component("data_loader"))
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=base.region_name,
        botocore_session=core,
    )
    if hook is not None:
        hook(session)
    return session


@dataclass
class Account:
    """One AWS account being collected: its session and its clients."""

    session: boto3.Session
    settings: AwsSettings
    reached_by: str
    account_id: str = ""
    partition: str = "aws"
    caller_arn: str = ""
    home_region: str = "us-east-1"
    locations: set[str] = field(default_factory=set)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.home_region
        key = (service, region)
        with self._lock:
            existing = self._clients.get(key)
            if existing is not None:
                return existing
            extra: dict[str, Any] = {}
            if service == "s3":
                extra["s3"] = {"addressing_style": "path"} if self.settings.endpoint_url else {}
            created = self.session.client(service, region_name=region, endpoint_url=self.settings.endpoint_url,
                                          config=client_config(self.settings, **extra))
            if service == "s3control" and self.settings.endpoint_url:
                created.meta.events.register("before-sign.s3-control", _no_account_host_prefix)
            created.meta.events.register("after-call", check_answer)  # a 200 that is not the API's answer
            self._clients[key] = created
            return created

    def global_client(self, service: str) -> Any:
        """A client for a global service (IAM, CloudFront, the S3 listing and bucket
        locations): us-east-1 in the commercial partition, else the home region."""
        return self.client(service, "us-east-1" if self.partition == "aws" else self.home_region)

    def reset_clients(self) -> None:
        """Close and forget every client (a new session, or the account's reads are done);
        a later call creates them again."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()  # its connection pool; the client itself is garbage once unreferenced

    def found(self, region: str | None) -> None:
        if region:
            with self._lock:
                self.locations.add(region)


def _no_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control puts "{AccountId}." in front of the host; an emulator's 127.0.0.1 has no
    such subdomains. Only registered when ``endpoint_url`` is set."""
    account = request.headers.get("x-amz-account-id")
    if account:
        text = account.decode() if isinstance(account, bytes) else str(account)
        request.url = request.url.replace(f"//{text}.", "//", 1)


_NOTHING = object()  # no key chosen (None is a key: tasks of no account)


class TaskPool:
    """A bounded pool whose tasks may submit more tasks; :meth:`join` waits for all.

    Listing a region submits one task per bucket, table or load balancer, so the
    per-resource calls of one region overlap with the listings of others: latency is
    hidden by concurrency instead of adding up region by region.

    Two bounds: ``max_workers`` calls at once in total, and at most ``per_key`` at once
    for one key (an account: AWS throttles per account and region). A worker takes the
    next task of the oldest key below its bound, so a worker never blocks on a busy
    account while another account has work, and accounts are finished a few at a time
    (about ``max_workers / per_key`` of them) rather than all twenty side by side: an
    account's clients live only while its reads run. ``on_idle(key)`` is called once a key
    has nothing queued and nothing running (its account is done).

    ``max_keys`` bounds how many keys are open at once: a key opens when a worker takes its
    first task and closes when it is idle; the tasks of a key not yet open wait (tasks
    without a key never do). Without it, every account of an organisation is reached (its
    role assumed, a session and first clients made) as soon as it is listed, so memory
    grows with the organisation and the one-hour credentials of the last accounts age
    while the first ones are read.

    Workers are daemon threads (not ``concurrent.futures``, whose workers the interpreter
    joins at exit): an interrupted or timed-out run must not keep the process alive while
    queued calls retry against an endpoint that is gone.
    """

    def __init__(self, max_workers: int, stopped: Callable[[], bool] = lambda: False,
                 per_key: int | None = None, on_idle: Callable[[Hashable], None] | None = None,
                 max_keys: int | None = None) -> None:
        self._max = max(1, max_workers)
        self._per_key = max(1, per_key or self._max)
        self._max_keys = None if max_keys is None else max(1, max_keys)
        self._open: set[Hashable] = set()  # keys whose tasks may run (at most max_keys)
        self._stopped = stopped  # the engine gave up on this collector: skip what is still queued
        self.on_idle = on_idle
        # every key with work queued or running, oldest first (a key leaves once it is idle)
        self._queues: dict[Hashable, collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]]] = {}
        self._running: collections.Counter[Hashable] = collections.Counter()
        self._threads: list[threading.Thread] = []
        self._live = 0  # workers not yet left (a worker leaves once the pool is joined and idle)
        self._pending = 0
        self._closed = False
        self._cond = threading.Condition()
        self.unexpected: list[BaseException] = []

    def submit(self, func: Callable[..., Any], *args: Any, key: Hashable = None) -> None:
        with self._cond:
            self._pending += 1
            queue_ = self._queues.get(key)
            if queue_ is None:
                queue_ = self._queues[key] = collections.deque()
            queue_.append((func, args))
            self._closed = False  # a joined pool may be used again (its workers have left)
            if self._live < min(self._max, self._pending):
                worker = threading.Thread(target=self._work, name=f"auditpack-aws-{len(self._threads)}", daemon=True)
                self._threads.append(worker)
                self._live += 1
                worker.start()
            self._cond.notify()

    def _take(self) -> tuple[Hashable, Callable[..., Any], tuple[Any, ...]] | None:
        """The next task of the oldest open key below its bound, else of the oldest key not
        yet open while fewer than ``max_keys`` are (caller holds the lock)."""
        chosen: Hashable = _NOTHING
        first_closed: Hashable = _NOTHING
        for key, queue_ in self._queues.items():
            if not queue_ or self._running[key] >= self._per_key:
                continue
            if key is None or self._max_keys is None or key in self._open:
                chosen = key
                break
            if first_closed is _NOTHING:
                first_closed = key
        if chosen is _NOTHING:
            if first_closed is _NOTHING or self._max_keys is None or len(self._open) >= self._max_keys:
                return None
            chosen = first_closed
            self._open.add(chosen)
        func, args = self._queues[chosen].popleft()
        self._running[chosen] += 1
        return chosen, func, args

    def _work(self) -> None:
        while True:
            with self._cond:
                task = self._take()
                while task is None:
                    if self._closed:
                        self._live -= 1
                        return
                    self._cond.wait()
                    task = self._take()
            key, func, args = task
            try:
                if not self._stopped():
                    func(*args)
            except Exception as exc:  # a bug in a task: kept and re-raised by the collector
                with self._cond:
                    self.unexpected.append(exc)
            finally:
                with self._cond:
                    self._running[key] -= 1
                    idle = not self._running[key] and not self._queues[key]
                    if idle:
                        del self._running[key]
                        del self._queues[key]
                try:
                    if idle and self.on_idle is not None:
                        self.on_idle(key)  # before the task counts as done: join() waits for it
                except Exception as exc:  # a bug, kept like a task's
                    with self._cond:
                        self.unexpected.append(exc)
                with self._cond:
                    if idle and key not in self._queues:  # closed once on_idle is done (its clients closed)
                        self._open.discard(key)
                    self._pending -= 1
                    self._cond.notify_all()

    def join(self) -> None:
        with self._cond:
            while self._pending:
                self._cond.wait()
            self._closed = True
            self._cond.notify_all()


class Memo:
    """Call a function once per key, even when several threads ask at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Any, tuple[threading.Event, list[Any]]] = {}

    def get(self, key: Any, func: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            owner = entry is None
            if entry is None:
                entry = (threading.Event(), [])
                self._entries[key] = entry
        event, box = entry
        if owner:
            try:
                box.append(("ok", func()))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, re-raised below
                box.append(("err", exc))
            finally:
                event.set()
        event.wait()
        status, value = box[0]
        if status == "err":
            raise value
        return value


def iso(value: Any) -> str | None:
    """An AWS timestamp (datetime or string) as ISO 8601 UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return str(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    return str(value)


def jsonable(value: Any) -> Any:
    """A response as received, made JSON-serialisable (datetimes -> ISO), metadata dropped."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "read"):  # StreamingBody
        return None
    return value
