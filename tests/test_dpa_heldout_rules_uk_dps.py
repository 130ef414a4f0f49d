"""General rules found by the fourth pair of held-out DPAs (a UK law-firm agreement as PDF, a
Dutch Data Pro Statement in Markdown): numbered sections and "Part B" inside a schedule, a
clause that runs on over a page break after a comma, register cells that wrap inside their
column, a register written as one sentence ("Wij maken gebruik van: A (dienst, land), …"), a
lead-in paragraph under a question heading, no Dutch inversion in English, and the lexicon cues
and vetoes they showed."""

from __future__ import annotations

from pathlib import Path

import pytest
from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.lexicon import load_lexicon
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.register import _country_patterns, _from_run_on, extract_register
from auditpack.dpaimport.tagger import tag_document
from auditpack.model import Measure as M

CORPUS = Path(__file__).parent / "data" / "dpa"


def _blocks(path: Path) -> dict[str, str]:
    return {b.ref: b.text for b in read_document(path).blocks}


def _promised(text: str, headings: tuple[str, ...] = ("Obligations of the Processor",)) -> set[M]:
    return set(tag_document(build([B("2", text, headings)]))[-1].promised)


def test_numbered_sections_and_parts_of_a_schedule_are_cited_with_the_schedule(tmp_path: Path) -> None:
    path = tmp_path / "dpa-schedules.md"
    path.write_text("\n\n".join([
        "## 1. SECURITY", "1.1 The Supplier shall comply with Schedule 2.",
        "# SCHEDULE 1 – DETAILS", "## Part A – Description of the processing", "Subject matter: payroll.",
        "## Part B – Approved Sub-processors", "The Customer approves the following Sub-processors:",
        "# SCHEDULE 2 – INFORMATION SECURITY",
        "## 1. Governance", "1.1 The Supplier maintains an ISMS certified to ISO/IEC 27001.",
        "## 2. Physical security", "2.1 Data centres restrict entry by badges and CCTV.",
        "2.2 Visitors are escorted at all times.",
    ]) + "\n", encoding="utf-8")
    blocks = _blocks(path)
    # a part holding one paragraph is that paragraph's ref, as any heading is
    assert blocks["Schedule 1, Part A"] == "Subject matter: payroll."
    assert blocks["Schedule 1, Part B"] == "The Customer approves the following Sub-processors:"
    # the second numbered section is still the schedule's, not "2.1 (2)" beside the agreement's clauses
    assert blocks["Schedule 2, 1.1"].startswith("The Supplier maintains an ISMS")
    assert blocks["Schedule 2, 2"] == "Physical security"
    assert blocks["Schedule 2, 2.2"] == "Visitors are escorted at all times."
    assert blocks["1.1"] == "The Supplier shall comply with Schedule 2."  # the agreement's own clause keeps its ref


def test_the_uk_pdf_schedules_and_a_clause_broken_by_a_page() -> None:
    blocks = _blocks(CORPUS / "dpa-larchmere.pdf")
    assert blocks["Schedule 1, Part B"] == "Approved Sub-processors"
    assert blocks["Schedule 1, Part B, paragraph 1"].startswith("The Customer approves the following Sub-processors")
    assert blocks["Schedule 2, 8.2"].startswith("Restoration from backup is tested")
    assert blocks["Schedule 2, 11.1"].startswith("Before engaging a Sub-processor")
    # "9.3 Where … does not reasonably satisfy the Customer," / page break / "Larchmere shall allow …"
    assert blocks["9.3"].startswith("Where the information provided under clause 9.2")
    assert blocks["9.3"].endswith("subject to the following conditions:")
    assert not any(ref.startswith("9, paragraph") for ref in blocks)


def test_a_paragraph_ending_in_a_comma_runs_on_across_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "dpa-comma.txt"
    path.write_text("5. AUDIT\n\n5.1 Where the reports do not satisfy the Customer,\n\n\n"
                    "Acme shall allow for audits by the Customer.\n\n5.2 Audits take place once a year.\n\n"
                    "Short line,\n\nNext Heading\n", encoding="utf-8")
    blocks = _blocks(path)
    assert blocks["5.1"] == ("Where the reports do not satisfy the Customer, Acme shall allow for audits by the "
                             "Customer.")
    assert "5.2" in blocks


