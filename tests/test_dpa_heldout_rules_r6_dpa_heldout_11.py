"""General rules found by the sixth round's held-out pair (a US/Irish SaaS click-through
addendum as PDF with run-in titled clauses, a Dutch plain-language "wij/jij" agreement in
Markdown): Markdown paragraphs of one line each, a sentence cut by a page break before a
capitalised word, a sentence ending on a two-letter word, a register bullet "Name (service) –
City, Country", a clause's run-in title, and the lexicon cues and vetoes they showed. Every
sentence here is invented for the test."""

from __future__ import annotations

from pathlib import Path

from dpa_documents import B, build

from auditpack.dpaimport.layout import text_units
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.register import extract_register
from auditpack.dpaimport.tagger import split_sentences, tag_document
from auditpack.model import Measure as M


def _promised(text: str, headings: tuple[str, ...] = ("Obligations of the Processor",), ref: str = "2",
              language: str = "en") -> set[M]:
    return set(tag_document(build([B(ref, text, headings)], language=language))[-1].promised)


# -- reader -----------------------------------------------------------------------------------

def test_markdown_paragraphs_of_one_line_each_are_not_a_double_spaced_export(tmp_path: Path) -> None:
    lines = ["# Verwerkersovereenkomst", "", "## 4. Opslag", ""]
    lines += [f"4.{n} Wij bewaren gegevens nummer {n} zorgvuldig en netjes op onze eigen servers." for n in range(1, 7)]
    lines += ["Elke nacht kopiëren wij alles naar een tweede locatie.", "",
              "Voor je eigen wachtwoorden ben je zelf verantwoordelijk."]
    path = tmp_path / "dpa.md"
    path.write_text("\n\n".join(lines), "utf-8")  # an empty line after every line: plain Markdown
    blocks = {b.ref: b.text for b in read_document(path).blocks}
    assert blocks["4.6"].endswith("op onze eigen servers.")
    assert blocks["4, paragraph 1"] == "Elke nacht kopiëren wij alles naar een tweede locatie."
    assert blocks["4, paragraph 2"].startswith("Voor je eigen wachtwoorden")


def test_a_page_break_cuts_a_sentence_before_a_capitalised_defined_term() -> None:
    units = text_units([
        "3.1 Confidentiality. The Provider shall ensure that its staff engaged in the Processing of Customer",
        "",
        "Personal Data are bound by written confidentiality agreements.",
        "",
        "3.2 Access. The Provider shall limit access to staff who need it.",
    ], wrapped=True)
    assert [u.text for u in units] == [
        "3.1 Confidentiality. The Provider shall ensure that its staff engaged in the Processing of Customer "
        "Personal Data are bound by written confidentiality agreements.",
        "3.2 Access. The Provider shall limit access to staff who need it."]


def test_a_title_or_a_register_line_without_punctuation_is_not_cut_by_a_page_break() -> None:
    units = text_units([
        "Security of the Processing",
        "",
        "The Provider shall protect the data.",
        "",
        "Northwind Hosting Ltd – Hosting of the platform and its databases – Ireland",
        "",
        "Contoso Mail GmbH – Sending of e-mail notifications – Germany",
    ], wrapped=True)
    assert len(units) == 4


def test_a_sentence_may_end_on_a_two_letter_word() -> None:
    text = "Ons datacenter is gecertificeerd, zoals het hoort te zijn. Alleen medewerkers met een pas komen binnen."
    assert len(split_sentences(text)) == 2
    text = "The clause applies as set out in (a. above) and in ii. below, and nothing else applies."
    assert len(split_sentences(text)) == 1


# -- register ---------------------------------------------------------------------------------

def test_a_register_bullet_with_the_service_in_brackets_and_the_city_after_the_dash() -> None:
    heading = ("Subverwerkers",)
    doc = build([
        B("6.2", "Op dit moment werken wij met deze subverwerkers:", heading),
        B("6.2, bullet 1", "Noorderlicht Hosting B.V. (opslag van de back-ups) – Groningen, Nederland", heading,
          kind="bullet", level=1),
        B("6.2, bullet 2", "Contoso Mail GmbH (verzending van e-mail) – Berlijn, Duitsland", heading,
          kind="bullet", level=1),
        B("6.2, bullet 3", "Functional Widgets, Inc. (Widgetry) – Error monitoring – United States", heading,
          kind="bullet", level=1),
    ], language="nl")
    reg = extract_register(doc, tag_document(doc))
    assert [(e.name, e.service, e.location, e.countries) for e in reg.entries] == [
        ("Noorderlicht Hosting B.V.", "opslag van de back-ups", "Groningen, Nederland", ("NL",)),
        ("Contoso Mail GmbH", "verzending van e-mail", "Berlijn, Duitsland", ("DE",)),
        ("Functional Widgets, Inc. (Widgetry)", "Error monitoring", "United States", ("US",))]
    assert {"6.2, bullet 1", "6.2, bullet 2", "6.2, bullet 3"} <= reg.refs  # entries, not clauses


# -- run-in titles ----------------------------------------------------------------------------

def test_a_run_in_title_is_the_clauses_heading_not_a_promise_of_its_own() -> None:
    # the title names backups, the clause deletes them
    assert _promised("Backups. Copies held in backups are deleted within ninety days after the end of the "
                     "agreement.", ("Return and Deletion",), "9.3") == {M.DELETION_ON_TERMINATION}
    # "Updates." is no patching promise; the clause revises the measures
    assert _promised("Updates. The Provider may update or modify the measures from time to time, provided that "
                     "the overall security does not degrade.", ("Security",), "5.2") == set()
    # a title about fault or liability makes the clause boilerplate
    assert _promised("No Admission of Fault. The Provider's notice of a Security Incident is given without "
                     "admitting anything.", ("Security Incidents",), "6.4") == set()


