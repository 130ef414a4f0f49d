"""One finding reduced to what continuity needs: a stable identity and what it said.

The report's F-numbers change from run to run; ``check + provider + resource id`` does not.
Drift, the history database and the period view all compare :class:`FindingFact` values, so
they read the same thing whether it comes from a run in memory, a pack folder on disk or
the history database. A pack is read through the pack model (:mod:`auditpack.packmodel`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Finding, SomeEvidence
from .packmodel import Pack, RunInfo

Identity = tuple[str, str, str]  # (check, provider, resource id)


@dataclass(frozen=True, slots=True)
class FindingFact:
    check: str
    provider: str
    resource_id: str
    resource_name: str
    measure: str
    status: str
    waived: bool
    message: str
    clauses: tuple[str, ...]  # "profile: clause"
    controls: tuple[str, ...]
    evidence_hash: str  # hex digest over the raw evidence behind the finding; "" when none

    @property
    def identity(self) -> Identity:
        return (self.check, self.provider, self.resource_id)

    @property
    def resource(self) -> tuple[str, str]:
        return (self.provider, self.resource_id)

    @property
    def label(self) -> str:
        name = self.resource_name if self.resource_name and self.resource_name != self.resource_id else ""
        return f"{name} ({self.resource_id})" if name else self.resource_id

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "provider": self.provider, "resource_id": self.resource_id,
                "resource_name": self.resource_name, "measure": self.measure, "status": self.status,
                "waived": self.waived, "message": self.message, "clauses": list(self.clauses),
                "controls": list(self.controls), "evidence_hash": self.evidence_hash}


@dataclass(frozen=True, slots=True)
class DocumentFact:
    """An attached document that names clauses or controls, as it stood on the day of a run:
    ``current`` (it attests them) or expired (it is a finding). The history keeps these beside
    the findings so the period view can draw attested days with their own mark, never as
    observed, and an expired document on the days it was expired."""

    measures: tuple[str, ...]
    clauses: tuple[str, ...]  # "profile: clause"
    controls: tuple[str, ...]
    current: bool


def evidence_hash(raw_digests: Iterable[str]) -> str:
    """128 bits over the sorted raw-evidence digests: equal evidence, equal hash."""
    digests = sorted(d for d in raw_digests if d)
    if not digests:
        return ""
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()[:32]


def _fact(f: Finding, digests_by_path: Mapping[str, Sequence[str]]) -> FindingFact:
    return FindingFact(
        check=f.check, provider=f.resource.provider or "", resource_id=f.resource.id or "",
        resource_name=f.resource.name or "", measure=str(f.measure), status=str(f.status),
        waived=bool(f.waiver), message=f.message or "",
        clauses=tuple(sorted(f"{c.profile}: {c.clause}" for c in f.clauses)),
        controls=tuple(sorted(f.controls)),
        evidence_hash=evidence_hash(d for p in f.evidence for d in digests_by_path.get(p, ())),
    )


def facts_from_run(findings: Sequence[Finding], evidence: Sequence[SomeEvidence]) -> list[FindingFact]:
    """From a run in memory: the same facts a pack of that run yields."""
    digests: dict[str, list[str]] = {}
    for ev in evidence:
        digests.setdefault(ev.path, []).append(ev.raw_sha256)
    return [_fact(f, digests) for f in findings]


@dataclass(frozen=True)
class PackFacts:
    run: RunInfo
    facts: list[FindingFact]


def facts_from_pack(root: Path) -> PackFacts:
    """A pack folder's run and findings (``auditpack diff OLD NEW`` with two folders), read
    through the pack model (findings.json and evidence/index.json)."""
    pack = Pack.load(root)
    digests: dict[str, list[str]] = {}
    for item in pack.index:
        digests.setdefault(item.path, []).append(item.raw_sha256 or "")
    return PackFacts(pack.run, [_fact(f, digests) for f in pack.findings])
