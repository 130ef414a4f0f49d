"""General rules found by the fifth pair of held-out DPAs (an Irish-English .docx with Word's
automatic numbering and table annexes, a Dutch hosting provider's plain-text agreement): a
capitals caption after the parties' comma ("OVERWEGENDE DAT:") opens the recitals instead of
running on, "Label: value" entries of a description annex, the controller's own responsibility
wherever it stands, an exception to a duty, a controller's right under a sub-processor heading,
a deletion heading, register locations given as cities or cloud regions, and the lexicon cues and
vetoes they showed."""

from __future__ import annotations

from pathlib import Path

import pytest
from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.lexicon import load_lexicon
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.register import locate
from auditpack.dpaimport.scoring import load_gold
from auditpack.dpaimport.tagger import tag_document
from auditpack.model import Measure as M

CORPUS = Path(__file__).parent / "data" / "dpa"


def _promised(text: str, headings: tuple[str, ...] = ("Obligations of the Processor",), language: str = "en") -> set[M]:
    return set(tag_document(build([B("2", text, headings)], language=language))[-1].promised)


def test_a_caption_in_capitals_after_the_parties_comma_opens_the_recitals(tmp_path: Path) -> None:
    path = tmp_path / "dpa-recitals.txt"
    path.write_text("\n\n".join([
        "VERWERKERSOVEREENKOMST",
        "hierna gezamenlijk te noemen: \"Partijen\" en ieder afzonderlijk: \"Partij\",",
        "OVERWEGENDE DAT:",
        "A. Acme diensten levert op het gebied van webhosting, e-mail en back-up;",
        "KOMEN OVEREEN ALS VOLGT:",
        "Artikel 1 – Beveiliging",
        "1.1 Acme maakt dagelijks een back-up van alle gegevens.",
    ]) + "\n", encoding="utf-8")
    document = read_document(path)
    blocks = {b.ref: b for b in document.blocks}
    parties = next(b for b in document.blocks if b.text.startswith("hierna"))
    assert parties.text.endswith("\"Partij\",")  # the comma no longer swallows the caption
    recital = next(b for b in document.blocks if b.text.startswith("A. Acme"))
    assert recital.headings == ("OVERWEGENDE DAT",)
    tags = {t.block.ref: t for t in tag_document(document)}
    assert tags[recital.ref].promised == ()  # a recital naming "back-up" promises nothing
    assert blocks["Artikel 1.1"].text.startswith("Acme maakt dagelijks")
    assert M.BACKUPS in tags["Artikel 1.1"].promised


def test_labelled_entries_of_a_description_annex_promise_nothing() -> None:
    head = ("Specificatie van de Verwerking",)
    doc = build([
        B("Bijlage 1, paragraph 1", "Aard en doel van de Verwerking: het hosten van websites en databases, het maken "
          "van back-ups en het bieden van technische ondersteuning.", head),
        B("Bijlage 1, paragraph 2", "Soorten Persoonsgegevens: naam- en adresgegevens, IP-adressen en logbestanden.",
          head),
        # an entry that commits to something is still read
        B("Bijlage 1, paragraph 3", "Bewaartermijn: Acme verwijdert de gegevens binnen 30 dagen na het einde van "
          "de overeenkomst.", head),
    ], language="nl")
    tags = tag_document(doc)
    assert tags[0].promised == () and tags[0].excluded is not None
    assert tags[1].promised == ()
    assert tags[2].promised == (M.DELETION_ON_TERMINATION,)


@pytest.mark.parametrize("text", [
    "Bij een VPS zonder managed hosting is Opdrachtgever zelf verantwoordelijk voor de beveiliging van het "
    "besturingssysteem, waaronder het installeren van updates en het beheer van wachtwoorden en firewallregels.",
    "Het is aan Opdrachtgever om te beoordelen of het Datalek binnen 72 uur moet worden gemeld aan de Autoriteit "
    "Persoonsgegevens.",
    "The Customer is responsible for notifying the Supervisory Authority of a Personal Data Breach.",
])
def test_the_controllers_own_responsibility_is_no_promise_wherever_it_stands(text: str) -> None:
    assert _promised(text, ("Beveiliging",), "nl") == set()


def test_the_processors_responsibility_is_still_its_promise() -> None:
    assert _promised("Acme is verantwoordelijk voor het maken van dagelijkse back-ups.", ("Beveiliging",), "nl") \
        == {M.BACKUPS}


