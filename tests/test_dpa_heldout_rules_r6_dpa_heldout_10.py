"""General rules found by the seventh pair of held-out DPAs (a German company's English
"Agreement on Commissioned Data Processing" with the classic German TOM catalogue as its annex,
a Dutch healthcare SaaS's Verwerkersovereenkomst with a "Zorgaanbieder" as .docx): the
reader's annex sections, bare pipe tables and headings with a legal citation; the tagger's
"agreed as binding" incorporation, the care provider as controller, definitions, instruction
and rectification headings, connections, access restrictions, TOM-catalogue wording, survival
clauses, TPM reports and recovery-time targets. Every sentence here is invented for the test."""

from __future__ import annotations

from pathlib import Path

from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.tagger import tag_document
from auditpack.model import Measure as M


def _promised(text: str, headings: tuple[str, ...] = ("Security",), language: str = "en") -> set[M]:
    return set(tag_document(build([B("2", text, headings)], language=language))[-1].promised)  # type: ignore[arg-type]


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "dpa-catalogue.txt"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


_AGREEMENT = [
    "Data Processing Agreement",
    "This agreement sets out the obligations of the Supplier, who hosts and supports the booking software for the "
    "Customer, under Art. 28 GDPR; it applies to every activity in which staff of the Supplier or persons engaged by "
    "it may come into contact with personal data of the Customer.",
    "§ 1 Security",
    "(1) The measures listed in Annex 1 are agreed as binding for the processing.",
    "(2) The Supplier shall notify the Customer of a personal data breach within 48 hours.",
    "§ 2 Subcontractors",
    "(1) The Customer approves the subcontractors named in Annex 2.",
    "Annex 1 - Security measures",
    "1. Confidentiality (Art. 32 para. 1 lit. b GDPR)",
    "Entry control",
    "- Server rooms are protected by badge readers and video surveillance.",
    "Authorisation control",
    "Measures ensuring that persons entitled to use a system can reach only the data covered by their entitlement.",
    "- Authorisations are reviewed every quarter by the system owner.",
    "2. Procedures for testing, assessing and evaluating (Art. 32 para. 1 lit. d GDPR; Art. 25 para. 1 GDPR)",
    "- Nightly backups are written to a second site.",
    "Annex 2 - Subcontractors",
    "Company | Service | Country",
    "Example Hosting AG | Virtual servers | Austria\nExample Mail SARL | Newsletters | France",
]


def test_a_group_heading_inside_a_numbered_annex_section_hangs_from_that_section(tmp_path: Path) -> None:
    refs = {b.ref: b.text for b in read_document(_write(tmp_path, _AGREEMENT)).blocks}
    assert refs["Annex 1, 1, Entry control, bullet 1"].startswith("Server rooms")
    assert refs["Annex 1, 1, Authorisation control, bullet 1"].startswith("Authorisations")
    # a group heading straight under the annex keeps the annex as its parent ("Appendix 2, Logging")
    flat = _write(tmp_path, ["Appendix 2 - Measures", "Logging", "- Access to the database is logged."])
    assert "Appendix 2, Logging, bullet 1" in {b.ref for b in read_document(flat).blocks}


def test_a_numbered_title_with_a_legal_citation_in_brackets_is_a_heading(tmp_path: Path) -> None:
    blocks = {b.ref: b for b in read_document(_write(tmp_path, _AGREEMENT)).blocks}
    assert blocks["Annex 1, 2"].kind == "heading"
    assert blocks["Annex 1, 2, bullet 1"].headings[-1].startswith("Procedures for testing")
    # a sentence that only ends in a citation stays a paragraph
    text = _write(tmp_path, ["§ 3 Audits", "(1) The Customer may inspect the processing once a year, on thirty days' "
                             "notice given in writing to the Supplier (Art. 28 para. 3 lit. h GDPR)."])
    assert {b.ref: b.kind for b in read_document(text).blocks}["§ 3 (1)"] == "paragraph"


def test_a_text_table_of_bare_pipe_separated_cells_is_a_register(tmp_path: Path) -> None:
    document = read_document(_write(tmp_path, _AGREEMENT))
    rows = [b for b in document.blocks if b.kind == "table_row"]
    assert [r.cells for r in rows] == [("Example Hosting AG", "Virtual servers", "Austria"),
                                       ("Example Mail SARL", "Newsletters", "France")]
    register = draft_profile(document, "catalogue").profile.subprocessors
    assert [(s.name, list(s.countries)) for s in register] == [("Example Hosting AG", ["AT"]),
                                                              ("Example Mail SARL", ["FR"])]
    # one line with a pipe in prose is no table
    single = read_document(_write(tmp_path, ["Annex 2", "Hosting | see the order form."]))
    assert not [b for b in single.blocks if b.kind == "table_row"]


def test_measures_agreed_as_binding_incorporate_the_annex(tmp_path: Path) -> None:
    clauses = {c.ref: set(c.measures) for c in
               draft_profile(read_document(_write(tmp_path, _AGREEMENT)), "catalogue").profile.clauses}
    assert {M.PHYSICAL_SECURITY, M.ACCESS_CONTROL, M.BACKUPS} <= clauses["§ 1 (1)"]
    assert clauses["Annex 1, 1, Authorisation control, bullet 1"] == {M.ACCESS_CONTROL}


def test_the_care_provider_is_the_controller() -> None:
    heading = ("Artikel 5 Beveiliging",)
    assert not _promised("De Zorgaanbieder is zelf verantwoordelijk voor het blokkeren van de accounts van "
                         "vertrokken medewerkers.", heading, "nl")
    assert M.SUBPROCESSOR_LIST in _promised("De Zorgaanbieder kan binnen tien werkdagen bezwaar maken tegen de "
                                            "nieuwe partij.", ("Artikel 9 Subverwerkers",), "nl")


