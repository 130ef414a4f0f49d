"""Drafting a profile from a document built by hand: it loads with the profile validator, is
marked draft, quotes verbatim, explains every measure, points parameters at clauses, lists
the register and the left-overs; the review page is self-contained and escaped; the lexicon
is validated strictly."""

from __future__ import annotations

import re
import tomllib

import pytest
from dpa_documents import B, build, english_dpa

from auditpack.catalogs import data_text
from auditpack.dpaimport.draft import draft_profile, profile_id_for, shorten
from auditpack.dpaimport.lexicon import load_lexicon, parse_lexicon
from auditpack.dpaimport.model import DocumentError
from auditpack.dpaimport.review import render_review
from auditpack.errors import CatalogError
from auditpack.model import Measure as M
from auditpack.profiles import _parse


@pytest.fixture(scope="module")
def draft():  # type: ignore[no-untyped-def]
    return draft_profile(build(english_dpa(), path="/contracts/acme-dpa.txt", title="ACME DPA"), "acme")


def test_the_draft_loads_with_the_profile_validator_and_is_marked_draft(draft) -> None:  # type: ignore[no-untyped-def]
    profile = _parse(draft.toml, "draft")
    assert profile == draft.profile
    assert profile.profile.draft is True and profile.id == "acme" and profile.profile.source == "acme-dpa.txt"
    by_ref = {c.ref: set(c.measures) for c in profile.clauses}
    assert by_ref == {
        "3.1": {M.EEA_RESIDENCY},  # data centres named for where they are: no physical security
        # the lead-in promises what its list promises; each item stays a clause of its own
        "5.1": {M.ENCRYPTION_IN_TRANSIT, M.ACCESS_CONTROL, M.BACKUPS, M.BACKUP_TESTING},
        "5.1 (a)": {M.ENCRYPTION_IN_TRANSIT},
        "5.1 (b)": {M.ACCESS_CONTROL},
        "5.1 (c)": {M.BACKUPS, M.BACKUP_TESTING},
        "6.1": {M.BREACH_NOTIFICATION},
        "6.2": {M.BREACH_NOTIFICATION},
        "8.1": {M.AUDIT_RIGHTS},
        "10.1": {M.DELETION_ON_TERMINATION},
        "Annex 3": {M.SUBPROCESSOR_LIST},
    }
    # the general lead-in 5.1 promises nothing by itself; 6.2 (i) is part of 6.2; liability is no clause
    assert profile.subprocessor_clause == "Annex 3"


def test_parameters_point_at_their_clauses(draft) -> None:  # type: ignore[no-untyped-def]
    profile = draft.profile
    assert profile.parameters == {"residency": "eea", "breach_deadline_hours": 48, "deletion_days": 30,
                                  "audit_frequency": "once a year; on 14 days' notice"}
    assert {k: c.ref for c in profile.clauses for k in c.parameters} == {
        "residency": "3.1", "breach_deadline_hours": "6.1", "deletion_days": "10.1", "audit_frequency": "8.1"}


def test_register_and_quotes_and_reasons(draft) -> None:  # type: ignore[no-untyped-def]
    profile = draft.profile
    assert [(s.name, s.service, s.location, s.countries, s.eea) for s in profile.subprocessors] == [
        ("Hetzner Online GmbH", "Hosting", "Germany", ("DE",), False),
        ("Scaleway SAS", "Backups", "EU (France)", ("FR",), True)]
    texts = {b.ref: b.text for b in build(english_dpa()).blocks}
    for clause in profile.clauses:
        if clause.ref in texts:
            for piece in clause.quote.split(" … "):
                assert piece.removesuffix(" …") in texts[clause.ref], clause.ref
    # each measure's reason is a comment right above its clause
    block = draft.toml.split('ref = "5.1 (a)"')[0].rsplit("[[clauses]]", 1)[1]
    assert re.search(r"# why encryption_in_transit \(0\.\d\d\): 'in transit', 'TLS'", block)
    # left-overs are comments for the reviewer, not clauses
    assert "# [2.1] The Processor shall process Personal Data only on documented instructions" in draft.toml
    assert "# [7.1] The Processor shall assist the Controller" in draft.toml
    assert "liability" not in draft.toml.split("# Left over")[1]


