"""AWS checks: pure functions over the AWS collector's evidence.

Never any I/O and never a clock: ``ctx.now`` and ``ctx.policy`` come in. Evidence that could
not be collected never reaches a check (the engine turns it into ``error`` findings); where
a verdict also depends on a *listing* (no snapshot of this volume), the check looks for the
``aws.listing`` record of that region and says ``error`` when the listing is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from auditpack.checks import CheckContext, Verdict, check, errored, failed, manual, not_applicable, passed
from auditpack.geo import aws_region_country, residency
from auditpack.model import Evidence, Measure, Resource, Severity

M = Measure

# --- helpers -------------------------------------------------------------------------------


def _rec(ev: Evidence) -> Any:
    return ev.record


def _what(ev: Evidence) -> str:
    kind = ev.resource.type.replace("_", " ")
    for prefix, label in (("s3 ", "S3 "), ("ec2 ", "EC2 "), ("ebs ", "EBS "), ("rds ", "RDS "), ("efs ", "EFS "),
                          ("elb ", "load balancer "), ("kms ", "KMS "), ("dynamodb ", "DynamoDB "),
                          ("cloudfront ", "CloudFront "), ("cloudtrail ", "CloudTrail "), ("vpc", "VPC"),
                          ("backup ", "Backup ")):
        if kind.startswith(prefix):
            kind = label + kind[len(prefix):]
            break
    return f"{kind} {ev.resource.name or ev.resource.id}"


def _by_key(ctx: CheckContext, kind: str) -> dict[tuple[str | None, str], Evidence]:
    return {(ev.resource.scope, ev.resource.id): ev for ev in ctx.evidence.of(kind)}


def _listed(ctx: CheckContext, resource_type: str) -> set[tuple[str | None, str]]:
    """(account, region) pairs where ``resource_type`` was listed completely."""
    return {(ev.resource.scope, _rec(ev).region) for ev in ctx.evidence.of("aws.listing")
            if _rec(ev).resource_type == resource_type}


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else None


def _age_hours(ctx: CheckContext, moment: datetime) -> float:
    return (ctx.now - moment).total_seconds() / 3600


def _region_verdict(subject: Evidence | Resource, label: str, region: str | None, ctx: CheckContext,
                    evidence: Iterable[Evidence] = ()) -> Verdict:
    """Residency of ``label`` located in ``region`` under the policy."""
    if not region:  # never let a missing region become S3's "None means us-east-1"
        return errored(subject, f"{label} is in a region that could not be determined: residency cannot be decided.",
                       evidence=evidence)
    country = aws_region_country(region)
    if country is None:
        return errored(subject, f"{label} is in region {region!r}, whose country is not known to auditpack: "
                                "residency cannot be decided.", evidence=evidence)
    verdict = residency(country, ctx.policy.residency)
    text = f"{label} is in {region}: {verdict.explanation}."
    details = {"region": region, "country": country, "placement": str(verdict.placement)}
    if verdict.allowed is True:
        return passed(subject, text, evidence=evidence, details=details)
    if verdict.allowed is False:
        return failed(subject, text, evidence=evidence, details=details)
    return manual(subject, text, evidence=evidence, details=details)


# =========================================================================================
# eea_residency
# =========================================================================================

LOCATED_KINDS = ("aws.s3_bucket", "aws.ec2_instance", "aws.ec2_image", "aws.ebs_volume", "aws.ebs_snapshot",
                 "aws.rds_instance", "aws.rds_cluster", "aws.rds_snapshot", "aws.dynamodb_table", "aws.efs_file_system",
                 "aws.backup_vault", "aws.elb_load_balancer")


@check(title="AWS resources are in allowed regions", measure=M.EEA_RESIDENCY, needs=LOCATED_KINDS,
       severity=Severity.HIGH,
       remediation="Move the resource (or its data) to an allowed region and delete the copy outside it, or "
                   "record the transfer and its safeguards in the DPA's sub-processor annex.")
def eea_residency_aws_resource_in_allowed_region(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(*LOCATED_KINDS):
        if ev.kind == "aws.ec2_instance" and _rec(ev).state == "terminated":
            continue
        yield _region_verdict(ev, _what(ev), ev.resource.location, ctx)


@check(title="Data copied out of a region stays in allowed regions", measure=M.EEA_RESIDENCY,
       needs=("aws.s3_bucket_replication", "aws.backup_plan", "aws.rds_instance", "aws.rds_cluster",
              "aws.dynamodb_table"), severity=Severity.HIGH,
       remediation="Point replication rules, Backup copy actions, read replicas and global-table replicas at "
                   "allowed regions only.")
def eea_residency_aws_data_copy_destination_allowed(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.s3_bucket_replication"):
        for rule in _rec(ev).rules:
            if rule.status != "Enabled":
                continue
            label = (f"S3 bucket {ev.resource.name} replicates (rule {rule.id or '?'}) to bucket "
                     f"{rule.destination_bucket.split(':::')[-1]}, which")
            if rule.destination_region is None:
                yield errored(ev, f"S3 bucket {ev.resource.name} replicates to {rule.destination_bucket}, whose "
                                  "region could not be read: residency cannot be decided.")
            else:
                yield _region_verdict(ev, label, rule.destination_region, ctx)
    for ev in ctx.evidence.of("aws.backup_plan"):
        for rule in _rec(ev).rules:
            for dest in rule.copy_destinations:
                label = (f"Backup plan {ev.resource.name} (rule {rule.name}) copies recovery points to vault "
                         f"{dest}, which")
                yield _region_verdict(ev, label, _arn_region(dest), ctx)
    for ev in ctx.evidence.of("aws.rds_instance", "aws.rds_cluster"):
        for replica in _rec(ev).read_replicas:
            region = _arn_region(replica) or ev.resource.location  # a bare identifier is in the same region
            yield _region_verdict(ev, f"{_what(ev)} has a read replica {replica}, which", region, ctx)
    for ev in ctx.evidence.of("aws.dynamodb_table"):
        for region in _rec(ev).replica_regions:
            if region != ev.resource.location:
                yield _region_verdict(ev, f"DynamoDB table {ev.resource.name} has a global-table replica, which",
                                      region, ctx)


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return (parts[3] or None) if len(parts) > 5 and parts[0] == "arn" else None


# =========================================================================================
# encryption_at_rest
# =========================================================================================

@check(title="S3 buckets have default encryption", measure=M.ENCRYPTION_AT_REST, needs=("aws.s3_bucket_encryption",),
       severity=Severity.HIGH,
       remediation="Set default encryption on the bucket (SSE-S3 or SSE-KMS): PutBucketEncryption.")
def encryption_at_rest_s3_bucket_default_encryption(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.s3_bucket_encryption"):
        rec = _rec(ev)
        name = ev.resource.name
        if not rec.configured:
            yield failed(ev, f"S3 bucket {name}: the endpoint reports no default encryption configuration "
                             "(ServerSideEncryptionConfigurationNotFoundError); AWS itself applies SSE-S3 to every "
                             "bucket since January 2023, so this endpoint is not confirming encryption at rest.")
        else:
            key = f" with key {', '.join(rec.kms_key_ids)}" if rec.kms_key_ids else ""
            yield passed(ev, f"S3 bucket {name} encrypts new objects by default ({', '.join(rec.algorithms)}{key}).",
                         details={"algorithms": list(rec.algorithms)})


def _flag_check(ctx: CheckContext, kind: str, attr: str, good: str, bad: str) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(kind):
        if getattr(_rec(ev), attr):
            yield passed(ev, f"{_what(ev)} {good}.")
        else:
            yield failed(ev, f"{_what(ev)} {bad}.")


@check(title="EBS volumes are encrypted", measure=M.ENCRYPTION_AT_REST, needs=("aws.ebs_volume",),
       severity=Severity.HIGH,
       remediation="Snapshot the volume, copy the snapshot with encryption, create a volume from it and swap it in; "
                   "enable EBS encryption by default in the region.")
def encryption_at_rest_ebs_volume_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from _flag_check(ctx, "aws.ebs_volume", "encrypted", "is encrypted", "is not encrypted")


@check(title="EBS encryption by default is on in every scanned region", measure=M.ENCRYPTION_AT_REST,
       needs=("aws.ebs_encryption_default",), severity=Severity.MEDIUM,
       remediation="Enable EBS encryption by default in the region (EnableEbsEncryptionByDefault).")
def encryption_at_rest_ebs_default_encryption_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.ebs_encryption_default"):
        where = f"Region {ev.resource.location} of account {ev.resource.scope}"
        if _rec(ev).enabled:
            yield passed(ev, f"{where} encrypts new EBS volumes by default.")
        else:
            yield failed(ev, f"{where} does not encrypt new EBS volumes by default.")


@check(title="EBS snapshots are encrypted", measure=M.ENCRYPTION_AT_REST, needs=("aws.ebs_snapshot",),
       severity=Severity.HIGH, remediation="Copy the snapshot with encryption enabled and delete the unencrypted one.")
def encryption_at_rest_ebs_snapshot_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from _flag_check(ctx, "aws.ebs_snapshot", "encrypted", "is encrypted", "is not encrypted")


@check(title="RDS instances and clusters encrypt their storage", measure=M.ENCRYPTION_AT_REST,
       needs=("aws.rds_instance", "aws.rds_cluster"), severity=Severity.HIGH,
       remediation="Restore an encrypted copy (snapshot, copy with a KMS key, restore) and switch over.")
def encryption_at_rest_rds_storage_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    for kind in ("aws.rds_instance", "aws.rds_cluster"):
        yield from _flag_check(ctx, kind, "storage_encrypted", "encrypts its storage", "does not encrypt its storage")


@check(title="RDS snapshots are encrypted", measure=M.ENCRYPTION_AT_REST, needs=("aws.rds_snapshot",),
       severity=Severity.HIGH, remediation="Copy the snapshot with a KMS key and delete the unencrypted one.")
def encryption_at_rest_rds_snapshot_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from _flag_check(ctx, "aws.rds_snapshot", "encrypted", "is encrypted", "is not encrypted")


@check(title="EFS file systems are encrypted", measure=M.ENCRYPTION_AT_REST, needs=("aws.efs_file_system",),
       severity=Severity.HIGH,
       remediation="Create an encrypted file system, copy the data (AWS DataSync) and delete the unencrypted one.")
def encryption_at_rest_efs_file_system_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    yield from _flag_check(ctx, "aws.efs_file_system", "encrypted", "is encrypted", "is not encrypted")


@check(title="Customer-managed KMS keys rotate automatically", measure=M.ENCRYPTION_AT_REST,
       needs=("aws.kms_key_rotation",), severity=Severity.MEDIUM,
       remediation="Enable automatic key rotation (EnableKeyRotation).")
def encryption_at_rest_kms_key_rotation_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    yield from _flag_check(ctx, "aws.kms_key_rotation", "enabled", "rotates automatically",
                           "does not rotate automatically")


# =========================================================================================
# encryption_in_transit
# =========================================================================================

@check(title="S3 bucket policies refuse plain HTTP", measure=M.ENCRYPTION_IN_TRANSIT, needs=("aws.s3_bucket_policy",),
       severity=Severity.MEDIUM,
       remediation='Add a bucket policy statement: Effect Deny, Principal "*", Action "s3:*", Condition '
                   '{"Bool": {"aws:SecureTransport": "false"}}.')
def encryption_in_transit_s3_bucket_policy_requires_tls(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.s3_bucket_policy"):
        rec, name = _rec(ev), ev.resource.name
        if rec.denies_insecure_transport:
            yield passed(ev, f"S3 bucket {name}'s policy denies requests without TLS (aws:SecureTransport = false).")
        elif rec.has_policy:
            yield failed(ev, f"S3 bucket {name}'s policy does not deny requests without TLS.")
        else:
            yield failed(ev, f"S3 bucket {name} has no bucket policy, so requests without TLS are not denied.")


_TLS_ORDER = {"SSLv3": 0.0, "TLSv1": 1.0, "TLSv1.1": 1.1, "TLSv1.2": 1.2, "TLSv1.3": 1.3}


def _weak(protocols: Iterable[str], minimum: str) -> list[str]:
    floor = float(minimum)
    return [p for p in protocols if _TLS_ORDER.get(p, 0.0) < floor]


@check(title="Load balancer listeners use TLS or redirect to it", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=("aws.elb_listener",), optional=("aws.elb_ssl_policy",), severity=Severity.HIGH,
       remediation="Make HTTP listeners redirect to HTTPS (301) and use an SSL policy without TLS < 1.2, e.g. "
                   "ELBSecurityPolicy-TLS13-1-2-2021-06.")
def encryption_in_transit_elb_listener_tls(ctx: CheckContext) -> Iterator[Verdict]:
    policies = {(ev.resource.scope, ev.resource.location, _rec(ev).name): ev
                for ev in ctx.evidence.of("aws.elb_ssl_policy")}
    minimum = ctx.policy.tls_min_version
    for ev in ctx.evidence.of("aws.elb_listener"):
        rec = _rec(ev)
        what = f"Listener {ev.resource.name} ({rec.protocol})"
        if rec.protocol == "HTTP":
            if "redirect" in rec.default_actions and rec.redirect_protocol == "HTTPS":
                yield passed(ev, f"{what} redirects every request to HTTPS.")
            else:
                yield failed(ev, f"{what} serves plain HTTP without redirecting to HTTPS.")
        elif rec.protocol in ("HTTPS", "TLS"):
            pol = policies.get((ev.resource.scope, ev.resource.location, rec.ssl_policy))
            if pol is None:
                yield errored(ev, f"{what} uses SSL policy {rec.ssl_policy}, whose protocols could not be read.")
                continue
            weak = _weak(_rec(pol).protocols, minimum)
            if weak:
                yield failed(ev, f"{what} uses SSL policy {rec.ssl_policy}, which allows {', '.join(weak)} "
                                 f"(below TLS {minimum}).", evidence=(pol,))
            else:
                yield passed(ev, f"{what} uses SSL policy {rec.ssl_policy}, which allows only "
                                 f"{', '.join(_rec(pol).protocols)}.", evidence=(pol,))
        else:
            yield manual(ev, f"{what} passes traffic through without terminating TLS: check the targets' TLS "
                             "(tls collector) or attach evidence.")


_CF_VERSION = {"SSLv3": 0.0, "TLSv1": 1.0, "TLSv1_2016": 1.0, "TLSv1.1_2016": 1.1, "TLSv1.2_2018": 1.2,
               "TLSv1.2_2019": 1.2, "TLSv1.2_2021": 1.2, "TLSv1.2_2025": 1.2, "TLSv1.3_2025": 1.3}


@check(title="CloudFront distributions require HTTPS with a modern minimum TLS version",
       measure=M.ENCRYPTION_IN_TRANSIT, needs=("aws.cloudfront_config",), severity=Severity.HIGH,
       remediation="Set every cache behaviour's viewer protocol policy to redirect-to-https or https-only, use "
                   "your own certificate and the security policy TLSv1.2_2021 or newer.")
def encryption_in_transit_cloudfront_distribution_https(ctx: CheckContext) -> Iterator[Verdict]:
    floor = float(ctx.policy.tls_min_version)
    for ev in ctx.evidence.of("aws.cloudfront_config"):
        rec = _rec(ev)
        name = f"CloudFront distribution {ev.resource.name} ({ev.resource.id.rsplit('/', 1)[-1]})"
        if "allow-all" in rec.viewer_protocol_policies:
            yield failed(ev, f"{name} accepts plain HTTP (viewer protocol policy allow-all).")
        elif rec.default_certificate:
            yield failed(ev, f"{name} uses the default *.cloudfront.net certificate, which accepts TLSv1 whatever "
                             "the configured minimum.")
        elif rec.minimum_protocol_version not in _CF_VERSION:
            yield errored(ev, f"{name} has minimum protocol version {rec.minimum_protocol_version!r}, "
                              "unknown to auditpack.")
        elif _CF_VERSION[rec.minimum_protocol_version] < floor:
            yield failed(ev, f"{name} allows viewers below TLS {ctx.policy.tls_min_version} "
                             f"(minimum protocol version {rec.minimum_protocol_version}).")
        else:
            yield passed(ev, f"{name} requires HTTPS with minimum protocol version {rec.minimum_protocol_version}.")


# =========================================================================================
# access_logging
# =========================================================================================

@check(title="A multi-region CloudTrail trail is logging with log file validation", measure=M.ACCESS_LOGGING,
       needs=("aws.account", "aws.cloudtrail_trail", "aws.cloudtrail_status"), gate="scope", severity=Severity.HIGH,
       remediation="Create a multi-region trail (or an organisation trail) with log file validation and start "
                   "logging.")
def access_logging_cloudtrail_multi_region_trail_logging(ctx: CheckContext) -> Iterator[Verdict]:
    status = _by_key(ctx, "aws.cloudtrail_status")
    for account in ctx.evidence.of("aws.account"):
        trails = [ev for ev in ctx.evidence.of("aws.cloudtrail_trail") if ev.resource.scope == account.resource.scope]
        good, notes = [], []
        for ev in trails:
            rec = _rec(ev)
            st = status.get((ev.resource.scope, ev.resource.id))
            logging = st is not None and _rec(st).is_logging
            problems = [text for ok, text in ((rec.multi_region, "single-region"), (logging, "not logging"),
                                              (rec.log_file_validation, "no log file validation")) if not ok]
            if problems:
                notes.append(f"{rec.name}: {', '.join(problems)}")
            else:
                good.append(ev)
        if good:
            yield passed(account, f"Account {account.resource.scope} has a multi-region trail that is logging with log "
                                  f"file validation ({', '.join(_rec(e).name for e in good)}).", evidence=good)
        elif trails:
            yield failed(account, f"Account {account.resource.scope} has no multi-region trail that is logging with "
                                  f"log file validation ({'; '.join(notes)}).", evidence=trails)
        else:
            yield failed(account, f"Account {account.resource.scope} has no CloudTrail trail in the scanned regions.")


@check(title="S3 buckets have server access logging", measure=M.ACCESS_LOGGING, needs=("aws.s3_bucket_logging",),
       severity=Severity.MEDIUM,
       remediation="Enable server access logging to a separate log bucket (or CloudTrail S3 data events).")
def access_logging_s3_bucket_server_access_logging_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.s3_bucket_logging"):
        rec = _rec(ev)
        if rec.enabled:
            yield passed(ev, f"S3 bucket {ev.resource.name} logs access to bucket {rec.target_bucket}.")
        else:
            yield failed(ev, f"S3 bucket {ev.resource.name} has no server access logging.")


@check(title="Load balancers write access logs", measure=M.ACCESS_LOGGING, needs=("aws.elb_attributes",),
       severity=Severity.MEDIUM, remediation="Set access_logs.s3.enabled = true with a log bucket.")
def access_logging_elb_access_logs_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.elb_attributes"):
        rec = _rec(ev)
        if rec.access_logs_enabled:
            yield passed(ev, f"Load balancer {ev.resource.name} writes access logs to {rec.access_logs_bucket}.")
        else:
            yield failed(ev, f"Load balancer {ev.resource.name} does not write access logs.")


@check(title="VPCs have flow logs", measure=M.ACCESS_LOGGING, needs=("aws.vpc_flow_logs",), severity=Severity.MEDIUM,
       remediation="Create a VPC flow log (CloudWatch Logs or S3) for the VPC.")
def access_logging_vpc_flow_logs_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.vpc_flow_logs"):
        rec = _rec(ev)
        if rec.active:
            yield passed(ev, f"VPC {ev.resource.name} has an active flow log ({', '.join(rec.flow_log_ids)}).")
        elif rec.flow_log_ids:
            yield failed(ev, f"VPC {ev.resource.name} has flow logs, none of them active.")
        else:
            yield failed(ev, f"VPC {ev.resource.name} has no flow log.")


@check(title="CloudFront distributions write access logs", measure=M.ACCESS_LOGGING, needs=("aws.cloudfront_config",),
       severity=Severity.MEDIUM, remediation="Enable standard logging for the distribution.")
def access_logging_cloudfront_distribution_logging_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.cloudfront_config"):
        rec = _rec(ev)
        if rec.logging_enabled:
            yield passed(ev, f"CloudFront distribution {ev.resource.name} logs to {rec.logging_bucket}.")
        else:
            yield failed(ev, f"CloudFront distribution {ev.resource.name} has logging disabled.")


# =========================================================================================
# backups
# =========================================================================================

@check(title="AWS Backup plans exist and select resources", measure=M.BACKUPS,
       needs=("aws.account", "aws.backup_plan", "aws.backup_selection"), gate="scope", severity=Severity.HIGH,
       remediation="Create an AWS Backup plan with a rule and a resource selection covering the personal data.")
def backups_backup_plan_covers_resources(ctx: CheckContext) -> Iterator[Verdict]:
    for account in ctx.evidence.of("aws.account"):
        scope = account.resource.scope
        plans = [ev for ev in ctx.evidence.of("aws.backup_plan") if ev.resource.scope == scope]
        selections = [ev for ev in ctx.evidence.of("aws.backup_selection") if ev.resource.scope == scope
                      and (_rec(ev).resources or _rec(ev).has_conditions)]
        if plans and selections:
            yield passed(account, f"Account {scope} has {len(plans)} Backup plan(s) selecting resources "
                                  f"({', '.join(str(e.resource.name) for e in selections)}).",
                         evidence=plans + selections)
        elif plans:
            names = ", ".join(str(e.resource.name) for e in plans)
            yield failed(account, f"Account {scope} has Backup plans ({names}) "
                                  "but none selects any resource.", evidence=plans)
        else:
            yield failed(account, f"Account {scope} has no AWS Backup plan in the scanned regions.")


@check(title="Protected resources have a recent recovery point", measure=M.BACKUPS,
       needs=("aws.backup_protected_resource",), severity=Severity.HIGH,
       remediation="Check the Backup jobs of the resource: the plan's schedule, failed jobs, the IAM role.")
def backups_backup_recovery_point_recent(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    for ev in ctx.evidence.of("aws.backup_protected_resource"):
        moment = _time(_rec(ev).last_backup_time)
        if moment is None:
            yield failed(ev, f"{_what(ev)} is protected by AWS Backup but has no recovery point.")
            continue
        age = _age_hours(ctx, moment)
        text = f"{_what(ev)}'s newest recovery point is {age:.1f} h old (limit {limit:g} h)."
        yield (passed if age <= limit else failed)(ev, text, details={"age_hours": round(age, 2)})


@check(title="EBS volumes have a recent snapshot or recovery point", measure=M.BACKUPS, needs=("aws.ebs_volume",),
       optional=("aws.ebs_snapshot", "aws.backup_protected_resource", "aws.listing"), severity=Severity.HIGH,
       remediation="Protect the volume with an AWS Backup plan or a Data Lifecycle Manager snapshot policy.")
def backups_ebs_volume_recent_backup(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.snapshot_max_age_hours or ctx.policy.backup_max_age_hours
    snaps_listed = _listed(ctx, "ebs_snapshot")
    points_listed = _listed(ctx, "backup_protected_resource")
    newest: dict[tuple[str | None, str], tuple[datetime, Evidence]] = {}

    def offer(key: tuple[str | None, str], moment: datetime | None, ev: Evidence) -> None:
        if moment is not None and (key not in newest or moment > newest[key][0]):
            newest[key] = (moment, ev)

    for ev in ctx.evidence.of("aws.ebs_snapshot"):
        rec = _rec(ev)
        if rec.volume_id and rec.state in (None, "completed"):
            offer((ev.resource.scope, rec.volume_id), _time(rec.start_time), ev)
    for ev in ctx.evidence.of("aws.backup_protected_resource"):
        arn = _rec(ev).resource_arn
        if ":volume/" in arn:
            offer((ev.resource.scope, arn.rsplit("/", 1)[-1]), _time(_rec(ev).last_backup_time), ev)
    for ev in ctx.evidence.of("aws.ebs_volume"):
        key = (ev.resource.scope, _rec(ev).volume_id)
        where = (ev.resource.scope, ev.resource.location)
        complete = where in snaps_listed and where in points_listed
        found = newest.get(key)
        if found is not None:
            age = _age_hours(ctx, found[0])
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


@check(title="RDS automated backups are on and recent", measure=M.BACKUPS,
       needs=("aws.rds_instance", "aws.rds_cluster"),
       severity=Severity.HIGH,
       remediation="Set a backup retention period of at least 1 day (7+ recommended) and check the backup window.")
def backups_rds_automated_backups_recent(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.backup_max_age_hours
    for ev in ctx.evidence.of("aws.rds_instance", "aws.rds_cluster"):
        rec = _rec(ev)
        if ev.kind == "aws.rds_instance" and rec.cluster_identifier:
            continue  # the cluster holds the backups of its instances
        if rec.replica_source:
            yield not_applicable(ev, f"{_what(ev)} is a read replica of {rec.replica_source}; the source is backed up.")
            continue
        if rec.backup_retention_days <= 0:
            yield failed(ev, f"{_what(ev)} has automated backups disabled (retention 0 days).")
            continue
        moment = _time(rec.latest_restorable_time)
        if moment is None:
            yield failed(ev, f"{_what(ev)} keeps backups for {rec.backup_retention_days} days but reports no "
                             "restorable "
                             "time.")
            continue
        age = _age_hours(ctx, moment)
        text = (f"{_what(ev)} keeps backups for {rec.backup_retention_days} days; its latest restorable time is "
                f"{age:.1f} h old (limit {limit:g} h).")
        yield (passed if age <= limit else failed)(ev, text)


@check(title="DynamoDB tables have point-in-time recovery", measure=M.BACKUPS, needs=("aws.dynamodb_pitr",),
       severity=Severity.HIGH, remediation="Enable point-in-time recovery (UpdateContinuousBackups).")
def backups_dynamodb_table_pitr_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    yield from _flag_check(ctx, "aws.dynamodb_pitr", "enabled", "has point-in-time recovery enabled",
                           "has point-in-time recovery disabled")


# =========================================================================================
# access_control
# =========================================================================================

@check(title="The root user has MFA", measure=M.ACCESS_CONTROL, needs=("aws.iam_account_summary",),
       severity=Severity.CRITICAL, remediation="Enable MFA (preferably a hardware key) on the root user.")
def access_control_iam_root_mfa_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.iam_account_summary"):
        if _rec(ev).root_mfa_enabled:
            yield passed(ev, f"The root user of account {ev.resource.scope} has MFA enabled.")
        else:
            yield failed(ev, f"The root user of account {ev.resource.scope} has no MFA.")


@check(title="The root user has no access keys", measure=M.ACCESS_CONTROL, needs=("aws.iam_account_summary",),
       severity=Severity.CRITICAL, remediation="Delete the root user's access keys; use IAM roles instead.")
def access_control_iam_root_access_keys_absent(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.iam_account_summary"):
        if _rec(ev).root_access_keys_present:
            yield failed(ev, f"The root user of account {ev.resource.scope} has access keys.")
        else:
            yield passed(ev, f"The root user of account {ev.resource.scope} has no access keys.")


def _user(ev: Evidence, user: Any) -> Resource:
    return Resource(provider="aws", type="iam_user", id=user.arn or user.user, name=user.user, location="global",
                    scope=ev.resource.scope)


@check(title="IAM users with a console password have MFA", measure=M.ACCESS_CONTROL,
       needs=("aws.iam_credential_report",), severity=Severity.HIGH,
       remediation="Require MFA for the user (or remove the console password); prefer SSO (IAM Identity Center).")
def access_control_iam_user_mfa_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.iam_credential_report"):
        for user in _rec(ev).users:
            if not user.password_enabled:
                continue
            res = _user(ev, user)
            if user.mfa_active:
                yield passed(res, f"IAM user {user.user} signs in to the console with MFA.", evidence=(ev,))
            else:
                yield failed(res, f"IAM user {user.user} has a console password and no MFA.", evidence=(ev,))


@check(title="Active access keys are rotated", measure=M.ACCESS_CONTROL, needs=("aws.iam_credential_report",),
       severity=Severity.MEDIUM,
       remediation="Create a new access key, switch the application to it, deactivate and delete the old one.")
def access_control_iam_access_key_rotated(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.access_key_max_age_days
    for ev in ctx.evidence.of("aws.iam_credential_report"):
        for user in _rec(ev).users:
            active = [k for k in user.access_keys if k.active]
            if not active:
                continue
            res = _user(ev, user)
            ages = []
            for key in active:
                moment = _time(key.last_rotated)
                if moment is None:
                    break
                ages.append((key.slot, (ctx.now - moment).total_seconds() / 86400))
            else:
                old = [f"key {slot}: {age:.0f} days" for slot, age in ages if age > limit]
                if old:
                    yield failed(res, f"IAM user {user.user} has active access keys older than {limit} days "
                                      f"({', '.join(old)}).", evidence=(ev,))
                else:
                    yield passed(res, f"IAM user {user.user}'s active access keys are at most {limit} days old.",
                                 evidence=(ev,))
                continue
            yield errored(res, f"IAM user {user.user} has an active access key without a rotation date.",
                          evidence=(ev,))


PASSWORD_MIN_LENGTH = 14  # CIS AWS Foundations Benchmark


@check(title="The IAM password policy is strong", measure=M.ACCESS_CONTROL, needs=("aws.iam_password_policy",),
       severity=Severity.MEDIUM,
       remediation=f"Set an account password policy with a minimum length of {PASSWORD_MIN_LENGTH} and reuse "
                   "prevention (or disable IAM user passwords in favour of SSO).")
def access_control_iam_password_policy_strong(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of("aws.iam_password_policy"):
        rec = _rec(ev)
        account = ev.resource.scope
        if not rec.present:
            yield failed(ev, f"Account {account} has no IAM password policy (AWS defaults: 8 characters).")
        elif (rec.minimum_length or 0) < PASSWORD_MIN_LENGTH:
            yield failed(ev, f"Account {account}'s password policy requires only {rec.minimum_length} characters "
                             f"(at least {PASSWORD_MIN_LENGTH} expected).")
        else:
            yield passed(ev, f"Account {account}'s password policy requires at least {rec.minimum_length} characters.")


@check(title="S3 buckets block public access", measure=M.ACCESS_CONTROL, needs=("aws.s3_bucket_public_access_block",),
       optional=("aws.s3_account_public_access_block",), severity=Severity.HIGH,
       remediation="Turn on all four Block Public Access settings on the bucket or for the whole account.")
def access_control_s3_bucket_public_access_blocked(ctx: CheckContext) -> Iterator[Verdict]:
    accounts = {ev.resource.scope: ev for ev in ctx.evidence.of("aws.s3_account_public_access_block")}
    for ev in ctx.evidence.of("aws.s3_bucket_public_access_block"):
        name = ev.resource.name
        account = accounts.get(ev.resource.scope)
        if _rec(ev).settings.complete:
            yield passed(ev, f"S3 bucket {name} blocks all public access.")
        elif account is not None and _rec(account).settings.complete:
            yield passed(ev, f"S3 bucket {name} is covered by its account's Block Public Access settings.",
                         evidence=(account,))
        elif account is None:
            yield errored(ev, f"S3 bucket {name} does not block all public access itself and its account's Block "
                              "Public Access settings could not be read.")
        else:
            yield failed(ev, f"S3 bucket {name} does not block public access (neither the bucket nor the account "
                             "has all four Block Public Access settings on).", evidence=(account,))


# =========================================================================================
# network_security
# =========================================================================================

_WORLD = ("0.0.0.0/0", "::/0")


@check(title="Security groups do not open admin or database ports to the world", measure=M.NETWORK_SECURITY,
       needs=("aws.security_group",), severity=Severity.HIGH,
       remediation="Restrict the rule to known addresses, or reach the hosts through SSM Session Manager or a VPN.")
def network_security_security_group_sensitive_ports_restricted(ctx: CheckContext) -> Iterator[Verdict]:
    sensitive = sorted(set(ctx.policy.admin_ports) | set(ctx.policy.database_ports))
    for ev in ctx.evidence.of("aws.security_group"):
        exposed: set[int] = set()
        for rule in _rec(ev).ingress:
            if not any(src in _WORLD for src in rule.sources):
                continue
            if rule.protocol in ("-1", "all"):
                exposed.update(sensitive)
            elif rule.protocol in ("tcp", "udp", "6", "17"):
                low = rule.from_port if rule.from_port is not None else 0
                high = rule.to_port if rule.to_port is not None else 65535
                exposed.update(p for p in sensitive if low <= p <= high)
        name = f"Security group {ev.resource.name} ({_rec(ev).group_id})"
        if exposed:
            yield failed(ev, f"{name} allows the whole internet to reach port(s) "
                             f"{', '.join(str(p) for p in sorted(exposed))}.", details={"ports": sorted(exposed)})
        else:
            yield passed(ev, f"{name} opens no admin or database port to the whole internet.")
