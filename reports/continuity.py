"""View model of the pack's history sections: "Since the previous run" and "Over the period".

Both are read from JSON the run stored in the pack (``history/since-previous.json``,
``history/period.json``), never from the history database, so ``auditpack report DIR``
stays offline and byte-identical. The period strips are drawn as inline SVG geometry here
(the templates only print it): one rectangle per stretch of days with the same verdict,
each verdict with its own fill pattern as well as its colour, so a greyscale print still
tells them apart, and a day without a run drawn as an empty dashed box, never as a pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from auditpack.drift import CATEGORIES, days_text
from auditpack.period import SUPPORTED

SINCE_PREVIOUS = "history/since-previous.json"
PERIOD = "history/period.json"
STRIP_WIDTH = 730.0
STRIP_HEIGHT = 18.0
MAX_STRETCHES_LISTED = 12

SEGMENT_LABEL = {
    "supports": "Evidence supports",
    "attested": "Supported by an attached document (attested, not observed)",
    "nonconformity": "Evidence of non-conformity",
    "expired": "An attached document had expired (a failing finding)",
    "incomplete": "Incomplete evidence",
    "manual": "Manual evidence required",
    "not_recorded": "Run recorded without findings (before the history kept them)",
    "no_run": "No run (gap in the schedule)",
}
SEGMENT_ORDER = tuple(SEGMENT_LABEL)
DRIFT_TITLES = CATEGORIES  # the same categories and titles as ``auditpack diff``


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class DriftItem:
    check: str
    provider: str
    resource: str
    status: str
    status_before: str
    message: str
    since: str
    days: str
    waived: bool

    @property
    def days_text(self) -> str:
        return days_text(int(self.days)) if self.days.lstrip("-").isdigit() else ""


@dataclass(frozen=True)
class DriftGroup:
    key: str
    title: str
    items: tuple[DriftItem, ...]


@dataclass(frozen=True)
class SinceView:
    status: str  # ok | first_run | disabled | unavailable | absent
    note: str
    old_id: str
    old_date: str
    new_date: str
    groups: tuple[DriftGroup, ...]

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Segment:
    x: str
    width: str
    verdict: str
    label: str
    start: str
    end: str
    days: int

    @property
    def title(self) -> str:
        span = self.start if self.start == self.end else f"{self.start} – {self.end}"
        return f"{span}: {self.label} ({days_text(self.days)})"


@dataclass(frozen=True)
class OpenFailure:
    check: str
    resource: str
    since: str
    days: int
    waived: bool

    @property
    def text(self) -> str:
        return f"failing since {self.since}, {days_text(self.days)}"


@dataclass(frozen=True)
class ResolvedFailure:
    check: str
    resource: str
    since: str
    resolved: str
    days: int

    @property
    def text(self) -> str:
        return f"failed from {self.since}, resolved {self.resolved} ({days_text(self.days)})"


@dataclass(frozen=True)
class Strip:
    kind: str
    key: str
    label: str
    profile: str
    segments: tuple[Segment, ...]
    supported_days: int
    share: str
    today: str  # the verdict label of the last day
    open_failures: tuple[OpenFailure, ...]
    more_failures: int
    resolved: tuple[ResolvedFailure, ...] = ()  # most recent last
    more_resolved: int = 0

    @property
    def not_supported(self) -> tuple[Segment, ...]:
        """The stretches that were not supported, most recent first (for the Markdown report)."""
        return tuple(s for s in reversed(self.segments) if s.verdict not in SUPPORTED)[:MAX_STRETCHES_LISTED]


@dataclass(frozen=True)
class PeriodView:
    status: str
    note: str
    start: str
    end: str
    days: int
    runs: int
    days_without_run: int
    measures: tuple[Strip, ...]
    clauses: tuple[Strip, ...]
    legend: tuple[tuple[str, str], ...] = tuple((k, SEGMENT_LABEL[k]) for k in SEGMENT_ORDER)
    width: str = f"{STRIP_WIDTH:g}"
    height: str = f"{STRIP_HEIGHT:g}"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def summary(self) -> str:
        """``2026-11-02 – 2026-11-11: 10 days, 8 runs, 2 days without a run.``"""
        runs = f"{self.runs} run" if self.runs == 1 else f"{self.runs} runs"
        return (f"{self.start} – {self.end}: {days_text(self.days)}, {runs}, "
                f"{days_text(self.days_without_run)} without a run.")

    @property
    def clause_groups(self) -> tuple[tuple[str, tuple[Strip, ...]], ...]:
        """The clause strips by DPA profile, in profile order."""
        out: list[tuple[str, list[Strip]]] = []
        for strip in self.clauses:
            if not out or out[-1][0] != strip.profile:
                out.append((strip.profile, []))
            out[-1][1].append(strip)
        return tuple((p, tuple(items)) for p, items in out)


@dataclass(frozen=True)
class ContinuityView:
    since: SinceView
    period: PeriodView


def _resource(item: Mapping[str, Any]) -> str:
    rid, name = _text(item.get("resource_id")), _text(item.get("resource_name"))
    return f"{name} ({rid})" if name and name != rid else rid


def _days_between(start: str, end: str) -> str:
    try:
        return str((date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days)
    except ValueError:
        return ""


def _not_available(doc: Mapping[str, Any] | None) -> tuple[str, str]:
    if doc is None:
        return "absent", "This pack was written without history (e.g. by `auditpack check --out`)."
    status = _text(doc.get("status")) or "unavailable"
    return status, _text(doc.get("reason"))


def since_view(doc: Mapping[str, Any] | None) -> SinceView:
    if doc is None or doc.get("status") != "ok":
        status, note = _not_available(doc)
        return SinceView(status, note, "", "", "", ())
    new_date = _text((doc.get("new") or {}).get("started_at"))
    groups = []
    for key, title in DRIFT_TITLES:
        items = []
        for item in doc.get(key, ()):
            since = _text(item.get("since"))
            items.append(DriftItem(
                check=_text(item.get("check")), provider=_text(item.get("provider")), resource=_resource(item),
                status=_text(item.get("status")), status_before=_text(item.get("status_before")),
                message=_text(item.get("message")), since=since[:10],
                days=_days_between(since, new_date) if since else "", waived=bool(item.get("waived"))))
        groups.append(DriftGroup(key, title, tuple(items)))
    old = doc.get("old") or {}
    return SinceView("ok", "", _text(old.get("id")), _text(old.get("started_at"))[:10], new_date[:10], tuple(groups))


def _strip(subject: Mapping[str, Any], total_days: int, labels: Mapping[str, str]) -> Strip:
    per_day = STRIP_WIDTH / max(total_days, 1)
    segments = []
    offset = 0
    for seg in subject.get("segments", ()):
        days = int(seg.get("days") or 0)
        verdict = _text(seg.get("verdict"))
        segments.append(Segment(f"{offset * per_day:.2f}", f"{days * per_day:.2f}", verdict,
                                SEGMENT_LABEL.get(verdict, verdict), _text(seg.get("from")), _text(seg.get("to")),
                                days))
        offset += days
    supported = int(subject.get("supported_days") or 0)
    attested = sum(s.days for s in segments if s.verdict == "attested")
    share = f"{supported} of {days_text(total_days)} ({100 * supported / total_days:.0f}%)" if total_days else "no days"
    if attested and total_days:
        share += f", {attested} of them attested" if attested != supported else ", all attested"
    kind, key = _text(subject.get("kind")), _text(subject.get("key"))
    heading = _text(subject.get("heading"))
    if kind == "measure":
        label = labels.get(key, key)
    else:
        ref = key.split(": ", 1)[-1]
        label = ref if not heading or ref.startswith(heading) else f"{ref} {heading}"
    failures = tuple(OpenFailure(_text(f.get("check")), _resource(f), _text(f.get("since")),
                                 int(f.get("days") or 0), bool(f.get("waived")))
                     for f in subject.get("open_failures", ()))
    total_failures = int(subject.get("open_failures_total") or len(failures))
    resolved = tuple(ResolvedFailure(_text(f.get("check")), _resource(f), _text(f.get("since")),
                                     _text(f.get("resolved")), int(f.get("days") or 0))
                     for f in subject.get("resolved_failures", ()))
    total_resolved = int(subject.get("resolved_failures_total") or len(resolved))
    return Strip(kind, key, label, _text(subject.get("profile")), tuple(segments), supported, share,
                 segments[-1].label if segments else "", failures, max(0, total_failures - len(failures)),
                 resolved, max(0, total_resolved - len(resolved)))


def period_view(doc: Mapping[str, Any] | None, labels: Mapping[str, str]) -> PeriodView:
    if doc is None or doc.get("status") != "ok":
        status, note = _not_available(doc)
        return PeriodView(status, note, "", "", 0, 0, 0, (), ())
    days = int(doc.get("days") or 0)
    strips = [_strip(s, days, labels) for s in doc.get("subjects", ())]
    note = ""
    if doc.get("history_shorter_than_period"):
        note = (f"The history begins on {_text(doc.get('start'))}: the configured period of "
                f"{days_text(int(doc.get('period_days') or 0))} would start on {_text(doc.get('configured_start'))}, "
                "before anything was recorded.")
    return PeriodView("ok", note, _text(doc.get("start")), _text(doc.get("end")), days, int(doc.get("runs") or 0),
                      int(doc.get("days_without_run") or 0),
                      tuple(s for s in strips if s.kind == "measure"), tuple(s for s in strips if s.kind == "clause"))


def _read(root: Path, rel: str) -> dict[str, Any] | None:
    path = root / rel
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"status": "unavailable", "reason": f"{rel} cannot be read"}
    return doc if isinstance(doc, dict) else {"status": "unavailable", "reason": f"{rel} is not a JSON object"}


def load_continuity(root: Path, measure_labels: Mapping[str, str]) -> ContinuityView:
    return ContinuityView(since_view(_read(root, SINCE_PREVIOUS)),
                          period_view(_read(root, PERIOD), measure_labels))

