"""AWS checks: pure functions over the AWS evidence (:mod:`auditpack.evidence.aws`).

One module per measure. Never any I/O and never a clock: ``ctx.now`` and ``ctx.policy`` come
in. Evidence that could not be collected never reaches a check (the engine turns it into
``error`` findings); where a verdict also depends on a *listing* (no snapshot of this
volume), the check looks for the :class:`~auditpack.evidence.aws.AwsListing` of that region
and says ``error`` when the listing is missing. This package is the entry point the
registry loads: it names every check of the modules below.
"""

from __future__ import annotations

from .access_control import (
    access_control_iam_access_key_rotated,
    access_control_iam_password_policy_strong,
    access_control_iam_root_access_keys_absent,
    access_control_iam_root_mfa_enabled,
    access_control_iam_user_mfa_enabled,
    access_control_s3_bucket_public_access_blocked,
)
from .access_logging import (
    access_logging_cloudfront_distribution_logging_enabled,
    access_logging_cloudtrail_multi_region_trail_logging,
    access_logging_cloudtrail_trail_logging,
    access_logging_elb_access_logs_enabled,
    access_logging_s3_bucket_server_access_logging_enabled,
    access_logging_vpc_flow_logs_enabled,
)
from .backups import (
    backups_backup_plan_covers_resources,
    backups_backup_recovery_point_recent,
    backups_dynamodb_table_recent_backup,
    backups_ebs_volume_recent_backup,
    backups_rds_database_recent_backup,
)
from .encryption_at_rest import (
    encryption_at_rest_ebs_default_encryption_enabled,
    encryption_at_rest_ebs_snapshot_encrypted,
    encryption_at_rest_ebs_volume_encrypted,
    encryption_at_rest_efs_file_system_encrypted,
    encryption_at_rest_elasticache_encrypted,
    encryption_at_rest_kms_key_rotation_enabled,
    encryption_at_rest_opensearch_domain_encrypted,
    encryption_at_rest_rds_snapshot_encrypted,
    encryption_at_rest_rds_storage_encrypted,
    encryption_at_rest_redshift_cluster_encrypted,
    encryption_at_rest_s3_bucket_default_encryption,
)
from .encryption_in_transit import (
    encryption_in_transit_cloudfront_distribution_https,
    encryption_in_transit_efs_file_system_policy_requires_tls,
    encryption_in_transit_elasticache_tls_required,
    encryption_in_transit_elb_listener_tls,
    encryption_in_transit_opensearch_domain_tls,
    encryption_in_transit_rds_database_requires_tls,
    encryption_in_transit_redshift_cluster_requires_ssl,
    encryption_in_transit_s3_bucket_policy_requires_tls,
)
from .network_security import (
    network_security_security_group_sensitive_ports_restricted,
)
from .residency import (
    eea_residency_aws_data_copy_destination_allowed,
    eea_residency_aws_resource_in_allowed_region,
)

__all__ = [
    "access_control_iam_access_key_rotated",
    "access_control_iam_password_policy_strong",
    "access_control_iam_root_access_keys_absent",
    "access_control_iam_root_mfa_enabled",
    "access_control_iam_user_mfa_enabled",
    "access_control_s3_bucket_public_access_blocked",
    "access_logging_cloudfront_distribution_logging_enabled",
    "access_logging_cloudtrail_multi_region_trail_logging",
    "access_logging_cloudtrail_trail_logging",
    "access_logging_elb_access_logs_enabled",
    "access_logging_s3_bucket_server_access_logging_enabled",
    "access_logging_vpc_flow_logs_enabled",
    "backups_backup_plan_covers_resources",
    "backups_backup_recovery_point_recent",
    "backups_dynamodb_table_recent_backup",
    "backups_ebs_volume_recent_backup",
    "backups_rds_database_recent_backup",
    "eea_residency_aws_data_copy_destination_allowed",
    "eea_residency_aws_resource_in_allowed_region",
    "encryption_at_rest_ebs_default_encryption_enabled",
    "encryption_at_rest_ebs_snapshot_encrypted",
    "encryption_at_rest_ebs_volume_encrypted",
    "encryption_at_rest_efs_file_system_encrypted",
    "encryption_at_rest_elasticache_encrypted",
    "encryption_at_rest_kms_key_rotation_enabled",
    "encryption_at_rest_opensearch_domain_encrypted",
    "encryption_at_rest_rds_snapshot_encrypted",
    "encryption_at_rest_rds_storage_encrypted",
    "encryption_at_rest_redshift_cluster_encrypted",
    "encryption_at_rest_s3_bucket_default_encryption",
    "encryption_in_transit_cloudfront_distribution_https",
    "encryption_in_transit_efs_file_system_policy_requires_tls",
    "encryption_in_transit_elasticache_tls_required",
    "encryption_in_transit_elb_listener_tls",
    "encryption_in_transit_opensearch_domain_tls",
    "encryption_in_transit_rds_database_requires_tls",
    "encryption_in_transit_redshift_cluster_requires_ssl",
    "encryption_in_transit_s3_bucket_policy_requires_tls",
    "network_security_security_group_sensitive_ports_restricted",
]
