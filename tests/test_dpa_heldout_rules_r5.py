"""General rules found by the sixth pair of held-out DPAs (a US "Customer Data Processing
Addendum" mixing GDPR and CCPA terms that completes the EU SCCs' annexes, a Dutch HR/payroll
Verwerkersovereenkomst): the SCCs' long Annex II title in capitals is a heading, the SCC
form's own questions promise nothing (only the answers do), long SCC Annex I.B labels make a
description entry, the fields of a "Name: / Description of the processing:" register entry
name services, a third-party SOC 2 / ISO surveillance audit is certification and not the
controller's audit right, and "do not materially decrease" is a revision of the measures."""

from __future__ import annotations

from pathlib import Path

from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.tagger import tag_document
from auditpack.model import Measure as M

_SCC_TITLE = ("ANNEX II – TECHNICAL AND ORGANISATIONAL MEASURES INCLUDING TECHNICAL AND ORGANISATIONAL "
              "MEASURES TO ENSURE THE SECURITY OF THE DATA")


def _promised(text: str, headings: tuple[str, ...] = ("Security",)) -> set[M]:
    return set(tag_document(build([B("2", text, headings)]))[-1].promised)  # type: ignore[arg-type]


def _addendum(tmp_path: Path, clause: str, annex_ii: list[str], annex_iii: list[str] | None = None) -> Path:
    path = tmp_path / "dpa-addendum.txt"
    path.write_text("\n\n".join([
        "5. Security",
        "5.1 Security Program. The Processor shall implement appropriate technical and organizational "
        "measures to protect Customer Personal Data.",
        f"5.2 Minimum Measures. {clause}",
        "6. Security Incidents",
        "6.1 Notification. The Processor shall notify Customer without undue delay, and in any case within "
        "seventy-two (72) hours, after becoming aware of a Security Incident.",
        "ANNEX I",
        "A. LIST OF PARTIES",
        "Data importer: the Processor, as identified in the Agreement.",
        "B. DESCRIPTION OF TRANSFER",
        "Categories of data subjects whose personal data is transferred: visitors of the Customer's websites "
        "and authorized users of the Services.",
        "The period for which the personal data will be retained: as configured by the Customer in the "
        "Services, with IP addresses truncated.",
        _SCC_TITLE,
        *annex_ii,
        "ANNEX III – LIST OF SUB-PROCESSORS",
        *(annex_iii or ["1. Name: Amazon Web Services, Inc.",
                        "Address: 410 Terry Avenue North, Seattle, WA 98109, United States",
                        "Description of the processing: hosting of the Services, storage of event data and "
                        "backups in the AWS region selected by Customer, with TLS termination.",
                        "2. Name: Example Support Ltd",
                        "Address: 2 Grand Canal Square, Dublin 2, Ireland",
                        "Description of the processing: first-line support for customers in the EEA; Ireland."]),
    ]) + "\n", encoding="utf-8")
    return path


_ANNEX_II = [
    "Measures of pseudonymisation and encryption of personal data: Customer Personal Data is encrypted in "
    "transit using TLS 1.2 or higher and at rest using AES-256.",
    "Measures for ensuring the ability to restore the availability and access to personal data in a timely "
    "manner in the event of a physical or technical incident: databases are backed up every night.",
    "Measures for ensuring accountability: the Processor keeps records of processing activities.",
]


def test_the_scc_annex_ii_title_in_capitals_is_a_heading_and_the_clause_incorporates_its_items(
        tmp_path: Path) -> None:
    path = _addendum(tmp_path, "The Processor shall implement, as a minimum, the technical and organizational "
                               "measures described in Annex II.", _ANNEX_II)
    document = read_document(path)
    refs = {b.ref: b.text for b in document.blocks}
    assert refs["Annex II, paragraph 1"].startswith("Measures of pseudonymisation")
    assert not any(r.startswith("Annex I, C") or r.startswith("Annex I, B, paragraph 3") for r in refs)
    draft = draft_profile(document, "addendum").profile
    clauses = {c.ref: set(c.measures) for c in draft.clauses}
    assert {M.ENCRYPTION_IN_TRANSIT, M.ENCRYPTION_AT_REST, M.BACKUPS} <= clauses["5.2"]


def test_the_scc_forms_own_questions_promise_nothing_only_the_answers_do(tmp_path: Path) -> None:
    draft = draft_profile(read_document(_addendum(tmp_path, "See Annex II.", _ANNEX_II)), "addendum").profile
    clauses = {c.ref: set(c.measures) for c in draft.clauses}
    # "in the event of a physical or technical incident" is the question, "backed up" the answer
    assert clauses["Annex II, paragraph 2"] == {M.BACKUPS}
    assert "Annex II, paragraph 3" not in clauses
    # the same words in a processor's own sentence still promise
    assert M.PHYSICAL_SECURITY in _promised("The data centres are protected against physical intrusion by "
                                            "badge access and video surveillance.")


def test_long_scc_annex_i_b_labels_make_a_description_entry_not_a_promise(tmp_path: Path) -> None:
    draft = draft_profile(read_document(_addendum(tmp_path, "See Annex II.", _ANNEX_II)), "addendum").profile
    assert not [c.ref for c in draft.clauses if c.ref.startswith("Annex I, B")]


