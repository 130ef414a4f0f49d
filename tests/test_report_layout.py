"""The report at scale: findings grouped by check and the executive summary, as view model
on its own (order, caps, counts, sentences) and rendered from a synthetic pack of more
than 10,000 findings (every fail named in the HTML, report.md under 1 MB, nothing lost)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from view_support import _finding, _view

from auditpack.emulators.synthetic_pack import write_synthetic_pack
from auditpack.reports import render_pack
from auditpack.reports.groups import PASSING_CAP, PRINT_CAP, check_groups
from auditpack.reports.layout import GAP_PRINT_CAP, arrange
from auditpack.reports.summary import TOP, executive_summary, shorten

BULLET7 = ("dioss", "Technische en organisatorische maatregelen, bullet 7")


def _many(check: str, status: str, n: int, *, severity: str = "medium", **kw: Any) -> list[dict[str, Any]]:
    return [_finding(check, "encryption_at_rest", status, f"{check}-{status}-{i:04d}", severity=severity, **kw)
            for i in range(n)]


def test_groups_count_per_check_and_come_worst_first() -> None:
    view = _view(_many("wide_low", "fail", 30, severity="low") + _many("wide_low", "pass", 400, severity="low")
                 + _many("narrow_critical", "fail", 1, severity="critical")
                 + _many("narrow_critical", "pass", 2, severity="critical")
                 + _many("only_errors", "error", 3, reason="permission_denied")
                 + _many("all_pass", "pass", 5) + _many("manual_one", "manual", 1))
    groups = check_groups(view.findings)
    assert [g.check for g in groups] == ["narrow_critical", "wide_low", "only_errors", "manual_one", "all_pass"]
    wide = groups[1]
    assert wide.headline == "30 of 430 fail" and wide.counts.passed == 400 and wide.severity == "low"
    assert len(wide.printed) == PRINT_CAP and len(wide.screen_only) == 30 - PRINT_CAP == wide.more
    assert {f.status for f in wide.printed + wide.screen_only} == {"fail"}
    assert "check = wide_low" in wide.more_where
    assert len(wide.passing) == PASSING_CAP
    assert wide.passing_more == 400 - PASSING_CAP == wide.passing_count - PASSING_CAP
    assert groups[2].headline == "0 of 3 fail, 3 error" and groups[2].error_reasons == "3 permission_denied"
    assert groups[-1].has_open is False and groups[-1].statuses == "pass"
    assert wide.anchor == "chk-wide_low" and wide.open_anchor == "open-wide_low"


def test_executive_summary_names_the_ten_worst_non_conformities_in_one_sentence_each() -> None:
    findings = []
    for i in range(14):  # 14 checks with fails: severity decides first, then breadth
        findings += _many(f"check_{i:02d}", "fail", i + 1, severity="high" if i % 2 else "medium",
                          clauses=(BULLET7,))
        findings += _many(f"check_{i:02d}", "pass", 10)
    findings += _many("check_waived", "fail", 2, severity="critical",
                      waiver={"owner": "ops", "reason": "accepted", "expires": "2027-01-01"})
    view = _view(findings)
    summary = executive_summary(view, check_groups(view.findings))
    assert len(summary.top) == TOP and summary.more_nonconformities == 15 - TOP
    assert [t.severity for t in summary.top] == ["critical"] + ["high"] * 7 + ["medium"] * 2
    first, second = summary.top[0], summary.top[1]
    assert first.sentence.endswith("; accepted exception.") and first.anchor == "open-check_waived"
    assert second.sentence == ("check_13: not met for 14 of 24 resources (check_13-fail-0000, check_13-fail-0001 "
                               "and 12 more); bears on 1 DPA clause.")
    dioss = summary.dpas[0]
    assert dioss.id == "dioss" and sum(dioss.counts) == dioss.clauses == len(view.profiles[0].clauses)
    assert dioss.nonconformity >= 1  # bullet 7
    assert [c.label for c in summary.columns] == ["Supported", "Non-conformity", "Manual evidence", "Incomplete"]


def test_first_page_lists_are_capped_and_names_shortened() -> None:
    assert shorten("a" * 100) == "a" * 39 + "\u2026" and shorten("two\nlines") == "two lines"
    index = [{"path": f"evidence/{i}.json", "kind": "aws.thing", "status": "collected",
              "resource": {"id": str(i), "scope": f"acct-{i:02d}", "location": "eu-west-1"},
              "provenance": {"collector": "aws", "scope": f"acct-{i:02d}", "collected_at": "t", "source": "x"}}
             for i in range(20)]
    summary = executive_summary(_view([], index=index), ())
    accounts = next(s for s in summary.scope if s.label == "AWS accounts")
    assert accounts.covered.startswith("20: acct-00, acct-01") and accounts.covered.endswith("and 14 more")


def test_gaps_beyond_the_print_cap_are_screen_only() -> None:
    index = [{"path": f"evidence/{i}.json", "kind": "aws.thing", "status": "error", "reason": "timeout",
              "resource": {"id": str(i), "scope": "111"}, "provenance": {"collector": "aws", "scope": "111"}}
             for i in range(GAP_PRINT_CAP + 7)]
    report = arrange(_view([], index=index))
    assert len(report.gaps_printed) == GAP_PRINT_CAP and report.gaps_more == 7 == len(report.gaps_screen_only)
    assert [(k.kind, k.files, k.statuses) for k in report.evidence_kinds] == [("aws.thing", GAP_PRINT_CAP + 7,
                                                                                f"{GAP_PRINT_CAP + 7} error")]


@pytest.fixture(scope="module")
def large_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_synthetic_pack(tmp_path_factory.mktemp("large") / "pack", 12_000)
    render_pack(root)
    return root


def test_every_in_page_link_of_a_large_report_has_its_target(large_pack: Path) -> None:
    """The appendix is capped on the page; a finding links to its appendix row only when that
    row is there (and to the evidence file always)."""
    page = (large_pack / "report.html").read_text("utf-8")
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    targets = re.findall(r'href="#([^"]+)"', page)
    assert any(t.startswith("ev-") for t in targets)
    assert sorted({t for t in targets if t not in ids}) == []
    blocks = re.findall(r'<div class="muted evidence-links">Evidence: (.*?)</div>', page)
    files = [link for block in blocks for link in re.findall(r'<a href="(evidence/[^"]+)">([^<]+)</a>', block)]
    assert len(files) > 300 and all(href.endswith("/" + text) for href, text in files)


def test_a_large_pack_names_every_fail_in_html_and_loses_nothing(large_pack: Path) -> None:
    doc = json.loads((large_pack / "findings.json").read_text("utf-8"))["findings"]
    page = (large_pack / "report.html").read_text("utf-8")
    failing = [f["resource"] for f in doc if f["status"] in ("fail", "error")]
    assert len(failing) > 300
    for res in failing:  # named, with the id that makes it unique
        assert f'{res["name"]} ({res["id"]})' in page
    rows = list(csv.DictReader(io.StringIO((large_pack / "findings.csv").read_text("utf-8"), newline="")))
    assert len(rows) == len(doc) == 12_000
    # the printed page caps a check's list and says which CSV rows hold the rest
    assert re.search(r'<p class="print-only small">and \d+ more: findings.csv rows where check = \w+ and status', page)
    assert page.count('<tbody class="more">') > 0  # the open resources named on screen only
    assert '<details class="passing"><summary>' in page
    assert len(page.encode()) < 4_000_000


def test_a_large_pack_gives_a_markdown_report_under_one_megabyte_of_the_same_shape(large_pack: Path) -> None:
    text = (large_pack / "report.md").read_text("utf-8")
    assert len(text.encode()) < 1_000_000
    assert text.index("## Executive summary") < text.index("### Most important non-conformities") < text.index(
        "## 6. Findings by check")
    more = r"And \d+ more: findings.csv rows where check = [\w\\]+ and status is fail, error or manual\."
    assert re.search(more, text)
    top = text.split("### Most important non-conformities", 1)[1].split("###", 1)[0]
    assert len(re.findall(r"^\d+\. \*\*", top, re.M)) == TOP
