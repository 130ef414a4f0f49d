"""EFS readers: file systems, their encryption and their file system policy."""

from __future__ import annotations

import json

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .answers import InvalidResponse
from .run import Run
from .session import EXPECTED_ERRORS, Account, error_code


def efs(run: Run, acct: Account, region: str) -> None:
    client = acct.client("efs", region)
    source = "elasticfilesystem:DescribeFileSystems"
    for fs in run.region_listing(acct, region, (r.EfsFileSystem, r.EfsFileSystemPolicy), "efs_file_system", source,
                                 lambda: run.paginate(client, "describe_file_systems", "FileSystems")) or []:
        acct.found(region)
        fid = fs["FileSystemId"]
        arn = fs.get("FileSystemArn") or run.arn(acct, "elasticfilesystem", region, f"file-system/{fid}")
        rec = r.EfsFileSystem(file_system_id=fid, encrypted=bool(fs.get("Encrypted")), kms_key_id=fs.get("KmsKeyId"))
        res = run.resource(acct, "efs_file_system", arn, fs.get("Name") or fid, region)
        run.ok(rec, res, fs, source)
        run.submit(_efs_policy, run, acct, region, res, fid)


def _efs_policy(run: Run, acct: Account, region: str, res: Resource, fid: str) -> None:
    source = "elasticfilesystem:DescribeFileSystemPolicy"
    try:
        resp = acct.client("efs", region).describe_file_system_policy(FileSystemId=fid)
        document = json.loads(resp["Policy"]) if isinstance(resp.get("Policy"), str) else None
        if not isinstance(document, dict):
            raise InvalidResponse("DescribeFileSystemPolicy: the Policy is not a JSON object")
    except json.JSONDecodeError as exc:
        run.fail(r.EfsFileSystemPolicy, res, InvalidResponse(f"DescribeFileSystemPolicy: {exc}"), source)
        return
    except EXPECTED_ERRORS as exc:
        if error_code(exc) == "PolicyNotFound":  # a fact: the file system has no policy
            run.ok(r.EfsFileSystemPolicy(has_policy=False), res, {"Error": {"Code": "PolicyNotFound"}}, source)
        else:
            run.fail(r.EfsFileSystemPolicy, res, exc, source)
        return
    run.ok(r.EfsFileSystemPolicy(has_policy=True, document=document), res, resp, source)
