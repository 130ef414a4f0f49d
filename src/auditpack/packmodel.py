"""The audit pack as typed data: the one model ``run`` writes and every reader loads.

    pack = Pack.load(root)   # findings.json, context.json, evidence/index.json, manifest.json
    pack.run                 # RunInfo: id, times, completeness, collectors, counts
    pack.findings            # tuple[Finding, ...] in findings.json order
    pack.context             # Context: organisation, policy, DPA profiles, checks, waivers, documents
    pack.index               # tuple[IndexEntry, ...]: every piece of evidence without its raw payload
    pack.manifest            # Manifest: the SHA-256 of every file, and the run

Each document has ``to_json()`` (what :mod:`auditpack.pack` writes) and is read back by the
same model, so the on-disk format (the contract's pack layout) is defined here once. A
document is written back exactly as it was read: keys this version does not know are kept
(a newer pack, a plugin's extension) and keys a document did not have are not added. A file
that is missing, not JSON or not of this shape is a :class:`~auditpack.errors.PackError`
naming the file: one line, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PackError
from .model import Finding

FINDINGS_SCHEMA = "auditpack.findings/v1"
CONTEXT_SCHEMA = "auditpack.context/v1"
MANIFEST_SCHEMA = "auditpack.manifest/v1"
HEALTHY_COLLECTOR = frozenset({"ok", "skipped"})  # ran to the end, or was not configured


class Stored(BaseModel):
    """A pack document or part of one: frozen, keeps unknown keys, written back as read."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class CollectorStatus(Stored):
    """How one collector's run went (the contract's ``run.collectors`` entry)."""

    id: str
    status: str  # ok | partial | error | skipped
    error: str | None = None
    scopes: list[str] = Field(default_factory=list)
    evidence: int = 0
    errors: int = 0
    seconds: int | float = 0.0

    @property
    def healthy(self) -> bool:
        """Ran to the end (or was not configured): nothing it should have read is missing."""
        return self.status in HEALTHY_COLLECTOR


class ShardInfo(Stored):
    """Which part of a sharded run a partial pack holds (``auditpack run --shard K/N``)."""

    index: int
    count: int
    plan: str


class MergedPart(Stored):
    """A partial pack a merged run was made from, and its manifest kept in ``parts/``."""

    shard: str
    run: str
    manifest: str
    manifest_sha256: str


class RunInfo(Stored):
    """The run: identity, times as written (RFC 3339 UTC), completeness, collectors, counts."""

    id: str
    started_at: str
    finished_at: str | None = None
    complete: bool = False
    tool_version: str = ""
    organisation: str | None = None
    collectors: list[CollectorStatus] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    shard: ShardInfo | None = None  # only in a partial pack
    plan: str | None = None  # only in a merged pack: the plan its parts share
    merged_from: list[MergedPart] = Field(default_factory=list)  # only in a merged pack

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.started_at.replace("Z", "+00:00"))


class CheckInfo(Stored):
    """A registered check as the run knew it (titles for the report, needs for the auditor)."""

    id: str
    title: str = ""
    measure: str = ""
    severity: str = "medium"
    remediation: str | None = None
    needs: list[str] = Field(default_factory=list)  # the on-disk kind names of the records it reads
    source: str | None = None
    basis: str | None = None  # how the facts it judges are known: observed | declared | attested
    bases: list[str] = Field(default_factory=list)  # every basis its findings can carry


class WaiverState(Stored):
    """A configured waiver and whether it was in force on the run's day."""

    check: str
    resource: str
    owner: str = ""
    reason: str = ""
    expires: str = ""
    active: bool = False


class ManualDocument(Stored):
    """A document a person attached (or a profile's DPA text), as copied into ``manual/``."""

    title: str = ""
    path: str = ""  # inside the pack: manual/<name>
    sha256: str = ""
    measures: list[str] = Field(default_factory=list)
    date: str | None = None
    clauses: list[str] = Field(default_factory=list)
    iso: list[str] = Field(default_factory=list)
    gdpr: list[str] = Field(default_factory=list)
    reviewer: str | None = None
    valid_until: str | None = None
    current: bool = False
    profile: str | None = None  # set for a DPA profile's source document
    basis: str | None = None  # attested: a document is never an observation


class ProfileHeader(Stored):
    """A DPA profile's ``[profile]`` table as the run recorded it."""

    id: str
    title: str = ""
    processor: str = ""
    counterpart: str = ""
    date: str | None = None
    language: str = ""
    source: str | None = None
    draft: bool = False


class ClauseEntry(Stored):
    """One clause of a recorded DPA profile."""

    ref: str
    heading: str | None = None
    quote: str = ""
    measures: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    manual: bool = False
    parameters: list[str] = Field(default_factory=list)
    note: str | None = None


class RegisterEntry(Stored):
    """One entry of a recorded profile's sub-processor register."""

    name: str
    service: str = ""
    location: str = ""
    countries: list[str] = Field(default_factory=list)
    eea: bool = False
    providers: list[str] = Field(default_factory=list)
    note: str | None = None


class SourceCopy(Stored):
    """The DPA document a profile was made from, copied into ``manual/``."""

    path: str
    sha256: str


class ProfileEntry(Stored):
    """A DPA profile as the run judged against it (``context.json`` ``profiles``). The
    configuration's own :class:`~auditpack.profiles.Profile` validates profile files strictly;
    this reads what a pack recorded, and keeps keys a newer version added."""

    profile: ProfileHeader
    parameters: dict[str, Any] = Field(default_factory=dict)
    subprocessor_clause: str | None = None
    clauses: list[ClauseEntry] = Field(default_factory=list)
    subprocessors: list[RegisterEntry] = Field(default_factory=list)
    source_copy: SourceCopy | None = None  # only when the DPA document is in the pack

    @property
    def id(self) -> str:
        return self.profile.id

    def as_profile(self) -> dict[str, Any]:
        """The profile as its configuration model reads it (without what the run added)."""
        return {k: v for k, v in self.to_json().items() if k != "source_copy"}