def test_an_exception_to_a_duty_promises_nothing() -> None:
    text = ("De geheimhoudingsplicht geldt niet voor zover een wettelijke verplichting Acme tot verstrekking "
            "verplicht.")
    assert _promised(text, ("Geheimhouding en toegang",), "nl") == set()
    assert _promised("Clauses 10.2 and 10.3 do not apply to data the Processor must keep by law.",
                     ("Return and Deletion",)) == set()


@pytest.mark.parametrize(("text", "language"), [
    ("The Customer may object to the intended change on reasonable grounds relating to data protection within "
     "fourteen (14) days.", "en"),
    ("Opdrachtgever kan binnen veertien (14) dagen na die kennisgeving gemotiveerd bezwaar maken.", "nl"),
])
def test_a_controllers_right_under_a_sub_processor_heading_is_that_promise(text: str, language: str) -> None:
    assert _promised(text, ("Subverwerkers",), language) == {M.SUBPROCESSOR_LIST}
    # not under any heading: a right without words of a measure stays untagged
    assert _promised(text, ("Diversen",), language) == set()


OBL, AUDIT, TRANSFER = ("Obligations of the Processor",), ("Audits",), ("Location of Processing and Transfers",)


@pytest.mark.parametrize(("text", "heading", "language", "expected"), [
    # a second factor is access control, also when staff "loggen … in" (not logging)
    ("Medewerkers loggen op de beheersystemen in met een persoonlijk account en tweefactorauthenticatie.", OBL, "nl",
     {M.ACCESS_CONTROL}),
    # a sample test of restores is backup testing, not an audit
    ("Het terugzetten van back-ups wordt ieder kwartaal steekproefsgewijs getest.", OBL, "nl", {M.BACKUP_TESTING}),
    ("De Klant mag steekproefsgewijs de naleving van deze overeenkomst controleren.", OBL, "nl", {M.AUDIT_RIGHTS}),
    # media destroyed by a certified company: no certification, no physical security
    ("Afgedankte opslagmedia worden fysiek vernietigd door een gecertificeerd bedrijf, dat daarvan een "
     "vernietigingscertificaat afgeeft.", OBL, "nl", set()),
    # data centres named for their country say where the data is
    ("Acme slaat de Persoonsgegevens uitsluitend op in datacenters in Nederland en Duitsland.", OBL, "nl",
     {M.EEA_RESIDENCY}),
    ("De datacenters beschikken over toegangscontrole met pas en biometrie en cameratoezicht.", OBL, "nl",
     {M.PHYSICAL_SECURITY}),
    # a notice is no admission
    ("A notification by the Processor under this Clause is not an acknowledgement of fault or liability.",
     ("Personal Data Breaches",), "en", set()),
    # a request of a public authority is the transfer clauses' safeguard, not residency
    ("If the Processor receives a legally binding request from a public authority for disclosure of personal data, "
     "it shall notify the Customer promptly.", TRANSFER, "en", {M.TRANSFER_SAFEGUARDS}),
    # a breach as the exception of an audit limit is the audit's occasion
    ("Audits may take place no more than once in any twelve (12) months, save where required by law or following "
     "a Personal Data Breach.", AUDIT, "en", {M.AUDIT_RIGHTS}),
    ("Following a Personal Data Breach, the Processor shall take all reasonable steps to contain it.", OBL, "en",
     {M.BREACH_NOTIFICATION}),
])
def test_lexicon_cues_and_vetoes_from_the_fifth_held_out_pair(text: str, heading: tuple[str, ...], language: str,
                                                               expected: set[M]) -> None:
    assert _promised(text, heading, language) == expected


def test_the_hosting_agreement_drafts_its_promises_and_parameters() -> None:
    draft = draft_profile(read_document(CORPUS / "dpa-wadlicht.txt"), "t")
    measures = {c.ref: set(c.measures) for c in draft.profile.clauses}
    assert not any(ref.startswith(("Bijlage 1", "OVERWEGENDE")) for ref in measures)
    assert "Artikel 5.5" not in measures and "Artikel 7.4" not in measures and "Artikel 3.3" not in measures
    assert measures["Artikel 6.3"] == {M.SUBPROCESSOR_LIST}
    assert measures["Artikel 4.3"] == {M.TRANSFER_SAFEGUARDS}
    assert M.ACCESS_CONTROL in measures["Artikel 5.2"] and M.CERTIFICATION not in measures["Artikel 5.2"]
    assert draft.profile.parameters["breach_deadline_hours"] == 48
    assert draft.profile.parameters["deletion_days"] == 30
    assert draft.profile.parameters["residency"] == "eea"
    assert {s.name for s in draft.profile.subprocessors} >= {"Equinix (Netherlands) B.V.", "Stichting NBIP",
                                                             "Wadlicht Support Sp. z o.o."}