def test_register_cells_that_wrap_inside_their_column(tmp_path: Path) -> None:
    path = tmp_path / "dpa-register.txt"
    path.write_text("\n".join([
        "ANNEX 2 – SUB-PROCESSORS", "",
        "Sub-processor                                      Processing location",
        "Amazon Web Services EMEA SARL (hosting and         United Kingdom (London)",
        "storage)",
        "Microsoft Ireland Operations Limited (email and    Ireland and the Netherlands",
        "document rendering)",
        "Twilio Ireland Limited (SMS passcodes)             Ireland",
        "", "These sub-processors process personal data under written contracts with the Supplier.", "",
    ]), encoding="utf-8")
    doc = read_document(path)
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert [r.cells for r in rows] == [
        ("Amazon Web Services EMEA SARL (hosting and storage)", "United Kingdom (London)"),
        ("Microsoft Ireland Operations Limited (email and document rendering)", "Ireland and the Netherlands"),
        ("Twilio Ireland Limited (SMS passcodes)", "Ireland")]
    assert rows[0].header == ("Sub-processor", "Processing location")
    reg = extract_register(doc, tag_document(doc))
    # a two-column register names the service in brackets after the name
    assert [(e.name, e.service, set(e.countries)) for e in reg.entries] == [
        ("Amazon Web Services EMEA SARL", "hosting and storage", {"GB"}),
        ("Microsoft Ireland Operations Limited", "email and document rendering", {"IE", "NL"}),
        ("Twilio Ireland Limited", "SMS passcodes", {"IE"})]


def test_the_uk_pdf_register_is_read_whole() -> None:
    draft = draft_profile(read_document(CORPUS / "dpa-larchmere.pdf"), "t")
    assert [set(e.countries) for e in draft.profile.subprocessors] == [
        {"GB"}, {"IE", "NL"}, {"IE"}, {"GB"}, {"DE"}, {"AU"}, {"IN"}]
    assert draft.profile.subprocessor_clause == "Schedule 1, Part B"


def test_a_register_written_as_one_sentence() -> None:
    heading = ("Welke subverwerkers schakelen wij in?",)
    doc = build([
        B("Welke subverwerkers schakelen wij in?, paragraph 1",
          "Voor een aantal onderdelen schakelen wij andere partijen in. Wij maken gebruik van: Hetzner Online GmbH "
          "(hosting, Duitsland), Mailjet SAS (verzending van e-mail, Frankrijk) en Functional Software, Inc. "
          "(foutregistratie met Sentry, Verenigde Staten).", heading),
    ], language="nl")
    reg = extract_register(doc, tag_document(doc))
    assert [(e.name, e.service, e.countries) for e in reg.entries] == [
        ("Hetzner Online GmbH", "hosting", ("DE",)), ("Mailjet SAS", "verzending van e-mail", ("FR",)),
        ("Functional Software, Inc.", "foutregistratie met Sentry", ("US",))]
    assert reg.refs == {"Welke subverwerkers schakelen wij in?, paragraph 1"}
    assert reg.ref == "Welke subverwerkers schakelen wij in?"
    # one bracketed name after a colon is a sentence, not a register
    lone = build([B("Welke subverwerkers schakelen wij in?, paragraph 1", "Voor de foutregistratie geldt het "
                    "volgende: wij gebruiken Functional Software, Inc. (foutregistratie, Verenigde Staten) met "
                    "standaardcontractbepalingen.", heading)], language="nl")
    assert _from_run_on(lone.blocks[0], load_lexicon(), _country_patterns(load_lexicon())) == []


def test_a_lead_in_paragraph_under_a_question_heading_promises_its_bullets(tmp_path: Path) -> None:
    path = tmp_path / "dpa-dps.md"
    path.write_text("\n".join([
        "# Data Pro Statement", "",
        "## Welke beveiligingsmaatregelen zijn genomen?", "",
        "Wij hebben onder meer de volgende technische en organisatorische maatregelen genomen:", "",
        "- Alle verbindingen zijn versleuteld met TLS 1.2 of hoger.",
        "- Wij scannen onze systemen iedere week op kwetsbaarheden.", "",
        "## Bijlage 2: Maatregelen", "",
        "Verwerker heeft de volgende maatregelen genomen:", "",
        "- Inloggen kan alleen met tweefactorauthenticatie.", "",
    ]), encoding="utf-8")
    drafted = {c.ref: set(c.measures) for c in draft_profile(read_document(path), "t").profile.clauses}
    lead = "Welke beveiligingsmaatregelen zijn genomen?"
    assert drafted[f"{lead}, paragraph 1"] == {M.ENCRYPTION_IN_TRANSIT, M.VULNERABILITY_MANAGEMENT}
    assert drafted[f"{lead}, bullet 1"] == {M.ENCRYPTION_IN_TRANSIT}  # the items stay clauses
    # in an annex the clause that incorporates it promises the items; its opening sentence is no clause
    assert "Bijlage 2, paragraph 1" not in drafted and drafted["Bijlage 2, bullet 1"] == {M.ACCESS_CONTROL}


