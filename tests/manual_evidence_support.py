"""Shared helpers of the attached-document tests (no tests here): a document and the
context a pack gives it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditpack.config import ManualEvidence
from auditpack.manual_evidence import describe

TODAY = dt.date(2026, 11, 21)
ISO_CLAUSE = ("dioss", "Technische en organisatorische maatregelen, bullet 2")


def _doc(**keys: Any) -> ManualEvidence:
    base: dict[str, Any] = {"path": "/docs/iso.pdf", "title": "ISO certificate", "measures": ("certification",),
                            "date": dt.date(2026, 1, 10), "reviewer": "J. Peeters",
                            "clauses": (f"{ISO_CLAUSE[0]}: {ISO_CLAUSE[1]}",), "iso": ("A.5.36",),
                            "valid_until": dt.date(2027, 1, 9)}
    return ManualEvidence.model_validate({**base, **keys})


def _context(doc: ManualEvidence, sha: str = "ab" * 32) -> dict[str, Any]:
    return {"manual_evidence": [describe(doc, "manual/iso.pdf", sha, TODAY)]}
