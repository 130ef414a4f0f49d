"""The DPA tagger, parameters and register on documents built by hand (no reader involved):
which sentences promise which measures, what is no promise, the numbers, the register."""

from __future__ import annotations

import pytest
from dpa_documents import B, build

from auditpack.dpaimport.lexicon import load_lexicon
from auditpack.dpaimport.parameters import extract_parameters
from auditpack.dpaimport.register import extract_register, locate
from auditpack.dpaimport.tagger import Tagger, split_sentences, tag_document
from auditpack.model import Measure as M


def _tags(text: str, headings: tuple[str, ...] = ("Obligations of the Processor",), *, kind: str = "paragraph",
          lead_in: str | None = None) -> set[M]:
    blocks = []
    if lead_in:
        blocks.append(B("1", lead_in, headings))
    blocks.append(B("1, bullet 1" if lead_in else "2", text, headings, kind="bullet" if lead_in else "paragraph",  # type: ignore[arg-type]
                    level=1 if lead_in else 0))
    return set(tag_document(build(blocks))[-1].promised)


@pytest.mark.parametrize(("text", "expected"), [
    ("The Processor shall encrypt Personal Data at rest and in transit.",
     {M.ENCRYPTION_AT_REST, M.ENCRYPTION_IN_TRANSIT}),
    ("All connections to the service use TLS 1.2 or higher.", {M.ENCRYPTION_IN_TRANSIT}),
    # backups named as what is encrypted: an encryption promise, not a backup promise
    ("Databases and backups are stored on encrypted disks (AES-256).", {M.ENCRYPTION_AT_REST}),
    ("The Processor shall notify the Controller of a Personal Data Breach without undue delay.",
     {M.BREACH_NOTIFICATION}),
    ("Verwerker meldt een datalek binnen 24 uur aan Verwerkingsverantwoordelijke.", {M.BREACH_NOTIFICATION}),
    ("De Verwerker zal geen subverwerkers inschakelen zonder voorafgaande schriftelijke toestemming.",
     {M.SUBPROCESSOR_LIST}),
    ("The Processor shall not engage another processor without prior written authorisation.",
     {M.SUBPROCESSOR_LIST}),
    ("Multi-factor authentication is enforced for all administrative accounts.", {M.ACCESS_CONTROL}),
    ("Toegang tot persoonsgegevens is beperkt tot medewerkers die deze nodig hebben (need-to-know).",
     {M.ACCESS_CONTROL}),
    ("Security patches are applied within 14 days and systems are scanned for vulnerabilities monthly.",
     {M.VULNERABILITY_MANAGEMENT}),
    ("Firewalls and network segmentation separate production from office networks.", {M.NETWORK_SECURITY}),
    ("Datacenters are protected by access badges, CCTV and 24/7 guards.", {M.PHYSICAL_SECURITY}),
    ("The Processor holds an ISO/IEC 27001 certification covering the Services.", {M.CERTIFICATION}),
    ("Daily backups are made and restore tests are performed quarterly.", {M.BACKUPS, M.BACKUP_TESTING}),
    ("Upon termination of the Agreement the Processor shall delete all Personal Data.",
     {M.DELETION_ON_TERMINATION}),
    ("Na beëindiging van de Overeenkomst vernietigt Verwerker alle persoonsgegevens.", {M.DELETION_ON_TERMINATION}),
    ("Access to systems is logged and the logs are kept for 12 months.", {M.ACCESS_LOGGING}),
    ("The Processor shall process Personal Data only within the European Economic Area.", {M.EEA_RESIDENCY}),
    ("De Verwerker zal persoonsgegevens niet doorgeven aan een derde land zonder passende waarborgen.",
     {M.TRANSFER_SAFEGUARDS}),
    # a backup with its frequency is a backup promise, also when it says it is encrypted
    ("Encrypted backups are taken every night and kept for 35 days.", {M.BACKUPS, M.ENCRYPTION_AT_REST}),
    # backups deleted after their retention are a deletion, not a backup promise
    ("Backup copies are deleted when the backup retention period of 35 days expires.", {M.DELETION_ON_TERMINATION}),
    # a second data centre named as where copies go is continuity, not physical security
    ("The Processor shall back up the databases every night to a second data centre.", {M.BACKUPS}),
    # data centres named for the region they are in: residency, not physical security
    ("The Processor shall process the data exclusively in data centres in a Member State of the European Union.",
     {M.EEA_RESIDENCY}),
    ("The Processor ensures that the persons authorised to process the data are bound by confidentiality.",
     {M.ACCESS_CONTROL}),
])
def test_specific_words_promise_their_measure(text: str, expected: set[M]) -> None:
    assert _tags(text) == expected