def test_the_docx_table_annex_is_incorporated_and_its_register_read() -> None:
    draft = draft_profile(read_document(CORPUS / "dpa-ferrycroft.docx"), "t")
    measures = {c.ref: set(c.measures) for c in draft.profile.clauses}
    assert measures["Annex 2, row 5"] == {M.ENCRYPTION_IN_TRANSIT, M.ENCRYPTION_AT_REST}
    assert {M.BACKUP_TESTING, M.PHYSICAL_SECURITY, M.CERTIFICATION} <= measures["4.2"]
    assert M.BREACH_NOTIFICATION not in measures.get("6.5", set())
    assert draft.profile.parameters["breach_deadline_hours"] == 48
    assert len(draft.profile.subprocessors) == 7


def test_a_heading_that_names_deletion_leans_to_it_a_termination_heading_does_not() -> None:
    text = ("Upon the Customer's written request, the Processor shall confirm in writing that it has complied with "
            "this Clause 10.")
    assert _promised(text, ("Return and Deletion of Customer Personal Data",)) == {M.DELETION_ON_TERMINATION}
    assert _promised("Op verzoek zal Acme schriftelijk bevestigen dat zij dit artikel is nagekomen.",
                     ("Teruggave en verwijdering van gegevens",), "nl") == {M.DELETION_ON_TERMINATION}
    assert _promised(text, ("Term and Termination",)) == set()


@pytest.mark.parametrize(("location", "codes"), [
    ("AWS eu-central-1 and eu-west-1", ("DE", "IE")),  # each region code is its country (data/geo.json)
    ("Frankfurt am Main", ("DE",)),
    ("Parijs", ("FR",)),
    ("Krakau (Polen)", ("PL",)),
    ("Dublin, Ohio, United States", ("US",)),  # a named country wins over a city
    ("Global edge network", ()),
])
def test_a_register_location_given_as_a_city_or_cloud_region_has_its_country(location: str,
                                                                             codes: tuple[str, ...]) -> None:
    assert locate(location, load_lexicon())[0] == codes


@pytest.mark.parametrize(("document", "gold"), [("dpa-ferrycroft.docx", "ferrycroft"),
                                                ("dpa-wadlicht.txt", "wadlicht")])
def test_the_held_out_registers_have_the_countries_of_their_cities(document: str, gold: str) -> None:
    draft = draft_profile(read_document(CORPUS / document), "t")
    expected = load_gold(str(CORPUS / "gold" / f"{gold}.toml"))
    assert {s.name: tuple(s.countries) for s in draft.profile.subprocessors} == \
        {s.name: tuple(s.countries) for s in expected.subprocessors}


@pytest.mark.parametrize("text", [
    "This DPA applies to all processing of personal data carried out by the Processor, or by any Sub-processor on "
    "its behalf, in connection with the Services.",
    "The Processor may process personal data in any country in which it or its Sub-processors maintain facilities.",
    "De Verwerker en zijn subverwerkers verwerken de persoonsgegevens uitsluitend voor het leveren van de dienst.",
])
def test_sub_processors_named_beside_the_processor_are_no_sub_processor_promise(text: str) -> None:
    assert M.SUBPROCESSOR_LIST not in _promised(text, ("Scope",))


def test_engaging_or_listing_sub_processors_still_is() -> None:
    assert _promised("The Processor shall inform the Controller of any intended addition of its Sub-processors.",
                     ("Scope",)) == {M.SUBPROCESSOR_LIST}


def test_a_clause_pointing_at_the_register_annex_takes_no_measure_from_its_rows() -> None:
    register = ("Schedule 3 – Sub-processors",)
    header = ("Entity", "Purpose", "Location")
    doc = build([
        B("9.2", "The Processor shall provide the Services only from the places set out in Schedule 3.",
          ("9. Transfers",)),
        B("Schedule 3, paragraph 1", "The Customer approves the following Sub-processors:", register),
        B("Schedule 3, row 1", "", register, kind="table_row",
          cells=("Datadog, Inc.", "Infrastructure monitoring and log management", "Germany"), header=header),
        B("Schedule 3, row 2", "", register, kind="table_row",
          cells=("Cloudflare, Inc.", "DDoS protection and firewall", "United States"), header=header),
    ])
    clause = tag_document(doc)[0]
    assert M.ACCESS_LOGGING not in clause.promised and M.NETWORK_SECURITY not in clause.promised
