"""Paging, every enabled region, and moto's server behind ``endpoint_url``."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_world import (
    ACCOUNT_A,
    HOME,
    Hooks,
    collect,
    ok_answer,
    settings,
)


@pytest.fixture()
def mocked(aws_env: None) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


def _ok(evidence: list[Any], kind: str) -> list[Any]:
    return [ev for ev in evidence if ev.kind == kind and ev.ok]


class VolumePager:
    """moto 5.2.1 ignores DescribeVolumes' MaxResults: page its real answer the way EC2 does
    (MaxResults items, then NextToken), keeping the offset in the request context."""

    def before(self, index: int, model: Any, params: dict[str, Any], context: dict[str, Any]) -> None:
        if model.name == "DescribeVolumes":
            body = params.get("body") or {}
            context["test_page"] = (int(body.get("NextToken") or 0), int(body.get("MaxResults") or 1000))

    def after(self, index: int, model: Any, parsed: dict[str, Any]) -> None:
        return None

    def after_call(self, model: Any, parsed: dict[str, Any], context: dict[str, Any]) -> None:
        if model.name == "DescribeVolumes" and "test_page" in context:
            start, size = context["test_page"]
            volumes = parsed.get("Volumes", [])
            parsed["Volumes"] = volumes[start:start + size]
            if start + size < len(volumes):
                parsed["NextToken"] = str(start + size)


def test_every_listing_is_paged_and_nothing_is_read_twice(mocked: None) -> None:
    ec2 = boto3.client("ec2", region_name=HOME)
    for _ in range(12):
        ec2.create_volume(Size=1, AvailabilityZone=f"{HOME}a")
    ddb = boto3.client("dynamodb", region_name=HOME)
    for i in range(12):
        ddb.create_table(TableName=f"table-{i:02}", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    s3 = boto3.client("s3", region_name=HOME)
    names = [f"paged-bucket-{i:02}" for i in range(7)]
    for name in names:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": HOME})

    def two_pages(index: int, model: Any, params: dict[str, Any], context: dict[str, Any]) -> Any:
        """moto 5.2.1 ignores MaxBuckets and never returns a ContinuationToken: answer
        ListBuckets in two pages, as S3 does for large accounts."""
        if model.name != "ListBuckets":
            return None
        second = "continuation-token" in str(params.get("query_string")) or "continuation-token" in params["url"]
        page = [{"Name": n, "BucketRegion": HOME} for n in (names[4:] if second else names[:4])]
        return ok_answer({"Buckets": page, **({} if second else {"ContinuationToken": "page-2"})})

    hooks = Hooks()
    hooks.before.append(two_pages)
    pager = VolumePager()
    hooks.before.append(pager.before)
    hooks.pagers.append(pager.after_call)
    ev = collect(settings(regions=(HOME,), accounts=[]), hooks, page_size=5)
    assert [e for e in ev if not e.ok and e.kind != "aws.backup_protected_resource"] == []
    volumes = [e.record.volume_id for e in _ok(ev, "aws.ebs_volume")]
    tables = [e.record.name for e in _ok(ev, "aws.dynamodb_table")]
    buckets = [e.record.name for e in _ok(ev, "aws.s3_bucket")]
    assert len(volumes) == len(set(volumes)) == 12
    assert sorted(tables) == [f"table-{i:02}" for i in range(12)]
    assert sorted(buckets) == names
    assert len(_ok(ev, "aws.s3_bucket_encryption")) == 7
    calls = Counter(op for _, _, op, _ in hooks.calls)
    assert calls["DescribeVolumes"] >= 3 and calls["ListTables"] >= 3 and calls["ListBuckets"] == 2
    assert calls["DescribeTable"] == 12 and calls["GetBucketEncryption"] == 7
    assert calls["GetBucketLocation"] == 0, "ListBuckets' BucketRegion saves a call per bucket"


def test_regions_all_scans_every_enabled_region(mocked: None) -> None:
    enabled = sorted(r["RegionName"] for r in boto3.client("ec2", region_name=HOME).describe_regions()["Regions"])
    boto3.client("ec2", region_name="ap-southeast-1").create_volume(Size=1, AvailabilityZone="ap-southeast-1a")
    ev = collect(settings(regions="all", accounts=[]))
    [account] = _ok(ev, "aws.account")
    assert list(account.record.regions_scanned) == enabled and len(enabled) > 10
    listed = {e.record.region for e in _ok(ev, "aws.listing") if e.record.resource_type == "ebs_volume"}
    assert listed == set(enabled)
    [use] = _ok(ev, "provider.use")
    assert "ap-southeast-1" in use.record.locations
    [vol] = _ok(ev, "aws.ebs_volume")
    assert vol.resource.location == "ap-southeast-1" and vol.resource.scope == ACCOUNT_A


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_collects_from_moto_server_through_endpoint_url(aws_env: None) -> None:
    from moto.server import ThreadedMotoServer

    from auditpack.collectors.aws import emulator

    emulator.install()  # as the demo does: moto's server then answers the AWS Backup reads too
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server._port}"
        s3 = boto3.client("s3", region_name="eu-west-2", endpoint_url=endpoint)
        s3.create_bucket(Bucket="server-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        boto3.client("ec2", region_name=HOME, endpoint_url=endpoint).create_volume(Size=1, AvailabilityZone=f"{HOME}a")
        ev = collect(settings(regions=(HOME, "eu-west-2"), accounts=[], endpoint_url=endpoint))
    finally:
        server.stop()
    [bucket] = _ok(ev, "aws.s3_bucket")
    assert (bucket.record.name, bucket.resource.location) == ("server-bucket", "eu-west-2")
    assert len(_ok(ev, "aws.ebs_volume")) == 1 and _ok(ev, "aws.s3_account_public_access_block")
    assert [e for e in ev if not e.ok] == []
    assert {e.record.resource_type for e in _ok(ev, "aws.listing")} >= {"backup_protected_resource", "backup_plan"}


def test_runs_through_the_engine_from_a_validated_config(mocked: None) -> None:
    from datetime import UTC, datetime

    from auditpack.collectors.aws import emulator
    from auditpack.config import validate_config
    from auditpack.engine import collect as engine_collect
    from auditpack.registry import default_registry

    emulator.install()
    registry = default_registry()
    config = validate_config({"aws": {"regions": [HOME], "max_workers": 4, "accounts": []}}, registry)
    result = engine_collect(config, registry, datetime.now(UTC))
    [run] = [c for c in result.collectors if c.id == "aws"]
    assert run.status == "ok" and run.error_count == 0, run
    assert run.evidence_count > 20
    assert any(ev.kind == "aws.account" and ev.ok for ev in result.evidence)


def test_pool_workers_never_keep_an_interrupted_process_alive() -> None:
    import threading

    from auditpack.collectors.aws.session import TaskPool

    pool = TaskPool(4)
    seen: list[bool] = []
    for _ in range(8):
        pool.submit(lambda: seen.append(threading.current_thread().daemon))
    pool.join()
    assert seen == [True] * 8
