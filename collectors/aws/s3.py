"""S3 readers: buckets (one task per bucket and fact) and the account's public access block."""

from __future__ import annotations

import json
from typing import Any

from auditpack.evidence import aws as r
from auditpack.model import ErrorReason, EvidenceRecord, Resource

from .run import MISSING, Run
from .session import EXPECTED_ERRORS, Account, classify, error_code, iso, jsonable

BUCKET_RECORDS = (r.S3Bucket, r.S3BucketEncryption, r.S3BucketPolicy, r.S3BucketLogging,
                r.S3BucketVersioning, r.S3BucketReplication, r.S3BucketPublicAccessBlock)


def s3_buckets(run: Run, acct: Account) -> None:
    client = acct.global_client("s3")
    source = "s3:ListBuckets"
    # No MaxBuckets: the paginator follows ContinuationToken whenever S3 returns one.
    buckets = run.attempt(BUCKET_RECORDS, run.account_resource(acct), source,
                          lambda: run.paginate(client, "list_buckets", "Buckets"))
    if buckets is MISSING:
        return
    run.listed(acct, "global", "s3_bucket", len(buckets), source)
    for bucket in buckets:
        run.submit(_s3_bucket, run, acct, bucket)


def bucket_region(run: Run, acct: Account, name: str, listed_region: str | None = None) -> str:
    """The bucket's region, read once per bucket (GetBucketLocation unless ListBuckets said)."""
    def read() -> str:
        if listed_region:
            return listed_region
        resp = acct.global_client("s3").get_bucket_location(Bucket=name)
        constraint = resp.get("LocationConstraint")
        return str({None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint))

    return str(run.memo.get((acct.account_id, "bucket-region", name), read))


def _s3_bucket(run: Run, acct: Account, bucket: dict[str, Any]) -> None:
    name = bucket["Name"]
    arn = f"arn:{acct.partition}:s3:::{name}"
    listed_region = bucket.get("BucketRegion")
    source = "s3:ListBuckets" if listed_region else "s3:GetBucketLocation"
    region = run.attempt(r.S3Bucket, run.resource(acct, "s3_bucket", arn, name, None), source,
                         lambda: bucket_region(run, acct, name, listed_region))
    region = None if region is MISSING else region
    res = run.resource(acct, "s3_bucket", arn, name, region)
    if region:
        acct.found(region)
        run.ok(r.S3Bucket(name=name, region=region, created=iso(bucket.get("CreationDate"))), res,
               {**bucket, "Region": region}, source)
    for reader in BUCKET_READERS:
        run.submit(reader, run, acct, res)


def _bucket_call(run: Run, acct: Account, res: Resource, kind: type[EvidenceRecord], source: str, operation: str,
                 absent: str) -> Any:
    """Call ``operation`` on the bucket; ``None`` when S3 answers the ``absent`` error code
    (the configuration does not exist); ``MISSING`` after emitting error evidence."""
    client = acct.client("s3", res.location)
    try:
        return getattr(client, operation)(Bucket=res.name)
    except EXPECTED_ERRORS as exc:
        if absent and error_code(exc) == absent:
            return None
        run.fail(kind, res, exc, source)
        return MISSING


