"""Issue 17, Hetzner depth: Storage Box access settings and snapshot plan judged, and
firewall sources wider than ``[policy] admin_sources``. Evidence is read by the real
collector (real hcloud) from the local emulator."""

from __future__ import annotations

import pytest
from hetzner_support import TOKEN, collect, evaluate_hetzner, project, settings

from auditpack.config import Policy
from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed, firewall, fw_rule, server, storage_box
from auditpack.model import Evidence
from helpers import expect

ACCESS = "network_security_hetzner_storage_box_access_restricted"
FREQUENT = "backups_hetzner_storage_box_snapshot_plan_frequent"
ADMIN_PORTS = "network_security_hetzner_server_admin_ports_closed"


def read(seed: ProjectSeed) -> list[Evidence]:
    with HetznerEmulator(seed, token=TOKEN) as api:
        evidence, _ = collect(settings(project("prod", api.url), max_retries=0))
        assert api.violations == 0
    return evidence


@pytest.fixture(scope="module")
def boxes() -> list[Evidence]:
    seed = ProjectSeed(storage_boxes=[
        storage_box(1, "internal-ssh"),
        storage_box(2, "external-ssh", external=True),
        storage_box(3, "external-samba", external=True, samba=True),
        storage_box(4, "internal-webdav", webdav=True),
        storage_box(5, "external-webdav", external=True, webdav=True, ssh=False),
        storage_box(6, "unreported"),
        storage_box(7, "weekly"),
        storage_box(8, "monthly"),
        storage_box(9, "no-plan", snapshot_plan=False),
        storage_box(10, "plan-without-hour"),
        storage_box(11, "all-off", ssh=False),
    ])
    del seed.storage_boxes[5]["access_settings"]["reachable_externally"]
    seed.storage_boxes[6]["snapshot_plan"]["day_of_week"] = 7
    seed.storage_boxes[7]["snapshot_plan"]["day_of_month"] = 1
    seed.storage_boxes[9]["snapshot_plan"]["hour"] = None
    return read(seed)


def test_storage_box_access_settings_are_judged(boxes: list[Evidence]) -> None:
    findings = evaluate_hetzner(boxes)
    expect(findings, ACCESS, "pass", "internal-ssh", contains="only from Hetzner's network over SSH/SFTP")
    expect(findings, ACCESS, "pass", "external-ssh", contains="from the internet over SSH/SFTP")
    expect(findings, ACCESS, "fail", "external-samba", contains="Samba (SMB) logins")
    expect(findings, ACCESS, "pass", "internal-webdav", contains="only from Hetzner's network")
    failed = expect(findings, ACCESS, "fail", "external-webdav", contains="WebDAV")[0]
    assert failed.details["reachable_from"] == "internet" and failed.severity.value == "high"
    # a setting the API did not report is never read as "off"
    expect(findings, ACCESS, "error", "unreported", contains="reachable_externally")
    expect(findings, ACCESS, "pass", "all-off", contains="switched off")
    assert "ISO27001:2022/A.8.13" in failed.controls  # a Storage Box holds backups


def test_snapshot_plan_frequency_against_the_backup_age(boxes: list[Evidence]) -> None:
    findings = evaluate_hetzner(boxes)
    expect(findings, FREQUENT, "pass", "internal-ssh", contains="daily and keeps 10 (about 10 days)")
    expect(findings, FREQUENT, "fail", "weekly", contains="168 hours old")
    expect(findings, FREQUENT, "fail", "monthly", contains="monthly")
    expect(findings, FREQUENT, "not_applicable", "no-plan")
    expect(findings, FREQUENT, "error", "plan-without-hour", contains="no hour")
    # a DPA that allows a week-old backup accepts the weekly plan
    relaxed = evaluate_hetzner(boxes, Policy(backup_max_age_hours=170))
    expect(relaxed, FREQUENT, "pass", "weekly")
    expect(relaxed, FREQUENT, "fail", "monthly")


@pytest.fixture(scope="module")
def exposed() -> list[Evidence]:
    seed = ProjectSeed(
        servers=[server(1, "office", ipv4="198.51.100.1", firewalls=[11]),
                 server(2, "half-internet", ipv4="198.51.100.2", firewalls=[12]),
                 server(3, "vpn-v6", ipv6="2001:db8:3::/64", firewalls=[13]),
                 server(4, "odd-source", ipv4="198.51.100.4", firewalls=[14]),
                 server(5, "private-source", ipv4="198.51.100.5", firewalls=[15]),
                 server(6, "web-to-world", ipv4="198.51.100.6", firewalls=[16])],
        firewalls=[
            firewall(11, "office", rules=[fw_rule("22", ("203.0.113.0/24",))], servers=[1]),
            firewall(12, "halves", rules=[fw_rule("22", ("0.0.0.0/1", "128.0.0.0/1"))], servers=[2]),
            firewall(13, "vpn", rules=[fw_rule("5432", ("2001:db8:ff::/48",))], servers=[3]),
            firewall(14, "odd", rules=[fw_rule("22", ("office-network",))], servers=[4]),
            firewall(15, "private", rules=[fw_rule("22", ("10.0.0.0/8",))], servers=[5]),
            firewall(16, "web", rules=[fw_rule("443"), fw_rule("22", ("203.0.113.7/32",))], servers=[6]),
        ],
    )
    return read(seed)


def test_without_admin_sources_only_the_internet_and_very_wide_public_ranges_fail(exposed: list[Evidence]) -> None:
    findings = evaluate_hetzner(exposed)
    expect(findings, ADMIN_PORTS, "pass", "office", contains="public ranges wider than /16")
    # two halves of the internet are the internet: no longer a pass because neither is /0
    expect(findings, ADMIN_PORTS, "fail", "half-internet",
           contains="22/tcp (SSH) to 0.0.0.0/1 and 128.0.0.0/1 (a public range wider than /16)")
    expect(findings, ADMIN_PORTS, "pass", "vpn-v6")
    # a source that is not a network is a gap, never "not wide"
    expect(findings, ADMIN_PORTS, "error", "odd-source", contains="'office-network'")
    expect(findings, ADMIN_PORTS, "pass", "private-source")
    expect(findings, ADMIN_PORTS, "pass", "web-to-world")


def test_admin_sources_make_every_other_source_a_fail(exposed: list[Evidence]) -> None:
    policy = Policy(admin_sources=("203.0.113.0/24", "2001:db8:ff::/56"))
    assert Policy(admin_sources=("203.0.113.9/24",)).admin_sources == ("203.0.113.0/24",)
    findings = evaluate_hetzner(exposed, policy)
    passed = expect(findings, ADMIN_PORTS, "pass", "office", contains="only to [policy] admin_sources")[0]
    assert passed.details["admin_sources"] == ["203.0.113.0/24", "2001:db8:ff::/56"]
    expect(findings, ADMIN_PORTS, "pass", "web-to-world")  # a /32 inside the office /24
    # a /48 is wider than the allowed /56, a private range is not in the list
    expect(findings, ADMIN_PORTS, "fail", "vpn-v6",
           contains="5432/tcp (PostgreSQL) to 2001:db8:ff::/48 (not within [policy] admin_sources)")
    expect(findings, ADMIN_PORTS, "fail", "private-source", contains="10.0.0.0/8")
    expect(findings, ADMIN_PORTS, "error", "odd-source")


def test_admin_sources_must_be_networks() -> None:
    with pytest.raises(ValueError, match="'office' is not an IP network"):
        Policy(admin_sources=("office",))
