"""Attached documents over the audit period: a current one is drawn as attested support (its
own mark, never as observed), an expired one is a finding on every day it was expired.

Runs go through the real pipeline (``execute`` + ``complete_run`` with an injected clock,
``[run] manual_evidence_only``), so the history records what the runner attached that day.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditpack.config import validate_config
from auditpack.continuity import complete_run
from auditpack.facts import DocumentFact, FindingFact
from auditpack.history import SCHEMA_VERSION, History
from auditpack.packmodel import ProfileEntry, RunInfo
from auditpack.period import period_document, verdict_of
from auditpack.registry import default_registry
from auditpack.reports.continuity import period_view
from auditpack.reports.view import MEASURE_LABEL, load_view
from auditpack.runner import execute

DAY1 = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
ISO = "dioss: Technische en organisatorische maatregelen, bullet 2"  # an automated clause (certification)
SUBPROCESSORS = "dioss: Subverwerkers, bullet 2"  # a manual-only clause: only a document can answer it


def _day(n: int) -> datetime:
    return DAY1 + timedelta(days=n - 1)


def _iso(n: int) -> str:
    return f"{_day(n):%Y-%m-%d}"


@pytest.mark.parametrize(("statuses", "verdict"), [
    ({"attested"}, "attested"),
    ({"manual", "attested"}, "attested"),  # a document answers what no collector can
    ({"pass", "attested"}, "supports"),  # observed evidence supports it by itself
    ({"pass", "fail", "attested"}, "nonconformity"),  # a document never outweighs a fail ...
    ({"error", "attested"}, "incomplete"),  # ... nor a gap
    ({"pass", "expired"}, "expired"),  # an expired document is a finding
    ({"attested", "expired"}, "expired"),
    ({"fail", "expired"}, "nonconformity"),
    ({"manual"}, "manual"),
])
def test_a_days_verdict_with_documents(statuses: set[str], verdict: str) -> None:
    assert verdict_of(statuses) == verdict


def _run(n: int) -> dict[str, Any]:
    started = _iso(n) + "T02:30:00Z"
    return {"id": f"run-{n}", "started_at": started, "finished_at": started, "complete": True,
            "tool_version": "test", "organisation": "Org", "counts": {}}


def test_the_history_keeps_documents_beside_the_findings_not_as_findings(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    fact = FindingFact("certification_x", "aws", "r1", "r1", "certification", "pass", False, "ok", (ISO,), (), "")
    doc = DocumentFact(("certification",), (SUBPROCESSORS,), ("ISO27001:2022/A.5.36",), current=True)
    history.record(_run(1), 0, None, None, [fact], documents=[doc])
    assert history.schema_version() == SCHEMA_VERSION == 3
    assert [f.check for f in history.facts("run-1")] == ["certification_x"]  # diff never sees the document
    profiles = [{"profile": {"id": "dioss"},
                 "clauses": [{"ref": "Subverwerkers, bullet 2", "manual": True, "heading": ""}]}]
    doc_json = period_document(history, RunInfo.model_validate(_run(1)),
                               [ProfileEntry.model_validate(p) for p in profiles], period_days=30)
    by_key = {s["key"]: s for s in doc_json["subjects"]}
    assert by_key["certification"]["segments"][0]["verdict"] == "supports"  # observed pass + a document
    assert by_key[SUBPROCESSORS]["segments"][0]["verdict"] == "attested"
    assert by_key[SUBPROCESSORS]["supported_days"] == 1


def _config(tmp_path: Path, db: Path) -> Any:
    iso, agreements = tmp_path / "iso-certificate.pdf", tmp_path / "subprocessor-agreements.pdf"
    iso.write_bytes(b"%PDF-1.4 ISO/IEC 27001 certificate\n")
    agreements.write_bytes(b"%PDF-1.4 signed agreements\n")
    raw = {
        "organisation": {"name": "Documents B.V."},
        "history": {"path": str(db)},
        "run": {"manual_evidence_only": True},
        "dpa": [{"profile": "dioss"}],
        "manual_evidence": [
            {"path": str(iso), "title": "ISO 27001 certificate", "measures": ["certification"],
             "date": date(2025, 3, 4), "clauses": [ISO], "iso": ["A.5.36"], "reviewer": "J. Peeters",
             "valid_until": date.fromisoformat(_iso(3))},
            {"path": str(agreements), "title": "Signed sub-processor agreements", "measures": ["subprocessor_list"],
             "date": date(2026, 1, 10), "clauses": [SUBPROCESSORS], "reviewer": "J. Peeters",
             "valid_until": date(2027, 1, 9)},
        ],
    }
    return validate_config(raw, default_registry(), "config.toml", str(tmp_path))


@pytest.fixture(scope="module")
def last_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("documents")
    config = _config(root, root / "history.sqlite")
    registry = default_registry()
    pack = root
    for n in (1, 2, 3, 4, 5):
        result = execute(config, registry, now=_day(n), environ={})
        outcome = complete_run(result, root / f"day-{n}", config_path="config.toml")
        assert not outcome.problems, outcome.problems
        pack = outcome.pack
    return pack


def _subject(pack: Path, key: str) -> dict[str, Any]:
    doc = json.loads((pack / "history" / "period.json").read_text("utf-8"))
    found: dict[str, Any] = next(s for s in doc["subjects"] if s["key"] == key)
    return found


def _segments(subject: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s["from"], s["to"], s["verdict"]) for s in subject["segments"]]


def test_a_current_document_is_attested_support_and_an_expired_one_a_finding(last_pack: Path) -> None:
    iso = _subject(last_pack, ISO)
    assert _segments(iso) == [(_iso(1), _iso(3), "attested"), (_iso(4), _iso(5), "expired")]
    assert iso["supported_days"] == 3
    assert _segments(_subject(last_pack, SUBPROCESSORS)) == [(_iso(1), _iso(5), "attested")]
    # the expired certificate's own failing finding is under its measure from day 4
    certification = _subject(last_pack, "certification")
    assert _segments(certification) == [(_iso(1), _iso(3), "attested"), (_iso(4), _iso(5), "nonconformity")]
    [failure] = certification["open_failures"]
    assert failure["check"] == "manual_evidence_document_current"
    assert (failure["since"], failure["days"]) == (_iso(4), 1)


def test_the_report_draws_attested_days_with_their_own_mark(last_pack: Path) -> None:
    html = (last_pack / "report.html").read_text("utf-8")
    section = html.split('<section id="period">')[1].split("</section>")[0]
    assert 'fill="url(#ap-p-attested)"' in section and 'fill="url(#ap-p-expired)"' in section
    assert '<pattern id="ap-p-attested"' in html and '<pattern id="ap-p-expired"' in html
    assert (f"{_iso(1)} – {_iso(3)}: Supported by an attached document (attested, not observed) (3 days)"
            in section)
    assert f"{_iso(4)} – {_iso(5)}: An attached document had expired (a failing finding) (2 days)" in section
    assert "3 of 5 days (60%), all attested" in section and "5 of 5 days (100%), all attested" in section
    assert "failing since " + _iso(4) + ", 1 day<" in section  # never "1 days"
    assert "1 days" not in html
    md = (last_pack / "report.md").read_text("utf-8")
    assert f"{_iso(4)} – {_iso(5)}: An attached document had expired (a failing finding) (2 days)" in md
    assert "1 days" not in md


def test_the_period_view_never_counts_attested_days_as_unsupported(last_pack: Path) -> None:
    doc = json.loads((last_pack / "history" / "period.json").read_text("utf-8"))
    view = period_view(doc, MEASURE_LABEL)
    [strip] = [s for s in view.clauses if s.key == SUBPROCESSORS]
    assert strip.not_supported == () and strip.share == "5 of 5 days (100%), all attested"
    assert view.summary == f"{_iso(1)} – {_iso(5)}: 5 days, 5 runs, 0 days without a run."


def test_the_reports_measure_verdict_agrees_with_the_strips_last_day(tmp_path: Path) -> None:
    """The per-measure summary rolls up the documents that list the measure, as the strip does."""
    config = _config(tmp_path, tmp_path / "history.sqlite")
    result = execute(config, default_registry(), now=_day(2), environ={})
    pack = complete_run(result, tmp_path / "pack", config_path="config.toml").pack
    view = load_view(pack)
    certification = next(m for m in view.measures if m.measure == "certification")
    assert certification.verdict.code == "supports" and certification.verdict.attested
    assert "attested" in certification.verdict.text
    assert _segments(_subject(pack, "certification"))[-1][2] == "attested"


def test_a_merged_run_records_the_same_documents_as_its_parts(tmp_path: Path) -> None:
    """``auditpack merge`` has only the parts' context.json: the documents read back from it are
    the ones a single machine's run records."""
    from auditpack.manual_evidence import describe, document_facts, document_facts_from_context

    config = _config(tmp_path, tmp_path / "history.sqlite")
    docs = config.core.manual_evidence
    for n in (2, 4):  # the certificate current, then expired
        today = _day(n).date()
        entries = [describe(doc, f"manual/{n}.pdf", "ab" * 32, today) for doc in docs]
        assert document_facts_from_context(entries) == document_facts(docs, today)
    assert [f.current for f in document_facts(docs, _day(4).date())] == [False, True]
