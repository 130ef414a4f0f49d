"""Register entries written with the company's address after its name: "OVH SAS, 2 rue
Kellermann, 59100 Roubaix, France – hosting". The name is the first comma piece (a legal
form after a comma stays with it), the address's country is the location when the fields
after the separator name none, and such an item is a register row, never a clause."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document

_AGREEMENT = """Data Processing Agreement

1. Security
1.1 The Processor shall encrypt personal data at rest and in transit.
1.2 The Processor shall notify the Controller of a personal data breach within 48 hours.

2. Sub-processors
2.1 The Controller authorises the Processor to engage the sub-processors listed in Annex 2.

Annex 2 – Approved sub-processors

{items}
"""


def _draft(tmp_path: Path, template: str, items: list[str]) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    path = tmp_path / "agreement.txt"
    path.write_text(template.format(items="\n".join(items)), encoding="utf-8")
    profile = draft_profile(read_document(path), "agreement").profile
    return ([(s.name, s.service, list(s.countries)) for s in profile.subprocessors],
            [c.ref for c in profile.clauses])


def _register(tmp_path: Path, items: list[str]) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    return _draft(tmp_path, _AGREEMENT, items)


def test_an_address_after_the_name_is_not_part_of_it_and_gives_the_country(tmp_path: Path) -> None:
    register, clauses = _register(tmp_path, [
        "• Nimbus Hosting SAS, 12 avenue des Ternes, 75017 Paris, France — infrastructure hosting",
        "• Kestrel Mail B.V., Utrecht, the Netherlands — transactional e-mail",
        "• Larkspur Analytics Oy, Helsinki, Finland — usage statistics",
    ])
    assert register == [("Nimbus Hosting SAS", "infrastructure hosting", ["FR"]),
                        ("Kestrel Mail B.V.", "transactional e-mail", ["NL"]),
                        ("Larkspur Analytics Oy", "usage statistics", ["FI"])]
    assert not [ref for ref in clauses if ref.startswith("Annex 2, bullet")]  # rows, not promises


@pytest.mark.parametrize(("item", "name", "countries"), [
    # a legal form after a comma is the name's, also with a trade name in brackets
    ("• Quillfeather (Brightline Software, Inc.), Austin, USA — error monitoring",
     "Quillfeather (Brightline Software, Inc.)", ["US"]),
    ("• Brightline Software, Inc. (Quillfeather) — error monitoring — United States",
     "Brightline Software, Inc. (Quillfeather)", ["US"]),
    ("• Harrow Cloud Ltd, Dublin, Ireland — backups", "Harrow Cloud Ltd", ["IE"]),
    # the stated processing location wins over the address's country
    ("• Tessellate GmbH, Berlin, Germany — support — Poland", "Tessellate GmbH", ["PL"]),
])
def test_the_name_keeps_its_legal_form_and_the_stated_location_wins(
        tmp_path: Path, item: str, name: str, countries: list[str]) -> None:
    register, _ = _register(tmp_path, [item, "• Ostrava Print s.r.o., Ostrava, Czechia — printing"])
    assert register[0][0] == name and register[0][2] == countries
    assert register[1][0] == "Ostrava Print s.r.o."


def test_a_labelled_field_with_commas_in_its_label_is_no_entry_name(tmp_path: Path) -> None:
    register, _ = _register(tmp_path, [
        "Name: Harrow Cloud Ltd",
        "Address: 4 Quay Street, Dublin, Ireland",
        "Contact person's name, position and contact details: Privacy Team, privacy@harrow.example",
        "Description of the processing: hosting of the platform",
    ])
    assert [name for name, _, _ in register] == ["Harrow Cloud Ltd"]


_AGREEMENT_NL = """Verwerkersovereenkomst

Artikel 1 Beveiliging
1.1 Verwerker versleutelt persoonsgegevens in rust en tijdens transport.
1.2 Verwerker meldt een datalek binnen 48 uur aan Verwerkingsverantwoordelijke.

Artikel 2 Subverwerkers
2.1 Verwerkingsverantwoordelijke geeft toestemming voor de subverwerkers in Bijlage 2.

Bijlage 2 Overzicht subverwerkers

