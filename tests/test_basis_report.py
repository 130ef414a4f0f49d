"""Observed, declared or attested in what people read: the report marks clauses and controls
whose support rests on no observation and counts them on the cover and in the executive
summary; findings.csv carries each finding's basis; OSCAL never presents a declared or
attested fact as a TEST of the system."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from manual_evidence_support import ISO_CLAUSE, _context, _doc
from sample_pack import build_sample_pack
from view_support import _finding, _view

from auditpack.reports import render_csv, render_html, render_markdown
from auditpack.reports.layout import arrange
from auditpack.reports.oscal import FOLDER, RESULTS
from auditpack.reports.view import Verdict

BULLET7 = ("dioss", "Technische en organisatorische maatregelen, bullet 7")
RESIDENCY = "ISO27001:2022/A.5.23"


def _based(status: str, rid: str, basis: str, **keys: Any) -> dict[str, Any]:
    out = _finding("eea_residency_x", "eea_residency", status, rid, **keys)
    if basis:
        out["basis"] = basis
    return out


def _clause(view: Any, ref: str) -> Any:
    return next(c for c in view.profiles[0].clauses if c.ref == ref)


@pytest.mark.parametrize(("bases", "statuses", "text"), [
    (["declared"], ["pass"], "Evidence supports (declared only, not observed)"),
    (["declared", "declared"], ["pass", "not_applicable"], "Evidence supports (declared only, not observed)"),
    (["declared", "observed"], ["pass", "pass"], "Evidence supports"),  # an observation supports it too
    (["observed"], ["pass"], "Evidence supports"),
    ([""], ["pass"], "Evidence supports"),  # a pack from before findings said their basis: as it was
    (["declared"], ["fail"], "Evidence of non-conformity"),  # a declared fail is a fail
    (["declared", "observed"], ["pass", "error"], "Incomplete evidence"),
])
def test_support_that_rests_only_on_declarations_says_so(bases: list[str], statuses: list[str], text: str) -> None:
    findings = [_based(s, f"r{i}", b, clauses=(BULLET7,), controls=(RESIDENCY,))
                for i, (b, s) in enumerate(zip(bases, statuses))]
    view = _view(findings)
    clause = _clause(view, BULLET7[1])
    control = next(c for c in view.iso.controls if c.ref == RESIDENCY)
    assert clause.verdict.text == text and control.verdict.text == text
    marked = "only, not observed" in text
    assert bool(clause.verdict.unobserved) is marked
    cover = view.cover.unobserved
    if marked:
        assert cover == ("Supported only by declarations or attestations, not by observation: 1 DPA clause(s) "
                         "(dioss 1), 1 ISO 27001 control(s), 0 GDPR article(s).")
    elif any(bases):  # the pack records bases: the cover says that nothing rests on them alone
        assert cover == "No clause or control is supported only by declarations or attestations."
    else:  # a pack from before bases were recorded: nothing can be said
        assert cover == ""


def test_declared_findings_beside_a_current_document_are_declared_and_attested_only() -> None:
    findings = [_based("pass", "r1", "declared", clauses=(ISO_CLAUSE,))]
    view = _view(findings, context=_context(_doc()), hashes={"manual/iso.pdf": "ab" * 32})
    clause = _clause(view, ISO_CLAUSE[1])
    assert clause.verdict.code == Verdict.SUPPORTS and clause.verdict.attested
    assert clause.verdict.text == "Evidence supports (declared and attested only, not observed)"
    observed = _view([_based("pass", "r1", "observed", clauses=(ISO_CLAUSE,))], context=_context(_doc()),
                     hashes={"manual/iso.pdf": "ab" * 32})
    assert _clause(observed, ISO_CLAUSE[1]).verdict.text == "Evidence supports (attested)"  # observed, and attested


def test_cover_summary_and_findings_name_the_basis_in_html_markdown_and_csv() -> None:
    findings = [_based("pass", "host-lt", "declared", clauses=(BULLET7,)),
                _based("fail", "host-us", "declared"),
                _based("pass", "bucket", "observed"),
                _based("pass", "old", "")]
    view = _view(findings)
    assert view.cover.bases == "1 observed, 2 declared in the configuration (not observed), 1 basis not recorded"
    report = arrange(view)
    assert report.summary.unobserved == view.cover.unobserved and "1 DPA clause(s) (dioss 1)" in view.cover.unobserved
    html, md = render_html(view, report), render_markdown(view, report)
    for text in (html, md):
        assert "Basis of the findings" in text and view.cover.bases in text
        assert "Supported only by declarations or attestations, not by observation: 1 DPA clause" in text
        assert "Evidence supports (declared only, not observed)" in text
        assert "Basis: declared in the configuration, not observed" in text  # the failing row says it
        assert "basis: observed, declared" in text  # the check's group
    rows = list(csv.DictReader(io.StringIO(render_csv(view))))
    assert {r["resource_id"]: r["basis"] for r in rows} == {"host-lt": "declared", "host-us": "declared",
                                                             "bucket": "observed", "old": ""}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_pack(tmp_path_factory.mktemp("basis") / "pack")


def _results(pack: Path) -> dict[str, Any]:
    doc = json.loads((pack / FOLDER / RESULTS).read_text("utf-8"))
    results: dict[str, Any] = doc["assessment-results"]["results"][0]
    return results


def _props(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", ()) if p["name"] == name]


def test_oscal_examines_declarations_and_documents_and_tests_only_observations(sample: Path) -> None:
    observations = _results(sample)["observations"]
    by_basis: dict[str, set[str]] = {}
    for obs in observations:
        for basis in _props(obs, "basis") or ["-"]:
            by_basis.setdefault(basis, set()).update(obs["methods"])
    assert by_basis["declared"] == {"EXAMINE"}  # the SSH hosts' declared provider and country
    assert by_basis["attested"] == {"EXAMINE"}  # the attached documents
    assert by_basis["observed"] == {"TEST"}
    declared = [o for o in observations if _props(o, "basis") == ["declared"]]
    assert declared and all("stated in the configuration, not observed" in o["description"] for o in declared)
    documents = [o for o in observations if o["title"].startswith("Attached document:")]
    assert len(documents) == 2 and all(o["relevant-evidence"][0]["href"].startswith("#") for o in documents)
    # every finding's evidence is one of them: the index said how each piece is known
    index = json.loads((sample / "evidence" / "index.json").read_text("utf-8"))
    assert {i["kind"]: i["basis"] for i in index if i["kind"] == "provider.use" and
            i["resource"]["provider"] == "ssh"} == {"provider.use": "declared"}


def test_oscal_findings_say_what_their_support_rests_on(tmp_path: Path) -> None:
    from auditpack.reports.oscal import build_documents

    findings = [_based("pass", "host-lt", "declared", clauses=(BULLET7,), controls=(RESIDENCY,))]
    view = _view(findings)
    documents = build_documents(view, None, tmp_path, tmp_path / FOLDER)
    oscal = documents[RESULTS]["assessment-results"]["results"][0]["findings"]
    [control] = [f for f in oscal if f["target"]["target-id"] == "a.5.23"]
    assert control["target"]["status"]["state"] == "satisfied"  # the report's own verdict: supports ...
    assert _props(control, "basis") == ["declared"] and _props(control, "support") == ["declared only"]
    assert "not by observation" in control["target"]["status"]["remarks"]  # ... and on what
    observed = build_documents(_view([_based("pass", "b", "observed", controls=(RESIDENCY,))]), None, tmp_path,
                               tmp_path / FOLDER)[RESULTS]["assessment-results"]["results"][0]["findings"]
    [plain] = [f for f in observed if f["target"]["target-id"] == "a.5.23"]
    assert _props(plain, "basis") == ["observed"] and not _props(plain, "support")
    assert "remarks" not in plain["target"]["status"]
