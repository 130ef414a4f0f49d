"""Ten days of the demo company, run by the real pipeline with an injected clock.

AWS in moto's server, seeded like ``auditpack demo``; on day 3 the customer-data bucket moves
to the US, on day 9 it moves back; days 5 and 6 have no run. Each run goes through
``execute`` and ``complete_run`` (history, pack, evidence locker) exactly as ``auditpack run``.
The last pack shows the failure's first-seen date and its resolution and the EEA residency
strip with the gap; ``auditpack diff`` of day 2 -> 3 exits 1; the packs are locked in an Object
Lock bucket, verify from there, and an overwrite is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest

from auditpack.config import validate_config
from auditpack.continuity import complete_run
from auditpack.demo import moto_server, seed_aws
from auditpack.history import History
from auditpack.locker import LockerError, upload_pack
from auditpack.pack import write_manifest
from auditpack.registry import default_registry
from auditpack.runner import execute
from helpers import run_cli

pytestmark = pytest.mark.slow

DAY1 = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)
BUCKET = "demo-customer-data"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOCKER = "demo-audit-locker"
RUN_DAYS = (1, 2, 3, 4, 7, 8, 9, 10)
ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "AKIADEMO0000000000", "AWS_SECRET_ACCESS_KEY": "demo-secret-not-a-real-key",
            "AWS_DEFAULT_REGION": "eu-central-1", "AWS_EC2_METADATA_DISABLED": "true",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


def day(n: int) -> datetime:
    return DAY1 + timedelta(days=n - 1)


def move_bucket(endpoint: str, region: str) -> None:
    """What a careless migration does: the bucket is deleted and created again in another region."""
    old = boto3.client("s3", region_name="eu-central-1", endpoint_url=endpoint)
    old.delete_bucket(Bucket=BUCKET)
    new = boto3.client("s3", region_name=region, endpoint_url=endpoint)
    config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    new.create_bucket(Bucket=BUCKET, **config)
    new.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})


@dataclass
class Scenario:
    root: Path
    endpoint: str
    db: Path
    packs: dict[int, Path]
    runs: dict[int, dict[str, Any]]
    exits: dict[int, int]


def config_text(endpoint: str, db: Path) -> str:
    return (f'[organisation]\nname = "Demo SaaS B.V. (emulated)"\n\n[history]\npath = "{db}"\n\n'
            f'[locker]\ns3_uri = "s3://{LOCKER}/packs"\nretention_days = 30\nmode = "compliance"\n'
            f'endpoint_url = "{endpoint}"\nregion = "eu-central-1"\n\n'
            '[[dpa]]\nprofile = "dioss"\n\n'
            f'[aws]\nregions = ["eu-central-1", "us-east-1"]\nendpoint_url = "{endpoint}"\n')


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    from auditpack.collectors.aws.emulator import install

    root = tmp_path_factory.mktemp("continuous")
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, FAKE_AWS))
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(key, None)
        install()
        endpoint = stack.enter_context(moto_server())
        seed_aws(endpoint, day(1))
        boto3.client("s3", region_name="eu-central-1", endpoint_url=endpoint).create_bucket(
            Bucket=LOCKER, ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        db = root / "history.sqlite"
        registry = default_registry()
        config = validate_config(tomllib.loads(config_text(endpoint, db)), registry, "config.toml", str(root))
        found = Scenario(root, endpoint, db, {}, {}, {})
        for n in RUN_DAYS:
            if n == 3:
                move_bucket(endpoint, "us-east-1")
            if n == 9:
                move_bucket(endpoint, "eu-central-1")
            result = execute(config, registry, now=day(n), environ=dict(os.environ))
            outcome = complete_run(result, root / "packs" / f"day-{n:02d}", config_path="config.toml")
            assert not outcome.problems, outcome.problems
            found.packs[n], found.runs[n], found.exits[n] = outcome.pack, result.run.to_json(), outcome.exit_code
        yield found


def _doc(pack: Path, rel: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((pack / rel).read_text("utf-8"))
    return doc


def _mine(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["resource_id"] == BUCKET_ARN and i["check"].startswith("eea_residency_")]


def test_day_3_reports_the_move_as_a_new_failure_and_diff_exits_1(scenario: Scenario) -> None:
    since = _doc(scenario.packs[3], "history/since-previous.json")
    assert since["old"]["id"] == scenario.runs[2]["id"]
    [moved] = _mine(since["new_failures"])
    assert moved["status_before"] == "pass" and "us-east-1" in moved["message"]
    proc = run_cli("diff", str(scenario.packs[2]), str(scenario.packs[3]), "--database", str(scenario.db))
    assert proc.returncode == 1, proc.stderr
    new_block = proc.stdout.split("New failures:")[1].split("Resolved:")[0]
    assert BUCKET in new_block
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "diff-day2-day3.txt").write_text(proc.stdout, encoding="utf-8")  # shown in docs/scheduling.md
    calm = run_cli("diff", str(scenario.packs[3]), str(scenario.packs[4]), "--database", str(scenario.db))
    assert calm.returncode == 0 and f"{BUCKET} ({BUCKET_ARN})  (failing since {day(3):%Y-%m-%d}, 1 day)" \
        in calm.stdout


def test_the_failure_is_open_with_its_first_seen_date_until_day_9(scenario: Scenario) -> None:
    period = _doc(scenario.packs[8], "history/period.json")
    [residency] = [s for s in period["subjects"] if s["key"] == "eea_residency"]
    [open_failure] = _mine(residency["open_failures"])
    assert (open_failure["since"], open_failure["days"]) == (f"{day(3):%Y-%m-%d}", 5)
    assert "failing since" in (scenario.packs[8] / "report.html").read_text("utf-8")
    since = _doc(scenario.packs[9], "history/since-previous.json")
    [resolved] = _mine(since["resolved"])
    assert (resolved["status_before"], resolved["status"]) == ("fail", "pass")


def test_the_last_pack_shows_the_first_seen_date_the_resolution_and_the_gap(scenario: Scenario) -> None:
    last = scenario.packs[10]
    period = _doc(last, "history/period.json")
    assert (period["start"], period["end"], period["runs"], period["days_without_run"]) == \
        (f"{day(1):%Y-%m-%d}", f"{day(10):%Y-%m-%d}", 8, 2)
    [residency] = [s for s in period["subjects"] if s["key"] == "eea_residency"]
    [resolved] = _mine(residency["resolved_failures"])
    assert (resolved["since"], resolved["resolved"], resolved["days"]) == \
        (f"{day(3):%Y-%m-%d}", f"{day(9):%Y-%m-%d}", 6)
    assert not _mine(residency["open_failures"])
    gaps = [s for s in residency["segments"] if s["verdict"] == "no_run"]
    assert gaps == [{"from": f"{day(5):%Y-%m-%d}", "to": f"{day(6):%Y-%m-%d}", "verdict": "no_run", "days": 2}]
    assert sum(s["days"] for s in residency["segments"]) == 10
    html = (last / "report.html").read_text("utf-8")
    section = html.split('<section id="period">')[1].split("</section>")[0]
    assert f"failed from {day(3):%Y-%m-%d}, resolved {day(9):%Y-%m-%d} (6 days)" in section
    assert f"{day(5):%Y-%m-%d} – {day(6):%Y-%m-%d}: No run (gap in the schedule) (2 days)" in section
    assert "<script" not in section and 'fill="url(#ap-p-nonconformity)"' in section
    md = (last / "report.md").read_text("utf-8")
    assert f"failed from {day(3):%Y-%m-%d}, resolved {day(9):%Y-%m-%d} (6 days)" in md
    before = {name: (last / name).read_bytes() for name in ("report.html", "report.md", "findings.csv")}
    assert run_cli("report", str(last)).returncode == 0
    assert {name: (last / name).read_bytes() for name in before} == before  # offline and byte-identical
    assert run_cli("verify", str(last)).returncode == 0


def test_every_run_is_in_the_history_with_its_pack(scenario: Scenario) -> None:
    runs = History(scenario.db).runs("Demo SaaS B.V. (emulated)")
    assert [r.id for r in runs] == [scenario.runs[n]["id"] for n in RUN_DAYS]
    assert all(r.detailed and r.pack_path == str(scenario.packs[n]) for r, n in zip(runs, RUN_DAYS))
    assert [r.exit_code for r in runs] == [scenario.exits[n] for n in RUN_DAYS]


def test_the_locked_pack_verifies_from_the_locker_and_cannot_be_overwritten(scenario: Scenario) -> None:
    run_id = scenario.runs[10]["id"]
    env = {k: v for k, v in FAKE_AWS.items() if k.startswith("AWS_")}
    proc = run_cli("verify", f"s3://{LOCKER}/packs/{run_id}", "--endpoint-url", scenario.endpoint, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every file matches manifest.json" in proc.stdout and "locked until" in proc.stdout
    assert ": verified" in proc.stdout
    pack = scenario.packs[10]
    (pack / "report.md").write_text("# a nicer story\n", encoding="utf-8")
    manifest = json.loads((pack / "manifest.json").read_text("utf-8"))
    write_manifest(pack, manifest["run"])
    from auditpack.config import LockerSettings

    settings = LockerSettings.model_validate({"s3_uri": f"s3://{LOCKER}/packs", "retention_days": 30,
                                              "endpoint_url": scenario.endpoint, "region": "eu-central-1"})
    with mock.patch.dict(os.environ, env), pytest.raises(LockerError, match="refusing to overwrite"):
        upload_pack(pack, settings)
    again = run_cli("verify", f"s3://{LOCKER}/packs/{run_id}", "--endpoint-url", scenario.endpoint, env=env)
    assert again.returncode == 0, again.stdout
