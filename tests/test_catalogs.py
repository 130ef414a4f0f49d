"""The catalogs are data, validated strictly: ISO/IEC 27001:2022 Annex A, GDPR, the mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditpack.catalogs import data_text, load_catalogs, parse_catalogs
from auditpack.errors import CatalogError
from auditpack.model import Measure

# a copy of the project's shared/domain/controls.json (tests never read ../shared)
REFERENCE = Path(__file__).resolve().parent / "data" / "controls.json"
ISO, GDPR, MAPPING = data_text("iso27001_2022.json"), data_text("gdpr.json"), data_text("mapping.toml")


def test_annex_a_has_the_93_controls_in_four_themes() -> None:
    iso = load_catalogs().iso
    themes = {prefix: sum(1 for cid in iso if cid.startswith(prefix + ".")) for prefix in ("A.5", "A.6", "A.7", "A.8")}
    assert themes == {"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}
    assert iso["A.8.24"].title == "Use of cryptography"
    assert iso["A.8.28"].title == "Secure coding"
    assert iso["A.5.23"].title == "Information security for use of cloud services"


def test_titles_match_the_shared_reference() -> None:
    reference = {c["id"]: c["title"] for c in json.loads(REFERENCE.read_text("utf-8"))["controls"]}
    assert {cid: c.title for cid, c in load_catalogs().iso.items()} == reference


def test_gdpr_processor_articles_are_present() -> None:
    gdpr = load_catalogs().gdpr
    for article in ("28", "28(2)", "28(3)(a)", "28(3)(g)", "28(3)(h)", "28(4)", "32", "32(1)(a)", "32(1)(c)",
                    "33", "33(2)", "44", "45", "46", "46(1)", "46(2)(c)"):
        assert article in gdpr, article


def test_known_mistakes_are_not_mapped() -> None:
    cats = load_catalogs()
    assert "ISO27001:2022/A.8.11" not in cats.measures[Measure.ENCRYPTION_AT_REST]  # data masking
    assert not any(ref.startswith("GDPR/Art.42") for refs in cats.measures.values() for ref in refs)
    assert cats.measures[Measure.CERTIFICATION][-1] == "GDPR/Art.28(1)"
    assert "ISO27001:2022/A.8.13" in cats.measures[Measure.BACKUPS]
    assert "ISO27001:2022/A.8.13" not in cats.controls_for("encryption_at_rest_ebs_volume_encrypted",
                                                            Measure.ENCRYPTION_AT_REST)
    assert "ISO27001:2022/A.8.13" in cats.controls_for("encryption_at_rest_ssh_backup_repository_encrypted",
                                                        Measure.ENCRYPTION_AT_REST)


def test_check_specific_controls_are_added_after_the_measure_ones() -> None:
    refs = load_catalogs().controls_for("subprocessor_list_location_declared", Measure.SUBPROCESSOR_LIST)
    assert refs[0] == "ISO27001:2022/A.5.19" and refs[-1] == "GDPR/Art.44"
    assert len(refs) == len(set(refs))


def test_describe_resolves_a_refined_gdpr_article_to_its_parent() -> None:
    cats = load_catalogs()
    assert cats.describe("GDPR/Art.30(2)(c)").title == cats.gdpr["30(2)"].title
    assert cats.describe("ISO27001:2022/A.8.13").title == "Information backup"


@pytest.mark.parametrize("mapping, message", [
    (MAPPING.replace('"A.8.24", "A.7.10"', '"A.8.99", "A.7.10"'), "A.8.99"),
    (MAPPING.replace('"A.8.24", "A.7.10"', '"8.24", "A.7.10"'), "'8.24'"),
    (MAPPING.replace('gdpr = ["28(1)"]', 'gdpr = ["99"]'), "'99'"),
    (MAPPING.replace("[measures.certification]", "[measures.certifications]"), "not a measure"),
    (MAPPING + "\n[extra]\nx = 1\n", "only [measures.*] and [checks.*]"),
    (MAPPING + "\n[checks.some_check]\nnist = ['AC-1']\n", "only the keys 'iso' and 'gdpr'"),
])
def test_a_bad_mapping_stops_with_a_catalog_error(mapping: str, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        parse_catalogs(ISO, GDPR, mapping)
    assert message in str(err.value)


def test_a_measure_without_controls_is_an_error() -> None:
    start = MAPPING.index("[measures.certification]")
    end = MAPPING.index("# Finer mappings")
    with pytest.raises(CatalogError, match="measures without controls: certification"):
        parse_catalogs(ISO, GDPR, MAPPING[:start] + MAPPING[end:])


def test_a_catalog_with_a_missing_or_duplicate_control_is_an_error() -> None:
    data = json.loads(ISO)
    data["controls"] = data["controls"][:-1]
    with pytest.raises(CatalogError, match="expected the 93"):
        parse_catalogs(json.dumps(data), GDPR, MAPPING)
    data = json.loads(ISO)
    data["controls"][1]["id"] = data["controls"][0]["id"]
    with pytest.raises(CatalogError, match="duplicate"):
        parse_catalogs(json.dumps(data), GDPR, MAPPING)
