"""General rules found by the held-out DPAs and the measured misses, on real files: members
cited as "Artikel 4 lid 1" / "§ 5 (2) a)", French "Article 1er" in a .docx, a lead-in that
promises its list, a reference to an annex that is only a note, "Name: … Address: …" register
blocks, residency only from a clause that limits location (the .pdf fixture included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.scoring import ref_path
from auditpack.model import Measure as M

CORPUS = Path(__file__).parent / "data" / "dpa"


def _draft(name: str):  # type: ignore[no-untyped-def]
    return draft_profile(read_document(CORPUS / name), "t")


def _clauses(draft) -> dict[str, set[M]]:  # type: ignore[no-untyped-def]
    return {c.ref: set(c.measures) for c in draft.profile.clauses}


def test_dutch_members_are_cited_with_lid_and_german_paragraphs_in_brackets() -> None:
    nl = {b.ref: b.text for b in read_document(CORPUS / "dpa-stroomveld.txt").blocks}
    assert nl["Artikel 4 lid 1"].startswith("Verwerker verwerkt de Persoonsgegevens uitsluitend binnen")
    assert nl["Artikel 1 lid 1 b"].startswith("Datalek:")
    assert "Artikel 1" in nl and nl["Artikel 1"] == "Begripsbepalingen"  # the article itself is no member
    de = {b.ref: b.text for b in read_document(CORPUS / "dpa-kaltwerk.txt").blocks}
    assert de["§ 5 (2) f)"].startswith("install security patches")
    assert ref_path("Artikel 4 lid 1") == ref_path("Artikel 4.1") == ("4", "1")


def test_french_article_1er_is_a_ref_in_a_word_file(tmp_path: Path) -> None:
    import docx

    doc = docx.Document()
    doc.add_paragraph("Data Processing Agreement", style="Title")
    doc.add_paragraph("Article 1er – Security of processing", style="Heading 1")
    doc.add_paragraph("1. The Processor shall encrypt all personal data in transit using TLS 1.2 or higher.")
    doc.add_paragraph("2. The Processor shall notify the Controller of a personal data breach within 48 hours.")
    doc.add_paragraph("Article 2 – Audits", style="Heading 1")
    doc.add_paragraph("1. The Controller may audit the Processor once a year.")
    path = tmp_path / "dpa-article-1er.docx"
    doc.save(str(path))
    draft = draft_profile(read_document(path), "fr-style")
    clauses = _clauses(draft)
    assert clauses["Article 1er (1)"] == {M.ENCRYPTION_IN_TRANSIT}
    assert clauses["Article 1er (2)"] == {M.BREACH_NOTIFICATION}
    assert clauses["Article 2 (1)"] == {M.AUDIT_RIGHTS}
    assert draft.profile.parameters["breach_deadline_hours"] == 48
    assert ref_path("Article 1er (2)") == ("1", "2")


def test_a_lead_in_promises_its_list_and_the_items_stay_clauses() -> None:
    clauses = _clauses(_draft("dpa-xis-smstools.txt"))
    assert {M.ACCESS_CONTROL, M.ENCRYPTION_IN_TRANSIT, M.NETWORK_SECURITY} <= clauses["6.3"]
    assert clauses["6.3, bullet 1"] == {M.ACCESS_CONTROL}
    assert clauses["6.3, bullet 2"] == {M.ENCRYPTION_IN_TRANSIT, M.NETWORK_SECURITY}


def test_a_clause_that_incorporates_an_annex_promises_what_its_items_promise() -> None:
    scc = _draft("dpa-eu-scc-2021-915.txt")
    clauses = _clauses(scc)
    annex = set().union(*(m for ref, m in clauses.items() if ref.startswith("Annex III, ")))
    # "the processor shall at least implement the ... measures specified in Annex III"
    assert clauses["Clause 7.4 (a)"] == annex and M.ACCESS_CONTROL in annex
    assert clauses["Annex III, paragraph 2"] == {M.ACCESS_CONTROL}  # the items stay clauses
    drafted = next(c for c in scc.clauses if c.ref == "Clause 7.4 (a)")
    assert drafted.quote.startswith("The processor shall at least implement") and "Annex III" in drafted.quote
    assert "incorporates Annex III, whose items promise it (Annex III, paragraph 2)" in scc.toml
    # the measures by which the processor assists the controller are no security promise
    assert "Clause 8 (d)" not in clauses
    # Dutch: "de in Bijlage 2 benoemde beveiligingsmaatregelen"
    voxio = _clauses(_draft("dpa-voxio.txt"))
    assert {M.ACCESS_CONTROL, M.ACCESS_LOGGING, M.ENCRYPTION_AT_REST, M.PHYSICAL_SECURITY} <= voxio["Artikel 6.1"]
    # a general clause that names no annex promises no measure in particular
    kaltwerk = _clauses(_draft("dpa-kaltwerk.txt"))
    assert "§ 5 (4)" not in kaltwerk and kaltwerk["Annex 1, 4"] == {M.ENCRYPTION_AT_REST}
    assert kaltwerk["§ 5 (1)"] == set().union(*(m for ref, m in kaltwerk.items() if ref.startswith("Annex 1, ")))


def test_name_address_blocks_are_register_entries() -> None:
    scc = _draft("dpa-eu-scc-2021-915.txt")
    entries = {e.name: e for e in scc.profile.subprocessors}
    assert set(entries) == {"Microsoft Ireland Operations Limited", "Postmark (ActiveCampaign, LLC)"}
    # the processing location wins over the address (Dublin) for the country
    assert entries["Microsoft Ireland Operations Limited"].countries == ("NL",)
    assert entries["Postmark (ActiveCampaign, LLC)"].countries == ("US",)
    assert scc.profile.subprocessor_clause == "Annex IV"
    nl = _draft("dpa-stroomveld.txt")
    assert [(e.name, e.service, e.countries) for e in nl.profile.subprocessors] == [
        ("Cyso Cloud B.V.", "hosting van de applicatie en de databases", ("NL",)),
        ("TransIP B.V.", "opslag van back-ups", ("NL",)),
        ("Mailjet SAS", "verzenden van notificatie-e-mails", ("FR",)),
    ]
    assert not any(c.ref.startswith("Bijlage 3, paragraph") for c in nl.profile.clauses)  # rows are no promises


@pytest.mark.parametrize(("name", "residency"), [
    ("dpa-brightwave.pdf", None),  # "in any country …, under the standard contractual clauses"
    ("dpa-eu-scc-2021-915.txt", None),  # transfers only under Chapter V: no location limit
    ("dpa-stroomveld.txt", "eea"),  # "uitsluitend binnen de EER"; transfers only with consent
    ("dpa-kaltwerk.txt", "eea"),  # "exclusively in data centres in Germany or another EU Member State"
    ("dpa-voxio.txt", "eea+adequacy"),  # within the EU, transfers under applicable law, one clause
])
def test_residency_comes_from_a_clause_that_limits_location(name: str, residency: str | None) -> None:
    draft = _draft(name)
    assert draft.profile.parameters.get("residency") == residency
    if residency is None:
        assert any(n.startswith("residency:") for n in draft.parameters.notes)


def test_a_breach_of_contract_is_no_breach_notification() -> None:
    clauses = _clauses(_draft("dpa-eu-scc-2021-915.txt"))
    assert not any(M.BREACH_NOTIFICATION in m for ref, m in clauses.items() if ref.startswith("Clause 10"))


def test_a_patch_deadline_is_not_the_breach_deadline() -> None:
    draft = _draft("dpa-kaltwerk.txt")
    assert draft.profile.parameters["breach_deadline_hours"] == 24  # not the 72 hours of § 5 (2) f)


def test_items_that_describe_a_notification_are_part_of_its_clause() -> None:
    """"De melding bevat minstens: a) …" / "Such notification shall contain, at least: (a) …":
    the items are the content of the lead-in's promise, drafted as one clause."""
    havenplan = _draft("dpa-havenplan.txt")
    clauses = _clauses(havenplan)
    assert clauses["Artikel 4.2"] == {M.BREACH_NOTIFICATION}
    assert not any(ref.startswith("Artikel 4.2 ") for ref in clauses)
    note = next(c.note for c in havenplan.profile.clauses if c.ref == "Artikel 4.2")
    assert note is not None and "Artikel 4.2 a)" in note
    scc = _clauses(_draft("dpa-eu-scc-2021-915.txt"))
    assert scc["Clause 9.2, paragraph 1"] == {M.BREACH_NOTIFICATION}
    assert not any(ref.startswith("Clause 9.2 (") for ref in scc)