def test_a_duty_reserved_to_the_controller_promises_nothing() -> None:
    heading = ("Artikel 7 Meldplicht",)
    assert not _promised("Het informeren van de toezichthouder over een Datalek is voorbehouden aan de "
                         "Zorginstelling.", heading, "nl")
    assert M.BREACH_NOTIFICATION in _promised("Leverancier meldt ieder Datalek binnen 24 uur aan de "
                                              "Zorginstelling.", heading, "nl")


def test_a_term_defined_within_the_meaning_of_this_provision_promises_nothing() -> None:
    heading = ("§ 7 Subcontractors",)
    assert not _promised("Subcontractors within the meaning of this provision are only companies that host or "
                         "support the service.", heading)
    assert M.SUBPROCESSOR_LIST in _promised("Subcontractors within the meaning of this provision shall be engaged "
                                            "only with the Customer's prior consent.", heading)


def test_dutch_recitals_and_a_preamble_are_no_promises() -> None:
    for heading in ("Overwegingen", "Preamble"):
        assert not _promised("Partij A verlangt dat leveranciers gecertificeerd zijn volgens ISO 27001.",
                             (heading,), "nl"), heading


def test_instruction_and_rectification_headings_lean_to_no_measure() -> None:
    assert not _promised("The Supplier shall tell the Customer at once if an instruction appears unlawful.",
                         ("§ 4 Authority to give instructions",))
    assert not _promised("The Supplier shall pass on such requests to the Customer without delay.",
                         ("§ 5 Rectification and erasure of data",))
    assert M.DELETION_ON_TERMINATION in _promised("The Supplier shall delete the data on request.",
                                                  ("§ 9 Deletion of data",))


def test_an_encrypted_connection_is_transit_and_mutual_authentication_no_access_control() -> None:
    promised = _promised("Koppelingen met het laboratoriumsysteem lopen over een versleutelde verbinding met "
                         "wederzijdse authenticatie.", ("Artikel 5 Beveiliging",), "nl")
    assert promised == {M.ENCRYPTION_IN_TRANSIT}
    assert M.ACCESS_CONTROL in _promised("Beheerders melden zich aan met authenticatie via een hardwaretoken.",
                                         ("Artikel 5 Beveiliging",), "nl")


def test_access_denied_by_default_and_the_tom_catalogues_access_wording() -> None:
    for text in ("Supportmedewerkers hebben geen toegang tot dossiers, tenzij de klant daarom vraagt.",
                 "Write permissions are granted on the basis of the authorisation concept.",
                 "User authorisations are reviewed by the data owner twice a year.",
                 "The number of administrators is kept to the minimum the operation needs.",
                 "De sessie wordt na tien minuten inactiviteit afgesloten."):
        assert M.ACCESS_CONTROL in _promised(text, ("Measures",)), text
    assert M.ACCESS_CONTROL not in _promised("Visitors have no access to the server room without an escort.",
                                             ("Measures",))
    assert M.ACCESS_CONTROL not in _promised("Any authorisations granted for a new subcontractor are documented.",
                                             ("Measures",))


def test_dutch_log_data_is_logging_and_monitoring_processes_is_not() -> None:
    assert M.ACCESS_LOGGING in _promised("Alle loggegevens van het portaal worden een jaar bewaard.",
                                         ("Maatregelen",), "nl")
    assert M.ACCESS_LOGGING not in _promised("The Supplier monitors its internal processes and its technical and "
                                             "organisational measures regularly.", ("§ 6 Obligations",))


def test_sub_processors_named_as_who_also_processes_and_a_replaced_sub_processor() -> None:
    heading = ("Artikel 8 Doorgifte",)
    assert M.SUBPROCESSOR_LIST not in _promised(
        "Leverancier bewaart de gegevens alleen in Nederland en laat ze ook door subverwerkers alleen daar bewaren.",
        heading, "nl")
    assert M.SUBPROCESSOR_LIST in _promised(
        "Leverancier meldt vooraf wanneer hij een partij toevoegt of een subverwerker vervangt.", heading, "nl")


def test_breach_documentation_on_request_is_no_audit_right() -> None:
    promised = _promised("The Supplier keeps a record of every security incident and shows this documentation to "
                         "the Customer upon request.", ("§ 8 Incidents",))
    assert M.AUDIT_RIGHTS not in promised and M.BREACH_NOTIFICATION in promised
    assert M.AUDIT_RIGHTS in _promised("The Supplier shall hand over its security documentation upon request.",
                                       ("§ 9 Verification",))


def test_a_survival_clause_and_retention_beyond_the_end_are_no_deletion_promise() -> None:
    heading = ("§ 10 Deletion and return",)
    assert not _promised("Clause 10 shall remain in force until the data have been returned or deleted.",
                         ("§ 1 Term",))
    assert not _promised("Invoices shall be kept beyond the end of the contract for the statutory period.", heading)
    assert M.DELETION_ON_TERMINATION in _promised("The Supplier shall erase all data at the end of the contract.",
                                                  heading)


def test_a_third_party_mededeling_is_certification() -> None:
    assert M.CERTIFICATION in _promised("Leverancier laat jaarlijks een TPM opstellen over de beveiliging van de "
                                        "dienst.", ("Artikel 9 Audit",), "nl")


def test_a_recovery_time_target_is_no_backup_promise() -> None:
    assert M.BACKUPS not in _promised("A contingency plan sets a recovery time of at most six hours.", ("Continuity",))
    assert M.BACKUPS in _promised("A full backup is made every night.", ("Continuity",))
