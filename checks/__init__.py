"""The check API: pure functions from typed evidence and parameters to verdicts.

A check never does I/O and never reads a clock: evidence, policy parameters and ``now``
come in through :class:`CheckContext`. It declares the record classes it needs (from
:mod:`auditpack.evidence`); the engine gives an ``error`` finding for every needed piece
of evidence that could not be collected and never shows that evidence to the check.

    @check(title="EBS volumes are encrypted", measure=Measure.ENCRYPTION_AT_REST,
           basis=Basis.OBSERVED, needs=(EbsVolume,), remediation="Enable EBS encryption by default ...")
    def encryption_at_rest_ebs_volume_encrypted(ctx: CheckContext) -> Iterable[Verdict]:
        for ev, volume in ctx.evidence.records(EbsVolume):  # Evidence[EbsVolume], EbsVolume
            ...

Name checks ``<measure>_<resource>_<expected_state>``; the function name is the id.

Every check declares its ``basis``, how the fact it judges is known: ``Basis.OBSERVED``
(read from the provider or the host), ``Basis.DECLARED`` (stated in the configuration) or
``Basis.ATTESTED`` (stated by an attached document). A finding's basis is the weakest of the
check's and of the records behind its verdict (an SSH host's ``provider.use`` is declared),
so a declaration is never shown as an observation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from auditpack.model import (
    Basis,
    Evidence,
    EvidenceRecord,
    Measure,
    Resource,
    Severity,
    SomeEvidence,
    Status,
    weakest_basis,
)

if TYPE_CHECKING:
    from auditpack.config import Policy
    from auditpack.profiles import Profile

__all__ = [
    "Basis",
    "Check",
    "CheckContext",
    "EvidenceView",
    "SomeEvidence",
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
    evidence: tuple[SomeEvidence, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    remediation: str | None = None


def _verdict(status: Status, subject: SomeEvidence | Resource, message: str, evidence: Iterable[SomeEvidence],
             details: Mapping[str, Any] | None, severity: Severity | None, remediation: str | None) -> Verdict:
    if isinstance(subject, Evidence):
        resource = subject.resource
        behind = (subject, *evidence)
    else:
        resource = subject
        behind = tuple(evidence)
    return Verdict(status, resource, message, behind, details or {}, severity, remediation)


def passed(subject: SomeEvidence | Resource, message: str, *, evidence: Iterable[SomeEvidence] = (),
           details: Mapping[str, Any] | None = None) -> Verdict:
    return _verdict(Status.PASS, subject, message, evidence, details, None, None)


def failed(subject: SomeEvidence | Resource, message: str, *, evidence: Iterable[SomeEvidence] = (),
           details: Mapping[str, Any] | None = None, severity: Severity | None = None,
           remediation: str | None = None) -> Verdict:
    return _verdict(Status.FAIL, subject, message, evidence, details, severity, remediation)


def manual(subject: SomeEvidence | Resource, message: str, *, evidence: Iterable[SomeEvidence] = (),
           details: Mapping[str, Any] | None = None, remediation: str | None = None) -> Verdict:
    return _verdict(Status.MANUAL, subject, message, evidence, details, None, remediation)


def not_applicable(subject: SomeEvidence | Resource, message: str, *, evidence: Iterable[SomeEvidence] = (),
                   details: Mapping[str, Any] | None = None) -> Verdict:
    return _verdict(Status.NOT_APPLICABLE, subject, message, evidence, details, None, None)


def errored(subject: SomeEvidence | Resource, message: str, *, evidence: Iterable[SomeEvidence] = (),
            details: Mapping[str, Any] | None = None) -> Verdict:
    """The evidence was read but cannot be interpreted (e.g. an unknown location code).
    Never guess: an uninterpretable fact is a gap, not a pass and not a fail."""
    return _verdict(Status.ERROR, subject, message, evidence, details, None, None)


A = TypeVar("A", bound=EvidenceRecord)
B = TypeVar("B", bound=EvidenceRecord)
C = TypeVar("C", bound=EvidenceRecord)

RecordClasses = tuple[type[EvidenceRecord], ...]


class EvidenceView:
    """Read-only, typed access to the collected evidence a check may see.

    ``of(S3Bucket)`` gives ``list[Evidence[S3Bucket]]``; ``records(S3Bucket)`` gives
    ``(evidence, record)`` pairs. Several classes give the union of their types (in
    collection order), so a check never needs a cast or a kind string.
    """

    def __init__(self, items: Iterable[SomeEvidence]) -> None:
        self._items = tuple(items)

    @overload
    def of(self, first: type[A], /) -> list[Evidence[A]]: ...
    @overload
    def of(self, first: type[A], second: type[B], /) -> list[Evidence[A] | Evidence[B]]: ...
    @overload
    def of(self, first: type[A], second: type[B], third: type[C], /) -> list[Evidence[A] | Evidence[B] | Evidence[C]]:
        ...
    @overload
    def of(self, *classes: type[EvidenceRecord]) -> list[SomeEvidence]: ...

    def of(self, *classes: type[EvidenceRecord]) -> list[Evidence[Any]]:
        """Collected evidence whose record is one of ``classes``, in collection order."""
        return [ev for ev in self._items if isinstance(ev.record, classes)]

    @overload
    def records(self, first: type[A], /) -> list[tuple[Evidence[A], A]]: ...
    @overload
    def records(self, first: type[A], second: type[B], /) -> list[tuple[Evidence[A | B], A | B]]: ...
    @overload
    def records(self, *classes: type[EvidenceRecord]) -> list[tuple[SomeEvidence, EvidenceRecord]]: ...

    def records(self, *classes: type[EvidenceRecord]) -> list[tuple[Evidence[Any], Any]]:
        """``(evidence, record)`` pairs of the given record classes, in collection order."""
        return [(ev, ev.record) for ev in self._items if isinstance(ev.record, classes)]

    def kinds(self) -> list[str]:
        return sorted({ev.kind for ev in self._items})

    def __iter__(self) -> Iterator[SomeEvidence]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class CheckContext:
    evidence: EvidenceView
    policy: Policy
    now: datetime
    profile: Profile | None = None
    #: errored evidence of the check's *optional* classes (needed ones become error findings)
    gaps: tuple[SomeEvidence, ...] = ()

    def unreadable(self, *classes: type[EvidenceRecord]) -> list[SomeEvidence]:
        """Optional evidence of ``classes`` that could not be read: a check that accepts any
        of several mechanisms (backups) says ``error`` when nothing readable covers a
        resource and one of these is about it, never ``fail``."""
        kinds = {cls.kind for cls in classes}
        return [ev for ev in self.gaps if ev.kind in kinds]


CheckFunction = Callable[[CheckContext], Iterable[Verdict]]


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check: identity and declared needs only, the logic is ``func``."""

    id: str
    title: str
    measure: Measure
    needs: RecordClasses
    func: CheckFunction
    basis: Basis
    optional: RecordClasses = ()
    severity: Severity = Severity.MEDIUM
    remediation: str = ""
    gate: Literal["item", "scope"] = "item"
    source: str = "builtin"

    @property
    def needed_kinds(self) -> tuple[str, ...]:
        """The on-disk kind names of ``needs`` (the pack's context lists these)."""
        return tuple(cls.kind for cls in self.needs)

    def needs_kind(self, kind: str) -> bool:
        return kind in self.needed_kinds

    def sees_kind(self, kind: str) -> bool:
        return self.needs_kind(kind) or any(cls.kind == kind for cls in self.optional)

    @property
    def bases(self) -> tuple[Basis, ...]:
        """The bases its findings have: its own, weakened by what its needed records can carry
        (strongest first). What ``auditpack checks`` lists. (Optional records weaken a finding
        only when a verdict names them as evidence; each finding states its own basis.)"""
        found = {weakest_basis((self.basis, b)) for cls in self.needs for b in cls.bases}
        return tuple(b for b in Basis if b in found | {self.basis})

    def finding_basis(self, evidence: Iterable[SomeEvidence]) -> Basis:
        """The basis of a finding resting on ``evidence``: the weakest of the check's and theirs."""
        return weakest_basis((self.basis, *(b for ev in evidence if (b := ev.basis) is not None)))

    def __call__(self, ctx: CheckContext) -> Iterable[Verdict]:
        return self.func(ctx)


