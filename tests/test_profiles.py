"""The shipped DPA profiles: valid, faithful to their source documents, and strict on load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditpack.config import Policy
from auditpack.errors import ConfigError
from auditpack.model import ClauseRef, Measure
from auditpack.profiles import builtin_profiles, load_builtin, load_profile

# copies of the project's shared/seeds (tests never read ../shared: a clone must test the same)
SEEDS = Path(__file__).resolve().parent / "data" / "dpa"
SEED_OF = {"dioss": "dpa-dioss.txt", "voxio": "dpa-voxio.txt", "xis-smstools": "dpa-xis-smstools.txt"}


def _normalise(text: str) -> str:
    text = re.sub(r"-\s*\n\s*", "-", text)  # words hyphenated across a line break in the PDF export
    return " ".join(text.split())


def test_the_builtin_profiles_are_the_three_seeds_and_the_generic_gdpr_one() -> None:
    assert builtin_profiles() == ["dioss", "gdpr-art28", "voxio", "xis-smstools"]
    for name in builtin_profiles():
        profile = load_builtin(name)
        assert profile.id == name
        assert profile.profile.source
        assert all(c.measures for c in profile.clauses)


def _seed_text(name: str) -> str:
    return _normalise((SEEDS / SEED_OF[name]).read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(SEED_OF))
def test_every_quote_is_verbatim_from_the_seed(name: str) -> None:
    text = _seed_text(name)
    profile = load_builtin(name)
    assert profile.profile.source == f"shared/seeds/{SEED_OF[name]}"
    for clause in profile.clauses:
        for part in clause.quote.split("…"):
            part = _normalise(part).strip(" ,")
            assert part and part in text, f"{name} {clause.ref}: {part!r} is not in {SEED_OF[name]}"


@pytest.mark.parametrize("name", sorted(SEED_OF))
def test_every_numbered_reference_exists_in_the_seed(name: str) -> None:
    text = _seed_text(name)
    seed = SEEDS / SEED_OF[name]
    for clause in load_builtin(name).clauses:
        ref = clause.ref.split(",")[0]
        if ref.startswith("Artikel "):
            number = ref.removeprefix("Artikel ")
            assert re.search(rf"(^|\s|-){re.escape(number)}\s", text), f"{ref} not numbered in {seed.name}"
        elif re.fullmatch(r"[0-9]+\.[0-9]+", ref):
            assert f" {ref}. " in f" {text} ", f"{ref} not numbered in {seed.name}"
        else:  # a heading (Dioss) or an annex
            assert ref.split(" bullet")[0].lower() in text.lower(), f"{ref!r} is not a heading of {seed.name}"


def test_parameters_come_from_the_documents() -> None:
    dioss, voxio, xis = load_builtin("dioss"), load_builtin("voxio"), load_builtin("xis-smstools")
    base = Policy()
    assert dioss.policy(base).residency == "eea"  # "altijd ... binnen de EER"
    assert xis.policy(base).residency == "eea+adequacy"  # 3.3 "landen met een passend beschermingsniveau"
    assert voxio.policy(base).residency == "eea+adequacy"
    assert dioss.policy(base).breach_deadline_hours == 48
    assert xis.policy(base).breach_deadline_hours == 48
    assert voxio.policy(base).breach_deadline_hours is None  # "binnen een redelijke termijn"
    assert "yearly" in (dioss.policy(base).audit_frequency or "")
    # a profile overrides only what it sets
    assert dioss.policy(base.with_overrides({"backup_max_age_hours": 12})).backup_max_age_hours == 12


def test_the_dioss_register_is_complete_with_declared_locations() -> None:
    register = {s.name: s for s in load_builtin("dioss").subprocessors}
    assert set(register) == {"Hetzner Online", "Vultr", "Borgbase", "Time4VPS", "Twilio", "Ringring"}
    assert register["Hetzner Online"].countries == ("DE",)
    assert register["Time4VPS"].countries == ("LT",)
    assert register["Vultr"].countries == ("NL",)
    assert register["Ringring"].countries == ("BE",)
    assert register["Borgbase"].countries == () and register["Borgbase"].eea
    assert register["Hetzner Online"].matches("hetzner")
    assert register["Hetzner Online"].matches("HETZNER  online")
    assert not register["Hetzner Online"].matches("Hetzner Cloud")  # no fuzzy guessing
    assert load_builtin("dioss").subprocessor_clause == "Bijlage D"


def test_clauses_for_attaches_measures_and_skips_manual_clauses() -> None:
    dioss = load_builtin("dioss")
    refs = dioss.clauses_for("subprocessor_list_provider_registered", Measure.SUBPROCESSOR_LIST)
    assert ClauseRef("dioss", "Bijlage D") in refs
    assert ClauseRef("dioss", "Subverwerkers, bullet 1") in refs
    assert ClauseRef("dioss", "Subverwerkers, bullet 2") not in refs  # manual: a contract, not infrastructure
    assert dioss.clauses_for("x", Measure.ENCRYPTION_AT_REST) == (
        ClauseRef("dioss", "Technische en organisatorische maatregelen, bullet 7"),)


BASE = """
[profile]
id = "acme"
title = "t"
processor = "p"
counterpart = "c"
[[clauses]]
ref = "1.1"
quote = "q"
measures = ["backups"]
"""


@pytest.mark.parametrize("extra, message", [
    ("[parameters]\nresidency = 'mars'\n", "[parameters] residency"),
    ("[parameters]\nbackup_max_age = 3\n", "unknown keys: backup_max_age"),
    ("[[clauses]]\nref = '1.1'\nquote = 'again'\nmeasures = ['backups']\n", "appear twice"),
    ("[[clauses]]\nref = '2'\nquote = 'x'\n", "promises no measure"),
    ("[[clauses]]\nref = '2'\nquote = 'x'\nmeasures = ['backup']\n", "clauses.1.measures.0"),
    ("[[clauses]]\nref = '2'\nquote = 'x'\nmeasures = ['backups']\nparameters = ['deletion_days']\n",
     "does not set: deletion_days"),
    ("[[subprocessors]]\nname = 'X'\nservice = 's'\nlocation = 'EEA'\ncountries = ['de']\n", "alpha-2"),
    ("[[subprocessors]]\nname = 'X'\nservice = 's'\nlocation = 'EEA'\nsurprise = 1\n", "unknown key"),
])
def test_a_bad_profile_is_a_configuration_error_naming_the_key(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_profile(str(path))
    assert message in str(err.value)


def test_subprocessor_clause_must_be_a_clause(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text('subprocessor_clause = "Annex 9"\n' + BASE, encoding="utf-8")
    with pytest.raises(ConfigError, match="Annex 9"):
        load_profile(str(path))
    path.write_text('subprocessor_clause = "1.1"\n' + BASE, encoding="utf-8")
    assert load_profile(str(path)).subprocessor_clause == "1.1"


def test_unknown_builtin_names_the_builtins() -> None:
    with pytest.raises(ConfigError, match="dioss"):
        load_profile("nope")


def test_profile_residency_decides_per_dpa_with_the_real_engine() -> None:
    """The same London and Zurich resources: Dioss ("altijd binnen de EER") gets a fail under its
    transfer clauses, XIS 3.3 ("landen met een passend beschermingsniveau") a pass."""
    from auditpack.catalogs import load_catalogs
    from auditpack.checks import CheckContext, check, failed, passed
    from auditpack.collectors import CollectContext
    from auditpack.engine import evaluate
    from auditpack.evidence.provider import ProviderUse
    from auditpack.geo import aws_region_country, residency
    from auditpack.model import Basis, Resource, Status
    from helpers import FIXED_NOW

    @check(title="test: regions allowed by the policy", measure=Measure.EEA_RESIDENCY, needs=(ProviderUse,),
           basis=Basis.OBSERVED)
    def eea_residency_test_region_allowed(ctx: CheckContext):  # type: ignore[no-untyped-def]
        for _, use in ctx.evidence.records(ProviderUse):
            for region in use.locations:
                verdict = residency(aws_region_country(region), ctx.policy.residency)
                subject = Resource("aws", "region", region, scope=use.scope)
                yield (passed if verdict.allowed else failed)(subject, f"{region}: {verdict.explanation}")

    ctx = CollectContext("aws", "test", FIXED_NOW)
    use = ProviderUse(provider="aws", provider_name="Amazon Web Services", scope="1", location_type="aws_region",
                      locations=("eu-west-2", "eu-central-2"))
    ctx.collected(use, Resource("aws", "account", "1", scope="1"), raw={}, source="test")
    findings = evaluate(ctx.close(), [eea_residency_test_region_allowed], Policy(), FIXED_NOW, load_catalogs(),
                        [load_builtin("dioss"), load_builtin("xis-smstools")])
    london = {f.status: f for f in findings if f.resource.id == "eu-west-2"}
    assert set(london) == {Status.FAIL, Status.PASS}
    assert ClauseRef("dioss", "Internationale gegevensoverdrachten, bullet 2") in london[Status.FAIL].clauses
    assert all(c.profile == "dioss" for c in london[Status.FAIL].clauses)
    assert [c.profile for c in london[Status.PASS].clauses] == ["xis-smstools"]
    assert ClauseRef("xis-smstools", "3.3") in london[Status.PASS].clauses
