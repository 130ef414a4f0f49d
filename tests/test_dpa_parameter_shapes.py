"""Breach and deletion deadlines as agreements write them: numbers in words and digits, units
glued to the number ("24h"), working days, and the controller's own 72 hours towards the
authority, which is no deadline of the processor's."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document

_EN = ("Data Processing Agreement\n\n1. Security\n"
       "1.1 The Processor shall encrypt personal data at rest and in transit.\n"
       "1.2 {breach}\n\n2. Termination\n2.1 {deletion}\n")
_NL = ("Verwerkersovereenkomst\n\nArtikel 1 Beveiliging\n1.1 Verwerker versleutelt persoonsgegevens in rust en tijdens "
       "transport.\n1.2 {breach}\n\nArtikel 2 Einde\n2.1 {deletion}\n")
_BREACH = {_EN: "The Processor shall notify the Controller of a breach within 48 hours.",
           _NL: "Verwerker meldt een datalek binnen 48 uur."}
_DELETION = {_EN: "The Processor shall delete all personal data after termination.",
             _NL: "Verwerker verwijdert alle persoonsgegevens na het einde."}


def _parameters(tmp_path: Path, template: str, breach: str, deletion: str) -> dict[str, Any]:
    path = tmp_path / "agreement.txt"
    path.write_text(template.format(breach=breach, deletion=deletion), encoding="utf-8")
    parameters: dict[str, Any] = tomllib.loads(draft_profile(read_document(path), "agreement").toml).get(
        "parameters", {})
    return parameters


@pytest.mark.parametrize(("template", "sentence", "hours"), [
    (_EN, "The Processor shall notify the Controller of a Personal Data Breach within 24h.", 24),
    (_EN, "The Processor shall notify the Controller of any Personal Data Breach within one (1) business day.", 24),
    (_EN, "The Processor shall notify the Controller of a Personal Data Breach as soon as possible, but no later "
          "than 48 hours after becoming aware of it.", 48),
    (_EN, "The Processor shall notify the Controller of a Personal Data Breach within three (3) working days.", 72),
    # the controller's own deadline towards the authority is not the processor's
    (_EN, "The Processor shall notify the Controller of a Personal Data Breach without undue delay so that the "
          "Controller can meet its obligation to notify the supervisory authority within 72 hours.", None),
    (_NL, "Verwerker meldt een datalek onverwijld, zodat Verwerkingsverantwoordelijke binnen 72 uur aan de "
          "Autoriteit Persoonsgegevens kan melden.", None),
    # ... but a purpose clause before the processor's own deadline, or after it, leaves that deadline
    (_EN, "In order to allow the Controller to notify the supervisory authority, the Processor shall notify the "
          "Controller of a Personal Data Breach within 24 hours.", 24),
    (_EN, "The Processor shall notify the Controller of a Personal Data Breach within 24 hours so that the "
          "Controller can notify the supervisory authority within 72 hours.", 24),
    (_NL, "Verwerker meldt een datalek binnen 24 uur, zodat Verwerkingsverantwoordelijke binnen 72 uur aan de "
          "Autoriteit Persoonsgegevens kan melden.", 24),
    (_NL, "Verwerker meldt een datalek zo spoedig mogelijk, doch uiterlijk binnen 36 uur.", 36),
    (_NL, "Verwerker meldt een Datalek binnen 1 werkdag aan Verwerkingsverantwoordelijke.", 24),
    # a critical hole in software patched within a day is no breach deadline
    (_NL, "Verwerker meldt een datalek binnen 48 uur. Beveiligingsupdates installeren wij automatisch; bij een "
          "kritiek lek doen we dat binnen 24 uur.", 48),
])
def test_breach_deadline(tmp_path: Path, template: str, sentence: str, hours: int | None) -> None:
    assert _parameters(tmp_path, template, sentence, _DELETION[template]).get("breach_deadline_hours") == hours


@pytest.mark.parametrize(("template", "sentence", "days"), [
    (_NL, "Verwerker vernietigt de persoonsgegevens binnen 4 weken na beëindiging.", 28),
    (_NL, "Na afloop van de overeenkomst verwijdert Verwerker de gegevens binnen zes weken.", 42),
    (_EN, "Upon termination the Processor shall return and subsequently delete all Personal Data within sixty (60) "
          "calendar days.", 60),
    (_EN, "The Processor shall delete the Personal Data within a reasonable period after termination.", None),
])
def test_deletion_deadline(tmp_path: Path, template: str, sentence: str, days: int | None) -> None:
    assert _parameters(tmp_path, template, _BREACH[template], sentence).get("deletion_days") == days


_AUDIT_EN = _EN.replace("2. Termination\n2.1 {deletion}", "2. Audits\n2.1 {deletion}")
_AUDIT_NL = _NL.replace("Artikel 2 Einde\n2.1 {deletion}", "Artikel 2 Audit\n2.1 {deletion}")


@pytest.mark.parametrize(("template", "sentence", "frequency"), [
    (_AUDIT_EN, "The Controller may audit the Processor no more than once in any twelve (12) month period, with at "
                "least thirty (30) days' prior written notice.", "once a year; on 30 days' notice"),
    (_AUDIT_EN, "The Controller may audit the Processor once every two years.", "once every two years"),
    (_AUDIT_NL, "Verwerkingsverantwoordelijke heeft het recht eenmaal per kalenderjaar een audit te doen.",
     "once a year"),
    (_AUDIT_NL, "Een audit vindt hooguit eens per twee jaar plaats en wordt twee weken van tevoren aangekondigd.",
     "once every two years; on 14 days' notice"),
])
def test_audit_frequency(tmp_path: Path, template: str, sentence: str, frequency: str) -> None:
    breach = _BREACH[_EN if template is _AUDIT_EN else _NL]
    assert _parameters(tmp_path, template, breach, sentence).get("audit_frequency") == frequency
