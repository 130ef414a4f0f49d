"""General rules found by the fifth pair of held-out DPAs (a Swedish SaaS's non-native English
DPA with group headings in its appendix and "Name – Purpose – Country" register lines, a Dutch
Model Verwerkersovereenkomst Onderwijs with a Privacybijsluiter): group headings inside an
annex are cited with the annex and make the annex's items, a sentence about changing the
measures later does not incorporate the annex, a duty turned down gets no heading lean, a row
of a table of data categories is a description, "notifications" is a noun and no commitment,
register lines of dash-separated fields, and the lexicon cues they showed."""

from __future__ import annotations

from pathlib import Path

from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.lexicon import folded_text, load_lexicon
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.register import extract_register
from auditpack.dpaimport.tagger import tag_document
from auditpack.model import Measure as M


def _promised(text: str, headings: tuple[str, ...] = ("Obligations of the Processor",), kind: str = "paragraph",
              cells: tuple[str, ...] = ()) -> set[M]:
    return set(tag_document(build([B("2", text, headings, kind=kind, cells=cells)]))[-1].promised)  # type: ignore[arg-type]


def _appendix(tmp_path: Path, clause: str) -> Path:
    path = tmp_path / "dpa-appendix.txt"
    long = ("The Processor shall, taking into account the state of the art, the costs of implementation and the "
            "nature, scope, context and purposes of the processing, implement appropriate technical and "
            "organisational measures to ensure a level of security appropriate to the risk.")
    path.write_text("\n\n".join([  # one paragraph per line, as the held-out text is
        "Article 5 Security",
        f"5.1 {long}",
        f"5.2 {clause}",
        "Appendix 1 Description of the processing",
        f"Nature of the processing: hosting, storage and support of shift plans and time records. {long}",
        "Appendix 2 Technical and organisational measures",
        "Physical security",
        "• The data centres are protected by badge access and video surveillance.",
        "Logging",
        "• All administrative actions are logged in a central log system.",
        "Appendix 3 Sub-processors",
        "The Controller approves the following Sub-processors:",
        "Elastx AB – Hosting of the Service – Sweden",
        "Twilio Ireland Limited – Sending of SMS notifications – Ireland",
        "Functional Software, Inc. (Sentry) – Error monitoring – United States",
        "Tindra Systems GmbH – Second level support for customers in Germany – Germany",
    ]) + "\n", encoding="utf-8")
    return path


def test_group_headings_in_an_annex_are_cited_with_it_and_its_items_are_incorporated(tmp_path: Path) -> None:
    path = _appendix(tmp_path, "The measures are described in Appendix 2, and the Processor shall keep at least "
                               "this level of security.")
    document = read_document(path)
    refs = {b.ref: b.text for b in document.blocks}
    assert refs["Appendix 2, Physical security, bullet 1"].startswith("The data centres are protected")
    assert refs["Appendix 2, Logging, bullet 1"].startswith("All administrative actions")
    tags = {t.block.ref: t for t in tag_document(document)}
    assert {M.PHYSICAL_SECURITY, M.ACCESS_LOGGING} <= set(tags["Article 5.2"].promised)


def test_a_sentence_about_changing_the_measures_does_not_incorporate_the_annex(tmp_path: Path) -> None:
    path = _appendix(tmp_path, "The Processor is allowed to implement alternative adequate measures, provided that "
                               "the security level of the measures described in Appendix 2 is not reduced.")
    tags = {t.block.ref: t for t in tag_document(read_document(path))}
    assert tags["Article 5.2"].promised == ()


def test_register_lines_of_dash_separated_fields(tmp_path: Path) -> None:
    document = read_document(_appendix(tmp_path, "The measures are set out in Appendix 2."))
    # a short line of three dash-separated fields is a register row, not a heading
    assert not any(b.kind == "heading" and b.text.startswith("Twilio") for b in document.blocks)
    register = extract_register(document, tag_document(document))
    got = [(e.name, e.service, e.countries) for e in register.entries]
    assert got == [
        ("Elastx AB", "Hosting of the Service", ("SE",)),
        ("Twilio Ireland Limited", "Sending of SMS notifications", ("IE",)),
        # the comma before the first separator belongs to the name
        ("Functional Software, Inc. (Sentry)", "Error monitoring", ("US",)),
        # the last field naming a country is the location, not the service that names one too
        ("Tindra Systems GmbH", "Second level support for customers in Germany", ("DE",)),
    ]


def test_a_duty_turned_down_gets_no_heading_lean() -> None:
    heading = ("Personal data breaches",)
    assert _promised("The Processor shall not inform the supervisory authority or the data subjects on its own "
                     "initiative.", heading) == set()
    # the same heading still leans for a duty the processor takes on
    assert _promised("The Processor shall inform the Controller of the facts and the remedial actions taken.",
                     heading) == {M.BREACH_NOTIFICATION}


