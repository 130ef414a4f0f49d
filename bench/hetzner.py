"""Benchmark: the Hetzner collector on a large project over a slow API.

2,000 servers, each with a volume, a primary IP and a backup image, behind 10 firewalls
(half applied by label selector); the emulator answers every request after 50 ms. The
emulator runs in its own process, so the numbers are the collector's own (wall time,
peak RSS of this process) plus the requests the emulator counted.

    python bench/hetzner.py [--servers 2000] [--latency 0.05] [--workers 4]

Prints one JSON line. Targets (issue 4): requests <= sum over listings of
ceil(resources/50) + 20, wall time under 15 s.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import resource
import sys
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection

TOKEN = "bench-token"


def _serve(servers: int, latency: float, conn: Connection) -> None:
    from auditpack.emulators.hetzner import HetznerEmulator, large_project

    seed = large_project(servers, datetime.now(UTC))
    with HetznerEmulator(seed, token=TOKEN, latency=latency) as api:
        conn.send((api.url, seed.resource_count()))
        conn.recv()  # wait until the collection is done
        conn.send((api.requests, api.violations))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)

    from auditpack.collectors import CollectContext
    from auditpack.collectors.hetzner import HetznerCollector
    from auditpack.collectors.hetzner.config import HetznerSettings

    here, there = mp.Pipe()
    child = mp.get_context("fork").Process(target=_serve, args=(args.servers, args.latency, there), daemon=True)
    child.start()
    try:
        url, resources = here.recv()
        settings = HetznerSettings.model_validate({
            "projects": [{"name": "bench", "token_env": "BENCH_HCLOUD_TOKEN", "api_endpoint": url}],
            "max_workers": args.workers})
        collector = HetznerCollector(settings)
        ctx = CollectContext("hetzner", "bench", datetime.now(UTC), environ={"BENCH_HCLOUD_TOKEN": TOKEN})
        started = time.perf_counter()
        collector.collect(ctx)
        wall = time.perf_counter() - started
        evidence = ctx.close()
        here.send("done")
        requests, violations = here.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
            child.join()
    errors = sum(1 for ev in evidence if not ev.ok)
    budget = math.ceil(resources / 50) + 20
    result = {
        "benchmark": "hetzner", "servers": args.servers, "resources": resources, "latency_s": args.latency,
        "workers": args.workers, "wall_s": round(wall, 3), "requests": requests, "request_budget": budget,
        "violations": violations, "evidence": len(evidence), "errors": errors,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, sort_keys=True))
    return 0 if requests <= budget and wall < 15 and not errors and not violations else 1


if __name__ == "__main__":
    sys.exit(main())
