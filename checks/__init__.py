"""The check API: pure functions from typed evidence and parameters to verdicts.

A check never does I/O and never reads a clock: evidence, policy parameters and ``now``
come in through :class:`CheckContext`. It declares the evidence kinds it needs; the
engine gives an ``error`` finding for every needed piece of evidence that could not be
collected and never shows that evidence to the check.

    @check(title="EBS volumes are encrypted", measure=Measure.ENCRYPTION_AT_REST,
           needs=("aws.ebs_volume",), remediation="Enable EBS encryption by default ...")
    def encryption_at_rest_ebs_volume_encrypted(ctx: CheckContext) -> Iterable[Verdict]:
        for ev in ctx.evidence.of("aws.ebs_volume"):
            ...

Name checks ``<measure>_<resource>_<expected_state>``; the function name is the id.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from auditpack.model import Evidence, Measure, Resource, Severity, Status

if TYPE_CHECKING:
    from auditpack.config import Policy
    from auditpack.profiles import Profile

__all__ = [
    "Check",
    "CheckContext",
    "EvidenceView",
    "Verdict",
    "check",
    "errored",
    "failed",
    "manual",
    "not_applicable",
    "passed",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check says about one resource. The engine adds check id, measure, controls,
    clauses and evidence paths, so a check cannot mislabel its own output."""

    status: Status
    resource: Resource
    message: str
    evidence: tuple[Evidence, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    remediation: str | None = None


def _verdict(status: Status, subject: Evidence | Resource, message: str, evidence: Iterable[Evidence],
             details: Mapping[str, Any] | None, severity: Severity | None, remediation: str | None) -> Verdict:
    if isinstance(subject, Evidence):
        resource = subject.resource
        behind = (subject, *evidence)
    else:
        resource = subject
        behind = tuple(evidence)
    return Verdict(status, resource, message, behind, details or {}, severity, remediation)


def passed(subject: Evidence | Resource, message: str, *, evidence: Iterable[Evidence] = (),
           details: Mapping[str, Any] | None = None) -> Verdict:
    return _verdict(Status.PASS, subject, message, evidence, details, None, None)


def failed(subject: Evidence | Resource, message: str, *, evidence: Iterable[Evidence] = (),
           details: Mapping[str, Any] | None = None, severity: Severity | None = None,
           remediation: str | None = None) -> Verdict:
    return _verdict(Status.FAIL, subject, message, evidence, details, severity, remediation)


def manual(subject: Evidence | Resource, message: str, *, evidence: Iterable[Evidence] = (),
           details: Mapping[str, Any] | None = None, remediation: str | None = None) -> Verdict:
    return _verdict(Status.MANUAL, subject, message, evidence, details, None, remediation)


def not_applicable(subject: Evidence | Resource, message: str, *, evidence: Iterable[Evidence] = (),
                   details: Mapping[str, Any] | None = None) -> Verdict:
    return _verdict(Status.NOT_APPLICABLE, subject, message, evidence, details, None, None)


def errored(subject: Evidence | Resource, message: str, *, evidence: Iterable[Evidence] = (),
            details: Mapping[str, Any] | None = None) -> Verdict:
    """The evidence was read but cannot be interpreted (e.g. an unknown location code).
    Never guess: an uninterpretable fact is a gap, not a pass and not a fail."""
    return _verdict(Status.ERROR, subject, message, evidence, details, None, None)


class EvidenceView:
    """Read-only access to the collected evidence a check may see."""

    def __init__(self, items: Iterable[Evidence]) -> None:
        self._items = tuple(items)
        self._by_kind: dict[str, list[Evidence]] = {}
        for ev in self._items:
            self._by_kind.setdefault(ev.kind, []).append(ev)

    def of(self, *kinds: str) -> list[Evidence]:
        """Collected evidence of the given kinds (fnmatch patterns allowed), in collection order."""
        out: list[Evidence] = []
        for kind, items in self._by_kind.items():
            if any(fnmatch.fnmatchcase(kind, pattern) for pattern in kinds):
                out.extend(items)
        return out

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class CheckContext:
    evidence: EvidenceView
    policy: Policy
    now: datetime
    profile: Profile | None = None


CheckFunction = Callable[[CheckContext], Iterable[Verdict]]


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check: identity and declared needs only, the logic is ``func``."""

    id: str
    title: str
    measure: Measure
    needs: tuple[str, ...]
    func: CheckFunction
    optional: tuple[str, ...] = ()
    severity: Severity = Severity.MEDIUM
    remediation: str = ""
    gate: Literal["item", "scope"] = "item"
    source: str = "builtin"

    def needs_kind(self, kind: str) -> bool:
        return any(fnmatch.fnmatchcase(kind, pattern) for pattern in self.needs)

    def sees_kind(self, kind: str) -> bool:
        return self.needs_kind(kind) or any(fnmatch.fnmatchcase(kind, p) for p in self.optional)

    def __call__(self, ctx: CheckContext) -> Iterable[Verdict]:
        return self.func(ctx)


def check(*, title: str, measure: Measure, needs: Iterable[str], optional: Iterable[str] = (),
          severity: Severity = Severity.MEDIUM, remediation: str = "",
          gate: Literal["item", "scope"] = "item") -> Callable[[CheckFunction], Check]:
    """Register a function as a check. ``gate="scope"`` withholds all evidence of a scope
    (account, project, host) from the check when any needed evidence in it errored: use it
    for checks whose verdict depends on seeing everything (e.g. "at least one trail")."""

    def wrap(func: CheckFunction) -> Check:
        return Check(
            id=func.__name__,
            title=title,
            measure=Measure(measure),
            needs=tuple(needs),
            optional=tuple(optional),
            func=func,
            severity=severity,
            remediation=remediation,
            gate=gate,
            source=func.__module__,
        )

    return wrap