@pytest.mark.parametrize("text", [
    # a general clause is not a promise of every measure
    "The Processor shall implement appropriate technical and organisational measures to protect Personal Data.",
    "Verwerker treft passende technische en organisatorische maatregelen.",
    # the controller's own duty
    "The Controller shall notify the supervisory authority of a personal data breach where required.",
    "De Verwerkingsverantwoordelijke is verantwoordelijk voor het melden van een datalek aan de toezichthouder.",
    # liability, costs and law are boilerplate, whatever they mention
    "The Processor's liability for a personal data breach is limited to the fees paid in 12 months.",
    "De kosten van de audit worden gedragen door de Klant, tenzij anders overeengekomen; voor rekening van de Klant.",
])
def test_general_clauses_controller_duties_and_boilerplate_promise_nothing(text: str) -> None:
    assert _tags(text) == set()


@pytest.mark.parametrize(("text", "not_this"), [
    # words that look like a measure but are not that measure
    ("The processor shall deal promptly and adequately with inquiries from the controller.",
     M.TRANSFER_SAFEGUARDS),  # no adequacy
    ("The processor may redact confidential information, including personal data, from the copy.",
     M.ACCESS_CONTROL),  # no persons
    ("Staff are appointed for implementing, managing and monitoring of the contract.", M.ACCESS_LOGGING),
    ("The contract may be terminated if compliance with these Clauses is not restored within one month.", M.BACKUPS),
    ("The processor is in substantial or persistent breach of these Clauses.", M.BREACH_NOTIFICATION),
    ("This includes protecting the data against a breach of security (personal data breach).",
     M.BREACH_NOTIFICATION),
    ("The Processor may claim reasonable remuneration for enabling inspections.", M.AUDIT_RIGHTS),  # costs
    ("Audits may include inspections at the premises or physical facilities of the processor.",
     M.PHYSICAL_SECURITY),
])
def test_look_alike_words_are_not_that_measure(text: str, not_this: M) -> None:
    assert not_this not in _tags(text)


def test_the_commissions_clauses_naming_themselves_are_no_transfer_tool() -> None:
    text = "This does not prevent the Parties from including the standard contractual clauses in a broader contract."
    assert _tags(text) == set()
    assert _tags("Transfers outside the EEA are made under the standard contractual clauses.") == \
        {M.TRANSFER_SAFEGUARDS}


def test_a_heading_does_not_lean_where_the_lexicon_vetoes_or_an_annex_holds_the_content() -> None:
    audits = ("7.6. Documentation and audits",)
    # the audit words are there, but for the supervisory authority: vetoed, and the heading adds nothing
    assert _tags("The Parties shall make the results of any audits available to the supervisory authority.",
                 audits) == set()
    breaches = ("9.2 Data breach concerning data processed by the processor",)
    assert _tags("The Parties shall set out in Annex III all other elements to be provided by the processor.",
                 breaches) == set()


def test_the_controller_consenting_in_dutch_is_the_processors_promise() -> None:
    assert _tags("De Verwerkingsverantwoordelijke stemt in met de inzet van de subverwerkers uit Bijlage A.",
                 ("Subverwerkers",)) == {M.SUBPROCESSOR_LIST}


