"""Sub-processor reconciliation: the DPA register against the providers the collectors saw."""

from __future__ import annotations

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.config import Policy
from auditpack.engine import evaluate
from auditpack.evidence.provider import ProviderUse
from auditpack.model import Basis, ClauseRef, ErrorReason, Evidence, Finding, Resource, Status
from auditpack.profiles import Profile, load_builtin
from conftest import FIXED_NOW, expect
from helpers import checks_from

DPA_CHECKS = checks_from("dpa")


def _use(ctx: CollectContext, provider: str, name: str, scope: str, location_type: str,
         locations: tuple[str, ...] = (), country: str | None = None) -> None:
    resource = Resource(provider=provider, type="provider_scope", id=f"{provider}:{scope}", name=scope, scope=scope)
    record = ProviderUse(provider=provider, provider_name=name, scope=scope, location_type=location_type,  # type: ignore[arg-type]
                         locations=locations, declared_country=country, declared=provider == "ssh")
    ctx.collected(record, resource, raw={"locations": list(locations), "country": country}, source="test")


def _run(evidence: list[Evidence], *profiles: Profile) -> list[Finding]:
    return evaluate(evidence, DPA_CHECKS, Policy(), FIXED_NOW, load_catalogs(), profiles=profiles)


def _company() -> list[Evidence]:
    ctx = CollectContext("test", "test", FIXED_NOW)
    _use(ctx, "hetzner", "Hetzner Online", "production", "hetzner_location", ("fsn1", "nbg1"))
    _use(ctx, "hetzner", "Hetzner Online", "staging", "hetzner_location", ("fsn1", "ash"))
    _use(ctx, "aws", "Amazon Web Services", "123456789012", "aws_region", ("eu-central-1",))
    _use(ctx, "ssh", "Time4VPS", "backup-lt", "country", country="LT")
    _use(ctx, "ssh", "BorgBase", "borgbase", "country", country="FI")
    _use(ctx, "ssh", "Time4VPS", "backup-us", "country", country="US")
    return ctx.close()


def test_register_reconciliation_against_the_dioss_register() -> None:
    findings = _run(_company(), load_builtin("dioss"))
    reg, loc = "subprocessor_list_provider_registered", "subprocessor_list_location_declared"
    # listed providers pass, whatever the case of their name
    expect(findings, reg, "pass", "hetzner:production", contains="listed in the sub-processor register")
    expect(findings, reg, "pass", "ssh:borgbase", contains="'Borgbase'")
    # AWS is not in Bijlage D: a fail tied to the register's clause
    [aws] = expect(findings, reg, "fail", "aws:123456789012", contains="not listed")
    assert ClauseRef("dioss", "Bijlage D") in aws.clauses
    assert ClauseRef("dioss", "Subverwerkers, bullet 2") not in aws.clauses  # a manual clause
    assert any(c.startswith("ISO27001:2022/A.5.19") for c in aws.controls)
    # locations: Germany for Hetzner, Lithuania for Time4VPS, any EEA country for Borgbase
    expect(findings, loc, "pass", "hetzner:production", contains="fsn1 (Germany)")
    expect(findings, loc, "fail", "hetzner:staging", contains="ash")
    expect(findings, loc, "pass", "ssh:backup-lt", contains="Lithuania")
    expect(findings, loc, "pass", "ssh:borgbase", contains="Finland")
    [us] = expect(findings, loc, "fail", "ssh:backup-us", contains="EEA (Lithuania)")
    assert us.status is Status.FAIL and ClauseRef("dioss", "Bijlage D") in us.clauses
    # listed but seen by no collector: not covered, a person must show it
    for name in ("Vultr", "Twilio", "Ringring"):
        expect(findings, reg, "manual", f"dioss:{name}", contains="not covered by any collector")
    assert not [f for f in findings if f.check == loc and f.resource.id == "aws:123456789012"]


def test_the_base_policy_run_emits_nothing_without_a_profile() -> None:
    assert _run(_company()) == []


