"""How a run shows itself while it collects, and the one line that sums it up.

Its own module so that the command line and the demo share it without importing each
other: a plain log line per event for cron, systemd and CI, a live display on a terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from .engine import CollectorRun, ProgressSink
from .model import Status

if TYPE_CHECKING:
    from .runner import RunResult

log = logging.getLogger("auditpack")


class LogProgress(ProgressSink):
    """Plain, greppable lines for cron, systemd and CI: start, progress at most every
    ``interval`` seconds per collector, and the end of each collector."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}

    def collector_started(self, collector_id: str) -> None:
        log.info("collector=%s event=started", collector_id)
        self._last[collector_id] = time.monotonic()

    def collector_progress(self, collector_id: str, done: int, total: int | None, message: str) -> None:
        now = time.monotonic()
        if now - self._last.get(collector_id, 0.0) >= self.interval:
            self._last[collector_id] = now
            of = f"/{total}" if total else ""
            log.info("collector=%s event=progress done=%d%s %s", collector_id, done, of, message)

    def collector_finished(self, run: CollectorRun) -> None:
        level = logging.INFO if run.healthy else logging.WARNING
        log.log(level, "collector=%s event=finished status=%s evidence=%d errors=%d seconds=%.1f%s",
                run.id, run.status, run.evidence_count, run.error_count, run.seconds,
                f" error={run.error!r}" if run.error else "")


class RichProgress(ProgressSink):
    """A live progress display on an interactive terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[cid]}"), BarColumn(),
                                 TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def collector_started(self, collector_id: str) -> None:
        self.tasks[collector_id] = self.progress.add_task("collecting", total=None, cid=collector_id)

    def collector_progress(self, collector_id: str, done: int, total: int | None, message: str) -> None:
        task = self.tasks.get(collector_id)
        if task is not None:
            self.progress.update(task, completed=done, total=total, description=message[:60] or "collecting")

    def collector_finished(self, run: CollectorRun) -> None:
        task = self.tasks.get(run.id)
        if task is not None:
            self.progress.update(task, total=1, completed=1,
                                 description=f"{run.status}: {run.evidence_count} evidence, {run.error_count} errors")


def progress_sink(quiet: bool) -> ProgressSink:
    """The live display on an interactive terminal unless ``quiet``, log lines otherwise."""
    if not quiet and sys.stderr.isatty():
        return RichProgress()
    return LogProgress()


def run_summary(result: RunResult) -> str:
    """The one-line result: counts per status, completeness, failures covered by waivers."""
    counts = result.counts
    parts = [f"{counts.get(s.value, 0)} {s.value}" for s in (Status.PASS, Status.FAIL, Status.ERROR, Status.MANUAL,
                                                               Status.NOT_APPLICABLE)]
    waived = sum(1 for f in result.findings if f.status is Status.FAIL and f.waiver)
    state = "complete" if result.complete else "INCOMPLETE"
    extra = f" ({waived} failing finding(s) covered by active waivers)" if waived else ""
    return f"{len(result.findings)} findings: {', '.join(parts)}; evidence {state}{extra}"
