"""What the AWS checks share: resource labels, listings, times and the residency verdict.

Pure: no I/O and no clock (``ctx.now`` comes in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from auditpack.checks import CheckContext, SomeEvidence, Verdict, errored, failed, manual, passed
from auditpack.evidence.aws import AwsListing, ElastiCacheCluster, ElastiCacheReplicationGroup
from auditpack.geo import aws_region_country, residency
from auditpack.model import Evidence, EvidenceRecord, Resource

R = TypeVar("R", bound=EvidenceRecord)


def what(ev: SomeEvidence) -> str:
    """"EBS volume data-1": the resource as the messages name it."""
    kind = ev.resource.type.replace("_", " ")
    for prefix, label in (("s3 ", "S3 "), ("ec2 ", "EC2 "), ("ebs ", "EBS "), ("rds ", "RDS "), ("efs ", "EFS "),
                          ("elb ", "load balancer "), ("kms ", "KMS "), ("dynamodb ", "DynamoDB "),
                          ("cloudfront ", "CloudFront "), ("cloudtrail ", "CloudTrail "), ("vpc", "VPC"),
                          ("backup ", "Backup "), ("elasticache ", "ElastiCache "), ("opensearch ", "OpenSearch "),
                          ("redshift ", "Redshift ")):
        if kind.startswith(prefix):
            kind = label + kind[len(prefix):]
            break
    return f"{kind} {ev.resource.name or ev.resource.id}"


def by_key(ctx: CheckContext, record: type[R]) -> dict[tuple[str | None, str], Evidence[R]]:
    """The ``record`` evidence by (account, resource id)."""
    return {(ev.resource.scope, ev.resource.id): ev for ev in ctx.evidence.of(record)}


def listed(ctx: CheckContext, resource_type: str) -> set[tuple[str | None, str]]:
    """(account, region) pairs where ``resource_type`` was listed completely."""
    return {(ev.resource.scope, ev.fact.region) for ev in ctx.evidence.of(AwsListing)
            if ev.fact.resource_type == resource_type}


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else None


def age_hours(ctx: CheckContext, moment: datetime) -> float:
    return (ctx.now - moment).total_seconds() / 3600


def region_verdict(subject: SomeEvidence | Resource, label: str, region: str | None, ctx: CheckContext,
                   evidence: Iterable[SomeEvidence] = ()) -> Verdict:
    """Residency of ``label`` located in ``region`` under the policy."""
    if not region:  # never let a missing region become S3's "None means us-east-1"
        return errored(subject, f"{label} is in a region that could not be determined: residency cannot be decided.",
                       evidence=evidence)
    country = aws_region_country(region)
    if country is None:
        return errored(subject, f"{label} is in region {region!r}, whose country is not known to auditpack: "
                                "residency cannot be decided.", evidence=evidence)
    verdict = residency(country, ctx.policy.residency)
    text = f"{label} is in {region}: {verdict.explanation}."
    details = {"region": region, "country": country, "placement": str(verdict.placement)}
    if verdict.allowed is True:
        return passed(subject, text, evidence=evidence, details=details)
    if verdict.allowed is False:
        return failed(subject, text, evidence=evidence, details=details)
    return manual(subject, text, evidence=evidence, details=details)


def arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return (parts[3] or None) if len(parts) > 5 and parts[0] == "arn" else None


def flag_check(ctx: CheckContext, record: type[R], flag: Callable[[R], bool], good: str,
               bad: str) -> Iterator[Verdict]:
    """Pass where ``flag(record)`` holds, fail where it does not."""
    for ev, rec in ctx.evidence.records(record):
        if flag(rec):
            yield passed(ev, f"{what(ev)} {good}.")
        else:
            yield failed(ev, f"{what(ev)} {bad}.")


def caches_judged_alone(
        ctx: CheckContext) -> Iterator[tuple[SomeEvidence, ElastiCacheReplicationGroup | ElastiCacheCluster]]:
    """Replication groups and the clusters outside one: a member cluster is judged through its group."""
    for ev, cache in ctx.evidence.records(ElastiCacheReplicationGroup, ElastiCacheCluster):
        if not (isinstance(cache, ElastiCacheCluster) and cache.replication_group):
            yield ev, cache