def test_a_profile_without_a_register_asks_for_manual_evidence_per_provider() -> None:
    findings = _run(_company(), load_builtin("xis-smstools"))
    manual = expect(findings, "subprocessor_list_provider_registered", "manual", "aws:123456789012",
                    contains="no sub-processor register")
    assert ClauseRef("xis-smstools", "6.5") in manual[0].clauses
    assert not [f for f in findings if f.status in (Status.PASS, Status.FAIL)]


def test_findings_of_two_profiles_stay_apart() -> None:
    findings = _run(_company(), load_builtin("dioss"), load_builtin("voxio"))
    aws = [f for f in findings if f.resource.id == "aws:123456789012" and f.check.endswith("registered")]
    assert {f.status for f in aws} == {Status.FAIL, Status.MANUAL}
    assert all(len({c.profile for c in f.clauses}) == 1 for f in aws)


def test_an_unknown_location_code_is_an_error_not_a_guess() -> None:
    ctx = CollectContext("test", "test", FIXED_NOW)
    _use(ctx, "hetzner", "Hetzner Online", "new", "hetzner_location", ("xyz9",))
    _use(ctx, "hetzner", "hetzner online", "empty", "hetzner_location", ())
    findings = _run(ctx.close(), load_builtin("dioss"))
    expect(findings, "subprocessor_list_location_declared", "error", "hetzner:new", contains="xyz9")
    expect(findings, "subprocessor_list_location_declared", "not_applicable", "hetzner:empty")


def test_uncollectable_provider_use_is_an_error_tied_to_the_clause() -> None:
    ctx = CollectContext("test", "test", FIXED_NOW)
    ctx.failed(ProviderUse, Resource("hetzner", "provider_scope", "hetzner:production", scope="production"),
               error="401 unauthorized", reason=ErrorReason.AUTHENTICATION, source="GET /servers")
    _use(ctx, "aws", "Amazon Web Services", "123456789012", "aws_region", ("eu-west-1",))
    findings = _run(ctx.close(), load_builtin("dioss"))
    [err] = expect(findings, "subprocessor_list_provider_registered", "error", "hetzner:production")
    assert ClauseRef("dioss", "Bijlage D") in err.clauses
    expect(findings, "subprocessor_list_location_declared", "error", "hetzner:production")
    expect(findings, "subprocessor_list_provider_registered", "fail", "aws:123456789012")


def test_a_register_location_without_country_or_eea_needs_a_person() -> None:
    profile = load_builtin("dioss").model_copy(update={"subprocessors": (
        load_builtin("dioss").subprocessors[0].model_copy(update={"countries": (), "eea": False,
                                                                  "location": "Worldwide"}),)})
    ctx = CollectContext("test", "test", FIXED_NOW)
    _use(ctx, "hetzner", "Hetzner Online", "production", "hetzner_location", ("fsn1",))
    findings = _run(ctx.close(), profile)
    expect(findings, "subprocessor_list_location_declared", "manual", "hetzner:production", contains="Worldwide")


def test_a_declared_host_location_is_never_shown_as_observed() -> None:
    """The basis is born with the record: an SSH host's provider and country come from the
    configuration, so every reconciliation finding about it is declared; AWS and Hetzner
    locations were read from the provider and stay observed."""
    findings = _run(_company(), load_builtin("dioss"))
    about = {(f.check, f.resource.id): f.basis for f in findings if f.resource.id.count(":") == 1}
    assert about[("subprocessor_list_location_declared", "ssh:backup-lt")] is Basis.DECLARED
    assert about[("subprocessor_list_location_declared", "ssh:backup-us")] is Basis.DECLARED  # a fail, still declared
    assert about[("subprocessor_list_provider_registered", "ssh:borgbase")] is Basis.DECLARED
    assert about[("subprocessor_list_location_declared", "hetzner:production")] is Basis.OBSERVED
    assert about[("subprocessor_list_provider_registered", "aws:123456789012")] is Basis.OBSERVED
    assert all(f.to_json()["basis"] in ("observed", "declared") for f in findings)
