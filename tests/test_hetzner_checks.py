"""The Hetzner checks on evidence the real collector read from the emulator (and, for
encryption at rest, SSH host evidence built with the SSH collector's own records)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hetzner_support import evaluate_hetzner, read, ssh_block_devices

from auditpack.checks.hetzner import selector_matches
from auditpack.config import Policy
from auditpack.emulators.hetzner import (
    ProjectSeed,
    certificate,
    demo_project,
    firewall,
    floating_ip,
    fw_rule,
    image,
    lb_service,
    load_balancer,
    location,
    primary_ip,
    server,
    storage_box,
    volume,
)
from auditpack.model import Evidence, Finding, Status
from helpers import FIXED_NOW, expect

RESIDENCY = "eea_residency_hetzner_resource_location_allowed"
BACKUPS_ON = "backups_hetzner_server_backups_enabled"
BACKUP_RECENT = "backups_hetzner_server_backup_recent"
SNAPSHOT_PLAN = "backups_hetzner_storage_box_snapshot_plan_enabled"
HTTP_REDIRECT = "encryption_in_transit_hetzner_load_balancer_http_redirected"
CERT_VALID = "encryption_in_transit_hetzner_load_balancer_certificate_valid"
ADMIN_PORTS = "network_security_hetzner_server_admin_ports_closed"
FIREWALL = "network_security_hetzner_server_firewall_attached"
VOLUME_LUKS = "encryption_at_rest_hetzner_volume_encrypted"
DISK_LUKS = "encryption_at_rest_hetzner_server_disk_encrypted"


def only(findings: list[Finding], check: str) -> dict[str, Status]:
    return {f.resource.id: f.status for f in findings if f.check == check}


@pytest.fixture(scope="module")
def demo() -> list[Evidence]:
    return read(demo_project(FIXED_NOW))


def test_demo_project_verdicts(demo: list[Evidence]) -> None:
    findings = evaluate_hetzner(demo)
    expect(findings, RESIDENCY, "pass", "101", contains="Germany (DE) is in the EEA")
    expect(findings, RESIDENCY, "fail", "103", contains="United States (US) is outside the EEA")
    expect(findings, RESIDENCY, "fail", "500103")  # its primary IP lives in ash too
    expect(findings, RESIDENCY, "pass", "701")  # the Storage Box
    expect(findings, BACKUPS_ON, "pass", "app-1")
    expect(findings, BACKUPS_ON, "fail", "worker-us", contains="disabled")
    expect(findings, BACKUP_RECENT, "pass", "app-1", contains="5.0 hours old")
    expect(findings, BACKUP_RECENT, "fail", "db-1", contains="4.0 days old")
    expect(findings, BACKUP_RECENT, "fail", "worker-us", contains="no available backup image (backups are disabled)")
    expect(findings, SNAPSHOT_PLAN, "fail", "backup-box")
    expect(findings, HTTP_REDIRECT, "fail", "lb-web", contains="port 80")
    expect(findings, CERT_VALID, "pass", "lb-web", contains="at least 60 more days")
    expect(findings, ADMIN_PORTS, "fail", "db-1", contains="firewall admin opens 22/tcp (SSH) to 0.0.0.0/0 and ::/0")
    expect(findings, ADMIN_PORTS, "pass", "app-1")
    expect(findings, ADMIN_PORTS, "not_applicable", "worker-us")
    expect(findings, FIREWALL, "pass", "db-1", contains="admin")
    expect(findings, FIREWALL, "fail", "worker-us", contains="no Hetzner firewall")
    expect(findings, VOLUME_LUKS, "manual", "db-data", contains="scsi-0HC_Volume_201")
    expect(findings, DISK_LUKS, "manual", "app-1")
    # the fail carries the firewall that causes it
    exposed = expect(findings, ADMIN_PORTS, "fail", "db-1")[0]
    assert len(exposed.evidence) == 2 and exposed.severity.value == "high"


def test_residency_follows_the_policy_and_never_guesses(demo: list[Evidence]) -> None:
    adequacy = evaluate_hetzner(demo, Policy(residency="eea+adequacy"))
    expect(adequacy, RESIDENCY, "manual", "103", contains="Data Privacy Framework")
    seed = ProjectSeed(
        servers=[server(1, "sg", "sin"), server(2, "mystery", "xyz1")],
        volumes=[volume(3, "no-country-field", "hel1")],
        floating_ips=[floating_ip(4, "198.51.100.4", "hil")],
        load_balancers=[load_balancer(5, "lb", "nbg1")],
    )
    seed.volumes[0]["location"] = location("hel1", country=None)  # falls back to the location table
    seed.servers[0]["location"]["country"] = "sg"  # the API's value wins, whatever its case
    findings = evaluate_hetzner(read(seed))
    expect(findings, RESIDENCY, "fail", "sg", contains="Singapore")
    expect(findings, RESIDENCY, "error", "mystery", contains="xyz1")
    expect(findings, RESIDENCY, "pass", "no-country-field", contains="Finland")
    expect(findings, RESIDENCY, "fail", "4", contains="hil")
    expect(findings, RESIDENCY, "pass", "lb")


def test_a_failed_listing_is_an_error_for_that_project_never_a_verdict() -> None:
    seed = demo_project(FIXED_NOW)
    evidence = read(seed, inject=((503, "/images"), (503, "/firewalls")))
    findings = evaluate_hetzner(evidence)
    # backup age and firewall reach cannot be judged: error on the project, nothing per server
    expect(findings, BACKUP_RECENT, "error", "prod", contains="/images")
    expect(findings, ADMIN_PORTS, "error", "prod", contains="/firewalls")
    expect(findings, FIREWALL, "error", "prod")
    assert set(only(findings, BACKUP_RECENT).values()) == {Status.ERROR}
    assert set(only(findings, FIREWALL).values()) == {Status.ERROR}
    # facts from the listings that worked are still judged
    expect(findings, BACKUPS_ON, "fail", "worker-us")


def test_backup_age_limit_comes_from_the_policy(demo: list[Evidence]) -> None:
    lenient = evaluate_hetzner(demo, Policy(backup_max_age_hours=24 * 5))
    expect(lenient, BACKUP_RECENT, "pass", "db-1")
    seed = ProjectSeed(servers=[server(1, "snap-only")],
                       images=[image(9, "snapshot", FIXED_NOW - timedelta(hours=1), server_id=1),
                               image(10, "backup", FIXED_NOW - timedelta(hours=1), server_id=2)])
    findings = evaluate_hetzner(read(seed))
    expect(findings, BACKUP_RECENT, "fail", "snap-only", contains="no available backup image")


def test_storage_box_snapshot_plan() -> None:
    seed = ProjectSeed(storage_boxes=[storage_box(1, "with-plan"), storage_box(2, "without", snapshot_plan=False)])
    findings = evaluate_hetzner(read(seed))
    expect(findings, SNAPSHOT_PLAN, "pass", "with-plan", contains="10 snapshots")
    expect(findings, SNAPSHOT_PLAN, "fail", "without")


def test_load_balancer_services_and_certificates() -> None:
    soon = FIXED_NOW + timedelta(days=5)
    seed = ProjectSeed(
        load_balancers=[
            load_balancer(1, "https-only", services=[lb_service("https", 443, 80, redirect_http=True,
                                                                certificates=[11])]),
            load_balancer(2, "expiring", services=[lb_service("https", 443, 80, certificates=[12])]),
            load_balancer(3, "expired", services=[lb_service("https", 443, 80, certificates=[13])]),
            load_balancer(4, "tcp", services=[lb_service("tcp", 443)]),
            load_balancer(5, "empty"),
            load_balancer(6, "dangling", services=[lb_service("https", 443, 80, certificates=[99])]),
            load_balancer(7, "no-cert", services=[lb_service("https", 443, 80)]),
            load_balancer(8, "pending", services=[lb_service("https", 443, 80, certificates=[14])]),
        ],
        certificates=[certificate(11, "good", FIXED_NOW + timedelta(days=80)),
                      certificate(12, "soon", soon),
                      certificate(13, "old", FIXED_NOW - timedelta(days=1), type="uploaded"),
                      certificate(14, "new", None, issuance="pending")],
    )
    findings = evaluate_hetzner(read(seed))
    expect(findings, HTTP_REDIRECT, "pass", "https-only", contains="redirects HTTP to HTTPS")
    expect(findings, HTTP_REDIRECT, "manual", "tcp", contains="only forwards TCP")
    expect(findings, HTTP_REDIRECT, "not_applicable", "empty")
    expect(findings, CERT_VALID, "pass", "https-only")
    expect(findings, CERT_VALID, "fail", "expiring", contains="expires in 5 days")
    expect(findings, CERT_VALID, "fail", "expired", contains="expired on")
    expect(findings, CERT_VALID, "error", "dangling", contains="certificate 99 is not in")
    expect(findings, CERT_VALID, "fail", "no-cert", contains="has no certificate")
    expect(findings, CERT_VALID, "error", "pending", contains="not been issued")
    assert "tcp" not in {f.resource.name for f in findings if f.check == CERT_VALID}
    relaxed = evaluate_hetzner(read(seed), Policy(certificate_min_days=3))
    expect(relaxed, CERT_VALID, "pass", "expiring")


def test_firewall_rules_ranges_selectors_and_private_servers() -> None:
    seed = ProjectSeed(
        servers=[
            server(1, "range", ipv4="198.51.100.1", firewalls=[21]),
            server(2, "db-by-label", ipv4="198.51.100.2", labels={"tier": "db", "env": "prod"}),
            server(3, "office-only", ipv4="198.51.100.3", firewalls=[23]),
            server(4, "private"),
            server(5, "rdp-udp", ipv6="2001:db8:5::/64", firewalls=[25]),
            server(6, "web", ipv4="198.51.100.6", firewalls=[26]),
        ],
        firewalls=[
            firewall(21, "wide-range", rules=[fw_rule("1-1024")], servers=[1]),
            # selector without applied_to_resources: evaluated against the servers' labels
            firewall(22, "postgres", rules=[fw_rule("5432", ("::/0",))], selectors={}),
            firewall(23, "office", rules=[fw_rule("22", ("203.0.113.0/24",)), fw_rule("any", protocol="icmp")],
                     servers=[3]),
            firewall(25, "rdp", rules=[fw_rule("3389", ("0.0.0.0/0",), protocol="udp")], servers=[5]),
            firewall(26, "web", rules=[fw_rule("443"), fw_rule("22", direction="out")], servers=[6]),
        ],
    )
    seed.firewalls[1]["applied_to"] = [{"type": "label_selector",
                                        "label_selector": {"selector": "tier in (db, cache),env!=dev"}}]
    findings = evaluate_hetzner(read(seed))
    expect(findings, ADMIN_PORTS, "fail", "range", contains="22/tcp (SSH)")
    expect(findings, ADMIN_PORTS, "fail", "db-by-label",
           contains="firewall postgres opens 5432/tcp (PostgreSQL) to ::/0")
    expect(findings, FIREWALL, "pass", "db-by-label", contains="postgres")
    expect(findings, ADMIN_PORTS, "pass", "office-only")
    expect(findings, ADMIN_PORTS, "not_applicable", "private")
    expect(findings, FIREWALL, "not_applicable", "private")
    expect(findings, ADMIN_PORTS, "fail", "rdp-udp", contains="3389/udp (RDP)")
    expect(findings, ADMIN_PORTS, "pass", "web")
    custom = evaluate_hetzner(read(seed), Policy(admin_ports=(2222,), database_ports=()))
    expect(custom, ADMIN_PORTS, "pass", "db-by-label")
    assert only(custom, ADMIN_PORTS)["1"] is Status.PASS  # 1-1024 does not cover 2222


def test_an_unevaluable_label_selector_is_an_error_not_a_pass() -> None:
    seed = ProjectSeed(servers=[server(1, "maybe", ipv4="198.51.100.1", labels={"a": "b"})],
                       firewalls=[firewall(2, "odd", rules=[fw_rule("22")])])
    seed.firewalls[0]["applied_to"] = [{"type": "label_selector", "label_selector": {"selector": "a ~ b"}}]
    findings = evaluate_hetzner(read(seed))
    expect(findings, FIREWALL, "error", "maybe", contains="unevaluable label selector")


@pytest.mark.parametrize(("selector", "labels", "result"), [
    ("env=prod", {"env": "prod"}, True),
    ("env==prod", {"env": "dev"}, False),
    ("env!=prod", {"env": "dev"}, True),
    ("env", {}, False),
    ("!env", {}, True),
    ("tier in (db, cache),env", {"tier": "cache", "env": "x"}, True),
    ("tier notin (db)", {"tier": "db"}, False),
    ("example.com/role=db", {"example.com/role": "db"}, True),
    ("a ~ b", {"a": "b"}, None),
    ("", {}, None),
])
def test_label_selectors(selector: str, labels: dict[str, str], result: bool | None) -> None:
    assert selector_matches(selector, labels) is result


# --- encryption at rest: the join with SSH host evidence -----------------------------------

def _disk(name: str, **fields: object) -> dict[str, object]:
    return {"name": name, "type": "disk", "fstype": None, "mountpoints": (), "encrypted": False,
            "hetzner_volume_id": None, "is_root": False, **fields}


def test_volume_and_root_disk_encryption_join_host_evidence() -> None:
    seed = ProjectSeed(
        servers=[server(1, "db-1", ipv4="198.51.100.1", volumes=[11]), server(2, "app-1", ipv4="198.51.100.2",
                                                                              volumes=[12]),
                 server(3, "by-address", ipv4="198.51.100.3"), server(4, "by-v6", ipv6="2001:db8:4::/64")],
        volumes=[volume(11, "db-data", server_id=1), volume(12, "app-data", server_id=2),
                 volume(13, "detached")],
        primary_ips=[primary_ip(40, "198.51.100.1", assignee_id=1)],
    )
    hetzner = read(seed)
    host_db = ssh_block_devices("db-1", [
        _disk("sda", is_root=False),
        _disk("sda1", type="part", fstype="crypto_LUKS", encrypted=True),
        _disk("root", type="crypt", fstype="ext4", mountpoints=("/",), encrypted=True, is_root=True),
        _disk("sdb", fstype="crypto_LUKS", encrypted=True, hetzner_volume_id="11"),
        _disk("data", type="crypt", fstype="xfs", mountpoints=("/srv",), encrypted=True),
    ])
    host_app = ssh_block_devices("app-1", [
        _disk("sda1", type="part", fstype="ext4", mountpoints=("/",), is_root=True),
        _disk("sdb", fstype="ext4", mountpoints=("/mnt/app",), hetzner_volume_id="12"),
    ])
    # matched by address: the ssh.host record, and the address in the SSH resource id (IPv6 in the /64)
    host_addr = ssh_block_devices("backup-host", [_disk("vda", fstype="ext4", is_root=True, mountpoints=("/",))],
                                  address="198.51.100.3")
    host_v6 = ssh_block_devices("v6-host", [_disk("vda", fstype="ext4", is_root=True)],
                                resource_id="audit@[2001:db8:4::1]:22")
    findings = evaluate_hetzner([*hetzner, *host_db, *host_app, *host_addr, *host_v6])
    passed = expect(findings, VOLUME_LUKS, "pass", "db-data", contains="encrypted on db-1 (LUKS)")[0]
    assert host_db[0].path in passed.evidence and len(passed.evidence) == 2  # both pieces of evidence
    expect(findings, VOLUME_LUKS, "fail", "app-data", contains="sdb (disk, ext4)")
    expect(findings, VOLUME_LUKS, "manual", "detached")
    expect(findings, DISK_LUKS, "pass", "db-1", contains="root (crypt, ext4, encrypted by a crypt layer)")
    expect(findings, DISK_LUKS, "fail", "app-1")
    expect(findings, DISK_LUKS, "fail", "by-address")
    expect(findings, DISK_LUKS, "fail", "by-v6")


def test_host_evidence_without_the_volume_or_the_root_stays_manual() -> None:
    seed = ProjectSeed(servers=[server(1, "db-1")], volumes=[volume(11, "db-data", server_id=1),
                                                             volume(12, "lvm-pv", server_id=1)])
    host = ssh_block_devices("db-1", [_disk("sdc", fstype="ext4"),
                                      _disk("sdd", fstype="LVM2_member", hetzner_volume_id="12")])
    findings = evaluate_hetzner([*read(seed), *host])
    expect(findings, VOLUME_LUKS, "manual", "db-data")
    expect(findings, VOLUME_LUKS, "manual", "lvm-pv", contains="LVM or RAID member")
    expect(findings, DISK_LUKS, "manual", "db-1", contains="does not show which device backs '/'")
