"""Issue 17's AWS depth against moto (in-process), boto3 code unchanged: RDS/Aurora TLS
parameters, ElastiCache, OpenSearch, EFS file system policies and Redshift, each with pass,
fail and error; all of them located for residency; and the backup verdict over every
mechanism when one mechanism cannot be read.

Regions no other test module seeds (eu-south-2, ap-northeast-1): moto's in-process backends
are shared, so a region of its own keeps this world's counts its own. moto lacks Redshift's
ModifyClusterParameterGroup and Aurora's default cluster parameter groups:
``emulator.install_data_stores`` teaches it those (the collector's calls are unchanged).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_world import (
    ACCOUNT_A,
    Hooks,
    collect,
    error_answer,
    judge,
    request_text,
    settings,
)

from auditpack.collectors.aws import emulator
from auditpack.model import Evidence
from helpers import expect

EEA = "eu-south-2"  # Spain
FAR = "ap-northeast-1"  # Japan: not in the EEA
DENIED = {  # operation -> text in the request that names the one resource it is denied for
    "DescribeDBParameters": "pg-broken-params",
    "DescribeFileSystemPolicy": "fs-broken",
    "DescribeClusterParameters": "rs-broken-params",
    "DescribeContinuousBackups": "ledger",
}


def _tls_policy(resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyPlain", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def seed() -> dict[str, str]:
    ids: dict[str, str] = {}
    rds = boto3.client("rds", region_name=EEA)
    for group, value in (("pg-force-ssl", "1"), ("pg-no-ssl", "0"), ("pg-broken-params", "1")):
        rds.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily="postgres16",
                                      Description=group)
        rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": value, "ApplyMethod": "immediate"}])
    rds.create_db_parameter_group(DBParameterGroupName="my-secure", DBParameterGroupFamily="mysql8.0",
                                  Description="mysql")
    rds.modify_db_parameter_group(DBParameterGroupName="my-secure", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "ON", "ApplyMethod": "immediate"}])
    for name, engine, group in (("pg-tls", "postgres", "pg-force-ssl"), ("pg-plain", "postgres", "pg-no-ssl"),
                                ("pg-default", "postgres", None), ("pg-broken", "postgres", "pg-broken-params"),
                                ("my-tls", "mysql", "my-secure")):
        extra = {"DBParameterGroupName": group} if group else {}
        rds.create_db_instance(DBInstanceIdentifier=name, Engine=engine, DBInstanceClass="db.t3.micro",
                               MasterUsername="app", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
                               StorageEncrypted=True, BackupRetentionPeriod=7, **extra)
    for group, value in (("aurora-secure", "ON"), ("aurora-open", "OFF")):
        rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=group,
                                              DBParameterGroupFamily="aurora-mysql8.0", Description=group)
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=[
            {"ParameterName": "require_secure_transport", "ParameterValue": value, "ApplyMethod": "immediate"}])
    for name, group in (("aurora-tls", "aurora-secure"), ("aurora-plain", "aurora-open")):
        rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-mysql", MasterUsername="app",
                              MasterUserPassword="not-a-secret-1", DBClusterParameterGroupName=group,
                              StorageEncrypted=True)

    cache = boto3.client("elasticache", region_name=EEA)
    cache.create_replication_group(ReplicationGroupId="cache-good", ReplicationGroupDescription="sessions",
                                   Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=1,
                                   AtRestEncryptionEnabled=True, TransitEncryptionEnabled=True,
                                   TransitEncryptionMode="required")
    cache.create_replication_group(ReplicationGroupId="cache-lax", ReplicationGroupDescription="queue",
                                   Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=1,
                                   AtRestEncryptionEnabled=False, TransitEncryptionEnabled=True,
                                   TransitEncryptionMode="preferred")
    cache.create_cache_cluster(CacheClusterId="mc-plain", Engine="memcached", CacheNodeType="cache.t3.micro",
                               NumCacheNodes=1)
    boto3.client("elasticache", region_name=FAR).create_cache_cluster(
        CacheClusterId="tokyo-cache", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)

    search = boto3.client("opensearch", region_name=EEA)
    search.create_domain(DomainName="search-good", EncryptionAtRestOptions={"Enabled": True},
                         NodeToNodeEncryptionOptions={"Enabled": True},
                         DomainEndpointOptions={"EnforceHTTPS": True,
                                                "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"})
    search.create_domain(DomainName="search-plain", EncryptionAtRestOptions={"Enabled": False},
                         NodeToNodeEncryptionOptions={"Enabled": False},
                         DomainEndpointOptions={"EnforceHTTPS": False})
    search.create_domain(DomainName="search-tls10", EncryptionAtRestOptions={"Enabled": True},
                         NodeToNodeEncryptionOptions={"Enabled": True},
                         DomainEndpointOptions={"EnforceHTTPS": True,
                                                "TLSSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"})
    boto3.client("opensearch", region_name=FAR).create_domain(DomainName="search-tokyo")

    efs = boto3.client("efs", region_name=EEA)
    for token in ("fs-tls", "fs-open-policy", "fs-no-policy", "fs-broken"):
        fs = efs.create_file_system(CreationToken=token, Encrypted=True, Tags=[{"Key": "Name", "Value": token}])
        ids[token] = fs["FileSystemId"]
    efs.put_file_system_policy(FileSystemId=ids["fs-tls"], Policy=_tls_policy(ids["fs-tls"]))
    efs.put_file_system_policy(FileSystemId=ids["fs-open-policy"], Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}))
    ids["fs-broken-id"] = ids["fs-broken"]
    DENIED["DescribeFileSystemPolicy"] = ids["fs-broken"]

    redshift = boto3.client("redshift", region_name=EEA)
    for group, value in (("rs-ssl", "true"), ("rs-broken-params", "true")):
        redshift.create_cluster_parameter_group(ParameterGroupName=group, ParameterGroupFamily="redshift-1.0",
                                                Description=group)
        redshift.modify_cluster_parameter_group(ParameterGroupName=group, Parameters=[
            {"ParameterName": "require_ssl", "ParameterValue": value}])
    redshift.create_cluster_parameter_group(ParameterGroupName="rs-defaults", ParameterGroupFamily="redshift-1.0",
                                            Description="left at the defaults")
    for name, encrypted, group in (("wh-good", True, "rs-ssl"), ("wh-plain", False, "rs-defaults"),
                                   ("wh-broken", True, "rs-broken-params")):
        redshift.create_cluster(ClusterIdentifier=name, NodeType="dc2.large", MasterUsername="admin",
                                MasterUserPassword="Not-a-secret-1", Encrypted=encrypted,
                                ClusterParameterGroupName=group)
    boto3.client("redshift", region_name=FAR).create_cluster(
        ClusterIdentifier="wh-tokyo", NodeType="dc2.large", MasterUsername="admin",
        MasterUserPassword="Not-a-secret-1", Encrypted=True)

    ddb = boto3.client("dynamodb", region_name=EEA)
    for name in ("ledger", "audit-log"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    now = datetime.now(UTC)
    # ledger: PITR unreadable (denied below), covered by AWS Backup; audit-log: PITR off, recovery point stale
    emulator.add_protected_resource(f"arn:aws:dynamodb:{EEA}:{ACCOUNT_A}:table/ledger", "DynamoDB",
                                    now - timedelta(hours=5), ACCOUNT_A)
    emulator.add_protected_resource(f"arn:aws:dynamodb:{EEA}:{ACCOUNT_A}:table/audit-log", "DynamoDB",
                                    now - timedelta(hours=50), ACCOUNT_A)
    return ids


@pytest.fixture(scope="module")
def depth(aws_env: None) -> Iterator[dict[str, Any]]:  # noqa: F811 - the shared fixture
    from moto import mock_aws

    emulator.install()
    with mock_aws():
        ids = seed()
        hooks = Hooks()

        def deny(index: int, model: Any, params: dict[str, Any], context: dict[str, Any]) -> Any:
            target = DENIED.get(model.name)
            if target is not None and target in request_text(params):
                return error_answer(403, "AccessDenied")
            if model.name in ("DescribeReplicationGroups", "DescribeDomains") and context.get("client_region") == FAR:
                return error_answer(403, "AccessDenied")
            return None

        hooks.before.append(deny)
        evidence = collect(settings(regions=(EEA, FAR), accounts=[]), hooks)
        now = datetime.now(UTC)
        yield {"ids": ids, "evidence": evidence, "findings": judge(evidence, now), "now": now, "hooks": hooks}


def _kinds(evidence: list[Evidence], ok: bool) -> set[str]:
    return {ev.kind for ev in evidence if ev.ok is ok}


def test_new_kinds_are_collected(depth: dict[str, Any]) -> None:
    assert {"aws.db_parameters", "aws.elasticache_replication_group", "aws.elasticache_cluster",
            "aws.opensearch_domain", "aws.efs_file_system_policy", "aws.redshift_cluster",
            "aws.redshift_parameters"} <= _kinds(depth["evidence"], True)
    groups = [c for c in depth["hooks"].calls if c[2] == "DescribeDBParameters"]
    assert len(groups) == len({c[3] for c in groups}), "one read per parameter group"


def test_rds_and_aurora_in_transit(depth: dict[str, Any]) -> None:
    f, check = depth["findings"], "encryption_in_transit_rds_database_requires_tls"
    expect(f, check, "pass", "pg-tls", contains="rds.force_ssl = 1 in parameter group pg-force-ssl")
    expect(f, check, "fail", "pg-plain", contains="rds.force_ssl = 0")
    expect(f, check, "manual", "pg-default", contains="engine default")
    expect(f, check, "pass", "my-tls", contains="require_secure_transport = ON")
    expect(f, check, "pass", "aurora-tls", contains="require_secure_transport = ON in parameter group aurora-secure")
    expect(f, check, "fail", "aurora-plain", contains="require_secure_transport = OFF")
    expect(f, check, "error", "pg-broken", contains="permission_denied")


def test_elasticache(depth: dict[str, Any]) -> None:
    f = depth["findings"]
    expect(f, "encryption_at_rest_elasticache_encrypted", "pass", "cache-good")
    expect(f, "encryption_at_rest_elasticache_encrypted", "fail", "cache-lax")
    expect(f, "encryption_at_rest_elasticache_encrypted", "not_applicable", "mc-plain", contains="Memcached")
    expect(f, "encryption_in_transit_elasticache_tls_required", "pass", "cache-good", contains="mode required")
    expect(f, "encryption_in_transit_elasticache_tls_required", "fail", "cache-lax", contains="preferred")
    expect(f, "encryption_in_transit_elasticache_tls_required", "fail", "mc-plain", contains="off")
    where = f"{ACCOUNT_A}/{FAR}"  # the replication groups of Tokyo could not be listed
    for check in ("encryption_at_rest_elasticache_encrypted", "encryption_in_transit_elasticache_tls_required",
                  "eea_residency_aws_resource_in_allowed_region"):
        expect(f, check, "error", where, contains="aws.elasticache_replication_group")


def test_opensearch(depth: dict[str, Any]) -> None:
    f = depth["findings"]
    expect(f, "encryption_at_rest_opensearch_domain_encrypted", "pass", "search-good")
    expect(f, "encryption_at_rest_opensearch_domain_encrypted", "fail", "search-plain")
    check = "encryption_in_transit_opensearch_domain_tls"
    expect(f, check, "pass", "search-good", contains="Policy-Min-TLS-1-2-PFS-2023-10")
    [plain] = expect(f, check, "fail", "search-plain", contains="node-to-node encryption is off")
    assert "HTTPS is not enforced" in plain.message
    expect(f, check, "fail", "search-tls10", contains="allows TLS 1.0 (below 1.2)")
    expect(f, check, "error", "search-tokyo", contains="DescribeDomains")
    expect(f, "encryption_at_rest_opensearch_domain_encrypted", "error", "search-tokyo")


def test_efs_file_system_policy(depth: dict[str, Any]) -> None:
    f, check = depth["findings"], "encryption_in_transit_efs_file_system_policy_requires_tls"
    expect(f, check, "pass", "fs-tls", contains="denies access without TLS")
    expect(f, check, "fail", "fs-open-policy", contains="does not deny")
    expect(f, check, "fail", "fs-no-policy", contains="no file system policy")
    expect(f, check, "error", "fs-broken", contains="permission_denied")
    [raw] = [ev for ev in depth["evidence"] if ev.kind == "aws.efs_file_system_policy" and ev.ok
             and ev.resource.name == "fs-tls"]
    assert raw.record.document["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_redshift(depth: dict[str, Any]) -> None:
    f = depth["findings"]
    expect(f, "encryption_at_rest_redshift_cluster_encrypted", "pass", "wh-good")
    expect(f, "encryption_at_rest_redshift_cluster_encrypted", "fail", "wh-plain")
    check = "encryption_in_transit_redshift_cluster_requires_ssl"
    expect(f, check, "pass", "wh-good", contains="require_ssl = true in parameter group rs-ssl")
    expect(f, check, "fail", "wh-plain", contains="require_ssl = false")
    expect(f, check, "error", "wh-broken", contains="permission_denied")


def test_new_services_are_located(depth: dict[str, Any]) -> None:
    f, check = depth["findings"], "eea_residency_aws_resource_in_allowed_region"
    for name in ("cache-good", "mc-plain", "search-good", "wh-good", "aurora-tls", "fs-tls"):
        expect(f, check, "pass", name, contains=EEA)
    for name in ("tokyo-cache", "wh-tokyo"):
        expect(f, check, "fail", name, contains=FAR)
    # the Tokyo domain could not be described: it is still where it was listed, and its record is an error
    expect(f, check, "error", "search-tokyo")
    uses = {ev.resource.scope: ev for ev in depth["evidence"] if ev.kind == "provider.use"}
    assert not uses[ACCOUNT_A].ok, "a located resource could not be read: the list of locations is incomplete"
    assert FAR in uses[ACCOUNT_A].raw["locations_found"]


def test_a_backup_mechanism_that_cannot_be_read_is_not_a_fail(depth: dict[str, Any]) -> None:
    f, check = depth["findings"], "backups_dynamodb_table_recent_backup"
    [ledger] = expect(f, check, "pass", "ledger", contains="AWS Backup recovery point 5.0 h old")
    assert "point-in-time recovery status could not be read" in ledger.message
    expect(f, check, "fail", "audit-log", contains="AWS Backup recovery point 50.0 h old")
