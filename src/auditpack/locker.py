"""The evidence locker: packs uploaded write-once to S3 Object Lock, and verified from there.

Upload (after the pack is written and verified locally): every file with a retention
(``ObjectLockMode`` + ``ObjectLockRetainUntilDate``) and ``If-None-Match: *``, so an existing
object is never replaced; the signature and then the manifest last, so a pack whose
manifest is in the locker was uploaded completely. Re-uploading the same run is harmless
when the bytes are equal and refused when they differ.

Verify (``auditpack verify s3://bucket/prefix/RUN``): the first version of every key is the
locked original; each is hashed against the locked manifest, its retention must still be in
force, and a later version on top of an original (someone wrote over it) is a problem.

Every S3 operation the code calls is listed in :data:`OPERATIONS`; the shipped
least-privilege policy (``data/locker-policy.json``) is generated from it and a test records
the calls against moto.

    python -m auditpack.locker          # rewrite data/locker-policy.json
    python -m auditpack.locker --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AuditpackError
from .pack import (
    MANIFEST,
    SIGNATURE,
    UNHASHED,
    Verification,
    file_hashes,
    read_manifest,
    verify_pack,
)
from .packmodel import MANIFEST_SCHEMA

if TYPE_CHECKING:
    from .config import LockerSettings

POLICY_FILE = Path(__file__).resolve().parent / "data" / "locker-policy.json"
MAX_WORKERS = 8

#: S3 API operation -> IAM action (the operations upload and verify call, nothing else).
OPERATIONS: dict[str, str] = {
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObject": "s3:PutObject",
    "ListObjectVersions": "s3:ListBucketVersions",
    "GetObject": "s3:GetObjectVersion",  # always called with a VersionId
}
#: Needed without a call of their own: setting a retention in PutObject, and seeing the
#: retention (ObjectLockMode, ObjectLockRetainUntilDate) in GetObject's answer.
IMPLIED_ACTIONS = ("s3:PutObjectRetention", "s3:GetObjectRetention")
BUCKET_ACTIONS = frozenset({"s3:GetBucketObjectLockConfiguration", "s3:ListBucketVersions"})


class LockerError(AuditpackError):
    """The locker cannot be written or read (one line: what and why)."""


@dataclass(frozen=True)
class Location:
    bucket: str
    prefix: str  # without trailing slash; may be ""

    @classmethod
    def parse(cls, uri: str) -> Location:
        if not uri.startswith("s3://"):
            raise LockerError(f"{uri!r} is not an s3:// address")
        bucket, _, prefix = uri[5:].partition("/")
        if not bucket:
            raise LockerError(f"{uri!r} names no bucket")
        return cls(bucket, prefix.strip("/"))

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def _client(settings: LockerSettings | None = None, endpoint_url: str | None = None) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    session = boto3.Session(profile_name=settings.profile if settings and settings.profile else None)
    return session.client(
        "s3", region_name=settings.region if settings else None,
        endpoint_url=(settings.endpoint_url if settings else None) or endpoint_url,
        config=BotoConfig(retries={"mode": "adaptive", "max_attempts": 8}, max_pool_connections=MAX_WORKERS * 2))


def _why(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '') or exc}"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Locked:
    location: str  # s3://bucket/prefix/RUN
    files: int
    retain_until: datetime


def upload_pack(root: Path, settings: LockerSettings, *, now: datetime | None = None,
                client: Any = None) -> Locked:
    """Upload a written, verified pack write-once. Raises :class:`LockerError`."""
    from botocore.exceptions import BotoCoreError, ClientError

    check = verify_pack(root)
    if not check.ok:
        raise LockerError(f"{root} does not match its own manifest; not uploading it")
    run_id = read_manifest(root).run.id
    where = Location.parse(settings.s3_uri)
    s3 = client or _client(settings)
    retain_until = (now or datetime.now(UTC)) + timedelta(days=settings.retention_days)
    mode = settings.mode.upper()
    try:
        lock = s3.get_object_lock_configuration(Bucket=where.bucket).get("ObjectLockConfiguration", {})
    except (ClientError, BotoCoreError) as exc:
        raise LockerError(f"{where.uri}: cannot read the bucket's Object Lock configuration ({_why(exc)})") from None
    if lock.get("ObjectLockEnabled") != "Enabled":
        raise LockerError(f"bucket {where.bucket} does not have Object Lock enabled; packs there could be rewritten")

    def put(rel: str) -> None:
        data = (root / rel).read_bytes()
        key = where.key(run_id, rel)
        try:
            s3.put_object(Bucket=where.bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256",
                          IfNoneMatch="*", ObjectLockMode=mode, ObjectLockRetainUntilDate=retain_until)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
                raise
            existing = _read_original(s3, where.bucket, key)
            if existing is None or hashlib.sha256(existing).digest() != hashlib.sha256(data).digest():
                raise LockerError(f"{key} is already in the locker with different content: refusing to overwrite "
                                  "locked evidence") from None

    files = sorted(file_hashes(root))
    try:
        with ThreadPoolExecutor(MAX_WORKERS) as pool:
            list(pool.map(put, files))
        # the signature files, then the manifest last: its presence means the upload completed
        for last in (*sorted(UNHASHED - {MANIFEST}), MANIFEST):
            if (root / last).is_file():
                put(last)
                files.append(last)
    except (ClientError, BotoCoreError) as exc:
        raise LockerError(f"upload to {where.uri} failed: {_why(exc)}") from None
    return Locked(f"{where.uri}/{run_id}", len(files), retain_until)


# --- reading back ---------------------------------------------------------------------------------

def _versions(s3: Any, bucket: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every version of every key under prefix, oldest first (delete markers included)."""
    out: dict[str, list[dict[str, Any]]] = {}
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for kind in ("Versions", "DeleteMarkers"):
            for v in page.get(kind, ()):
                out.setdefault(v["Key"], []).append({**v, "DeleteMarker": kind == "DeleteMarkers"})
    for items in out.values():
        items.sort(key=lambda v: (v["LastModified"], v.get("IsLatest", False)))
    return out