class Organisation(Stored):
    name: str = ""
    contact: str | None = None


class Context(Stored):
    """``context.json``: what the run was judged against. The policy is kept as the run dumped
    it (its own model validates configuration strictly; :func:`auditpack.merge` re-reads it)."""

    schema_: str = Field(CONTEXT_SCHEMA, alias="schema")
    organisation: Organisation = Field(default_factory=Organisation)
    run: RunInfo | None = None
    policy: dict[str, Any] = Field(default_factory=dict)
    profiles: list[ProfileEntry] = Field(default_factory=list)
    checks: list[CheckInfo] = Field(default_factory=list)
    waivers: list[WaiverState] = Field(default_factory=list)
    manual_evidence: list[ManualDocument] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"schema": self.schema_, **super().to_json()}

    @property
    def evidence_max_age_hours(self) -> float | None:
        """The policy's ``evidence_max_age_hours`` (OSCAL observations expire after it)."""
        value = self.policy.get("evidence_max_age_hours")
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def check_titles(self) -> dict[str, str]:
        return {c.id: c.title for c in self.checks}


class ResourceRef(Stored):
    """The resource a piece of evidence is about (the contract's resource object)."""

    provider: str | None = None
    type: str | None = None
    id: str | None = None
    name: str | None = None
    location: str | None = None
    scope: str | None = None


class Provenance(Stored):
    """Who read a piece of evidence, where, with which calls, and when."""

    collector: str | None = None
    scope: str | None = None
    source: str | None = None
    collected_at: str | None = None
    tool_version: str | None = None


class IndexEntry(Stored):
    """One piece of evidence in ``evidence/index.json``: everything but its record and raw payload."""

    kind: str
    status: str  # collected | error | skipped
    resource: ResourceRef = Field(default_factory=ResourceRef)
    provenance: Provenance = Field(default_factory=Provenance)
    path: str = ""
    raw_sha256: str | None = None
    error: str | None = None
    reason: str | None = None
    basis: str | None = None  # how its facts are known; absent in packs from before bases were recorded

    @property
    def collector(self) -> str:
        return self.provenance.collector or ""

    @property
    def scope(self) -> str:
        """The resource's scope, else the provenance's (a collector-wide gap has no resource scope)."""
        return self.resource.scope or self.provenance.scope or ""


class Manifest(Stored):
    """``manifest.json``: the SHA-256 of every other file, and the run."""

    schema_: str = Field(MANIFEST_SCHEMA, alias="schema")
    run: RunInfo
    files: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"schema": self.schema_, **super().to_json()}


@dataclass(frozen=True, slots=True)
class FindingsDocument:
    """``findings.json`` (the contract's findings schema): the run and its findings."""

    run: RunInfo
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, Any]:
        return {"schema": FINDINGS_SCHEMA, "run": self.run.to_json(), "findings": [f.to_json() for f in self.findings]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FindingsDocument:
        if not isinstance(data, Mapping) or not isinstance(data.get("findings"), list):
            raise ValueError("not an auditpack findings document")
        return cls(RunInfo.model_validate(data.get("run") or {}), tuple(Finding.from_json(f) for f in data["findings"]))


@dataclass(frozen=True, slots=True)
class Pack:
    """A pack folder, loaded. ``context`` and ``index`` are empty for a pack that has none."""

    root: Path
    findings_document: FindingsDocument
    context: Context
    index: tuple[IndexEntry, ...]
    manifest: Manifest | None

    @property
    def run(self) -> RunInfo:
        return self.findings_document.run

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.findings_document.findings

    @classmethod
    def load(cls, root: Path) -> Pack:
        findings = read_document(root / "findings.json", FindingsDocument.from_json)
        context = read_document(root / "context.json", Context.model_validate, missing_ok=True) or Context()
        index = read_document(root / "evidence" / "index.json", _index, missing_ok=True) or ()
        manifest = read_document(root / "manifest.json", Manifest.model_validate, missing_ok=True)
        assert findings is not None  # not missing_ok: read_document raised instead
        return cls(root, findings, context, index, manifest)


def _index(data: Any) -> tuple[IndexEntry, ...]:
    if not isinstance(data, list):
        raise ValueError("not a list of evidence entries")
    return tuple(IndexEntry.model_validate(item) for item in data)


T = TypeVar("T")


def _loads(raw: bytes) -> Any:
    """The JSON document ``raw``: orjson (three times faster on a findings.json of 150,000
    findings); what it refuses is read by the standard library, whose message names the place."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode("utf-8"))


def read_document(path: Path, parse: Callable[[Any], T], missing_ok: bool = False) -> T | None:
    """``parse`` of the JSON at ``path``; one-line :class:`PackError` naming the file otherwise."""
    try:
        data = _loads(path.read_bytes())
    except FileNotFoundError:
        if missing_ok:
            return None
        raise PackError(f"{path} is missing: not an audit pack") from None
    except RecursionError:
        raise PackError(f"{path} cannot be read: nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"{path} cannot be read: {exc}") from None
    try:
        return parse(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise PackError(f"{path} is not an auditpack document: {where}: {first['msg']}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PackError(f"{path} is not an auditpack document: {type(exc).__name__}: {exc}") from None
