"""What changed between two runs: new failures, resolved ones, still open and since when,
new and removed resources, new errors, changed evidence.

Two runs are compared by the stable finding identity of :mod:`auditpack.facts`. The sides
come from pack folders or from the history database (``auditpack diff OLD NEW``), and every
pack stores the drift against its previous run as ``history/since-previous.json``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from .errors import PackError
from .facts import FindingFact, Identity, PackFacts, facts_from_pack
from .history import History, default_path, parse_time
from .packmodel import RunInfo

SCHEMA = "auditpack.drift/v1"
EXIT_NEW_FAILURE = 1
CATEGORIES = (
    ("new_failures", "New failures"),
    ("resolved", "Resolved"),
    ("still_open", "Still failing"),
    ("new_errors", "New errors (evidence could not be read)"),
    ("changed_evidence", "Changed evidence (same resource, different evidence)"),
    ("new_resources", "New resources"),
    ("removed_resources", "Removed resources"),
)


class DiffError(PackError):
    """A side of ``auditpack diff`` cannot be found or read."""


@dataclass(frozen=True)
class Side:
    id: str
    started_at: str
    facts: Sequence[FindingFact]


def _item(fact: FindingFact, before: FindingFact | None = None, since: str | None = None) -> dict[str, Any]:
    out = {"check": fact.check, "measure": fact.measure, "provider": fact.provider,
           "resource_id": fact.resource_id, "resource_name": fact.resource_name, "status": fact.status,
           "status_before": before.status if before else None, "message": fact.message, "waived": fact.waived}
    if since is not None:
        out["since"] = since
    if before is not None and before.evidence_hash != fact.evidence_hash:
        out["evidence_before"] = before.evidence_hash
        out["evidence_after"] = fact.evidence_hash
    return out


def _resource(fact: FindingFact) -> dict[str, Any]:
    return {"provider": fact.provider, "resource_id": fact.resource_id, "resource_name": fact.resource_name}


def _order(item: Mapping[str, Any]) -> tuple[str, ...]:
    return (str(item.get("check", "")), str(item.get("provider")), str(item.get("resource_id")))


@dataclass
class Drift:
    old: Side
    new: Side
    new_failures: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    still_open: list[dict[str, Any]] = field(default_factory=list)
    new_errors: list[dict[str, Any]] = field(default_factory=list)
    changed_evidence: list[dict[str, Any]] = field(default_factory=list)
    new_resources: list[dict[str, Any]] = field(default_factory=list)
    removed_resources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        """A new failure that no active waiver covers: what ``diff`` exits 1 on."""
        return any(not f["waived"] for f in self.new_failures)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA, "status": "ok",
            "old": {"id": self.old.id, "started_at": self.old.started_at},
            "new": {"id": self.new.id, "started_at": self.new.started_at},
        }
        for key, _ in CATEGORIES:
            out[key] = getattr(self, key)
        out["counts"] = {key: len(getattr(self, key)) for key, _ in CATEGORIES}
        return out


def compare(old: Side, new: Side, fail_since: Mapping[Identity, str] | None = None) -> Drift:
    """The drift from ``old`` to ``new``. ``fail_since``: first-seen times of ``new``'s failures."""
    before = {f.identity: f for f in old.facts}
    after = {f.identity: f for f in new.facts}
    since = fail_since or {}
    drift = Drift(old, new)
    for key, fact in after.items():
        prior = before.get(key)
        if fact.status == "fail":
            if prior is not None and prior.status == "fail":
                drift.still_open.append(_item(fact, prior, since.get(key, old.started_at)))
            else:
                drift.new_failures.append(_item(fact, prior))
        elif prior is not None and prior.status == "fail":
            drift.resolved.append(_item(fact, prior))
        if fact.status == "error" and (prior is None or prior.status != "error"):
            drift.new_errors.append(_item(fact, prior))
        if prior is not None and prior.evidence_hash and fact.evidence_hash \
                and prior.evidence_hash != fact.evidence_hash:
            drift.changed_evidence.append(_item(fact, prior))
    for key, prior in before.items():
        if key not in after and prior.status == "fail":
            gone = {**_item(prior), "status": None, "status_before": "fail",
                    "message": "no longer reported (the resource or the check is gone)"}
            drift.resolved.append(gone)
    old_res = {f.resource: f for f in old.facts}
    new_res = {f.resource: f for f in new.facts}
    drift.new_resources = [_resource(f) for k, f in new_res.items() if k not in old_res]
    drift.removed_resources = [_resource(f) for k, f in old_res.items() if k not in new_res]
    for category, _ in CATEGORIES:
        getattr(drift, category).sort(key=_order)
    return drift


# --- rendering ------------------------------------------------------------------------------

def days_text(n: int) -> str:
    """``1 day``, ``6 days``: the one wording of a day count (diff, report, period)."""
    return f"{n} day" if n == 1 else f"{n} days"


def _day(moment: str | None) -> str:
    return moment[:10] if moment else "?"


def _line(key: str, item: Mapping[str, Any], until: str) -> str:
    where = item["resource_id"]
    if item.get("resource_name") and item["resource_name"] != item["resource_id"]:
        where = f"{item['resource_name']} ({item['resource_id']})"
    if key.endswith("_resources"):
        return f"[{item['provider']}] {where}"
    text = f"{item['check']}  [{item['provider']}] {where}"
    if key == "still_open" and item.get("since"):
        days = (parse_time(until).date() - parse_time(item["since"]).date()).days
        text += f"  (failing since {_day(item['since'])}, {days_text(days)})"
    elif key == "changed_evidence":
        text += f"  ({item.get('status_before')} -> {item['status']})"
    elif item.get("status_before") and key != "new_errors":
        text += f"  (was {item['status_before']})"
    if item.get("waived"):
        text += "  [accepted exception]"
    if key in ("new_failures", "new_errors") and item.get("message"):
        text += f"\n      {item['message']}"
    return text


