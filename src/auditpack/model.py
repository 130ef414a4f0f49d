"""The typed vocabulary shared by all three stages: evidence, findings, resources.

Collectors produce :class:`Evidence`, checks turn it into :class:`Finding`, reports
render findings. Everything here is frozen: once collected, evidence is a fact.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeGuard, TypeVar

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    """A finding's verdict. One spelling each (the findings schema's ``status``)."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Measure(StrEnum):
    """The fixed set of DPA measures, shared with the findings contract."""

    EEA_RESIDENCY = "eea_residency"
    TRANSFER_SAFEGUARDS = "transfer_safeguards"
    ENCRYPTION_AT_REST = "encryption_at_rest"
    ENCRYPTION_IN_TRANSIT = "encryption_in_transit"
    ACCESS_CONTROL = "access_control"
    ACCESS_LOGGING = "access_logging"
    BACKUPS = "backups"
    BACKUP_TESTING = "backup_testing"
    VULNERABILITY_MANAGEMENT = "vulnerability_management"
    NETWORK_SECURITY = "network_security"
    PHYSICAL_SECURITY = "physical_security"
    BREACH_NOTIFICATION = "breach_notification"
    SUBPROCESSOR_LIST = "subprocessor_list"
    AUDIT_RIGHTS = "audit_rights"
    DELETION_ON_TERMINATION = "deletion_on_termination"
    CERTIFICATION = "certification"


class Basis(StrEnum):
    """How a fact is known: what the auditor may rely on, and what only someone's word says.

    ``observed``: read from the provider or the host by the tool (a region, an lsblk line).
    ``declared``: stated in the configuration; the tool cannot see it (an SSH host's country).
    ``attested``: stated by an attached document a person reviewed (an ISO certificate).
    A declaration is never shown as an observation: where bases meet, the weakest wins.
    """

    OBSERVED = "observed"
    ATTESTED = "attested"
    DECLARED = "declared"


_BASIS_STRENGTH = {Basis.OBSERVED: 2, Basis.ATTESTED: 1, Basis.DECLARED: 0}


def weakest_basis(bases: Iterable[Basis]) -> Basis:
    """The basis of a fact built from facts of ``bases``: never stronger than its weakest part."""
    return min(bases, key=_BASIS_STRENGTH.__getitem__)


class AttemptStatus(StrEnum):
    """What happened when a collector tried to read one piece of evidence."""

    COLLECTED = "collected"
    ERROR = "error"
    SKIPPED = "skipped"


class ErrorReason(StrEnum):
    """Why evidence could not be read. Shown to the auditor as a coverage gap."""

    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONNECTIVITY = "connectivity"
    TIMEOUT = "timeout"
    THROTTLED = "throttled"
    NOT_IMPLEMENTED = "not_implemented"
    AUTHENTICATION = "authentication"
    HOST_KEY = "host_key"
    INVALID_RESPONSE = "invalid_response"
    CONFIGURATION = "configuration"
    PLUGIN = "plugin"
    INTERNAL = "internal"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z: one spelling for every timestamp we write."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in auditpack is timezone-aware UTC")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8. The basis of every hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Resource:
    """What a finding or a piece of evidence is about (the contract's `resource` object)."""

    provider: str
    type: str
    id: str
    name: str | None = None
    location: str | None = None
    scope: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "location": self.location,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            provider=data["provider"],
            type=data["type"],
            id=data["id"],
            name=data.get("name"),
            location=data.get("location"),
            scope=data.get("scope"),
        )


# --- typed evidence records -------------------------------------------------------------

_RECORD_KINDS: dict[str, type[EvidenceRecord]] = {}


class EvidenceRecord(BaseModel):
    """Base of every normalised evidence record. Subclass with ``kind="provider.thing"``.

    Records are frozen and forbid unknown fields, so a collector and the checks that read
    its output cannot silently disagree about a field's name.

    ``basis``: how the record's facts are known. A record read from a provider or a host is
    ``observed`` (the default); one built from the configuration says
    ``basis=Basis.DECLARED``. A class whose records differ (some read, some declared) names
    every basis it can carry, ``basis=(Basis.OBSERVED, Basis.DECLARED)``, and overrides
    :meth:`fact_basis` to say which one a record has.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[str] = ""
    bases: ClassVar[tuple[Basis, ...]] = (Basis.OBSERVED,)

    def __init_subclass__(cls, kind: str = "", basis: Basis | tuple[Basis, ...] | None = None,
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if basis is not None:
            bases = tuple(Basis(b) for b in ((basis,) if isinstance(basis, str) else basis))
            if not bases:
                raise TypeError(f"evidence record {cls.__qualname__} declares an empty basis")
            if len(bases) > 1 and cls.fact_basis is EvidenceRecord.fact_basis:
                raise TypeError(f"evidence record {cls.__qualname__} can carry {', '.join(bases)}: "
                                "override fact_basis() to say which one a record has")
            cls.bases = bases
        if kind:
            if kind in _RECORD_KINDS and _RECORD_KINDS[kind].__qualname__ != cls.__qualname__:
                raise ValueError(f"evidence kind {kind!r} is declared twice")
            cls.kind = kind
            _RECORD_KINDS[kind] = cls

    def fact_basis(self) -> Basis:
        """How this record's facts are known (see the class docstring)."""
        return self.bases[0]


