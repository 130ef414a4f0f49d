"""Hetzner Storage Box checks: who can reach a box, and how often its snapshots are taken.

Storage Boxes are where backups usually land, so their access settings are backup
protection as much as network security. Pure functions over ``HetznerStorageBox`` records;
the API's ``access_settings`` and ``snapshot_plan`` are read as they were listed. A setting
the API did not report is a gap (``error``), never read as "off".
"""

from __future__ import annotations

from collections.abc import Iterator

from auditpack.checks import CheckContext, Verdict, check, errored, failed, not_applicable, passed
from auditpack.evidence.hetzner import HetznerStorageBox, SnapshotPlan
from auditpack.model import Basis, Measure, Severity

#: hours between two automatic snapshots of a plan: every day, one day a week, one day a month
DAILY, WEEKLY, MONTHLY = 24.0, 7 * 24.0, 31 * 24.0


@check(basis=Basis.OBSERVED, title="Hetzner Storage Boxes do not offer Samba or WebDAV to the internet",
       measure=Measure.NETWORK_SECURITY, needs=(HetznerStorageBox,), severity=Severity.HIGH,
       remediation="Switch off Samba and WebDAV (Hetzner Console > Storage Box > Settings) unless a client needs "
                   "them, and switch off 'External reachability' so that only Hetzner's network reaches the box; "
                   "write backups over SSH (borg, restic, rsync).")
def network_security_hetzner_storage_box_access_restricted(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, box in ctx.evidence.records(HetznerStorageBox):
        settings = {"reachable_externally": box.reachable_externally, "ssh_enabled": box.ssh_enabled,
                    "samba_enabled": box.samba_enabled, "webdav_enabled": box.webdav_enabled}
        unknown = sorted(k for k, v in settings.items() if v is None)
        if unknown:
            yield errored(ev, f"Storage Box {box.name}: the API did not report {', '.join(unknown)}, so who can "
                              "reach the box cannot be decided.", details=settings)
            continue
        protocols = [name for name, on in (("SSH/SFTP", box.ssh_enabled), ("Samba (SMB)", box.samba_enabled),
                                           ("WebDAV", box.webdav_enabled)) if on]
        sharing = [p for p in protocols if p != "SSH/SFTP"]
        where = "from the internet" if box.reachable_externally else "only from Hetzner's network"
        details = {**settings, "protocols": protocols, "reachable_from": "internet" if box.reachable_externally
                   else "hetzner_network"}
        if box.reachable_externally and sharing:
            yield failed(ev, f"Storage Box {box.name} accepts {' and '.join(sharing)} logins (password only) from "
                             "the internet (reachable externally).", details=details)
        elif not protocols:
            yield passed(ev, f"Storage Box {box.name} has SSH, Samba and WebDAV switched off.", details=details)
        else:
            yield passed(ev, f"Storage Box {box.name} is reachable {where} over {', '.join(protocols)}.",
                         details=details)


def plan_interval_hours(plan: SnapshotPlan) -> float | None:
    """Hours between two snapshots of an automatic plan; None when the plan cannot be read
    (the API always sends an hour; a day of the month or of the week makes it monthly/weekly)."""
    if plan.hour is None:
        return None
    if plan.day_of_month is not None:
        return MONTHLY
    if plan.day_of_week is not None:
        return WEEKLY
    return DAILY


def _every(hours: float) -> str:
    return {DAILY: "daily", WEEKLY: "weekly", MONTHLY: "monthly"}.get(hours, f"every {hours:g} hours")


@check(basis=Basis.OBSERVED, title="Hetzner Storage Box snapshots are taken as often as the backup age allows",
       measure=Measure.BACKUPS, needs=(HetznerStorageBox,), severity=Severity.MEDIUM,
       remediation="Change the Storage Box's snapshot plan to daily (leave day of week and day of month empty), "
                   "so that a snapshot is never older than the allowed backup age.")
def backups_hetzner_storage_box_snapshot_plan_frequent(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    for ev, box in ctx.evidence.records(HetznerStorageBox):
        plan = box.snapshot_plan
        if plan is None or (plan.max_snapshots or 0) <= 0:
            yield not_applicable(ev, f"Storage Box {box.name} has no automatic snapshot plan (see "
                                     "backups_hetzner_storage_box_snapshot_plan_enabled).")
            continue
        interval = plan_interval_hours(plan)
        details = {**plan.model_dump(), "max_age_hours": limit, "interval_hours": interval}
        if interval is None:
            yield errored(ev, f"Storage Box {box.name}'s snapshot plan has no hour: when it runs cannot be read.",
                          details=details)
            continue
        kept = interval * plan.max_snapshots / 24 if plan.max_snapshots else 0
        details["covers_days"] = round(kept, 1)
        message = (f"Storage Box {box.name} takes a snapshot {_every(interval)} and keeps {plan.max_snapshots} "
                   f"(about {kept:g} days)")
        if interval <= limit:
            yield passed(ev, f"{message}: no snapshot is older than the allowed {limit:g} hours.", details=details)
        else:
            yield failed(ev, f"{message}: the newest snapshot can be {interval:g} hours old, more than the allowed "
                             f"{limit:g} hours.", details=details)
