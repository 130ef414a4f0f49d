"""General rules found by the third pair of held-out DPAs (a US-SaaS addendum as .docx with
typed numbers, a Flemish agreement with three-level numbering): a register written as
"Naam (dienst, land)", a sentence that ends on an annex's name ("… in Exhibit B. Corvana …"), an
annex with lettered sub-headings ("A. Fysieke beveiliging"), a clause that incorporates an
annex while another of its sentences tags, and the lexicon cues and vetoes they showed."""

from __future__ import annotations

from pathlib import Path

import pytest
from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.register import extract_register
from auditpack.dpaimport.tagger import split_sentences, tag_document
from auditpack.model import Measure as M

CORPUS = Path(__file__).parent / "data" / "dpa"


def _drafted(name: str) -> dict[str, set[M]]:
    return {c.ref: set(c.measures) for c in draft_profile(read_document(CORPUS / name), "t").profile.clauses}


def _promised(text: str, headings: tuple[str, ...] = ("Obligations of the Processor",)) -> set[M]:
    return set(tag_document(build([B("2", text, headings)]))[-1].promised)


def test_register_items_with_service_and_country_in_one_bracket() -> None:
    heading = ("Bijlage 2 – Lijst van subverwerkers",)
    doc = build([
        B("Bijlage 2, bullet 1", "Combell NV (hosting van het platform en de databanken, België)", heading,
          kind="bullet"),
        B("Bijlage 2, bullet 2", "Twilio Inc. (verzending van sms-berichten, Verenigde Staten)", heading,
          kind="bullet"),
        B("Bijlage 2, bullet 3", "Acme Mail Ltd (EEA; transactional e-mail)", heading, kind="bullet"),
    ], language="nl")
    reg = extract_register(doc, tag_document(doc))
    assert [(e.name, e.service, e.location, e.countries, e.eea) for e in reg.entries] == [
        ("Combell NV", "hosting van het platform en de databanken", "België", ("BE",), False),
        ("Twilio Inc.", "verzending van sms-berichten", "Verenigde Staten", ("US",), False),
        ("Acme Mail Ltd", "transactional e-mail", "EEA", (), True)]
    assert reg.refs >= {"Bijlage 2, bullet 1", "Bijlage 2, bullet 2", "Bijlage 2, bullet 3"}  # rows, no clauses


def test_the_flemish_register_is_read_whole_and_its_rows_are_no_clauses() -> None:
    draft = draft_profile(read_document(CORPUS / "dpa-blauwdistel.txt"), "t")
    assert [(e.name, e.countries) for e in draft.profile.subprocessors] == [
        ("Combell NV", ("BE",)), ("Proximus NV", ("BE",)), ("Leaseweb Netherlands B.V.", ("NL",)),
        ("Brevo SAS", ("FR",)), ("Mollie B.V.", ("NL",)), ("Freshworks GmbH", ("DE",)), ("Twilio Inc.", ("US",))]
    assert not any(c.ref.startswith("Bijlage 2, bullet") for c in draft.profile.clauses)


def test_a_sentence_ends_after_an_annex_name_but_not_after_a_list_letter() -> None:
    text = "Corvana shall implement the Security Measures described in Exhibit B. Corvana may update them."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Corvana shall implement the Security Measures described in Exhibit B.", "Corvana may update them."]
    assert len(split_sentences("The measures in Annex 2. They apply.")) == 2
    assert len(split_sentences("The Processor shall, under point b. Of the Annex, act.")) == 1


def test_lettered_sub_headings_in_an_annex_are_numbered_under_it() -> None:
    blocks = {b.ref: b for b in read_document(CORPUS / "dpa-blauwdistel.txt").blocks}
    assert blocks["Bijlage 1, A"].text == "Fysieke beveiliging"
    assert blocks["Bijlage 1, B, bullet 2"].text.startswith("Wachtwoorden bestaan uit minstens veertien tekens")
    # recitals "A. de Verantwoordelijke …" outside an annex keep their place
    assert blocks["OVERWEGENDE DAT, paragraph 1"].text.startswith("A. de Verantwoordelijke")