{items}
"""


def _register_nl(tmp_path: Path, items: list[str]) -> list[tuple[str, str, list[str]]]:
    return _draft(tmp_path, _AGREEMENT_NL, items)[0]


def test_a_bare_company_name_is_an_entry_a_bare_phrase_is_not(tmp_path: Path) -> None:
    register, _ = _register(tmp_path, [
        "The Processor uses the following sub-processors:",
        "- Nimbus Hosting SAS",
        "- Kestrel Mail Limited",
        "- Larkspur Analytics, LLC",
        "- the processor's own staff",
    ])
    assert [name for name, _, _ in register] == ["Nimbus Hosting SAS", "Kestrel Mail Limited",
                                                 "Larkspur Analytics, LLC"]


def test_several_labelled_fields_on_one_line_are_one_entry(tmp_path: Path) -> None:
    register = _register_nl(tmp_path, [
        "1. Naam: Rietland Hosting GmbH; dienst: hosting; locatie: Duitsland",
        "2. Naam: Boekhoek B.V.; dienst: boekhouding; locatie: Nederland",
    ])
    assert register == [("Rietland Hosting GmbH", "hosting", ["DE"]), ("Boekhoek B.V.", "boekhouding", ["NL"])]


def test_a_country_in_brackets_after_the_service_is_the_location(tmp_path: Path) -> None:
    register = _register_nl(tmp_path, [
        "• Rietland Hosting GmbH: hosting van de applicatie (Duitsland)",
        "• Postduif (Kestrel Mail Inc.): verzending van e-mail (Verenigde Staten)",
    ])
    assert register == [("Rietland Hosting GmbH", "hosting van de applicatie", ["DE"]),
                        ("Postduif (Kestrel Mail Inc.)", "verzending van e-mail", ["US"])]


def test_a_sentence_that_lists_names_with_for_and_in_is_the_register(tmp_path: Path) -> None:
    register, _ = _register(tmp_path, [
        "The Processor uses the following sub-processors: Nimbus Hosting GmbH for hosting in Germany, "
        "Kestrel Mail Technologies, Inc. for transactional email in the United States, and Harrow Ltd for support."])
    assert register == [("Nimbus Hosting GmbH", "hosting", ["DE"]),
                        ("Kestrel Mail Technologies, Inc.", "transactional email", ["US"]),
                        ("Harrow Ltd", "support", [])]
    dutch = _register_nl(tmp_path, [
        "Verwerker schakelt de volgende subverwerkers in: Rietland Hosting GmbH voor hosting en back-ups in "
        "Duitsland, Postduif voor e-mail in de Verenigde Staten en Boekhoek B.V. voor facturatie in Nederland."])
    assert dutch == [("Rietland Hosting GmbH", "hosting en back-ups", ["DE"]), ("Postduif", "e-mail", ["US"]),
                     ("Boekhoek B.V.", "facturatie", ["NL"])]


def test_conditions_after_a_colon_are_no_register(tmp_path: Path) -> None:
    register, _ = _register(tmp_path, [
        "The Processor may engage a sub-processor on the following conditions: the Processor informs the "
        "Controller for approval in advance, and the sub-processor is bound by the same obligations."])
    assert register == []


def test_points_under_a_clause_that_names_sub_processors_are_the_register(tmp_path: Path) -> None:
    path = tmp_path / "voorwaarden.txt"
    path.write_text(
        "Algemene voorwaarden\n\nArtikel 13. Verwerking van persoonsgegevens\n"
        "13.1 Opdrachtnemer meldt een datalek binnen 48 uur.\n"
        "13.2 Klant geeft Opdrachtnemer toestemming om Subverwerkers in te schakelen. Op de datum van deze "
        "voorwaarden zijn dat:\n"
        "a. Rietland Hosting B.V. (Amsterdam, Nederland) – hosting van de Dienst;\n"
        "b. Postduif GmbH (Falkenstein, Duitsland) – opslag van back-ups.\n"
        "13.3 Opdrachtnemer verwijdert de gegevens na het einde van de Overeenkomst.\n", encoding="utf-8")
    profile = draft_profile(read_document(path), "voorwaarden").profile
    assert [(s.name, s.service, list(s.countries)) for s in profile.subprocessors] == [
        ("Rietland Hosting B.V.", "hosting van de Dienst", ["NL"]), ("Postduif GmbH", "opslag van back-ups", ["DE"])]
    clauses = {c.ref: [m.value for m in c.measures] for c in profile.clauses}
    assert "subprocessor_list" in clauses["Artikel 13.2"]  # the consent stays a clause
    assert not [ref for ref in clauses if ref.startswith("Artikel 13.2 ")]  # the points are rows


def test_a_lower_case_bracket_after_the_name_is_the_service(tmp_path: Path) -> None:
    register, _ = _register(tmp_path, [
        "- **Nimbus Hosting SAS** (hosting of the platform) – Paris, France",
        "- **Kestrel Mail Ltd** (email) – Dublin, Ireland",
        "- **Quillfeather** (Brightline) – error monitoring – United States",
    ])
    assert register == [("Nimbus Hosting SAS", "hosting of the platform", ["FR"]),
                        ("Kestrel Mail Ltd", "email", ["IE"]),
                        ("Quillfeather (Brightline)", "error monitoring", ["US"])]


def test_a_hosting_company_named_in_a_sentence_is_an_entry_and_the_sentence_a_clause(tmp_path: Path) -> None:
    path = tmp_path / "agreement.txt"
    path.write_text(
        "Data Processing Agreement\n\n1. Security\n1.1 The Processor shall notify the Controller of a breach "
        "within 48 hours.\n\n2. Sub-processors\n2.1 The Controller authorises the Processor to engage "
        "sub-processors; the list is published on the Processor's website.\n"
        "2.2 The Service is hosted on Nimbus Cloud SARL (Nimbus) in its Frankfurt region; other sub-processors "
        "support email delivery.\n", encoding="utf-8")
    profile = draft_profile(read_document(path), "agreement").profile
    assert [(s.name, list(s.countries)) for s in profile.subprocessors] == [("Nimbus Cloud SARL (Nimbus)", ["DE"])]
    assert profile.subprocessor_clause == "2.2" and "2.2" in {c.ref for c in profile.clauses}
