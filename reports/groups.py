"""Findings grouped by check: what keeps the report readable at any size.

A pack of 150,000 findings is mostly passes; an auditor reads the exceptions. Each check
becomes one group with its counts ("3 of 412 fail"); the resources behind a ``fail``,
``error`` or ``manual`` are named one by one (the first :data:`PRINT_CAP` in print and in
Markdown, every one on screen); passing resources are a count, with their names in a
collapsed list on screen (up to :data:`PASSING_CAP`). Nothing is lost: findings.json and
findings.csv keep every finding, and the capped lists say which CSV rows hold the rest.

Decided here, not in templates: the order, the caps, which rows are print-only or
screen-only, the one-line sentences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .anchors import check_anchor, open_anchor
from .view import SEVERITY_ORDER, Counts, FindingRow

PRINT_CAP = 6  # open resources per check named in print and in report.md
PASSING_CAP = 100  # passing resource names per check listed (collapsed) on screen
OPEN = ("fail", "error", "manual")


def severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


@dataclass(frozen=True)
class CheckGroup:
    check: str
    title: str
    measure_label: str
    severity: str  # the worst severity among its fails (else among all its findings)
    anchor: str
    open_anchor: str
    counts: Counts
    headline: str  # "3 of 412 fail"
    statuses: str  # space-separated statuses present, for the on-screen filter
    remediation: str
    clauses: tuple[str, ...]  # "profile: ref" the check's findings bear on
    printed: tuple[FindingRow, ...]  # open findings shown everywhere (worst first)
    screen_only: tuple[FindingRow, ...]  # the other open findings: on screen, left out of print
    more: int  # len(screen_only)
    more_where: str  # "findings.csv rows where check = …" (for the rows not printed)
    passing: tuple[str, ...]  # names of pass and n/a resources, listed (collapsed) on screen up to PASSING_CAP
    passing_more: int
    passing_where: str
    passing_count: int  # pass and n/a
    waived: int  # fails under an active waiver
    error_reasons: str  # "3 permission_denied, 1 timeout"
    basis_note: str = ""  # "basis: declared" when some of its findings were not observed

    @property
    def has_open(self) -> bool:
        return bool(self.printed)


def _rank(row: FindingRow) -> tuple[int, int, str, str, str]:
    return (OPEN.index(row.status) if row.status in OPEN else len(OPEN), severity_rank(row.severity),
            row.scope, row.resource_label, row.id)


def _headline(counts: Counts) -> str:
    text = f"{counts.fail} of {counts.total} fail"
    extra = [f"{n} {label}" for n, label in ((counts.error, "error"), (counts.manual, "manual")) if n]
    return text + (", " + ", ".join(extra) if extra else "")


def _group(check: str, items: Sequence[FindingRow]) -> CheckGroup:
    counts = Counts.of(items)
    opened = sorted((r for r in items if r.status in OPEN), key=_rank)
    passing = sorted((r for r in items if r.status not in OPEN), key=lambda r: (r.status, r.scope, r.resource_label))
    fails = [r for r in items if r.status == "fail"]
    severity = min((r.severity for r in (fails or items)), key=severity_rank)
    remediation = Counter(r.remediation for r in opened if r.remediation).most_common(1)
    clauses = sorted({c for r in items for c in r.clauses})
    return CheckGroup(
        check=check, title=items[0].check_title or check, measure_label=items[0].measure_label, severity=severity,
        anchor=check_anchor(check), open_anchor=open_anchor(check), counts=counts, headline=_headline(counts),
        statuses=" ".join(s for s in ("fail", "error", "manual", "pass", "not_applicable")
                          if any(r.status == s for r in items)),
        remediation=remediation[0][0] if remediation else "",
        clauses=tuple(clauses),
        printed=tuple(opened[:PRINT_CAP]), screen_only=tuple(opened[PRINT_CAP:]), more=max(0, len(opened) - PRINT_CAP),
        more_where=f"findings.csv rows where check = {check} and status is fail, error or manual",
        passing=tuple(r.resource_name or r.resource_id for r in passing[:PASSING_CAP]),
        passing_more=max(0, len(passing) - PASSING_CAP),
        passing_where=f"findings.csv rows where check = {check} and status is pass or not_applicable",
        passing_count=len(passing),
        waived=sum(1 for r in fails if r.waiver is not None),
        error_reasons=", ".join(f"{n} {reason or 'unknown reason'}" for reason, n in sorted(
            Counter(r.reason for r in items if r.status == "error").items(), key=lambda kv: (-kv[1], kv[0]))),
        basis_note=_basis_note(items),
    )


def _basis_note(items: Sequence[FindingRow]) -> str:
    """Named only when some finding's fact was not observed: observed is the norm."""
    bases = {r.basis for r in items}
    if not bases - {"observed", ""}:
        return ""
    return "basis: " + ", ".join(b for b in ("observed", "declared", "attested") if b in bases)


def group_rank(group: CheckGroup) -> tuple[int, int, int, int, int, str]:
    """Worst first: groups with fails by severity then breadth, then errors, manual, passes."""
    c = group.counts
    return (0 if c.fail else 1 if c.error else 2 if c.manual else 3, severity_rank(group.severity) if c.fail else 0,
            -c.fail, -c.error, -c.manual, group.check)


def check_groups(rows: Iterable[FindingRow]) -> tuple[CheckGroup, ...]:
    """One group per check, worst first (see :func:`group_rank`)."""
    by_check: dict[str, list[FindingRow]] = {}
    for r in rows:
        by_check.setdefault(r.check, []).append(r)
    return tuple(sorted((_group(check, items) for check, items in by_check.items()), key=group_rank))


__all__ = ["OPEN", "PASSING_CAP", "PRINT_CAP", "CheckGroup", "check_anchor", "check_groups", "group_rank",
           "open_anchor", "severity_rank"]
