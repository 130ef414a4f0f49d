"""Backups: AWS Backup plans and recovery points; EBS volumes, RDS databases and DynamoDB tables.

A backup is a property of the resource, not of one mechanism: a volume, database or table
passes when ANY mechanism (native PITR or automated backups, an AWS Backup recovery point, a
snapshot) covers it within the policy's age, and the finding names the mechanism(s). A
missing or stale extra mechanism is advice in a passing finding, never a fail. Nothing
covering it and one mechanism unreadable is ``error``: absence is only a fact where every
mechanism was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from auditpack.checks import CheckContext, SomeEvidence, Verdict, check, errored, failed, not_applicable, passed
from auditpack.evidence.aws import (
    AwsAccount,
    AwsListing,
    BackupPlan,
    BackupProtectedResource,
    BackupSelection,
    DynamoDbPitr,
    DynamoDbTable,
    EbsSnapshot,
    EbsVolume,
    RdsCluster,
    RdsInstance,
    RdsSnapshot,
)
from auditpack.model import Basis, Evidence, Measure, Severity

from .common import age_hours, listed, parse_time, what

M = Measure


@check(basis=Basis.OBSERVED,
       title="AWS Backup plans exist and select resources", measure=M.BACKUPS,
       needs=(AwsAccount, BackupPlan, BackupSelection), gate="scope", severity=Severity.HIGH,
       remediation="Create an AWS Backup plan with a rule and a resource selection covering the personal data.")
def backups_backup_plan_covers_resources(ctx: CheckContext) -> Iterator[Verdict]:
    for account in ctx.evidence.of(AwsAccount):
        scope = account.resource.scope
        plans = [ev for ev in ctx.evidence.of(BackupPlan) if ev.resource.scope == scope]
        selections = [ev for ev in ctx.evidence.of(BackupSelection) if ev.resource.scope == scope
                      and (ev.fact.resources or ev.fact.has_conditions)]
        if plans and selections:
            yield passed(account, f"Account {scope} has {len(plans)} Backup plan(s) selecting resources "
                                  f"({', '.join(str(e.resource.name) for e in selections)}).",
                         evidence=[*plans, *selections])
        elif plans:
            names = ", ".join(str(e.resource.name) for e in plans)
            yield failed(account, f"Account {scope} has Backup plans ({names}) "
                                  "but none selects any resource.", evidence=plans)
        else:
            yield failed(account, f"Account {scope} has no AWS Backup plan in the scanned regions.")


@dataclass
class Coverage:
    """What each backup mechanism says about one resource."""

    label: str
    now: datetime
    fresh: list[str] = field(default_factory=list)  # "AWS Backup recovery point 3.0 h old"
    advice: list[str] = field(default_factory=list)  # mechanisms absent or stale
    unread: list[str] = field(default_factory=list)  # mechanisms that could not be read
    evidence: list[SomeEvidence] = field(default_factory=list)
    ages: dict[str, float] = field(default_factory=dict)

    def offer(self, mechanism: str, moment: datetime | None, limit: float, ev: SomeEvidence | None = None) -> None:
        """The newest backup of ``mechanism`` (None: the mechanism has none)."""
        if moment is None:
            self.advice.append(f"no {mechanism}")
            return
        age = (self.now - moment).total_seconds() / 3600
        self.ages[mechanism] = round(age, 2)
        if ev is not None:
            self.evidence.append(ev)
        if age <= limit:
            self.fresh.append(f"{mechanism} {age:.1f} h old (limit {limit:g} h)")
        else:
            self.advice.append(f"{mechanism} {age:.1f} h old (limit {limit:g} h)")

    def offer_snapshot(self, kind: str, found: tuple[datetime, SomeEvidence] | None, limit: float,
                       subject: SomeEvidence, listed_in: set[tuple[str | None, str]]) -> None:
        """The newest snapshot of ``kind``; none is a fact only where the region was listed."""
        if found is not None:
            self.offer(f"{kind} {found[1].resource.name}", found[0], limit, found[1])
        elif (subject.resource.scope, subject.resource.location) in listed_in:
            self.absent(f"no {kind}")
        else:
            self.unreadable(f"{kind}s of {subject.resource.location}")

    def absent(self, text: str) -> None:
        self.advice.append(text)

    def unreadable(self, mechanism: str, gaps: Iterable[SomeEvidence] = ()) -> None:
        self.unread.append(mechanism)
        self.evidence.extend(gaps)

    def verdict(self, subject: SomeEvidence) -> Verdict:
        details = {"mechanisms": self.fresh, "advice": self.advice, "unreadable": self.unread,
                   "age_hours": self.ages}
        if self.fresh:
            extra = self.advice + [f"{m} could not be read" for m in self.unread]
            note = f" Advice, not required by the measure: {'; '.join(extra)}." if extra else ""
            return passed(subject, f"{self.label} is backed up: {'; '.join(self.fresh)}.{note}",
                          evidence=self.evidence, details=details)
        if self.unread:
            seen = f" ({'; '.join(self.advice)})" if self.advice else ""
            return errored(subject, f"{self.label} has no recent backup in the evidence{seen}, but the "
                                    f"{' and '.join(self.unread)} could not be read.",
                           evidence=self.evidence, details=details)
        return failed(subject, f"{self.label} has no recent backup: {'; '.join(self.advice)}.",
                      evidence=self.evidence, details=details)


Points = dict[tuple[str | None, str], Evidence[BackupProtectedResource]]


def _backup_points(ctx: CheckContext) -> Points:
    """AWS Backup protected resources by (account, resource ARN)."""
    return {(ev.resource.scope, ev.fact.resource_arn): ev for ev in ctx.evidence.of(BackupProtectedResource)}


def _offer_backup_point(ctx: CheckContext, cover: Coverage, points: Points, ev: SomeEvidence, arn: str,
                        points_listed: set[tuple[str | None, str]]) -> None:
    point = points.get((ev.resource.scope, arn))
    if point is not None:
        cover.offer("AWS Backup recovery point", parse_time(point.fact.last_backup_time),
                    ctx.policy.backup_max_age_hours, point)
    elif (ev.resource.scope, ev.resource.location) in points_listed:
        cover.absent("not protected by AWS Backup")
    else:
        cover.unreadable(f"AWS Backup protected resources of {ev.resource.location}")


#: Resource types whose backup verdict is judged per resource over every mechanism (below).
_JUDGED_PER_RESOURCE = ("ebs_volume", "rds_instance", "rds_cluster", "dynamodb_table")


@check(basis=Basis.OBSERVED,
       title="Protected resources have a recent recovery point", measure=M.BACKUPS,
       needs=(BackupProtectedResource,), severity=Severity.HIGH,
       remediation="Check the Backup jobs of the resource: the plan's schedule, failed jobs, the IAM role.")
def backups_backup_recovery_point_recent(ctx: CheckContext) -> Iterator[Verdict]:
    """Resources without another mechanism (EFS, S3, EC2): volumes, databases and tables are
    judged over all their mechanisms by their own checks, where a stale recovery point next
    to a fresh snapshot is advice."""
    limit = ctx.policy.backup_max_age_hours
    for ev in ctx.evidence.of(BackupProtectedResource):
        if ev.resource.type in _JUDGED_PER_RESOURCE:
            continue
        moment = parse_time(ev.fact.last_backup_time)
        if moment is None:
            yield failed(ev, f"{what(ev)} is protected by AWS Backup but has no recovery point.")
            continue
        age = age_hours(ctx, moment)
        text = f"{what(ev)}'s newest recovery point is {age:.1f} h old (limit {limit:g} h)."
        yield (passed if age <= limit else failed)(ev, text, details={"age_hours": round(age, 2)})


@check(basis=Basis.OBSERVED,
       title="EBS volumes have a recent snapshot or recovery point", measure=M.BACKUPS, needs=(EbsVolume,),
       optional=(EbsSnapshot, BackupProtectedResource, AwsListing), severity=Severity.HIGH,
       remediation="Protect the volume with an AWS Backup plan or a Data Lifecycle Manager snapshot policy.")
def backups_ebs_volume_recent_backup(ctx: CheckContext) -> Iterator[Verdict]:
    snap_limit = ctx.policy.snapshot_max_age_hours or ctx.policy.backup_max_age_hours
    snaps_listed = listed(ctx, "ebs_snapshot")
    points_listed = listed(ctx, "backup_protected_resource")
    points = _backup_points(ctx)
    newest: dict[tuple[str | None, str], tuple[datetime, SomeEvidence]] = {}
    for snap, snapshot in ctx.evidence.records(EbsSnapshot):
        moment = parse_time(snapshot.start_time)
        key = (snap.resource.scope, snapshot.volume_id or "")
        if snapshot.volume_id and snapshot.state in (None, "completed") and moment is not None \
                and (key not in newest or moment > newest[key][0]):
            newest[key] = (moment, snap)
    for ev, volume in ctx.evidence.records(EbsVolume):
        cover = Coverage(f"EBS volume {ev.resource.name}", ctx.now)
        cover.offer_snapshot("EBS snapshot", newest.get((ev.resource.scope, volume.volume_id)), snap_limit, ev,
                             snaps_listed)
        _offer_backup_point(ctx, cover, points, ev, ev.resource.id, points_listed)
        yield cover.verdict(ev)


@check(basis=Basis.OBSERVED,
       title="RDS databases have a recent backup (automated, AWS Backup or snapshot)", measure=M.BACKUPS,
       needs=(RdsInstance, RdsCluster), optional=(RdsSnapshot, BackupProtectedResource, AwsListing),
       severity=Severity.HIGH,
       remediation="Set a backup retention period of at least 1 day (7+ recommended) and check the backup window, "
                   "or protect the database with an AWS Backup plan.")
def backups_rds_database_recent_backup(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    snap_limit = ctx.policy.snapshot_max_age_hours or limit
    points_listed = listed(ctx, "backup_protected_resource")
    points = _backup_points(ctx)
    listings = {False: listed(ctx, "rds_snapshot"), True: listed(ctx, "rds_cluster_snapshot")}
    snapshots: dict[tuple[str | None, str | None, bool, str], tuple[datetime, SomeEvidence]] = {}
    for snap, rec in ctx.evidence.records(RdsSnapshot):
        moment = parse_time(rec.created)
        key = (snap.resource.scope, snap.resource.location, rec.cluster, rec.source or "")
        if rec.source and rec.status in (None, "available") and moment is not None \
                and (key not in snapshots or moment > snapshots[key][0]):
            snapshots[key] = (moment, snap)
    for ev, db in ctx.evidence.records(RdsInstance, RdsCluster):
        if isinstance(db, RdsInstance) and db.cluster_identifier:
            continue  # the cluster holds the backups of its instances
        if db.replica_source:
            yield not_applicable(ev, f"{what(ev)} is a read replica of {db.replica_source}; the source is backed up.")
            continue
        cover = Coverage(what(ev), ctx.now)
        if db.backup_retention_days <= 0:
            cover.absent("automated backups disabled (retention 0 days)")
        else:
            moment = parse_time(db.latest_restorable_time)
            if moment is None:
                cover.absent(f"automated backups kept {db.backup_retention_days} days but no restorable time reported")
            else:
                cover.offer(f"automated backups (retention {db.backup_retention_days} days), latest restorable time",
                            moment, limit)
        cluster = isinstance(db, RdsCluster)
        cover.offer_snapshot("RDS snapshot", snapshots.get((ev.resource.scope, ev.resource.location, cluster,
                                                            db.identifier)), snap_limit, ev, listings[cluster])
        _offer_backup_point(ctx, cover, points, ev, ev.resource.id, points_listed)
        yield cover.verdict(ev)


@check(basis=Basis.OBSERVED,
       title="DynamoDB tables have a recent backup (point-in-time recovery or AWS Backup)", measure=M.BACKUPS,
       needs=(DynamoDbTable,), optional=(DynamoDbPitr, BackupProtectedResource, AwsListing),
       severity=Severity.HIGH,
       remediation="Enable point-in-time recovery (UpdateContinuousBackups) or protect the table with an AWS "
                   "Backup plan.")
def backups_dynamodb_table_recent_backup(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    pitr = {(ev.resource.scope, ev.resource.id): ev for ev in ctx.evidence.of(DynamoDbPitr)}
    pitr_gaps = {(ev.resource.scope, ev.resource.id): ev for ev in ctx.unreadable(DynamoDbPitr)}
    points_listed = listed(ctx, "backup_protected_resource")
    points = _backup_points(ctx)
    for ev in ctx.evidence.of(DynamoDbTable):
        key = (ev.resource.scope, ev.resource.id)
        cover = Coverage(what(ev), ctx.now)
        found = pitr.get(key)
        if found is not None and found.fact.enabled:
            moment = parse_time(found.fact.latest_restorable_time)
            if moment is None:
                cover.absent("point-in-time recovery on but no restorable time reported")
            else:
                cover.offer("point-in-time recovery, latest restorable time", moment, limit, found)
        elif found is not None:
            cover.absent("point-in-time recovery off")
            cover.evidence.append(found)
        else:
            gap = pitr_gaps.get(key)
            cover.unreadable("point-in-time recovery status", [gap] if gap is not None else [])
        _offer_backup_point(ctx, cover, points, ev, ev.resource.id, points_listed)
        yield cover.verdict(ev)
