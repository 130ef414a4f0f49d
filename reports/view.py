"""The report's view model: everything the templates show, decided here, tested on its own.

Templates hold no logic beyond loops; this module reads a pack's stored files and prepares
plain frozen data: the cover, summaries, each DPA profile clause by clause, the ISO/IEC
27001:2022 Annex A and GDPR views, coverage gaps, findings, manual evidence, accepted
exceptions and the evidence appendix. Strings from the outside world are kept as they are;
escaping is the renderer's job (HTML autoescape, a Markdown escaping finalizer).

Verdict roll-up per clause and per control (docs/reports.md): any ``fail`` ->
"evidence of non-conformity"; else any ``error`` -> "incomplete evidence"; all ``pass`` /
``not_applicable`` -> "evidence supports"; nothing automated (no findings, or only
``manual``) -> "manual evidence required". A ``fail`` under an active waiver stays a fail:
the verdict is still non-conformity, labelled "(accepted exception)" when every fail behind
it is waived. A mix of ``pass`` and ``manual`` is "manual evidence required": the automated
part cannot support the clause while a person still has to show the rest (claiming support
there would be a false pass); the counts show both.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditpack.catalogs import GDPR_PREFIX, ISO_PREFIX, Catalogs, load_catalogs
from auditpack.model import AppliedWaiver, Finding, Measure
from auditpack.pack import file_hashes
from auditpack.packmodel import Context, FindingsDocument, IndexEntry, Pack, ProfileEntry, RunInfo

from .anchors import check_anchor, open_anchor
from .continuity import ContinuityView, load_continuity

STATUS_ORDER = ("fail", "error", "manual", "pass", "not_applicable")
STATUS_LABEL = {"pass": "pass", "fail": "fail", "error": "error", "manual": "manual", "not_applicable": "n/a"}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
MEASURE_LABEL = {
    "eea_residency": "EEA residency",
    "transfer_safeguards": "Transfer safeguards",
    "encryption_at_rest": "Encryption at rest",
    "encryption_in_transit": "Encryption in transit",
    "access_control": "Access control",
    "access_logging": "Access logging",
    "backups": "Backups",
    "backup_testing": "Backup testing",
    "vulnerability_management": "Vulnerability management",
    "network_security": "Network security",
    "physical_security": "Physical security",
    "breach_notification": "Breach notification",
    "subprocessor_list": "Sub-processor list",
    "audit_rights": "Audit rights",
    "deletion_on_termination": "Deletion on termination",
    "certification": "Certification",
}
PARAMETER_LABEL = {
    "residency": "Allowed residency",
    "breach_deadline_hours": "Breach notification deadline (hours)",
    "deletion_days": "Deletion deadline (days)",
    "audit_frequency": "Audit frequency",
    "backup_max_age_hours": "Maximum backup age (hours)",
    "backup_test_max_age_days": "Maximum age of a backup test (days)",
    "snapshot_max_age_hours": "Maximum snapshot age (hours)",
    "tls_min_version": "Minimum TLS version",
    "certificate_min_days": "Minimum certificate validity (days)",
    "access_key_max_age_days": "Maximum access key age (days)",
    "admin_ports": "Administrative ports",
    "database_ports": "Database ports",
    "admin_sources": "Networks allowed to reach admin ports",
    "evidence_max_age_hours": "Evidence counts as current for (hours)",
}
SCOPE_LABEL = {"aws": "AWS accounts", "hetzner": "Hetzner projects", "ssh": "SSH hosts", "tls": "TLS endpoints"}
OPEN_CHECKS_SHOWN = 3  # per control row; the findings overview has every check
LOCATION_LABEL = {"aws": "AWS regions", "hetzner": "Hetzner locations", "ssh": "Declared countries"}


BASIS_NOTE = {"declared": "declared in the configuration, not observed",
              "attested": "attested by an attached document, not observed"}


class Verdict(StrEnum):
    NONCONFORMITY = "nonconformity"
    INCOMPLETE = "incomplete"
    MANUAL = "manual"
    SUPPORTS = "supports"


VERDICT_LABEL = {
    Verdict.SUPPORTS: "Evidence supports",
    Verdict.NONCONFORMITY: "Evidence of non-conformity",
    Verdict.INCOMPLETE: "Incomplete evidence",
    Verdict.MANUAL: "Manual evidence required",
}
VERDICT_ORDER = tuple(Verdict)


@dataclass(frozen=True)
class VerdictView:
    code: str  # a Verdict value: also the CSS class
    label: str
    accepted: bool = False  # every fail behind it is under an active waiver
    attested: bool = False  # support rests (also) on a current attached document, not only on observation
    unobserved: str = ""  # support rests only on "declared", "attested" or "declared and attested" facts

    @property
    def text(self) -> str:
        if self.accepted:
            return f"{self.label} (accepted exception)"
        if self.unobserved:
            return f"{self.label} ({self.unobserved} only, not observed)"
        return f"{self.label} (attested)" if self.attested else self.label


def _unobserved(passes: Sequence[FindingRow], attested: bool) -> str:
    """What support rests on when nothing behind it was observed: "declared", "attested",
    "declared and attested"; "" when some passing finding was observed (or is from a pack
    that did not record bases)."""
    if any(f.basis in ("observed", "") for f in passes):
        return ""
    bases = {f.basis for f in passes} | ({"attested"} if attested else set())
    return " and ".join(b for b in ("declared", "attested") if b in bases)


_status = attrgetter("status")  # a finding's status, read in C by map() over many findings


def rollup(findings: Iterable[FindingRow], attesting: Iterable[Document] = ()) -> VerdictView:
    """The four-verdict roll-up over the findings behind a clause or a control.

    ``attesting``: the attached documents that name this clause or control. A current one
    answers what no automated finding can (no findings, or some still ``manual``): the
    verdict is "supports", marked attested. It never outweighs a fail or an error.
    Support that rests on no observation (only declared findings and attesting documents)
    says so: "Evidence supports (declared only, not observed)".
    """
    items = list(findings)
    statuses = set(map(_status, items))  # in C: a control can have 100,000 findings behind it
    current = [d for d in attesting if d.current]
    if "fail" in statuses:
        accepted = all(f.waiver is not None for f in items if f.status == "fail")  # stops at the first unwaived
        return VerdictView(Verdict.NONCONFORMITY, VERDICT_LABEL[Verdict.NONCONFORMITY], accepted)
    if "error" in statuses:
        return VerdictView(Verdict.INCOMPLETE, VERDICT_LABEL[Verdict.INCOMPLETE])
    if statuses and statuses <= {"pass", "not_applicable"}:
        passes = [f for f in items if f.status == "pass"]
        unobserved = _unobserved(passes, bool(current)) if passes or current else ""
        return VerdictView(Verdict.SUPPORTS, VERDICT_LABEL[Verdict.SUPPORTS], attested=bool(current),
                           unobserved=unobserved)
    if current:
        passes = [f for f in items if f.status == "pass"]
        return VerdictView(Verdict.SUPPORTS, VERDICT_LABEL[Verdict.SUPPORTS], attested=True,
                           unobserved=_unobserved(passes, True))
    return VerdictView(Verdict.MANUAL, VERDICT_LABEL[Verdict.MANUAL])  # none, or some still manual


# --- rows -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    fail: int = 0
    error: int = 0
    manual: int = 0
    passed: int = 0
    not_applicable: int = 0

    @classmethod
    def of(cls, findings: Iterable[FindingRow]) -> Counts:
        c = Counter(map(_status, findings))
        return cls(c["fail"], c["error"], c["manual"], c["pass"], c["not_applicable"])

    @property
    def total(self) -> int:
        return self.fail + self.error + self.manual + self.passed + self.not_applicable

    @property
    def text(self) -> str:
        parts = [(self.fail, "fail"), (self.error, "error"), (self.manual, "manual"), (self.passed, "pass"),
                 (self.not_applicable, "n/a")]
        return ", ".join(f"{n} {label}" for n, label in parts if n) or "no findings"


@dataclass(frozen=True)
class FindingRow:
    id: str  # F-0001, in findings.json order
    check: str
    check_title: str
    measure: str
    measure_label: str
    status: str
    status_label: str
    severity: str
    provider: str
    resource_type: str
    resource_id: str
    resource_name: str
    location: str
    scope: str
    message: str
    remediation: str
    reason: str  # error reason, for gaps
    register_entry: str  # the sub-processor register entry a reconciliation finding is about
    controls: tuple[str, ...]
    clauses: tuple[str, ...]  # "profile: ref"
    evidence: tuple[str, ...]
    waiver: AppliedWaiver | None
    basis: str = ""  # observed | declared | attested; "" in packs written before findings said it

    @property
    def basis_note(self) -> str:
        """Said next to a finding whose fact was not observed (never shown as if it were)."""
        return BASIS_NOTE.get(self.basis, "")

    @property
    def evidence_links(self) -> tuple[EvidenceLink, ...]:
        """Each evidence path as a relative link to the file in the pack and to its appendix row."""
        return tuple(EvidenceLink(p, quote(p), evidence_anchor(p) if p.startswith("evidence/") else "manual")
                     for p in self.evidence)

    @property
    def controls_label(self) -> str:
        """Compact: ``ISO A.5.23, A.8.24 · GDPR Art. 32(1)(a)``."""
        iso = [c.split("/", 1)[1] for c in self.controls if c.startswith("ISO27001:2022/")]
        gdpr = ["Art. " + c[len(GDPR_PREFIX):] for c in self.controls if c.startswith(GDPR_PREFIX)]
        parts = ([f"ISO 27001 {', '.join(iso)}"] if iso else []) + ([f"GDPR {', '.join(gdpr)}"] if gdpr else [])
        return " · ".join(parts)

    @property
    def resource_label(self) -> str:
        if self.resource_name and self.resource_name != self.resource_id:
            return f"{self.resource_name} ({self.resource_id})"
        return self.resource_id


def evidence_anchor(path: str) -> str:
    """The id of an evidence file's appendix row (stable, HTML-safe, unique per path)."""
    return "ev-" + hashlib.sha256(path.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class EvidenceLink:
    path: str
    href: str  # relative to the pack folder: works when the folder is opened or unzipped
    anchor: str  # the appendix row (or the manual evidence section)

    @property
    def name(self) -> str:
        """The file name shown as the link's text (the href has the whole path): at 150,000
        findings the full path twice per row made report.html 0.5 MB larger."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CheckSummary:
    check: str
    title: str
    counts: Counts

    @property
    def anchor(self) -> str:
        """Its row in the findings overview (where every check has one)."""
        return check_anchor(self.check)

    @property
    def open_anchor(self) -> str:
        """Its list of failing, errored and manual resources (only checks with any have one)."""
        return open_anchor(self.check)

    @property
    def is_open(self) -> bool:
        c = self.counts
        return bool(c.fail or c.error or c.manual)

    @property
    def link(self) -> str:
        """Where a reader goes from a clause or control: the named failing resources if any."""
        return self.open_anchor if self.is_open else self.anchor


@dataclass(frozen=True)
class Document:
    title: str
    path: str
    sha256: str
    date: str
    measures: tuple[str, ...]
    integrity: str  # "matches" | "missing" | "changed"
    clauses: tuple[str, ...] = ()  # "profile: ref" it answers
    controls: tuple[str, ...] = ()  # catalog refs it answers
    reviewer: str = ""
    valid_until: str = ""
    current: bool = False  # attests only when current and its file matches the pack

    @property
    def attests(self) -> bool:
        return bool(self.clauses or self.controls)

    @property
    def state(self) -> str:
        if not self.attests:
            return "attached (answers no clause or control)"
        if not self.current:
            return f"EXPIRED {self.valid_until}: supports nothing" if self.valid_until else "supports nothing"
        return f"attested, valid until {self.valid_until}" if self.valid_until else "attested"


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class ClauseView:
    anchor: str
    ref: str
    heading: str  # shown only when the reference does not already name it
    quote: str
    note: str
    manual_only: bool
    measures: tuple[str, ...]  # labels
    parameters: tuple[Parameter, ...]
    verdict: VerdictView
    counts: Counts
    checks: tuple[CheckSummary, ...]  # the check groups behind it, worst first
    documents: tuple[Document, ...]

    @property
    def open_checks(self) -> tuple[CheckSummary, ...]:
        """Checks with a fail, error or manual finding behind it: printed."""
        return tuple(s for s in self.checks if s.is_open)

    @property
    def passing_checks(self) -> tuple[CheckSummary, ...]:
        """Checks with only passing (or n/a) findings behind it: listed on screen, counted in print."""
        return tuple(s for s in self.checks if not s.is_open)


@dataclass(frozen=True)
class RegisterRow:
    name: str
    service: str
    location: str
    note: str
    coverage: str  # what the reconciliation found for it


@dataclass(frozen=True)
class ProfileView:
    id: str
    anchor: str
    title: str
    processor: str
    counterpart: str
    date: str
    language: str
    source: str
    source_copy: Document | None  # the DPA document itself, copied into the pack (manual/)
    parameters: tuple[Parameter, ...]
    clauses: tuple[ClauseView, ...]
    verdicts: tuple[tuple[VerdictView, int], ...]  # clause count per verdict
    register_clause: str
    register: tuple[RegisterRow, ...]
    draft: bool = False  # an unreviewed draft from `auditpack dpa import`: the report says so


@dataclass(frozen=True)
class ControlView:
    ref: str
    id: str
    title: str
    group: str
    verdict: VerdictView
    counts: Counts
    measures: tuple[str, ...]
    open_checks: tuple[CheckSummary, ...]  # the check groups behind a fail/error, worst first
    documents: tuple[str, ...]

    @property
    def open_checks_shown(self) -> tuple[CheckSummary, ...]:
        """The worst few, so a control's row stays a row; the rest are counted."""
        return self.open_checks[:OPEN_CHECKS_SHOWN]

    @property
    def open_checks_more(self) -> int:
        return max(0, len(self.open_checks) - OPEN_CHECKS_SHOWN)


@dataclass(frozen=True)
class CatalogView:
    title: str
    note: str
    controls: tuple[ControlView, ...]
    verdicts: tuple[tuple[VerdictView, int], ...]

    @property
    def groups(self) -> tuple[tuple[str, tuple[ControlView, ...]], ...]:
        """The controls by theme, in catalog order."""
        out: list[tuple[str, list[ControlView]]] = []
        for control in self.controls:
            if not out or out[-1][0] != control.group:
                out.append((control.group, []))
            out[-1][1].append(control)
        return tuple((group, tuple(items)) for group, items in out)


@dataclass(frozen=True)
class MeasureSummary:
    measure: str
    label: str
    counts: Counts
    verdict: VerdictView


@dataclass(frozen=True)
class CollectorRow:
    id: str
    status: str
    error: str
    evidence: int
    errors: int
    seconds: str


@dataclass(frozen=True)
class ScopeLine:
    label: str
    covered: tuple[str, ...]
    not_covered: tuple[str, ...]


@dataclass(frozen=True)
class Cover:
    organisation: str
    contact: str
    run_id: str
    started_at: str
    finished_at: str
    tool_version: str
    complete: bool
    completeness: str
    scope: tuple[ScopeLine, ...]
    profiles: tuple[str, ...]
    totals: Counts
    policy: tuple[Parameter, ...]
    drafts: tuple[str, ...] = ()  # ids of unreviewed draft profiles (banner on the cover)
    bases: str = ""  # the findings by basis: "120 observed, 2 declared in the configuration (not observed)"
    unobserved: str = ""  # clauses and controls supported only by declarations or attestations ("" if none)


@dataclass(frozen=True)
class GapRow:
    collector: str
    kind: str
    resource: str
    scope: str
    status: str
    reason: str
    error: str
    path: str


@dataclass(frozen=True)
class WaiverRow:
    check: str
    resource: str
    owner: str
    reason: str
    expires: str
    active: bool
    state: str
    findings: tuple[str, ...]

    @property
    def anchor(self) -> str:
        """The failing resources of its check, where the waived ones are named."""
        return open_anchor(self.check)


@dataclass(frozen=True)
class AppendixRow:
    anchor: str
    path: str
    file_sha256: str
    raw_sha256: str
    kind: str
    status: str
    collector: str
    scope: str
    resource: str
    collected_at: str
    source: str
    basis: str = ""  # how its facts are known (evidence/index.json); "" in packs from before


@dataclass(frozen=True)
class ReportView:
    cover: Cover
    measures: tuple[MeasureSummary, ...]
    profiles: tuple[ProfileView, ...]
    iso: CatalogView
    gdpr: CatalogView
    collectors: tuple[CollectorRow, ...]
    gaps: tuple[GapRow, ...]
    findings: tuple[FindingRow, ...]  # detail order: status, severity, measure, check, resource
    documents: tuple[Document, ...]
    waivers: tuple[WaiverRow, ...]
    appendix: tuple[AppendixRow, ...]
    verdict_legend: tuple[VerdictView, ...] = field(default=tuple(VerdictView(v, VERDICT_LABEL[v]) for v in Verdict))
    continuity: ContinuityView | None = None  # the history sections (reports/continuity.py)


# --- building -------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if type(value) is str:  # the common case, first: 150,000 findings call this millions of times
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _new_row(**fields: Any) -> FindingRow:
    """A FindingRow made without the frozen dataclass's ``object.__setattr__`` per field (23
    calls a row: a second at 150,000 findings); every field is given, and the row is as
    immutable afterwards as one made by ``FindingRow(...)``."""
    row = object.__new__(FindingRow)
    row.__dict__.update(fields)
    return row


def _finding_rows(findings: Sequence[Finding], titles: Mapping[str, str]) -> list[FindingRow]:
    width = max(4, len(str(len(findings))))
    rows = []
    for n, f in enumerate(findings, 1):
        res, details = f.resource, f.details
        measure, status = str(f.measure), str(f.status)
        rows.append(_new_row(
            id=f"F-{n:0{width}d}",
            check=f.check,
            check_title=titles.get(f.check, ""),
            measure=measure,
            measure_label=MEASURE_LABEL.get(measure, measure),
            status=status,
            status_label=STATUS_LABEL.get(status, status),
            severity=str(f.severity),
            provider=_text(res.provider),
            resource_type=_text(res.type),
            resource_id=_text(res.id),
            resource_name=_text(res.name),
            location=_text(res.location),
            scope=_text(res.scope),
            message=_text(f.message),
            remediation=_text(f.remediation),
            reason=_text(details.get("reason")) if isinstance(details, Mapping) else "",
            register_entry=_text(details.get("register_entry")) if isinstance(details, Mapping) else "",
            controls=tuple(f.controls),
            clauses=tuple(f"{c.profile}: {c.clause}" for c in f.clauses),
            evidence=tuple(f.evidence),
            waiver=f.applied_waiver,
            basis=str(f.basis) if f.basis is not None else "",
        ))
    return rows


def _rank(row: FindingRow) -> tuple[Any, ...]:
    status = STATUS_ORDER.index(row.status) if row.status in STATUS_ORDER else len(STATUS_ORDER)
    severity = SEVERITY_ORDER.index(row.severity) if row.severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    return (status, severity, row.measure, row.check, row.scope, row.resource_id, row.id)


def _verdict_counts(verdicts: Iterable[VerdictView]) -> tuple[tuple[VerdictView, int], ...]:
    c = Counter(v.code for v in verdicts)
    return tuple((VerdictView(v, VERDICT_LABEL[v]), c[v]) for v in VERDICT_ORDER)


def _check_summaries(rows: Sequence[FindingRow]) -> tuple[CheckSummary, ...]:
    by_check: dict[str, list[FindingRow]] = {}
    for r in rows:
        by_check.setdefault(r.check, []).append(r)
    summaries = (CheckSummary(check, items[0].check_title, Counts.of(items)) for check, items in by_check.items())
    return tuple(sorted(summaries, key=lambda s: (-s.counts.fail, -s.counts.error, -s.counts.manual, s.check)))


def _documents(context: Context, hashes: Mapping[str, str]) -> list[Document]:
    out = []
    for doc in context.manual_evidence:
        path = doc.path
        actual = hashes.get(path)
        integrity = "missing" if actual is None else ("matches" if actual == doc.sha256 else "changed")
        controls = (*(ISO_PREFIX + c for c in doc.iso), *(GDPR_PREFIX + a for a in doc.gdpr))
        out.append(Document(doc.title, path, doc.sha256, _text(doc.date),
                            tuple(MEASURE_LABEL.get(m, m) for m in doc.measures), integrity,
                            clauses=tuple(_text(c) for c in doc.clauses), controls=controls,
                            reviewer=_text(doc.reviewer), valid_until=_text(doc.valid_until),
                            current=doc.current and integrity == "matches"))
    return sorted(out, key=lambda d: (d.title, d.path))


def _parameter(key: str, value: Any) -> Parameter:
    return Parameter(key, PARAMETER_LABEL.get(key, key), _text(value))


def _register(profile: ProfileEntry, rows: Sequence[FindingRow]) -> tuple[RegisterRow, ...]:
    """What the reconciliation found for each register entry (the checks name the entry in
    their details as ``register_entry``)."""
    pid = profile.id
    measure = Measure.SUBPROCESSOR_LIST.value  # a plain str: read once, compared 150,000 times
    mine = [r for r in rows if r.measure == measure and any(c.startswith(f"{pid}: ") for c in r.clauses)]
    out = []
    for entry in profile.subprocessors:
        name = entry.name
        about = [r for r in mine if r.register_entry == name]
        uses = [r for r in about if r.check.endswith("_registered") and r.status != "manual"]
        located = [r for r in about if r.check.endswith("_location_declared")]
        if any(r.check.endswith("_registered") and r.status == "manual" for r in about):
            coverage = "not covered by any collector (manual evidence required)"
        elif uses:
            scopes = sorted({r.resource_label for r in uses})
            where = Counts.of(located).text if located else "no location finding"
            coverage = f"in use: {', '.join(scopes)}; location check: {where}"
        else:
            coverage = "not reconciled in this run"
        out.append(RegisterRow(name, entry.service, entry.location, _text(entry.note), coverage))
    return tuple(out)


def _behind_each(rows: Sequence[FindingRow],
                 refs: Callable[[FindingRow], Iterable[str]]) -> dict[str, list[FindingRow]]:
    """The findings behind each reference ``refs(row)`` names, in one pass over the findings
    (shared by every profile, or by both catalogs, instead of one pass each)."""
    behind: dict[str, list[FindingRow]] = {}
    for r in rows:
        for ref in refs(r):
            behind.setdefault(ref, []).append(r)
    return behind


_by_clause = partial(_behind_each, refs=attrgetter("clauses"))  # "profile: ref" -> its findings
_by_control = partial(_behind_each, refs=attrgetter("controls"))  # control ref -> its findings


def _profile_view(n: int, profile: ProfileEntry, rows: Sequence[FindingRow],
                  documents: Sequence[Document], behind_of: Mapping[str, list[FindingRow]] | None = None
                  ) -> ProfileView:
    """``behind_of``: :func:`_by_clause` of ``rows``, when the caller has it already."""
    info = profile.profile
    pid = info.id
    params = profile.parameters
    if behind_of is None:
        behind_of = _by_clause(rows)
    clauses = []
    for i, clause in enumerate(profile.clauses, 1):
        key = f"{pid}: {clause.ref}"
        heading = _text(clause.heading)
        behind = [] if clause.manual else behind_of.get(key, [])
        measures = tuple(MEASURE_LABEL.get(m, m) for m in clause.measures)
        attesting = [d for d in documents if key in d.clauses]
        clauses.append(ClauseView(
            anchor=f"p{n}-c{i}",
            ref=clause.ref,
            heading="" if heading and clause.ref.startswith(heading) else heading,
            quote=clause.quote,
            note=_text(clause.note),
            manual_only=clause.manual,
            measures=measures,
            parameters=tuple(_parameter(k, params[k]) for k in clause.parameters if k in params),
            verdict=rollup(behind, attesting),
            counts=Counts.of(behind),
            checks=_check_summaries(behind),
            documents=tuple(d for d in documents if key in d.clauses or set(d.measures) & set(measures)),
        ))
    return ProfileView(
        id=pid,
        anchor=f"p{n}",
        title=info.title,
        processor=info.processor,
        counterpart=info.counterpart,
        date=_text(info.date),
        language=info.language,
        source=_text(info.source),
        source_copy=next((d for d in documents if d.path == profile.source_copy.path), None)
        if profile.source_copy is not None else None,
        parameters=tuple(_parameter(k, v) for k, v in sorted(params.items())),
        clauses=tuple(clauses),
        verdicts=_verdict_counts(c.verdict for c in clauses),
        register_clause=_text(profile.subprocessor_clause),
        register=_register(profile, rows),
        draft=info.draft,
    )


_measure_label = attrgetter("measure_label")


def _catalog_view(title: str, note: str, controls: Sequence[tuple[str, str, str, str]], rows: Sequence[FindingRow],
                  catalogs: Catalogs, documents: Sequence[Document],
                  by_ref: Mapping[str, list[FindingRow]] | None = None) -> CatalogView:
    """``controls``: (ref, id, title, group) in catalog order; ``by_ref``: :func:`_by_control`
    of ``rows``, when the caller has it already."""
    if by_ref is None:
        by_ref = _by_control(rows)
    measures_of: dict[str, list[str]] = {}
    for measure, refs in catalogs.measures.items():
        for ref in refs:
            measures_of.setdefault(ref, []).append(MEASURE_LABEL.get(str(measure), str(measure)))
    views = []
    for ref, cid, ctitle, group in controls:
        behind = by_ref.get(ref, [])
        # the measures mapped to the control, and those of findings a check-specific mapping adds
        measures = tuple(dict.fromkeys([*measures_of.get(ref, ()), *map(_measure_label, behind)]))
        views.append(ControlView(
            ref=ref, id=cid, title=ctitle, group=group,
            verdict=rollup(behind, [d for d in documents if ref in d.controls]), counts=Counts.of(behind),
            measures=measures,
            open_checks=_check_summaries([r for r in behind if r.status in ("fail", "error")]),
            documents=tuple(d.title for d in documents if ref in d.controls or set(d.measures) & set(measures)),
        ))
    return CatalogView(title, note, tuple(views), _verdict_counts(v.verdict for v in views))


def _gdpr_key(article: str) -> tuple[int, str]:
    number = ""
    for ch in article:
        if not ch.isdigit():
            break
        number += ch
    return (int(number or 0), article)


def _moment(value: Any) -> str:
    """``2026-11-21T06:04:03.458507Z`` -> ``2026-11-21 06:04:03``; anything else as it is."""
    text = _text(value)
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|\+00:00)", text)
    return f"{match.group(1)} {match.group(2)}" if match else text


