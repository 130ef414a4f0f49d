"""General rules found by a held-out pair of round six (Dutch general terms and conditions whose
processing article is one chapter among many, as a PDF; a terse English short-form DPA with
dense clauses): the other chapters of general terms (force majeure, licence audits, prices) are
no promise; "updates" alone is no patch promise; backups named as what a restore test tests or
what expires after the end are no backup promise; error monitoring is no access log; "certified
under the DPF" is no certification; "physical security" names its measure; a contract's end
blocking the accounts is no access control; a register as points under a lead-in that opens a
list of sub-processors; a hosting provider named in a sentence under the sub-processor heading;
a consent-gated transfer keeps the residency limit; "once per 12 months". Every sentence here is
invented for the test."""

from __future__ import annotations

from pathlib import Path

from dpa_documents import B, build

from auditpack.dpaimport.draft import draft_profile
from auditpack.dpaimport.reader import read_document
from auditpack.dpaimport.tagger import tag_document
from auditpack.model import Measure as M


def _promised(text: str, headings: tuple[str, ...] = ("Security",), language: str = "en") -> set[M]:
    return set(tag_document(build([B("2", text, headings)], language=language))[-1].promised)  # type: ignore[arg-type]


def _write(tmp_path: Path, lines: list[str], name: str = "dpa-terms.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_other_chapters_of_general_terms_promise_nothing() -> None:
    # force majeure names a DDoS attack as an excuse, not as a protection
    assert _promised("Onder overmacht wordt mede verstaan een DDoS-aanval op het netwerk van de leverancier.",
                     ("Overmacht",), "nl") == set()
    assert _promised("Force majeure includes a denial-of-service attack and the failure of a firewall provider.",
                     ("Force Majeure",)) == set()
    # the supplier's audit of the customer's licence use is not the controller's audit right
    assert _promised("De leverancier zal eenmaal per jaar een audit laten uitvoeren op het aantal gebruikers.",
                     ("Controle op licentiegebruik",), "nl") == set()
    assert _promised("The Vendor shall be entitled to audit the number of seats once a year.",
                     ("License Compliance",)) == set()
    # the same sentences under a processing heading still promise
    assert M.AUDIT_RIGHTS in _promised("De klant mag eenmaal per jaar een audit laten uitvoeren.", ("Audits",), "nl")
    assert M.NETWORK_SECURITY in _promised("The Processor shall protect its network against DDoS attacks.")


def test_updates_alone_are_no_patch_promise_but_security_updates_with_a_deadline_are() -> None:
    assert M.VULNERABILITY_MANAGEMENT not in _promised(
        "De leverancier zal de dienst buiten gebruik stellen voor onderhoud, waaronder het uitrollen van updates.",
        ("Onderhoud",), "nl")
    assert M.VULNERABILITY_MANAGEMENT not in _promised(
        "The Customer will receive updates of the list by e-mail when it subscribes to the newsletter.", ("Notices",))
    assert M.VULNERABILITY_MANAGEMENT not in _promised(
        "The Processor may change these measures and their updates, provided that the level of security of the "
        "systems is not reduced.")
    vulnerability = M.VULNERABILITY_MANAGEMENT
    assert vulnerability in _promised("The Processor shall install updates for its servers within 14 days.")
    assert vulnerability in _promised("De verwerker installeert updates van besturingssystemen maandelijks.",
                                      ("Beveiliging",), "nl")


def test_backups_as_the_object_of_a_restore_test_or_of_expiry_are_not_a_backup_promise() -> None:
    tested = _promised("De verwerker controleert ieder halfjaar of een back-up volledig kan worden hersteld.",
                       ("Beveiliging",), "nl")
    assert M.BACKUP_TESTING in tested and M.BACKUPS not in tested
    assert M.BACKUPS not in _promised("The Processor checks twice a year whether a backup can be restored in full.")
    assert M.BACKUPS not in _promised("The Provider deletes all data within 60 days, and backups expire 30 days later.",
                                      ("Return and deletion",))
    # a backup with its cadence is still a backup promise beside a test
    both = _promised("The Processor shall take daily backups and shall test a full restore every month.")
    assert {M.BACKUPS, M.BACKUP_TESTING} <= both


def test_error_monitoring_is_no_access_log_and_the_dpf_no_certification() -> None:
    assert M.ACCESS_LOGGING not in _promised(
        "The Processor shall use external providers for error monitoring and for e-mail delivery.", ("Providers",))
    assert M.ACCESS_LOGGING in _promised("The Processor shall monitor all access to the production database.")
    assert M.CERTIFICATION not in _promised("The US parent company is certified under the DPF and shall remain so.",
                                            ("Transfers",))
    assert M.CERTIFICATION in _promised("The Processor is certified under ISO/IEC 27001.")


def test_physical_security_named_in_words_is_the_measure_even_beside_an_audit() -> None:
    promised = _promised("Physical security of the server rooms is ensured by the colocation company, which is "
                         "audited every year.")
    assert M.PHYSICAL_SECURITY in promised
    assert M.PHYSICAL_SECURITY not in _promised(
        "The Processor shall maintain administrative, physical and technical safeguards for the data.")


def test_accounts_blocked_at_the_end_of_the_contract_are_no_access_control() -> None:
    assert M.ACCESS_CONTROL not in _promised(
        "Na het einde van de overeenkomst worden alle accounts van de gebruikers van de klant geblokkeerd.",
        ("Einde",), "nl")
    assert M.ACCESS_CONTROL in _promised("Accounts of staff who leave the company are blocked on their last day.")


_TERMS = [
    "Algemene voorwaarden Voorbeeld Software B.V.",
    "Artikel 1. Prijzen",
    "1.1 Alle prijzen zijn exclusief btw en worden per maand vooraf gefactureerd.",
    "Artikel 2. Persoonsgegevens",
    "2.1 De leverancier verwerkt en bewaart de persoonsgegevens uitsluitend binnen de Europese Economische Ruimte. "
    "Doorgifte naar een land daarbuiten vindt alleen plaats met voorafgaande schriftelijke toestemming van de klant "
    "en met inachtneming van hoofdstuk V van de AVG.",
    "2.2 De klant stemt ermee in dat de leverancier subverwerkers inschakelt. Dat zijn op dit moment:",
    "a. Voorbeeld Cloud GmbH (Neurenberg, Duitsland) – opslag van de database;",
    "b. Voorbeeld Mail SAS (Lyon, Frankrijk) – verzending van e-mail.",
    "2.3 De leverancier meldt een inbreuk in verband met persoonsgegevens uiterlijk binnen 48 uur.",
]


def test_points_under_a_lead_in_that_opens_a_list_of_sub_processors_are_the_register(tmp_path: Path) -> None:
    draft = draft_profile(read_document(_write(tmp_path, _TERMS)), "terms")
    register = {s.name: s.countries for s in draft.profile.subprocessors}
    assert register == {"Voorbeeld Cloud GmbH": ("DE",), "Voorbeeld Mail SAS": ("FR",)}
    refs = {c.ref for c in draft.profile.clauses}
    # the points are rows, not clauses of their own
    assert not refs & {"Artikel 2.2 a", "Artikel 2.2 b"}
    # points under a lead-in about something else are no register
    other = list(_TERMS)
    other[5] = "2.2 De leverancier neemt de volgende maatregelen:"
    other[6] = "a. Opslag van de database in Neurenberg (Duitsland) – versleuteld;"
    assert draft_profile(read_document(_write(tmp_path, other, "dpa-other.txt")), "other").profile.subprocessors == ()


def test_a_transfer_that_needs_prior_consent_keeps_the_limit_whatever_law_it_also_follows(tmp_path: Path) -> None:
    values = {p.key: p.value for p in draft_profile(read_document(_write(tmp_path, _TERMS)), "terms").parameters.values}
    assert values["residency"] == "eea"
    # adequacy allowed without consent widens it
    wide = list(_TERMS)
    wide[4] = ("2.1 De leverancier verwerkt de persoonsgegevens uitsluitend binnen de Europese Economische Ruimte "
               "of in een land met een passend beschermingsniveau.")
    values = {p.key: p.value for p in draft_profile(read_document(_write(tmp_path, wide, "dpa-wide.txt")),
                                                    "wide").parameters.values}
    assert values["residency"] == "eea+adequacy"


def test_a_hosting_provider_named_in_a_sentence_is_the_register_when_no_list_is_given(tmp_path: Path) -> None:
    lines = [
        "Data Processing Addendum",
        "4. Sub-processors",
        "4.1 Customer authorises the Provider to engage sub-processors listed at https://example.com/subprocessors.",
        "4.2 The platform is hosted by Example Compute Ltd (ECL) in its Dublin data centre; other sub-processors "
        "provide e-mail and support.",
        "5. Audits",
        "5.1 Customer may audit the Provider by questionnaire, no more than once per 12 months.",
    ]
    draft = draft_profile(read_document(_write(tmp_path, lines, "dpa-short.txt")), "short")
    [entry] = draft.profile.subprocessors
    assert entry.name.startswith("Example Compute Ltd") and entry.countries == ("IE",)
    clause = next(c for c in draft.profile.clauses if c.ref == "4.2")
    assert M.SUBPROCESSOR_LIST in clause.measures
    assert {p.key: p.value for p in draft.parameters.values}["audit_frequency"].startswith("once a year")
    # a company named in a sentence outside a sub-processor section is no register entry
    lines[1] = "4. Hosting"
    lines[2] = "4.1 The Provider operates the platform itself."
    assert draft_profile(read_document(_write(tmp_path, lines, "dpa-own.txt")), "own").profile.subprocessors == ()
