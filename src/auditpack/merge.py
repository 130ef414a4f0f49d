"""``auditpack merge``: the partial packs of a sharded run become the pack of one run.

Every part is verified against its manifest (and its signature when signed) before anything
is read; the set must be complete (shards 0..N-1, each once) and of one plan (same
configuration, same scopes). The checks then run once over the union of the parts'
evidence, exactly as in a one-machine run: checks that look at the whole estate (the
sub-processor reconciliation compares every provider with the register) must never judge a
part. The merged pack's evidence files are the parts' files byte for byte, and each part's
manifest is kept in ``parts/K-of-N/``, so an auditor can check every evidence file against
the manifest of the machine that collected it.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .catalogs import load_catalogs
from .config import Policy, Waiver
from .engine import evaluate, run_complete
from .errors import PackError
from .model import Evidence, Finding, SomeEvidence, Status, iso_utc, sha256_hex
from .pack import (
    ENVELOPE,
    MANIFEST,
    SIGNATURE,
    TIMESTAMP_TOKEN,
    PackContent,
    read_manifest,
    write_content,
    write_document,
    write_manifest,
)
from .pack import write_pack_atomically as write_atomically
from .packmodel import CollectorStatus, Context, Manifest, Pack, RunInfo
from .profiles import Profile
from .registry import default_registry
from .runner import EXIT_CONFIG, EXIT_FAILING, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from .continuity import Continuity
    from .custody import PackSigner

log = logging.getLogger("auditpack.merge")


class MergeRefused(Exception):
    """The parts cannot be merged; ``code`` is the exit code, the message one line."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Part:
    """One verified partial pack, read through the pack model."""

    root: Path
    manifest: Manifest
    run: RunInfo
    index: int
    count: int
    plan: str
    context: Context
    evidence: dict[str, list[SomeEvidence]] = field(default_factory=dict)  # pack path -> its evidence

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"


def _verified_json(root: Path, rel: str, manifest: Manifest) -> Any:
    """An evidence file parsed from the very bytes whose hash its manifest lists (read once:
    what is judged is what was verified, even if the file changed after check_pack)."""
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MergeRefused(EXIT_USAGE, f"{path} cannot be read: {exc}") from None
    if sha256_hex(data) != manifest.files.get(rel):
        raise MergeRefused(EXIT_USAGE, f"{root}: the part does not verify (changed {rel}); refusing to merge")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise MergeRefused(EXIT_USAGE, f"{path} cannot be read: {exc}") from None


def read_part(root: Path, public_key: Ed25519PublicKey | None) -> Part:
    """Verify one partial pack (files, and signature when signed), then read its run, context and evidence."""
    from .custody import check_pack

    try:
        report = check_pack(root, public_key)
        manifest = read_manifest(root)
    except PackError as exc:
        raise MergeRefused(EXIT_USAGE, str(exc)) from None
    if report.signature == "unchecked":
        raise MergeRefused(EXIT_USAGE, f"{root}: the part is signed: pass --public-key to check its signature")
    if not report.ok:
        files = report.files
        problems = [f"{label} {item}" for label, items in (("changed", files.changed), ("missing", files.missing),
                                                           ("added", files.added)) for item in items]
        if report.signature in ("invalid", "unreadable"):
            problems.insert(0, f"signature {report.signature.upper()}")
        problems += [*files.problems, *report.problems]
        raise MergeRefused(EXIT_USAGE, f"{root}: the part does not verify ({', '.join(problems[:3])}"
                                       f"{', …' if len(problems) > 3 else ''}); refusing to merge")
    run = manifest.run
    shard = run.shard
    if shard is None:
        raise MergeRefused(EXIT_USAGE, f"{root}: not a partial pack (it was not written with --shard K/N)")
    try:
        pack = Pack.load(root)
    except PackError as exc:
        raise MergeRefused(EXIT_USAGE, str(exc)) from None
    part = Part(root, manifest, run, shard.index, shard.count, shard.plan, pack.context)
    for item in pack.index:
        rel = item.path
        if rel in part.evidence:
            continue
        body = _verified_json(root, rel, manifest)
        items = body["evidence"] if isinstance(body, Mapping) and "evidence" in body else [body]
        try:
            part.evidence[rel] = [Evidence.from_json(x) for x in items]
        except (LookupError, ValueError, TypeError) as exc:
            raise MergeRefused(EXIT_USAGE, f"{root / rel}: evidence cannot be read: {exc}") from None
    return part


