"""Benchmark of an AWS Organization run, on one machine and as 4 shards plus a merge.

moto's server runs in a child process behind the latency proxy of ``bench/aws.py`` (60 ms
per request). The management account creates an organisation of ``--accounts`` member
accounts (default 20); in each member account, reached through an assumed role, about
``--per-account`` resources (default 100: buckets, volumes, snapshots, tables, security
groups) are spread over the benchmark's 10 regions (seeded from a child process, so this
process holds only what the run itself does). The configuration is one
``[aws.organization]`` section; every run goes through ``auditpack.runner`` exactly as
``auditpack run`` does.

Prints ONE JSON line:
- the single-machine run: wall seconds, API calls, calls per resource, the latency floor
  (calls x latency / max_workers) and wall over floor, peak RSS of this process (also before the pack is written);
- how many accounts held clients at once, at most, and how many clients were open at once;
- where the wall time went: CPU seconds of this process (the collector, checks and pack
  writing) and of moto's server process during the run, the calls in flight on average
  (the sum of every call's duration over the wall time) and at most, the load average.
  moto's server answers in one interpreter (one core at most), so its CPU seconds are a
  floor of their own: ``floor_with_moto_seconds`` is the larger of the two floors;
- the 4 shards: each shard's wall seconds (on 4 machines they run side by side, so the
  slowest one counts), its accounts and calls, the merge's seconds, (slowest shard + merge)
  over a quarter of the single-machine time, and over the slowest shard's share of it (its
  accounts over all accounts: what is left when the uneven split is taken out).

    python bench/aws_org.py [--accounts 20] [--per-account 100] [--latency-ms 60] [--workers 64] [--no-shards]
                            [--keep DIR]

``--keep DIR`` writes the packs (single, part-0..3, merged) under DIR instead of a temporary
directory, so ``auditpack merge`` can be profiled on the same parts afterwards.

Not a test: the numbers go to docs/scaling.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_BASE = Path(__file__).with_name("aws.py")
_spec = importlib.util.spec_from_file_location("bench_aws", _BASE)
assert _spec and _spec.loader
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

ROLE = "AuditpackReadOnly"
KINDS = ("bucket", "bucket", "volume", "volume", "table", "group", "snapshot")


def seed(endpoint: str, accounts: int, per_account: int) -> tuple[list[str], int]:
    """The organisation and its members' resources, directly against moto (no latency)."""
    import boto3
    from botocore.config import Config

    cfg = Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 3})
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint, config=cfg)
    org.create_organization(FeatureSet="ALL")
    members = [org.create_account(AccountName=f"member-{n:02}", Email=f"m{n}@example.com")[
        "CreateAccountStatus"]["AccountId"] for n in range(accounts)]
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint, config=cfg)
    clients: dict[tuple[str, str, str], Any] = {}
    lock = threading.Lock()
    creds: dict[str, dict[str, str]] = {}
    for member in members:
        got = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{ROLE}", RoleSessionName="seed")["Credentials"]
        creds[member] = {"aws_access_key_id": got["AccessKeyId"], "aws_secret_access_key": got["SecretAccessKey"],
                         "aws_session_token": got["SessionToken"]}

    def client(member: str, service: str, region: str) -> Any:
        with lock:
            key = (member, service, region)
            if key not in clients:
                clients[key] = boto3.client(service, region_name=region, endpoint_url=endpoint, config=cfg,
                                            **creds[member])
            return clients[key]

    jobs = [(member, KINDS[i % len(KINDS)], base.REGIONS[i % len(base.REGIONS)], i)
            for a, member in enumerate(members) for i in range(a * per_account, (a + 1) * per_account)]

    def run(job: tuple[str, str, str, int]) -> int:
        member, kind, region, i = job
        if kind == "bucket":
            params: dict[str, Any] = {"Bucket": f"org-bench-{i:06}"}
            if region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": region}
            client(member, "s3", region).create_bucket(**params)
        elif kind == "volume":
            client(member, "ec2", region).create_volume(Size=1, AvailabilityZone=f"{region}a", Encrypted=i % 2 == 0)
        elif kind == "snapshot":
            vol = client(member, "ec2", region).create_volume(Size=1, AvailabilityZone=f"{region}a")
            client(member, "ec2", region).create_snapshot(VolumeId=vol["VolumeId"])
            return 2
        elif kind == "table":
            client(member, "dynamodb", region).create_table(
                TableName=f"org-bench-{i:06}", BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        elif kind == "group":
            client(member, "ec2", region).create_security_group(GroupName=f"org-bench-{i:06}", Description="bench")
        return 1

    with ThreadPoolExecutor(16) as pool:
        seeded = sum(pool.map(run, jobs))
    return members, seeded


def _config(endpoint: str, workers: int) -> Any:
    from auditpack.config import validate_config
    from auditpack.registry import default_registry

    data = {"organisation": {"name": "Bench Org"}, "history": {"enabled": False},
            "aws": {"regions": list(base.REGIONS), "endpoint_url": endpoint, "max_workers": workers,
                    "max_workers_per_account": 16, "use_default_credentials": False,
                    "organization": {"role_name": ROLE}}}
    return validate_config(data, default_registry(), "bench-org.toml")


class Calls:
    """Every API call of the collector: how many, and how many were in flight at once."""

    def __init__(self) -> None:
        self.n = 0
        self.in_flight = 0
        self.most = 0
        self.busy = 0.0  # the sum of every call's duration: over the wall time, the mean in flight
        self._started: dict[int, float] = {}
        self._lock = threading.Lock()

    def hook(self, session: Any) -> None:
        def before(context: dict[str, Any], **_: Any) -> None:
            with self._lock:
                self.n += 1
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
                self._started[id(context)] = time.monotonic()

        def after(context: dict[str, Any], **_: Any) -> None:
            with self._lock:
                began = self._started.pop(id(context), None)
                if began is not None:
                    self.in_flight -= 1
                    self.busy += time.monotonic() - began

        session.events.register("before-call", before)
        session.events.register("after-call", after)
        session.events.register("after-call-error", after)

    def reset(self) -> tuple[int, int, float]:
        with self._lock:
            out = (self.n, self.most, self.busy)
            self.n, self.most, self.busy = 0, 0, 0.0
            return out


class LiveAccounts:
    """How many accounts hold clients at once, and how many clients are open at once (the
    clients are most of the collection's memory)."""

    def __init__(self) -> None:
        self.live: dict[int, int] = {}  # account -> its open clients
        self.most = 0
        self.most_clients = 0
        self._lock = threading.Lock()

    def install(self) -> None:
        from auditpack.collectors.aws.session import Account

        client, reset = Account.client, Account.reset_clients

        def counted_client(acct: Account, service: str, region: str | None = None) -> Any:
            made = client(acct, service, region)
            with self._lock:
                self.live[id(acct)] = len(acct._clients)
                self.most = max(self.most, len(self.live))
                self.most_clients = max(self.most_clients, sum(self.live.values()))
            return made

        def counted_reset(acct: Account) -> None:
            reset(acct)
            with self._lock:
                self.live.pop(id(acct), None)

        Account.client = counted_client  # type: ignore[method-assign]
        Account.reset_clients = counted_reset  # type: ignore[method-assign]

    def reset(self) -> tuple[int, int]:
        with self._lock:
            most, clients, self.most, self.most_clients = self.most, self.most_clients, 0, 0
            self.live.clear()
            return most, clients


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(endpoint: str, workers: int, latency: float, out: Path, moto_pid: int,
            shards: bool) -> dict[str, Any]:
    from auditpack import runner
    from auditpack.cli import main as cli_main
    from auditpack.collectors.aws import AwsCollector
    from auditpack.registry import default_registry
    from auditpack.shard import Shard, owner

    config = _config(endpoint, workers)
    calls = Calls()

    def registry() -> Any:  # the AWS collector counting its calls; everything else as shipped
        reg = default_registry()
        original = AwsCollector.__init__

        def counted(self: AwsCollector, settings: Any, session_hook: Any = None, page_size: Any = None,
                    owns: Any = None) -> None:
            original(self, settings, session_hook=calls.hook, page_size=page_size, owns=owns)

        AwsCollector.__init__ = counted  # type: ignore[method-assign]
        return reg

    reg = registry()
    live = LiveAccounts()
    live.install()
    now = datetime.now(UTC).replace(microsecond=0)  # one clock for every run: their findings must compare equal
    load_before = os.getloadavg()[0]
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    moto_cpu, cpu, started = cpu_seconds(moto_pid), time.process_time(), time.monotonic()
    single = runner.execute(config, reg, now=now)
    rss_collected = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the pack is written
    cpu_collected = time.process_time() - cpu
    runner.write(single, out / "single")
    single_wall = time.monotonic() - started
    single_cpu, moto_cpu = time.process_time() - cpu, cpu_seconds(moto_pid) - moto_cpu
    single_calls, most_in_flight, busy = calls.reset()
    live_most, clients_most = live.reset()
    rss_single = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    not_resources = ("region", "account", "organization", "organization_account")
    resources = {(ev.resource.scope, ev.resource.id) for ev in single.evidence
                 if ev.ok and ev.resource.provider == "aws" and ev.resource.type not in not_resources}
    accounts = sorted({ev.resource.id for ev in single.evidence if ev.kind == "aws.organization_account" and ev.ok})
    errors = sum(1 for ev in single.evidence if not ev.ok and ev.status.value == "error")
    del single
    floor = single_calls * latency / workers
    result: dict[str, Any] = {
        "benchmark": "aws_org",
        "accounts": len(accounts),
        "resources": len(resources),
        "regions": len(base.REGIONS),
        "latency_ms": round(latency * 1000),
        "concurrency": workers,
        "single_wall_seconds": round(single_wall, 2),
        "single_cpu_seconds": round(single_cpu, 2),
        "single_cpu_seconds_before_writing": round(cpu_collected, 2),
        "moto_cpu_seconds": round(moto_cpu, 2),
        "load_average_1m_before": round(load_before, 2),
        "api_calls": single_calls,
        "calls_per_resource": round(single_calls / max(1, len(resources)), 2),
        "calls_in_flight_mean": round(busy / single_wall, 1),
        "calls_in_flight_max": most_in_flight,
        "floor_seconds": round(floor, 2),
        "single_over_floor": round(single_wall / floor, 2) if floor else None,
        "floor_with_moto_seconds": round(max(floor, moto_cpu), 2),
        "single_over_floor_with_moto": round(single_wall / max(floor, moto_cpu), 2) if floor else None,
        "single_peak_rss_mb": round(rss_single, 1),
        "single_peak_rss_mb_before_writing": round(rss_collected, 1),
        "peak_rss_mb_before_the_run": round(rss_start, 1),
        "accounts_with_clients_max": live_most,
        "clients_open_max": clients_most,
        "error_evidence": errors,
    }
    if not shards:
        return result

    shard_walls, shard_cpu, shard_moto, shard_calls = [], [], [], []
    for k in range(4):
        moto_cpu, cpu, t = cpu_seconds(moto_pid), time.process_time(), time.monotonic()
        part = runner.execute(config, reg, now=now, shard=Shard(k, 4))
        runner.write(part, out / f"part-{k}")
        del part
        shard_walls.append(round(time.monotonic() - t, 2))
        shard_cpu.append(round(time.process_time() - cpu, 1))
        shard_moto.append(round(cpu_seconds(moto_pid) - moto_cpu, 1))
        shard_calls.append(calls.reset()[0])
    t = time.monotonic()
    code = cli_main(["merge", *(str(out / f"part-{k}") for k in range(4)), "--out", str(out / "merged")])
    merge_seconds = time.monotonic() - t
    same = (json.loads((out / "merged" / "findings.json").read_text())["findings"]
            == json.loads((out / "single" / "findings.json").read_text())["findings"])
    shard_accounts = [sum(1 for a in accounts if owner("aws", a, 4) == k) for k in range(4)]
    slowest = shard_walls.index(max(shard_walls))
    sharded = max(shard_walls) + merge_seconds
    result.update({
        "shard_wall_seconds": shard_walls,
        "shard_cpu_seconds": shard_cpu,
        "shard_moto_cpu_seconds": shard_moto,
        "shard_api_calls": shard_calls,
        "shard_accounts": shard_accounts,
        "merge_seconds": round(merge_seconds, 2),
        "merge_exit": code,
        "sharded_over_quarter": round(sharded / (single_wall / 4), 2),
        "sharded_over_slowest_share": round(sharded / (single_wall * shard_accounts[slowest] / max(1, len(accounts))),
                                            2),
        "merged_findings_equal_single": same,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--per-account", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=64, help="max_workers in total (16 per account)")
    parser.add_argument("--no-shards", action="store_true", help="the single-machine run only (for profiling)")
    parser.add_argument("--keep", type=Path, help="write the packs under this directory and keep them")
    parser.add_argument("--seed", help=argparse.SUPPRESS)  # in a child: the seeding's clients are not the run's memory
    args = parser.parse_args()
    os.environ.update(base.ENV)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    if args.seed:
        members, seeded = seed(args.seed, args.accounts, args.per_account)
        print(json.dumps({"members": members, "seeded": seeded}))
        return 0
    children: list[Any] = []
    try:
        moto_port = base._child(children, "--serve", "moto")
        slow = base._child(children, "--serve", "proxy", "--latency-ms", str(args.latency_ms),
                           "--upstream", str(moto_port))
        started = time.monotonic()
        seeding = subprocess.run([sys.executable, __file__, "--seed", f"http://127.0.0.1:{moto_port}", "--accounts",
                                  str(args.accounts), "--per-account", str(args.per_account)],
                                 capture_output=True, text=True, check=True)
        seeded_world = json.loads(seeding.stdout.strip().splitlines()[-1])
        members, seeded = seeded_world["members"], seeded_world["seeded"]
        seed_seconds = time.monotonic() - started
        with tempfile.TemporaryDirectory(prefix="auditpack-bench-org-") as tmp:
            where = Path(tmp)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=False)  # never mixed with an earlier run's packs
                where = args.keep
            os.environ["AUDITPACK_HISTORY"] = str(where / "history.sqlite")
            result = measure(f"http://127.0.0.1:{slow}", args.workers, args.latency_ms / 1000, where,
                             children[0].pid, not args.no_shards)
        result.update({"members_created": len(members), "seeded_resources": seeded,
                       "seed_seconds": round(seed_seconds, 1), "at": datetime.now(UTC).isoformat(timespec="seconds"),
                       "load_average_1m_after": round(os.getloadavg()[0], 2)})
        print(json.dumps(result, sort_keys=True))
    finally:
        base.stop_children(children)
    return 0


if __name__ == "__main__":
    sys.exit(main())