def check(*, title: str, measure: Measure, needs: Iterable[type[EvidenceRecord]],
          basis: Basis | None = None, optional: Iterable[type[EvidenceRecord]] = (),
          severity: Severity = Severity.MEDIUM, remediation: str = "",
          gate: Literal["item", "scope"] = "item") -> Callable[[CheckFunction], Check]:
    """Register a function as a check. ``basis`` is required (see the module docstring).
    ``gate="scope"`` withholds all evidence of a scope (account, project, host) from the check
    when any needed evidence in it errored: use it for checks whose verdict depends on seeing
    everything (e.g. "at least one trail")."""
    needed, seen = tuple(needs), tuple(optional)
    for cls in (*needed, *seen):
        if not (isinstance(cls, type) and issubclass(cls, EvidenceRecord) and cls.kind):
            raise TypeError(f"a check needs evidence record classes with a kind, not {cls!r}")

    def wrap(func: CheckFunction) -> Check:
        if not isinstance(basis, Basis):
            raise TypeError(
                f"check {func.__name__} ({func.__module__}) declares no basis: add basis=Basis.OBSERVED (read from "
                "the provider or the host), Basis.DECLARED (stated in the configuration) or Basis.ATTESTED "
                f"(stated by an attached document) to its @check, not {basis!r}")
        return Check(
            id=func.__name__,
            title=title,
            measure=Measure(measure),
            needs=needed,
            optional=seen,
            func=func,
            basis=basis,
            severity=severity,
            remediation=remediation,
            gate=gate,
            source=func.__module__,
        )

    return wrap