def check_set(parts: Sequence[Part]) -> None:
    """One plan, every shard exactly once."""
    plans = sorted({(p.plan, p.count) for p in parts})
    if len(plans) > 1:
        shown = "; ".join(f"{p.root}: plan {p.plan[:12]} of {p.count}" for p in parts)
        raise MergeRefused(EXIT_CONFIG, f"the parts come from different plans (configuration or scopes differ): "
                                        f"{shown}")
    count = parts[0].count
    seen: dict[int, Path] = {}
    for part in parts:
        if part.index in seen:
            raise MergeRefused(EXIT_USAGE, f"shard {part.label} is given twice: {seen[part.index]} and {part.root}")
        seen[part.index] = part.root
    missing = [f"{i}/{count}" for i in range(count) if i not in seen]
    if missing:
        raise MergeRefused(EXIT_USAGE, f"incomplete set of parts: shard(s) {', '.join(missing)} missing "
                                       f"(plan {parts[0].plan[:12]})")


def _check_organisation(evidence: Sequence[SomeEvidence]) -> None:
    """Every account the organisation listed is reported by some shard; else the organisation
    changed while the shards ran and an account may have been listed by no shard that owns it."""
    reported = {ev.resource.id for ev in evidence if ev.kind == "aws.organization_account"}
    for ev in evidence:
        if ev.kind == "aws.organization" and ev.record is not None:
            listed = set(getattr(ev.record, "account_ids", ()))
            lost = sorted(listed - reported)
            if lost:
                raise MergeRefused(EXIT_INCOMPLETE, f"organisation account(s) {', '.join(lost[:5])} were listed but "
                                                    "no shard collected or skipped them (the organisation changed "
                                                    "while the shards ran): run the shards again")


def _collectors(parts: Sequence[Part]) -> list[CollectorStatus]:
    """One ``run.collectors`` entry per collector, as a single run would have written it."""
    entries: dict[str, list[CollectorStatus]] = {}
    for part in parts:
        for entry in part.run.collectors:
            entries.setdefault(entry.id, []).append(entry)
    out = []
    for cid, items in sorted(entries.items()):
        ran = [e for e in items if e.status != "skipped"]
        if not ran:
            out.append(items[0].model_copy(update={"scopes": []}))
            continue
        evidence = sum(e.evidence for e in ran)
        errors = sum(e.errors for e in ran)
        failed = [e for e in ran if e.status == "error"]
        status: str
        error: str | None
        if failed and (len(failed) == len(ran) or not errors):
            status, error = "error", str(failed[0].error)
        elif errors and errors == evidence:
            status, error = "error", "no evidence could be collected"
        elif errors or failed:
            status, error = "partial", f"{errors} of {evidence} reads failed"
        else:
            status, error = "ok", None
        scopes = sorted({str(s) for e in ran for s in e.scopes})
        out.append(CollectorStatus(id=cid, status=status, error=error, scopes=scopes, evidence=evidence,
                                   errors=errors, seconds=max(float(e.seconds) for e in ran)))
    return out


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Merged:
    run: RunInfo
    findings: list[Finding]
    evidence: list[SomeEvidence]
    origin: dict[str, Part]  # evidence path -> the part whose file it is
    context: Context

    @property
    def exit_code(self) -> int:
        if not self.run.complete:
            return EXIT_INCOMPLETE
        failing = any(f.status is Status.FAIL and not f.waiver for f in self.findings)
        return EXIT_FAILING if failing else EXIT_OK


def merge_parts(parts: Sequence[Part]) -> Merged:
    """The union of the parts' evidence, judged once with the run's policy and profiles."""
    check_set(parts)
    ordered = sorted(parts, key=lambda p: p.index)
    origin: dict[str, Part] = {}
    evidence: list[SomeEvidence] = []
    for part in ordered:  # evidence two shards both read (a discovered endpoint): the lower shard's
        for rel, items in part.evidence.items():
            if rel not in origin:
                origin[rel] = part
                evidence.extend(items)
    _check_organisation(evidence)
    context = ordered[0].context
    registry = default_registry()
    policy = Policy.model_validate(context.policy)
    profiles = [Profile.model_validate(p.as_profile()) for p in context.profiles]
    waivers = [Waiver.model_validate({k: v for k, v in w.to_json().items() if k != "active"}) for w in context.waivers]
    started = min(p.run.started for p in ordered)
    finished = max(_moment(p.run.finished_at or p.run.started_at) for p in ordered)
    findings = evaluate(evidence, registry.sorted_checks(), policy, started, load_catalogs(), profiles, waivers)
    complete = run_complete(all(p.run.complete for p in ordered), findings, registry.broken)
    plan = ordered[0].plan
    run = RunInfo.model_validate({
        "id": f"{started:%Y%m%dT%H%M%SZ}-merged-{plan[:6]}",
        "started_at": iso_utc(started),
        "finished_at": iso_utc(finished),
        "complete": complete,
        "tool_version": __version__,
        "organisation": ordered[0].run.organisation,
        "collectors": [c.to_json() for c in _collectors(ordered)],
        "counts": {s.value: sum(1 for f in findings if f.status is s) for s in Status},
        "plan": plan,
        "merged_from": [{"shard": p.label, "run": p.run.id, "manifest": f"parts/{_part_dir(p)}/{MANIFEST}",
                         "manifest_sha256": sha256_hex((p.root / MANIFEST).read_bytes())} for p in ordered],
    })
    return Merged(run, findings, evidence, origin, context.model_copy(update={"run": run}))


