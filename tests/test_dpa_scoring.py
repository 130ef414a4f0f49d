"""The DPA import score (bench/dpa.py): ref matching one level coarser, quote overlap,
(clause, measure) recall and precision, register names and breach deadline."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from auditpack.dpaimport.scoring import load_gold, quotes_overlap, ref_path, score
from auditpack.profiles import Profile

CORPUS = Path(__file__).parent / "data" / "dpa"


def _profile(clauses: list[dict[str, Any]], parameters: dict[str, Any] | None = None,
             subprocessors: list[dict[str, Any]] | None = None) -> Profile:
    return Profile.model_validate({
        "profile": {"id": "t", "title": "t", "processor": "p", "counterpart": "c"},
        "parameters": parameters or {},
        "clauses": clauses,
        "subprocessors": [{"service": "s", "location": "EEA", **s} for s in subprocessors or []],
    })


def _c(ref: str, quote: str, *measures: str) -> dict[str, Any]:
    return {"ref": ref, "quote": quote, "measures": list(measures)}


@pytest.mark.parametrize(("ref", "path"), [
    ("Artikel 6.2 a)", ("6", "2", "a")),
    ("6.2 a)", ("6", "2", "a")),
    ("Clause 3.2 (iii), bullet 1", ("3", "2", "iii", "bullet 1")),
    ("Technische en organisatorische maatregelen, bullet 5.4",
     ("technische en organisatorische maatregelen", "bullet 5", "4")),
    ("Bijlage 1, 1.A, bullet 3", ("bijlage 1", "1", "a", "bullet 3")),
    ("Audits, paragraph 2", ("audits", "paragraph 2")),
    ("Art. 28(3)(a)", ("28", "3", "a")),
])
def test_ref_levels(ref: str, path: tuple[str, ...]) -> None:
    assert ref_path(ref) == path


def test_gold_against_itself_is_perfect() -> None:
    for entry in tomllib.loads((CORPUS / "corpus.toml").read_text("utf-8"))["document"]:
        gold = load_gold(entry["gold"] if entry["gold"].startswith("builtin:") else str(CORPUS / entry["gold"]))
        result = score(gold, gold)
        assert (result.recall, result.precision, result.breach_deadline_ok) == (1.0, 1.0, True), entry["file"]
        assert result.register_found == result.register_expected


def test_a_coarser_draft_clause_matches_but_two_levels_do_not() -> None:
    gold = _profile([_c("Artikel 3.2 a)", "de versleuteling van alle verbindingen", "encryption_in_transit"),
                     _c("Technische maatregelen, bullet 5.4", "Back-up-, continuïteits- en herstelplannen",
                        "backups")])
    one_level = _profile([_c("Artikel 3.2", "Deze maatregelen omvatten minstens:", "encryption_in_transit"),
                          _c("Technische maatregelen, bullet 5", "De volgende maatregelen zijn genomen:", "backups")])
    assert score(one_level, gold).recall == 1.0
    two_levels = _profile([_c("Artikel 3", "Beveiliging", "encryption_in_transit"),
                           _c("Technische maatregelen", "Technische maatregelen", "backups")])
    result = score(two_levels, gold)
    assert result.recall == 0.0 and result.precision == 0.0
    assert result.missed == ["Artikel 3.2 a): encryption_in_transit", "Technische maatregelen, bullet 5.4: backups"]


def test_quotes_overlap_when_refs_differ() -> None:
    gold = _profile([_c("Audits, paragraph 1", "De Verwerker zal … toestaan om jaarlijks een audit uit te voeren",
                        "audit_rights")])
    draft = _profile([_c("Audits", "toestaan om jaarlijks een audit uit te voeren met betrekking tot de beveiliging",
                         "audit_rights")])
    assert score(draft, gold).recall == 1.0
    assert quotes_overlap("Lijst van subverwerkers", "Lijst van subverwerkers")
    assert not quotes_overlap("Subverwerkers", "De Verwerker zal met elke subverwerker een DPA afsluiten")


def test_pairs_count_per_measure() -> None:
    gold = _profile([_c("4.2 (e)", "take daily backups and test a restore every quarter", "backups", "backup_testing"),
                     _c("5.1", "notify the Controller within 36 hours of a breach", "breach_notification")],
                    parameters={"breach_deadline_hours": 36})
    draft = _profile([_c("4.2 (e)", "take daily backups and test a restore every quarter", "backups",
                         "encryption_at_rest"),
                      _c("9.9", "an unrelated clause about the weather in Brussels", "certification")],
                     parameters={"breach_deadline_hours": 72})
    result = score(draft, gold)
    assert result.recall == pytest.approx(1 / 3)
    assert result.precision == pytest.approx(1 / 3)
    assert not result.breach_deadline_ok and result.breach_deadline == [72, 36]
    assert result.wrong == ["4.2 (e): encryption_at_rest", "9.9: certification"]
    line = result.as_json()
    assert line["recall"] == 0.333 and "missed" in line


def test_register_names_found_by_name_or_alias() -> None:
    clause = [_c("Annex III", "List of sub-processors", "subprocessor_list")]
    gold = _profile(clause, subprocessors=[{"name": "Postmark (ActiveCampaign LLC)"},
                                           {"name": "Hetzner Online GmbH", "providers": ["hetzner"]},
                                           {"name": "Zendesk Inc."}])
    draft = _profile(clause, subprocessors=[{"name": "Postmark"}, {"name": "Hetzner"}, {"name": "Zen"},
                                            {"name": "Cloudflare"}])
    result = score(draft, gold)
    assert (result.register_found, result.register_expected, result.register_extra) == (2, 3, 2)
