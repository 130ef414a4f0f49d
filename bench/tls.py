"""Benchmark: the TLS collector over many loopback endpoints, some of which never answer.

``--good`` HTTPS servers (EC keys, one shared CA, plain-HTTP redirect listeners) plus
``--silent`` TCP servers that accept and never answer, probed with ``--timeout`` and
``--workers`` endpoints at once. Shows that timeouts are bounded and concurrent: the wall
time should stay near ceil(silent / workers) * timeout plus the handshakes, not
silent * timeout.

    python bench/tls.py [--good 40] [--silent 8] [--timeout 2] [--workers 16]

Prints one JSON line; exit 1 when evidence is missing, a good endpoint errored, or the wall
time exceeds (ceil(silent / workers) + 1) * timeout + 10 s.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=40)
    parser.add_argument("--silent", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)

    from auditpack.collectors import CollectContext
    from auditpack.collectors.tls import TlsCollector, TlsSettings
    from auditpack.emulators.tls import EmulatorCA, LocalTlsServer, SilentTcpServer

    ca = EmulatorCA()
    with ExitStack() as stack:
        good = [stack.enter_context(LocalTlsServer(f"app{i}.example.test", ca=ca, key_type="ec", http="redirect"))
                for i in range(args.good)]
        silent = [stack.enter_context(SilentTcpServer()) for _ in range(args.silent)]
        endpoints = [s.endpoint_config() for s in good]
        endpoints += [{"host": f"silent{i}.example.test", "address": "127.0.0.1", "port": s.port,
                       "http_redirect": False} for i, s in enumerate(silent)]
        settings = TlsSettings(endpoints=endpoints, ca_bundle=good[0].ca_pem_path if good else None,
                               timeout=args.timeout, max_workers=args.workers)
        ctx = CollectContext("tls", "bench", datetime.now(UTC))
        started = time.perf_counter()
        TlsCollector(settings).collect(ctx)
        wall = time.perf_counter() - started
        evidence = ctx.close()
    errors = [ev for ev in evidence if ev.status.value == "error"]
    good_errors = [ev for ev in errors if not ev.resource.id.startswith("silent")]
    budget = (math.ceil(args.silent / args.workers) + 1) * args.timeout + 10
    result = {
        "benchmark": "tls", "good": args.good, "silent": args.silent, "timeout_s": args.timeout,
        "workers": args.workers, "wall_s": round(wall, 3), "wall_budget_s": budget, "evidence": len(evidence),
        "errors": len(errors), "good_errors": len(good_errors),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, sort_keys=True))
    # per endpoint: endpoint, certificate, hsts, http_redirect, cipher_suites, ocsp_stapling; a silent
    # endpoint errors all but http_redirect (switched off for it)
    complete = len(evidence) == 6 * (args.good + args.silent)
    return 0 if complete and not good_errors and len(errors) == 5 * args.silent and wall <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
