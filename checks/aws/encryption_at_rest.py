"""Encryption at rest: S3, EBS, RDS, EFS, ElastiCache, OpenSearch, Redshift and KMS key rotation."""

from __future__ import annotations

from collections.abc import Iterator

from auditpack.checks import CheckContext, Verdict, check, failed, not_applicable, passed
from auditpack.evidence.aws import (
    EbsEncryptionDefault,
    EbsSnapshot,
    EbsVolume,
    EfsFileSystem,
    ElastiCacheCluster,
    ElastiCacheReplicationGroup,
    KmsKeyRotation,
    OpenSearchDomain,
    RdsCluster,
    RdsInstance,
    RdsSnapshot,
    RedshiftCluster,
    S3BucketEncryption,
)
from auditpack.model import Basis, Measure, Severity

from .common import caches_judged_alone, flag_check, what

M = Measure


@check(basis=Basis.OBSERVED,
       title="S3 buckets have default encryption", measure=M.ENCRYPTION_AT_REST, needs=(S3BucketEncryption,),
       severity=Severity.HIGH,
       remediation="Set default encryption on the bucket (SSE-S3 or SSE-KMS): PutBucketEncryption.")
def encryption_at_rest_s3_bucket_default_encryption(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(S3BucketEncryption):
        name = ev.resource.name
        if not rec.configured:
            yield failed(ev, f"S3 bucket {name}: the endpoint reports no default encryption configuration "
                             "(ServerSideEncryptionConfigurationNotFoundError); AWS itself applies SSE-S3 to every "
                             "bucket since January 2023, so this endpoint is not confirming encryption at rest.")
        else:
            key = f" with key {', '.join(rec.kms_key_ids)}" if rec.kms_key_ids else ""
            yield passed(ev, f"S3 bucket {name} encrypts new objects by default ({', '.join(rec.algorithms)}{key}).",
                         details={"algorithms": list(rec.algorithms)})


@check(basis=Basis.OBSERVED, title="EBS volumes are encrypted", measure=M.ENCRYPTION_AT_REST, needs=(EbsVolume,),
       severity=Severity.HIGH,
       remediation="Snapshot the volume, copy the snapshot with encryption, create a volume from it and swap it in; "
                   "enable EBS encryption by default in the region.")
def encryption_at_rest_ebs_volume_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, EbsVolume, lambda r: r.encrypted, "is encrypted", "is not encrypted")


@check(basis=Basis.OBSERVED,
       title="EBS encryption by default is on in every scanned region", measure=M.ENCRYPTION_AT_REST,
       needs=(EbsEncryptionDefault,), severity=Severity.MEDIUM,
       remediation="Enable EBS encryption by default in the region (EnableEbsEncryptionByDefault).")
def encryption_at_rest_ebs_default_encryption_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(EbsEncryptionDefault):
        where = f"Region {ev.resource.location} of account {ev.resource.scope}"
        if ev.fact.enabled:
            yield passed(ev, f"{where} encrypts new EBS volumes by default.")
        else:
            yield failed(ev, f"{where} does not encrypt new EBS volumes by default.")


@check(basis=Basis.OBSERVED, title="EBS snapshots are encrypted", measure=M.ENCRYPTION_AT_REST, needs=(EbsSnapshot,),
       severity=Severity.HIGH, remediation="Copy the snapshot with encryption enabled and delete the unencrypted one.")
def encryption_at_rest_ebs_snapshot_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, EbsSnapshot, lambda r: r.encrypted, "is encrypted", "is not encrypted")


@check(basis=Basis.OBSERVED, title="RDS instances and clusters encrypt their storage", measure=M.ENCRYPTION_AT_REST,
       needs=(RdsInstance, RdsCluster), severity=Severity.HIGH,
       remediation="Restore an encrypted copy (snapshot, copy with a KMS key, restore) and switch over.")
def encryption_at_rest_rds_storage_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    good, bad = "encrypts its storage", "does not encrypt its storage"
    yield from flag_check(ctx, RdsInstance, lambda r: r.storage_encrypted, good, bad)
    yield from flag_check(ctx, RdsCluster, lambda r: r.storage_encrypted, good, bad)


@check(basis=Basis.OBSERVED, title="RDS snapshots are encrypted", measure=M.ENCRYPTION_AT_REST, needs=(RdsSnapshot,),
       severity=Severity.HIGH, remediation="Copy the snapshot with a KMS key and delete the unencrypted one.")
def encryption_at_rest_rds_snapshot_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, RdsSnapshot, lambda r: r.encrypted, "is encrypted", "is not encrypted")


@check(basis=Basis.OBSERVED,
       title="EFS file systems are encrypted", measure=M.ENCRYPTION_AT_REST, needs=(EfsFileSystem,),
       severity=Severity.HIGH,
       remediation="Create an encrypted file system, copy the data (AWS DataSync) and delete the unencrypted one.")
def encryption_at_rest_efs_file_system_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, EfsFileSystem, lambda r: r.encrypted, "is encrypted", "is not encrypted")


@check(basis=Basis.OBSERVED, title="Customer-managed KMS keys rotate automatically", measure=M.ENCRYPTION_AT_REST,
       needs=(KmsKeyRotation,), severity=Severity.MEDIUM,
       remediation="Enable automatic key rotation (EnableKeyRotation).")
def encryption_at_rest_kms_key_rotation_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, KmsKeyRotation, lambda r: r.enabled, "rotates automatically",
                           "does not rotate automatically")


@check(basis=Basis.OBSERVED,
       title="ElastiCache caches encrypt data at rest", measure=M.ENCRYPTION_AT_REST,
       needs=(ElastiCacheReplicationGroup, ElastiCacheCluster), severity=Severity.HIGH,
       remediation="Create the replication group with at-rest encryption (it cannot be turned on later), migrate "
                   "the data (backup and restore) and delete the unencrypted one.")
def encryption_at_rest_elasticache_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, cache in caches_judged_alone(ctx):
        if cache.at_rest_encryption:
            yield passed(ev, f"{what(ev)} ({cache.engine}) encrypts data at rest.")
        elif (cache.engine or "").lower() == "memcached":
            yield not_applicable(ev, f"{what(ev)} is a node-based Memcached cluster: it keeps data in memory only "
                                     "(no snapshots, no backups), so there is no data at rest to encrypt.")
        else:
            yield failed(ev, f"{what(ev)} ({cache.engine}) does not encrypt data at rest (its disk and "
                             "snapshots).")


@check(basis=Basis.OBSERVED,
       title="OpenSearch domains encrypt data at rest", measure=M.ENCRYPTION_AT_REST, needs=(OpenSearchDomain,),
       severity=Severity.HIGH,
       remediation="Enable encryption at rest (UpdateDomainConfig; older engine versions need a new domain and a "
                   "snapshot restore).")
def encryption_at_rest_opensearch_domain_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, OpenSearchDomain, lambda r: r.at_rest_encryption, "encrypts data at rest",
                          "does not encrypt data at rest")


@check(basis=Basis.OBSERVED,
       title="Redshift clusters are encrypted", measure=M.ENCRYPTION_AT_REST, needs=(RedshiftCluster,),
       severity=Severity.HIGH, remediation="Enable encryption on the cluster (ModifyCluster Encrypted=true).")
def encryption_at_rest_redshift_cluster_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, RedshiftCluster, lambda r: r.encrypted, "is encrypted", "is not encrypted")
