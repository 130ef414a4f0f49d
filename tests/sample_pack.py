"""A realistic audit pack built without the runner, for the report tests and the browser test.

``build_sample_pack(root)`` writes a pack the way the runner does (``pack.write_content``,
``reports.render_pack``, ``pack.write_manifest``): every collector kind, the three seed DPA
profiles, real sub-processor reconciliation findings (the engine over ``provider.use``
evidence), hand-made findings for the other measures (pass, fail, error, manual, n/a),
an active and an expired waiver, and two manual documents. ``hostile=True`` puts
attacker-style strings (``<script>``, ``|``, backticks, newlines, ``*_[]``) into resource
names, tags-like messages and the organisation name.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.config import Policy
from auditpack.engine import evaluate
from auditpack.evidence.provider import ProviderUse
from auditpack.model import (
    ClauseRef,
    ErrorReason,
    Evidence,
    EvidenceRecord,
    Finding,
    Measure,
    Resource,
    Severity,
    Status,
)
from auditpack.pack import PackContent, write_content, write_manifest
from auditpack.packmodel import Context, RunInfo
from auditpack.profiles import Profile, load_builtin
from auditpack.registry import default_registry
from auditpack.reports import render_pack
from helpers import FIXED_NOW, checks_from

HOSTILE = "<script>alert('x')</script> | `rm -rf` *bold* _it_ [link](http://evil.example)\nsecond line"
PROFILES = ("dioss", "xis-smstools", "voxio")


class SampleFact(EvidenceRecord, kind="sample.fact"):
    """A stand-in record for provider facts in report tests (the real records belong to collectors)."""

    fact: str
    value: str


def _use(ctx: CollectContext, provider: str, name: str, scope: str, location_type: str,
         locations: tuple[str, ...] = (), country: str | None = None) -> Evidence:
    resource = Resource(provider=provider, type="provider_scope", id=f"{provider}:{scope}", name=scope, scope=scope)
    record = ProviderUse(provider=provider, provider_name=name, scope=scope, location_type=location_type,  # type: ignore[arg-type]
                         locations=locations, declared_country=country, declared=provider == "ssh")
    return ctx.collected(record, resource, raw={"locations": list(locations), "declared_country": country},
                         source="provider.use")


class _Maker:
    def __init__(self, profiles: list[Profile]) -> None:
        self.profiles = profiles
        self.cats = load_catalogs()
        self.evidence: list[Evidence] = []
        self.findings: list[Finding] = []

    def ctx(self, collector: str) -> CollectContext:
        return CollectContext(collector, "0.1.0", FIXED_NOW)

    def finding(self, ev: Evidence, check: str, measure: Measure, status: Status, message: str, *,
                only: tuple[str, ...] = PROFILES, severity: Severity = Severity.MEDIUM,
                remediation: str | None = None, waiver: dict[str, Any] | None = None) -> None:
        clauses: list[ClauseRef] = []
        for p in self.profiles:
            if p.id in only:
                clauses.extend(p.clauses_for(check, measure))
        self.findings.append(Finding(
            check=check, measure=measure, status=status, resource=ev.resource, message=message, severity=severity,
            evidence=(ev.path,), remediation=remediation, controls=self.cats.controls_for(check, measure),
            clauses=tuple(clauses), details={"reason": str(ev.reason)} if ev.reason else {}, waiver=waiver,
            basis=ev.basis))


def build_sample_pack(root: Path, *, hostile: bool = False) -> Path:
    profiles = [load_builtin(name) for name in PROFILES]
    m = _Maker(profiles)
    odd = HOSTILE if hostile else ""
    org = f"Example Processor BV {odd}".strip()

    # --- providers in use (the reconciliation input) -------------------------------------------
    aws, hetzner, ssh, tls = m.ctx("aws"), m.ctx("hetzner"), m.ctx("ssh"), m.ctx("tls")
    _use(aws, "aws", "Amazon Web Services", "123456789012", "aws_region", ("eu-central-1", "eu-west-2"))
    _use(hetzner, "hetzner", "Hetzner Online", "production", "hetzner_location", ("fsn1", "nbg1"))
    _use(ssh, "ssh", "Time4VPS", "backup-lt", "country", country="LT")
    _use(ssh, "ssh", "BorgBase", "borgbase-eu", "country", country="FI")

    # --- facts behind the hand-made findings ---------------------------------------------------
    def fact(ctx: CollectContext, rtype: str, rid: str, name: str, location: str | None, scope: str, value: str,
             provider: str) -> Evidence:
        return ctx.collected(SampleFact(fact=rtype, value=value), Resource(provider, rtype, rid, name, location, scope),
                             raw={"value": value, "name": name}, source=f"sample:{rtype}")

    acct = "123456789012"
    vol_ok = fact(aws, "ebs_volume", f"arn:aws:ec2:eu-central-1:{acct}:volume/vol-0a1", "db-data", "eu-central-1",
                  acct, "encrypted", "aws")
    vol_bad = fact(aws, "ebs_volume", f"arn:aws:ec2:eu-central-1:{acct}:volume/vol-0b2", f"scratch{odd}",
                   "eu-central-1", acct, "unencrypted", "aws")
    london = fact(aws, "s3_bucket", "arn:aws:s3:::legacy-exports", "legacy-exports", "eu-west-2", acct, "eu-west-2",
                  "aws")
    frankfurt = fact(aws, "s3_bucket", "arn:aws:s3:::customer-uploads", "customer-uploads", "eu-central-1", acct,
                     "eu-central-1", "aws")
    root_mfa = fact(aws, "account", acct, acct, None, acct, "mfa", "aws")
    trail = aws.failed(SampleFact, Resource("aws", "cloudtrail", f"arn:aws:cloudtrail:eu-central-1:{acct}:trail/*",
                                               "trails", "eu-central-1", acct),
                       error="AccessDenied: cloudtrail:DescribeTrails", reason=ErrorReason.PERMISSION_DENIED,
                       source="cloudtrail:DescribeTrails")
    firewall = fact(hetzner, "firewall", "4711", "web-fw", "fsn1", "production", "22 closed", "hetzner")
    fw_gap = hetzner.failed(SampleFact, Resource("hetzner", "firewall", "hetzner:production:firewalls",
                                                    "firewalls", None, "production"),
                            error="timed out after 30 s", reason=ErrorReason.TIMEOUT, source="GET /firewalls")
    borg_lt = fact(ssh, "borg_repository", "audit@backup-lt:22/srv/borg/app", "app", "LT", "backup-lt", "6h",
                   "ssh")
    borg_eu = fact(ssh, "borg_repository", "audit@borgbase-eu:22/./repo", "app-offsite", "FI", "borgbase-eu",
                   "40h", "ssh")
    endpoint = fact(tls, "endpoint", "app.example.eu:443", "app.example.eu:443", None, "app.example.eu:443",
                    "TLSv1.3", "tls")

    for ctx in (aws, hetzner, ssh, tls):
        m.evidence.extend(ctx.close())

    E = Measure
    m.finding(vol_ok, "encryption_at_rest_ebs_volume_encrypted", E.ENCRYPTION_AT_REST, Status.PASS,
              "EBS volume db-data is encrypted (KMS key alias/ebs).")
    m.finding(vol_bad, "encryption_at_rest_ebs_volume_encrypted", E.ENCRYPTION_AT_REST, Status.FAIL,
              f"EBS volume scratch{odd} is not encrypted.", severity=Severity.HIGH,
              remediation="Create an encrypted copy of the volume and enable EBS encryption by default.")
    m.finding(frankfurt, "eea_residency_s3_bucket_in_allowed_location", E.EEA_RESIDENCY, Status.PASS,
              "S3 bucket customer-uploads is in eu-central-1 (Germany), inside the EEA.")
    m.finding(london, "eea_residency_s3_bucket_in_allowed_location", E.EEA_RESIDENCY, Status.FAIL,
              "S3 bucket legacy-exports is in eu-west-2 (United Kingdom), outside the EEA (it has an EU adequacy "
              "decision, but the policy requires the EEA).", only=("dioss",), severity=Severity.HIGH,
              remediation="Move the bucket's data to an EEA region and delete the copy in eu-west-2.")
    m.finding(london, "eea_residency_s3_bucket_in_allowed_location", E.EEA_RESIDENCY, Status.PASS,
              "S3 bucket legacy-exports is in eu-west-2 (United Kingdom), outside the EEA with an EU adequacy "
              "decision.", only=("xis-smstools", "voxio"))
    m.finding(root_mfa, "access_control_root_account_mfa_enabled", E.ACCESS_CONTROL, Status.PASS,
              f"The root user of account {acct} has MFA enabled.")
    m.finding(trail, "access_logging_cloudtrail_multi_region_logging", E.ACCESS_LOGGING, Status.ERROR,
              f"Evidence 'sample.fact' for trails could not be collected (permission_denied): {trail.error}",
              remediation="Grant cloudtrail:DescribeTrails and run again.")
    m.finding(firewall, "network_security_hetzner_firewall_admin_ports_closed", E.NETWORK_SECURITY, Status.PASS,
              "Firewall web-fw allows no administrative port from the internet.")
    m.finding(fw_gap, "network_security_hetzner_firewall_admin_ports_closed", E.NETWORK_SECURITY, Status.ERROR,
              f"Evidence 'sample.fact' for firewalls could not be collected (timeout): {fw_gap.error}",
              remediation="Check the network path to the Hetzner API and run again.")
    m.finding(borg_lt, "backups_borg_newest_archive_recent", E.BACKUPS, Status.PASS,
              "Borg repository app on backup-lt: newest archive is 6 hours old (limit 26).")
    m.finding(borg_eu, "backups_borg_newest_archive_recent", E.BACKUPS, Status.FAIL,
              "Borg repository app-offsite on borgbase-eu: newest archive is 40 hours old (limit 26).",
              remediation="Check the backup job on the application host.",
              waiver={"owner": "ops@example.eu", "reason": "Weekly off-site copy by design; daily copies on backup-lt.",
                      "expires": (FIXED_NOW.date() + timedelta(days=60)).isoformat()})
    m.finding(borg_lt, "backup_testing_borg_repository_checked", E.BACKUP_TESTING, Status.MANUAL,
              "No repository check or restore test was recorded for app on backup-lt: attach the restore-test record.",
              remediation="Run `borg check` monthly and keep the output.")
    m.finding(endpoint, "encryption_in_transit_tls_legacy_protocols_refused", E.ENCRYPTION_IN_TRANSIT, Status.PASS,
              "app.example.eu:443 refuses SSLv3, TLS 1.0 and TLS 1.1.")
    m.finding(endpoint, "encryption_in_transit_tls_hsts_enabled", E.ENCRYPTION_IN_TRANSIT, Status.NOT_APPLICABLE,
              "app.example.eu:443 serves no HTTP (HSTS applies to HTTPS responses only).")

    # real reconciliation findings from the engine
    dpa_checks = checks_from("dpa")
    m.findings.extend(evaluate(m.evidence, dpa_checks, Policy(), FIXED_NOW, load_catalogs(), profiles))
    m.findings.sort(key=lambda f: (f.measure, f.check, f.resource.provider, f.resource.scope or "", f.resource.id,
                                   f.status, f.message))

    collectors = [
        {"id": "aws", "status": "partial", "error": "1 of 7 reads failed", "scopes": [acct], "evidence": 7,
         "errors": 1, "seconds": 12.3},
        {"id": "hetzner", "status": "partial", "error": "1 of 3 reads failed", "scopes": ["production"],
         "evidence": 3, "errors": 1, "seconds": 2.1},
        {"id": "ssh", "status": "ok", "error": None, "scopes": ["backup-lt", "borgbase-eu"], "evidence": 4,
         "errors": 0, "seconds": 4.0},
        {"id": "tls", "status": "ok", "error": None, "scopes": ["app.example.eu:443"], "evidence": 1, "errors": 0,
         "seconds": 0.8},
    ]
    run = {"id": "20261121T120000Z-5a3c9e", "started_at": "2026-11-21T12:00:00Z",
           "finished_at": "2026-11-21T12:00:19Z", "complete": False, "tool_version": "0.1.0", "organisation": org,
           "collectors": collectors, "counts": {s.value: sum(1 for f in m.findings if f.status is s) for s in Status}}

    docs = root.parent / f"{root.name}-docs"
    docs.mkdir(parents=True, exist_ok=True)
    cert = docs / "iso27001-certificate.pdf"
    cert.write_bytes(b"%PDF-1.4 sample certificate\n")
    pentest = docs / "pentest-2026.pdf"
    pentest.write_bytes(b"%PDF-1.4 sample pen-test report\n")
    import hashlib

    manual = [
        {"title": "ISO/IEC 27001:2022 certificate", "path": "manual/0001-iso27001-certificate.pdf",
         "sha256": hashlib.sha256(cert.read_bytes()).hexdigest(), "measures": ["certification"],
         "date": "2026-03-01"},
        {"title": "Penetration test report 2026", "path": "manual/0002-pentest-2026.pdf",
         "sha256": hashlib.sha256(pentest.read_bytes()).hexdigest(), "measures": ["vulnerability_management"],
         "date": "2026-09-15"},
    ]
    registry = default_registry()
    context = {
        "schema": "auditpack.context/v1",
        "organisation": {"name": org, "contact": "privacy@example.eu"},
        "run": run,
        "policy": Policy().model_dump(mode="json"),
        "profiles": [p.model_dump(mode="json") for p in profiles],
        "checks": [{"id": c.id, "title": c.title, "measure": str(c.measure), "severity": str(c.severity),
                    "remediation": c.remediation, "needs": list(c.needed_kinds)} for c in registry.sorted_checks()] + [
            {"id": "encryption_at_rest_ebs_volume_encrypted", "title": "EBS volumes are encrypted",
             "measure": "encryption_at_rest", "severity": "high", "remediation": "", "needs": ["aws.ebs_volume"]}],
        "waivers": [
            {"check": "backups_borg_newest_archive_recent", "resource": "audit@borgbase-eu:22/*",
             "owner": "ops@example.eu", "reason": "Weekly off-site copy by design; daily copies on backup-lt.",
             "expires": (FIXED_NOW.date() + timedelta(days=60)).isoformat(), "active": True},
            {"check": "encryption_at_rest_ebs_volume_encrypted", "resource": f"arn:aws:ec2:*:{acct}:volume/*",
             "owner": f"cto@example.eu{odd}", "reason": "Migration window",
             "expires": (date(2026, 10, 1)).isoformat(), "active": False},
        ],
        "manual_evidence": manual,
    }
    content = PackContent(RunInfo.model_validate(run), m.findings, m.evidence, Context.model_validate(context),
                          [(cert, "0001-iso27001-certificate.pdf"), (pentest, "0002-pentest-2026.pdf")])
    root.mkdir(parents=True, exist_ok=True)
    write_content(root, content, None)
    render_pack(root)
    write_manifest(root, run)
    return root
