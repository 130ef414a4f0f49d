"""The document the templates render: the view model arranged to stay readable at any size.

:func:`arrange` adds to :class:`~auditpack.reports.view.ReportView` what a large pack needs:
the executive summary (first page), the findings grouped by check, the coverage gaps split
into what is printed and what only the screen shows, and the evidence appendix summed up
per collector and kind (every file with its hash stays listed on screen and in
manifest.json). Templates only loop over what is here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .groups import PRINT_CAP, CheckGroup, check_groups
from .summary import ExecutiveSummary, executive_summary
from .view import AppendixRow, GapRow, ReportView

GAP_PRINT_CAP = 25  # evidence gaps printed (and in report.md); the screen lists every one
APPENDIX_CAP = 300  # evidence files listed with their hashes on screen; manifest.json has every one


@dataclass(frozen=True)
class EvidenceKind:
    collector: str
    kind: str
    files: int
    statuses: str  # "412 collected, 2 error"


@dataclass(frozen=True)
class Report:
    v: ReportView
    summary: ExecutiveSummary
    groups: tuple[CheckGroup, ...]  # every check, worst first
    open_groups: tuple[CheckGroup, ...]  # those with a fail, error or manual finding
    error_groups: tuple[CheckGroup, ...]  # those with an error finding
    gaps_printed: tuple[GapRow, ...]
    gaps_screen_only: tuple[GapRow, ...]
    gaps_more: int
    evidence_kinds: tuple[EvidenceKind, ...]
    appendix_shown: tuple[AppendixRow, ...]
    appendix_more: int
    print_cap: int = PRINT_CAP

    @cached_property
    def appendix_anchors(self) -> frozenset[str]:
        """The appendix rows on the page: a finding links only to those (no dead anchors when
        the appendix is capped)."""
        return frozenset(a.anchor for a in self.appendix_shown)


def _kinds(rows: Sequence[AppendixRow]) -> tuple[EvidenceKind, ...]:
    by_kind: dict[tuple[str, str], Counter[str]] = {}
    for a in rows:
        by_kind.setdefault((a.collector, a.kind), Counter())[a.status] += 1
    return tuple(EvidenceKind(collector, kind, sum(c.values()), ", ".join(f"{n} {s}" for s, n in sorted(c.items())))
                 for (collector, kind), c in sorted(by_kind.items()))


def arrange(view: ReportView) -> Report:
    groups = check_groups(view.findings)
    return Report(
        v=view,
        summary=executive_summary(view, groups),
        groups=groups,
        open_groups=tuple(g for g in groups if g.has_open),
        error_groups=tuple(g for g in groups if g.counts.error),
        gaps_printed=view.gaps[:GAP_PRINT_CAP],
        gaps_screen_only=view.gaps[GAP_PRINT_CAP:],
        gaps_more=max(0, len(view.gaps) - GAP_PRINT_CAP),
        evidence_kinds=_kinds(view.appendix),
        appendix_shown=view.appendix[:APPENDIX_CAP],
        appendix_more=max(0, len(view.appendix) - APPENDIX_CAP),
    )


__all__ = ["APPENDIX_CAP", "GAP_PRINT_CAP", "EvidenceKind", "Report", "arrange"]