def test_a_remedies_heading_leans_to_no_measure() -> None:
    heading = ("Clause 10 Non-compliance with the Clauses and termination",)
    assert _tags("The processor shall promptly inform the controller if it is unable to comply.", heading) == set()


def test_the_controllers_right_to_audit_is_a_promise_of_the_processor() -> None:
    assert _tags("The Controller may audit the Processor's compliance once per year.") == {M.AUDIT_RIGHTS}
    assert _tags("De Klant heeft het recht om audits uit te voeren.") == {M.AUDIT_RIGHTS}
    # but not the controller's duty to pay for it
    assert _tags("The Controller shall bear the costs of the audit.") == set()


def test_definitions_and_descriptions_promise_nothing() -> None:
    definition = "'Personal Data Breach' means a breach of security leading to loss of data."
    assert _tags(definition, ("Definitions",)) == set()
    assert _tags("Back-up", ("Annex 1: Description of the Services",), kind="bullet",
                 lead_in="The Processor provides the following services:") == set()
    # but a measures annex is full of promises, even in fragments
    assert _tags("Daily back-ups", ("Annex 2: Technical and organisational measures",), kind="bullet",
                 lead_in="The Processor has implemented:") == {M.BACKUPS}


def test_a_heading_leans_to_its_measure() -> None:
    assert _tags("The Processor shall make available all information necessary to demonstrate compliance.",
                 ("Audits",)) == {M.AUDIT_RIGHTS}
    assert _tags("Op verzoek zal de Verwerker de nodige informatie verstrekken.", ("Audit",)) == {M.AUDIT_RIGHTS}
    # a clause that says nothing specific under a neutral heading is left over, not tagged
    doc = build([B("4.1", "The Processor shall assist the Controller with data protection impact assessments.",
                   ("Assistance",))])
    [tags] = tag_document(doc)
    assert tags.promised == () and [s.text for s in tags.leftover] == [doc.blocks[0].text]


def test_the_sentence_is_the_unit_a_block_keeps_only_its_promises() -> None:
    doc = build([B("7.1", "The Controller is responsible for notifying data subjects. To enable this, the Processor "
                   "shall inform the Controller of any personal data breach within 36 hours.", ("Breaches",))])
    [tags] = tag_document(doc)
    assert tags.promised == (M.BREACH_NOTIFICATION,)
    promising = [s for s in tags.sentences if s.measures]
    assert len(promising) == 1 and promising[0].text.startswith("To enable this")
    why = tags.measures[0]
    assert "breach" in " ".join(why.phrases).casefold() and why.reasons and 0.5 <= why.confidence <= 0.99


def test_sentences_split_on_sentence_ends_not_on_abbreviations() -> None:
    text = "See art. 28 GDPR. The Processor shall, e.g. by TLS, protect data. Annex 2 applies."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "See art. 28 GDPR.", "The Processor shall, e.g. by TLS, protect data.", "Annex 2 applies."]


@pytest.mark.parametrize(("sentence", "hours"), [
    ("Verwerker meldt een datalek uiterlijk binnen 48 uur na ontdekking.", 48),
    ("Verwerker informeert de Klant over een datalek binnen twee werkdagen.", 48),
    ("The Processor shall notify the Controller of a Personal Data Breach within 72 hours.", 72),
    ("The Processor shall report any security incident within 24 hours of becoming aware of it.", 24),
    ("The Processor shall notify a data breach no later than seventy-two (72) hours after discovery.", 72),
    ("The Processor shall notify a data breach without undue delay and in any case within 36 hours, so that the "
     "Controller can meet its 72 hours deadline.", 36),
])
def test_breach_deadline_in_hours(sentence: str, hours: int) -> None:
    doc = build([B("8.1", sentence, ("Personal data breaches",))])
    params = extract_parameters(tag_document(doc))
    assert params.as_dict()["breach_deadline_hours"] == hours
    assert params.values[0].ref == "8.1"