def _organisation_lines(index: Sequence[IndexEntry]) -> list[ScopeLine]:
    """An AWS Organization's accounts: which were collected, which failed, which were skipped and why."""
    collected, failed, skipped = [], [], []
    for item in index:
        if item.kind != "aws.organization_account":
            continue
        account = _text(item.resource.id)
        if item.status == "collected":
            collected.append(account)
        elif item.status == "skipped":
            skipped.append(f"{account} ({_text(item.error)})")
        else:
            failed.append(account)
    if not (collected or failed or skipped):
        return []
    return [ScopeLine("AWS organisation accounts", tuple(sorted(collected)), tuple(sorted(failed))),
            ScopeLine("AWS organisation accounts skipped", tuple(sorted(skipped)), ())]


def _cover(context: Context, run: RunInfo, index: Sequence[IndexEntry], rows: Sequence[FindingRow]) -> Cover:
    org = context.organisation
    covered: dict[str, set[str]] = {}
    seen_scopes: dict[str, set[str]] = {}
    locations: dict[str, set[str]] = {}
    for item in index:
        collector = item.collector
        res = item.resource
        scope = item.scope
        if item.status == "skipped":  # a deliberate non-read (said why), not a missing scope
            continue
        seen_scopes.setdefault(collector, set()).add(scope)
        if item.status == "collected":
            covered.setdefault(collector, set()).add(scope)
            if res.location and res.location != "global":
                locations.setdefault(collector, set()).add(res.location)
    lines = []
    for c in run.collectors:
        cid = c.id
        if c.status == "skipped":
            continue
        ok = covered.get(cid, set())
        # a scope is "not covered" when evidence was attempted there and none was collected; the
        # configured scope names (e.g. an AWS profile name) count only when nothing was collected
        missing = seen_scopes.get(cid, set()) - ok
        if not ok:
            missing |= {_text(s) for s in c.scopes}
        lines.append(ScopeLine(SCOPE_LABEL.get(cid, f"{cid} scopes"), tuple(sorted(ok)),
                               tuple(sorted(missing - {"global", ""}))))
        if locations.get(cid):
            lines.append(ScopeLine(LOCATION_LABEL.get(cid, f"{cid} locations"), tuple(sorted(locations[cid])), ()))
    lines += _organisation_lines(index)
    complete = run.complete
    errors = sum(1 for r in rows if r.status == "error")
    completeness = ("Complete: every configured source was read." if complete else
                    f"Incomplete: some evidence could not be collected ({errors} finding(s) with status error); "
                    "see Coverage gaps.")
    shard = run.shard
    if shard is not None:
        completeness = (f"Partial pack: shard {shard.index}/{shard.count} of plan "
                        f"{shard.plan[:12]}. It holds evidence only; the findings are computed over "
                        "every part by auditpack merge. " + ("Its evidence is complete." if complete else
                                                             "Some of its evidence could not be collected."))
    if run.merged_from:
        completeness += f" Merged from {len(run.merged_from)} partial packs (their manifests are in parts/)."
    return Cover(
        organisation=_text(org.name or run.organisation),
        contact=_text(org.contact),
        run_id=run.id,
        started_at=_moment(run.started_at),
        finished_at=_moment(run.finished_at),
        tool_version=run.tool_version,
        complete=complete,
        completeness=completeness,
        scope=tuple(lines),
        profiles=tuple(f"{p.id}: {p.profile.title}" for p in context.profiles),
        totals=Counts.of(rows),
        drafts=tuple(p.id for p in context.profiles if p.profile.draft),
        policy=tuple(_parameter(k, v) for k, v in sorted(context.policy.items()) if v is not None),
    )