def test_a_document_without_any_dpa_clause_is_refused() -> None:
    doc = build([B("1", "Dear Sir or Madam, thank you for your letter of 3 March.", ("Letter",)),
                 B("2", "We will reply next week.", ("Letter",))])
    with pytest.raises(DocumentError, match="no DPA-like clause"):
        draft_profile(doc, "letter")


def test_hostile_text_stays_data_in_toml_and_html() -> None:
    nasty = 'The Processor shall encrypt backups "at rest" \\ with <script>alert(1)</script>\x7f and TLS.'
    doc = build([B("4.1 <b>", nasty, ("Security <img src=x onerror=alert(1)>",))], path="x<y>.txt",
                title="<script>t</script>")
    draft = draft_profile(doc, "hostile")
    loaded = tomllib.loads(draft.toml)
    assert loaded["clauses"][0]["ref"] == "4.1 <b>"
    assert "<script>alert(1)</script>" in loaded["clauses"][0]["quote"]
    html = render_review(draft)
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "default-src 'none'" in html


def test_review_page_highlights_every_clause_and_left_over(draft) -> None:  # type: ignore[no-untyped-def]
    html = render_review(draft)
    marks = re.findall(r'<mark class="(clause|leftover)" id="src-(\w+)">', html)
    assert [a for k, a in marks if k == "clause"] == [f"c{n}" for n in range(1, len(draft.clauses) + 1)]
    assert {a for k, a in marks if k == "leftover"} == {f"l{n}" for n in range(1, len(draft.leftovers) + 1)}
    for n, clause in enumerate(draft.clauses, 1):
        assert f'id="c{n}"' in html and clause.ref in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_quotes_are_shortened_at_a_word_with_an_ellipsis() -> None:
    long = "word " * 100
    short = shorten(long, 50)
    assert short.endswith(" …") and len(short) <= 52 and "  " not in short
    assert shorten("  a\n b\t c ") == "a b c"


def test_profile_id_from_a_file_name() -> None:
    assert profile_id_for("/x/DPA Acme (2026).docx") == "dpa-acme-2026"
    assert profile_id_for("___.pdf") == "dpa"


# ---------------------------------------------------------------- the lexicon as data

def test_lexicon_covers_every_measure_with_rules_that_can_fire() -> None:
    lex = load_lexicon()
    assert {m.measure for m in lex.measures} == set(M)
    for m in lex.measures:
        assert m.rules and all(r.groups for r in m.rules), m.measure
        for rule in m.rules:
            for group in rule.groups:
                # every pattern matches at least its own words (no pattern that can never fire)
                for source in group.sources:
                    sample = source.replace("*", "x").replace("?", "s")
                    from auditpack.dpaimport.lexicon import FoldedText
                    assert group.any(FoldedText(sample)), (m.measure, source)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("[measures.certification]", "[measures.certificationx]"), "measures"),
    (lambda t: t.replace("[scoring]\n", "[scoring]\nunknown = 1\n"), "scoring.unknown: unknown key"),
    (lambda t: t.replace('"nederland" = "NL"', '"nederland" = "nl"'), "ISO 3166-1"),
    (lambda t: t.replace('"duitsland" = "DE"', '"duitsland" = "DE"\n"Duitsland" = "AT"'), "folds to"),
    (lambda t: t.replace('weight = 0.9', 'weight = 1.5', 1), "weight"),
    (lambda t: t.replace('obligation = [', 'obligation = ["<>", ', 1), "not a usable pattern"),
    (lambda t: t.replace("[meta]", "[meta"), "not valid TOML"),
])
def test_a_broken_lexicon_is_one_line_naming_the_key(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    text = edit(data_text("dpa_lexicon.toml"))
    with pytest.raises(CatalogError) as info:
        parse_lexicon(text, "my-lexicon.toml")
    line = str(info.value)
    assert "\n" not in line and line.startswith("my-lexicon.toml") and message in line
