"""Clear-cut sentences, one per measure and language, each written for this test: a promise
of the processor's gets its measure and no other, and a sentence that promises none of the
16 (the controller's own duty, a contract term, a definition) gets none. The tagger is
judged here apart from any corpus document's wording."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document

EN = ("Data Processing Agreement\n\n1. Obligations of the Processor\n"
      "1.1 The Processor shall notify the Controller of a breach within 48 hours.\n1.2 {x}\n")
NL = ("Verwerkersovereenkomst\n\nArtikel 1 Verplichtingen van Verwerker\n"
      "1.1 Verwerker meldt een datalek binnen 48 uur.\n1.2 {x}\n")

PROMISES = [
    (EN, "The Processor logs all access to personal data and retains the logs for 12 months.",
     "access_logging"),
    (NL, "Verwerker registreert alle toegang tot persoonsgegevens in logbestanden.",
     "access_logging"),
    (EN, "The Processor applies security patches within 14 days of their release.",
     "vulnerability_management"),
    (NL, "Verwerker laat jaarlijks een penetratietest uitvoeren door een onafhankelijke partij.",
     "vulnerability_management"),
    (EN, "The Processor protects its networks with firewalls and network segmentation.",
     "network_security"),
    (NL, "Verwerker scheidt zijn netwerken met firewalls.",
     "network_security"),
    (EN, "Data centres are protected by physical access control, CCTV and 24/7 security staff.",
     "physical_security"),
    (NL, "De datacenters zijn fysiek beveiligd met toegangspassen en camerabewaking.",
     "physical_security"),
    (EN, "The Processor is certified to ISO/IEC 27001.",
     "certification"),
    (NL, "Verwerker beschikt over een geldig ISO 27001-certificaat.",
     "certification"),
    (EN, "Restores from backups are tested at least once a year.",
     "backup_testing"),
    (EN, "All personal data is stored encrypted using AES-256.",
     "encryption_at_rest"),
    (NL, "Opgeslagen persoonsgegevens worden versleuteld.",
     "encryption_at_rest"),
    (EN, "All connections to the service use TLS 1.2 or higher.",
     "encryption_in_transit"),
    (NL, "Gegevens worden uitsluitend via een versleutelde verbinding (TLS) verzonden.",
     "encryption_in_transit"),
    (EN, "Access to personal data is restricted to employees who need it and protected with "
     "multi-factor authentication.",
     "access_control"),
    (NL, "Medewerkers van Verwerker hebben alleen toegang tot persoonsgegevens voor zover dat nodig "
     "is voor hun werkzaamheden.",
     "access_control"),
    (EN, "After termination of the Agreement the Processor shall delete all personal data.",
     "deletion_on_termination"),
    (NL, "Na het einde van de overeenkomst vernietigt Verwerker alle persoonsgegevens.",
     "deletion_on_termination"),
    (EN, "Transfers of personal data to third countries take place only on the basis of the Standard "
     "Contractual Clauses.",
     "transfer_safeguards"),
    (NL, "Doorgifte naar een derde land vindt alleen plaats op basis van de "
     "standaardcontractbepalingen.",
     "transfer_safeguards"),
    (EN, "Personal data is processed exclusively within the European Economic Area.",
     "eea_residency"),
    (NL, "Persoonsgegevens worden uitsluitend binnen de EER verwerkt.",
     "eea_residency"),
    (EN, "The Processor shall not engage another processor without the prior written authorisation "
     "of the Controller.",
     "subprocessor_list"),
    (NL, "Verwerker schakelt geen subverwerker in zonder voorafgaande schriftelijke toestemming van "
     "Verwerkingsverantwoordelijke.",
     "subprocessor_list"),
    (EN, "The Controller may audit the Processor's compliance with this Agreement.",
     "audit_rights"),
    (NL, "Verwerkingsverantwoordelijke heeft het recht de naleving van deze overeenkomst te laten "
     "controleren door een onafhankelijke deskundige.",
     "audit_rights"),
    (EN, "The Processor makes a backup of all personal data every day.",
     "backups"),
    (NL, "Verwerker maakt dagelijks een back-up van alle gegevens.",
     "backups"),
    (EN, "Administrators log in with two-factor authentication.",
     "access_control"),
    (NL, "Verwerker houdt zijn systemen actueel met beveiligingsupdates.",
     "vulnerability_management"),
]

NO_PROMISES = [
    (EN, "The Controller is responsible for making backups of its own data."),
    (NL, "Verwerkingsverantwoordelijke is zelf verantwoordelijk voor het maken van back-ups van zijn "
     "gegevens."),
    (EN, "The Controller shall keep its own systems up to date with security patches."),
    (EN, "This Agreement is governed by the laws of the Netherlands."),
    (EN, "The Processor's total liability under this Agreement is limited to the fees paid in the "
     "twelve months before the claim."),
    (NL, "Partijen houden de inhoud van deze overeenkomst vertrouwelijk."),
    (EN, "The Controller warrants that it has a lawful basis for the processing."),
    (NL, "Deze overeenkomst treedt in werking op de datum van ondertekening en eindigt op het moment "
     "dat de hoofdovereenkomst eindigt."),
    (EN, "The Controller shall ensure that its users keep their passwords secret."),
    (NL, "Verwerkingsverantwoordelijke staat ervoor in dat zijn gebruikers hun wachtwoorden geheim "
     "houden."),
    (EN, "The Processor may charge the Controller for the costs of an audit at its usual rates."),
    (EN, "Invoices are payable within 30 days."),
    (NL, "Verwerker controleert periodiek de naleving van de beveiligingsmaatregelen."),
    (EN, "The Processor shall regularly assess compliance with its security policies."),
]


def _measures(tmp_path: Path, template: str, sentence: str) -> set[str]:
    path = tmp_path / "agreement.txt"
    path.write_text(template.format(x=sentence), encoding="utf-8")
    drafted = tomllib.loads(draft_profile(read_document(path), "agreement").toml)
    return {m for c in drafted.get("clauses", []) if c["ref"].endswith("1.2") for m in c["measures"]}


@pytest.mark.parametrize(("template", "sentence", "measure"), PROMISES)
def test_a_clear_promise_gets_its_measure_and_no_other(tmp_path: Path, template: str, sentence: str,
                                                       measure: str) -> None:
    assert _measures(tmp_path, template, sentence) == {measure}


@pytest.mark.parametrize(("template", "sentence"), NO_PROMISES)
def test_a_sentence_that_promises_no_measure_gets_none(tmp_path: Path, template: str, sentence: str) -> None:
    assert _measures(tmp_path, template, sentence) == set()
