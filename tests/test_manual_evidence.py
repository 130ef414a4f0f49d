"""Attached documents as attested evidence: a current one that names a clause or a control
supports it (marked attested, never observed); an expired one supports nothing and is a
failing finding of its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from manual_evidence_support import ISO_CLAUSE, TODAY, _context, _doc
from view_support import _finding, _view

from auditpack.manual_evidence import CHECK_ID, describe, expired_findings, is_current
from auditpack.model import Status
from auditpack.reports import render_html, render_markdown
from auditpack.reports.view import Verdict


def _clause(view: Any, ref: str) -> Any:
    return next(c for c in view.profiles[0].clauses if c.ref == ref)


def test_validity_is_the_earlier_of_valid_until_and_max_age() -> None:
    assert is_current(_doc(), TODAY)
    assert not is_current(_doc(valid_until=dt.date(2026, 11, 20)), TODAY)
    assert is_current(_doc(valid_until=dt.date(2026, 11, 21)), TODAY)  # valid on its last day
    aged = _doc(valid_until=None, max_age_days=300)  # 2026-01-10 + 300 days = 2026-11-06
    assert aged.expires_on() == dt.date(2026, 11, 6) and not is_current(aged, TODAY)
    assert _doc(max_age_days=30).expires_on() == dt.date(2026, 2, 9)  # earlier than valid_until


def test_a_current_document_supports_what_it_names_as_attested() -> None:
    doc = _doc()
    view = _view([], context=_context(doc), hashes={"manual/iso.pdf": "ab" * 32})
    clause = _clause(view, ISO_CLAUSE[1])
    assert clause.verdict.code == Verdict.SUPPORTS and clause.verdict.attested
    assert clause.verdict.text == "Evidence supports (attested only, not observed)"  # nothing was observed
    assert clause.counts.total == 0  # no finding was invented for it
    control = next(c for c in view.iso.controls if c.id == "A.5.36")
    assert control.verdict.code == Verdict.SUPPORTS and control.verdict.attested
    # a clause it does not name is untouched
    other = _clause(view, "Technische en organisatorische maatregelen, bullet 3")
    assert other.verdict.code == Verdict.MANUAL and not other.verdict.attested


@pytest.mark.parametrize(("statuses", "verdict", "attested"), [
    (["manual"], Verdict.SUPPORTS, True),  # the document answers what no collector can
    (["pass", "manual"], Verdict.SUPPORTS, True),
    (["pass"], Verdict.SUPPORTS, True),
    (["pass", "fail"], Verdict.NONCONFORMITY, False),  # a document never outweighs a fail
    (["pass", "error"], Verdict.INCOMPLETE, False),  # ... nor a gap
])
def test_a_document_never_outweighs_observed_evidence(statuses: list[str], verdict: Verdict, attested: bool) -> None:
    findings = [_finding("certification_x", "certification", s, f"r{i}", clauses=(ISO_CLAUSE,))
                for i, s in enumerate(statuses)]
    view = _view(findings, context=_context(_doc()), hashes={"manual/iso.pdf": "ab" * 32})
    clause = _clause(view, ISO_CLAUSE[1])
    assert clause.verdict.code == verdict and clause.verdict.attested is attested


def test_an_expired_or_changed_document_supports_nothing() -> None:
    expired = _doc(valid_until=dt.date(2026, 6, 30))
    view = _view([], context=_context(expired), hashes={"manual/iso.pdf": "ab" * 32})
    assert _clause(view, ISO_CLAUSE[1]).verdict.code == Verdict.MANUAL
    assert view.documents[0].state == "EXPIRED 2026-06-30: supports nothing"
    changed = _view([], context=_context(_doc()), hashes={"manual/iso.pdf": "cd" * 32})
    assert _clause(changed, ISO_CLAUSE[1]).verdict.code == Verdict.MANUAL  # the file is not the one reviewed
    unnamed = _view([], context=_context(_doc(clauses=(), iso=())), hashes={"manual/iso.pdf": "ab" * 32})
    assert _clause(unnamed, ISO_CLAUSE[1]).verdict.code == Verdict.MANUAL
    assert unnamed.documents[0].state == "attached (answers no clause or control)"


def test_an_expired_document_is_a_failing_finding() -> None:
    current, expired = _doc(), _doc(title="Pen test", valid_until=None, max_age_days=300)
    findings = expired_findings([(current, "manual/iso.pdf"), (expired, "manual/pentest.pdf")], TODAY)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.check == CHECK_ID and finding.status is Status.FAIL
    assert finding.resource.id == "manual/pentest.pdf" and finding.resource.name == "Pen test"
    assert "expired on 2026-11-06 (max_age_days = 300 after its date 2026-01-10)" in finding.message
    assert finding.clauses == () and finding.details["basis"] == "attested"


def test_the_report_marks_attested_support_and_expired_documents(tmp_path: Path) -> None:
    current = describe(_doc(), "manual/iso.pdf", "ab" * 32, TODAY)
    expired = describe(_doc(title="Pen test", valid_until=dt.date(2026, 1, 1)), "manual/pen.pdf", "cd" * 32, TODAY)
    view = _view([], context={"manual_evidence": [current, expired]},
                 hashes={"manual/iso.pdf": "ab" * 32, "manual/pen.pdf": "cd" * 32})
    html = render_html(view)
    assert "Evidence supports (attested only, not observed)" in html and "J. Peeters" in html
    assert "EXPIRED 2026-01-01: supports nothing" in html
    md = render_markdown(view)
    assert "Evidence supports (attested only, not observed)" in md and "EXPIRED 2026-01-01" in md
