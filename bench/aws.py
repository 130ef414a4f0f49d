"""Benchmark of the AWS collector: is API latency hidden by concurrency?

Starts moto's server in a child process behind a small proxy that adds a fixed latency to
every request (60 ms: real AWS from a nearby region), seeds one account with at least
2,000 resources over 10 regions (half of them S3 buckets, which need several calls each),
runs the AWS collection against the proxy with ``regions = "all"`` and prints ONE JSON line:
wall time, API calls, HTTP requests, calls per resource, repeated calls, peak RSS of this
process (the collector; moto runs in the child) and the ideal time
``calls x latency / max_workers``.

    python bench/aws.py [--buckets 1000] [--latency-ms 60] [--workers 32] [--keep DIR]

``--keep DIR`` also judges the seeded account with ``auditpack run`` (the real command, no
added latency) and keeps its pack in ``DIR/pack``: bench/same_findings.py compares the
findings of two such packs (the same findings before and after a change). It seeds one
resource at a time, so that the account is the same in every run.

Not a test: the numbers go to docs/aws.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REGIONS = ("eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-south-1", "us-east-1",
           "us-west-2", "ap-southeast-1", "ca-central-1")
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-not-a-secret",
       "AWS_DEFAULT_REGION": "eu-central-1",
       "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "AWS_EC2_METADATA_DISABLED": "true"}


# --- child process: moto's server behind a latency proxy ---------------------------------------

def serve_moto() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    from auditpack.collectors.aws import emulator

    emulator.install()  # the AWS Backup reads moto lacks, as in the demo and the tests
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    print(json.dumps({"port": moto._server.server_port}), flush=True)  # type: ignore[attr-defined]
    sys.stdin.read()  # until the parent closes our stdin
    moto.stop()


def serve_proxy(latency: float, upstream: int) -> None:
    """A keep-alive HTTP/1.1 proxy that sleeps ``latency`` before forwarding each request.
    Its own process: moto's server is CPU-bound and must not share its interpreter lock."""
    count = {"n": 0}
    lock = threading.Lock()
    local = threading.local()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            if self.path == "/__bench/count":
                self._answer(200, [], json.dumps(count).encode())
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with lock:
                count["n"] += 1
            time.sleep(latency)
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
            except (http.client.HTTPException, OSError):
                conn.close()  # moto's server closes idle connections: reconnect once
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
            data = resp.read()
            keep = [(k, v) for k, v in resp.getheaders()
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date")]
            self._answer(resp.status, keep, data)

        def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    ThreadingHTTPServer.daemon_threads = True
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    print(json.dumps({"port": proxy.server_port}), flush=True)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    sys.stdin.read()
    proxy.shutdown()


# --- seeding (directly against moto: no latency) ------------------------------------------------

def seed(endpoint: str, buckets: int, workers: int = 16) -> int:
    """Create the resources (``workers`` at once; one for --keep: moto places the KMS key it
    makes for encrypted volumes in a region that depends on the order of concurrent calls)."""
    import boto3
    from botocore.config import Config

    cfg = Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 3})
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client(service: str, region: str) -> Any:
        with lock:
            if (service, region) not in clients:
                clients[(service, region)] = boto3.client(service, region_name=region, endpoint_url=endpoint,
                                                          config=cfg)
            return clients[(service, region)]

    jobs: list[tuple[Any, ...]] = []
    for i in range(buckets):
        jobs.append(("bucket", REGIONS[i % len(REGIONS)], i))
    others = buckets  # the other half
    for i in range(others):
        region = REGIONS[i % len(REGIONS)]
        kind = ("volume", "volume", "table", "group", "snapshot")[i % 5]
        jobs.append((kind, region, i))

    def run(job: tuple[Any, ...]) -> None:
        kind, region, i = job
        if kind == "bucket":
            params: dict[str, Any] = {"Bucket": f"bench-bucket-{i:05}"}
            if region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": region}
            client("s3", region).create_bucket(**params)
        elif kind == "volume":
            client("ec2", region).create_volume(Size=1, AvailabilityZone=f"{region}a", Encrypted=i % 2 == 0)
        elif kind == "snapshot":
            vol = client("ec2", region).create_volume(Size=1, AvailabilityZone=f"{region}a")
            client("ec2", region).create_snapshot(VolumeId=vol["VolumeId"])
        elif kind == "table":
            client("dynamodb", region).create_table(
                TableName=f"bench-table-{i:05}", BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        elif kind == "group":
            client("ec2", region).create_security_group(GroupName=f"bench-sg-{i:05}", Description="bench")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, jobs))
    snapshots = sum(1 for j in jobs if j[0] == "snapshot")
    return len(jobs) + snapshots  # a snapshot job also creates its volume


