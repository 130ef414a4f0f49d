"""Redshift readers: provisioned clusters (encryption) and ``require_ssl`` of their parameter group."""

from __future__ import annotations

import functools

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .answers import InvalidResponse
from .rds import named_parameters
from .run import Run
from .session import EXPECTED_ERRORS, Account

#: the parameter that makes the cluster refuse connections without TLS
TLS_PARAMETERS = ("require_ssl",)


def redshift(run: Run, acct: Account, region: str) -> None:
    client = acct.client("redshift", region)
    source = "redshift:DescribeClusters"
    for cluster in run.region_listing(acct, region, (r.RedshiftCluster, r.RedshiftParameters), "redshift_cluster",
                                      source, lambda: run.paginate(client, "describe_clusters", "Clusters")) or []:
        acct.found(region)
        ident = str(cluster["ClusterIdentifier"])
        groups = tuple(str(g["ParameterGroupName"]) for g in cluster.get("ClusterParameterGroups") or []
                       if g.get("ParameterGroupName"))
        rec = r.RedshiftCluster(identifier=ident, encrypted=bool(cluster.get("Encrypted")),
                                kms_key_id=cluster.get("KmsKeyId"), parameter_groups=groups,
                                publicly_accessible=cluster.get("PubliclyAccessible"))
        res = run.resource(acct, "redshift_cluster", run.arn(acct, "redshift", region, f"cluster:{ident}"), ident,
                           region)
        run.ok(rec, res, cluster, source)
        if groups:
            run.submit(_redshift_parameters, run, acct, region, res, groups[0])
        else:
            run.fail(r.RedshiftParameters, res, InvalidResponse("DescribeClusters names no parameter group"), source)


def _redshift_parameters(run: Run, acct: Account, region: str, res: Resource, group: str) -> None:
    source = "redshift:DescribeClusterParameters"
    client = acct.client("redshift", region)
    fetch = functools.partial(run.paginate, client, "describe_cluster_parameters", "Parameters",
                              ParameterGroupName=group)
    try:  # one read per parameter group, however many clusters use it
        params = run.memo.get((acct.account_id, region, "redshift-parameters", group), fetch)
    except EXPECTED_ERRORS as exc:
        run.fail(r.RedshiftParameters, res, exc, source)
        return
    found, values = named_parameters(params, TLS_PARAMETERS)
    run.ok(r.RedshiftParameters(group=group, values=values), res, {"ParameterGroupName": group, "Parameters": found},
           source)
