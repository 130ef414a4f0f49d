"""The run engine: collect concurrently with every failure contained, then evaluate.

Collection: each enabled collector runs in its own thread (at most
``run.max_parallel_collectors`` at once; collectors fan out internally with their own
bound). An exception or a timeout becomes ``error`` evidence for every kind the collector
declares, and the run goes on.

Evaluation: checks are pure. For every check the engine hands over only the collected
evidence of the kinds it sees; every errored piece of evidence it *needs* becomes an
``error`` finding instead. Checks run once with the organisation's policy and once per
DPA profile with that profile's parameters; identical findings are merged and carry the
clauses of every profile they answer.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from auditpack.checks import Check, CheckContext, EvidenceView, Verdict
from auditpack.collectors import CollectContext, Collector

from .catalogs import Catalogs
from .config import Config, Policy, Waiver
from .model import (
    AttemptStatus,
    ErrorReason,
    Evidence,
    Finding,
    Provenance,
    Resource,
    SomeEvidence,
    Status,
    utc_now,
)
from .packmodel import HEALTHY_COLLECTOR, CollectorStatus
from .profiles import Profile
from .registry import Registry
from .shard import Shard

log = logging.getLogger("auditpack.engine")


@dataclass(frozen=True, slots=True)
class CollectorRun:
    """How one collector's run went: the contract's ``run.collectors`` entry."""

    id: str
    status: str  # ok | partial | error | skipped
    error: str | None = None
    scopes: tuple[str, ...] = ()
    evidence_count: int = 0
    error_count: int = 0
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        """Ran to the end (or was not configured): nothing it should have read is missing."""
        return self.status in HEALTHY_COLLECTOR

    def to_status(self) -> CollectorStatus:
        """The run's ``collectors`` entry in the pack."""
        return CollectorStatus(id=self.id, status=self.status, error=self.error, scopes=list(self.scopes),
                               evidence=self.evidence_count, errors=self.error_count, seconds=round(self.seconds, 3))