def test_a_clause_incorporating_an_annex_promises_its_items_also_with_a_tagged_sentence() -> None:
    nl = _drafted("dpa-blauwdistel.txt")
    annex = set().union(*(m for ref, m in nl.items() if ref.startswith("Bijlage 1, ")))
    assert {M.PHYSICAL_SECURITY, M.BACKUP_TESTING, M.NETWORK_SECURITY} <= annex
    assert nl["Art. 4.3"] == annex  # "… de maatregelen toe die in Bijlage 1 zijn opgesomd"
    us = _drafted("dpa-corvana.docx")
    exhibit = set().union(*(m for ref, m in us.items() if ref.startswith("Exhibit B, ")))
    # "… the Security Measures described in Exhibit B. Corvana may update the Security Measures …, provided
    # that such updates …": the second sentence tags on its own, the first still incorporates Exhibit B
    assert exhibit <= us["6.2"] and {M.PHYSICAL_SECURITY, M.ACCESS_LOGGING, M.BACKUP_TESTING} <= exhibit


@pytest.mark.parametrize(("text", "expected"), [
    ("de toegang tot de productieomgeving vereist een persoonlijke account en tweestapsverificatie.",
     {M.ACCESS_CONTROL}),
    ("Administrators sign in with two-step verification.", {M.ACCESS_CONTROL}),
    ("De Verwerker verleent zijn medewerkers slechts toegang tot de Persoonsgegevens voor zover dat voor de "
     "uitoefening van hun taken noodzakelijk is.", {M.ACCESS_CONTROL}),
    ("De Verwerker zorgt ervoor dat iedere persoon die onder zijn gezag toegang heeft tot de Persoonsgegevens, "
     "gebonden is door een contractuele of wettelijke geheimhoudingsplicht.", {M.ACCESS_CONTROL}),
    # an auditor bound by confidentiality is a condition of the audit, not access control
    ("The audit shall be carried out by an independent auditor bound by confidentiality obligations.",
     {M.AUDIT_RIGHTS}),
    # where data at rest is kept is residency, not encryption
    ("Corvana shall store Customer Personal Data at rest only in data centers located within the EEA.",
     {M.EEA_RESIDENCY}),
    ("Customer Personal Data at rest is protected with AES-256.", {M.ENCRYPTION_AT_REST}),
    # the US general clause promises no measure in particular
    ("Corvana shall maintain appropriate administrative, physical and technical safeguards designed to protect "
     "Customer Personal Data.", set()),
    # a penetration tester is no sub-processor
    ("Corvana shall engage an independent third party to perform penetration testing at least annually.",
     {M.VULNERABILITY_MANAGEMENT}),
    ("Data centers are guarded by on-site security staff around the clock.", {M.PHYSICAL_SECURITY}),
    ("Upon termination, Corvana shall certify the deletion of Customer Personal Data in writing.",
     {M.DELETION_ON_TERMINATION}),
    ("Corvana shall bind each Sub-processor by contract so that no Sub-processor causes Corvana to breach any of its "
     "obligations.", {M.SUBPROCESSOR_LIST}),
    # a web address is where the list is, no promise of HTTPS
    ("Corvana maintains a list of its Sub-processors at https://www.example.com/legal/subprocessors.",
     {M.SUBPROCESSOR_LIST}),
    ("All connections to the service use HTTPS.", {M.ENCRYPTION_IN_TRANSIT}),
])
def test_lexicon_cues_and_vetoes_from_the_held_out_documents(text: str, expected: set[M]) -> None:
    assert _promised(text) == expected


def test_a_title_only_member_ends_at_its_next_sibling(tmp_path: Path) -> None:
    """"4.4. Certificering" titles 4.4.1 and 4.4.2, not 4.5; an article heading and a list that
    restarts under a numbered heading keep theirs."""
    path = tmp_path / "dpa-titles.txt"
    path.write_text("\n\n".join([
        "Verwerkersovereenkomst", "Art. 4 – Beveiliging",
        "4.4. Certificering",
        "4.4.1. De Verwerker beschikt over een ISO/IEC 27001-certificaat.",
        "4.5. De Verwerker evalueert de maatregelen jaarlijks.",
        "5. Audit",
        "1. De Verantwoordelijke mag eenmaal per jaar een audit uitvoeren.",
        "2. De kosten van de audit zijn voor de Verantwoordelijke.",
    ]) + "\n", encoding="utf-8")
    blocks = {b.ref: b for b in read_document(path).blocks}
    assert blocks["Art. 4.4.1"].headings[-1] == "Certificering"
    assert blocks["Art. 4.5"].headings[-1] == "Beveiliging"
    assert blocks["1"].headings[-1] == "Audit" and blocks["2"].headings[-1] == "Audit"  # restarted under "5. Audit"
