"""Residency: where AWS resources are, and where their data is copied to."""

from __future__ import annotations

from collections.abc import Iterator

from auditpack.checks import CheckContext, Verdict, check, errored, manual
from auditpack.evidence.aws import (
    BackupPlan,
    BackupVault,
    CloudTrailTrail,
    DynamoDbTable,
    EbsSnapshot,
    EbsVolume,
    Ec2Image,
    Ec2Instance,
    EfsFileSystem,
    ElastiCacheCluster,
    ElastiCacheReplicationGroup,
    ElbLoadBalancer,
    OpenSearchDomain,
    RdsCluster,
    RdsInstance,
    RdsSnapshot,
    RedshiftCluster,
    S3Bucket,
    S3BucketReplication,
)
from auditpack.model import Basis, Measure, Severity

from .common import arn_region, region_verdict, what

M = Measure


LOCATED = (S3Bucket, Ec2Instance, Ec2Image, EbsVolume, EbsSnapshot,
           RdsInstance, RdsCluster, RdsSnapshot, DynamoDbTable, EfsFileSystem,
           BackupVault, ElbLoadBalancer, CloudTrailTrail, ElastiCacheReplicationGroup, ElastiCacheCluster,
           OpenSearchDomain, RedshiftCluster)


@check(basis=Basis.OBSERVED, title="AWS resources are in allowed regions", measure=M.EEA_RESIDENCY, needs=LOCATED,
       severity=Severity.HIGH,
       remediation="Move the resource (or its data) to an allowed region and delete the copy outside it, or "
                   "record the transfer and its safeguards in the DPA's sub-processor annex.")
def eea_residency_aws_resource_in_allowed_region(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(*LOCATED):
        if isinstance(ev.record, Ec2Instance) and ev.record.state == "terminated":
            continue
        yield region_verdict(ev, what(ev), ev.resource.location, ctx)


@check(basis=Basis.OBSERVED, title="Data copied out of a region stays in allowed regions", measure=M.EEA_RESIDENCY,
       needs=(S3BucketReplication, BackupPlan, RdsInstance, RdsCluster,
              DynamoDbTable, CloudTrailTrail), optional=(S3Bucket,), severity=Severity.HIGH,
       remediation="Point replication rules, Backup copy actions, read replicas, global-table replicas and "
                   "CloudTrail log destinations at allowed regions only.")
def eea_residency_aws_data_copy_destination_allowed(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(S3BucketReplication):
        for rule in ev.fact.rules:
            if rule.status != "Enabled":
                continue
            label = (f"S3 bucket {ev.resource.name} replicates (rule {rule.id or '?'}) to bucket "
                     f"{rule.destination_bucket.split(':::')[-1]}, which")
            if rule.destination_region is None:
                yield errored(ev, f"S3 bucket {ev.resource.name} replicates to {rule.destination_bucket}, whose "
                                  "region could not be read: residency cannot be decided.")
            else:
                yield region_verdict(ev, label, rule.destination_region, ctx)
    for plan, rec in ctx.evidence.records(BackupPlan):
        for backup_rule in rec.rules:
            for dest in backup_rule.copy_destinations:
                label = (f"Backup plan {plan.resource.name} (rule {backup_rule.name}) copies recovery points to "
                         f"vault {dest}, which")
                yield region_verdict(plan, label, arn_region(dest), ctx)
    for db, database in ctx.evidence.records(RdsInstance, RdsCluster):
        for replica in database.read_replicas:
            region = arn_region(replica) or db.resource.location  # a bare identifier is in the same region
            yield region_verdict(db, f"{what(db)} has a read replica {replica}, which", region, ctx)
    for table, table_rec in ctx.evidence.records(DynamoDbTable):
        for replica_region in table_rec.replica_regions:
            if replica_region != table.resource.location:
                yield region_verdict(table, f"DynamoDB table {table.resource.name} has a global-table replica, "
                                            "which", replica_region, ctx)
    yield from _trail_destinations(ctx)


def _trail_destinations(ctx: CheckContext) -> Iterator[Verdict]:
    """Where a trail's log files go: its S3 bucket (located through the S3 evidence of the
    scanned accounts) and its CloudWatch Logs log group (the region is in the ARN)."""
    buckets = {ev.fact.name: ev for ev in ctx.evidence.of(S3Bucket)}
    unreadable = {ev.resource.name for ev in ctx.unreadable(S3Bucket)}
    for ev, trail in ctx.evidence.records(CloudTrailTrail):
        if trail.s3_bucket:
            label = f"CloudTrail trail {trail.name} delivers its log files to S3 bucket {trail.s3_bucket}, which"
            bucket = buckets.get(trail.s3_bucket)
            if bucket is not None:
                yield region_verdict(ev, label, bucket.fact.region, ctx, evidence=(bucket,))
            elif trail.s3_bucket in unreadable:
                yield errored(ev, f"CloudTrail trail {trail.name} delivers to S3 bucket {trail.s3_bucket}, whose "
                                  "region could not be read: residency cannot be decided.")
            else:
                yield manual(ev, f"CloudTrail trail {trail.name} delivers to S3 bucket {trail.s3_bucket}, which is "
                                 "not in a scanned account: add that account (or attach the bucket's region) to "
                                 "show where the log files are kept.")
        if trail.log_group_arn:
            yield region_verdict(ev, f"CloudTrail trail {trail.name} delivers to CloudWatch Logs log group "
                                     f"{trail.log_group_arn.split(':log-group:')[-1].removesuffix(':*')}, which",
                                 arn_region(trail.log_group_arn), ctx)