def test_a_row_of_a_table_of_data_categories_is_a_description() -> None:
    headings = ("Privacybijsluiter", "Persoonsgegevens en doeleinden")
    header = ("Categorie", "Toelichting", "Doel")
    for cells in [("Back-upgegevens", "een kopie van de bovenstaande gegevens", "back-up en herstel na een storing"),
                  ("Loggegevens", "IP-adres, tijdstip van inloggen, gebruikte browser en apparaat",
                   "beveiliging van het Product en logging van storingen")]:
        doc = build([B("Bijlage 1, 2, row 1", "", headings, kind="table_row", cells=cells, header=header)])
        tag = tag_document(doc)[-1]
        assert tag.promised == () and tag.excluded is not None
    # a row that commits to something is still a promise, under any heading
    doc = build([B("Bijlage 1, 2, row 1", "", headings, kind="table_row", header=header,
                   cells=("Back-ups", "Verwerker zorgt dat dagelijks een back-up wordt gemaakt", "herstel"))])
    assert M.BACKUPS in tag_document(doc)[-1].promised


def test_notifications_as_a_noun_is_no_commitment() -> None:
    lex = load_lexicon()
    assert not lex.obligation.any(folded_text("sending of e-mail notifications to teachers"))
    assert lex.obligation.any(folded_text("the Processor notifies the Controller"))
    described = build([B("Appendix 1, paragraph 1", "Nature and purpose of the processing: hosting of the Service; "
                         "storage, back-up and restore of the data; sending of notifications by e-mail.",
                         ("Description of the processing",))])
    assert tag_document(described)[-1].promised == ()


def test_the_education_models_controller_name_and_its_own_responsibility() -> None:
    heading = ("Beveiliging",)
    assert _promised("Onderwijsinstelling is zelf verantwoordelijk voor het beheer van de gebruikersaccounts van "
                     "haar medewerkers en leerlingen.", heading) == set()


def test_lexicon_cues_of_this_pair() -> None:
    # accounts blocked or revoked are access control
    assert M.ACCESS_CONTROL in _promised("Accounts of employees who are leaving the company are blocked on the last "
                                         "working day at latest.", ("Access to systems and data",))
    assert M.ACCESS_CONTROL in _promised("Na herhaaldelijk foutief inloggen wordt het account tijdelijk geblokkeerd.",
                                         ("Beveiligingsbijlage",))
    # a data centre stated to be somewhere is a place: no backup, no physical security
    located = _promised("The main data centre is in Sweden and the back-up data centre is in Finland.",
                        ("Location of the processing",))
    assert M.BACKUPS not in located and M.PHYSICAL_SECURITY not in located
    # copies in a second region of the EU are the backup promise, not residency
    second = _promised("Backups are copied daily to a second AWS region in the European Union.",
                       ("Technical and organisational measures",))
    assert M.BACKUPS in second and M.EEA_RESIDENCY not in second
    assert M.EEA_RESIDENCY in _promised("All data is stored only in data centres within the European Union.")
    # watching availability with an on-call team is no access logging
    assert M.ACCESS_LOGGING not in _promised("The Service is monitored around the clock, and the operation team "
                                             "has an on-call duty.", ("Availability",))


def test_a_deletion_deadline_after_at_latest() -> None:
    doc = build([B("13.3", "The Processor shall delete all personal data at latest sixty (60) days after the end of "
                   "the Terms of Service.", ("Term and termination",)),
                 B("13.4", "Back-up copies are overwritten in the normal rotation within further thirty-five (35) "
                   "days.", ("Term and termination",))])
    assert draft_profile(doc, "t").profile.parameters["deletion_days"] == 60


def test_administration_only_through_a_vpn_is_network_security() -> None:
    # kompasroos' and tindra's golds, written apart: a VPN is the route to the systems
    for text in ["All administrative access to the production environment is only possible through a VPN.",
                 "Beheer is alleen mogelijk via een VPN-verbinding."]:
        promised = _promised(text, ("Technische maatregelen",))
        assert M.NETWORK_SECURITY in promised and M.ENCRYPTION_IN_TRANSIT not in promised
    assert M.ENCRYPTION_IN_TRANSIT in _promised("All connections are encrypted with TLS 1.2 or higher.")


def test_access_from_a_third_country_is_a_transfer_not_access_control() -> None:
    promised = _promised("A transfer of personal data to a Third Country, including remote access for support from "
                         "a Third Country, shall only take place with prior written consent of the Controller.",
                         ("Location of the processing and transfers",))
    assert M.TRANSFER_SAFEGUARDS in promised and M.ACCESS_CONTROL not in promised
    assert M.ACCESS_CONTROL in _promised("The Processor shall give access to the personal data only to those "
                                         "employees who need it.", ("Confidentiality",))


def test_a_register_of_breaches_made_available_is_no_audit_right() -> None:
    heading = ("Meldplicht",)
    promised = _promised("De Verwerker houdt een register bij van alle Gegevenslekken, met de genomen maatregelen, en "
                         "stelt dit register op verzoek ter beschikking van de Verantwoordelijke.", heading)
    assert M.AUDIT_RIGHTS not in promised
    assert M.AUDIT_RIGHTS in _promised("Verwerker stelt alle informatie ter beschikking die nodig is om de naleving "
                                       "van de verplichtingen aan te tonen.", ("Audit",))
