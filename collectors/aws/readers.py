"""The readers the AWS collector runs: per region of every account, and once per account."""

from __future__ import annotations

from collections.abc import Callable

from . import (
    backup,
    cloudfront,
    cloudtrail,
    dynamodb,
    ec2,
    efs,
    elasticache,
    elbv2,
    iam,
    kms,
    opensearch,
    rds,
    redshift,
    s3,
)
from .run import Run
from .session import Account

REGIONAL_READERS: tuple[Callable[[Run, Account, str], None], ...] = (
    ec2.ec2_instances, ec2.ec2_images, ec2.ebs_volumes, ec2.ebs_snapshots, ec2.ebs_encryption_default, ec2.vpcs,
    ec2.security_groups, rds.rds, rds.rds_clusters, rds.rds_snapshots, dynamodb.dynamodb, efs.efs, elbv2.elbv2,
    cloudtrail.cloudtrail, backup.backup_plans, backup.backup_vaults, backup.backup_protected_resources, kms.kms,
    elasticache.elasticache_replication_groups, elasticache.elasticache_clusters, opensearch.opensearch,
    redshift.redshift,
)

GLOBAL_READERS: tuple[Callable[[Run, Account], None], ...] = (
    s3.s3_buckets, s3.s3_account_public_access_block, iam.iam_summary, iam.iam_password_policy,
    iam.iam_credential_report, cloudfront.cloudfront,
)