def record_type(kind: str) -> type[EvidenceRecord] | None:
    return _RECORD_KINDS.get(kind)


def record_kinds() -> dict[str, type[EvidenceRecord]]:
    return dict(_RECORD_KINDS)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a piece of evidence came from: enough for an auditor to repeat the read."""

    collector: str
    tool_version: str
    collected_at: datetime
    scope: str
    source: str  # the API call or command that produced it, e.g. "s3:GetBucketEncryption"

    def to_json(self) -> dict[str, Any]:
        return {
            "collector": self.collector,
            "tool_version": self.tool_version,
            "collected_at": iso_utc(self.collected_at),
            "scope": self.scope,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provenance:
        return cls(
            collector=data["collector"],
            tool_version=data["tool_version"],
            collected_at=datetime.fromisoformat(data["collected_at"].replace("Z", "+00:00")),
            scope=data["scope"],
            source=data["source"],
        )


_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe rendering of an outside string (ARNs, host names, paths)."""
    cleaned = _SLUG.sub("_", text).strip("._") or "x"
    return cleaned[:limit]


RecordT = TypeVar("RecordT", bound=EvidenceRecord, covariant=True)


@dataclass(frozen=True, slots=True)
class Evidence(Generic[RecordT]):
    """The attempt envelope: one read of one fact about one resource (or one scope).

    ``status`` says whether the read worked. When it did, ``record`` is the typed,
    normalised fact and ``raw`` the provider's response as received (kept for the
    auditor). When it did not, ``error`` and ``reason`` say why and ``record`` is None.
    ``Evidence[S3Bucket]`` is evidence whose record, when collected, is an ``S3Bucket``.
    """

    kind: str
    resource: Resource
    status: AttemptStatus
    provenance: Provenance
    record: RecordT | None = None
    raw: Any = None
    error: str | None = None
    reason: ErrorReason | None = None
    # ``path`` once computed (it is asked for several times per item when a pack is written)
    _path: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status is AttemptStatus.COLLECTED:
            if self.record is None:
                raise ValueError(f"collected evidence {self.kind} for {self.resource.id} has no record")
            if self.record.kind != self.kind:
                raise ValueError(f"record of kind {self.record.kind!r} in evidence of kind {self.kind!r}")
        elif self.error is None or self.reason is None:
            raise ValueError(f"{self.status} evidence {self.kind} for {self.resource.id} needs error and reason")

    @property
    def ok(self) -> bool:
        return self.status is AttemptStatus.COLLECTED

    @property
    def fact(self) -> RecordT:
        """The record of collected evidence (what checks read); a read that failed has none."""
        if self.record is None:
            raise ValueError(f"{self.status} evidence {self.kind} for {self.resource.id} has no record")
        return self.record

    @property
    def basis(self) -> Basis | None:
        """How the record's facts are known; for evidence that could not be read, the weakest
        basis its record class can carry (None: a kind whose plugin is not installed)."""
        if self.record is not None:
            return self.record.fact_basis()
        model = record_type(self.kind)
        return weakest_basis(model.bases) if model is not None else None

    @property
    def raw_sha256(self) -> str:
        return sha256_hex(canonical_json(self.raw))

    @property
    def path(self) -> str:
        """The evidence file's path inside the pack, stable for the same evidence identity."""
        if self._path:
            return self._path
        identity = f"{self.provenance.collector}\x00{self.kind}\x00{self.resource.scope}\x00{self.resource.id}"
        digest = sha256_hex(identity.encode())[:12]
        name = slug(self.resource.name or self.resource.id.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
        scope = slug(self.resource.scope or self.provenance.scope or "global")
        path = f"evidence/{slug(self.provenance.collector)}/{scope}/{slug(self.kind)}/{name}-{digest}.json"
        object.__setattr__(self, "_path", path)  # frozen: set once, from fields that never change
        return path

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": str(self.status),
            "resource": self.resource.to_json(),
            "record": self.record.model_dump(mode="json") if self.record is not None else None,
            "error": self.error,
            "reason": str(self.reason) if self.reason else None,
            "provenance": self.provenance.to_json(),
            "raw_sha256": self.raw_sha256,
            "raw": self.raw,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence[EvidenceRecord]:
        """Rebuild stored evidence (``auditpack report``). Unknown kinds need their plugin."""
        status = AttemptStatus(data["status"])
        record = None
        if data.get("record") is not None:
            model = record_type(data["kind"])
            if model is None:
                raise LookupError(f"evidence kind {data['kind']!r} is not known (is its plugin installed?)")
            record = model.model_validate(data["record"])
        return Evidence(
            kind=data["kind"],
            resource=Resource.from_json(data["resource"]),
            status=status,
            provenance=Provenance.from_json(data["provenance"]),
            record=record,
            raw=data.get("raw"),
            error=data.get("error"),
            reason=ErrorReason(data["reason"]) if data.get("reason") else None,
        )


#: evidence of any record class: every ``Evidence[X]`` is one
SomeEvidence = Evidence[EvidenceRecord]

R = TypeVar("R", bound=EvidenceRecord)


def holds(evidence: Evidence[EvidenceRecord], record: type[R]) -> TypeGuard[Evidence[R]]:
    """Whether ``evidence`` was collected and holds a ``record`` (narrows its type)."""
    return isinstance(evidence.record, record)


@dataclass(frozen=True, slots=True)
class ClauseRef:
    profile: str
    clause: str

    def to_json(self) -> dict[str, str]:
        return {"profile": self.profile, "clause": self.clause}


_CLAUSE_REFS: dict[tuple[str, str], ClauseRef] = {}  # a pack names few clauses, each thousands of times


def _clause_ref(profile: str, clause: str) -> ClauseRef:
    """One shared (immutable) ClauseRef per clause: reading 150,000 findings makes 750,000."""
    ref = _CLAUSE_REFS.get((profile, clause))
    if ref is None:
        ref = ClauseRef(profile, clause)
        if len(_CLAUSE_REFS) < 100_000:  # bounded: a long-lived process reads many packs
            _CLAUSE_REFS[(profile, clause)] = ref
    return ref


_STATUS = {s.value: s for s in Status}  # a dict look-up, not an enum call, per finding read
_MEASURE = {m.value: m for m in Measure}
_SEVERITY = {s.value: s for s in Severity}


@dataclass(frozen=True, slots=True)
class AppliedWaiver:
    """The waiver that accepted a failing finding, as findings.json records it."""

    owner: str
    reason: str
    expires: str  # ISO date


@dataclass(frozen=True, slots=True)
class Finding:
    """One verdict about one resource for one check. Checks create these; the engine
    fills ``controls`` and ``clauses`` from the catalogs and profiles (data, not code)."""

    check: str
    measure: Measure
    status: Status
    resource: Resource
    message: str
    severity: Severity = Severity.MEDIUM
    evidence: tuple[str, ...] = ()
    remediation: str | None = None
    controls: tuple[str, ...] = ()
    clauses: tuple[ClauseRef, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    waiver: Mapping[str, Any] | None = None
    basis: Basis | None = None  # how the judged fact is known; the engine sets it (None: a pack from before)

    @property
    def applied_waiver(self) -> AppliedWaiver | None:
        """``waiver`` read typed (None: no waiver accepted this finding)."""
        if not self.waiver or not isinstance(self.waiver, Mapping):
            return None
        return AppliedWaiver(*(str(self.waiver.get(k) or "") for k in ("owner", "reason", "expires")))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.check,
            "measure": str(self.measure),
            "status": str(self.status),
            "severity": str(self.severity),
            "resource": self.resource.to_json(),
            "message": self.message,
            "controls": list(self.controls),
            "clauses": [c.to_json() for c in self.clauses],
            "evidence": list(self.evidence),
        }
        if self.remediation:
            out["remediation"] = self.remediation
        if self.details:
            out["details"] = dict(self.details)
        if self.waiver:
            out["waiver"] = dict(self.waiver)
        if self.basis is not None:
            out["basis"] = str(self.basis)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            check=data["check"],
            measure=_MEASURE.get(data["measure"]) or Measure(data["measure"]),
            status=_STATUS.get(data["status"]) or Status(data["status"]),
            resource=Resource.from_json(data["resource"]),
            message=data["message"],
            severity=_SEVERITY.get(data.get("severity", "medium")) or Severity(data.get("severity", "medium")),
            evidence=tuple(data.get("evidence", ())),
            remediation=data.get("remediation"),
            controls=tuple(data.get("controls", ())),
            clauses=tuple([_clause_ref(c["profile"], c["clause"]) for c in data.get("clauses", ())]),
            details=data.get("details") or {},
            waiver=data.get("waiver"),
            basis=Basis(data["basis"]) if data.get("basis") else None,
        )