@dataclass
class Collection:
    evidence: list[SomeEvidence] = field(default_factory=list)
    collectors: list[CollectorRun] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every collector ran to the end or was not configured, and no evidence errored."""
        return all(c.healthy for c in self.collectors) and not any(
            ev.status is AttemptStatus.ERROR for ev in self.evidence)


def run_complete(collected: bool, findings: Sequence[Finding], broken_plugins: Sequence[object]) -> bool:
    """The one definition of a complete run (exit 3 otherwise): the evidence was all read
    (``collected``: :attr:`Collection.complete` on one machine, every part complete for a merged
    run), every plugin loaded and no finding is an ``error``."""
    return collected and not broken_plugins and not any(f.status is Status.ERROR for f in findings)


class ProgressSink:
    """Receives progress from the engine; the CLI renders it (rich or plain lines)."""

    def collector_started(self, collector_id: str) -> None: ...

    def collector_progress(self, collector_id: str, done: int, total: int | None, message: str) -> None: ...

    def collector_finished(self, run: CollectorRun) -> None: ...


def _waves(collectors: Sequence[Collector]) -> list[list[Collector]]:
    """Group collectors so each runs after the ones named by its ``run_after()``."""
    pending = {c.id: c for c in collectors}
    done: set[str] = set()
    waves: list[list[Collector]] = []
    while pending:
        ready = [c for c in pending.values() if all(a in done or a not in pending for a in c.run_after())]
        if not ready:  # a cycle: run the rest together rather than never
            ready = list(pending.values())
        waves.append(sorted(ready, key=lambda c: c.id))
        for c in ready:
            done.add(c.id)
            del pending[c.id]
    return waves


def _failure_evidence(collector: Collector, version: str, error: str, reason: ErrorReason) -> list[SomeEvidence]:
    """Error evidence for every kind a failed collector declares, in every scope it covers."""
    out: list[SomeEvidence] = []
    now = utc_now()
    provider = collector.provider or collector.id
    for scope in collector.scopes() or ["global"]:
        for kind in [cls.kind for cls in collector.produces] or [f"{collector.id}.collector"]:
            resource = Resource(provider=provider, type="collector_scope", id=f"{collector.id}:{scope}",
                                name=scope, scope=scope)
            out.append(Evidence(kind=kind, resource=resource, status=AttemptStatus.ERROR,
                                provenance=Provenance(collector.id, version, now, scope, "collector run"),
                                error=error, reason=reason))
    return out


def collect(config: Config, registry: Registry, now: datetime, progress: ProgressSink | None = None,
            environ: dict[str, str] | None = None, shard: Shard | None = None) -> Collection:
    """Run every enabled collector; with ``shard``, each only over the scopes that shard owns."""
    sink = progress or ProgressSink()
    result = Collection()
    for broken in registry.broken:
        if broken.group.endswith("collectors"):
            result.collectors.append(CollectorRun(f"plugin:{broken.name}", "error",
                                                  f"plugin failed to load: {broken.error}"))
        else:
            result.collectors.append(CollectorRun(f"plugin:{broken.name}", "error",
                                                  f"check plugin failed to load: {broken.error}"))
    active: list[Collector] = []
    for cid in sorted(registry.collectors):
        cls = registry.collectors[cid]
        settings = config.section(cls.config_section) if cls.config_section else None
        try:
            collector = cls(settings)
            enabled = collector.enabled()
            if enabled and shard is not None and not collector.use_shard(shard.owner_of(cid)):
                result.collectors.append(CollectorRun(cid, "skipped", f"no scope in shard {shard.label}"))
                continue
        except Exception as exc:  # a plugin's constructor is plugin code: contain it
            result.collectors.append(CollectorRun(cid, "error", f"collector could not start: {exc}"))
            continue
        if enabled:
            active.append(collector)
        else:
            result.collectors.append(CollectorRun(cid, "skipped", "not configured"))

    settings = config.core.run
    limit = threading.BoundedSemaphore(settings.max_parallel_collectors)
    lock = threading.Lock()

    def run_one(collector: Collector, prior: list[SomeEvidence]) -> None:
        from auditpack.collectors import tool_version

        version = tool_version()
        ctx = CollectContext(collector.id, version, now, sink.collector_progress, prior, environ)
        state: dict[str, BaseException | None] = {"exc": None}

        def target() -> None:
            try:
                collector.collect(ctx)
            except BaseException as exc:  # noqa: BLE001 - contained: becomes error evidence
                state["exc"] = exc

        with limit:
            sink.collector_started(collector.id)
            started = time.monotonic()
            worker = threading.Thread(target=target, name=f"collector-{collector.id}", daemon=True)
            worker.start()
            worker.join(settings.collector_timeout_seconds)
            timed_out = worker.is_alive()
            items = ctx.close()
            error: str | None = None
            if timed_out:
                error = f"timed out after {settings.collector_timeout_seconds:g} s"
                items += _failure_evidence(collector, version, error, ErrorReason.TIMEOUT)
            elif state["exc"] is not None:
                exc = state["exc"]
                error = f"collector failed: {type(exc).__name__}: {exc}"
                log.debug("collector %s raised", collector.id, exc_info=exc)
                items += _failure_evidence(collector, version, error, ErrorReason.INTERNAL)
            errors = sum(1 for ev in items if ev.status is AttemptStatus.ERROR)
            if error:
                status = "error"
            elif errors and errors == len(items):
                status, error = "error", "no evidence could be collected"
            elif errors:
                status, error = "partial", f"{errors} of {len(items)} reads failed"
            else:
                status = "ok"
            run = CollectorRun(collector.id, status, error, tuple(collector.scopes()), len(items), errors,
                               time.monotonic() - started)
            with lock:
                result.evidence.extend(items)
                result.collectors.append(run)
            sink.collector_finished(run)

    for wave in _waves(active):
        prior = list(result.evidence)
        threads = [threading.Thread(target=run_one, args=(c, prior), name=f"run-{c.id}", daemon=True) for c in wave]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    result.collectors.sort(key=lambda c: c.id)
    return result


# --- evaluation ---------------------------------------------------------------------------

def _error_finding(chk: Check, ev: SomeEvidence) -> Finding:
    what = ev.resource.name or ev.resource.id
    return Finding(
        check=chk.id,
        measure=chk.measure,
        status=Status.ERROR,
        resource=ev.resource,
        message=f"Evidence '{ev.kind}' for {what} could not be collected ({ev.reason}): {ev.error}",
        severity=chk.severity,
        evidence=(ev.path,),
        remediation="Restore access for the collector (permissions, network, credentials) and run again.",
        details={"reason": str(ev.reason)},
        basis=chk.finding_basis((ev,)),
    )


def _to_finding(chk: Check, verdict: Verdict) -> Finding:
    remediation = verdict.remediation
    if remediation is None and verdict.status in (Status.FAIL, Status.MANUAL):
        remediation = chk.remediation or None
    return Finding(
        check=chk.id,
        measure=chk.measure,
        status=verdict.status,
        resource=verdict.resource,
        message=verdict.message,
        severity=verdict.severity or chk.severity,
        evidence=tuple(dict.fromkeys(ev.path for ev in verdict.evidence)),
        remediation=remediation,
        details=dict(verdict.details),
        basis=chk.finding_basis(verdict.evidence),
    )


class EvidenceByKind:
    """The evidence of a run, indexed once by kind: each check takes the evidence of the kinds
    it sees, in the run's order, without scanning every item (checks x evidence otherwise)."""

    def __init__(self, evidence: Sequence[SomeEvidence]) -> None:
        self.evidence = evidence
        self._positions: dict[str, list[int]] = {}
        for i, ev in enumerate(evidence):
            self._positions.setdefault(ev.kind, []).append(i)

    def of_kinds(self, kinds: Iterable[str]) -> list[SomeEvidence]:
        lists = [self._positions[k] for k in dict.fromkeys(kinds) if k in self._positions]
        return [self.evidence[i] for i in heapq.merge(*lists)]


