"""RDS readers: instances, clusters, their snapshots and the TLS parameters of their parameter groups."""

from __future__ import annotations

import functools
from typing import Any

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .answers import InvalidResponse
from .run import Run, found_arn_regions
from .session import EXPECTED_ERRORS, Account, iso

#: the parameters that make an engine refuse connections without TLS (PostgreSQL and SQL
#: Server; MySQL, MariaDB and Aurora MySQL); the check picks the one of the database's engine
TLS_PARAMETERS = ("rds.force_ssl", "require_secure_transport")


def rds(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBInstances"
    for db in run.region_listing(acct, region, (r.RdsInstance, r.DbParameters), "rds_instance", source,
                                 lambda: run.paginate(client, "describe_db_instances", "DBInstances")) or []:
        acct.found(region)
        replicas = tuple(db.get("ReadReplicaDBInstanceIdentifiers") or ())
        found_arn_regions(acct, replicas)
        rec = r.RdsInstance(identifier=db["DBInstanceIdentifier"], engine=db.get("Engine"),
                            storage_encrypted=bool(db.get("StorageEncrypted")),
                            backup_retention_days=int(db.get("BackupRetentionPeriod") or 0),
                            latest_restorable_time=iso(db.get("LatestRestorableTime")),
                            publicly_accessible=db.get("PubliclyAccessible"),
                            cluster_identifier=db.get("DBClusterIdentifier"), read_replicas=replicas,
                            replica_source=db.get("ReadReplicaSourceDBInstanceIdentifier"))
        arn = db.get("DBInstanceArn") or run.arn(acct, "rds", region, f"db:{rec.identifier}")
        res = run.resource(acct, "rds_instance", arn, rec.identifier, region)
        run.ok(rec, res, db, source)
        if not rec.cluster_identifier:  # a cluster member's TLS setting is its cluster's
            groups = [str(g["DBParameterGroupName"]) for g in db.get("DBParameterGroups") or []
                      if g.get("DBParameterGroupName")]
            _parameters_of(run, acct, region, res, groups[0] if groups else None, False, rec.engine, source)


def rds_clusters(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBClusters"
    for db in run.region_listing(acct, region, (r.RdsCluster, r.DbParameters), "rds_cluster", source,
                                 lambda: run.paginate(client, "describe_db_clusters", "DBClusters")) or []:
        acct.found(region)
        replicas = tuple(db.get("ReadReplicaIdentifiers") or ())
        found_arn_regions(acct, replicas)
        rec = r.RdsCluster(identifier=db["DBClusterIdentifier"], engine=db.get("Engine"),
                           storage_encrypted=bool(db.get("StorageEncrypted")),
                           backup_retention_days=int(db.get("BackupRetentionPeriod") or 0),
                           latest_restorable_time=iso(db.get("LatestRestorableTime")),
                           read_replicas=replicas, replica_source=db.get("ReplicationSourceIdentifier"))
        arn = db.get("DBClusterArn") or run.arn(acct, "rds", region, f"cluster:{rec.identifier}")
        res = run.resource(acct, "rds_cluster", arn, rec.identifier, region)
        run.ok(rec, res, db, source)
        _parameters_of(run, acct, region, res, db.get("DBClusterParameterGroup"), True, rec.engine, source)


def _parameters_of(run: Run, acct: Account, region: str, res: Resource, group: str | None, cluster: bool,
                   engine: str | None, listed_by: str) -> None:
    if group:
        run.submit(_db_parameters, run, acct, region, res, group, cluster, engine)
    else:
        run.fail(r.DbParameters, res, InvalidResponse(f"{listed_by} names no parameter group"), listed_by)


def _db_parameters(run: Run, acct: Account, region: str, res: Resource, group: str, cluster: bool,
                   engine: str | None) -> None:
    client = acct.client("rds", region)
    if cluster:
        source, operation, params = ("rds:DescribeDBClusterParameters", "describe_db_cluster_parameters",
                                     {"DBClusterParameterGroupName": group})
    else:
        source, operation, params = ("rds:DescribeDBParameters", "describe_db_parameters",
                                     {"DBParameterGroupName": group})
    fetch = functools.partial(run.paginate, client, operation, "Parameters", **params)
    try:  # one read per parameter group, however many databases use it
        listed = run.memo.get((acct.account_id, region, operation, group), fetch)
    except EXPECTED_ERRORS as exc:
        run.fail(r.DbParameters, res, exc, source)
        return
    found, values = named_parameters(listed, TLS_PARAMETERS)
    rec = r.DbParameters(group=group, cluster_group=cluster, engine=engine, values=values)
    run.ok(rec, res, {"group": group, "Parameters": found}, source)


def rds_snapshots(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBSnapshots"
    for snap in run.region_listing(acct, region, r.RdsSnapshot, "rds_snapshot", source,
                                   lambda: run.paginate(client, "describe_db_snapshots", "DBSnapshots")) or []:
        _rds_snapshot(run, acct, region, snap, source, cluster=False)
    source = "rds:DescribeDBClusterSnapshots"
    for snap in run.region_listing(acct, region, r.RdsSnapshot, "rds_cluster_snapshot", source,
                                   lambda: run.paginate(client, "describe_db_cluster_snapshots",
                                                        "DBClusterSnapshots")) or []:
        _rds_snapshot(run, acct, region, snap, source, cluster=True)


def _rds_snapshot(run: Run, acct: Account, region: str, snap: dict[str, Any], source: str, cluster: bool) -> None:
    acct.found(region)
    ident = snap["DBClusterSnapshotIdentifier" if cluster else "DBSnapshotIdentifier"]
    rec = r.RdsSnapshot(identifier=ident, cluster=cluster,
                        source=snap.get("DBClusterIdentifier" if cluster else "DBInstanceIdentifier"),
                        encrypted=bool(snap.get("StorageEncrypted" if cluster else "Encrypted")),
                        created=iso(snap.get("SnapshotCreateTime")), snapshot_type=snap.get("SnapshotType"),
                        status=snap.get("Status"))
    arn = snap.get("DBClusterSnapshotArn" if cluster else "DBSnapshotArn") or run.arn(
        acct, "rds", region, f"{'cluster-snapshot' if cluster else 'snapshot'}:{ident}")
    run.ok(rec, run.resource(acct, "rds_cluster_snapshot" if cluster else "rds_snapshot", arn, ident, region),
           snap, source)


def named_parameters(listed: list[dict[str, Any]],
                     names: tuple[str, ...]) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """The listed parameters with these names (kept raw) and their values (None: the group reports none)."""
    found = [p for p in listed if p.get("ParameterName") in names]
    return found, {str(p["ParameterName"]): None if p.get("ParameterValue") is None else str(p["ParameterValue"])
                   for p in found}