def test_a_run_in_title_names_the_measure_the_clauses_words_did_not() -> None:
    assert M.AUDIT_RIGHTS in _promised(
        "On-site Audits. Where the reports do not suffice, or where required by a supervisory authority, the "
        "Customer may conduct an inspection of the Provider's premises once per year.", ("Audits",), "7.2")
    # a title naming a location limits nothing: a limit must be written out
    assert M.EEA_RESIDENCY not in _promised(
        "Hosting Location. The Provider and its vendors may process the data in any country where they have "
        "facilities.", ("Transfers",), "8.1")


# -- lexicon cues and vetoes ------------------------------------------------------------------

def test_plain_language_jij_je_is_the_controller_and_als_opens_a_subordinate_clause() -> None:
    assert _promised("Jij beslist of het datalek gemeld moet worden bij de toezichthouder.", ("Datalekken",),
                     language="nl") == set()
    assert M.DELETION_ON_TERMINATION in _promised("Als je bij ons weggaat, verwijderen we al je bestanden binnen "
                                                  "dertig dagen.", ("In het kort",), language="nl")
    assert M.ACCESS_CONTROL in _promised("Iedereen die met jouw bestanden werkt, heeft een "
                                         "geheimhoudingsverklaring getekend.", ("Personeel",), language="nl")


def test_advice_to_the_controller_is_no_promise() -> None:
    assert _promised("Dat raden we sterk aan, want met alleen een wachtwoord kan een ander je account overnemen.",
                     ("Moet ik inloggen met twee stappen?",), language="nl") == set()
    assert _promised("We strongly recommend that you enable multi-factor authentication for every user.") == set()
    assert M.ACCESS_CONTROL in _promised("The Provider enforces multi-factor authentication for its administrators.")


def test_a_critical_leak_in_software_is_a_vulnerability_not_a_data_breach() -> None:
    assert _promised("Bij een kritiek lek installeren wij de beveiligingsupdate binnen een dag.",
                     ("Beveiliging",), language="nl") == {M.VULNERABILITY_MANAGEMENT}
    assert M.BREACH_NOTIFICATION in _promised("Wij melden een datalek aan de klant binnen twee dagen.",
                                              ("Beveiliging",), language="nl")


def test_a_websites_certificate_visitors_and_connections_are_encryption_in_transit() -> None:
    assert _promised("Alle verbindingen met de servers zijn versleuteld en elke site krijgt een SSL-certificaat, "
                     "zodat bezoekers via https verbinden.", ("Beveiliging",), language="nl") == \
        {M.ENCRYPTION_IN_TRANSIT}


def test_a_data_centres_certificate_shown_on_request_is_no_physical_security() -> None:
    promised = _promised("Wij laten de klant op verzoek zien hoe wij ons aan deze afspraken houden, met het "
                         "ISO 27001-certificaat van ons datacenter.", ("Controle",), language="nl")
    assert M.AUDIT_RIGHTS in promised
    assert M.PHYSICAL_SECURITY not in promised


def test_staff_open_a_mailbox_only_when_needed_is_access_control() -> None:
    assert M.ACCESS_CONTROL in _promised("Onze beheerders openen een mailbox alleen als dat nodig is voor een "
                                         "storing.", ("Beveiliging",), language="nl")


def test_the_noun_information_in_a_description_entry_obliges_nobody() -> None:
    doc = build([B("Schedule 1, paragraph 5", "Categories of Personal Data: names, device information, usage and "
                   "activity logs", ("DETAILS OF THE PROCESSING",))])
    assert tag_document(doc)[-1].promised == ()


def test_fault_status_updates_and_roles_promise_nothing() -> None:
    assert _promised("A notice of a Security Incident under this Section will not be construed as an "
                     "acknowledgement by the Provider of any fault.", ("Security Incidents",)) == set()
    assert M.VULNERABILITY_MANAGEMENT not in _promised(
        "The Provider shall contain the Security Incident and shall provide timely updates to the Customer.",
        ("Security Incidents",))
    assert M.SUBPROCESSOR_LIST not in _promised(
        "The Customer is the controller and the Provider is a processor (or, where the Customer is a processor, "
        "a sub-processor).", ("Roles",))


def test_an_export_window_at_the_end_and_backups_that_disappear_are_the_deletion_promise() -> None:
    assert M.DELETION_ON_TERMINATION in _promised("After termination of the agreement the Customer may export its "
                                                  "data for thirty days.", ("Term",))
    promised = _promised("Na het einde verdwijnen je bestanden ook uit de back-ups, die wij twee weken bewaren.",
                         ("Einde van de overeenkomst",), language="nl")
    assert promised == {M.DELETION_ON_TERMINATION}


def test_no_transfer_outside_the_eea_unless_consented_is_a_safeguard_not_a_limit() -> None:
    promised = _promised("Wij geven geen gegevens door naar een land buiten de EER, tenzij de klant daar vooraf "
                         "schriftelijk mee instemt.", ("Doorgifte",), language="nl")
    assert M.TRANSFER_SAFEGUARDS in promised
    assert M.EEA_RESIDENCY not in promised


def test_a_contact_section_and_costs_at_the_controllers_expense_promise_nothing() -> None:
    assert _promised("Beveiligingsincidenten: security@example.nl", ("Contact",), language="nl") == set()
    assert _promised("Een audit is op jouw kosten.", ("Wat kost een audit?",), language="nl") == set()
