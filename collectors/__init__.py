"""The collector API: turn the world into evidence, never judge it.

A collector is a class with identity and declarations (``id``, the config section it
reads, the record classes it produces from :mod:`auditpack.evidence`, the permissions it needs) and one method,
:meth:`Collector.collect`, which reads and emits :class:`~auditpack.model.Evidence`
through the :class:`CollectContext`. Clients (boto3, hcloud, paramiko) are built inside
``collect`` from the settings, never at import time.

Every failure to read something is emitted as ``error`` evidence for exactly the
resources or scopes affected (``ctx.failed``). An exception escaping ``collect`` is
contained by the engine: every record class the collector declares becomes ``error``
evidence.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from auditpack import __version__
from auditpack.config import ConfigProblem
from auditpack.model import (
    AttemptStatus,
    ErrorReason,
    Evidence,
    EvidenceRecord,
    Provenance,
    Resource,
    utc_now,
)

__all__ = ["CollectContext", "Collector", "fan_out", "Outcome"]

T = TypeVar("T")
R = TypeVar("R")
RecordT = TypeVar("RecordT", bound=EvidenceRecord)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T, R]):
    """One item's result from :func:`fan_out`: the value, or the exception it raised."""

    item: T
    value: R | None = None
    exception: BaseException | None = None


def fan_out(func: Callable[[T], R], items: Iterable[T], max_workers: int,
            name: str = "auditpack") -> list[Outcome[T, R]]:
    """Run ``func`` over ``items`` with at most ``max_workers`` at once; keep input order.

    Exceptions are captured per item, never raised: one region or host failing must not
    stop the others.
    """
    todo = list(items)
    if not todo:
        return []

    def one(item: T) -> Outcome[T, R]:
        try:
            return Outcome(item, func(item))
        except Exception as exc:  # contained here by design; the caller turns it into evidence
            return Outcome(item, None, exc)

    workers = max(1, min(max_workers, len(todo)))
    if workers == 1:
        return [one(item) for item in todo]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        return list(pool.map(one, todo))


class CollectContext:
    """What a running collector may use: evidence constructors, progress and the clock.

    Thread-safe: collectors fan out and emit from worker threads.
    """

    def __init__(self, collector_id: str, tool_version: str, now: datetime,
                 on_progress: Callable[[str, int, int | None, str], None] | None = None,
                 prior_evidence: Sequence[Evidence[EvidenceRecord]] = (),
                 environ: Mapping[str, str] | None = None) -> None:
        self.collector_id = collector_id
        self.tool_version = tool_version
        self.now = now
        self.log = logging.getLogger(f"auditpack.collectors.{collector_id}")
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        self._prior = tuple(prior_evidence)
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._items: list[Evidence[EvidenceRecord]] = []
        self._closed = False
        self._done = 0
        self._total: int | None = None

    # -- evidence ----------------------------------------------------------------------
    def _provenance(self, resource: Resource, source: str) -> Provenance:
        return Provenance(
            collector=self.collector_id,
            tool_version=self.tool_version,
            collected_at=utc_now(),
            scope=resource.scope or "global",
            source=source,
        )

    def emit(self, evidence: Evidence[EvidenceRecord]) -> None:
        with self._lock:
            if not self._closed:
                self._items.append(evidence)

    def collected(self, record: RecordT, resource: Resource, *, raw: Any, source: str) -> Evidence[RecordT]:
        """Emit a successful read: the typed record plus the raw response it came from."""
        ev = Evidence(kind=record.kind, resource=resource, status=AttemptStatus.COLLECTED,
                      provenance=self._provenance(resource, source), record=record, raw=raw)
        self.emit(ev)
        return ev

    def failed(self, record: type[EvidenceRecord], resource: Resource, *, error: str, reason: ErrorReason,
               source: str, raw: Any = None) -> Evidence[EvidenceRecord]:
        """Emit a failed read of a ``record`` for exactly the resource or scope it concerns."""
        ev: Evidence[EvidenceRecord] = Evidence(kind=record.kind, resource=resource, status=AttemptStatus.ERROR,
                      provenance=self._provenance(resource, source), error=error, reason=reason, raw=raw)
        self.emit(ev)
        return ev

    def skipped(self, record: type[EvidenceRecord], resource: Resource, *, why: str, source: str,
                reason: ErrorReason = ErrorReason.CONFIGURATION) -> Evidence[EvidenceRecord]:
        """Emit a deliberate non-read (not configured, not permitted by choice)."""
        ev: Evidence[EvidenceRecord] = Evidence(kind=record.kind, resource=resource, status=AttemptStatus.SKIPPED,
                      provenance=self._provenance(resource, source), error=why, reason=reason)
        self.emit(ev)
        return ev

    def prior(self, *records: type[EvidenceRecord]) -> list[Evidence[EvidenceRecord]]:
        """Collected evidence of ``records`` from collectors that ran before this one (see ``Collector.after``)."""
        return [ev for ev in self._prior if isinstance(ev.record, records)]

    # -- progress ----------------------------------------------------------------------
    def set_total(self, total: int) -> None:
        with self._lock:
            self._total = total
        self._report("")

    def advance(self, message: str = "", step: int = 1) -> None:
        with self._lock:
            self._done += step
        self._report(message)

    def _report(self, message: str) -> None:
        if self._on_progress is not None:
            self._on_progress(self.collector_id, self._done, self._total, message)

    @property
    def stopped(self) -> bool:
        """True once the engine stopped listening (the collector timed out): a collector
        with queued work should stop making calls."""
        with self._lock:
            return self._closed

    # -- engine side -------------------------------------------------------------------
    def close(self) -> list[Evidence[EvidenceRecord]]:
        """Stop accepting evidence (a timed-out collector's late output is dropped)."""
        with self._lock:
            self._closed = True
            return list(self._items)