BASIS_COUNT_LABEL = (("observed", "observed"), ("declared", "declared in the configuration (not observed)"),
                     ("attested", "attested by a document (not observed)"), ("", "basis not recorded"))


def _bases_text(rows: Sequence[FindingRow]) -> str:
    c = Counter(r.basis if r.basis in ("observed", "declared", "attested") else "" for r in rows)
    return ", ".join(f"{c[key]} {label}" for key, label in BASIS_COUNT_LABEL if c[key]) or "no findings"


def _unobserved_text(profiles: Sequence[ProfileView], iso: CatalogView, gdpr: CatalogView,
                     rows: Sequence[FindingRow]) -> str:
    """The cover's count of clauses and controls whose support rests on no observation ("" for
    a pack whose findings do not record their basis: nothing can be said)."""
    per_dpa = [(p.id, sum(1 for c in p.clauses if c.verdict.unobserved)) for p in profiles]
    clauses = sum(n for _, n in per_dpa)
    iso_n = sum(1 for c in iso.controls if c.verdict.unobserved)
    gdpr_n = sum(1 for c in gdpr.controls if c.verdict.unobserved)
    if not (clauses or iso_n or gdpr_n):
        recorded = any(r.basis for r in rows) or any(c.verdict.attested for p in profiles for c in p.clauses)
        return "No clause or control is supported only by declarations or attestations." if recorded else ""
    which = ", ".join(f"{pid} {n}" for pid, n in per_dpa if n)
    return (f"Supported only by declarations or attestations, not by observation: {clauses} DPA clause(s)"
            + (f" ({which})" if which else "") + f", {iso_n} ISO 27001 control(s), {gdpr_n} GDPR article(s).")


