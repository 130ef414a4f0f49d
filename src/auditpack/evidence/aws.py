"""Typed evidence records of the AWS collector: one kind per independently failing fact.

A bucket's encryption, policy, logging, versioning, replication and public access block
are six kinds because they are six API calls: an AccessDenied on one gives ``error`` for
exactly that fact. Times are ISO 8601 strings in UTC (or None when AWS gave none).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, JsonValue

from auditpack.model import EvidenceRecord


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- account and inventory ---------------------------------------------------------------

class AwsAccount(EvidenceRecord, kind="aws.account"):
    account_id: str
    partition: str
    caller_arn: str
    reached_by: str  # "default credential chain" or "assumed role arn:aws:iam::...:role/..."
    regions_enabled: tuple[str, ...]
    regions_scanned: tuple[str, ...]


class AwsListing(EvidenceRecord, kind="aws.listing"):
    """A region (or account) was listed completely for one resource type: absence of a
    resource in the evidence is then a fact, not a gap."""

    resource_type: str
    region: str
    count: int
    source: str


# --- S3 ------------------------------------------------------------------------------------

class S3Bucket(EvidenceRecord, kind="aws.s3_bucket"):
    name: str
    region: str
    created: str | None = None


class S3BucketEncryption(EvidenceRecord, kind="aws.s3_bucket_encryption"):
    configured: bool  # False: the endpoint answered ServerSideEncryptionConfigurationNotFoundError
    algorithms: tuple[str, ...] = ()  # AES256, aws:kms, aws:kms:dsse
    kms_key_ids: tuple[str, ...] = ()
    bucket_key_enabled: bool | None = None


class S3BucketPolicy(EvidenceRecord, kind="aws.s3_bucket_policy"):
    """The bucket policy as S3 returned it (parsed JSON); the checks judge it."""

    has_policy: bool
    document: dict[str, JsonValue] | None = None  # None when the bucket has no policy


class S3BucketLogging(EvidenceRecord, kind="aws.s3_bucket_logging"):
    enabled: bool
    target_bucket: str | None = None
    target_prefix: str | None = None


class S3BucketVersioning(EvidenceRecord, kind="aws.s3_bucket_versioning"):
    status: str | None  # Enabled | Suspended | None (never enabled)
    mfa_delete: str | None = None


class ReplicationRule(_Part):
    id: str | None
    status: str
    destination_bucket: str  # ARN
    destination_account: str | None = None
    destination_region: str | None = None  # None: could not be determined


class S3BucketReplication(EvidenceRecord, kind="aws.s3_bucket_replication"):
    configured: bool
    rules: tuple[ReplicationRule, ...] = ()


class PublicAccessBlock(_Part):
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @property
    def complete(self) -> bool:
        return self.block_public_acls and self.ignore_public_acls and self.block_public_policy \
            and self.restrict_public_buckets


class S3BucketPublicAccessBlock(EvidenceRecord, kind="aws.s3_bucket_public_access_block"):
    configured: bool
    settings: PublicAccessBlock = PublicAccessBlock()


class S3AccountPublicAccessBlock(EvidenceRecord, kind="aws.s3_account_public_access_block"):
    configured: bool
    settings: PublicAccessBlock = PublicAccessBlock()


# --- EC2 / EBS / VPC -----------------------------------------------------------------------

class Ec2Instance(EvidenceRecord, kind="aws.ec2_instance"):
    instance_id: str
    state: str | None
    instance_type: str | None
    vpc_id: str | None = None
    public_ip: str | None = None
    security_groups: tuple[str, ...] = ()


class Ec2Image(EvidenceRecord, kind="aws.ec2_image"):
    image_id: str
    name: str | None
    state: str | None
    public: bool
    encrypted_snapshots: bool | None = None  # every EBS block device snapshot encrypted (None: no EBS devices)


class EbsVolume(EvidenceRecord, kind="aws.ebs_volume"):
    volume_id: str
    encrypted: bool
    kms_key_id: str | None = None
    size_gib: int | None = None
    state: str | None = None
    attached_instances: tuple[str, ...] = ()


class EbsSnapshot(EvidenceRecord, kind="aws.ebs_snapshot"):
    snapshot_id: str
    volume_id: str | None
    encrypted: bool
    start_time: str | None
    state: str | None


class EbsEncryptionDefault(EvidenceRecord, kind="aws.ebs_encryption_default"):
    enabled: bool
    kms_key_id: str | None = None


class Vpc(EvidenceRecord, kind="aws.vpc"):
    vpc_id: str
    is_default: bool
    cidr: str | None = None


class VpcFlowLogs(EvidenceRecord, kind="aws.vpc_flow_logs"):
    flow_log_ids: tuple[str, ...]
    active: bool  # at least one flow log whose status is ACTIVE
    destinations: tuple[str, ...] = ()


class IngressRule(_Part):
    protocol: str  # "-1" = all
    from_port: int | None
    to_port: int | None
    sources: tuple[str, ...]  # CIDRs (IPv4 and IPv6), prefix lists and security groups


class SecurityGroup(EvidenceRecord, kind="aws.security_group"):
    group_id: str
    group_name: str
    vpc_id: str | None
    ingress: tuple[IngressRule, ...]


# --- RDS -----------------------------------------------------------------------------------

class RdsInstance(EvidenceRecord, kind="aws.rds_instance"):
    identifier: str
    engine: str | None
    storage_encrypted: bool
    backup_retention_days: int
    latest_restorable_time: str | None
    publicly_accessible: bool | None = None
    cluster_identifier: str | None = None
    read_replicas: tuple[str, ...] = ()  # identifiers or ARNs (cross-region replicas are ARNs)
    replica_source: str | None = None


class RdsCluster(EvidenceRecord, kind="aws.rds_cluster"):
    identifier: str
    engine: str | None
    storage_encrypted: bool
    backup_retention_days: int
    latest_restorable_time: str | None
    read_replicas: tuple[str, ...] = ()
    replica_source: str | None = None


class RdsSnapshot(EvidenceRecord, kind="aws.rds_snapshot"):
    identifier: str
    source: str | None  # instance or cluster identifier
    cluster: bool
    encrypted: bool
    created: str | None
    snapshot_type: str | None
    status: str | None


# --- DynamoDB, EFS -------------------------------------------------------------------------

class DynamoDbTable(EvidenceRecord, kind="aws.dynamodb_table"):
    name: str
    status: str | None
    sse_type: str  # "AWS_OWNED" when AWS reports no SSEDescription (always encrypted), else KMS/AES256
    sse_status: str | None = None
    replica_regions: tuple[str, ...] = ()


class DynamoDbPitr(EvidenceRecord, kind="aws.dynamodb_pitr"):
    enabled: bool
    latest_restorable_time: str | None = None


class EfsFileSystem(EvidenceRecord, kind="aws.efs_file_system"):
    file_system_id: str
    encrypted: bool
    kms_key_id: str | None = None


# --- ELBv2, CloudFront ---------------------------------------------------------------------

class ElbLoadBalancer(EvidenceRecord, kind="aws.elb_load_balancer"):
    name: str
    type: str | None
    scheme: str | None
    dns_name: str | None = None


class ElbAttributes(EvidenceRecord, kind="aws.elb_attributes"):
    access_logs_enabled: bool
    access_logs_bucket: str | None = None


class ElbListener(EvidenceRecord, kind="aws.elb_listener"):
    load_balancer_arn: str
    port: int | None
    protocol: str | None  # HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE
    ssl_policy: str | None = None
    default_actions: tuple[str, ...] = ()  # action types: forward, redirect, fixed-response, ...
    redirect_protocol: str | None = None  # the protocol of a redirect default action


class ElbSslPolicy(EvidenceRecord, kind="aws.elb_ssl_policy"):
    name: str
    protocols: tuple[str, ...]  # TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, SSLv3


class CloudFrontDistribution(EvidenceRecord, kind="aws.cloudfront_distribution"):
    distribution_id: str
    domain_name: str | None
    enabled: bool


class CloudFrontConfig(EvidenceRecord, kind="aws.cloudfront_config"):
    """From GetDistributionConfig: viewer-side TLS and logging (one call, one fact)."""

    viewer_protocol_policies: tuple[str, ...]  # default and every cache behaviour
    minimum_protocol_version: str | None
    default_certificate: bool
    logging_enabled: bool
    logging_bucket: str | None = None


# --- CloudTrail ----------------------------------------------------------------------------

class CloudTrailTrail(EvidenceRecord, kind="aws.cloudtrail_trail"):
    name: str
    home_region: str | None
    multi_region: bool
    log_file_validation: bool
    s3_bucket: str | None = None
    organization_trail: bool = False
    log_group_arn: str | None = None  # the CloudWatch Logs log group it also delivers to


class CloudTrailStatus(EvidenceRecord, kind="aws.cloudtrail_status"):
    is_logging: bool
    latest_delivery_error: str | None = None
    latest_delivery_time: str | None = None


# --- AWS Backup ----------------------------------------------------------------------------

class BackupRule(_Part):
    name: str
    vault: str | None
    schedule: str | None
    copy_destinations: tuple[str, ...] = ()  # destination vault ARNs


class BackupPlan(EvidenceRecord, kind="aws.backup_plan"):
    plan_id: str
    name: str
    rules: tuple[BackupRule, ...]


class BackupSelection(EvidenceRecord, kind="aws.backup_selection"):
    plan_id: str
    selection_id: str
    name: str
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    has_conditions: bool = False


class BackupVault(EvidenceRecord, kind="aws.backup_vault"):
    name: str
    encryption_key_arn: str | None
    recovery_points: int | None = None


class BackupProtectedResource(EvidenceRecord, kind="aws.backup_protected_resource"):
    resource_arn: str
    resource_type: str | None
    last_backup_time: str | None


# --- KMS -----------------------------------------------------------------------------------

class KmsKey(EvidenceRecord, kind="aws.kms_key"):
    key_id: str
    manager: str | None  # CUSTOMER | AWS
    state: str | None
    spec: str | None
    usage: str | None = None
    description: str | None = None


class KmsKeyRotation(EvidenceRecord, kind="aws.kms_key_rotation"):
    enabled: bool


# --- IAM -----------------------------------------------------------------------------------

class IamAccountSummary(EvidenceRecord, kind="aws.iam_account_summary"):
    root_mfa_enabled: bool
    root_access_keys_present: bool
    users: int | None = None
    mfa_devices_in_use: int | None = None


class AccessKey(_Part):
    slot: int
    active: bool
    last_rotated: str | None


class IamUserCredentials(_Part):
    user: str
    arn: str
    password_enabled: bool
    mfa_active: bool
    access_keys: tuple[AccessKey, ...] = ()


class IamCredentialReport(EvidenceRecord, kind="aws.iam_credential_report"):
    generated: str | None
    root: IamUserCredentials | None
    users: tuple[IamUserCredentials, ...]


class IamPasswordPolicy(EvidenceRecord, kind="aws.iam_password_policy"):
    present: bool
    minimum_length: int | None = None
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    max_age_days: int | None = None
    reuse_prevention: int | None = None


# --- organisation ---------------------------------------------------------------------------

class AwsOrganization(EvidenceRecord, kind="aws.organization"):
    """The organisation's account list as the management (or delegated-administrator)
    account returned it: what an organisation run was meant to cover."""

    listed_by: str  # the caller's ARN
    account_ids: tuple[str, ...]  # every account listed, whatever its status
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    selected: tuple[str, ...]  # the accounts this run collects through the organisation role


class AwsOrganizationAccount(EvidenceRecord, kind="aws.organization_account"):
    """One member account the organisation run reached with its role (skipped accounts are
    ``skipped`` evidence saying why; accounts whose role failed are ``error`` evidence)."""

    account_id: str
    name: str
    status: str  # ACTIVE | SUSPENDED | PENDING_CLOSURE, as Organizations reports it
    role_arn: str

# --- transport and storage settings of managed data stores (issue 17) ------------------

class DbParameters(EvidenceRecord, kind="aws.db_parameters"):
    """The transport-security parameters of the DB (cluster) parameter group a database uses
    (rds:DescribeDBParameters / DescribeDBClusterParameters), as the group lists them; the
    check decides which one the engine honours."""

    group: str
    cluster_group: bool
    engine: str | None
    values: dict[str, str | None]  # listed parameter -> its value (None: listed without a value)


class ElastiCacheReplicationGroup(EvidenceRecord, kind="aws.elasticache_replication_group"):
    group_id: str
    engine: str | None
    at_rest_encryption: bool
    transit_encryption: bool
    transit_mode: str | None = None  # preferred (plain text still accepted) | required


class ElastiCacheCluster(EvidenceRecord, kind="aws.elasticache_cluster"):
    cluster_id: str
    engine: str | None
    replication_group: str | None  # member of a replication group: judged through the group
    at_rest_encryption: bool
    transit_encryption: bool
    transit_mode: str | None = None


class OpenSearchDomain(EvidenceRecord, kind="aws.opensearch_domain"):
    name: str
    engine_version: str | None
    at_rest_encryption: bool
    node_to_node_encryption: bool
    enforce_https: bool
    tls_policy: str | None = None


class EfsFileSystemPolicy(EvidenceRecord, kind="aws.efs_file_system_policy"):
    """The file system policy as EFS returned it (parsed JSON); the checks judge it."""

    has_policy: bool
    document: dict[str, JsonValue] | None = None  # None when the file system has no policy


class RedshiftCluster(EvidenceRecord, kind="aws.redshift_cluster"):
    identifier: str
    encrypted: bool
    kms_key_id: str | None = None
    parameter_groups: tuple[str, ...] = ()
    publicly_accessible: bool | None = None


class RedshiftParameters(EvidenceRecord, kind="aws.redshift_parameters"):
    """``require_ssl`` and its group (redshift:DescribeClusterParameters)."""

    group: str
    values: dict[str, str | None]
