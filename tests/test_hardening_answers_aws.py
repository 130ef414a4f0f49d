"""Issue 11, untrue evidence from AWS: boto3, unchanged, talks to moto's server through a
fault-injecting proxy. An answer that is not the API's answer (an HTML page with 200, an
empty 200, missing members, wrong JSON types, malformed XML) is ``error`` for that read
only; a listing that never ends stops at a bound, keeping what it read."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from faultproxy import Answer, FaultProxy, empty_body, html_page, json_body

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.aws import AwsCollector
from auditpack.collectors.aws.config import AwsSettings
from auditpack.config import Policy
from auditpack.demo import moto_server
from auditpack.engine import evaluate
from auditpack.model import AttemptStatus, ErrorReason, Evidence, Finding, Status
from auditpack.registry import default_registry

# Regions no other test module seeds: moto's in-process backends are shared by every server in
# this interpreter, so volumes created by other modules in eu-west-1 would show up here.
HOME, WEST = "eu-west-3", "eu-south-1"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def endpoint(aws_env: None) -> Iterator[str]:
    with moto_server() as url:
        _seed(url)
        yield url


def _seed(url: str) -> None:
    def client(service: str, region: str = HOME) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=url)

    west = client("ec2", WEST)
    for i in range(3):
        west.create_volume(AvailabilityZone=f"{WEST}a", Size=10, Encrypted=False, TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"plain-{i}"}]}])
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="admin", Description="admin", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    s3 = client("s3")
    s3.create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": HOME})
    trail = client("cloudtrail")
    trail.create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    trail.start_logging(Name="org-trail")
    ddb = client("dynamodb")
    ddb.create_table(TableName="sessions", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])


def _collect(url: str, setup: Callable[[FaultProxy], None], **extra: Any) -> tuple[list[Evidence], FaultProxy]:
    with FaultProxy(url) as proxy:
        setup(proxy)
        aws = AwsSettings.model_validate({"regions": [HOME, WEST], "endpoint_url": proxy.url, "max_workers": 8,
                                          "max_attempts": 1, **extra})
        ctx = CollectContext("aws", "test", NOW)
        AwsCollector(aws).collect(ctx)
        return ctx.close(), proxy


def _judge(evidence: list[Evidence]) -> list[Finding]:
    checks = [c for c in default_registry().sorted_checks() if "aws" in c.source or c.id.startswith(
        ("encryption_at_rest_ebs", "network_security", "access_logging_cloudtrail", "backups_dynamodb"))]
    return evaluate(evidence, checks, Policy(), NOW, load_catalogs())


def _errors(evidence: list[Evidence], kind: str) -> list[Evidence]:
    return [ev for ev in evidence if ev.kind == kind and ev.status is AttemptStatus.ERROR]


def _region(region: str) -> str:
    return f"/{region}/"


def test_the_untouched_world_reads_as_seeded(endpoint: str) -> None:
    evidence, _ = _collect(endpoint, lambda p: None)
    assert len([ev for ev in evidence if ev.kind == "aws.ebs_volume" and ev.ok]) == 3
    assert not [ev for ev in evidence if ev.status is AttemptStatus.ERROR
                and ev.kind in ("aws.ebs_volume", "aws.security_group", "aws.cloudtrail_status", "aws.dynamodb_pitr")]
    findings = _judge(evidence)
    assert any(f.check == "encryption_at_rest_ebs_volume_encrypted" and f.status is Status.FAIL for f in findings)


def test_a_200_html_page_from_ec2_is_an_error_not_zero_volumes(endpoint: str) -> None:
    def setup(proxy: FaultProxy) -> None:
        proxy.add(("Action=DescribeVolumes", _region(WEST)), html_page)
        proxy.add(("Action=DescribeSecurityGroups", _region(HOME)), html_page)

    evidence, _ = _collect(endpoint, setup)
    volumes = _errors(evidence, "aws.ebs_volume")
    assert [ev.resource.location for ev in volumes] == [WEST]
    assert volumes[0].reason is ErrorReason.INVALID_RESPONSE and "HTML" in (volumes[0].error or "")
    groups = _errors(evidence, "aws.security_group")
    assert [ev.resource.location for ev in groups] == [HOME]
    findings = _judge(evidence)
    ebs = [f for f in findings if f.check == "encryption_at_rest_ebs_volume_encrypted"]
    assert ebs and all(f.status is Status.ERROR for f in ebs)  # never "no volumes, nothing failing"
    # scoped to that read: the same operation in the other region still answers
    assert not [ev for ev in _errors(evidence, "aws.ebs_volume") if ev.resource.location == HOME]


def test_malformed_xml_is_an_invalid_response_for_that_read(endpoint: str) -> None:
    def broken(answer: Answer) -> Answer:
        return 200, {"Content-Type": "text/xml"}, b"<DescribeVolumesResponse><volumeSet><item>"

    evidence, _ = _collect(endpoint, lambda p: p.add(("Action=DescribeVolumes", _region(WEST)), broken))
    volumes = _errors(evidence, "aws.ebs_volume")
    assert len(volumes) == 1 and volumes[0].reason is ErrorReason.INVALID_RESPONSE


def test_an_empty_200_where_the_api_always_answers_is_an_error_not_a_fail(endpoint: str) -> None:
    def setup(proxy: FaultProxy) -> None:
        proxy.add("CloudTrail_20131101.GetTrailStatus", empty_body)
        proxy.add("DynamoDB_20120810.DescribeContinuousBackups", json_body(lambda body: {}))

    evidence, _ = _collect(endpoint, setup)
    status = _errors(evidence, "aws.cloudtrail_status")
    assert status and all(ev.reason is ErrorReason.INVALID_RESPONSE for ev in status)
    pitr = _errors(evidence, "aws.dynamodb_pitr")
    assert pitr and "ContinuousBackupsDescription" in (pitr[0].error or "")
    findings = _judge(evidence)
    for check in ("access_logging_cloudtrail_multi_region_trail_logging", "backups_dynamodb_table_recent_backup"):
        mine = [f for f in findings if f.check == check]
        assert mine and not [f for f in mine if f.status in (Status.FAIL, Status.PASS)], check


def test_wrong_json_types_and_a_missing_result_key_are_errors(endpoint: str) -> None:
    def setup(proxy: FaultProxy) -> None:
        proxy.add(("DynamoDB_20120810.ListTables", _region(HOME)), json_body(lambda body: {"TableNames": "sessions"}))
        proxy.add(("DynamoDB_20120810.ListTables", _region(WEST)), json_body(lambda body: {}))

    evidence, _ = _collect(endpoint, setup)
    tables = _errors(evidence, "aws.dynamodb_table")
    assert {ev.resource.location for ev in tables} == {HOME, WEST}
    assert all(ev.reason is ErrorReason.INVALID_RESPONSE for ev in tables)
    errors = " ".join(ev.error or "" for ev in tables)
    assert "TableNames" in errors


def test_pagination_that_never_ends_is_cut_at_the_bound_keeping_what_was_read(endpoint: str) -> None:
    tokens = itertools.count()

    def endless(answer: Answer) -> Answer:
        status, headers, body = answer
        token = f"<nextToken>endless-{next(tokens)}</nextToken>".encode()
        body = re.sub(rb"<nextToken>.*?</nextToken>", b"", body)
        return status, headers, body.replace(b"</DescribeVolumesResponse>", token + b"</DescribeVolumesResponse>")

    evidence, proxy = _collect(endpoint, lambda p: p.add(("Action=DescribeVolumes", _region(WEST)), endless),
                               max_pages=20)
    calls = [r for r in proxy.requests if r.startswith("POST")]
    assert calls  # the proxy saw the traffic
    errors = _errors(evidence, "aws.ebs_volume")
    assert len(errors) == 1 and "20 pages" in (errors[0].error or "")
    kept = [ev for ev in evidence if ev.kind == "aws.ebs_volume" and ev.ok and ev.resource.location == WEST]
    assert len({ev.resource.id for ev in kept}) == 3  # what was read is kept (the same three on every page)


def test_an_item_without_its_identifier_is_an_error_for_that_read_not_a_collector_crash(endpoint: str) -> None:
    def anonymous(answer: Answer) -> Answer:
        status, headers, body = answer
        return status, headers, re.sub(rb"<volumeId>[^<]*</volumeId>", b"", body)

    evidence, _ = _collect(endpoint, lambda p: p.add(("Action=DescribeVolumes", _region(WEST)), anonymous))
    volumes = _errors(evidence, "aws.ebs_volume")
    assert [ev.resource.location for ev in volumes] == [WEST]
    assert volumes[0].reason is ErrorReason.INVALID_RESPONSE and "VolumeId" in (volumes[0].error or "")
    # the rest of the collection went on: the other region's volumes and the security groups were read
    assert any(ev.kind == "aws.security_group" and ev.ok for ev in evidence)
    assert not [ev for ev in evidence if ev.kind == "aws.account" and not ev.ok]


def test_identifiers_are_checked_in_nested_lists() -> None:
    import botocore.session

    from auditpack.collectors.aws.answers import answer_problem

    model = botocore.session.get_session().get_service_model("ec2").operation_model("DescribeInstances")
    good = {"Reservations": [{"Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]}]}
    bad = {"Reservations": [{"Instances": [{"InstanceId": "i-1"}]}, {"Instances": [{"ImageId": "ami-1"}]}]}
    assert answer_problem(model, 200, {}, b"<x/>", good) is None
    problem = answer_problem(model, 200, {}, b"<x/>", bad)
    assert problem and "Reservations[1].Instances[0].InstanceId" in problem
