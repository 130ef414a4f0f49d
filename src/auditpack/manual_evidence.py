"""Attached documents as attested evidence (manual evidence): when one is current, what an expired one is.

A document a person attaches (``[[manual_evidence]]``) that names the DPA clauses and the
controls it answers, with a reviewer and a validity, *supports* them with basis
``attested``: the report says so and never shows it as observed. Past its validity
(``valid_until``, or ``max_age_days`` after its ``date``) it supports nothing, and it
is itself a failing finding about the document, so an out-of-date certificate cannot sit
unnoticed. Pure functions: the day of the run comes in, nothing is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .catalogs import GDPR_PREFIX, ISO_PREFIX
from .config import ManualEvidence
from .facts import DocumentFact
from .model import Basis, Finding, Measure, Resource, Severity, Status
from .packmodel import ManualDocument

CHECK_ID = "manual_evidence_document_current"
BASIS = Basis.ATTESTED


def is_current(doc: ManualEvidence, today: dt.date) -> bool:
    expires = doc.expires_on()
    return expires is None or today <= expires


def attests(doc: ManualEvidence) -> bool:
    """Whether the document names anything it answers (else it is only attached)."""
    return bool(doc.clauses or doc.iso or doc.gdpr)


def describe(doc: ManualEvidence, path: str, sha256: str, today: dt.date) -> ManualDocument:
    """The document as the pack's context records it (the report reads only this)."""
    expires = doc.expires_on()
    return ManualDocument(
        title=doc.title, path=path, sha256=sha256,
        measures=[str(m) for m in doc.measures],
        date=doc.date.isoformat() if doc.date else None,
        clauses=list(doc.clauses), iso=list(doc.iso), gdpr=list(doc.gdpr),
        reviewer=doc.reviewer,
        valid_until=expires.isoformat() if expires else None,
        current=is_current(doc, today),
        basis=str(BASIS),
    )


def expired_findings(documents: Sequence[tuple[ManualEvidence, str]], today: dt.date) -> list[Finding]:
    """One failing finding per attached document past its validity. ``documents``: each with
    its path inside the pack (``manual/...``)."""
    out = []
    for doc, path in documents:
        expires = doc.expires_on()
        if expires is None or today <= expires:
            continue
        why = (f"valid_until {doc.valid_until}" if doc.valid_until == expires
               else f"max_age_days = {doc.max_age_days} after its date {doc.date}")
        out.append(Finding(
            check=CHECK_ID,
            measure=doc.measures[0] if doc.measures else Measure.CERTIFICATION,
            status=Status.FAIL,
            resource=Resource(provider="manual", type="document", id=path, name=doc.title),
            message=(f"The attached document {doc.title!r} expired on {expires} ({why}): it supports none of the "
                     "clauses or controls it names"),
            severity=Severity.MEDIUM,
            evidence=(path,),
            remediation="Attach the current version and update its date / valid_until in [[manual_evidence]].",
            details={"basis": str(BASIS), "expired_on": expires.isoformat(), "reviewer": doc.reviewer or ""},
            basis=BASIS,
        ))
    return out


def document_facts(documents: Sequence[ManualEvidence], today: dt.date) -> list[DocumentFact]:
    """What the history keeps of the attesting documents on ``today`` (the period view draws
    them); documents that name nothing are only attached and are left out."""
    return [DocumentFact(measures=tuple(str(m) for m in doc.measures), clauses=tuple(sorted(doc.clauses)),
                         controls=tuple(sorted((*(ISO_PREFIX + c for c in doc.iso),
                                                *(GDPR_PREFIX + a for a in doc.gdpr)))),
                         current=is_current(doc, today))
            for doc in documents if attests(doc)]


def document_facts_from_context(entries: Sequence[ManualDocument]) -> list[DocumentFact]:
    """The same from a pack's ``context.json`` entries (written by :func:`describe`): a merged
    run records the documents its parts attached."""
    return [DocumentFact(measures=tuple(e.measures), clauses=tuple(sorted(e.clauses)),
                         controls=tuple(sorted((*(ISO_PREFIX + c for c in e.iso), *(GDPR_PREFIX + a for a in e.gdpr)))),
                         current=e.current)
            for e in entries if e.clauses or e.iso or e.gdpr]
