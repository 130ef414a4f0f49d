"""Benchmark: a year of daily runs in the history database, then drift and the period view.

``--runs`` daily runs of ``--findings`` findings each (default 365 x 3,000, about 1.1 M
finding rows) with realistic churn every day: about 1 % of the resources replaced by new
ones, 2 % of the verdicts flipping, 5 % of the evidence changing, a few days without a
run, and two attached documents (one of them expiring half-way through the period). Every
run is recorded through :class:`auditpack.history.History` exactly as a scheduled
run records it. Then it measures the database size, ``auditpack diff`` of the last two runs
(the command's own code path, both sides from the history) and the "Over the period" section
of the last run's report (the stored document and its view model).

    python bench/history.py [--runs 365] [--findings 3000] [--db FILE [--reuse]]

``--reuse`` measures ``diff`` and the period again on the runs already in ``--db`` (written by
an earlier invocation with the same ``--db``) without recording them again.

Prints one JSON line (wall and CPU seconds: on a shared machine the wall time includes waiting
for a core; ``load_average`` says how busy it was). Aims: diff under 1 s, period section under
3 s, database under 300 MB, peak RSS under 500 MB; exit 1 when an aim is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditpack.drift import compare, load_side
from auditpack.facts import DocumentFact, FindingFact
from auditpack.history import History
from auditpack.model import Measure
from auditpack.packmodel import ProfileEntry, RunInfo
from auditpack.period import period_document
from auditpack.reports.continuity import period_view
from auditpack.reports.view import MEASURE_LABEL

STATUSES = ("pass",) * 80 + ("fail",) * 12 + ("error",) * 3 + ("manual",) * 3 + ("not_applicable",) * 2
CLAUSES = {m.value: (f"dioss: {n + 1}.1", f"acme-dpa: {(n % 5) + 1}") for n, m in enumerate(Measure)}


def _profiles() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for pid in ("dioss", "acme-dpa"):
        refs = sorted({c.split(": ", 1)[1] for cs in CLAUSES.values() for c in cs if c.startswith(pid + ":")})
        out.append({"profile": {"id": pid}, "clauses": [{"ref": r, "heading": ""} for r in refs]})
    return out


def _fact(n: int, status: str, generation: int) -> FindingFact:
    measure = list(Measure)[n % len(Measure)].value
    return FindingFact(
        check=f"{measure}_check_{n % 7}", provider=("aws", "hetzner", "ssh", "tls")[n % 4],
        resource_id=f"arn:aws:s3:::bucket-{n:06d}", resource_name=f"bucket-{n:06d}", measure=measure,
        status=status, waived=False, message=f"bucket-{n:06d} is {status}", clauses=CLAUSES[measure],
        controls=("ISO27001:2022/A.5.23", "GDPR/32(1)(b)"), evidence_hash=f"{n:016x}{generation:016x}")


def _documents(day: int, runs: int) -> list[DocumentFact]:
    clauses = sorted({c for cs in CLAUSES.values() for c in cs})
    return [DocumentFact(("certification",), tuple(clauses[:3]), ("ISO27001:2022/A.5.36",), current=True),
            DocumentFact(("backup_testing",), tuple(clauses[3:5]), (), current=day < runs // 2)]


def _recorded(history: History) -> list[dict[str, Any]]:
    return [{"id": r.id, "started_at": r.started_at, "organisation": r.organisation}
            for r in history.runs(None, detailed_only=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--findings", type=int, default=3000)
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="measure the runs already in --db, record none")
    args = parser.parse_args(argv)
    rng = random.Random(13)
    with tempfile.TemporaryDirectory(prefix="auditpack-bench-history-") as tmp:
        db = args.db or Path(tmp) / "history.sqlite"
        history = History(db)
        state: dict[int, tuple[str, int]] = {n: (rng.choice(STATUSES), 0) for n in range(args.findings)}
        next_id = args.findings
        start = datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
        recorded = _recorded(history) if args.reuse else []
        t0 = time.perf_counter()
        for day in range(0 if args.reuse else args.runs):
            for n in rng.sample(sorted(state), max(1, args.findings // 100)):  # resources replaced
                del state[n]
                state[next_id] = (rng.choice(STATUSES), 0)
                next_id += 1
            keys = sorted(state)
            for n in rng.sample(keys, args.findings * 2 // 100):
                state[n] = (rng.choice(STATUSES), state[n][1])
            for n in rng.sample(keys, args.findings * 5 // 100):
                state[n] = (state[n][0], state[n][1] + 1)
            if day % 53 == 52:
                continue  # the scheduler missed a day
            started = (start + timedelta(days=day)).isoformat().replace("+00:00", "Z")
            run = {"id": f"bench-{day:03d}", "started_at": started, "finished_at": started, "complete": True,
                   "tool_version": "bench", "organisation": "Bench B.V.", "counts": {}}
            facts = [_fact(n, s, g) for n, (s, g) in state.items()]
            history.record(run, 1, None, None, facts, keep_days=400, documents=_documents(day, args.runs))
            recorded.append(run)
        record_seconds = time.perf_counter() - t0

        t0, c0 = time.perf_counter(), time.process_time()
        old, _ = load_side(str(recorded[-2]["id"]), history)
        new, _ = load_side(str(recorded[-1]["id"]), history)
        drift = compare(old, new, history.fail_since(new.id))
        diff_seconds, diff_cpu = time.perf_counter() - t0, time.process_time() - c0

        t0, c0 = time.perf_counter(), time.process_time()
        doc = period_document(history, RunInfo.model_validate(recorded[-1]),
                              [ProfileEntry.model_validate(p) for p in _profiles()], period_days=365)
        view = period_view(json.loads(json.dumps(doc)), MEASURE_LABEL)
        period_seconds, period_cpu = time.perf_counter() - t0, time.process_time() - c0

        with_wal = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
        rows = history.finding_count()
    result = {
        "bench": "history",
        "runs": len(recorded),
        "findings_per_run": args.findings,
        "finding_rows": rows,
        "db_mb": round(with_wal / 1e6, 1),
        "record_ms_per_run": None if args.reuse else round(1000 * record_seconds / len(recorded), 1),
        "diff_s": round(diff_seconds, 3),
        "diff_cpu_s": round(diff_cpu, 3),
        "diff_counts": drift.to_json()["counts"],
        "period_s": round(period_seconds, 3),
        "period_cpu_s": round(period_cpu, 3),
        "load_average": round(os.getloadavg()[0], 1),
        "period_subjects": len(view.measures) + len(view.clauses),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, sort_keys=True))
    ok = (diff_seconds < 1 and period_seconds < 3 and with_wal < 300e6 and result["peak_rss_mb"] < 500)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
