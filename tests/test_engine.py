"""The engine's promises: contained collector failures, gated and pure checks, profile
parameters, waivers. Uses small in-test collectors and checks (the engine's own seams)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from auditpack.catalogs import load_catalogs
from auditpack.checks import CheckContext, Verdict, check, failed, passed
from auditpack.collectors import CollectContext, Collector
from auditpack.config import Policy, Waiver, validate_config
from auditpack.engine import collect, evaluate
from auditpack.model import AttemptStatus, Basis, ClauseRef, ErrorReason, EvidenceRecord, Measure, Resource, Status
from auditpack.profiles import Profile
from auditpack.registry import Registry
from helpers import FIXED_NOW, expect


class Gadget(EvidenceRecord, kind="test.gadget"):
    name: str
    country: str


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str = "ok"


class GadgetCollector(Collector):
    id = "gadgets"
    title = "Gadgets"
    provider = "test"
    config_section = "gadgets"
    config_model = Settings
    produces = (Gadget,)
    permissions: ClassVar = {"test": ("list",)}

    def scopes(self) -> list[str]:
        return ["s1", "s2"]

    def collect(self, ctx: CollectContext) -> None:
        mode = self.settings.mode  # type: ignore[union-attr]
        if mode == "raise":
            raise RuntimeError("boom")
        if mode == "hang":
            time.sleep(5)
        for scope, name, country in (("s1", "g1", "DE"), ("s2", "g2", "GB")):
            ctx.collected(Gadget(name=name, country=country), Resource("test", "gadget", name, name, country, scope),
                          raw={"n": name}, source="List")
        if mode == "partial":
            ctx.failed(Gadget, Resource("test", "scope", "s1/*", "s1", None, "s1"), error="denied",
                       reason=ErrorReason.PERMISSION_DENIED, source="List")


class Other(EvidenceRecord, kind="test.other"):
    pass


class OtherCollector(GadgetCollector):
    id = "other"
    config_section = "other"
    produces = (Other,)

    def collect(self, ctx: CollectContext) -> None:
        ctx.collected(Other(), Resource("test", "other", "o1", "o1", None, "s1"), raw={}, source="List")


SEEN_BY_CHECK: list[str] = []


@check(title="Gadgets stay in the EEA", measure=Measure.EEA_RESIDENCY, needs=(Gadget,),
       basis=Basis.OBSERVED, remediation="Move it.")
def eea_residency_gadget_in_allowed_country(ctx: CheckContext) -> Iterable[Verdict]:
    from auditpack.geo import residency

    for ev, gadget in ctx.evidence.records(Gadget):
        SEEN_BY_CHECK.append(ev.resource.id)
        verdict = residency(gadget.country, ctx.policy.residency)
        yield (passed if verdict.allowed else failed)(ev, f"Gadget {ev.resource.id}: {verdict.explanation}.")


@check(title="At least one gadget exists per scope", measure=Measure.BACKUPS, needs=(Gadget,),
       basis=Basis.OBSERVED, remediation="Add one.", gate="scope")
def backups_gadget_present(ctx: CheckContext) -> Iterable[Verdict]:
    for ev in ctx.evidence.of(Gadget):
        yield passed(ev, "present")


@check(title="Crashes", measure=Measure.BACKUPS, needs=(Gadget,), basis=Basis.OBSERVED,
       remediation="Fix the check.")
def backups_gadget_crashes(ctx: CheckContext) -> Iterable[Verdict]:
    raise KeyError("bug")


def registry(*collectors: type[Collector]) -> Registry:
    reg = Registry()
    for cls in collectors:
        reg.add_collector(cls)
    return reg


def run(mode: str, timeout: float = 30) -> tuple[list, list]:
    reg = registry(GadgetCollector, OtherCollector)
    cfg = validate_config({"gadgets": {"mode": mode}, "other": {}, "run": {"collector_timeout_seconds": timeout}}, reg)
    result = collect(cfg, reg, FIXED_NOW)
    return result.evidence, result.collectors


def test_collector_exception_becomes_error_evidence_per_scope_and_others_run() -> None:
    evidence, runs = run("raise")
    status = {r.id: r for r in runs}
    assert status["gadgets"].status == "error" and "RuntimeError: boom" in (status["gadgets"].error or "")
    assert status["other"].status == "ok"
    errors = [e for e in evidence if e.status is AttemptStatus.ERROR]
    assert sorted(e.resource.scope for e in errors) == ["s1", "s2"]
    assert all(e.kind == "test.gadget" and e.reason is ErrorReason.INTERNAL for e in errors)


def test_collector_timeout_is_error_and_does_not_block_the_run() -> None:
    started = time.monotonic()
    evidence, runs = run("hang", timeout=0.2)
    assert time.monotonic() - started < 4
    gadgets = next(r for r in runs if r.id == "gadgets")
    assert gadgets.status == "error" and "timed out" in (gadgets.error or "")
    assert {e.reason for e in evidence if e.kind == "test.gadget"} == {ErrorReason.TIMEOUT}


def test_errored_evidence_gates_the_check_per_item() -> None:
    evidence, runs = run("partial")
    assert next(r for r in runs if r.id == "gadgets").status == "partial"
    SEEN_BY_CHECK.clear()
    findings = evaluate(evidence, [eea_residency_gadget_in_allowed_country], Policy(), FIXED_NOW, load_catalogs())
    assert sorted(SEEN_BY_CHECK) == ["g1", "g2"]  # collected items still judged
    expect(findings, "eea_residency_gadget_in_allowed_country", "error", "s1/*")
    expect(findings, "eea_residency_gadget_in_allowed_country", "pass", "g1")
    expect(findings, "eea_residency_gadget_in_allowed_country", "fail", "g2", contains="outside the EEA")


def test_scope_gate_withholds_the_whole_scope() -> None:
    evidence, _ = run("partial")
    findings = evaluate(evidence, [backups_gadget_present], Policy(), FIXED_NOW, load_catalogs())
    assert {(f.resource.scope, f.status) for f in findings} == {("s1", Status.ERROR), ("s2", Status.PASS)}


def test_a_crashing_check_is_an_error_finding_not_a_crash() -> None:
    evidence, _ = run("ok")
    findings = evaluate(evidence, [backups_gadget_crashes], Policy(), FIXED_NOW, load_catalogs())
    assert [(f.status, f.resource.type) for f in findings] == [(Status.ERROR, "check")]


def _profile(pid: str, residency: str) -> Profile:
    return Profile.model_validate({
        "profile": {"id": pid, "title": pid, "processor": "P", "counterpart": "C"},
        "parameters": {"residency": residency},
        "clauses": [{"ref": "Artikel 3.1", "quote": "binnen de EER", "measures": ["eea_residency"]}],
    })


def test_profile_parameters_override_policy_and_findings_carry_their_clauses() -> None:
    evidence, _ = run("ok")
    strict, lenient = _profile("strict", "eea"), _profile("lenient", "eea+adequacy")
    findings = evaluate(evidence, [eea_residency_gadget_in_allowed_country], Policy(), FIXED_NOW, load_catalogs(),
                        [strict, lenient])
    g2_fail = expect(findings, "eea_residency_gadget_in_allowed_country", "fail", "g2")
    assert len(g2_fail) == 1 and g2_fail[0].clauses == (ClauseRef("strict", "Artikel 3.1"),)
    g2_pass = expect(findings, "eea_residency_gadget_in_allowed_country", "pass", "g2")
    assert g2_pass[0].clauses == (ClauseRef("lenient", "Artikel 3.1"),)
    g1 = expect(findings, "eea_residency_gadget_in_allowed_country", "pass", "g1")
    both = {ClauseRef("strict", "Artikel 3.1"), ClauseRef("lenient", "Artikel 3.1")}
    assert len(g1) == 1 and set(g1[0].clauses) == both
    assert all("ISO27001:2022/A.5.23" in f.controls for f in findings)


def test_active_waiver_marks_the_failure_and_an_expired_one_does_not() -> None:
    evidence, _ = run("ok")
    active = Waiver(check="eea_residency_gadget_in_allowed_country", resource="g*", owner="CTO", reason="migrating",
                    expires=FIXED_NOW.date() + timedelta(days=1))
    expired = active.model_copy(update={"expires": date(2020, 1, 1)})
    findings = evaluate(evidence, [eea_residency_gadget_in_allowed_country], Policy(), FIXED_NOW, load_catalogs(),
                        waivers=[active])
    fail = expect(findings, "eea_residency_gadget_in_allowed_country", "fail", "g2")[0]
    assert fail.waiver == {"owner": "CTO", "reason": "migrating", "expires": str(active.expires)}
    findings = evaluate(evidence, [eea_residency_gadget_in_allowed_country], Policy(), FIXED_NOW, load_catalogs(),
                        waivers=[expired])
    assert expect(findings, "eea_residency_gadget_in_allowed_country", "fail", "g2")[0].waiver is None


def test_collectors_wait_only_for_what_they_read() -> None:
    from auditpack.collectors.tls import TlsCollector
    from auditpack.collectors.tls.config import TlsSettings
    from auditpack.engine import _waves

    class First(GadgetCollector):
        id = "aws"

    plain = TlsCollector(TlsSettings(endpoints=("a.example:443",)))
    discovering = TlsCollector(TlsSettings(discover=True))
    first = First(Settings())
    assert [[c.id for c in w] for w in _waves([first, plain])] == [["aws", "tls"]]
    assert [[c.id for c in w] for w in _waves([first, discovering])] == [["aws"], ["tls"]]


def test_a_timed_out_aws_collector_stops_making_calls() -> None:
    from auditpack.collectors.aws.session import TaskPool

    calls: list[int] = []
    ctx = CollectContext("aws", "t", FIXED_NOW)
    pool = TaskPool(2, lambda: ctx.stopped)
    pool.submit(calls.append, 1)
    pool.join()
    ctx.close()  # what the engine does when the collector times out
    assert ctx.stopped
    for i in range(5):
        pool.submit(calls.append, i + 2)
    pool.join()
    assert calls == [1]
