"""EFS reader: file systems and their encryption."""

from __future__ import annotations

from auditpack.evidence import aws as r

from .run import Run
from .session import Account


def efs(run: Run, acct: Account, region: str) -> None:
    client = acct.client("efs", region)
    source = "elasticfilesystem:DescribeFileSystems"
    for fs in run.region_listing(acct, region, r.EfsFileSystem, "efs_file_system", source,
                                 lambda: run.paginate(client, "describe_file_systems", "FileSystems")) or []:
        acct.found(region)
        fid = fs["FileSystemId"]
        arn = fs.get("FileSystemArn") or run.arn(acct, "elasticfilesystem", region, f"file-system/{fid}")
        rec = r.EfsFileSystem(file_system_id=fid, encrypted=bool(fs.get("Encrypted")), kms_key_id=fs.get("KmsKeyId"))
        run.ok(rec, run.resource(acct, "efs_file_system", arn, fs.get("Name") or fid, region), fs, source)
