"""The bucket-policy judgement, now in the check: the collector keeps the policy as S3 gave it
and ``encryption_in_transit_s3_bucket_policy_requires_tls`` decides. Every shape of policy a
real account has (statement list or single object, principal "*" or {"AWS": "*"}, Bool or
BoolIfExists, a string or a list of values) against the real check through the engine."""

from __future__ import annotations

from typing import Any

import pytest

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.config import Policy
from auditpack.engine import evaluate
from auditpack.evidence.aws import S3BucketPolicy
from auditpack.model import Resource
from helpers import FIXED_NOW, checks_from, expect

CHECK = "encryption_in_transit_s3_bucket_policy_requires_tls"
DENY: dict[str, Any] = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _verdict(record: S3BucketPolicy) -> str:
    ctx = CollectContext("aws", "test", FIXED_NOW)
    ctx.collected(record, Resource("aws", "s3_bucket", "arn:aws:s3:::data", "data", "eu-central-1", "1"),
                  raw={}, source="s3:GetBucketPolicy")
    checks = [c for c in checks_from("aws") if c.id == CHECK]
    [finding] = [f for f in evaluate(ctx.close(), checks, Policy(), FIXED_NOW, load_catalogs()) if f.check == CHECK]
    return str(finding.status)


@pytest.mark.parametrize("statement", [
    DENY,
    {**DENY, "Principal": {"AWS": "*"}},
    {**DENY, "Principal": {"AWS": ["*"]}},
    {**DENY, "Action": ["s3:GetObject", "s3:*"]},
    {**DENY, "Action": "*"},
    {**DENY, "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
    {**DENY, "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
    {**DENY, "Condition": {"Bool": {"aws:SecureTransport": False}}},
], ids=["plain", "aws-star", "aws-star-list", "action-list", "all-actions", "bool-if-exists", "value-list",
        "json-false"])
def test_a_deny_of_insecure_transport_passes(statement: dict[str, Any]) -> None:
    assert _verdict(S3BucketPolicy(has_policy=True, document={"Statement": [statement]})) == "pass"
    assert _verdict(S3BucketPolicy(has_policy=True, document={"Statement": statement})) == "pass"


@pytest.mark.parametrize("statement", [
    {**DENY, "Effect": "Allow"},
    {**DENY, "Principal": {"AWS": "arn:aws:iam::1:root"}},
    {**DENY, "Action": "s3:GetObject"},
    {**DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {**DENY, "Condition": {"StringEquals": {"aws:SecureTransport": "false"}}},
    {key: value for key, value in DENY.items() if key != "Condition"},
    "not a statement",
], ids=["allow", "one-principal", "one-action", "true", "other-operator", "no-condition", "garbage"])
def test_anything_short_of_that_fails(statement: Any) -> None:
    assert _verdict(S3BucketPolicy(has_policy=True, document={"Statement": [statement]})) == "fail"


def test_no_policy_and_a_policy_without_statements_fail_with_their_own_message() -> None:
    ctx = CollectContext("aws", "test", FIXED_NOW)
    for name, record in (("none", S3BucketPolicy(has_policy=False)),
                         ("empty", S3BucketPolicy(has_policy=True, document={"Version": "2012-10-17"}))):
        ctx.collected(record, Resource("aws", "s3_bucket", f"arn:aws:s3:::{name}", name, "eu-central-1", "1"),
                      raw={}, source="s3:GetBucketPolicy")
    findings = evaluate(ctx.close(), checks_from("aws"), Policy(), FIXED_NOW, load_catalogs())
    expect(findings, CHECK, "fail", "none", contains="has no bucket policy")
    expect(findings, CHECK, "fail", "empty", contains="does not deny requests without TLS")
