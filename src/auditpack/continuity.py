"""After a run is evaluated: record it, compute its history sections, write and lock the pack.

The order matters. The run and its findings go into the history database first (one
transaction), then "Since the previous run" and "Over the period" are computed from the
database and stored in the pack as JSON (the report renders them offline), then the pack is
written, uploaded to the evidence locker when one is configured, and the run's outcome
(pack path, final exit code) is written back to the history.

A history that cannot be used (newer schema, unreadable file) is a warning, and the pack
says why its history sections are empty; it never blocks the pack, which is the evidence.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import drift, period
from .facts import DocumentFact, facts_from_run
from .history import History, HistoryError, default_path
from .manual_evidence import document_facts
from .model import Finding, SomeEvidence
from .packmodel import ProfileEntry, RunInfo
from .runner import EXIT_INCOMPLETE, RunResult, profile_entry, write

if TYPE_CHECKING:
    from .config import HistorySettings
    from .custody import PackSigner

log = logging.getLogger("auditpack.history")

SINCE_PREVIOUS = "history/since-previous.json"
PERIOD = "history/period.json"


@dataclass
class Continuity:
    history: History | None
    documents: dict[str, Any] = field(default_factory=dict)


def _unavailable(reason: str, status: str) -> dict[str, Any]:
    return {SINCE_PREVIOUS: drift.unavailable(reason, status), PERIOD: period.unavailable(reason, status)}


def prepare(result: RunResult, config_path: str | None) -> Continuity:
    """Record the run with its findings and compute the pack's history sections."""
    if result.run.shard is not None:  # judged and recorded once, by ``auditpack merge``
        return Continuity(None, _unavailable("a partial pack of a sharded run: `auditpack merge` records the run "
                                             "and writes these sections", "partial"))
    run_day = result.run.started.date()
    return record_and_compute(result.config.core.history, result.run, result.exit_code, result.findings,
                              result.evidence, [profile_entry(p) for p in result.profiles], config_path,
                              document_facts(result.config.core.manual_evidence, run_day))


def record_and_compute(settings: HistorySettings, run: RunInfo, exit_code: int,
                       findings: Sequence[Finding], evidence: Sequence[SomeEvidence],
                       profiles: Sequence[ProfileEntry], config_path: str | None,
                       attached: Sequence[DocumentFact] = ()) -> Continuity:
    """The history step of any finished run (one machine's or a merged one). ``attached``: the
    attesting documents of the run, as the period view draws them."""
    if not settings.enabled:
        return Continuity(None, _unavailable("the history is switched off ([history] enabled = false)", "disabled"))
    history = History(default_path(settings.path))
    try:
        history.record(run.to_json(), exit_code, None, config_path, facts_from_run(findings, evidence),
                       settings.keep_days, documents=attached)
        documents = {SINCE_PREVIOUS: drift.since_previous_document(history, run),
                     PERIOD: period.period_document(history, run, list(profiles), settings.period_days)}
    except (HistoryError, sqlite3.Error, OSError) as exc:
        log.warning("the history database cannot be used, so this pack has no history sections: %s", exc)
        return Continuity(None, _unavailable(f"the history database could not be used: {exc}", "unavailable"))
    return Continuity(history, documents)


@dataclass
class Outcome:
    pack: Path
    exit_code: int
    problems: list[str] = field(default_factory=list)


def complete_run(result: RunResult, out: Path, *, config_path: str | None = None, replace: bool = False,
                 sign: PackSigner | None = None, environ: Mapping[str, str] | None = None,
                 pdf: bool = False) -> Outcome:
    """Everything after evaluation: history, pack, locker, outcome. ``pdf``: also report.pdf."""
    continuity = prepare(result, config_path)
    pack = write(result, out, replace=replace, sign=sign, environ=environ, extras=continuity.documents, pdf=pdf)
    outcome = Outcome(pack, result.exit_code)
    locker = result.config.core.locker
    if locker is not None and locker.s3_uri:
        from .locker import LockerError, upload_pack

        try:
            upload_pack(pack, locker)
        except LockerError as exc:
            outcome.problems.append(f"evidence locker: {exc} (the local pack at {pack} is intact)")
            outcome.exit_code = EXIT_INCOMPLETE
    if continuity.history is not None:
        try:
            continuity.history.set_outcome(result.run.id, outcome.exit_code, str(pack))
        except (HistoryError, sqlite3.Error, OSError) as exc:
            log.warning("the run's pack path could not be recorded in the history database: %s", exc)
    return outcome
