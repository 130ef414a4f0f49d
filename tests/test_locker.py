"""The evidence locker against moto with Object Lock buckets: upload write-once, verify from the
locker, refuse overwrites, report failures; the least-privilege policy covers every call made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from auditpack import cli, locker
from auditpack.config import LockerSettings
from auditpack.locker import OPERATIONS, LockerError, upload_pack, verify_locked
from auditpack.pack import verify_pack, write_manifest
from auditpack.signing import checker, generate_keypair, signer

BUCKET = "audit-locker"
RUN = {"id": "20261203T023000Z-abc123", "started_at": "2026-12-03T02:30:00Z"}


@pytest.fixture()
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-central-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-central-1")
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True,
                             CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        client.create_bucket(Bucket="plain-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        yield client


def settings(uri: str = f"s3://{BUCKET}/packs", mode: str = "compliance") -> LockerSettings:
    return LockerSettings.model_validate({"s3_uri": uri, "retention_days": 30, "mode": mode,
                                          "region": "eu-central-1"})


def make_pack(root: Path, key: Path | None = None) -> Path:
    (root / "evidence" / "aws").mkdir(parents=True)
    (root / "findings.json").write_text('{"findings": []}\n', encoding="utf-8")
    (root / "report.html").write_text("<!doctype html><title>r</title>\n", encoding="utf-8")
    for n in range(12):
        (root / "evidence" / "aws" / f"e{n}.json").write_text(json.dumps({"raw": n}) + "\n", encoding="utf-8")
    write_manifest(root, RUN, signer(key) if key else None)
    return root


@pytest.fixture()
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    generate_keypair(private, public)
    return private, public


def test_a_locked_pack_verifies_from_the_locker_with_its_signature(s3: Any, tmp_path: Path, keys: tuple[Path, Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pack = make_pack(tmp_path / "pack", keys[0])
    locked = upload_pack(pack, settings())
    assert locked.location == f"s3://{BUCKET}/packs/{RUN['id']}" and locked.files == 16
    head = s3.head_object(Bucket=BUCKET, Key=f"packs/{RUN['id']}/evidence/aws/e3.json")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=29)
    result = verify_locked(locked.location, checker(keys[1]))
    assert result.ok, result
    assert not (result.changed or result.missing or result.added or result.retention or result.overwritten)
    assert cli.main(["verify", locked.location, "--public-key", str(keys[1])]) == 0
    out = capsys.readouterr().out
    assert "signature:  valid: in-toto statement in a DSSE envelope" in out and "locked until" in out
    other = tmp_path / "other"
    other.mkdir()
    generate_keypair(other / "k.pem", other / "k.pub")
    assert cli.main(["verify", locked.location, "--public-key", str(other / "k.pub")]) == 1


def test_an_overwrite_is_refused_and_a_version_written_on_top_is_detected(s3: Any, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    upload_pack(pack, settings())
    upload_pack(pack, settings())  # the same bytes again: an interrupted upload may be repeated
    key = f"packs/{RUN['id']}/findings.json"
    (pack / "findings.json").write_text('{"findings": ["edited"]}\n', encoding="utf-8")
    write_manifest(pack, RUN)
    with pytest.raises(LockerError, match="refusing to overwrite"):
        upload_pack(pack, settings())
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}", IfNoneMatch="*")
    original = s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"][0]["VersionId"]
    with pytest.raises(ClientError, match="AccessDenied"):  # compliance mode: not even deletable
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=original)
    # without the locker policy's If-None-Match condition S3 stores a new version on top: verify says so
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"findings": ["forged"]}\n')
    result = verify_locked(f"s3://{BUCKET}/packs/{RUN['id']}")
    assert not result.ok and result.overwritten == ["findings.json"] and not result.changed
    assert cli.main(["verify", f"s3://{BUCKET}/packs/{RUN['id']}"]) == 1


def test_an_expired_retention_or_a_missing_file_fails_verification(s3: Any, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    upload_pack(pack, settings(mode="governance"))
    later = datetime.now(UTC) + timedelta(days=31)
    result = verify_locked(f"s3://{BUCKET}/packs/{RUN['id']}", now=later)
    assert not result.ok and len(result.retention) == 15 and "retention ended" in result.retention[0]
    s3.delete_object(Bucket=BUCKET, Key=f"packs/{RUN['id']}/report.html")  # only a delete marker on top
    result = verify_locked(f"s3://{BUCKET}/packs/{RUN['id']}")
    assert result.overwritten == ["report.html"] and not result.missing and not result.ok
    with pytest.raises(LockerError, match="no manifest.json"):
        verify_locked(f"s3://{BUCKET}/packs/no-such-run")


def test_a_bucket_without_object_lock_is_refused(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(LockerError, match="Object Lock"):
        upload_pack(make_pack(tmp_path / "pack"), settings("s3://plain-bucket/x"))
    assert not s3.list_objects_v2(Bucket="plain-bucket").get("Contents")


def test_a_pack_that_does_not_match_its_manifest_is_not_uploaded(s3: Any, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    (pack / "report.html").write_text("changed", encoding="utf-8")
    with pytest.raises(LockerError, match="does not match its own manifest"):
        upload_pack(pack, settings())


def test_a_failed_upload_makes_the_run_incomplete_and_keeps_the_local_pack(s3: Any, tmp_path: Path) -> None:
    from auditpack.config import validate_config
    from auditpack.continuity import complete_run
    from auditpack.registry import Registry
    from auditpack.runner import execute

    registry = Registry()
    config = validate_config({"history": {"path": str(tmp_path / "h.sqlite")}, "run": {"manual_evidence_only": True},
                              "locker": {"s3_uri": "s3://no-such-bucket/packs", "retention_days": 1}},
                             registry, "c.toml")
    result = execute(config, registry, environ={})
    outcome = complete_run(result, tmp_path / "pack", config_path="c.toml")
    assert outcome.exit_code == 3 and "evidence locker" in outcome.problems[0]
    assert "NoSuchBucket" in outcome.problems[0]
    assert verify_pack(outcome.pack).ok
    from auditpack.history import History

    [recorded] = History(tmp_path / "h.sqlite").recent()
    assert recorded.exit_code == 3 and recorded.pack_path == str(outcome.pack)


# --- the least-privilege policy -------------------------------------------------------------------------

def test_the_shipped_policy_is_generated_write_once_and_covers_every_call(s3: Any, tmp_path: Path,
                                                                          keys: tuple[Path, Path]) -> None:
    assert locker.POLICY_FILE.read_text() == locker.policy_text(), "run: python -m auditpack.locker"
    assert locker.main(["--check"]) == 0
    calls: set[str] = set()

    def spy(**kwargs: Any) -> None:
        calls.add(kwargs["model"].name)

    client = boto3.client("s3", region_name="eu-central-1")
    client.meta.events.register("before-call.s3", spy)
    pack = make_pack(tmp_path / "pack", keys[0])
    upload_pack(pack, settings(), client=client)
    upload_pack(pack, settings(), client=client)  # the idempotent re-upload path reads the original back
    verify_locked(f"s3://{BUCKET}/packs/{RUN['id']}", checker(keys[1]), client=client)
    assert calls == set(OPERATIONS), calls ^ set(OPERATIONS)
    doc = json.loads(locker.POLICY_FILE.read_text())
    granted = {a for st in doc["Statement"] for a in st["Action"]}
    assert {OPERATIONS[c] for c in calls} | set(locker.IMPLIED_ACTIONS) == granted
    assert not [a for a in granted if "Delete" in a or "Bypass" in a or a.startswith("s3:PutBucket")]
    [write] = [st for st in doc["Statement"] if "s3:PutObject" in st["Action"]]
    assert write["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    assert write["Resource"].endswith("/PREFIX/*")
    for operation in OPERATIONS:
        assert operation in client.meta.service_model.operation_names
