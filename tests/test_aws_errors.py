"""Errors are evidence: the seeded world of test_aws_collector, collected again with failures
injected at the botocore layer (AccessDenied, OptInRequired, throttling through botocore's
real retries, HTTP 500, operations the endpoint does not implement). Every check gives
``error`` for exactly the resource or region affected, never ``pass`` or ``fail`` for it,
and every other resource and account keeps its verdict."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_world import (
    ACCOUNT_A,
    ACCOUNT_B,
    HOME,
    Hooks,
    _Raw,
    collect,
    error_answer,
    judge,
    request_text,
    root_summary,
    seed_account_a,
    seed_account_b,
    settings,
)
from botocore.awsrequest import AWSResponse

from auditpack.collectors.aws import emulator
from auditpack.collectors.aws.session import classify
from auditpack.model import ErrorReason, Evidence, Finding, Status
from helpers import expect

BROKEN_REGION = "eu-north-1"
REGION_FAILURES = {  # operation in eu-north-1 (account A) -> (HTTP status, code)
    "DescribeInstances": (403, "UnauthorizedOperation"),
    "DescribeVolumes": (403, "UnauthorizedOperation"),
    "GetEbsEncryptionByDefault": (403, "UnauthorizedOperation"),
    "DescribeFlowLogs": (403, "UnauthorizedOperation"),
    "DescribeSecurityGroups": (403, "UnauthorizedOperation"),
    "DescribeDBInstances": (403, "AccessDenied"),
    "DescribeDBSnapshots": (500, "InternalError"),
    "DescribeTrails": (403, "AccessDeniedException"),
}
RESOURCE_FAILURES = {  # operation -> text that identifies the one resource it is denied for
    "GetBucketLocation": "broken-bucket", "GetBucketEncryption": "broken-bucket", "GetBucketPolicy": "broken-bucket",
    "GetBucketLogging": "broken-bucket", "GetBucketVersioning": "broken-bucket",
    "GetBucketReplication": "broken-bucket", "GetPublicAccessBlock": "broken-bucket",
    "DescribeListeners": "legacy-lb", "DescribeLoadBalancerAttributes": "legacy-lb",
    "DescribeContinuousBackups": "sessions", "DescribeTable": "invoices",
}
IAM_FAILURES = ("GetAccountSummary", "GetCredentialReport", "GetAccountPasswordPolicy")


class Injector:
    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids

    def before(self, index: int, model: Any, params: dict[str, Any], context: dict[str, Any]) -> Any:
        op, region, text = model.name, context.get("client_region"), request_text(params)
        if index == 0 and region == BROKEN_REGION and op in REGION_FAILURES:
            return error_answer(*REGION_FAILURES[op])
        if index == 0 and region == BROKEN_REGION and op == "DescribeFileSystems":
            raise NotImplementedError("The describe_file_systems action has not been implemented")
        if index == 1 and region == "eu-central-2" and model.service_model.service_name not in ("sts", "iam", "s3"):
            return error_answer(401, "OptInRequired", "You are not subscribed to this service.")
        # as plain moto answers the AWS Backup reads it lacks, in-process and as a server
        if op == "ListBackupSelections":
            raise NotImplementedError("The list_backup_selections action has not been implemented")
        if op == "ListProtectedResources":
            return error_answer(404, "404", "Not yet implemented")
        if op in RESOURCE_FAILURES and RESOURCE_FAILURES[op] in text:
            return error_answer(403, "AccessDenied")
        if op == "GetDistributionConfig" and self.ids["bad-cdn"] in text:
            return error_answer(403, "AccessDenied")
        if op == "GetKeyRotationStatus" and self.ids["key-static"].rsplit("/", 1)[-1] in text:
            return error_answer(400, "AccessDeniedException")
        if op == "GetBackupPlan" and self.ids["plan-offsite"] in text:
            return error_answer(403, "AccessDeniedException")
        if index == 0 and op in IAM_FAILURES:
            return error_answer(403, "AccessDenied")
        if index == 1 and op == "ListDistributions":
            return error_answer(403, "AccessDenied")
        return None

    def send(self, index: int, request: Any) -> AWSResponse | None:
        """Throttle DescribeSnapshots in the broken region on the wire: botocore retries it."""
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        if index == 0 and f".{BROKEN_REGION}." in request.url and "Action=DescribeSnapshots" in body:
            xml = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                   b"</Message></Error></Errors><RequestID>x</RequestID></Response>")
            return AWSResponse(request.url, 503, {}, _Raw(xml))
        return None


@pytest.fixture(scope="module")
def broken(aws_env: None) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    emulator.install()  # the seed creates a selection; the injector then answers like plain moto
    with mock_aws():
        ids = seed_account_a()
        seed_account_b()
        root_summary(ACCOUNT_A, mfa=1, keys=0)
        root_summary(ACCOUNT_B, mfa=0, keys=1)
        hooks = Hooks()
        injector = Injector(ids)
        hooks.before.append(injector.before)
        hooks.send.append(injector.send)
        evidence = collect(settings(), hooks)
        now = datetime.now(UTC)
        yield {"ids": ids, "evidence": evidence, "findings": judge(evidence, now), "hooks": hooks}


def _region(account: str, region: str) -> str:
    return f"{account}/{region}"


def _errors(evidence: list[Evidence], kind: str, resource_id: str) -> list[Evidence]:
    return [ev for ev in evidence if ev.kind == kind and not ev.ok and ev.resource.id == resource_id]


def _judged(findings: list[Finding], name: str) -> list[Finding]:
    return [f for f in findings if f.resource.name == name and f.status in (Status.PASS, Status.FAIL)]


# --- the collector side: error evidence for exactly what failed ---------------------------

def test_region_failures_are_scoped_to_the_region_and_kind(broken: dict[str, Any]) -> None:
    ev = broken["evidence"]
    where = _region(ACCOUNT_A, BROKEN_REGION)
    for kind, reason in (("aws.ec2_instance", ErrorReason.PERMISSION_DENIED),
                         ("aws.ebs_volume", ErrorReason.PERMISSION_DENIED),
                         ("aws.ebs_snapshot", ErrorReason.THROTTLED),
                         ("aws.rds_snapshot", ErrorReason.INVALID_RESPONSE),
                         ("aws.efs_file_system", ErrorReason.NOT_IMPLEMENTED)):
        errs = _errors(ev, kind, where)
        assert len(errs) == 1, kind
        [err] = errs
        assert err.reason is reason, (kind, err.error)
        assert err.resource.type == "region" and err.resource.location == BROKEN_REGION
    [throttled] = _errors(ev, "aws.ebs_snapshot", where)
    # max_attempts = 2: botocore retries twice, with backoff, before the error is evidence
    assert "RequestLimitExceeded" in str(throttled.error) and "after 2 retries" in str(throttled.error)
    # the same kinds in the other regions were collected
    assert any(e.ok and e.kind == "aws.ebs_volume" and e.resource.location == HOME for e in ev)
    # what did not fail in the broken region still is evidence
    assert any(e.ok and e.kind == "aws.vpc" and e.resource.location == BROKEN_REGION for e in ev)


def test_flow_log_failure_errors_each_vpc_of_the_region(broken: dict[str, Any]) -> None:
    errs = [e for e in broken["evidence"]
            if e.kind == "aws.vpc_flow_logs" and not e.ok and e.resource.scope == ACCOUNT_A]
    assert errs and all(e.resource.type == "vpc" and e.resource.location == BROKEN_REGION for e in errs)


def test_opt_in_region_is_a_permission_gap_for_that_account_only(broken: dict[str, Any]) -> None:
    errs = [e for e in broken["evidence"] if not e.ok and e.resource.scope == ACCOUNT_B
            and e.resource.location == "eu-central-2"]
    assert errs and all(e.reason is ErrorReason.PERMISSION_DENIED and "not enabled" in str(e.error) for e in errs)
    assert not [e for e in broken["evidence"] if not e.ok and e.resource.scope == ACCOUNT_A
                and e.resource.location == "eu-central-2" and e.reason is ErrorReason.PERMISSION_DENIED]


def test_bucket_failures_are_scoped_to_the_bucket(broken: dict[str, Any]) -> None:
    errs = [e for e in broken["evidence"] if not e.ok and e.resource.name == "broken-bucket"]
    assert {e.kind for e in errs} == {"aws.s3_bucket", "aws.s3_bucket_encryption", "aws.s3_bucket_policy",
                                      "aws.s3_bucket_logging", "aws.s3_bucket_versioning", "aws.s3_bucket_replication",
                                      "aws.s3_bucket_public_access_block"}
    assert all(e.reason is ErrorReason.PERMISSION_DENIED for e in errs)
    assert [e for e in broken["evidence"] if e.ok and e.resource.name == "good-data"]


def test_not_implemented_operations_become_errors_and_the_run_goes_on(broken: dict[str, Any]) -> None:
    # plain moto implements neither ListBackupSelections nor ListProtectedResources
    sel = [e for e in broken["evidence"] if e.kind == "aws.backup_selection" and not e.ok
           and e.resource.scope == ACCOUNT_A]
    prot = [e for e in broken["evidence"] if e.kind == "aws.backup_protected_resource" and not e.ok
            and e.resource.scope == ACCOUNT_A]
    assert sel and all(e.reason is ErrorReason.NOT_IMPLEMENTED for e in sel)
    assert prot and all(e.reason is ErrorReason.NOT_IMPLEMENTED for e in prot)
    assert any(e.ok and e.kind == "aws.backup_plan" for e in broken["evidence"])


def test_provider_use_is_an_error_when_locations_are_incomplete(broken: dict[str, Any]) -> None:
    uses = {e.resource.scope: e for e in broken["evidence"] if e.kind == "provider.use"}
    assert not uses[ACCOUNT_A].ok and "incomplete" in str(uses[ACCOUNT_A].error)
    assert "eu-central-1" in uses[ACCOUNT_A].raw["locations_found"]  # what was found is kept for the auditor
    assert not uses[ACCOUNT_B].ok and uses[ACCOUNT_B].reason is ErrorReason.PERMISSION_DENIED


# --- the check side: error, never pass or fail, for exactly what could not be read ------------

REGION_ERRORS = (
    "eea_residency_aws_resource_in_allowed_region", "encryption_at_rest_ebs_volume_encrypted",
    "encryption_at_rest_ebs_default_encryption_enabled", "encryption_at_rest_ebs_snapshot_encrypted",
    "encryption_at_rest_rds_storage_encrypted", "encryption_at_rest_rds_snapshot_encrypted",
    "encryption_at_rest_efs_file_system_encrypted", "backups_ebs_volume_recent_backup",
    "backups_rds_database_recent_backup", "network_security_security_group_sensitive_ports_restricted",
    "access_logging_cloudtrail_multi_region_trail_logging", "backups_backup_recovery_point_recent",
)
BUCKET_ERRORS = (
    "eea_residency_aws_resource_in_allowed_region", "encryption_at_rest_s3_bucket_default_encryption",
    "encryption_in_transit_s3_bucket_policy_requires_tls", "access_logging_s3_bucket_server_access_logging_enabled",
    "access_control_s3_bucket_public_access_blocked", "eea_residency_aws_data_copy_destination_allowed",
)
ACCOUNT_ERRORS = (
    "access_control_iam_root_mfa_enabled", "access_control_iam_root_access_keys_absent",
    "access_control_iam_user_mfa_enabled", "access_control_iam_access_key_rotated",
    "access_control_iam_password_policy_strong",
)
B_JUDGED = ("access_control_iam_root_mfa_enabled", "access_control_iam_root_access_keys_absent",
            "access_control_iam_password_policy_strong")  # account B has no IAM users


@pytest.mark.parametrize("check", REGION_ERRORS)
def test_region_failure_gives_error_for_the_region(broken: dict[str, Any], check: str) -> None:
    [hit, *_] = expect(broken["findings"], check, "error", _region(ACCOUNT_A, BROKEN_REGION))
    assert hit.resource.scope == ACCOUNT_A


@pytest.mark.parametrize("check", BUCKET_ERRORS)
def test_bucket_failure_gives_error_for_the_bucket(broken: dict[str, Any], check: str) -> None:
    expect(broken["findings"], check, "error", "broken-bucket", contains="permission_denied")


@pytest.mark.parametrize("check", ACCOUNT_ERRORS)
def test_account_failure_gives_error_for_that_account_only(broken: dict[str, Any], check: str) -> None:
    expect(broken["findings"], check, "error", ACCOUNT_A)
    assert check not in B_JUDGED or [f for f in broken["findings"] if f.check == check and f.resource.scope == ACCOUNT_B
            and f.status in (Status.PASS, Status.FAIL)], "account B still has its verdict"


def test_resource_failures_give_error_for_that_resource(broken: dict[str, Any]) -> None:
    f, ids = broken["findings"], broken["ids"]
    expect(f, "encryption_in_transit_elb_listener_tls", "error", "legacy-lb")
    expect(f, "access_logging_elb_access_logs_enabled", "error", "legacy-lb")
    expect(f, "encryption_in_transit_elb_listener_tls", "pass", "web-lb:443")
    # the ARN as the endpoint reports it (moto < 5.2.5 drops CloudFront's empty region field)
    cdn = next(x.resource.id for x in f if x.resource.id.endswith(f":distribution/{ids['bad-cdn']}"))
    assert cdn.startswith("arn:aws:cloudfront:") and f":{ACCOUNT_A}:" in cdn
    expect(f, "encryption_in_transit_cloudfront_distribution_https", "error", cdn, contains="GetDistributionConfig")
    expect(f, "access_logging_cloudfront_distribution_logging_enabled", "error", cdn)
    expect(f, "encryption_in_transit_cloudfront_distribution_https", "error", ACCOUNT_B)
    expect(f, "encryption_at_rest_kms_key_rotation_enabled", "error", ids["key-static"])
    expect(f, "encryption_at_rest_kms_key_rotation_enabled", "pass", ids["key-rotating"])
    # PITR unreadable and AWS Backup not listable: nothing readable covers it
    expect(f, "backups_dynamodb_table_recent_backup", "error", "sessions", contains="point-in-time recovery status")
    # PITR on covers it although AWS Backup could not be listed (the gap is advice)
    expect(f, "backups_dynamodb_table_recent_backup", "pass", "orders", contains="could not be read")
    # the table itself (DescribeTable) could not be read: no verdict on it at all
    expect(f, "backups_dynamodb_table_recent_backup", "error", "invoices", contains="aws.dynamodb_table")
    expect(f, "eea_residency_aws_data_copy_destination_allowed", "error", "invoices")
    expect(f, "eea_residency_aws_data_copy_destination_allowed", "error", "offsite")
    expect(f, "eea_residency_aws_data_copy_destination_allowed", "pass", "daily")
    expect(f, "access_logging_vpc_flow_logs_enabled", "error", contains="could not be collected")
    expect(f, "backups_backup_plan_covers_resources", "error", contains="not_implemented")


def test_nothing_that_errored_is_judged(broken: dict[str, Any]) -> None:
    f = broken["findings"]
    assert _judged(f, "broken-bucket") == []
    assert _judged(f, "vol-stockholm") == []  # its region's volume listing was denied
    assert [x for x in f if x.check == "access_logging_cloudtrail_multi_region_trail_logging"
            and x.resource.scope == ACCOUNT_A and x.status in (Status.PASS, Status.FAIL)] == []
    # account B's eu-central-2 refused (opt-in): "no trail anywhere" cannot be claimed for B either
    expect(f, "access_logging_cloudtrail_multi_region_trail_logging", "error", _region(ACCOUNT_B, "eu-central-2"),
           contains="OptInRequired")
    assert [x for x in f if x.check == "access_logging_cloudtrail_multi_region_trail_logging"
            and x.resource.scope == ACCOUNT_B and x.status in (Status.PASS, Status.FAIL)] == []


def test_incomplete_listings_make_absence_an_error_not_a_fail(broken: dict[str, Any]) -> None:
    # ListProtectedResources is not implemented: a volume without snapshot is not provably unprotected
    expect(broken["findings"], "backups_ebs_volume_recent_backup", "error", "vol-orphan",
           contains="AWS Backup protected resources")
    expect(broken["findings"], "backups_ebs_volume_recent_backup", "pass", "vol-good")
    # a day later nothing readable covers db-bad (its snapshot is stale, automated backups are off) and
    # AWS Backup could not be listed: error, not fail
    later = judge(broken["evidence"], datetime.now(UTC) + timedelta(hours=30))
    expect(later, "backups_rds_database_recent_backup", "error", "db-bad", contains="AWS Backup protected resources")
    expect(later, "backups_dynamodb_table_recent_backup", "error", "orders", contains="AWS Backup")


# --- unreachable accounts and regions ------------------------------------------------------

def test_role_that_cannot_be_assumed_errors_that_account_only(broken: dict[str, Any]) -> None:
    hooks = Hooks()  # the same (still mocked) world, collected again
    hooks.before.append(lambda i, model, params, ctx: error_answer(403, "AccessDenied")
                        if model.name == "AssumeRole" else None)
    ev = collect(settings(regions=(HOME,)), hooks)
    b = [e for e in ev if e.resource.scope == ACCOUNT_B]
    assert b and all(not e.ok and e.reason is ErrorReason.PERMISSION_DENIED for e in b)
    assert {e.kind for e in b} >= {"aws.account", "provider.use", "aws.s3_bucket", "aws.ebs_volume"}
    assert all("account not reachable" in str(e.error) and e.resource.id == ACCOUNT_B for e in b)
    assert any(e.ok and e.kind == "aws.s3_bucket" and e.resource.scope == ACCOUNT_A for e in ev)
    findings = judge(ev, datetime.now(UTC))
    expect(findings, "eea_residency_aws_resource_in_allowed_region", "error", ACCOUNT_B)
    expect(findings, "eea_residency_aws_resource_in_allowed_region", "pass", "good-data")


def test_describe_regions_denied_errors_every_regional_fact(broken: dict[str, Any]) -> None:
    hooks = Hooks()
    hooks.before.append(lambda i, model, params, ctx: error_answer(403, "UnauthorizedOperation")
                        if model.name == "DescribeRegions" else None)
    ev = collect(settings(regions="all", accounts=[]), hooks)
    errs = {e.kind for e in ev if not e.ok}
    assert {"aws.account", "aws.ebs_volume", "aws.kms_key", "provider.use"} <= errs
    assert any(e.ok and e.kind == "aws.s3_bucket" for e in ev), "global services are still read"


# --- classification of AWS errors -------------------------------------------------------------

@pytest.mark.parametrize(("status", "code", "reason"), [
    (403, "AccessDenied", ErrorReason.PERMISSION_DENIED),
    (400, "AccessDeniedException", ErrorReason.PERMISSION_DENIED),
    (403, "UnauthorizedOperation", ErrorReason.PERMISSION_DENIED),
    (401, "OptInRequired", ErrorReason.PERMISSION_DENIED),
    (401, "AuthFailure", ErrorReason.AUTHENTICATION),
    (403, "InvalidClientTokenId", ErrorReason.AUTHENTICATION),
    (400, "Throttling", ErrorReason.THROTTLED),
    (503, "RequestLimitExceeded", ErrorReason.THROTTLED),
    (501, "NotImplemented", ErrorReason.NOT_IMPLEMENTED),
    (404, "404", ErrorReason.NOT_IMPLEMENTED),  # no AWS error code at all: the route is not there
    (500, "InternalError", ErrorReason.INVALID_RESPONSE),
    (404, "NoSuchBucket", ErrorReason.NOT_FOUND),
])
def test_client_errors_are_classified_by_code(status: int, code: str, reason: ErrorReason) -> None:
    from botocore.exceptions import ClientError

    exc = ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                      "DescribeVolumes")
    assert classify(exc)[0] is reason


def test_transport_errors_are_classified() -> None:
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

    assert classify(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))[0] is ErrorReason.CONNECTIVITY
    assert classify(ReadTimeoutError(endpoint_url="http://127.0.0.1:9"))[0] is ErrorReason.TIMEOUT
    assert classify(NotImplementedError("x"))[0] is ErrorReason.NOT_IMPLEMENTED