def _s3_encryption(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketEncryption"
    resp = _bucket_call(run, acct, res, r.S3BucketEncryption, source, "get_bucket_encryption",
                        "ServerSideEncryptionConfigurationNotFoundError")
    if resp is MISSING:
        return
    if resp is None:
        run.ok(r.S3BucketEncryption(configured=False), res,
               {"Error": {"Code": "ServerSideEncryptionConfigurationNotFoundError"}}, source)
        return
    rules = (resp.get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
    defaults = [rule.get("ApplyServerSideEncryptionByDefault") or {} for rule in rules]
    rec = r.S3BucketEncryption(
        configured=bool(defaults),
        algorithms=tuple(str(d["SSEAlgorithm"]) for d in defaults if d.get("SSEAlgorithm")),
        kms_key_ids=tuple(str(d["KMSMasterKeyID"]) for d in defaults if d.get("KMSMasterKeyID")),
        bucket_key_enabled=any(bool(rule.get("BucketKeyEnabled")) for rule in rules) if rules else None)
    run.ok(rec, res, resp, source)


def _s3_policy(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketPolicy"
    resp = _bucket_call(run, acct, res, r.S3BucketPolicy, source, "get_bucket_policy", "NoSuchBucketPolicy")
    if resp is MISSING:
        return
    if resp is None:
        run.ok(r.S3BucketPolicy(has_policy=False), res, {"Error": {"Code": "NoSuchBucketPolicy"}}, source)
        return
    text = resp.get("Policy") or "{}"
    try:
        document = json.loads(text)
    except ValueError:
        run.ctx.failed(r.S3BucketPolicy, res, error="the bucket policy is not valid JSON",
                       reason=ErrorReason.INVALID_RESPONSE, source=source, raw=jsonable(resp))
        return
    if not isinstance(document, dict):
        run.ctx.failed(r.S3BucketPolicy, res, error="the bucket policy is not a JSON object",
                       reason=ErrorReason.INVALID_RESPONSE, source=source, raw=jsonable(resp))
        return
    run.ok(r.S3BucketPolicy(has_policy=True, document=document), res, {"Policy": document}, source)


def _s3_logging(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketLogging"
    resp = _bucket_call(run, acct, res, r.S3BucketLogging, source, "get_bucket_logging", "")
    if resp is MISSING:
        return
    enabled = (resp or {}).get("LoggingEnabled") or {}
    rec = r.S3BucketLogging(enabled=bool(enabled), target_bucket=enabled.get("TargetBucket"),
                            target_prefix=enabled.get("TargetPrefix"))
    run.ok(rec, res, resp, source)


def _s3_versioning(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketVersioning"
    resp = _bucket_call(run, acct, res, r.S3BucketVersioning, source, "get_bucket_versioning", "")
    if resp is MISSING:
        return
    run.ok(r.S3BucketVersioning(status=(resp or {}).get("Status"), mfa_delete=(resp or {}).get("MFADelete")),
           res, resp, source)


def _s3_replication(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketReplication"
    resp = _bucket_call(run, acct, res, r.S3BucketReplication, source, "get_bucket_replication",
                        "ReplicationConfigurationNotFoundError")
    if resp is MISSING:
        return
    if resp is None:
        run.ok(r.S3BucketReplication(configured=False), res,
               {"Error": {"Code": "ReplicationConfigurationNotFoundError"}}, source)
        return
    rules = []
    for rule in (resp.get("ReplicationConfiguration") or {}).get("Rules", []):
        dest = rule.get("Destination") or {}
        dest_arn = str(dest.get("Bucket") or "")
        dest_name = dest_arn.split(":::", 1)[-1]
        try:
            dest_region: str | None = bucket_region(run, acct, dest_name)
            acct.found(dest_region)
        except EXPECTED_ERRORS as exc:
            dest_region = None  # not ours, or not readable: the residency check says it cannot tell
            run.gap(acct.account_id, f"replication destination {dest_arn} of bucket {res.name}", classify(exc)[0])
        rules.append(r.ReplicationRule(id=rule.get("ID"), status=str(rule.get("Status")), destination_bucket=dest_arn,
                                       destination_account=dest.get("Account"), destination_region=dest_region))
    run.ok(r.S3BucketReplication(configured=True, rules=tuple(rules)), res, resp, source)


def _s3_public_access_block(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetPublicAccessBlock"
    resp = _bucket_call(run, acct, res, r.S3BucketPublicAccessBlock, source, "get_public_access_block",
                        "NoSuchPublicAccessBlockConfiguration")
    if resp is MISSING:
        return
    run.ok(r.S3BucketPublicAccessBlock(configured=resp is not None, settings=_pab(resp)), res,
           resp if resp is not None else {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}, source)


def _pab(resp: dict[str, Any] | None) -> r.PublicAccessBlock:
    conf = (resp or {}).get("PublicAccessBlockConfiguration") or {}
    return r.PublicAccessBlock(block_public_acls=bool(conf.get("BlockPublicAcls")),
                               ignore_public_acls=bool(conf.get("IgnorePublicAcls")),
                               block_public_policy=bool(conf.get("BlockPublicPolicy")),
                               restrict_public_buckets=bool(conf.get("RestrictPublicBuckets")))


BUCKET_READERS = (_s3_encryption, _s3_policy, _s3_logging, _s3_versioning, _s3_replication, _s3_public_access_block)


def s3_account_public_access_block(run: Run, acct: Account) -> None:
    source = "s3control:GetPublicAccessBlock"
    res = run.account_resource(acct)
    try:
        resp = acct.client("s3control").get_public_access_block(AccountId=acct.account_id)
    except EXPECTED_ERRORS as exc:
        if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            run.fail(r.S3AccountPublicAccessBlock, res, exc, source)
            return
        resp = None
    run.ok(r.S3AccountPublicAccessBlock(configured=resp is not None, settings=_pab(resp)), res,
           resp if resp is not None else {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}, source)
