"""One evidence run, end to end: configuration -> evidence -> findings -> pack -> history.

The CLI's ``run``, ``check`` and ``demo`` all go through :func:`execute` and
:func:`write`, so the pack an auditor receives is made by the same code path every time.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .catalogs import load_catalogs
from .config import Config
from .custody import PackSigner, timestamp
from .engine import Collection, ProgressSink, collect, evaluate, run_complete
from .manual_evidence import describe, expired_findings
from .model import Finding, SomeEvidence, Status, iso_utc, sha256_hex, utc_now
from .pack import (
    PackContent,
    manual_name,
    write_content,
    write_document,
    write_manifest,
    write_pack_atomically,
)
from .packmodel import (
    CheckInfo,
    Context,
    ManualDocument,
    Organisation,
    ProfileEntry,
    RunInfo,
    ShardInfo,
    SourceCopy,
    WaiverState,
)
from .profiles import Profile, load_profile
from .registry import Registry
from .secrets import Scrubber
from .shard import Shard, plan_id

log = logging.getLogger("auditpack.run")

EXIT_OK = 0
EXIT_FAILING = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_CONFIG = 4
EXIT_INTERNAL = 70  # sysexits EX_SOFTWARE: an unexpected error, i.e. a bug


@dataclass
class RunResult:
    run: RunInfo
    findings: list[Finding]
    evidence: list[SomeEvidence]
    collection: Collection
    profiles: list[Profile]
    config: Config
    registry: Registry
    pack_problems: list[str] = field(default_factory=list)  # e.g. no trusted time-stamp: the run is incomplete

    @property
    def complete(self) -> bool:
        return self.run.complete

    @property
    def counts(self) -> Counter[str]:
        return Counter(str(f.status) for f in self.findings)

    @property
    def unwaived_failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.FAIL and not f.waiver]

    @property
    def exit_code(self) -> int:
        if not self.complete or self.pack_problems:
            return EXIT_INCOMPLETE
        return EXIT_FAILING if self.unwaived_failures else EXIT_OK

    def incomplete_reason(self) -> str:
        bad = [c for c in self.collection.collectors if not c.healthy]
        errors = self.counts.get("error", 0)
        parts = [f"{c.id}: {c.error}" for c in bad[:3]]
        more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
        where = "; ".join(parts) + more if parts else "see the report's coverage gaps"
        return f"{errors} finding(s) could not be evidenced; {where}"


def load_profiles(config: Config) -> list[Profile]:
    """Every ``[[dpa]]`` profile; an error names the configuration entry and the profile's own problem."""
    from .errors import ConfigError

    profiles = []
    for number, ref in enumerate(config.core.dpa, 1):
        try:
            profiles.append(load_profile(ref.profile))
        except ConfigError as exc:
            inner = f"{exc.location}: {exc.message}" if exc.file.startswith("[[dpa]]") else str(exc)
            raise ConfigError(config.source, f"[[dpa]] #{number}", f"profile {ref.profile!r}: {inner}") from None
    return profiles


def secret_names(config: Config, registry: Registry) -> list[str]:
    names: list[str] = []
    for cls in registry.collectors.values():
        settings = config.section(cls.config_section) if cls.config_section else None
        if settings is not None:
            try:
                names += cls(settings).secret_env_names()
            except Exception:  # noqa: BLE001 - a plugin's bug must not hide other secrets
                log.warning("collector %s could not list its secret variables", cls.id)
    return names


def execute(config: Config, registry: Registry, *, now: datetime | None = None,
            progress: ProgressSink | None = None, environ: Mapping[str, str] | None = None,
            shard: Shard | None = None) -> RunResult:
    """Collect and evaluate. Pure of side effects on disk.

    With ``shard``: collect that shard's scopes only and judge nothing (a partial pack's
    findings are computed once over every part by ``auditpack merge``)."""
    from .preflight import check_config

    profiles = load_profiles(config)  # configuration errors surface before any collection
    env = dict(os.environ if environ is None else environ)  # the one environment collectors read
    check_config(config, registry, env, profiles)
    started = now or utc_now()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    log.info("run %s started: %d collector(s) registered, %d check(s), %d DPA profile(s)",
             run_id, len(registry.collectors), len(registry.checks), len(profiles))
    collection = collect(config, registry, started, progress, env, shard)
    findings: list[Finding] = []
    if shard is None:  # a partial pack judges nothing: ``auditpack merge`` judges every part at once
        findings = evaluate(collection.evidence, registry.sorted_checks(), config.policy, started, load_catalogs(),
                            profiles, config.core.waivers)
        documents = [(doc, f"manual/{manual_name(Path(doc.path))}") for doc in config.core.manual_evidence]
        findings += expired_findings(documents, started.date())
    finished = utc_now() if now is None else started
    run = RunInfo(
        id=run_id,
        started_at=iso_utc(started),
        finished_at=iso_utc(max(finished, started)),
        complete=run_complete(collection.complete, findings, registry.broken),
        tool_version=__version__,
        organisation=config.core.organisation.name,
        collectors=[c.to_status() for c in collection.collectors],
        counts={s.value: sum(1 for f in findings if f.status is s) for s in Status},
    )
    if shard is not None:
        run = run.model_copy(update={"shard": ShardInfo(index=shard.index, count=shard.count,
                                                        plan=plan_id(config, registry))})
    return RunResult(run, findings, collection.evidence, collection, profiles, config, registry)