def _read_original(s3: Any, bucket: str, key: str) -> bytes | None:
    versions = _versions(s3, bucket, key).get(key, [])
    first = next((v for v in versions if not v["DeleteMarker"]), None)
    if first is None:
        return None
    body: bytes = s3.get_object(Bucket=bucket, Key=key, VersionId=first["VersionId"])["Body"].read()
    return body


@dataclass
class LockerVerification(Verification):
    retention: list[str] = field(default_factory=list)  # problems with retention
    overwritten: list[str] = field(default_factory=list)  # keys with later versions on top
    retain_until: str = ""

    @property
    def ok(self) -> bool:
        return super().ok and not self.retention and not self.overwritten


def verify_locked(uri: str, check_signature: Callable[[bytes, bytes], bool] | None = None, *,
                  now: datetime | None = None, client: Any = None, endpoint_url: str | None = None,
                  download: Path | None = None) -> LockerVerification:
    """Verify a pack straight from the locker: hashes, signature, retention in force, no overwrites.
    ``download``: also write the locked originals there (``auditpack verify`` then checks the
    signature envelope and time-stamp on them exactly as for a local pack)."""
    from botocore.exceptions import BotoCoreError, ClientError

    where = Location.parse(uri)
    s3 = client or _client(endpoint_url=endpoint_url)
    moment = now or datetime.now(UTC)
    base = where.key() + "/"
    try:
        versions = _versions(s3, where.bucket, base)
        if where.key(MANIFEST) not in versions:
            raise LockerError(f"{uri} has no {MANIFEST}: not a locked pack (or its upload did not complete)")

        def original(key: str) -> tuple[bytes, str, datetime | None] | None:
            """The first version's bytes, lock mode and retain-until date (GetObject reports the
            retention to a caller holding s3:GetObjectRetention)."""
            first = next((v for v in versions.get(key, ()) if not v["DeleteMarker"]), None)
            if first is None:
                return None
            got = s3.get_object(Bucket=where.bucket, Key=key, VersionId=first["VersionId"])
            return got["Body"].read(), str(got.get("ObjectLockMode") or ""), got.get("ObjectLockRetainUntilDate")

        got = original(where.key(MANIFEST))
        if got is None:
            raise LockerError(f"{uri}/{MANIFEST} was deleted (only a delete marker is left)")
        manifest_bytes = got[0]
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError:
            raise LockerError(f"{uri}/{MANIFEST} is not JSON") from None
        if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA \
                or not isinstance(manifest.get("files"), dict):
            raise LockerError(f"{uri}/{MANIFEST} is not an auditpack manifest")
        expected: dict[str, str] = manifest["files"]
        result = LockerVerification()
        present = {k[len(base):] for k, vs in versions.items() if any(not v["DeleteMarker"] for v in vs)}
        result.missing = sorted(set(expected) - present)
        result.added = sorted(present - set(expected) - UNHASHED)
        result.overwritten = sorted(k[len(base):] for k, vs in versions.items() if len(vs) > 1)

        def check(rel: str) -> tuple[str, str | None, str | None, str]:
            got = original(where.key(rel))
            if got is None:
                return rel, None, None, ""
            body, mode, until = got
            if download is not None:
                target = (download / rel).resolve()
                if not target.is_relative_to(download.resolve()):
                    return rel, None, f"{rel}: a key that leaves the pack folder", ""
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
            problem = None
            if not mode:
                problem = f"{rel}: no retention"
            elif until is None or until <= moment:
                problem = f"{rel}: retention ended {until:%Y-%m-%d}" if until else f"{rel}: no retention date"
            return rel, hashlib.sha256(body).hexdigest(), problem, until.isoformat() if until else ""

        keys: Sequence[str] = sorted((set(expected) & present) | {MANIFEST} | (UNHASHED & present))
        with ThreadPoolExecutor(MAX_WORKERS) as pool:
            checked = list(pool.map(check, keys))
    except (ClientError, BotoCoreError) as exc:
        raise LockerError(f"{uri}: cannot read the locker: {_why(exc)}") from None
    for rel, digest, problem, until in checked:
        if problem:
            result.retention.append(problem)
        if rel in expected and digest is not None and digest != expected[rel]:
            result.changed.append(rel)
        if until and (not result.retain_until or until < result.retain_until):
            result.retain_until = until
    result.changed.sort()
    if SIGNATURE in present:
        if check_signature is None:
            result.signature = "unchecked"
        else:
            sig = original(where.key(SIGNATURE))
            result.signature = "valid" if sig and check_signature(manifest_bytes, sig[0]) else "invalid"
    return result


