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
    (EN, "The Processor shall implement role-based access control and review access rights "
     "quarterly.",
     "access_control"),
    (NL, "Verwerker hanteert een autorisatiebeleid waarbij medewerkers alleen toegang krijgen tot de "
     "gegevens die zij nodig hebben.",
     "access_control"),
    (EN, "Security events are recorded in an audit trail that cannot be altered.",
     "access_logging"),
    (NL, "Verwerker bewaart logbestanden van de toegang tot persoonsgegevens gedurende zes maanden.",
     "access_logging"),
    (EN, "The Processor performs regular vulnerability scans and remediates critical vulnerabilities "
     "within 7 days.",
     "vulnerability_management"),
    (NL, "Verwerker voert periodiek kwetsbaarheidsscans uit.",
     "vulnerability_management"),
    (EN, "The Processor maintains an Information Security Management System certified under ISO/IEC "
     "27001:2022.",
     "certification"),
    (NL, "Verwerker is gecertificeerd volgens NEN 7510.",
     "certification"),
    (NL, "Back-ups worden dertig dagen bewaard op een tweede locatie.",
     "backups"),
    (EN, "The Processor shall, at the choice of the Controller, delete or return all the personal "
     "data to the Controller after the end of the provision of services.",
     "deletion_on_termination"),
    (NL, "Bij beëindiging van de Overeenkomst zal Verwerker de persoonsgegevens op verzoek "
     "teruggeven en vervolgens verwijderen.",
     "deletion_on_termination"),
    (EN, "The Processor shall inform the Controller of any intended changes concerning the addition "
     "or replacement of other processors.",
     "subprocessor_list"),
    (NL, "Verwerker informeert Verwerkingsverantwoordelijke vooraf over een nieuwe subverwerker.",
     "subprocessor_list"),
    (EN, "The Processor shall allow for and contribute to audits, including inspections, conducted "
     "by the Controller or another auditor mandated by the Controller.",
     "audit_rights"),
    (NL, "Verwerker werkt mee aan audits door of namens Verwerkingsverantwoordelijke.",
     "audit_rights"),
    (EN, "The Processor shall notify the Controller without undue delay after becoming aware of a "
     "Personal Data Breach.",
     "breach_notification"),
    (NL, "Verwerker informeert Verwerkingsverantwoordelijke onverwijld over een inbreuk in verband "
     "met persoonsgegevens.",
     "breach_notification"),
    (EN, "Internal networks are protected by firewalls and intrusion detection systems.",
     "network_security"),
    (NL, "Verwerker maakt gebruik van een web application firewall en DDoS-bescherming.",
     "network_security"),
    (EN, "Data in transit over public networks is protected with TLS.",
     "encryption_in_transit"),
    (EN, "Hard disks are fully encrypted.",
     "encryption_at_rest"),
    (NL, "Verwerker gebruikt schijfversleuteling op alle servers.",
     "encryption_at_rest"),
    (EN, "Transfers to third countries are subject to appropriate safeguards as set out in Article "
     "46 GDPR.",
     "transfer_safeguards"),
    (EN, "Where Personal Data is transferred to the United States, the parties rely on the EU-U.S. "
     "Data Privacy Framework.",
     "transfer_safeguards"),
    (EN, "The recoverability of backups is verified at least quarterly.",
     "backup_testing"),
    (NL, "Verwerker voert jaarlijks een hersteltest uit.",
     "backup_testing"),
    (EN, "The Processor shall keep its systems up to date with security patches.",
     "vulnerability_management"),
    (NL, "Persoonsgegevens worden opgeslagen in datacenters in Nederland en verlaten de EER niet.",
     "eea_residency"),
    (EN, "The Processor keeps the list of its sub-processors up to date on its website.",
     "subprocessor_list"),
    (NL, "Verwerker houdt een actuele lijst van subverwerkers bij op zijn website.",
     "subprocessor_list"),
    (EN, "The Processor shall back up all personal data daily.",
     "backups"),
    (EN, "Employees authenticate with two factors before they can access personal data.",
     "access_control"),
    (EN, "The Processor hardens its servers according to CIS benchmarks.",
     "vulnerability_management"),
    (EN, "The data centres are guarded around the clock and entry requires a badge.",
     "physical_security"),
    (NL, "Verwerker segmenteert zijn netwerk.",
     "network_security"),
    (NL, "Verwerker bewaakt en logt de toegang tot persoonsgegevens.",
     "access_logging"),
    (NL, "Toegang tot de productieomgeving vereist tweefactorauthenticatie.",
     "access_control"),
    (NL, "Het datacenter is beveiligd met toegangscontrole, camera's en alarmopvolging.",
     "physical_security"),
    (NL, "Verwerker draagt er zorg voor dat persoonsgegevens versleuteld worden opgeslagen.",
     "encryption_at_rest"),
    (EN, "The Processor will promptly install security updates.",
     "vulnerability_management"),
    (NL, "Verwerker installeert beveiligingspatches binnen 30 dagen.",
     "vulnerability_management"),
    (EN, "The Processor uses a web application firewall.",
     "network_security"),
    (EN, "Passwords are stored hashed and salted.",
     "access_control"),
    (NL, "Verwerker draagt zorg voor de versleuteling van persoonsgegevens tijdens het transport "
     "over openbare netwerken.",
     "encryption_in_transit"),
    (NL, "Verwerker draagt er zorg voor dat alleen bevoegde medewerkers toegang hebben tot de "
     "persoonsgegevens.",
     "access_control"),
    (NL, "Alle handelingen van beheerders worden vastgelegd in een logbestand.",
     "access_logging"),
    (NL, "Er wordt dagelijks een reservekopie gemaakt van de database.",
     "backups"),
    (NL, "Verwerker laat zijn informatiebeveiliging jaarlijks toetsen aan ISO 27001 door een "
     "geaccrediteerde certificerende instelling.",
     "certification"),
    (NL, "Verwerker stelt Verwerkingsverantwoordelijke onverwijld, doch uiterlijk binnen 24 uur, op "
     "de hoogte van een datalek.",
     "breach_notification"),
    (NL, "Verwerker zal geen gebruik maken van een derde partij (subverwerker) zonder voorafgaande "
     "schriftelijke toestemming.",
     "subprocessor_list"),
    (NL, "Na beëindiging van de Overeenkomst zal Verwerker binnen dertig dagen alle persoonsgegevens "
     "verwijderen.",
     "deletion_on_termination"),
    (NL, "Verwerker voert regelmatig kwetsbaarheidsanalyses en penetratietesten uit.",
     "vulnerability_management"),
    (NL, "Verwerker zorgt voor een adequate netwerkbeveiliging, waaronder firewalls.",
     "network_security"),
    (NL, "Serverruimtes zijn alleen toegankelijk voor geautoriseerd personeel en voorzien van "
     "inbraakdetectie.",
     "physical_security"),
    (NL, "Verwerker test minimaal jaarlijks of de back-ups volledig kunnen worden hersteld.",
     "backup_testing"),
    (NL, "Doorgifte aan landen buiten de EER vindt uitsluitend plaats met inachtneming van hoofdstuk "
     "V van de AVG.",
     "transfer_safeguards"),
    (NL, "Gegevensdragers worden versleuteld opgeslagen.",
     "encryption_at_rest"),
    (NL, "Verwerkingsverantwoordelijke is gerechtigd om eenmaal per jaar een audit uit te (laten) "
     "voeren.",
     "audit_rights"),
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
    (EN, "The Controller determines the purposes and means of the processing."),
    (EN, "The Processor shall process Personal Data only on documented instructions from the "
     "Controller."),
    (EN, "The Processor shall assist the Controller in responding to requests from data subjects."),
    (NL, "Verwerker verwerkt de persoonsgegevens uitsluitend in opdracht van "
     "Verwerkingsverantwoordelijke."),
    (EN, "The Processor shall assist the Controller with data protection impact assessments."),
    (EN, "The Controller shall pay the Processor's reasonable costs of assistance."),
    (NL, "Verwerker is niet aansprakelijk voor schade die ontstaat doordat "
     "Verwerkingsverantwoordelijke onjuiste gegevens aanlevert."),
    (EN, "This Agreement shall remain in force as long as the Processor processes Personal Data on "
     "behalf of the Controller."),
    (EN, "Notices under this Agreement shall be sent by e-mail to the addresses stated above."),
    (NL, "Verwerker stelt Verwerkingsverantwoordelijke in staat om te voldoen aan verzoeken van "
     "betrokkenen."),
    (EN, "The Processor shall keep a record of all categories of processing activities carried out "
     "on behalf of the Controller."),
    (EN, "The Controller is responsible for the encryption of data on its own devices."),
    (NL, "Verwerkingsverantwoordelijke draagt zelf zorg voor de beveiliging van zijn eigen netwerk "
     "en apparatuur."),
    (EN, "The Processor shall correct or erase personal data at the request of the Controller."),
    (NL, "Verwerker past de persoonsgegevens aan of verwijdert ze op verzoek van "
     "Verwerkingsverantwoordelijke."),
    (EN, "The Processor may not use the Personal Data for its own purposes."),
    (EN, "The Controller shall inform the Processor of any changes to its encryption requirements."),
    (EN, "The Processor shall not be liable for loss of data caused by the Controller's failure to "
     "make backups."),
    (EN, "The Processor shall assist the Controller in ensuring compliance with the obligations "
     "pursuant to Articles 32 to 36 GDPR."),
    (EN, "Deletion requests from data subjects are forwarded to the Controller without delay."),
    (EN, "The Controller may not perform penetration tests on the Service without the Processor's "
     "prior consent."),
    (NL, "Verwerkingsverantwoordelijke mag geen kwetsbaarheidsscans uitvoeren zonder toestemming van "
     "Verwerker."),
    (NL, "Verwerkingsverantwoordelijke zorgt zelf voor een versleutelde verbinding tussen zijn "
     "netwerk en de dienst."),
    (EN, "The Processor shall immediately inform the Controller if, in its opinion, an instruction "
     "infringes the GDPR."),
    (NL, "Verwerker stelt Verwerkingsverantwoordelijke onverwijld op de hoogte als een instructie "
     "naar zijn oordeel inbreuk maakt op de AVG."),
    (EN, "Backups of the Controller's own systems are outside the scope of this Agreement."),
    (NL, "Partijen zullen in geval van een geschil eerst overleg voeren."),
    (NL, "Verwerker informeert Verwerkingsverantwoordelijke over verzoeken van een toezichthouder."),
    (EN, "The Controller is responsible for assessing whether the security measures are appropriate "
     "for its processing."),
    (NL, "Verwerkingsverantwoordelijke beoordeelt zelf of de beveiligingsmaatregelen passend zijn."),
    (EN, "The Controller shall ensure that only its authorised users have access to its account."),
    (NL, "Verwerkingsverantwoordelijke is verantwoordelijk voor het beheer van de gebruikersaccounts "
     "en wachtwoorden van zijn medewerkers."),
    (EN, "The Processor may use anonymised data for improving its services."),
    (EN, "This Agreement may be amended only in writing."),
    (NL, "Verwerker mag geanonimiseerde gegevens gebruiken voor statistische doeleinden."),
    (EN, "The Controller shall notify the Processor without undue delay of any errors in the "
     "personal data."),
    (EN, "Users log in to the Service with their e-mail address and password."),
    (NL, "Gebruikers loggen in met hun e-mailadres."),
    (EN, "The Controller shall keep its login credentials confidential."),
    (NL, "Verwerker zal passende technische en organisatorische maatregelen treffen om de "
     "persoonsgegevens te beveiligen."),
    (NL, "Verwerker zal zich inspannen om de dienstverlening zo goed mogelijk uit te voeren."),
    (NL, "Verwerker verwerkt de persoonsgegevens uitsluitend ten behoeve van de uitvoering van de "
     "Overeenkomst."),
    (NL, "Deze verwerkersovereenkomst is een aanvulling op de Hoofdovereenkomst."),
    (NL, "Verwerkingsverantwoordelijke garandeert dat de verwerking rechtmatig is."),
    (NL, "Verwerker houdt de persoonsgegevens geheim en verstrekt ze niet aan derden, tenzij de wet "
     "dat vereist."),
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