def test_english_has_no_inverted_controller_after_a_comma() -> None:
    text = ("Larchmere shall take all reasonable steps to contain the Personal Data Breach, shall keep the Customer "
            "informed of its investigation, and shall not notify any Data Subject without the Customer's prior "
            "written consent.")
    assert _promised(text) == {M.BREACH_NOTIFICATION}
    # the Dutch inversion still makes the controller the subject
    doc = build([B("2", "Indien de audit tekortkomingen toont, moet de Klant de kosten van herstel dragen.",
                   ("Beveiliging",))], language="nl")
    assert tag_document(doc)[-1].promised == ()


@pytest.mark.parametrize(("text", "expected"), [
    # UK law's transfer terms and tools
    ("The Supplier shall process personal data only on documented instructions, including with regard to "
     "Restricted Transfers.", {M.TRANSFER_SAFEGUARDS}),
    ("The Supplier shall enter into the IDTA with the recipient.", {M.TRANSFER_SAFEGUARDS}),
    # "only … in the United Kingdom or the European Economic Area" limits where the data is
    ("Larchmere shall host and store the data only in data centres located in the United Kingdom or the European "
     "Economic Area.", {M.EEA_RESIDENCY}),
    ("The Supplier shall ensure that every person it authorises to process the personal data is subject to a "
     "written duty of confidentiality.", {M.ACCESS_CONTROL}),
    ("The Supplier shall keep a record of every access to personal data by its staff.", {M.ACCESS_LOGGING}),
    ("The Supplier shall keep a record of processing activities under Article 30.", set()),
    ("Iedere sessie van een supportmedewerker wordt vastgelegd en is terug te zien in het auditlogboek.",
     {M.ACCESS_LOGGING}),
    ("Het BSN is uitsluitend zichtbaar voor gebruikers met de rol Administratie.", {M.ACCESS_CONTROL}),
    ("De app vraagt bij iedere start om een pincode of vingerafdruk.", {M.ACCESS_CONTROL}),
    ("Uw beheerder kan de app op afstand blokkeren.", {M.ACCESS_CONTROL}),
    ("De API is alleen bereikbaar vanaf de IP-adressen die u heeft opgegeven.", {M.NETWORK_SECURITY}),
    ("Administrative access is only possible through a bastion host.", {M.NETWORK_SECURITY, M.ACCESS_CONTROL}),
    ("The Supplier shall provide a copy of its current ISO/IEC 27001 certificate.",
     {M.AUDIT_RIGHTS, M.CERTIFICATION}),
    ("Each party shall bear its own costs of an audit.", set()),
    ("De kosten van een audit zijn voor uw rekening.", set()),
    ("Restoration from backup is tested at least every quarter.", {M.BACKUP_TESTING}),
    ("Back-ups are made daily and restored in a test environment every quarter.", {M.BACKUPS, M.BACKUP_TESTING}),
    ("Offices hold data only on encrypted laptops and visitors are escorted.",
     {M.ENCRYPTION_AT_REST, M.PHYSICAL_SECURITY}),
    ("De partij is gecertificeerd onder het EU-US Data Privacy Framework.", {M.TRANSFER_SAFEGUARDS}),
    ("Gegevens die wij op grond van de wet langer moeten bewaren, vallen niet onder deze verwijdering na het einde "
     "van de overeenkomst.", set()),
])
def test_lexicon_cues_and_vetoes_from_the_held_out_documents(text: str, expected: set[M]) -> None:
    assert _promised(text) == expected


def test_an_adequacy_country_beside_the_eea_is_eea_plus_adequacy() -> None:
    draft = draft_profile(read_document(CORPUS / "dpa-larchmere.pdf"), "t")
    assert draft.profile.parameters["residency"] == "eea+adequacy"