# --- the least-privilege policy -------------------------------------------------------------------

def policy_document() -> dict[str, Any]:
    """Write-once for the packs, plus what verify reads. BUCKET and PREFIX are placeholders."""
    actions = sorted(set(OPERATIONS.values()) | set(IMPLIED_ACTIONS))
    object_reads = [a for a in actions if a not in BUCKET_ACTIONS and a not in ("s3:PutObject",
                                                                                "s3:PutObjectRetention")]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "LockerBucket", "Effect": "Allow", "Action": sorted(BUCKET_ACTIONS),
             "Resource": "arn:aws:s3:::BUCKET"},
            {"Sid": "LockerWriteOnce", "Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectRetention"],
             "Resource": "arn:aws:s3:::BUCKET/PREFIX/*",
             # only conditional writes: an existing key can never be replaced through this policy
             "Condition": {"Null": {"s3:if-none-match": "false"}}},
            {"Sid": "LockerRead", "Effect": "Allow", "Action": object_reads,
             "Resource": "arn:aws:s3:::BUCKET/PREFIX/*"},
        ],
    }


def policy_text() -> str:
    return json.dumps(policy_document(), indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--check" in args:
        current = POLICY_FILE.read_text() if POLICY_FILE.exists() else ""
        if current != policy_text():
            print(f"{POLICY_FILE} is out of date: run python -m auditpack.locker", file=sys.stderr)
            return 1
        return 0
    POLICY_FILE.write_text(policy_text())
    print(f"wrote {POLICY_FILE}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