class Collector(ABC):
    """Base of every collector, built-in or plugin."""

    #: registry key and provenance name, e.g. ``"aws"``
    id: ClassVar[str]
    title: ClassVar[str]
    #: top-level TOML section this collector reads (``[aws]``); None for none
    config_section: ClassVar[str | None] = None
    #: strict pydantic model of that section (``extra="forbid"``)
    config_model: ClassVar[type[BaseModel] | None] = None
    #: the record classes this collector can emit (from :mod:`auditpack.evidence`)
    produces: ClassVar[tuple[type[EvidenceRecord], ...]] = ()
    #: declared permissions by system, e.g. {"aws_iam": ("s3:ListAllMyBuckets", ...),
    #: "ssh_commands": ("borg list --json", ...)}; meta-tests check them
    permissions: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: collectors whose evidence this one reads through ``ctx.prior`` (run after them)
    after: ClassVar[tuple[str, ...]] = ()
    #: the provider name used in findings' ``resource.provider``
    provider: ClassVar[str] = ""

    def __init__(self, settings: BaseModel | None) -> None:
        self.settings = settings

    def enabled(self) -> bool:
        """Whether this run should call ``collect`` (by default: its section is configured)."""
        return self.settings is not None

    def run_after(self) -> tuple[str, ...]:
        """The collectors this run must wait for (by default ``after``; override when it
        depends on the settings, e.g. only when discovery is switched on)."""
        return self.after

    def scopes(self) -> list[str]:
        """The scopes this collector will cover (accounts, projects, hosts), for the cover
        page and for error evidence when the whole collector fails."""
        return ["global"]

    def use_shard(self, owns: Callable[[str], bool]) -> bool:
        """Restrict this collector to the scopes ``owns`` accepts (``auditpack run --shard``);
        False when none of its work is in this shard. By default the collector is one
        indivisible unit (scope ``"*"``); collectors with several scopes narrow their settings."""
        return owns("*")

    def secret_env_names(self) -> list[str]:
        """Names of environment variables holding secrets this collector reads; their
        values are scrubbed from everything written."""
        return []

    def preflight(self, environ: Mapping[str, str]) -> list[ConfigProblem]:
        """References in the settings that do not resolve before anything is called (files
        that do not exist, secret variables that are unset, names no provider knows).
        Offline and quick: the run stops with exit 4 on the first problem."""
        return []

    @abstractmethod
    def collect(self, ctx: CollectContext) -> None:
        """Read the world and emit evidence through ``ctx``. Never judge."""


def tool_version(*libraries: str) -> str:
    """``auditpack 0.1.0 (boto3 1.43.11)``: provenance names the code that read the data."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for lib in libraries:
        try:
            parts.append(f"{lib} {version(lib)}")
        except PackageNotFoundError:
            parts.append(f"{lib} ?")
    return f"auditpack {__version__}" + (f" ({', '.join(parts)})" if parts else "")
