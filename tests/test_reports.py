"""Reports: the view model on its own (roll-ups, order, gaps, waivers, documents) and the
renderers (escaping of outside strings in HTML, Markdown and CSV; determinism)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from sample_pack import HOSTILE, build_sample_pack
from view_support import BULLET7, _finding, _view

from auditpack.custody import check_pack
from auditpack.pack import verify_pack, write_manifest
from auditpack.profiles import load_builtin
from auditpack.reports import markdown_escape, render_csv, render_html, render_markdown, render_pack
from auditpack.reports.layout import arrange
from auditpack.reports.view import Verdict, load_view, rollup
from auditpack.signing import generate_keypair, load_public_key, signer
from helpers import run_cli

# --- the view model on hand-made data --------------------------------------------------------


WAIVER = {"owner": "ops", "reason": "accepted", "expires": "2027-01-01"}


@pytest.mark.parametrize("statuses, waived, verdict, accepted", [
    (["pass", "fail", "error", "manual"], False, Verdict.NONCONFORMITY, False),
    (["pass", "error", "manual"], False, Verdict.INCOMPLETE, False),
    (["pass", "not_applicable"], False, Verdict.SUPPORTS, False),
    (["not_applicable"], False, Verdict.SUPPORTS, False),
    (["pass", "manual"], False, Verdict.MANUAL, False),  # support only when nothing is left to a person
    (["manual"], False, Verdict.MANUAL, False),
    ([], False, Verdict.MANUAL, False),
    (["fail", "pass"], True, Verdict.NONCONFORMITY, True),
])
def test_clause_rollup_gives_the_four_verdicts(statuses: list[str], waived: bool, verdict: Verdict,
                                               accepted: bool) -> None:
    findings = [_finding("encryption_at_rest_x", "encryption_at_rest", s, f"r{i}", clauses=(BULLET7,),
                         waiver=WAIVER if waived and s == "fail" else None) for i, s in enumerate(statuses)]
    view = _view(findings)
    clause = next(c for c in view.profiles[0].clauses if c.ref == BULLET7[1])
    assert clause.verdict.code == verdict and clause.verdict.accepted is accepted
    assert clause.counts.total == len(statuses)
    if accepted:
        assert clause.verdict.text == "Evidence of non-conformity (accepted exception)"


def test_one_unwaived_fail_is_not_an_accepted_exception() -> None:
    rows = _view([_finding("c", "backups", "fail", "a", waiver=WAIVER), _finding("c", "backups", "fail", "b")]).findings
    assert rollup(rows).code == Verdict.NONCONFORMITY and not rollup(rows).accepted


def test_clauses_keep_the_document_order_and_manual_clauses_get_no_findings() -> None:
    bullet2 = ("dioss", "Subverwerkers, bullet 2")  # a manual clause: even a stray reference is ignored
    view = _view([_finding("subprocessor_list_provider_registered", "subprocessor_list", "pass", "a",
                           clauses=(bullet2,))])
    profile = view.profiles[0]
    assert [c.ref for c in profile.clauses] == [c.ref for c in load_builtin("dioss").clauses]
    manual = next(c for c in profile.clauses if c.ref == bullet2[1])
    assert manual.manual_only and manual.verdict.code == Verdict.MANUAL and manual.counts.total == 0
    assert profile.register_clause == "Bijlage D" and len(profile.register) == 6
    assert dict(profile.verdicts)  # one count per verdict
    assert sum(n for _, n in profile.verdicts) == len(profile.clauses)


def test_the_checks_behind_a_clause_come_worst_first_and_link_to_their_group() -> None:
    view = _view([
        _finding("b", "encryption_at_rest", "pass", "p", clauses=(BULLET7,)),
        _finding("a", "encryption_at_rest", "pass", "q", clauses=(BULLET7,)),
        _finding("c", "encryption_at_rest", "manual", "m", clauses=(BULLET7,)),
        _finding("d", "encryption_at_rest", "error", "e", clauses=(BULLET7,)),
        _finding("e", "encryption_at_rest", "fail", "f", clauses=(BULLET7,), severity="low"),
    ])
    clause = next(c for c in view.profiles[0].clauses if c.ref == BULLET7[1])
    assert [s.check for s in clause.checks] == ["e", "d", "c", "a", "b"]
    assert [s.link for s in clause.checks] == ["open-e", "open-d", "open-c", "chk-a", "chk-b"]
    assert [f.id for f in view.findings][:2] == ["F-0005", "F-0004"]  # ids follow findings.json order


def test_annex_a_view_lists_all_93_controls_with_evidence_framing() -> None:
    view = _view([_finding("c", "backups", "fail", "a", controls=("ISO27001:2022/A.8.13",)),
                  _finding("c", "backups", "pass", "b", controls=("ISO27001:2022/A.8.13", "ISO27001:2022/A.8.14"))])
    controls = {c.id: c for c in view.iso.controls}
    assert len(controls) == 93
    assert controls["A.8.13"].verdict.code == Verdict.NONCONFORMITY
    behind = [(s.check, s.counts.text, s.open_anchor) for s in controls["A.8.13"].open_checks]
    assert behind == [("c", "1 fail", "open-c")]
    assert controls["A.8.14"].verdict.code == Verdict.SUPPORTS
    assert controls["A.5.1"].verdict.code == Verdict.MANUAL and controls["A.5.1"].measures == ()
    assert [g for g, _ in view.iso.groups] == ["Organizational controls", "People controls", "Physical controls",
                                              "Technological controls"]
    assert all("fail" not in v.label.lower() for v in view.verdict_legend)  # never "control failed"
    assert any(c.id == "Art. 28(2)" for c in view.gdpr.controls)


def test_coverage_gaps_list_every_error_with_its_reason() -> None:
    index = [
        {"path": "evidence/a.json", "kind": "aws.thing", "status": "collected", "raw_sha256": "00",
         "resource": {"id": "a", "scope": "111", "location": "eu-west-1"},
         "provenance": {"collector": "aws", "scope": "111", "collected_at": "t", "source": "x"}},
        {"path": "evidence/b.json", "kind": "aws.thing", "status": "error", "reason": "permission_denied",
         "error": "AccessDenied", "resource": {"id": "b", "scope": "222"},
         "provenance": {"collector": "aws", "scope": "222", "collected_at": "t", "source": "x"}},
    ]
    view = _view([_finding("c", "backups", "error", "b", reason="permission_denied")], index=index,
                 hashes={"evidence/a.json": "ab" * 32})
    assert [(g.scope, g.reason, g.error) for g in view.gaps] == [("222", "permission_denied", "AccessDenied")]
    assert [(g.check, g.error_reasons) for g in arrange(view).error_groups] == [("c", "1 permission_denied")]
    cover = view.cover
    assert not cover.complete and "Incomplete" in cover.completeness
    aws = next(line for line in cover.scope if line.label == "AWS accounts")
    assert aws.covered == ("111",) and aws.not_covered == ("222",)
    assert next(line for line in cover.scope if line.label == "AWS regions").covered == ("eu-west-1",)
    assert {a.path: a.file_sha256 for a in view.appendix} == {"evidence/a.json": "ab" * 32,
                                                             "evidence/b.json": "missing"}
    assert cover.started_at == "2026-11-21 12:00:00"


def test_a_configured_scope_name_is_not_a_gap_when_its_evidence_has_another_scope() -> None:
    index = [{"path": "evidence/a.json", "kind": "aws.thing", "status": "collected",
              "resource": {"id": "a", "scope": "123456789012", "location": "global"},
              "provenance": {"collector": "aws", "scope": "123456789012", "collected_at": "t", "source": "x"}}]
    # run.collectors[aws].scopes names "111" and "222" (e.g. profile names); the evidence says the account
    aws = next(line for line in _view([], index=index).cover.scope if line.label == "AWS accounts")
    assert aws.covered == ("123456789012",) and aws.not_covered == ()
    assert not [line for line in _view([], index=index).cover.scope if line.label == "AWS regions"]  # no "global"
    nothing = next(line for line in _view([]).cover.scope if line.label == "AWS accounts")
    assert nothing.covered == () and nothing.not_covered == ("111", "222")


def test_waivers_active_and_expired_and_documents_integrity() -> None:
    context = {
        "waivers": [
            {"check": "c", "resource": "*", "owner": "ops", "reason": "old", "expires": "2026-01-01", "active": False},
            {"check": "c", "resource": "a*", "owner": "ops", "reason": "accepted", "expires": "2027-01-01",
             "active": True},
        ],
        "manual_evidence": [
            {"title": "ISO certificate", "path": "manual/cert.pdf", "sha256": "11" * 32, "measures": ["certification"],
             "date": "2026-03-01"},
            {"title": "Pen test", "path": "manual/pt.pdf", "sha256": "22" * 32, "measures": [], "date": None},
            {"title": "Restore test", "path": "manual/rt.pdf", "sha256": "33" * 32, "measures": ["backup_testing"],
             "date": None},
        ],
    }
    view = _view([_finding("c", "backups", "fail", "a1", waiver=WAIVER), _finding("c", "backups", "fail", "b1")],
                 context=context, hashes={"manual/cert.pdf": "11" * 32, "manual/pt.pdf": "ff" * 32})
    active, expired = view.waivers
    assert active.active and active.findings == ("F-0001",)
    assert not expired.active and expired.state.startswith("expired") and expired.findings == ()
    assert {d.title: d.integrity for d in view.documents} == {"ISO certificate": "matches", "Pen test": "changed",
                                                             "Restore test": "missing"}
    bullet3 = next(c for c in view.profiles[0].clauses if c.ref.endswith("bullet 3"))
    assert [d.title for d in bullet3.documents] == ["ISO certificate"]
    assert bullet3.verdict.code == Verdict.MANUAL  # a document is for a person to judge, not a pass


# --- renderers --------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.urls.append(value)


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_pack(tmp_path_factory.mktemp("hostile") / "pack", hostile=True)


def test_html_escapes_outside_strings_and_fetches_nothing(hostile_pack: Path) -> None:
    page = (hostile_pack / "report.html").read_text("utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    parser = _Tags()
    parser.feed(page)
    assert parser.scripts == 1  # ours, allowed by its hash only
    # in-page anchors, and relative links to the pack's own evidence and manual files (nothing outside it)
    local = [u for u in parser.urls if not u.startswith("#")]
    assert all(re.fullmatch(r"(evidence|manual)/[A-Za-z0-9._~%/-]+", u) and ".." not in u for u in local), local
    assert "link" not in parser.tags and "img" not in parser.tags and "iframe" not in parser.tags
    assert not re.search(r"url\(|@import|https?://(?!evil\.example)", page)  # the only URL is the escaped hostile one
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in csp.group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = __import__("base64").b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp.group(1)


def test_markdown_escapes_outside_strings_and_keeps_tables_intact(hostile_pack: Path) -> None:
    text = (hostile_pack / "report.md").read_text("utf-8")
    assert "<script>" not in text and "\\<script\\>" in text
    assert "`rm" not in text.replace("\\`rm", "")
    for line in text.splitlines():
        if line.startswith("|"):
            # every table row ends its last cell: no outside newline or pipe broke it
            assert line.rstrip().endswith("|"), line
    header_cells = {}
    for block in re.split(r"\n\n+", text):
        rows = [r for r in block.splitlines() if r.startswith("|")]
        if len(rows) >= 2 and set(rows[1].replace(" ", "")) <= set("|-:"):
            cells = [len(re.findall(r"(?<!\\)\|", r)) for r in rows]
            header_cells[rows[0]] = cells
            assert len(set(cells)) == 1, (rows[0], cells)
    assert header_cells
    rendered = markdown.markdown(text, extensions=["tables"])
    assert "<script" not in rendered and "<a href" not in rendered and "<strong>bold" not in rendered


@pytest.mark.parametrize("raw, expected", [
    ("<script>x</script>", "\\<script\\>x\\</script\\>"),
    ("a|b", "a\\|b"),
    ("`cmd`", "\\`cmd\\`"),
    ("line1\nline2\r\nline3", "line1 line2 line3"),
    ("*_[x](y)_*", "\\*\\_\\[x\\](y)\\_\\*"),
    ("# heading", "\\# heading"),
    ("- item", "\\- item"),
    ("1. item", "1\\. item"),
    ("eu-central-1 0.1.0", "eu-central-1 0.1.0"),
    ("a & b @c $x$", "a \\& b \\@c \\$x\\$"),
])
def test_markdown_escape(raw: str, expected: str) -> None:
    assert markdown_escape(raw) == expected


def test_csv_is_spreadsheet_safe_and_lossless(hostile_pack: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((hostile_pack / "findings.csv").read_text("utf-8"), newline="")))
    doc = json.loads((hostile_pack / "findings.json").read_text("utf-8"))
    assert len(rows) == len(doc["findings"])
    hostile = [r for r in rows if "scratch" in r["resource_name"]]
    assert hostile and hostile[0]["resource_name"] == "scratch" + HOSTILE  # newlines and pipes survive quoting
    view = load_view(hostile_pack)
    formula = view.findings[0].__class__(**{**view.findings[0].__dict__, "message": "=HYPERLINK(\"http://x\")"})
    text = render_csv(view.__class__(**{**view.__dict__, "findings": (formula,)}))
    assert "'=HYPERLINK" in text


def test_report_sections_in_order(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    text = (root / "report.md").read_text("utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Executive summary", "## Run", "## 1. Summary", "## 2. DPA profiles, clause by clause",
                        "## 3. ISO/IEC 27001:2022 Annex A", "## 4. GDPR (Regulation (EU) 2016/679)",
                        "## 5. Coverage gaps", "## 6. Findings by check",
                        "## 7. Manual evidence", "## 8. Accepted exceptions", "## 9. Evidence appendix",
                        "## 10. Since the previous run", "## 11. Over the period"]
    page = (root / "report.html").read_text("utf-8")
    for section in ("cover", "contents", "summary", "dpa", "iso", "gdpr", "gaps", "findings", "manual", "exceptions",
                    "appendix", "since-previous", "period"):
        assert f'id="{section}"' in page
    # the seeds, clause by clause, with the right verdicts for the sample
    assert "**Internationale gegevensoverdrachten, bullet 2** |" in text
    assert "\n| A.8.24 | Use of cryptography | Evidence of non-conformity |" in text  # catalog tables are tables
    assert "\n| Art. 28(2) | Sub-processors only" in text
    html_tables = markdown.markdown(text, extensions=["tables"]).count("<table>")
    assert html_tables == len(re.findall(r"^\| ?-{3}", text, re.M)) >= 30
    dioss = load_view(root).profiles[0]
    verdicts = {c.ref: c.verdict.code for c in dioss.clauses}
    assert verdicts["Internationale gegevensoverdrachten, bullet 2"] == Verdict.NONCONFORMITY  # London is not EEA
    assert verdicts["Bijlage D"] == Verdict.NONCONFORMITY  # AWS is not in the register
    assert verdicts["Technische en organisatorische maatregelen, bullet 10.6"] == Verdict.INCOMPLETE
    assert verdicts["Technische en organisatorische maatregelen, bullet 10"] == Verdict.SUPPORTS
    assert verdicts["Beëindiging"] == Verdict.MANUAL
    register = {r.name: r.coverage for r in dioss.register}
    assert register["Hetzner Online"].startswith("in use: production") and "location check: 1 pass" in register[
        "Hetzner Online"]
    assert register["Vultr"].startswith("not covered") and register["Time4VPS"].startswith("in use: backup-lt")
    xis = load_view(root).profiles[1]
    assert {c.ref: c.verdict.code for c in xis.clauses}["3.3"] == Verdict.SUPPORTS  # adequacy accepted
    # every evidence file is in the appendix with the hash the manifest has
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))["files"]
    for row in load_view(root).appendix:
        assert manifest[row.path] == row.file_sha256
        assert row.path in page and row.file_sha256 in page


def test_rendering_is_deterministic_and_report_rerenders_byte_identically(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    names = ("report.html", "report.md", "findings.csv")
    first = {n: (root / n).read_bytes() for n in names}
    render_pack(root)
    assert {n: (root / n).read_bytes() for n in names} == first
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    for n in names:
        (copy / n).unlink()
    result = run_cli("report", str(copy))
    assert result.returncode == 0, result.stderr
    assert {n: (copy / n).read_bytes() for n in names} == first
    assert verify_pack(copy).ok


def test_a_signed_pack_catches_one_changed_byte(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    run = json.loads((root / "manifest.json").read_text("utf-8"))["run"]
    write_manifest(root, run, signer(tmp_path / "k.pem"))
    key = load_public_key(tmp_path / "k.pub")
    assert check_pack(root, key).ok
    target = next((root / "evidence").rglob("*.json"))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x20
    target.write_bytes(bytes(data))
    name = target.relative_to(root).as_posix()
    result = check_pack(root, key)
    assert not result.ok and result.files.changed == [name]
    assert f"file changed after signing: {name}" in result.problems


def test_renderers_work_on_a_pack_without_profiles_or_evidence(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    (root / "findings.json").write_text(json.dumps({"schema": "auditpack.findings/v1", "findings": [], "run": {
        "id": "r", "started_at": "s", "finished_at": "f", "complete": True, "tool_version": "0", "collectors": []}}))
    render_pack(root)
    assert "No DPA profile was configured" in (root / "report.md").read_text("utf-8")
    view = load_view(root)
    assert render_html(view).startswith("<!doctype html>") and render_markdown(view).startswith("# Audit pack")


def test_finding_rows_are_whole_frozen_rows(hostile_pack: Path) -> None:
    """The view makes its rows without the dataclass __init__ (speed at 150,000 findings):
    each must still carry every field and refuse changes like a row made the ordinary way."""
    import dataclasses

    from auditpack.reports.view import FindingRow

    view = load_view(hostile_pack)
    names = {f.name for f in dataclasses.fields(FindingRow)}
    assert view.findings
    for row in view.findings:
        assert set(vars(row)) == names
        assert FindingRow(**vars(row)) == row
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.findings[0].status = "pass"  # type: ignore[misc]


def test_findings_csv_in_pieces_is_the_same_text(hostile_pack: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """findings.csv is written a few thousand rows at a time; pieces of two rows (bidi
    controls and quoted newlines of the hostile pack included) give the text of one piece."""
    import auditpack.reports as reports

    view = load_view(hostile_pack)
    whole = render_csv(view)
    assert len(view.findings) > 4
    monkeypatch.setattr(reports, "_CSV_CHUNK", 2)
    assert render_csv(view) == whole
    reports.write_csv(view, tmp_path / "findings.csv")
    assert (tmp_path / "findings.csv").read_bytes() == whole.encode("utf-8")
    assert whole.count("\r\n") >= len(view.findings) + 1
