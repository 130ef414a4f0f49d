"""What ``auditpack check`` prints: the findings a person has to act on, then the roll-up.

Failing and errored items first, each ordered by severity then measure, with its severity,
where it is, what was found and the hint wrapped under the item. Then the per-measure
counts, the verdict per DPA clause (the same roll-up the report shows, computed by the
report's own view model) and what the exit code means.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from .model import Finding, Severity, Status

STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.MANUAL, Status.PASS, Status.NOT_APPLICABLE)
SEVERITY_ORDER = tuple(Severity)
INDENT = " " * 6

EXIT_MEANING = {
    0: "exit 0: complete, nothing failing",
    1: "exit 1: complete, with failing findings (not covered by an active waiver)",
    3: "exit 3: INCOMPLETE: some evidence could not be collected (the ERROR items); nothing above is a pass for them",
}


def order(finding: Finding) -> tuple[Any, ...]:
    """Status group (failing, errored, manual, passing, n/a), then severity, then measure."""
    return (STATUS_ORDER.index(finding.status), SEVERITY_ORDER.index(finding.severity), str(finding.measure),
            finding.check, finding.resource.provider, finding.resource.id)


def width() -> int:
    """The terminal's width; into a pipe or a file nothing is wrapped (one greppable line each)."""
    if not sys.stdout.isatty():
        return 100_000
    return max(60, min(120, shutil.get_terminal_size((100, 24)).columns))


def _wrapped(text: str, first: str, columns: int) -> list[str]:
    return textwrap.wrap(text, columns, initial_indent=first, subsequent_indent=" " * len(first),
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def item_lines(finding: Finding, columns: int) -> list[str]:
    from auditpack.reports.view import BASIS_NOTE, MEASURE_LABEL

    label = finding.status.value.upper() + (" (waived)" if finding.waiver else "")
    where = finding.resource.name or finding.resource.id
    if finding.resource.name and finding.resource.name != finding.resource.id:
        where = f"{finding.resource.name} ({finding.resource.id})"
    measure = MEASURE_LABEL.get(str(finding.measure), str(finding.measure))
    lines = [f"{label:<5} {finding.severity.value:<8} {measure}: {finding.check}"]
    basis = str(finding.basis or "")
    if basis in BASIS_NOTE:  # a declaration is never shown as if it had been observed
        lines += _wrapped(f"basis: {BASIS_NOTE[basis]}", INDENT, columns)
    lines += _wrapped(f"[{finding.resource.provider}] {where}", INDENT, columns)
    lines += _wrapped(finding.message, INDENT, columns)
    if finding.remediation and finding.status in (Status.FAIL, Status.ERROR, Status.MANUAL):
        lines += _wrapped(finding.remediation, INDENT + "hint: ", columns)
    waiver = finding.applied_waiver
    if waiver is not None:
        lines += _wrapped(f"accepted until {waiver.expires} by {waiver.owner}: {waiver.reason}", INDENT, columns)
    return lines


def summary_lines(view: Any) -> list[str]:
    """Per measure (counts and verdict) and per DPA (clauses per verdict), from the report view."""
    lines = ["", "Per measure                   fail  error  manual  pass   n/a  verdict"]
    for m in view.measures:
        c = m.counts
        if c.total == 0:
            continue
        lines.append(f"  {m.label:<26} {c.fail:>5} {c.error:>6} {c.manual:>7} {c.passed:>5} {c.not_applicable:>5}"
                     f"  {m.verdict.text}")
    for profile in view.profiles:
        lines.append("")
        lines.append(f"Per DPA: {profile.id} ({profile.title}), {len(profile.clauses)} clauses")
        for verdict, count in profile.verdicts:
            lines.append(f"  {verdict.label:<28} {count:>4}")
    cover = getattr(view, "cover", None)
    if cover is not None and cover.bases:
        lines += ["", f"Findings by basis: {cover.bases}"]
        if cover.unobserved:
            lines.append(cover.unobserved)
    return lines


def print_check(findings: Sequence[Finding], view: Any, exit_code: int, show_all: bool,
                out: Callable[[str], None], columns: int | None = None) -> None:
    columns = columns or width()
    shown = sorted((f for f in findings if show_all or f.status in (Status.FAIL, Status.ERROR)), key=order)
    for finding in shown:
        for line in item_lines(finding, columns):
            out(line)
    if not shown:
        out("No findings." if show_all else "No failing or errored findings.")
    for line in summary_lines(view):
        out(line)
    out("")
    out(EXIT_MEANING.get(exit_code, f"exit {exit_code}"))
