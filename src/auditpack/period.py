"""The audit period: for each measure and DPA clause, what every day of the period showed.

Computed from the history database at run time and stored in the pack as
``history/period.json``, so ``auditpack report DIR`` renders it offline and byte-identically.

A day's verdict is the worst verdict of that day's runs (a day counts as supported only when
every run that day supported it). A day without a run is a gap (``no_run``), and a run
recorded before the history kept findings is ``not_recorded``: neither is ever a pass. The
period starts ``period_days`` before this run, or at the first recorded run when the
history is younger than that (the document says so).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from .history import History, RunRecord, SummaryRow, parse_time
from .model import Measure

SCHEMA = "auditpack.period/v1"
NO_RUN = "no_run"
NOT_RECORDED = "not_recorded"
#: worst first; the four-verdict roll-up of domain/measures.md (as reports/view.py's rollup)
VERDICT_RANK = {"nonconformity": 0, "incomplete": 1, NOT_RECORDED: 2, "manual": 3, "supports": 4}
MAX_LISTED_FAILURES = 25


def verdict_of(statuses: Iterable[str]) -> str:
    """Any fail: non-conformity; else any error: incomplete; only pass/n.a.: supports; else manual."""
    present = set(statuses)
    if "fail" in present:
        return "nonconformity"
    if "error" in present:
        return "incomplete"
    if present and present <= {"pass", "not_applicable"}:
        return "supports"
    return "manual"


def _day(run: RunRecord) -> date:
    return run.started.date()


def _segments(days: Sequence[date], verdicts: Mapping[date, str]) -> list[dict[str, Any]]:
    """Consecutive days with the same verdict merged into one segment."""
    out: list[dict[str, Any]] = []
    for day in days:
        verdict = verdicts.get(day, NO_RUN)
        if out and out[-1]["verdict"] == verdict:
            out[-1]["to"] = day.isoformat()
            out[-1]["days"] += 1
        else:
            out.append({"from": day.isoformat(), "to": day.isoformat(), "verdict": verdict, "days": 1})
    return out


def _subjects(profiles: Sequence[Mapping[str, Any]],
              rows: Sequence[SummaryRow]) -> list[tuple[str, str, str, str]]:
    """(kind, key, heading, profile) for every measure seen in the period, then every automated clause.
    Labels are the report's business; the stored data keeps keys."""
    order = [m.value for m in Measure]
    measures = sorted({r.measure for r in rows}, key=lambda m: (order.index(m) if m in order else len(order), m))
    out = [("measure", m, "", "") for m in measures]
    for profile in profiles:
        info = profile.get("profile") or {}
        pid = str(info.get("id", ""))
        for clause in profile.get("clauses", ()):
            if not clause.get("manual"):
                out.append(("clause", f"{pid}: {clause.get('ref', '')}", str(clause.get("heading") or ""), pid))
    return out


def _resolved(history: History, detailed: Sequence[RunRecord], open_since: Mapping[Any, str]) -> list[dict[str, Any]]:
    """The failing streaks of the period that ended before this run, with the day of the first run
    that no longer failed (oldest resolution first)."""
    if not detailed:
        return []
    order = {r.seq: n for n, r in enumerate(detailed)}
    latest: dict[tuple[Any, str], Any] = {}
    for streak in history.fail_streaks([r.seq for r in detailed]):
        key = (streak.identity, streak.since)
        if key not in latest or order.get(streak.last_run, -1) > order.get(latest[key].last_run, -1):
            latest[key] = streak
    out = []
    for (identity, since), streak in latest.items():
        position = order.get(streak.last_run)
        if position is None or position + 1 >= len(detailed) or open_since.get(identity) == since:
            continue  # still failing in this run
        resolved_on = _day(detailed[position + 1])
        first = parse_time(since).date()
        out.append({"check": identity[0], "provider": identity[1], "resource_id": identity[2],
                    "resource_name": streak.resource_name, "measure": streak.measure, "clauses": streak.clauses,
                    "since": first.isoformat(), "resolved": resolved_on.isoformat(),
                    "days": (resolved_on - first).days})
    out.sort(key=lambda r: (r["resolved"], r["since"], r["check"], r["resource_id"]))
    return out