def _waivers(context: Context, rows: Sequence[FindingRow]) -> tuple[WaiverRow, ...]:
    out = []
    for w in context.waivers:
        covered = tuple(r.id for r in rows if r.waiver is not None and r.check == w.check
                        and r.waiver.owner == w.owner and r.waiver.expires == w.expires)
        state = "active" if w.active else "expired: no longer applies (the findings it covered count as open)"
        out.append(WaiverRow(w.check, w.resource, w.owner, w.reason, w.expires, w.active, state, covered))
    return tuple(sorted(out, key=lambda w: (not w.active, w.check, w.resource, w.expires)))


def build_view(findings_doc: FindingsDocument, context: Context, index: Sequence[IndexEntry],
               hashes: Mapping[str, str], catalogs: Catalogs | None = None) -> ReportView:
    """The whole report from a pack's stored data (:mod:`auditpack.packmodel`). ``hashes``:
    SHA-256 of the pack's evidence and manual files by relative path (as on disk now)."""
    catalogs = catalogs or load_catalogs()
    run = findings_doc.run
    rows = _finding_rows(findings_doc.findings, context.check_titles())
    documents = _documents(context, hashes)

    by_measure: dict[str, list[FindingRow]] = {}
    for r in rows:
        by_measure.setdefault(r.measure, []).append(r)
    measures = tuple(
        MeasureSummary(m.value, MEASURE_LABEL[m.value], Counts.of(by_measure.get(m.value, ())),
                       rollup(by_measure.get(m.value, ()),  # a document attests the measures it lists too
                              [d for d in documents if d.attests and MEASURE_LABEL[m.value] in d.measures]))
        for m in Measure
    )
    behind_of = _by_clause(rows)
    profiles = tuple(_profile_view(n, p, rows, documents, behind_of) for n, p in enumerate(context.profiles, 1))
    by_ref = _by_control(rows)
    iso_controls = [(c.ref, c.id, c.title, c.theme) for c in catalogs.iso.values()]
    iso = _catalog_view("ISO/IEC 27001:2022 Annex A",
                        "Short control titles only (the control text is ISO's copyright). A finding is evidence "
                        "for or against a control; it never decides that a control failed.",
                        iso_controls, rows, catalogs, documents, by_ref)
    mapped = {ref for refs in catalogs.measures.values() for ref in refs} | {
        ref for refs in catalogs.checks.values() for ref in refs}
    gdpr_refs = sorted((r for r in mapped if r.startswith(GDPR_PREFIX)), key=lambda r: _gdpr_key(r[len(GDPR_PREFIX):]))
    gdpr_controls = [(ref, "Art. " + ref[len(GDPR_PREFIX):], catalogs.describe(ref).title, "") for ref in gdpr_refs]
    gdpr = _catalog_view("GDPR (Regulation (EU) 2016/679)", "The articles the measures map to.",
                         gdpr_controls, rows, catalogs, documents, by_ref)

    collectors = tuple(
        CollectorRow(c.id, c.status, _text(c.error), c.evidence, c.errors, f"{float(c.seconds):.1f}")
        for c in run.collectors)
    gaps = tuple(sorted(
        (GapRow(i.collector, i.kind, _text(i.resource.name or i.resource.id), i.scope,
                i.status, _text(i.reason), _text(i.error), i.path)
         for i in index if i.status != "collected"),
        key=lambda g: (g.collector, g.scope, g.kind, g.resource, g.path)))
    appendix = tuple(sorted(
        (AppendixRow(
            anchor=evidence_anchor(i.path), path=i.path, file_sha256=hashes.get(i.path, "missing"),
            raw_sha256=_text(i.raw_sha256), kind=i.kind, status=i.status, collector=i.collector, scope=i.scope,
            resource=_text(i.resource.id), collected_at=_text(i.provenance.collected_at),
            source=_text(i.provenance.source), basis=_text(i.basis))
         for i in index),
        key=lambda a: (a.path, a.kind, a.resource, a.source)))
    cover = replace(_cover(context, run, index, rows), bases=_bases_text(rows),
                    unobserved=_unobserved_text(profiles, iso, gdpr, rows))
    return ReportView(
        cover=cover,
        measures=measures,
        profiles=profiles,
        iso=iso,
        gdpr=gdpr,
        collectors=collectors,
        gaps=gaps,
        findings=tuple(sorted(rows, key=_rank)),
        documents=tuple(documents),
        waivers=_waivers(context, rows),
        appendix=appendix,
    )


def load_view(root: Path, catalogs: Catalogs | None = None) -> ReportView:
    """Read a pack folder through the pack model and build its view (``auditpack report DIR``)."""
    return view_of(Pack.load(root), catalogs)


def view_of(pack: Pack, catalogs: Catalogs | None = None) -> ReportView:
    """The view of a loaded pack; its evidence and manual files are hashed as they are on disk now."""
    root = pack.root
    hashes = {path: digest for path, digest in file_hashes(root).items() if path.startswith(("evidence/", "manual/"))}
    view = build_view(pack.findings_document, pack.context, pack.index, hashes, catalogs)
    return replace(view, continuity=load_continuity(root, MEASURE_LABEL))