@pytest.mark.parametrize("sentence", [
    "The Processor shall notify the Controller without undue delay after becoming aware of a personal data breach.",
    "Verwerker stelt Verwerkingsverantwoordelijke onverwijld op de hoogte van een datalek.",
    "Verwerker informeert de Klant binnen een redelijke termijn over een beveiligingsincident.",
])
def test_no_breach_hours_without_a_number(sentence: str) -> None:
    params = extract_parameters(tag_document(build([B("8.1", sentence, ("Meldplicht",))])))
    assert "breach_deadline_hours" not in params.as_dict()
    assert any(n.startswith("breach deadline: no number") for n in params.notes)


def test_deletion_days_audit_frequency_and_notice() -> None:
    doc = build([
        B("10.1", "The Controller may audit the Processor once per calendar year, on at least 30 days' prior written "
                  "notice.", ("Audits",)),
        B("12.2", "Within 30 days after termination of the Agreement, the Processor shall delete or return all "
                  "Personal Data.", ("Term and termination",)),
    ])
    params = extract_parameters(tag_document(doc))
    assert params.as_dict() == {"audit_frequency": "once a year; on 30 days' notice", "deletion_days": 30}
    assert {p.key: p.ref for p in params.values} == {"audit_frequency": "10.1", "deletion_days": "12.2"}


@pytest.mark.parametrize(("sentence", "residency"), [
    ("De Verwerker moet ervoor zorgen dat persoonsgegevens altijd binnen de EER worden opgeslagen.", "eea"),
    ("The Processor shall store and process Personal Data only within the European Economic Area.", "eea"),
    ("The Processor shall process Personal Data only in the EEA or in countries with an adequacy decision.",
     "eea+adequacy"),
    # the limit and the lawful transfers it allows in one clause (Voxio 3.1)
    ("Verwerker mag de persoonsgegevens verwerken in landen binnen de Europese Unie. Doorgifte naar landen buiten de "
     "Europese Unie is toegestaan, mits inachtneming van toepasselijke wet- en regelgeving.", "eea+adequacy"),
    ("De Verwerker mag persoonsgegevens niet overdragen naar landen buiten de EER zonder toestemming.", "eea"),
    ("Verwerker verwerkt gegevens binnen de EU of in landen met een passend beschermingsniveau.", "eea+adequacy"),
])
def test_residency(sentence: str, residency: str) -> None:
    params = extract_parameters(tag_document(build([B("3.1", sentence, ("Transfers",))])))
    assert params.as_dict()["residency"] == residency


@pytest.mark.parametrize("sentence", [
    # transfers under Chapter V or SCCs may go to any country: no location limit
    "The Processor may transfer Personal Data outside the EEA only to countries with an adequacy decision or "
    "under the Standard Contractual Clauses.",
    "Any transfer of data to a third country by the processor shall take place in compliance with Chapter V of "
    "Regulation (EU) 2016/679.",
    "The Processor may process personal data in any country in which it maintains facilities, provided that every "
    "transfer outside the European Economic Area is made under the standard contractual clauses.",
    "Doorgifte naar een land buiten de Europese Economische Ruimte is uitsluitend toegestaan na voorafgaande "
    "schriftelijke toestemming en met inachtneming van hoofdstuk V AVG.",
])
def test_a_transfer_clause_sets_no_residency(sentence: str) -> None:
    params = extract_parameters(tag_document(build([B("3.1", sentence, ("Transfers",))])))
    assert "residency" not in params.as_dict()
    assert any(n.startswith("residency:") for n in params.notes)


def test_no_residency_clause_leaves_a_note() -> None:
    params = extract_parameters(tag_document(build([B("3.1", "The Processor shall keep Personal Data confidential.",
                                                      ("Confidentiality",))])))
    assert "residency" not in params.as_dict() and any(n.startswith("residency:") for n in params.notes)


