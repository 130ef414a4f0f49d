"""DynamoDB readers: tables and point-in-time recovery."""

from __future__ import annotations

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .run import MISSING, Run
from .session import Account, iso


def dynamodb(run: Run, acct: Account, region: str) -> None:
    client = acct.client("dynamodb", region)
    source = "dynamodb:ListTables"
    for name in run.region_listing(acct, region, (r.DynamoDbTable, r.DynamoDbPitr), "dynamodb_table", source,
                                   lambda: run.paginate(client, "list_tables", "TableNames")) or []:
        acct.found(region)
        arn = run.arn(acct, "dynamodb", region, f"table/{name}")
        res = run.resource(acct, "dynamodb_table", arn, name, region)
        run.submit(_dynamodb_table, run, acct, region, res)
        run.submit(_dynamodb_pitr, run, acct, region, res)


def _dynamodb_table(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "dynamodb:DescribeTable"
    resp = run.attempt(r.DynamoDbTable, res, source,
                       lambda: acct.client("dynamodb", region).describe_table(TableName=res.name))
    if resp is MISSING:
        return
    table = resp["Table"]
    sse = table.get("SSEDescription") or {}
    replicas = tuple(sorted({str(x["RegionName"]) for x in table.get("Replicas", []) if x.get("RegionName")}))
    for replica in replicas:
        acct.found(replica)
    rec = r.DynamoDbTable(name=str(res.name), status=table.get("TableStatus"),
                          sse_type=str(sse.get("SSEType") or "AWS_OWNED"), sse_status=sse.get("Status"),
                          replica_regions=replicas)
    run.ok(rec, res, table, source)


def _dynamodb_pitr(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "dynamodb:DescribeContinuousBackups"
    resp = run.attempt(r.DynamoDbPitr, res, source,
                       lambda: acct.client("dynamodb", region).describe_continuous_backups(TableName=res.name))
    if resp is MISSING:
        return
    desc = (resp.get("ContinuousBackupsDescription") or {}).get("PointInTimeRecoveryDescription") or {}
    rec = r.DynamoDbPitr(enabled=desc.get("PointInTimeRecoveryStatus") == "ENABLED",
                         latest_restorable_time=iso(desc.get("LatestRestorableDateTime")))
    run.ok(rec, res, resp, source)
