"""RDS readers: instances, clusters and their snapshots."""

from __future__ import annotations

from typing import Any

from auditpack.evidence import aws as r

from .run import Run, found_arn_regions
from .session import Account, iso


def rds(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBInstances"
    for db in run.region_listing(acct, region, r.RdsInstance, "rds_instance", source,
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
        run.ok(rec, run.resource(acct, "rds_instance", arn, rec.identifier, region), db, source)


def rds_clusters(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBClusters"
    for db in run.region_listing(acct, region, r.RdsCluster, "rds_cluster", source,
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
        run.ok(rec, run.resource(acct, "rds_cluster", arn, rec.identifier, region), db, source)


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
