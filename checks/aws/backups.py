"""Backups: AWS Backup plans and recovery points, EBS snapshots, RDS backups, DynamoDB PITR."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from auditpack.checks import CheckContext, SomeEvidence, Verdict, check, errored, failed, not_applicable, passed
from auditpack.evidence.aws import (
    AwsAccount,
    AwsListing,
    BackupPlan,
    BackupProtectedResource,
    BackupSelection,
    DynamoDbPitr,
    EbsSnapshot,
    EbsVolume,
    RdsCluster,
    RdsInstance,
)
from auditpack.model import Basis, Measure, Severity

from .common import age_hours, flag_check, listed, parse_time, what

M = Measure


@check(basis=Basis.OBSERVED, title="AWS Backup plans exist and select resources", measure=M.BACKUPS,
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


@check(basis=Basis.OBSERVED, title="Protected resources have a recent recovery point", measure=M.BACKUPS,
       needs=(BackupProtectedResource,), severity=Severity.HIGH,
       remediation="Check the Backup jobs of the resource: the plan's schedule, failed jobs, the IAM role.")
def backups_backup_recovery_point_recent(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    for ev in ctx.evidence.of(BackupProtectedResource):
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
    limit = ctx.policy.snapshot_max_age_hours or ctx.policy.backup_max_age_hours
    snaps_listed = listed(ctx, "ebs_snapshot")
    points_listed = listed(ctx, "backup_protected_resource")
    newest: dict[tuple[str | None, str], tuple[datetime, SomeEvidence]] = {}

    def offer(key: tuple[str | None, str], moment: datetime | None, ev: SomeEvidence) -> None:
        if moment is not None and (key not in newest or moment > newest[key][0]):
            newest[key] = (moment, ev)

    for snap, snapshot in ctx.evidence.records(EbsSnapshot):
        if snapshot.volume_id and snapshot.state in (None, "completed"):
            offer((snap.resource.scope, snapshot.volume_id), parse_time(snapshot.start_time), snap)
    for point, protected in ctx.evidence.records(BackupProtectedResource):
        arn = protected.resource_arn
        if ":volume/" in arn:
            offer((point.resource.scope, arn.rsplit("/", 1)[-1]), parse_time(protected.last_backup_time), point)
    for ev, volume in ctx.evidence.records(EbsVolume):
        key = (ev.resource.scope, volume.volume_id)
        where = (ev.resource.scope, ev.resource.location)
        complete = where in snaps_listed and where in points_listed
        found = newest.get(key)
        if found is not None:
            age = age_hours(ctx, found[0])
            text = f"EBS volume {ev.resource.name}'s newest backup ({found[1].resource.name}) is {age:.1f} h old " \
                   f"(limit {limit:g} h)."
            if age <= limit:
                yield passed(ev, text, evidence=(found[1],))
                continue
            if complete:
                yield failed(ev, text, evidence=(found[1],))
                continue
        elif complete:
            yield failed(ev, f"EBS volume {ev.resource.name} has no snapshot and no AWS Backup recovery point.")
            continue
        missing = [name for name, listed in (("EBS snapshots", snaps_listed), ("AWS Backup protected resources",
                                                                               points_listed)) if where not in listed]
        yield errored(ev, f"EBS volume {ev.resource.name} has no recent backup in the evidence, but the "
                          f"{' and '.join(missing)} of {ev.resource.location} could not be listed.")


@check(basis=Basis.OBSERVED, title="RDS automated backups are on and recent", measure=M.BACKUPS,
       needs=(RdsInstance, RdsCluster),
       severity=Severity.HIGH,
       remediation="Set a backup retention period of at least 1 day (7+ recommended) and check the backup window.")
def backups_rds_automated_backups_recent(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    for ev, rec in ctx.evidence.records(RdsInstance, RdsCluster):
        if isinstance(rec, RdsInstance) and rec.cluster_identifier:
            continue  # the cluster holds the backups of its instances
        if rec.replica_source:
            yield not_applicable(ev, f"{what(ev)} is a read replica of {rec.replica_source}; the source is backed up.")
            continue
        if rec.backup_retention_days <= 0:
            yield failed(ev, f"{what(ev)} has automated backups disabled (retention 0 days).")
            continue
        moment = parse_time(rec.latest_restorable_time)
        if moment is None:
            yield failed(ev, f"{what(ev)} keeps backups for {rec.backup_retention_days} days but reports no "
                             "restorable "
                             "time.")
            continue
        age = age_hours(ctx, moment)
        text = (f"{what(ev)} keeps backups for {rec.backup_retention_days} days; its latest restorable time is "
                f"{age:.1f} h old (limit {limit:g} h).")
        yield (passed if age <= limit else failed)(ev, text)


@check(basis=Basis.OBSERVED,
       title="DynamoDB tables have point-in-time recovery", measure=M.BACKUPS, needs=(DynamoDbPitr,),
       severity=Severity.HIGH, remediation="Enable point-in-time recovery (UpdateContinuousBackups).")
def backups_dynamodb_table_pitr_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    yield from flag_check(ctx, DynamoDbPitr, lambda r: r.enabled, "has point-in-time recovery enabled",
                           "has point-in-time recovery disabled")
