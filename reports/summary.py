"""The executive summary: the report's first page, something an auditor can sign off on.

Per DPA, how many clauses the evidence supports, shows non-conformity, needs manual evidence
or leaves incomplete; the ten most important non-conformities (worst severity first, then the
number of failing resources), one sentence each; the completeness statement and the scope.
It must fit one printed A4 page at any size, so every list here is capped and every
outside string in a sentence is shortened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .groups import CheckGroup
from .view import ProfileView, ReportView, ScopeLine, Verdict, VerdictView

TOP = 10  # non-conformities named on the first page
SCOPE_NAMES = 6  # names per scope line on the first page
NAME_CHARS = 40  # an outside name in a sentence is cut to this length
EXAMPLES = 2  # failing resources named in a sentence
COLUMNS = (Verdict.SUPPORTS, Verdict.NONCONFORMITY, Verdict.MANUAL, Verdict.INCOMPLETE)
SHORT_LABEL = {Verdict.SUPPORTS: "Supported", Verdict.NONCONFORMITY: "Non-conformity",
               Verdict.MANUAL: "Manual evidence", Verdict.INCOMPLETE: "Incomplete"}


@dataclass(frozen=True)
class DpaLine:
    anchor: str
    title: str
    id: str
    clauses: int
    supports: int
    nonconformity: int
    manual: int
    incomplete: int

    @property
    def counts(self) -> tuple[int, ...]:
        """In the order of :data:`COLUMNS`."""
        return (self.supports, self.nonconformity, self.manual, self.incomplete)


@dataclass(frozen=True)
class TopIssue:
    severity: str
    anchor: str  # the check's list of failing resources
    sentence: str


@dataclass(frozen=True)
class ScopeSummary:
    label: str
    covered: str  # "3: a, b, c" or "12: a, b, … and 6 more"
    not_covered: str


@dataclass(frozen=True)
class ExecutiveSummary:
    organisation: str
    run_id: str
    window: str
    complete: bool
    completeness: str
    dpas: tuple[DpaLine, ...]
    top: tuple[TopIssue, ...]
    more_nonconformities: int  # checks with fails beyond the ten named
    scope: tuple[ScopeSummary, ...]
    totals: str
    unobserved: str = ""  # clauses and controls supported only by declarations or attestations ("" if none)
    # short labels: the table fits the width of an A4 page
    columns: tuple[VerdictView, ...] = tuple(VerdictView(v, SHORT_LABEL[v]) for v in COLUMNS)


def shorten(text: str, limit: int = NAME_CHARS) -> str:
    """One line, at most ``limit`` characters (an ellipsis marks a cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


def _names(names: Sequence[str], limit: int) -> str:
    if not names:
        return "none"
    shown = ", ".join(shorten(n) for n in names[:limit])
    rest = len(names) - limit
    return f"{len(names)}: {shown}" + (f" and {rest} more" if rest > 0 else "")


def _dpa(p: ProfileView) -> DpaLine:
    n = {v.code: count for v, count in p.verdicts}
    return DpaLine(p.anchor, p.title, p.id, len(p.clauses), n.get(Verdict.SUPPORTS, 0),
                   n.get(Verdict.NONCONFORMITY, 0), n.get(Verdict.MANUAL, 0), n.get(Verdict.INCOMPLETE, 0))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def sentence(group: CheckGroup) -> str:
    """``S3 buckets block public access: not met for 3 of 412 resources (logs, tmp and 1 more);
    bears on 2 DPA clauses.``"""
    c = group.counts
    fails = [r for r in group.printed if r.status == "fail"]
    examples = ", ".join(shorten(r.resource_name or r.resource_id) for r in fails[:EXAMPLES])
    rest = c.fail - min(len(fails), EXAMPLES)
    where = f" ({examples}{f' and {rest} more' if rest > 0 else ''})" if examples else ""
    text = f"{group.title}: not met for {c.fail} of {_plural(c.total, 'resource')}{where}"
    profiles = len(group.clauses)
    if profiles:
        text += f"; bears on {_plural(profiles, 'DPA clause')}"
    if group.waived:
        text += ("; accepted exception" if group.waived == c.fail else
                 f"; {group.waived} under an accepted exception")
    return text + "."


def executive_summary(view: ReportView, groups: Sequence[CheckGroup]) -> ExecutiveSummary:
    """``groups`` worst first (:func:`auditpack.reports.groups.check_groups`)."""
    failing = [g for g in groups if g.counts.fail]
    cover = view.cover
    scope = tuple(ScopeSummary(line.label, _names(line.covered, SCOPE_NAMES),
                               _names(line.not_covered, SCOPE_NAMES) if line.not_covered else "")
                  for line in cover.scope if _is_shown(line))
    return ExecutiveSummary(
        organisation=cover.organisation,
        run_id=cover.run_id,
        window=f"{cover.started_at} to {cover.finished_at} (UTC)",
        complete=cover.complete,
        completeness=cover.completeness,
        dpas=tuple(_dpa(p) for p in view.profiles),
        top=tuple(TopIssue(g.severity, g.open_anchor, sentence(g)) for g in failing[:TOP]),
        more_nonconformities=max(0, len(failing) - TOP),
        scope=scope,
        totals=cover.totals.text,
        unobserved=cover.unobserved,
    )


def _is_shown(line: ScopeLine) -> bool:
    return bool(line.covered or line.not_covered)


__all__ = ["COLUMNS", "DpaLine", "ExecutiveSummary", "ScopeSummary", "TopIssue", "executive_summary", "sentence",
           "shorten"]