def test_one_sentence_can_promise_two_measures(tmp_path: Path) -> None:
    assert _measures(tmp_path, EN, "All personal data is encrypted in transit and at rest.") == {
        "encryption_in_transit", "encryption_at_rest"}


_LOG = "The Processor shall log all access to personal data."


@pytest.mark.parametrize(("name", "text", "ref"), [
    ("article.txt", f"Data Processing Agreement\n\nARTICLE 5 – SECURITY\n5.1 The Processor shall in particular:\n"
                    f"(a) {_LOG[18:-1]};\n(b) apply security patches within 14 days.\n", "Article 5.1 (a)"),
    ("paragraph.txt", f"Agreement on Commissioned Processing\n\n§ 5 Security\n(1) {_LOG}\n", "§ 5 (1)"),
    ("dotted.txt", f"Data Processing Agreement\n\n5. Security\n5.1. {_LOG}\n5.1.1. Backups are made daily.\n", "5.1"),
    ("unnumbered.txt", f"Data Processing Agreement\n\nClause 5: Security\n{_LOG}\n", "Clause 5"),
    ("roman.txt", f"Data Processing Agreement\n\nV. SECURITY\n1. {_LOG}\n\nVI. AUDITS\n1. Audits once a year.\n",
     "V.1"),
    ("headings.md", f"# Data Processing Agreement\n\n## 5 Security\n\n### 5.1 Records\n\n{_LOG}\n", "5.1"),
    ("artikel.txt", "Verwerkersovereenkomst\n\nArtikel 5. Beveiliging\n1. Verwerker logt alle toegang tot "
                    "persoonsgegevens.\n", "Artikel 5 lid 1"),
])
def test_the_verb_log_is_access_logging_under_any_numbering(tmp_path: Path, name: str, text: str, ref: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    drafted = tomllib.loads(draft_profile(read_document(path), "agreement").toml)
    assert {c["ref"]: c["measures"] for c in drafted["clauses"]}[ref] == ["access_logging"]




_ADDENDUM = (
    "Data Processing Addendum\n"
    "\n"
    "Recitals\n"
    "A. Customer wishes to engage Provider to host personal data in the European Union.\n"
    "B. This Addendum reflects the parties' agreement with regard to the processing of personal "
    "data.\n"
    "\n"
    "1. Definitions\n"
    "1.1 \"Personal Data Breach\" means a breach of security leading to the accidental or unlawful "
    "destruction, loss, alteration, unauthorised disclosure of, or access to, Personal Data.\n"
    "1.2 \"Sub-processor\" means any processor engaged by Provider to process Customer Personal Data.\n"
    "1.3 \"EEA\" means the European Economic Area.\n"
    "1.4 \"Standard Contractual Clauses\" means the clauses annexed to Commission Implementing "
    "Decision (EU) 2021/914.\n"
    "1.5 \"Security Measures\" means the technical and organisational measures described in Schedule "
    "2, including encryption and backups.\n"
    "\n"
    "2. Security\n"
    "2.1 Provider shall encrypt Customer Personal Data at rest using AES-256.\n"
    "\n"
    "3. Order of precedence\n"
    "3.1 In the event of a conflict between this Addendum and the Standard Contractual Clauses, the "
    "Standard Contractual Clauses prevail.\n"
    "3.2 Nothing in this Addendum reduces Provider's obligations under the Agreement in relation to "
    "the protection of Personal Data or permits Provider to process Personal Data in a manner "
    "prohibited by the Agreement.\n"
    "3.3 Headings such as \"Audits\" and \"Backups\" are for convenience only.\n"
    "\n"
    "4. Personal Data Breach\n"
    "4.1 Provider shall notify Customer of a Personal Data Breach without undue delay and in any "
    "event within 48 hours.\n"
)


def test_recitals_definitions_precedence_and_headings_promise_nothing(tmp_path: Path) -> None:
    path = tmp_path / "addendum.txt"
    path.write_text(_ADDENDUM, encoding="utf-8")
    drafted = tomllib.loads(draft_profile(read_document(path), "addendum").toml)
    assert {c["ref"]: c["measures"] for c in drafted["clauses"]} == {
        "2.1": ["encryption_at_rest"], "4.1": ["breach_notification"]}