def test_fields_of_a_register_entry_name_services_not_promises(tmp_path: Path) -> None:
    document = read_document(_addendum(tmp_path, "See Annex II.", _ANNEX_II))
    fields = [t for t in tag_document(document) if t.block.text.startswith("Description of the processing:")]
    assert len(fields) == 2 and all((t.excluded or "").startswith("a field of a register entry") for t in fields)
    draft = draft_profile(document, "addendum").profile
    annex_iii = [c for c in draft.clauses if c.ref.startswith("Annex III")]
    assert {c.ref for c in annex_iii} == {"Annex III"}
    assert [s.name.rstrip(".") for s in draft.subprocessors] == ["Amazon Web Services, Inc", "Example Support Ltd"]
    # a field that does commit stays a promise
    committed = _addendum(tmp_path, "See Annex II.", _ANNEX_II, [
        "1. Name: Example Hosting GmbH",
        "Description of the processing: hosting; Example Hosting GmbH shall encrypt all backups at rest."])
    field = tag_document(read_document(committed))[-1]
    assert field.excluded is None and M.ENCRYPTION_AT_REST in set(field.promised)


def test_a_third_party_soc_2_or_surveillance_audit_is_certification_not_an_audit_right() -> None:
    for text in ("The security program is audited annually by an independent firm for the SOC 2 Type II report.",
                 "ISO/IEC 27001 surveillance audits are performed every year by an accredited certification body."):
        assert M.AUDIT_RIGHTS not in _promised(text, ("Security",)), text
    assert M.AUDIT_RIGHTS in _promised("The Customer may audit the Processor once a year on thirty days' notice.",
                                       ("Audits",))


def test_do_not_materially_decrease_is_a_revision_of_the_measures_not_their_incorporation(tmp_path: Path) -> None:
    def drafted(clause: str) -> dict[str, set[M]]:
        path = _addendum(tmp_path, clause, _ANNEX_II)
        text = path.read_text(encoding="utf-8").replace(_SCC_TITLE, "ANNEX II – SECURITY MEASURES")
        path.write_text(text, encoding="utf-8")
        return {c.ref: set(c.measures) for c in draft_profile(read_document(path), "addendum").profile.clauses}

    assert M.BACKUPS in drafted("The Processor shall implement the technical and organizational measures "
                                "described in Annex II.")["5.2"]
    assert "5.2" not in drafted("The Processor may modify the technical and organizational measures described in "
                                "Annex II from time to time, provided that such modifications do not materially "
                                "decrease the overall security of the Services.")


def test_a_contact_person_field_does_not_close_an_scc_annex_iii_entry(tmp_path: Path) -> None:
    path = _addendum(tmp_path, "See Annex II.", _ANNEX_II, [
        "1. Name: Cloudflare, Inc.",
        "Address: 101 Townsend Street, San Francisco, CA 94107, United States",
        "Contact person's name, position and contact details: Data Protection Officer, dpo@cloudflare.com",
        "Description of the processing: content delivery of the tracking script and DDoS protection; global "
        "network.",
        "2. Name: Example Support Ltd",
        "Address: 2 Grand Canal Square, Dublin 2, Ireland",
        "Contact person's name, position and contact details: Country Manager, dublin@example.com",
        "Description of the processing: first-line support for customers in the EEA; Ireland."])
    register = draft_profile(read_document(path), "addendum").profile.subprocessors
    assert [s.name.rstrip(".") for s in register] == ["Cloudflare, Inc", "Example Support Ltd"]
    assert register[0].service.startswith("content delivery of the tracking script")
    assert list(register[1].countries) == ["IE"]


def test_a_breach_notice_to_the_authority_turned_down_is_no_breach_promise() -> None:
    heading = ("Artikel 6 – Datalekken",)
    assert M.BREACH_NOTIFICATION not in _promised(
        "Salarisbrug meldt een Datalek niet zelf aan de Autoriteit Persoonsgegevens of aan Betrokkenen.", heading)
    assert M.BREACH_NOTIFICATION in _promised(
        "Salarisbrug informeert Werkgever binnen 36 uur na ontdekking van een Datalek.", heading)


def test_an_employer_named_werkgever_is_the_controller_whose_own_duties_promise_nothing() -> None:
    heading = ("Artikel 6 – Datalekken",)
    assert not _promised("Het is aan Werkgever om te beoordelen of het Datalek binnen 72 uur gemeld moet worden bij "
                         "de Autoriteit Persoonsgegevens.", heading)
    assert not _promised("Werkgever draagt zelf zorg voor het beheer van de gebruikersaccounts van zijn eigen "
                         "medewerkers, waaronder het inschakelen van tweestapsverificatie.",
                         ("Artikel 5 – Beveiliging",))


def test_a_cloud_regions_name_is_no_limit_to_the_eu() -> None:
    heading = ("11. International Transfers",)
    assert M.EEA_RESIDENCY not in _promised(
        "Halyard hosts the Services with Amazon Web Services in the United States (us-east-1) or, where Customer "
        "has selected the EU data region, in Ireland (eu-west-1).", heading)
    assert M.EEA_RESIDENCY in _promised(
        "Halyard shall store Customer Personal Data only in the European Union (AWS eu-central-1).", heading)
    assert M.EEA_RESIDENCY in _promised("Halyard shall store Customer Personal Data in the EU.", heading)