def period_document(history: History, run: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]],
                    period_days: int) -> dict[str, Any]:
    """The stored "Over the period" data for the recorded run ``run``."""
    end_day = parse_time(run["started_at"]).date()
    configured_start = end_day - timedelta(days=period_days - 1)
    organisation = run.get("organisation")
    recorded = history.runs(organisation, until=parse_time(run["started_at"]))
    first_day = min((_day(r) for r in recorded), default=end_day)
    every = [r for r in recorded if _day(r) >= configured_start]
    start = max(configured_start, first_day)
    days = [start + timedelta(days=n) for n in range((end_day - start).days + 1)]
    detailed = [r for r in every if r.detailed]
    rows = history.summaries([r.seq for r in detailed])
    by_run: dict[int, list[SummaryRow]] = defaultdict(list)
    for row in rows:
        by_run[row.run].append(row)
    current = history.get_run(run["id"])
    failing = history.facts(run["id"]) if current is not None and current.detailed else []
    since = history.fail_since(run["id"]) if failing else {}
    resolved = _resolved(history, detailed, since)

    subjects = []
    for kind, key, heading, profile in _subjects(profiles, rows):
        day_verdicts: dict[date, str] = {}
        for r in every:
            if r.detailed:
                mine = [s for s in by_run.get(r.seq, ()) if (s.measure == key if kind == "measure"
                                                              else key in s.clauses)]
                verdict = verdict_of(s.status for s in mine)
            else:
                verdict = NOT_RECORDED
            d = _day(r)
            if d not in day_verdicts or VERDICT_RANK[verdict] < VERDICT_RANK[day_verdicts[d]]:
                day_verdicts[d] = verdict
        supported = sum(1 for d in days if day_verdicts.get(d) == "supports")
        open_failures = []
        for fact in failing:
            if fact.status != "fail" or not (fact.measure == key if kind == "measure" else key in fact.clauses):
                continue
            first = since.get(fact.identity, run["started_at"])
            first_day = parse_time(first).date()
            open_failures.append({"check": fact.check, "provider": fact.provider, "resource_id": fact.resource_id,
                                  "resource_name": fact.resource_name, "message": fact.message,
                                  "waived": fact.waived, "since": first_day.isoformat(),
                                  "days": (end_day - first_day).days})
        open_failures.sort(key=lambda f: (f["since"], f["check"], f["resource_id"]))
        mine_resolved = [{k: v for k, v in r.items() if k not in ("measure", "clauses")} for r in resolved
                         if (r["measure"] == key if kind == "measure" else key in r["clauses"])]
        counts = Counter(day_verdicts.get(d, NO_RUN) for d in days)
        subjects.append({
            "kind": kind, "key": key, "heading": heading, "profile": profile,
            "segments": _segments(days, day_verdicts),
            "supported_days": supported,
            "days_by_verdict": dict(sorted(counts.items())),
            "open_failures": open_failures[:MAX_LISTED_FAILURES],
            "open_failures_total": len(open_failures),
            "resolved_failures": mine_resolved[-MAX_LISTED_FAILURES:],
            "resolved_failures_total": len(mine_resolved),
        })
    run_days = {_day(r) for r in every}
    return {
        "schema": SCHEMA,
        "status": "ok",
        "period_days": period_days,
        "configured_start": configured_start.isoformat(),
        "start": start.isoformat(),
        "end": end_day.isoformat(),
        "days": len(days),
        "runs": len(every),
        "days_without_run": sum(1 for d in days if d not in run_days),
        "history_shorter_than_period": start > configured_start,
        "subjects": subjects,
    }


def unavailable(reason: str, status: str = "unavailable") -> dict[str, Any]:
    """What a pack says when there was no history to draw the period from."""
    return {"schema": SCHEMA, "status": status, "reason": reason, "subjects": []}
