"""The AWS collector and checks against moto (in-process), boto3 code unchanged.

One seeded world, two accounts (the default chain and a role assumed through STS), several
regions: every check is shown to pass and to fail on it. A second run of the same world with
errors injected through botocore's event system (AccessDenied, throttling with real
retries, HTTP 500, an operation the endpoint does not implement) shows ``error`` for
exactly the resource or region affected, while everything else still has its verdict.

moto 5.2.1 does not emulate a few read APIs. AWS Backup selections and protected resources
are taught to moto by ``auditpack.collectors.aws.emulator`` (the demo uses it too);
DynamoDB global-table replicas are added to moto's answer at the botocore layer
(``after-call``) and the root user's MFA and keys are set in moto's IAM summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_world import (
    ACCOUNT_A,
    ACCOUNT_B,
    HOME,
    REGIONS,
    ROLE_B,
    Hooks,
    collect,
    dynamodb_replicas,
    judge,
    root_summary,
    seed_account_a,
    seed_account_b,
    settings,
)

from auditpack.collectors.aws import emulator
from auditpack.model import Finding
from helpers import expect


@pytest.fixture(scope="module")
def world(aws_env: None) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    emulator.install()
    with mock_aws():
        ids = seed_account_a()
        seed_account_b()
        root_summary(ACCOUNT_A, mfa=1, keys=0)
        root_summary(ACCOUNT_B, mfa=0, keys=1)
        now = datetime.now(UTC)
        hooks = Hooks()
        hooks.after.append(dynamodb_replicas)
        evidence = collect(settings(), hooks)
        yield {"ids": ids, "now": now, "evidence": evidence, "hooks": hooks}


@pytest.fixture(scope="module")
def findings(world: dict[str, Any]) -> list[Finding]:
    return judge(world["evidence"], world["now"])


# --- the collection itself --------------------------------------------------------------

def test_both_accounts_are_collected_without_errors(world: dict[str, Any]) -> None:
    errors = [(ev.kind, ev.resource.id, ev.error) for ev in world["evidence"] if not ev.ok]
    assert errors == []
    accounts = {ev.record.account_id: ev.record for ev in world["evidence"] if ev.kind == "aws.account"}
    assert set(accounts) == {ACCOUNT_A, ACCOUNT_B}
    assert accounts[ACCOUNT_B].reached_by == f"assumed role {ROLE_B}"
    assert accounts[ACCOUNT_A].regions_scanned == REGIONS
    assert "eu-central-1" in accounts[ACCOUNT_A].regions_enabled


def test_provider_use_lists_regions_with_resources_and_copy_destinations(world: dict[str, Any]) -> None:
    uses = {ev.record.scope: ev.record for ev in world["evidence"] if ev.kind == "provider.use"}
    assert set(uses) == {ACCOUNT_A, ACCOUNT_B}
    assert uses[ACCOUNT_A].provider_name == "Amazon Web Services"
    assert uses[ACCOUNT_A].location_type == "aws_region"
    # us-west-2 holds nothing scanned: it appears only as a DynamoDB replica destination
    assert set(uses[ACCOUNT_A].locations) >= {"eu-central-1", "eu-west-1", "eu-west-2", "eu-central-2", "us-east-1",
                                              "eu-north-1", "us-west-2"}
    assert uses[ACCOUNT_B].locations == ("eu-west-2",)


def test_resources_carry_arn_name_region_and_account(world: dict[str, Any]) -> None:
    bucket = next(ev for ev in world["evidence"] if ev.kind == "aws.s3_bucket" and ev.resource.name == "london-bucket")
    assert (bucket.resource.id, bucket.resource.location, bucket.resource.scope) == (
        "arn:aws:s3:::london-bucket", "eu-west-2", ACCOUNT_A)
    vol = next(ev for ev in world["evidence"] if ev.kind == "aws.ebs_volume" and ev.resource.name == "vol-plain")
    assert vol.resource.id == f"arn:aws:ec2:{HOME}:{ACCOUNT_A}:volume/{world['ids']['vol-plain']}"
    assert vol.raw["VolumeId"] == world["ids"]["vol-plain"] and isinstance(vol.raw["CreateTime"], str)
    assert vol.provenance.source == "ec2:DescribeVolumes"


def test_no_call_is_repeated_for_the_same_resource(world: dict[str, Any]) -> None:
    calls = [c for c in world["hooks"].calls if c[2] != "GenerateCredentialReport"]
    seen: dict[tuple[int, str, str, str], int] = {}
    for call in calls:
        seen[call] = seen.get(call, 0) + 1
    assert [c for c, n in seen.items() if n > 1] == []


def test_snapshots_and_images_are_listed_with_owner_self(world: dict[str, Any]) -> None:
    for operation in ("DescribeSnapshots", "DescribeImages"):
        calls = [c for c in world["hooks"].calls if c[2] == operation]
        assert calls and all("self" in c[3] for c in calls), operation


# --- every check: pass and fail on the seeded world -------------------------------------------

def test_residency(findings: list[Finding], world: dict[str, Any]) -> None:
    check = "eea_residency_aws_resource_in_allowed_region"
    expect(findings, check, "pass", "good-data", contains="eu-central-1")
    expect(findings, check, "fail", "london-bucket", contains="United Kingdom")
    expect(findings, check, "fail", "vol-zurich", contains="Switzerland")
    expect(findings, check, "fail", "us-export-bucket")
    expect(findings, check, "fail", "db-bad-replica")
    expect(findings, check, "fail", "us-dr")
    expect(findings, check, "pass", "app-1")
    expect(findings, check, "pass", "app-golden-image")
    expect(findings, check, "pass", "vol-stockholm")
    expect(findings, check, "fail", "virginia-trail", contains="us-east-1")  # trails are located resources
    expect(findings, check, "pass", "org-audit", contains="eu-central-1")
    eu = judge(world["evidence"], world["now"], residency="eea+adequacy")
    expect(eu, check, "pass", "london-bucket", contains="adequacy")
    expect(eu, check, "pass", "vol-zurich")
    expect(eu, check, "manual", "us-export-bucket", contains="Data Privacy Framework")
    # account B's bucket is judged in account B
    [b] = expect(findings, check, "fail", "b-london-bucket")
    assert b.resource.scope == ACCOUNT_B and b.resource.location == "eu-west-2"
    assert "ISO27001:2022/A.5.23" in b.controls and "GDPR/Art.44" in b.controls


def test_data_copies_leaving_the_allowed_regions(findings: list[Finding]) -> None:
    check = "eea_residency_aws_data_copy_destination_allowed"
    expect(findings, check, "pass", "good-data", contains="good-replica")
    expect(findings, check, "fail", "bad-data", contains="us-export-bucket")
    expect(findings, check, "pass", "daily", contains="eu-west-1")
    expect(findings, check, "fail", "offsite", contains="us-east-1")
    expect(findings, check, "pass", "db-good", contains="db-good-replica")
    expect(findings, check, "fail", "db-bad", contains="us-east-1")
    expect(findings, check, "pass", "orders", contains="global-table replica")
    expect(findings, check, "fail", "sessions", contains="us-west-2")
    # where a trail's log files go
    expect(findings, check, "pass", "org-audit", contains="S3 bucket access-logs")
    expect(findings, check, "fail", "virginia-trail", contains="S3 bucket us-export-bucket, which is in us-east-1")
    expect(findings, check, "pass", "local-only", contains="log group trail-local, which is in eu-central-1")


def test_encryption_at_rest(findings: list[Finding], world: dict[str, Any]) -> None:
    [good] = expect(findings, "encryption_at_rest_s3_bucket_default_encryption", "pass", "good-data")
    assert "aws:kms" in good.message
    expect(findings, "encryption_at_rest_s3_bucket_default_encryption", "fail", "bad-data",
           contains="ServerSideEncryptionConfigurationNotFoundError")
    for check, good_name, bad_name in (
            ("encryption_at_rest_ebs_volume_encrypted", "vol-good", "vol-plain"),
            ("encryption_at_rest_ebs_snapshot_encrypted", "snap-of-vol-good", "snap-of-vol-plain"),
            ("encryption_at_rest_rds_storage_encrypted", "db-good", "db-bad"),
            ("encryption_at_rest_rds_snapshot_encrypted", "db-good-manual", "db-bad-manual"),
            ("encryption_at_rest_efs_file_system_encrypted", "fs-enc", "fs-plain")):
        expect(findings, check, "pass", good_name)
        expect(findings, check, "fail", bad_name)
    expect(findings, "encryption_at_rest_kms_key_rotation_enabled", "pass", world["ids"]["key-rotating"])
    expect(findings, "encryption_at_rest_kms_key_rotation_enabled", "fail", world["ids"]["key-static"])
    expect(findings, "encryption_at_rest_ebs_default_encryption_enabled", "pass", f"{ACCOUNT_A}/{HOME}")
    expect(findings, "encryption_at_rest_ebs_default_encryption_enabled", "fail", f"{ACCOUNT_A}/eu-west-1")


def test_encryption_in_transit(findings: list[Finding], world: dict[str, Any]) -> None:
    expect(findings, "encryption_in_transit_s3_bucket_policy_requires_tls", "pass", "good-data")
    expect(findings, "encryption_in_transit_s3_bucket_policy_requires_tls", "fail", "bad-data",
           contains="no bucket policy")
    expect(findings, "encryption_in_transit_s3_bucket_policy_requires_tls", "fail", "london-bucket",
           contains="does not deny")
    check = "encryption_in_transit_elb_listener_tls"
    expect(findings, check, "pass", "web-lb:80", contains="redirects")
    expect(findings, check, "pass", "web-lb:443", contains="TLSv1.2")
    expect(findings, check, "fail", "legacy-lb:80", contains="plain HTTP")
    expect(findings, check, "fail", "legacy-lb:443", contains="TLSv1.1")
    tls13 = judge(world["evidence"], world["now"], tls_min_version="1.3")
    expect(tls13, check, "fail", "web-lb:443", contains="TLSv1.2")
    check = "encryption_in_transit_cloudfront_distribution_https"
    expect(findings, check, "pass", contains=world["ids"]["good-cdn"])
    expect(findings, check, "fail", contains="allow-all")


def test_access_logging(findings: list[Finding]) -> None:
    check = "access_logging_cloudtrail_multi_region_trail_logging"
    expect(findings, check, "pass", ACCOUNT_A, contains="org-audit")
    # every trail's logging is judged, even where a multi-region trail logs
    check = "access_logging_cloudtrail_trail_logging"
    expect(findings, check, "pass", "org-audit", contains="multi-region")
    [virginia] = expect(findings, check, "fail", "virginia-trail", contains="single-region, home region us-east-1")
    assert virginia.resource.location == "us-east-1"
    expect(findings, check, "fail", "local-only", contains="not logging")
    expect(findings, "access_logging_cloudtrail_multi_region_trail_logging", "fail", ACCOUNT_B,
           contains="no CloudTrail trail")
    expect(findings, "access_logging_s3_bucket_server_access_logging_enabled", "pass", "good-data")
    expect(findings, "access_logging_s3_bucket_server_access_logging_enabled", "fail", "bad-data")
    expect(findings, "access_logging_elb_access_logs_enabled", "pass", "web-lb")
    expect(findings, "access_logging_elb_access_logs_enabled", "fail", "legacy-lb")
    flows = [f for f in findings if f.check == "access_logging_vpc_flow_logs_enabled"]
    expect(flows, "access_logging_vpc_flow_logs_enabled", "pass")
    [eu_west] = [f for f in flows if f.resource.location == "eu-west-1" and f.resource.scope == ACCOUNT_A]
    assert eu_west.status == "fail" and "no flow log" in eu_west.message
    expect(findings, "access_logging_vpc_flow_logs_enabled", "fail")
    expect(findings, "access_logging_cloudfront_distribution_logging_enabled", "pass")
    expect(findings, "access_logging_cloudfront_distribution_logging_enabled", "fail")


def test_backups(findings: list[Finding], world: dict[str, Any]) -> None:
    expect(findings, "backups_backup_plan_covers_resources", "pass", ACCOUNT_A, contains="databases")
    expect(findings, "backups_backup_plan_covers_resources", "fail", ACCOUNT_B, contains="no AWS Backup plan")
    expect(findings, "backups_backup_recovery_point_recent", "pass", "fs-plain", contains="3.0 h")
    expect(findings, "backups_backup_recovery_point_recent", "fail", "fs-enc", contains="100.0 h")
    check = "backups_ebs_volume_recent_backup"
    expect(findings, check, "pass", "vol-good", contains="EBS snapshot snap-of-vol-good")
    expect(findings, check, "fail", "vol-orphan", contains="no EBS snapshot; not protected by AWS Backup")
    later = judge(world["evidence"], world["now"] + timedelta(hours=30))
    expect(later, check, "fail", "vol-good", contains="limit 26 h")
    # a snapshot older than the limit, but a fresh AWS Backup recovery point: pass, the stale one is advice
    [plain] = expect(findings, check, "pass", "vol-plain", contains="AWS Backup recovery point 1.0 h old")
    assert "Advice" not in plain.message or "snap-of-vol-plain" not in plain.message.split("Advice")[0]
    check = "backups_rds_database_recent_backup"
    [good] = expect(findings, check, "pass", "db-good", contains="automated backups")
    assert "AWS Backup recovery point" in good.message and "RDS snapshot db-good-manual" in good.message
    # automated backups off, but a fresh manual snapshot: backed up, the missing mechanism is advice
    [bad] = expect(findings, check, "pass", "db-bad", contains="RDS snapshot db-bad-manual")
    assert "Advice" in bad.message and "retention 0 days" in bad.message
    assert "not protected by AWS Backup" in bad.message
    expect(findings, check, "not_applicable", "db-good-replica")
    expect(later, check, "fail", "db-bad", contains="retention 0 days")
    [stale] = expect(later, check, "fail", "db-good", contains="limit 26 h")
    assert "AWS Backup recovery point 32.0 h old" in stale.message
    check = "backups_dynamodb_table_recent_backup"
    expect(findings, check, "pass", "orders", contains="point-in-time recovery")
    expect(findings, check, "fail", "sessions", contains="point-in-time recovery off; not protected by AWS Backup")
    # the case: PITR off, a recovery point of AWS Backup 24 h old
    [invoices] = expect(findings, check, "pass", "invoices", contains="AWS Backup recovery point 24.0 h old")
    assert "point-in-time recovery off" in invoices.message and invoices.details["mechanisms"]
    expect(later, check, "fail", "invoices", contains="AWS Backup recovery point 54.0 h old")
    # the EBS volume's recovery point is judged with the volume, not alone
    assert not [f for f in findings if f.check == "backups_backup_recovery_point_recent"
                and f.resource.type in ("ebs_volume", "dynamodb_table", "rds_instance")]


def test_access_control(findings: list[Finding], world: dict[str, Any]) -> None:
    expect(findings, "access_control_iam_root_mfa_enabled", "pass", ACCOUNT_A)
    expect(findings, "access_control_iam_root_mfa_enabled", "fail", ACCOUNT_B)
    expect(findings, "access_control_iam_root_access_keys_absent", "pass", ACCOUNT_A)
    expect(findings, "access_control_iam_root_access_keys_absent", "fail", ACCOUNT_B)
    expect(findings, "access_control_iam_user_mfa_enabled", "pass", "bob")
    expect(findings, "access_control_iam_user_mfa_enabled", "fail", "alice")
    expect(findings, "access_control_iam_access_key_rotated", "pass", "alice")
    later = judge(world["evidence"], world["now"] + timedelta(days=100))
    expect(later, "access_control_iam_access_key_rotated", "fail", "alice", contains="older than 90 days")
    expect(findings, "access_control_iam_password_policy_strong", "pass", ACCOUNT_A)
    expect(findings, "access_control_iam_password_policy_strong", "fail", ACCOUNT_B, contains="only 8")
    expect(findings, "access_control_s3_bucket_public_access_blocked", "pass", "good-data")
    expect(findings, "access_control_s3_bucket_public_access_blocked", "fail", "bad-data")


def test_network_security(findings: list[Finding]) -> None:
    check = "network_security_security_group_sensitive_ports_restricted"
    expect(findings, check, "fail", "ssh-open", contains="port(s) 22")
    expect(findings, check, "pass", "web")


def test_findings_name_the_resource_and_carry_controls(findings: list[Finding]) -> None:
    for f in findings:
        assert f.resource.provider == "aws" and f.resource.id and f.resource.scope in (ACCOUNT_A, ACCOUNT_B), f
        assert f.controls and any(c.startswith("ISO27001:2022/") for c in f.controls), f
        assert any(c.startswith("GDPR/") for c in f.controls), f
        assert f.message.endswith("."), f.message


def test_every_call_is_a_declared_read(world: dict[str, Any]) -> None:
    from auditpack.collectors.aws.policy import action_for, is_read_only, policy_document

    allowed = set(policy_document()["Statement"][0]["Action"]) | {"sts:AssumeRole"}  # type: ignore[index]
    made = {(service, operation) for _, service, operation, _ in world["hooks"].calls}
    # exactly the calls made: the policy grows by what the code calls, never by more
    assert {action_for(service, operation) for service, operation in made} == allowed
    assert ("sts", "AssumeRole") in made and ("iam", "GenerateCredentialReport") in made
    for service, operation in sorted(made):
        action = action_for(service, operation)
        assert action is not None, f"{service}:{operation} is called but not declared in policy.OPERATIONS"
        assert action in allowed, f"{action} is not in iam-policy.json"
        assert is_read_only(action), f"{action} is not a read"
        assert operation.startswith(("List", "Get", "Describe")) or action in (
            "sts:AssumeRole", "iam:GenerateCredentialReport"), operation
