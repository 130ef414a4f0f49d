"""ElastiCache readers: replication groups and cache clusters, their encryption at rest and in transit."""

from __future__ import annotations

from auditpack.evidence import aws as r

from .run import Run
from .session import Account


def elasticache_replication_groups(run: Run, acct: Account, region: str) -> None:
    client = acct.client("elasticache", region)
    source = "elasticache:DescribeReplicationGroups"
    for group in run.region_listing(acct, region, r.ElastiCacheReplicationGroup, "elasticache_replication_group",
                                    source, lambda: run.paginate(client, "describe_replication_groups",
                                                                 "ReplicationGroups")) or []:
        acct.found(region)
        gid = str(group["ReplicationGroupId"])
        arn = group.get("ARN") or run.arn(acct, "elasticache", region, f"replicationgroup:{gid}")
        rec = r.ElastiCacheReplicationGroup(group_id=gid, engine=group.get("Engine"),
                                            at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
                                            transit_encryption=bool(group.get("TransitEncryptionEnabled")),
                                            transit_mode=group.get("TransitEncryptionMode"))
        run.ok(rec, run.resource(acct, "elasticache_replication_group", arn, gid, region), group, source)


def elasticache_clusters(run: Run, acct: Account, region: str) -> None:
    client = acct.client("elasticache", region)
    source = "elasticache:DescribeCacheClusters"
    for cluster in run.region_listing(acct, region, r.ElastiCacheCluster, "elasticache_cluster", source,
                                      lambda: run.paginate(client, "describe_cache_clusters", "CacheClusters")) or []:
        acct.found(region)
        cid = str(cluster["CacheClusterId"])
        arn = cluster.get("ARN") or run.arn(acct, "elasticache", region, f"cluster:{cid}")
        rec = r.ElastiCacheCluster(cluster_id=cid, engine=cluster.get("Engine"),
                                   replication_group=cluster.get("ReplicationGroupId"),
                                   at_rest_encryption=bool(cluster.get("AtRestEncryptionEnabled")),
                                   transit_encryption=bool(cluster.get("TransitEncryptionEnabled")),
                                   transit_mode=cluster.get("TransitEncryptionMode"))
        run.ok(rec, run.resource(acct, "elasticache_cluster", arn, cid, region), cluster, source)
