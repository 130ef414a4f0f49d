"""The audit period: for each measure and DPA clause, what every day of the period showed.

Computed from the history database at run time and stored in the pack as
``history/period.json``, so ``auditpack report DIR`` renders it offline and byte-identically.

A day's verdict is the worst verdict of that day's runs (a day counts as supported only when
every run that day supported it). A day without a run is a gap (``no_run``), and a run
recorded before the history kept findings is ``not_recorded``: neither is ever a pass. The
period starts ``period_days`` before this run, or at the first recorded run when the
history is younger than that (the document says so).

Attached documents (``[[manual_evidence]]``) that name a clause or a measure count on the days
they were current with their own verdict, ``attested``: supported, but by a document a person
reviewed, never drawn as observed, and never outweighing a fail or an error (as the report's
roll-up). On the days a document had expired it is ``expired``: a failing finding about the
document, shown under everything it named.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from .history import ATTESTED, EXPIRED, History, RunRecord, SummaryRow, parse_time
from .model import Measure
from .packmodel import ProfileEntry, RunInfo

SCHEMA = "auditpack.period/v1"
NO_RUN = "no_run"
NOT_RECORDED = "not_recorded"
#: worst first; the four-verdict roll-up of docs/reports.md (as reports/view.py's rollup), with
#: the attached documents' two marks beside it
VERDICT_RANK = {"nonconformity": 0, EXPIRED: 1, "incomplete": 2, NOT_RECORDED: 3, "manual": 4, ATTESTED: 5,
                "supports": 6}
SUPPORTED = ("supports", ATTESTED)
MAX_LISTED_FAILURES = 25


def verdict_of(statuses: Iterable[str]) -> str:
    """Any fail: non-conformity; else an expired document: expired; else any error: incomplete;
    observed pass/n.a. only: supports; else a current document: attested; else manual."""
    present = set(statuses)
    if "fail" in present:
        return "nonconformity"
    if EXPIRED in present:
        return EXPIRED
    if "error" in present:
        return "incomplete"
    observed = present - {ATTESTED}
    if observed and observed <= {"pass", "not_applicable"}:
        return "supports"
    if ATTESTED in present:
        return ATTESTED
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


def _subjects(profiles: Sequence[ProfileEntry],
              rows: Sequence[SummaryRow]) -> list[tuple[str, str, str, str]]:
    """(kind, key, heading, profile) for every measure seen in the period, then every automated clause
    and every manual one an attached document named in the period.
    Labels are the report's business; the stored data keeps keys."""
    order = [m.value for m in Measure]
    measures = sorted({r.measure for r in rows if r.measure},
                      key=lambda m: (order.index(m) if m in order else len(order), m))
    out = [("measure", m, "", "") for m in measures]
    documented = {c for r in rows if r.status in (ATTESTED, EXPIRED) for c in r.clauses}
    for profile in profiles:
        for clause in profile.clauses:
            key = f"{profile.id}: {clause.ref}"
            if not clause.manual or key in documented:
                out.append(("clause", key, clause.heading or "", profile.id))
    return out


def _resolved(history: History, detailed: Sequence[RunRecord]) -> list[dict[str, Any]]:
    """The failing streaks that ended inside the period, with the day of the first run that no
    longer failed (oldest resolution first)."""
    day_of = {r.seq: _day(r) for r in detailed}
    out = []
    for ended in history.resolutions(list(day_of)):
        first = parse_time(ended.since).date()
        resolved_on = day_of[ended.run]
        out.append({"check": ended.identity[0], "provider": ended.identity[1], "resource_id": ended.identity[2],
                    "resource_name": ended.resource_name, "measure": ended.measure, "clauses": ended.clauses,
                    "since": first.isoformat(), "resolved": resolved_on.isoformat(),
                    "days": (resolved_on - first).days})
    out.sort(key=lambda r: (r["resolved"], r["since"], r["check"], r["resource_id"]))
    return out


def _statuses_by_run(rows: Sequence[SummaryRow]) -> dict[int, dict[str, set[str]]]:
    """run -> subject key (a measure, or "profile: clause") -> the statuses seen under it."""
    out: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        mine = out[row.run]
        mine[row.measure].add(row.status)
        for clause in row.clauses:
            mine[clause].add(row.status)
    return out


def period_document(history: History, run: RunInfo, profiles: Sequence[ProfileEntry],
                    period_days: int) -> dict[str, Any]:
    """The stored "Over the period" data for the recorded run ``run``."""
    end_day = run.started.date()
    configured_start = end_day - timedelta(days=period_days - 1)
    recorded = history.runs(run.organisation, until=run.started)
    first_day = min((_day(r) for r in recorded), default=end_day)
    every = [r for r in recorded if _day(r) >= configured_start]
    start = max(configured_start, first_day)
    days = [start + timedelta(days=n) for n in range((end_day - start).days + 1)]
    detailed = [r for r in every if r.detailed]
    rows = history.summaries([r.seq for r in detailed])
    statuses = _statuses_by_run(rows)
    current = history.get_run(run.id)
    failing = [f for f in history.facts(run.id) if f.status == "fail"] \
        if current is not None and current.detailed else []
    since = history.fail_since(run.id) if failing else {}
    resolved_by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in _resolved(history, detailed):
        shown = {k: v for k, v in item.items() if k not in ("measure", "clauses")}
        for key in (item["measure"], *item["clauses"]):
            resolved_by_subject[key].append(shown)

    subjects = []
    for kind, key, heading, profile in _subjects(profiles, rows):
        day_verdicts: dict[date, str] = {}
        for r in every:
            if r.detailed:
                verdict = verdict_of(statuses.get(r.seq, {}).get(key, ()))
            else:
                verdict = NOT_RECORDED
            d = _day(r)
            if d not in day_verdicts or VERDICT_RANK[verdict] < VERDICT_RANK[day_verdicts[d]]:
                day_verdicts[d] = verdict
        supported = sum(1 for d in days if day_verdicts.get(d) in SUPPORTED)
        open_failures = []
        for fact in failing:
            if fact.status != "fail" or not (fact.measure == key if kind == "measure" else key in fact.clauses):
                continue
            first = since.get(fact.identity, run.started_at)
            first_day = parse_time(first).date()
            open_failures.append({"check": fact.check, "provider": fact.provider, "resource_id": fact.resource_id,
                                  "resource_name": fact.resource_name, "message": fact.message,
                                  "waived": fact.waived, "since": first_day.isoformat(),
                                  "days": (end_day - first_day).days})
        open_failures.sort(key=lambda f: (f["since"], f["check"], f["resource_id"]))
        mine_resolved = resolved_by_subject.get(key, [])
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
