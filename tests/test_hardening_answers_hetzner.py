"""Issue 11, untrue evidence from the Hetzner API: answers that do not have the documented
shape are ``error`` for that listing or that resource, never "nothing there", and a listing
whose pagination never ends stops at a bound, keeping what it read. The real hcloud library
talks to the Hetzner emulator through a fault-injecting proxy."""

from __future__ import annotations

from typing import Any

from faultproxy import FaultProxy, html_page, json_body
from hetzner_support import TOKEN, collect, project, settings

from auditpack.catalogs import load_catalogs
from auditpack.config import Policy
from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed, firewall, fw_rule, server
from auditpack.engine import evaluate
from auditpack.model import AttemptStatus, ErrorReason, Evidence, Finding, Status
from auditpack.registry import default_registry
from helpers import FIXED_NOW

ADMIN = "network_security_hetzner_server_admin_ports_closed"


def _seed() -> ProjectSeed:
    return ProjectSeed(servers=[server(101, "web-1", ipv4="203.0.113.10", firewalls=[7]),
                                server(102, "db-1", ipv4="203.0.113.11", firewalls=[8])],
                       firewalls=[firewall(7, "ssh-open", rules=[fw_rule("22")], servers=[101]),
                                  firewall(8, "closed", rules=[fw_rule("443")], servers=[102])])


def _judge(evidence: list[Evidence]) -> list[Finding]:
    checks = [c for c in default_registry().sorted_checks() if c.id.startswith(("network_security_hetzner",
                                                                                "backups_hetzner"))]
    return evaluate(evidence, checks, Policy(), FIXED_NOW, load_catalogs())


def _collect_through(proxy_setup: Any, **collector: Any) -> tuple[list[Evidence], FaultProxy]:
    with HetznerEmulator(_seed(), token=TOKEN) as api, FaultProxy(api.url.rsplit("/v1", 1)[0]) as proxy:
        proxy_setup(proxy)
        evidence, _ = collect(settings(project("prod", proxy.url + "/v1"), **collector))
    return evidence, proxy


def _errors(evidence: list[Evidence], kind: str) -> list[Evidence]:
    return [ev for ev in evidence if ev.kind == kind and ev.status is AttemptStatus.ERROR]


def test_firewall_rules_null_missing_or_not_objects_are_errors_not_a_pass() -> None:
    def broken_rules(body: dict[str, Any]) -> dict[str, Any]:
        fws = body["firewalls"]
        fws[0]["rules"] = None          # ssh-open: null
        del fws[1]["rules"]             # closed: missing
        return body

    evidence, _ = _collect_through(lambda p: p.add("GET /v1/firewalls", json_body(broken_rules)))
    bad = _errors(evidence, "hetzner.firewall")
    assert {ev.resource.name for ev in bad} == {"ssh-open", "closed"}
    assert all(ev.reason is ErrorReason.INVALID_RESPONSE and "rules" in (ev.error or "") for ev in bad)
    findings = [f for f in _judge(evidence) if f.check == ADMIN]
    assert findings and not [f for f in findings if f.status is Status.PASS]
    assert any(f.status is Status.ERROR for f in findings)

    def odd_rules(body: dict[str, Any]) -> dict[str, Any]:
        body["firewalls"][0]["rules"] = ["22", 22]
        return body

    evidence, _ = _collect_through(lambda p: p.add("GET /v1/firewalls", json_body(odd_rules)))
    assert {ev.resource.name for ev in _errors(evidence, "hetzner.firewall")} == {"ssh-open"}
    assert not [f for f in _judge(evidence) if f.check == ADMIN and f.status is Status.PASS]


def test_a_servers_list_of_non_objects_is_an_error_not_an_empty_project() -> None:
    def scalars(body: dict[str, Any]) -> dict[str, Any]:
        body["servers"] = [101, "db-1"]
        return body

    evidence, _ = _collect_through(lambda p: p.add("GET /v1/servers", json_body(scalars)))
    errors = _errors(evidence, "hetzner.server")
    assert len(errors) == 1 and errors[0].reason is ErrorReason.INVALID_RESPONSE
    assert "not an object" in (errors[0].error or "")
    assert not [f for f in _judge(evidence) if f.check == ADMIN and f.status is Status.PASS]
    # the other listings are untouched
    assert {ev.resource.name for ev in evidence if ev.kind == "hetzner.firewall" and ev.ok} == {"ssh-open", "closed"}


def test_a_listing_answered_with_an_html_page_is_an_error_for_that_listing_only() -> None:
    evidence, _ = _collect_through(lambda p: p.add("GET /v1/servers", html_page))
    errors = _errors(evidence, "hetzner.server")
    assert len(errors) == 1 and errors[0].reason is ErrorReason.INVALID_RESPONSE
    assert [ev for ev in evidence if ev.kind == "hetzner.firewall" and ev.ok]


def test_pagination_that_never_ends_stops_at_the_bound_and_keeps_what_was_read() -> None:
    def endless(body: dict[str, Any]) -> dict[str, Any]:
        pagination = body["meta"]["pagination"]
        pagination["next_page"] = pagination["page"] + 1  # a new page on every call
        if pagination["page"] > 1:
            body["firewalls"] = [firewall(1000 + pagination["page"], f"fw-{pagination['page']}",
                                          rules=[fw_rule("443")])]
        return body

    evidence, proxy = _collect_through(lambda p: p.add("GET /v1/firewalls", json_body(endless)), max_pages=25)
    firewall_requests = [r for r in proxy.requests if r.startswith("GET /v1/firewalls")]
    assert len(firewall_requests) == 25
    errors = _errors(evidence, "hetzner.firewall")
    assert len(errors) == 1 and "25 pages" in (errors[0].error or "")
    kept = [ev for ev in evidence if ev.kind == "hetzner.firewall" and ev.ok]
    assert len(kept) == 2 + 24  # the two real firewalls and one per extra page
    assert [ev for ev in evidence if ev.kind == "hetzner.server" and ev.ok]