@pytest.mark.parametrize(("location", "countries", "eea"), [
    ("EEA (Germany)", ("DE",), True),
    ("Duitsland", ("DE",), False),
    ("Ierland (EU)", ("IE",), True),
    ("the Netherlands", ("NL",), False),
    ("Nederland en België", ("NL", "BE"), False),
    ("United States", ("US",), False),
    ("EER", (), True),
])
def test_locations_to_countries(location: str, countries: tuple[str, ...], eea: bool) -> None:
    found, says_eea = locate(location, load_lexicon())
    assert set(found) == set(countries) and says_eea is eea


def test_register_from_a_table_with_a_header() -> None:
    heading = ("Annex III – Approved Sub-processors",)
    header = ("Sub-processor", "Purpose", "Location of processing")
    rows = [("Hetzner Online GmbH", "Hosting", "Germany"), ("Amazon Web Services EMEA SARL", "Backups", "Ireland (EU)"),
            ("Postmark (ActiveCampaign LLC)", "Transactional e-mail", "United States")]
    doc = build([B("Annex III", "The Processor uses the following sub-processors:", heading)] + [
        B(f"Annex III, row {i}", "", heading, kind="table_row", cells=r, header=header)
        for i, r in enumerate(rows, 1)])
    reg = extract_register(doc, tag_document(doc))
    assert [(e.name, e.service, e.location, e.countries, e.eea) for e in reg.entries] == [
        ("Hetzner Online GmbH", "Hosting", "Germany", ("DE",), False),
        ("Amazon Web Services EMEA SARL", "Backups", "Ireland (EU)", ("IE",), True),
        ("Postmark (ActiveCampaign LLC)", "Transactional e-mail", "United States", ("US",), False)]
    assert reg.ref == "Annex III"


def test_register_from_rows_without_header_and_from_a_list() -> None:
    heading = ("Bijlage 3: Subverwerkers",)
    doc = build([
        B("Bijlage 3, row 1", "", heading, kind="table_row", cells=("Hetzner Online", "Hosting", "Duitsland")),
        B("Bijlage 3, row 2", "", heading, kind="table_row", cells=("Mailgun", "Verzenden van e-mail", "EER")),
    ])
    reg = extract_register(doc, tag_document(doc))
    assert [(e.name, e.service, e.countries, e.eea) for e in reg.entries] == [
        ("Hetzner Online", "Hosting", ("DE",), False), ("Mailgun", "Verzenden van e-mail", (), True)]
    listed = build([
        B("Sub-processors", "We use these sub-processors:", ("Sub-processors",)),
        B("Sub-processors, bullet 1", "Scaleway SAS (France) – object storage", ("Sub-processors",), kind="bullet",
          level=1),
        B("Sub-processors, bullet 2", "Sentry: error monitoring, United States", ("Sub-processors",), kind="bullet",
          level=1),
    ])
    reg = extract_register(listed, tag_document(listed))
    assert [(e.name, e.service, e.countries) for e in reg.entries] == [
        ("Scaleway SAS", "object storage", ("FR",)), ("Sentry", "error monitoring", ("US",))]


def test_a_data_category_table_is_not_a_register() -> None:
    header = ("Categorie", "Voorbeeld")
    doc = build([B("Bijlage C, row 1", "", ("Bijlage C – Persoonsgegevens",), kind="table_row",
                   cells=("Contactgegevens", "E-mailadres"), header=header)])
    assert extract_register(doc, tag_document(doc)).entries == ()


def test_tagger_is_deterministic() -> None:
    doc = build([B("6.3", "Toegangscontrole, SSL-versleuteling en dagelijkse back-ups.", ("Beveiliging",))])
    assert Tagger().tag_document(doc) == Tagger().tag_document(doc)
