"""The seeded AWS world the AWS tests share: two accounts (the default chain and a role
assumed through STS), several regions, botocore hooks that record and inject answers, and
the collect-and-judge helpers. The process environment it needs is the ``aws_env`` fixture
of conftest.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.aws import AwsCollector, AwsSettings, emulator
from auditpack.config import Policy
from auditpack.engine import evaluate
from auditpack.model import Evidence, Finding
from helpers import checks_from

ACCOUNT_A = "123456789012"
ACCOUNT_B = "210987654321"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/auditpack-read-only"
REGIONS = ("eu-central-1", "eu-west-1", "eu-west-2", "eu-central-2", "us-east-1", "eu-north-1")
HOME = "eu-central-1"
AWS_CHECKS = checks_from("aws")


# --- environment and helpers ----------------------------------------------------------------

def settings(**overrides: Any) -> AwsSettings:
    base: dict[str, Any] = {"regions": REGIONS, "max_workers": 8, "max_attempts": 2,
                            "accounts": [{"role_arn": ROLE_B, "name": "second"}]}
    base.update(overrides)
    return AwsSettings.model_validate(base)


def collect(aws: AwsSettings, hook: Callable[[boto3.Session], None] | None = None,
            page_size: int | None = None) -> list[Evidence]:
    ctx = CollectContext("aws", "test", datetime.now(UTC))
    AwsCollector(aws, session_hook=hook, page_size=page_size).collect(ctx)
    return ctx.close()


def judge(evidence: list[Evidence], now: datetime, **policy: Any) -> list[Finding]:
    return evaluate(evidence, AWS_CHECKS, Policy(**policy), now, load_catalogs())


class Hooks:
    """botocore handlers for every session the collector creates (index 0: default chain,
    1: the assumed role of account B). Records every call as (session, service, operation, request)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, str, str]] = []
        self.sessions = 0
        self._lock = threading.Lock()
        self.before: list[Callable[[int, Any, dict[str, Any], dict[str, Any]], Any]] = []
        self.after: list[Callable[[int, Any, dict[str, Any]], None]] = []
        self.send: list[Callable[[int, Any], AWSResponse | None]] = []
        self.pagers: list[Callable[[Any, dict[str, Any], dict[str, Any]], None]] = []

    def __call__(self, session: boto3.Session) -> None:
        with self._lock:
            index = self.sessions
            self.sessions += 1

        def before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
            from auditpack.collectors.aws.session import call_key

            body = params.get("body")
            text = f"{params.get('url', '')} {params.get('query_string', '')} " + (
                json.dumps(body, sort_keys=True, default=str) if isinstance(body, dict)
                else (body.decode() if isinstance(body, bytes) else str(body or "")))
            with self._lock:
                self.calls.append((index, call_key(model.service_model), model.name,
                                   f"{context.get('client_region')} {text}"))
            for handler in self.before:
                answer = handler(index, model, params, context)
                if answer is not None:
                    return answer
            return None

        def after_call(model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            for handler in self.after:
                handler(index, model, parsed)
            for pager in self.pagers:
                pager(model, parsed, context)

        def before_send(request: Any, **_: Any) -> Any:
            for handler in self.send:
                answer = handler(index, request)
                if answer is not None:
                    return answer
            return None

        session.events.register("before-call", before_call)
        session.events.register("after-call", after_call)
        session.events.register_first("before-send", before_send)  # ahead of moto's own responder


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_answer(status: int, code: str, message: str = "injected by the test") -> tuple[AWSResponse, dict[str, Any]]:
    xml = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    http = AWSResponse("https://injected.invalid/", status, {}, _Raw(xml))
    return http, {"Error": {"Code": code, "Message": message},
                  "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0}}


def ok_answer(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse("https://stub.invalid/", 200, {}, _Raw(b"")), {**parsed, "ResponseMetadata": {
        "HTTPStatusCode": 200}}


def request_text(params: dict[str, Any]) -> str:
    body = params.get("body")
    body_text = json.dumps(body, default=str) if isinstance(body, dict) else (
        body.decode() if isinstance(body, bytes) else str(body or ""))
    return f"{params.get('url', '')} {params.get('query_string', '')} {body_text}"


# --- the seeded world -----------------------------------------------------------------------

def _client(service: str, region: str = HOME, creds: dict[str, str] | None = None) -> Any:
    return boto3.client(service, region_name=region, **(creds or {}))


def _bucket(name: str, region: str, creds: dict[str, str] | None = None) -> None:
    s3 = _client("s3", region, creds)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


TLS_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": ["arn:aws:s3:::good-data", "arn:aws:s3:::good-data/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def seed_account_a() -> dict[str, str]:
    ids: dict[str, str] = {}
    s3 = _client("s3")
    for name, region in (("good-data", HOME), ("bad-data", HOME), ("access-logs", HOME), ("broken-bucket", HOME),
                         ("good-replica", "eu-west-1"), ("london-bucket", "eu-west-2"),
                         ("us-export-bucket", "us-east-1")):
        _bucket(name, region)
    s3.put_bucket_acl(Bucket="access-logs", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    s3.put_bucket_encryption(Bucket="good-data", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/data"},
         "BucketKeyEnabled": True}]})
    s3.put_bucket_policy(Bucket="good-data", Policy=json.dumps(TLS_POLICY))
    s3.put_bucket_policy(Bucket="london-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::london-bucket/*"}]}))
    s3.put_bucket_logging(Bucket="good-data", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "access-logs", "TargetPrefix": "good-data/"}})
    for name in ("good-data", "bad-data", "good-replica", "us-export-bucket"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket="good-data", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    for source, dest in (("good-data", "good-replica"), ("bad-data", "us-export-bucket")):
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT_A}:role/replication", "Rules": [{
                "ID": f"to-{dest}", "Status": "Enabled", "Priority": 1, "Filter": {},
                "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}]})

    ec2 = _client("ec2")
    app = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "app-1"}]}])["Instances"][0]["InstanceId"]
    ec2.create_image(InstanceId=app, Name="app-golden-image")
    ec2.enable_ebs_encryption_by_default()
    volumes = (("vol-good", True, True), ("vol-plain", False, True), ("vol-orphan", True, False))
    for name, encrypted, snapshot in volumes:
        vol = ec2.create_volume(Size=1, AvailabilityZone=f"{HOME}a", Encrypted=encrypted, TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}])
        ids[name] = vol["VolumeId"]
        if snapshot:
            snap = ec2.create_snapshot(VolumeId=vol["VolumeId"], TagSpecifications=[
                {"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": f"snap-of-{name}"}]}])
            ids[f"snap-of-{name}"] = snap["SnapshotId"]
    for region, name in (("eu-west-2", "vol-london"), ("eu-central-2", "vol-zurich"), ("eu-north-1", "vol-stockholm")):
        _client("ec2", region).create_volume(Size=1, AvailabilityZone=f"{region}a", Encrypted=True, TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}])
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    ec2.create_flow_logs(ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="ALL", LogGroupName="flow",
                         DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT_A}:role/flow")
    ssh = ec2.create_security_group(GroupName="ssh-open", Description="ssh from anywhere", VpcId=vpc_id)
    ec2.authorize_security_group_ingress(GroupId=ssh["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    web = ec2.create_security_group(GroupName="web", Description="https only", VpcId=vpc_id)
    ec2.authorize_security_group_ingress(GroupId=web["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]]

    rds = _client("rds")
    for name, encrypted, retention in (("db-good", True, 7), ("db-bad", False, 0)):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                               StorageEncrypted=encrypted, BackupRetentionPeriod=retention, MasterUsername="app",
                               MasterUserPassword="not-a-secret-1", AllocatedStorage=20)
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier=f"{name}-manual")
    _client("rds", "eu-west-1").create_db_instance_read_replica(
        DBInstanceIdentifier="db-good-replica", SourceDBInstanceIdentifier=f"arn:aws:rds:{HOME}:{ACCOUNT_A}:db:db-good")
    _client("rds", "us-east-1").create_db_instance_read_replica(
        DBInstanceIdentifier="db-bad-replica", SourceDBInstanceIdentifier=f"arn:aws:rds:{HOME}:{ACCOUNT_A}:db:db-bad")

    ddb = _client("dynamodb")
    for name in ("orders", "sessions"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    ddb.create_table(TableName="invoices", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])

    # one of each data store the collector reads per resource, so the world makes every declared call
    _client("rds").create_db_cluster(DBClusterIdentifier="aurora-main", Engine="aurora-postgresql",
                                     MasterUsername="app", MasterUserPassword="not-a-secret-1", StorageEncrypted=True)
    _client("opensearch").create_domain(DomainName="search-main")
    _client("redshift").create_cluster(ClusterIdentifier="wh-main", NodeType="dc2.large", MasterUsername="admin",
                                       MasterUserPassword="Not-a-secret-1", Encrypted=True)
    _client("elasticache").create_replication_group(
        ReplicationGroupId="cache-main", ReplicationGroupDescription="sessions", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1)

    efs = _client("efs")
    for token, encrypted in (("fs-enc", True), ("fs-plain", False)):
        fs = efs.create_file_system(CreationToken=token, Encrypted=encrypted, Tags=[{"Key": "Name", "Value": token}])
        ids[token] = fs["FileSystemArn"]

    elb = _client("elbv2")
    cert_arn = _client("acm").request_certificate(DomainName="app.example.com")["CertificateArn"]
    for name, good in (("web-lb", True), ("legacy-lb", False)):
        lb = elb.create_load_balancer(Name=name, Subnets=subnets[:2], Scheme="internet-facing", Type="application")
        arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc_id)
        tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
        forward = [{"Type": "forward", "TargetGroupArn": tg_arn}]
        redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                             "StatusCode": "HTTP_301"}}]
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=redirect if good else forward)
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTPS", Port=443, DefaultActions=forward,
                            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06" if good else "ELBSecurityPolicy-2016-08",
                            Certificates=[{"CertificateArn": cert_arn}])
        if good:
            elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
                {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket",
                                                                      "Value": "access-logs"}])

    cf = _client("cloudfront", "us-east-1")
    for ref, good in (("good-cdn", True), ("bad-cdn", False)):
        cert = ({"ACMCertificateArn": f"arn:aws:acm:us-east-1:{ACCOUNT_A}:certificate/cdn",
                 "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021",
                 "CloudFrontDefaultCertificate": False} if good
                else {"CloudFrontDefaultCertificate": True})
        dist = cf.create_distribution(DistributionConfig={
            "CallerReference": ref, "Comment": ref, "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "good-data.s3.amazonaws.com",
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o",
                                     "ViewerProtocolPolicy": "redirect-to-https" if good else "allow-all",
                                     "MinTTL": 0,
                                     "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                     "TrustedSigners": {"Enabled": False, "Quantity": 0}},
            "Logging": {"Enabled": good, "IncludeCookies": False,
                        "Bucket": "access-logs.s3.amazonaws.com" if good else "",
                        "Prefix": "cdn/" if good else ""},
            "ViewerCertificate": cert})
        ids[ref] = dist["Distribution"]["Id"]

    ct = _client("cloudtrail")
    ct.create_trail(Name="org-audit", S3BucketName="access-logs", IsMultiRegionTrail=True, EnableLogFileValidation=True)
    ct.start_logging(Name="org-audit")
    ct.create_trail(Name="local-only", S3BucketName="access-logs",
                    CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME}:{ACCOUNT_A}:log-group:trail-local:*",
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/trail-logs")
    # a single-region trail in us-east-1, logging off, delivering to a bucket outside the EEA
    _client("cloudtrail", "us-east-1").create_trail(Name="virginia-trail", S3BucketName="us-export-bucket")

    backup = _client("backup")
    for region, vault in ((HOME, "main"), ("eu-west-1", "dr"), ("us-east-1", "us-dr")):
        _client("backup", region).create_backup_vault(BackupVaultName=vault)
    for name, dest in (("daily", "eu-west-1"), ("offsite", "us-east-1")):
        vault = "dr" if dest == "eu-west-1" else "us-dr"
        plan = backup.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [{
            "RuleName": f"{name}-rule", "TargetBackupVaultName": "main", "ScheduleExpression": "cron(0 3 * * ? *)",
            "CopyActions": [{"DestinationBackupVaultArn":
                             f"arn:aws:backup:{dest}:{ACCOUNT_A}:backup-vault:{vault}"}]}]})
        ids[f"plan-{name}"] = plan["BackupPlanId"]
    backup.create_backup_selection(BackupPlanId=ids["plan-daily"], BackupSelection={
        "SelectionName": "databases", "IamRoleArn": f"arn:aws:iam::{ACCOUNT_A}:role/backup",
        "Resources": [f"arn:aws:rds:{HOME}:{ACCOUNT_A}:db:*"]})
    now = datetime.now(UTC)
    emulator.add_protected_resource(f"arn:aws:rds:{HOME}:{ACCOUNT_A}:db:db-good", "RDS", now - timedelta(hours=2),
                                    ACCOUNT_A)
    emulator.add_protected_resource(ids["fs-enc"], "EFS", now - timedelta(hours=100), ACCOUNT_A, name="fs-enc")
    emulator.add_protected_resource(ids["fs-plain"], "EFS", now - timedelta(hours=3), ACCOUNT_A, name="fs-plain")
    emulator.add_protected_resource(f"arn:aws:dynamodb:{HOME}:{ACCOUNT_A}:table/invoices", "DynamoDB",
                                    now - timedelta(hours=24), ACCOUNT_A)
    emulator.add_protected_resource(f"arn:aws:ec2:{HOME}:{ACCOUNT_A}:volume/{ids['vol-plain']}", "EBS",
                                    now - timedelta(hours=1), ACCOUNT_A, name="vol-plain")

    kms = _client("kms")
    for name, rotate in (("key-rotating", True), ("key-static", False)):
        key = kms.create_key(Description=name)["KeyMetadata"]
        ids[name] = key["Arn"]
        if rotate:
            kms.enable_key_rotation(KeyId=key["KeyId"])

    iam = _client("iam")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Not-a-secret-123")
    iam.create_access_key(UserName="alice")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Not-a-secret-123")
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=mfa, AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, PasswordReusePrevention=12)
    return ids


def seed_account_b() -> None:
    creds = _client("sts").assume_role(RoleArn=ROLE_B, RoleSessionName="seed")["Credentials"]
    b = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
         "aws_session_token": creds["SessionToken"]}
    assert _client("sts", creds=b).get_caller_identity()["Account"] == ACCOUNT_B
    _bucket("b-london-bucket", "eu-west-2", b)
    _client("iam", creds=b).update_account_password_policy(MinimumPasswordLength=8)


def root_summary(account: str, mfa: int, keys: int) -> None:
    """moto cannot give the root user MFA or access keys through the API: set its summary."""
    from moto.iam.models import iam_backends

    summary = iam_backends[account]["global"].account_summary
    summary._account_mfa_enabled = mfa
    summary._account_access_keys_present = keys


def dynamodb_replicas(index: int, model: Any, parsed: dict[str, Any]) -> None:
    """moto has no global tables v2019: add the replicas DescribeTable would list."""
    if model.name == "DescribeTable" and "Table" in parsed:
        replicas = {"orders": "eu-west-1", "sessions": "us-west-2"}.get(parsed["Table"]["TableName"])
        if replicas:
            parsed["Table"]["Replicas"] = [{"RegionName": replicas, "ReplicaStatus": "ACTIVE"}]
