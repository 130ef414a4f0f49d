"""One finding reduced to what continuity needs: a stable identity and what it said.

The report's F-numbers change from run to run; ``check + provider + resource id`` does not.
Drift, the history database and the period view all compare :class:`FindingFact` values, so
they read the same thing whether it comes from a run in memory, a pack folder on disk or
the history database. Reading a pack lives in :func:`facts_from_pack` only: the one place to
switch when the pack gets a typed model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PackError
from .model import Finding, SomeEvidence

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


def _fact(f: Mapping[str, Any], digests_by_path: Mapping[str, Sequence[str]]) -> FindingFact:
    res = f.get("resource") or {}
    clauses = tuple(sorted(f"{c['profile']}: {c['clause']}" for c in f.get("clauses", ())))
    return FindingFact(
        check=str(f["check"]), provider=str(res.get("provider") or ""), resource_id=str(res.get("id") or ""),
        resource_name=str(res.get("name") or ""), measure=str(f["measure"]), status=str(f["status"]),
        waived=bool(f.get("waiver")), message=str(f.get("message") or ""), clauses=clauses,
        controls=tuple(sorted(f.get("controls", ()))),
        evidence_hash=evidence_hash(d for p in f.get("evidence", ()) for d in digests_by_path.get(p, ())),
    )


def facts_from_documents(findings: Sequence[Mapping[str, Any]],
                         index: Sequence[Mapping[str, Any]]) -> list[FindingFact]:
    """From ``findings.json``'s findings and ``evidence/index.json``'s entries."""
    digests: dict[str, list[str]] = {}
    for item in index:
        digests.setdefault(str(item.get("path")), []).append(str(item.get("raw_sha256") or ""))
    return [_fact(f, digests) for f in findings]


def facts_from_run(findings: Sequence[Finding], evidence: Sequence[SomeEvidence]) -> list[FindingFact]:
    """From a run in memory: the same facts a pack of that run yields."""
    digests: dict[str, list[str]] = {}
    for ev in evidence:
        digests.setdefault(ev.path, []).append(ev.raw_sha256)
    return [_fact(f.to_json(), digests) for f in findings]


@dataclass(frozen=True)
class PackFacts:
    run: dict[str, Any]
    facts: list[FindingFact]


def facts_from_pack(root: Path) -> PackFacts:
    """A pack folder's run and findings (``auditpack diff OLD NEW`` with two folders)."""
    try:
        doc = json.loads((root / "findings.json").read_text("utf-8"))
        index_path = root / "evidence" / "index.json"
        index = json.loads(index_path.read_text("utf-8")) if index_path.is_file() else []
    except FileNotFoundError:
        raise PackError(f"{root} has no findings.json: not an audit pack") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"{root}: the pack cannot be read: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise PackError(f"{root}/findings.json is not an auditpack findings document")
    try:
        return PackFacts(dict(doc.get("run") or {}), facts_from_documents(doc["findings"], index))
    except (KeyError, TypeError, AttributeError) as exc:
        raise PackError(f"{root}/findings.json: a finding lacks {exc}") from None