def _part_dir(part: Part) -> str:
    return f"{part.index}-of-{part.count}"


def write_merged(merged: Merged, parts: Sequence[Part], out: Path, *, replace: bool = False,
                 sign: PackSigner | None = None, extras: Mapping[str, Any] | None = None) -> Path:
    from auditpack.reports import render_pack

    first = min(parts, key=lambda p: p.index)
    manual = [(first.root / doc.path, Path(doc.path).name) for doc in merged.context.manual_evidence]

    def build(root: Path) -> None:
        # the evidence files are the collecting machine's bytes, copied (not serialised again)
        copies = {rel: part.root / rel for rel, part in merged.origin.items()}
        write_content(root, PackContent(merged.run, merged.findings, merged.evidence, merged.context, manual,
                                        evidence_copies=copies), None)
        for rel, document in sorted((extras or {}).items()):  # the history sections
            write_document(root, rel, document, None)
        for part in parts:
            target = root / "parts" / _part_dir(part)
            target.mkdir(parents=True)
            for name in (MANIFEST, SIGNATURE, ENVELOPE, TIMESTAMP_TOKEN):
                if (part.root / name).exists():
                    shutil.copyfile(part.root / name, target / name)
        render_pack(root)
        write_manifest(root, merged.run, sign)
        files = read_manifest(root).files  # the hashes of what was written, computed once
        for rel, part in merged.origin.items():  # the chain of custody: the collecting machine's bytes
            if files.get(rel) != part.manifest.files.get(rel):
                raise RuntimeError(f"{rel} would differ from {part.root}'s manifest: refusing to write the pack")

    return write_atomically(out, build, replace_existing=replace)


def cmd_merge(args: argparse.Namespace) -> int:
    """The ``auditpack merge`` command: one line and exit 2/3/4 when refused."""
    public_key = None
    if args.public_key:
        from .signing import load_public_key

        public_key = load_public_key(Path(args.public_key))
    sign = None
    if args.sign_key:
        from .signing import signer

        sign = signer(Path(args.sign_key))
    default_registry()  # the plugins' evidence kinds: a part's evidence is read through them
    try:
        from .pack import preflight

        preflight(Path(args.out), args.replace)
        parts = [read_part(Path(p), public_key) for p in args.packs]
        merged = merge_parts(parts)
    except MergeRefused as exc:
        print(f"auditpack: merge refused: {exc}", file=sys.stderr)
        return exc.code
    continuity = _continuity(merged)
    try:
        pack = write_merged(merged, parts, Path(args.out), replace=args.replace, sign=sign,
                            extras=continuity.documents)
    except MergeRefused as exc:
        print(f"auditpack: merge refused: {exc}", file=sys.stderr)
        return exc.code
    if continuity.history is not None:
        try:
            continuity.history.set_outcome(merged.run.id, merged.exit_code, str(pack))
        except Exception as exc:  # noqa: BLE001 - history is a convenience; the pack is the evidence
            log.warning("the merged run's pack path could not be recorded in the history database: %s", exc)
    counts = merged.run.counts
    print(f"auditpack: pack written to {pack}")
    print(f"auditpack: merged {len(parts)} parts: {len(merged.findings)} findings: "
          + ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in Status)
          + f"; evidence {'complete' if merged.run.complete else 'INCOMPLETE'}")
    return merged.exit_code


def _continuity(merged: Merged) -> Continuity:
    """Record the merged run (the parts never were) and compute its history sections, with
    the default ``[history]`` settings (a partial pack does not carry the configuration)."""
    from .config import HistorySettings
    from .continuity import record_and_compute
    from .manual_evidence import document_facts_from_context

    return record_and_compute(HistorySettings(), merged.run, merged.exit_code, merged.findings,
                              merged.evidence, list(merged.context.profiles), None,
                              document_facts_from_context(merged.context.manual_evidence))
