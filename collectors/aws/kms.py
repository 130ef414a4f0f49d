"""KMS readers: keys and their rotation status."""

from __future__ import annotations

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .run import MISSING, Run
from .session import Account


def kms(run: Run, acct: Account, region: str) -> None:
    client = acct.client("kms", region)
    source = "kms:ListKeys"
    for key in run.region_listing(acct, region, (r.KmsKey, r.KmsKeyRotation), "kms_key", source,
                                  lambda: run.paginate(client, "list_keys", "Keys")) or []:
        res = run.resource(acct, "kms_key", key["KeyArn"], key["KeyId"], region)
        run.submit(_kms_key, run, acct, region, res)


def _kms_key(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "kms:DescribeKey"
    resp = run.attempt((r.KmsKey, r.KmsKeyRotation), res, source,
                       lambda: acct.client("kms", region).describe_key(KeyId=res.id))
    if resp is MISSING:
        return
    meta = resp.get("KeyMetadata") or {}
    rec = r.KmsKey(key_id=str(meta.get("KeyId") or res.name), manager=meta.get("KeyManager"),
                   state=meta.get("KeyState"), spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
                   usage=meta.get("KeyUsage"), description=meta.get("Description") or None)
    run.ok(rec, res, resp, source)
    # Automatic rotation exists only for enabled customer-managed symmetric keys.
    if rec.manager == "CUSTOMER" and rec.state == "Enabled" and rec.spec == "SYMMETRIC_DEFAULT" \
            and meta.get("Origin", "AWS_KMS") == "AWS_KMS":
        source = "kms:GetKeyRotationStatus"
        rot = run.attempt(r.KmsKeyRotation, res, source,
                          lambda: acct.client("kms", region).get_key_rotation_status(KeyId=res.id))
        if rot is not MISSING:
            run.ok(r.KmsKeyRotation(enabled=bool(rot.get("KeyRotationEnabled"))), res, rot, source)
