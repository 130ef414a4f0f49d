"""The AWS collector's declared permissions: the shipped least-privilege policy is generated
from the operation table, and the table names real operations and read-only IAM actions."""

from __future__ import annotations

import json

import boto3
import pytest

from auditpack.collectors.aws import AwsCollector, policy

SERVICE_FOR = {"elasticloadbalancing": "elbv2", "elasticfilesystem": "efs", "es": "opensearch"}


def test_committed_policy_equals_the_generated_one() -> None:
    assert policy.POLICY_FILE.read_text() == policy.policy_text(), \
        "run: python -m auditpack.collectors.aws.policy"
    assert policy.main(["--check"]) == 0


def test_policy_is_read_only_and_excludes_caller_only_actions() -> None:
    doc = json.loads(policy.POLICY_FILE.read_text())
    [statement] = doc["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert "sts:AssumeRole" not in statement["Action"]
    for action in statement["Action"]:
        assert policy.is_read_only(action), action
    assert set(statement["Action"]) | policy.CALLER_ONLY == set(AwsCollector.permissions["aws_iam"])


def test_caller_policy_lists_the_organisation_and_assumes_the_audit_role_only() -> None:
    assert policy.CALLER_POLICY_FILE.read_text() == policy.caller_policy_text()
    statements = json.loads(policy.CALLER_POLICY_FILE.read_text())["Statement"]
    actions = {a for s in statements for a in s["Action"]}
    assert actions == set(policy.CALLER_ONLY)
    assert {a for a in actions if a != "sts:AssumeRole"} == {
        "organizations:ListAccounts", "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent"}
    [assume] = [s for s in statements if s["Action"] == ["sts:AssumeRole"]]
    assert assume["Resource"] == f"arn:aws:iam::*:role/{policy.DEFAULT_ROLE_NAME}"


@pytest.mark.parametrize(("service", "operation"), sorted(policy.OPERATIONS), ids=lambda x: str(x))
def test_every_declared_operation_exists_in_botocore(service: str, operation: str) -> None:
    client = boto3.client(SERVICE_FOR.get(service, service), region_name="eu-central-1",
                          aws_access_key_id="x", aws_secret_access_key="y")
    assert operation in client.meta.service_model.operation_names
    expected_prefix = "s3" if service == "s3control" else client.meta.service_model.signing_name
    assert policy.OPERATIONS[(service, operation)].split(":")[0] == expected_prefix


@pytest.mark.parametrize(("operation", "action"), [
    ("ListBuckets", "s3:ListAllMyBuckets"),
    ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("GetBucketReplication", "s3:GetReplicationConfiguration"),
    ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    ("GetBucketLogging", "s3:GetBucketLogging"),
    ("GetBucketVersioning", "s3:GetBucketVersioning"),
])
def test_s3_operations_map_to_their_iam_action_names(operation: str, action: str) -> None:
    assert policy.action_for("s3", operation) == action


def test_write_operations_are_not_reads() -> None:
    assert not policy.is_read_only("s3:PutBucketPolicy")
    assert not policy.is_read_only("ec2:CreateSnapshot")
    assert policy.action_for("ec2", "TerminateInstances") is None