# --- the measurement ----------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=1000, help="S3 buckets; as many other resources again")
    parser.add_argument("--latency-ms", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=16, help="max_workers (the concurrency limit)")
    parser.add_argument("--no-floor", action="store_true", help="skip the zero-latency calibration run")
    parser.add_argument("--keep", metavar="DIR", help="also write the account's audit pack with `auditpack run` "
                        "into DIR/pack (its configuration: DIR/auditpack.toml)")
    parser.add_argument("--serve", choices=("moto", "proxy"), help=argparse.SUPPRESS)
    parser.add_argument("--upstream", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(ENV)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    if args.serve == "moto":
        serve_moto()
        return 0
    if args.serve == "proxy":
        serve_proxy(args.latency_ms / 1000, args.upstream)
        return 0

    children: list[subprocess.Popen[str]] = []
    try:
        moto_port = _child(children, "--serve", "moto")
        slow = _child(children, "--serve", "proxy", "--latency-ms", str(args.latency_ms), "--upstream", str(moto_port))
        fast = _child(children, "--serve", "proxy", "--latency-ms", "0", "--upstream", str(moto_port))
        seeded = seed(f"http://127.0.0.1:{moto_port}", args.buckets, 1 if args.keep else 16)
        floor = None if args.no_floor else measure(f"http://127.0.0.1:{fast}", args.workers, 0.0)
        result = measure(f"http://127.0.0.1:{slow}", args.workers, args.latency_ms / 1000)
        result["seeded_resources"] = seeded
        result["seeded_regions"] = len(REGIONS)
        if floor is not None:
            # The same collection without added latency: what moto's server and botocore's CPU cost
            # on this machine. wall - floor is the part of the latency that concurrency did not hide.
            result["floor_seconds"] = floor["wall_seconds"]
            result["latency_exposed_seconds"] = round(result["wall_seconds"] - floor["wall_seconds"], 2)
        if args.keep:
            result["kept_pack_exit_code"] = keep_pack(Path(args.keep), f"http://127.0.0.1:{fast}", args.workers)
        print(json.dumps(result, sort_keys=True))
    finally:
        stop_children(children)
    return 0


def keep_pack(folder: Path, endpoint: str, workers: int) -> int:
    """``auditpack run`` over the seeded account into ``folder/pack``; its exit code (1: the
    account has failing findings, as seeded). The run's own output goes to stderr."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "auditpack.toml"
    config.write_text('[organisation]\nname = "Bench B.V."\n\n[history]\nenabled = false\n\n'
                      f'[aws]\nregions = "all"\nendpoint_url = "{endpoint}"\nmax_workers = {workers}\n', "utf-8")
    done = subprocess.run([sys.executable, "-m", "auditpack", "run", "-q", "--config", str(config),
                           "--out", str(folder / "pack"), "--replace"], env={**os.environ, **ENV},
                          stdout=sys.stderr, check=False)
    return done.returncode


def stop_children(children: list[subprocess.Popen[str]]) -> None:
    """Close the children's stdin (their signal to stop) and kill any that do not end."""
    for child in children:
        if child.stdin:
            child.stdin.close()
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _child(children: list[subprocess.Popen[str]], *argv: str) -> int:
    child = subprocess.Popen([sys.executable, __file__, *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env={**os.environ, **ENV}, text=True)
    children.append(child)
    assert child.stdout is not None
    return int(json.loads(child.stdout.readline())["port"])


def measure(endpoint: str, workers: int, latency: float) -> dict[str, Any]:
    from auditpack.collectors import CollectContext
    from auditpack.collectors.aws import AwsCollector, AwsSettings
    from auditpack.collectors.aws.session import call_key

    calls: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def hook(session: Any) -> None:
        def record(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            body = params.get("body")
            body_text = json.dumps(body, sort_keys=True, default=str) if isinstance(body, dict) else str(body)
            with lock:  # with an endpoint_url every region has the same URL: the region is part of the call
                calls.append((call_key(model.service_model), model.name,
                              f"{context.get('client_region')} {params.get('url')} {body_text}"))

        session.events.register("before-call", record)

    settings = AwsSettings(regions="all", endpoint_url=endpoint, max_workers=workers)
    ctx = CollectContext("aws", "bench", datetime.now(UTC))
    started, cpu_started = time.monotonic(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("AwsCollector(settings, session_hook=hook).collect(ctx)", globals(), locals(),
                        os.environ["BENCH_PROFILE"])
    else:
        AwsCollector(settings, session_hook=hook).collect(ctx)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    evidence = ctx.close()
    http_requests = json.loads(_get(f"{endpoint}/__bench/count"))["n"]
    resources = {(ev.resource.scope, ev.resource.id) for ev in evidence
                 if ev.ok and ev.resource.type not in ("region", "account")}
    repeated = sum(n - 1 for call, n in Counter(calls).items() if n > 1 and call[1] != "GenerateCredentialReport")
    ideal = len(calls) * latency / workers
    regions = next(ev.record.regions_scanned for ev in evidence if ev.kind == "aws.account" and ev.ok)
    return {
        "wall_seconds": round(wall, 2),
        "collector_cpu_seconds": round(cpu, 2),
        "api_calls": len(calls),
        "http_requests": http_requests,
        "resources": len(resources),
        "calls_per_resource": round(len(calls) / max(1, len(resources)), 2),
        "repeated_calls": repeated,
        "errors": sum(1 for ev in evidence if not ev.ok),
        "evidence": len(evidence),
        "regions_scanned": len(regions),
        "concurrency": workers,
        "latency_ms": round(latency * 1000),
        "ideal_seconds": round(ideal, 2),
        "wall_over_ideal": round(wall / ideal, 2) if ideal else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _get(url: str) -> str:
    from urllib.request import urlopen

    with urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback only
        return str(resp.read().decode())


if __name__ == "__main__":
    raise SystemExit(main())