def _run_check(chk: Check, evidence: Sequence[SomeEvidence] | EvidenceByKind, policy: Policy, now: datetime,
               profile: Profile | None) -> list[Finding]:
    index = evidence if isinstance(evidence, EvidenceByKind) else EvidenceByKind(evidence)
    needed = frozenset(chk.needed_kinds)
    seen = index.of_kinds([*chk.needed_kinds, *(cls.kind for cls in chk.optional)])
    errored = [ev for ev in seen if ev.kind in needed and ev.status is AttemptStatus.ERROR]
    usable = [ev for ev in seen if ev.ok]
    if chk.gate == "scope" and errored:
        bad_scopes = {ev.resource.scope for ev in errored}
        usable = [ev for ev in usable if ev.resource.scope not in bad_scopes]
    findings = [_error_finding(chk, ev) for ev in errored]
    if not any(ev.kind in needed for ev in usable):
        return findings
    gaps = tuple(ev for ev in seen if ev.kind not in needed and ev.status is AttemptStatus.ERROR)
    ctx = CheckContext(EvidenceView(usable), policy, now, profile, gaps)
    try:
        verdicts = list(chk(ctx))
    except Exception as exc:  # a bug in a check: visible as a gap, never as a pass
        log.error("check %s raised %s: %s", chk.id, type(exc).__name__, exc)
        return findings + [Finding(
            check=chk.id, measure=chk.measure, status=Status.ERROR,
            resource=Resource(provider="auditpack", type="check", id=chk.id),
            message=f"The check {chk.id} failed while evaluating the evidence: {type(exc).__name__}: {exc}",
            severity=chk.severity, basis=chk.basis,
        )]
    for verdict in verdicts:
        if not isinstance(verdict, Verdict):
            raise TypeError(f"check {chk.id} returned {type(verdict).__name__}, not a Verdict")
        findings.append(_to_finding(chk, verdict))
    return findings


def one_verdict_per_fact(findings: Iterable[Finding]) -> list[Finding]:
    """Never two verdicts for one (check, resource): an ``error`` next to a ``fail`` is folded
    into the fail (the non-conformity was observed; what could not be read is named in its
    ``details``); next to anything else (pass, not applicable, manual) the error stands
    alone, since a verdict built on partly unreadable evidence is not one."""
    facts: dict[tuple[str, str, str, str], list[Finding]] = {}
    for finding in findings:
        res = finding.resource
        facts.setdefault((finding.check, res.provider, res.scope or "", res.id), []).append(finding)
    out: list[Finding] = []
    for group in facts.values():
        errors = [f for f in group if f.status is Status.ERROR]
        if errors and len(errors) < len(group):
            fails = [f for f in group if f.status is Status.FAIL]
            if fails:
                unreadable = [e.message for e in errors]
                group = [replace(f, details={**f.details, "also_unreadable": unreadable},
                                 evidence=tuple(dict.fromkeys((*f.evidence, *(p for e in errors for p in e.evidence)))))
                         for f in fails]
            else:
                group = errors
        out.extend(group)
    return out


def _waiver_applies(waiver: Waiver, finding: Finding, now: datetime) -> bool:
    import fnmatch

    return (waiver.check == finding.check and waiver.active_on(now.date())
            and fnmatch.fnmatchcase(finding.resource.id, waiver.resource))


def evaluate(evidence: Sequence[SomeEvidence], checks: Iterable[Check], policy: Policy, now: datetime,
             catalogs: Catalogs, profiles: Sequence[Profile] = (), waivers: Sequence[Waiver] = ()) -> list[Finding]:
    groups: list[tuple[Policy, Profile | None]] = [(policy, None)]
    groups += [(p.policy(policy), p) for p in profiles]
    merged: dict[tuple[str, ...], Finding] = {}
    index = EvidenceByKind(evidence)
    for chk in checks:
        for group_policy, profile in groups:
            for finding in _run_check(chk, index, group_policy, now, profile):
                clauses = profile.clauses_for(chk.id, chk.measure) if profile else ()
                key = (finding.check, finding.resource.provider, finding.resource.scope or "",
                       finding.resource.id, str(finding.status), finding.message)
                previous = merged.get(key)
                if previous is None:
                    merged[key] = replace(finding, controls=catalogs.controls_for(chk.id, chk.measure),
                                          clauses=tuple(clauses))
                else:
                    union = tuple(dict.fromkeys((*previous.clauses, *clauses)))
                    merged[key] = replace(previous, clauses=union)
    out = []
    for finding in one_verdict_per_fact(merged.values()):
        if finding.status is Status.FAIL:
            for waiver in waivers:
                if _waiver_applies(waiver, finding, now):
                    finding = replace(finding, waiver={"owner": waiver.owner, "reason": waiver.reason,
                                                       "expires": waiver.expires.isoformat()})
                    break
        out.append(finding)
    out.sort(key=lambda f: (f.measure, f.check, f.resource.provider, f.resource.scope or "", f.resource.id,
                            f.status, f.message))
    return out