def render_text(drift: Mapping[str, Any]) -> str:
    old, new = drift["old"], drift["new"]
    lines = [f"auditpack diff: {old['id']} ({_day(old['started_at'])}) -> {new['id']} ({_day(new['started_at'])})"]
    for key, title in CATEGORIES:
        items = drift[key]
        lines.append(f"{title}: {len(items)}")
        lines += [f"  {_line(key, i, new['started_at'])}" for i in items]
    return "\n".join(lines) + "\n"


def render_markdown(drift: Mapping[str, Any]) -> str:
    from auditpack.reports import markdown_escape as esc

    old, new = drift["old"], drift["new"]
    lines = [f"# Drift {esc(old['id'])} → {esc(new['id'])}", "",
             f"From {esc(_day(old['started_at']))} to {esc(_day(new['started_at']))}.", ""]
    for key, title in CATEGORIES:
        items = drift[key]
        lines += [f"## {esc(title)} ({len(items)})", ""]
        lines += [f"- {esc(_line(key, i, new['started_at']).replace(chr(10), ' — '))}" for i in items]
        lines.append("")
    return "\n".join(lines)


# --- the run-time section and the command --------------------------------------------------------

def since_previous_document(history: History, run: RunInfo) -> dict[str, Any]:
    """The drift of the (already recorded) run ``run`` against its previous run."""
    previous = history.previous(run.to_json())
    if previous is None:
        return unavailable("this is the first recorded run: nothing to compare with yet", "first_run")
    new = Side(run.id, run.started_at, history.facts(run.id))
    old = Side(previous.id, previous.started_at, history.facts(previous.id))
    return compare(old, new, history.fail_since(run.id)).to_json()


def unavailable(reason: str, status: str = "unavailable") -> dict[str, Any]:
    return {"schema": SCHEMA, "status": status, "reason": reason}


_SINCE = re.compile(r"^(\d+)([dhw])$")


def parse_since(text: str) -> timedelta:
    match = _SINCE.match(text.strip())
    if not match:
        raise DiffError(f"--since {text!r}: use a number and d, h or w (e.g. 7d, 12h, 2w)")
    n, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[unit]


def load_side(ref: str, history: History) -> tuple[Side, bool]:
    """A pack folder, or a run id in the history; the flag says it is in the history."""
    path = Path(ref)
    if path.is_dir():
        pack: PackFacts = facts_from_pack(path)
        return Side(pack.run.id, pack.run.started_at, pack.facts), history.get_run(pack.run.id) is not None
    record = history.get_run(ref)
    if record is None:
        raise DiffError(f"{ref!r} is neither a pack folder nor a run id in the history database {history.path}")
    if not record.detailed:
        raise DiffError(f"run {ref} was recorded before the history kept findings: compare its pack folder instead")
    return Side(record.id, record.started_at, history.facts(record.id)), True


def _since_sides(history: History, window: timedelta) -> tuple[str, str]:
    runs = [r for r in history.recent(1)]
    if not runs:
        raise DiffError(f"the history database {history.path} has no runs")
    latest = runs[0]
    candidates = history.runs(latest.organisation, detailed_only=True)
    cutoff = latest.started - window
    before = [r for r in candidates if r.started <= cutoff]
    inside = [r for r in candidates if r.started > cutoff and r.id != latest.id]
    old = before[-1] if before else (inside[0] if inside else None)
    if old is None:
        raise DiffError(f"no earlier run than {latest.id} in the history database {history.path}")
    return old.id, latest.id


def _database(args: argparse.Namespace) -> Path:
    """--database, else the configuration's [history] path, else the default location."""
    if args.database is None and args.config:
        from .config import load_config
        from .registry import default_registry

        return default_path(load_config(args.config, default_registry()).core.history.path)
    return default_path(args.database)


def cmd_diff(args: argparse.Namespace) -> int:
    history = History(_database(args))
    if args.since:
        if args.old or args.new:
            raise DiffError("give either OLD and NEW or --since, not both")
        old_ref, new_ref = _since_sides(history, parse_since(args.since))
    else:
        if not (args.old and args.new):
            raise DiffError("give OLD and NEW (pack folders or run ids), or --since 7d")
        old_ref, new_ref = args.old, args.new
    old, _ = load_side(old_ref, history)
    new, recorded = load_side(new_ref, history)
    drift = compare(old, new, history.fail_since(new.id) if recorded else None)
    doc = drift.to_json()
    if args.format == "json":
        print(json.dumps(doc, indent=2, sort_keys=True))
    elif args.format == "md":
        print(render_markdown(doc), end="")
    else:
        print(render_text(doc), end="")
    return EXIT_NEW_FAILURE if drift.regressed else 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("diff", parents=[common], help="what changed between two runs (exit 1 on a new failure)")
    p.add_argument("old", nargs="?", metavar="OLD", help="a pack folder or a run id from the history")
    p.add_argument("new", nargs="?", metavar="NEW", help="a pack folder or a run id from the history")
    p.add_argument("--since", metavar="AGE", help="compare the latest run with the one AGE earlier (7d, 12h, 2w)")
    p.add_argument("--format", choices=("text", "json", "md"), default="text",
                   help="text for a person (default), json or md (Markdown)")
    p.add_argument("--database", metavar="FILE", help="history database (default: the user's data dir)")
    p.add_argument("--config", metavar="FILE", help="read the history database's path from this configuration")
    p.set_defaults(func=cmd_diff)
