"""Benchmark: the SSH collector over 16 real sshd instances on loopback, each with an
encrypted borg repository of 50 archives.

Hosts are collected in parallel, so the wall time of all of them should be close to the
slowest single host; the ratio says how close (on a machine with few cores, 16 hosts' borg
processes compete for the CPU, which the ratio shows too). Prints one JSON line.

    python bench/ssh.py [--hosts 16] [--archives 50]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditpack.collectors import CollectContext
from auditpack.collectors.ssh import SshCollector, SshSettings
from auditpack.emulators.sshd import LocalSshd, hold_borg_lock, make_borg_repo, sshd_available

PASSPHRASE = "benchmark passphrase"


def copy_repo(template: str, target: str) -> None:
    """A copy with its own repository id, so borg treats each as a separate repository."""
    shutil.copytree(template, target)
    config = Path(target, "config")
    config.write_text(re.sub(r"^id = .*$", f"id = {os.urandom(32).hex()}", config.read_text(), flags=re.M))


def collect(servers: list[LocalSshd], repos: list[str], workers: int,
            command_timeout: float = 120) -> tuple[float, list[str]]:
    hosts = [s.host_config(f"backup-{i}", country="DE", provider="Hetzner Online", command_timeout=command_timeout,
                           backups=[{"kind": "borg", "path": repo, "passphrase_env": "BENCH_PASS"}])
             for i, (s, repo) in enumerate(zip(servers, repos, strict=True))]
    settings = SshSettings.model_validate({"hosts": hosts, "max_workers": workers})
    ctx = CollectContext("ssh", "bench", datetime.now(UTC), environ={"BENCH_PASS": PASSPHRASE})
    started = time.perf_counter()
    SshCollector(settings).collect(ctx)
    seconds = time.perf_counter() - started
    errors = [f"{ev.kind} {ev.resource.id}: {ev.error}" for ev in ctx.close() if not ev.ok]
    return seconds, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--archives", type=int, default=50)
    args = parser.parse_args()
    ok, why = sshd_available("borg")
    if not ok:
        print(json.dumps({"bench": "ssh", "skipped": why}))
        return 0
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="auditpack-bench-") as tmp, contextlib.ExitStack() as stack:
        prep = time.perf_counter()
        template = make_borg_repo(Path(tmp, "template"), "repokey", [now - timedelta(hours=6 * i)
                                                                     for i in range(args.archives)],
                                  PASSPHRASE, base_dir=str(Path(tmp, "base")))
        servers = [stack.enter_context(LocalSshd()) for _ in range(args.hosts)]
        repos = []
        for server in servers:
            repos.append(server.path("app"))
            copy_repo(template, repos[-1])
        prep = time.perf_counter() - prep
        # warm up each host alone (borg builds its cache on first access), then measure
        singles = []
        for server, repo in zip(servers, repos, strict=True):
            collect([server], [repo], 1)
        for server, repo in zip(servers, repos, strict=True):
            seconds, errors = collect([server], [repo], 1)
            if errors:
                print(json.dumps({"bench": "ssh", "errors": errors[:5]}), file=sys.stderr)
                return 1
            singles.append(seconds)
        before = resource.getrusage(resource.RUSAGE_SELF)
        wall, errors = collect(servers, repos, args.hosts)
        after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if errors:
            print(json.dumps({"bench": "ssh", "errors": errors[:5]}), file=sys.stderr)
            return 1
        serial = sum(singles)
        # latency-bound: every repository locked by a "running backup", so each host spends its
        # time waiting (two borg commands time out after 2 s) rather than computing
        with contextlib.ExitStack() as locks:
            for server, repo in zip(servers, repos, strict=True):
                locks.enter_context(hold_borg_lock(repo, base_dir=server.env["BORG_BASE_DIR"]))
            waiting_single = max(collect([server], [repo], 1, command_timeout=2)[0]
                                 for server, repo in list(zip(servers, repos, strict=True))[:2])
            waiting_wall = collect(servers, repos, args.hosts, command_timeout=2)[0]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "bench": "ssh",
        "hosts": args.hosts,
        "archives_per_repo": args.archives,
        "cpus": os.cpu_count(),
        "wall_s": round(wall, 3),
        "slowest_single_host_s": round(max(singles), 3),
        "ratio_wall_to_slowest": round(wall / max(singles), 2),
        "sum_of_single_hosts_s": round(serial, 3),
        "speedup_vs_serial": round(serial / wall, 2),
        "collector_cpu_s": round(client_cpu, 3),  # this process only; borg/sshd run in the hosts' processes
        "latency_bound_wall_s": round(waiting_wall, 3),
        "latency_bound_single_host_s": round(waiting_single, 3),
        "latency_bound_ratio": round(waiting_wall / waiting_single, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "setup_s": round(prep, 1),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