def _run_day(result: RunResult) -> date:
    return result.run.started.date()


def manual_documents(result: RunResult) -> tuple[list[tuple[Path, str]], list[ManualDocument]]:
    """The attached documents: (source, name inside manual/) and their context entries."""
    files: list[tuple[Path, str]] = []
    entries: list[ManualDocument] = []
    for doc in result.config.core.manual_evidence:
        source = Path(doc.path)
        try:
            data = source.read_bytes()
        except OSError as exc:
            from .errors import ConfigError

            raise ConfigError(result.config.source, "[[manual_evidence]]",
                              f"path {doc.path!r} cannot be read: {exc.strerror or exc}") from None
        name = manual_name(source)
        files.append((source, name))
        entries.append(describe(doc, f"manual/{name}", sha256_hex(data), _run_day(result)))
    for source, profile in dpa_sources(result):
        name = f"dpa-{profile.id}-{manual_name(source)}"
        files.append((source, name))
        entries.append(ManualDocument(title=f"The DPA document of profile {profile.id}: {profile.profile.title}",
                                      path=f"manual/{name}", sha256=sha256_hex(source.read_bytes()), measures=[],
                                      date=profile.profile.date, profile=profile.id))
    return files, entries


def dpa_sources(result: RunResult) -> list[tuple[Path, Profile]]:
    """The DPA documents the profiles name and that exist next to their profile file: an
    auditor then reads the clauses in the signed text, in the pack and hashed."""
    out = []
    for ref, profile in zip(result.config.core.dpa, result.profiles, strict=False):
        source = profile.profile.source
        if not source or not (ref.profile.endswith(".toml") or "/" in ref.profile):
            continue  # a built-in profile: its source is named, not shipped
        path = Path(source) if Path(source).is_absolute() else Path(ref.profile).parent / source
        if path.is_file():
            out.append((path, profile))
    return out


def report_context(result: RunResult) -> Context:
    """What context.json holds, without writing a pack (``check`` prints its roll-up)."""
    return _context(result, manual_documents(result)[1])


def _context(result: RunResult, manual: list[ManualDocument]) -> Context:
    cfg = result.config.core
    today = _run_day(result)
    return Context(
        organisation=Organisation.model_validate(cfg.organisation.model_dump(mode="json")),
        run=result.run,
        policy=cfg.policy.model_dump(mode="json"),
        profiles=[_with_source_copy(profile_entry(p), manual) for p in result.profiles],
        checks=[CheckInfo(id=c.id, title=c.title, measure=str(c.measure), severity=str(c.severity),
                          remediation=c.remediation, needs=list(c.needed_kinds), source=c.source,
                          basis=str(c.basis), bases=[str(b) for b in c.bases])
                for c in result.registry.sorted_checks()],
        waivers=[WaiverState.model_validate({**w.model_dump(mode="json"), "active": w.active_on(today)})
                 for w in cfg.waivers],
        manual_evidence=manual,
    )


def profile_entry(profile: Profile) -> ProfileEntry:
    """A configured DPA profile as the pack records it."""
    return ProfileEntry.model_validate(profile.model_dump(mode="json"))


def _with_source_copy(profile: ProfileEntry, manual: list[ManualDocument]) -> ProfileEntry:
    copy = next((m for m in manual if m.profile == profile.id), None)
    return profile.model_copy(update={"source_copy": SourceCopy(path=copy.path, sha256=copy.sha256)}) if copy \
        else profile


def write(result: RunResult, out: Path, *, replace: bool = False,
          sign: PackSigner | None = None, environ: Mapping[str, str] | None = None,
          extras: Mapping[str, Any] | None = None, pdf: bool = False) -> Path:
    """Write the audit pack atomically; secrets of the environment are scrubbed from every file.
    ``extras``: further JSON documents by path inside the pack (the history sections)."""
    from auditpack.reports import render_pack

    env = os.environ if environ is None else environ
    scrubber = Scrubber.from_env(secret_names(result.config, result.registry), env)
    manual_files, manual = manual_documents(result)
    content = PackContent(result.run, result.findings, result.evidence, _context(result, manual), manual_files)

    def build(root: Path) -> None:
        write_content(root, content, scrubber)
        for rel, document in sorted((extras or {}).items()):
            write_document(root, rel, document, scrubber)
        render_pack(root)
        if pdf:
            from auditpack.reports.pdf import render_pdf

            render_pdf(root)
        write_manifest(root, result.run, sign)
        if sign is not None:
            problem = timestamp(root, sign)
            if problem:
                result.pack_problems.append(problem)

    return write_pack_atomically(out, build, replace_existing=replace, label=result.run.id)
