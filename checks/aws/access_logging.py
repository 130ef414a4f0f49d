"""Access logging: CloudTrail, S3 server access logs, load balancers, VPC flow logs, CloudFront."""

from __future__ import annotations

from collections.abc import Iterator

from auditpack.checks import CheckContext, Verdict, check, failed, passed
from auditpack.evidence.aws import (
    AwsAccount,
    CloudFrontConfig,
    CloudTrailStatus,
    CloudTrailTrail,
    ElbAttributes,
    S3BucketLogging,
    VpcFlowLogs,
)
from auditpack.model import Basis, Measure, Severity

from .common import by_key

M = Measure


@check(basis=Basis.OBSERVED,
       title="A multi-region CloudTrail trail is logging with log file validation", measure=M.ACCESS_LOGGING,
       needs=(AwsAccount, CloudTrailTrail, CloudTrailStatus), gate="scope", severity=Severity.HIGH,
       remediation="Create a multi-region trail (or an organisation trail) with log file validation and start "
                   "logging.")
def access_logging_cloudtrail_multi_region_trail_logging(ctx: CheckContext) -> Iterator[Verdict]:
    status = by_key(ctx, CloudTrailStatus)
    for account in ctx.evidence.of(AwsAccount):
        trails = [ev for ev in ctx.evidence.of(CloudTrailTrail) if ev.resource.scope == account.resource.scope]
        good, notes = [], []
        for ev in trails:
            rec = ev.fact
            st = status.get((ev.resource.scope, ev.resource.id))
            logging = st is not None and st.fact.is_logging
            problems = [text for ok, text in ((rec.multi_region, "single-region"), (logging, "not logging"),
                                              (rec.log_file_validation, "no log file validation")) if not ok]
            if problems:
                notes.append(f"{rec.name}: {', '.join(problems)}")
            else:
                good.append(ev)
        if good:
            yield passed(account, f"Account {account.resource.scope} has a multi-region trail that is logging with log "
                                  f"file validation ({', '.join(e.fact.name for e in good)}).", evidence=good)
        elif trails:
            yield failed(account, f"Account {account.resource.scope} has no multi-region trail that is logging with "
                                  f"log file validation ({'; '.join(notes)}).", evidence=trails)
        else:
            yield failed(account, f"Account {account.resource.scope} has no CloudTrail trail in the scanned regions.")


@check(basis=Basis.OBSERVED,
       title="Every CloudTrail trail is logging", measure=M.ACCESS_LOGGING,
       needs=(CloudTrailTrail, CloudTrailStatus), severity=Severity.MEDIUM,
       remediation="Start logging on the trail (StartLogging) or delete a trail that is no longer meant to log.")
def access_logging_cloudtrail_trail_logging(ctx: CheckContext) -> Iterator[Verdict]:
    """Every trail, not only the best one: a trail that was set up and stopped is a gap in the
    record it was meant to keep, even when an organisation or multi-region trail also logs."""
    status = by_key(ctx, CloudTrailStatus)
    for ev, trail in ctx.evidence.records(CloudTrailTrail):
        st = status.get((ev.resource.scope, ev.resource.id))
        if st is None:
            continue  # unreadable: the engine reports the status as an error for this trail
        scope = "organisation" if trail.organization_trail else "multi-region" if trail.multi_region \
            else "single-region"
        label = f"CloudTrail trail {trail.name} ({scope}, home region {trail.home_region})"
        if st.fact.is_logging:
            yield passed(ev, f"{label} is logging.", evidence=(st,))
        else:
            yield failed(ev, f"{label} is not logging.", evidence=(st,))


@check(basis=Basis.OBSERVED,
       title="S3 buckets have server access logging", measure=M.ACCESS_LOGGING, needs=(S3BucketLogging,),
       severity=Severity.MEDIUM,
       remediation="Enable server access logging to a separate log bucket (or CloudTrail S3 data events).")
def access_logging_s3_bucket_server_access_logging_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(S3BucketLogging):
        if rec.enabled:
            yield passed(ev, f"S3 bucket {ev.resource.name} logs access to bucket {rec.target_bucket}.")
        else:
            yield failed(ev, f"S3 bucket {ev.resource.name} has no server access logging.")


@check(basis=Basis.OBSERVED,
       title="Load balancers write access logs", measure=M.ACCESS_LOGGING, needs=(ElbAttributes,),
       severity=Severity.MEDIUM, remediation="Set access_logs.s3.enabled = true with a log bucket.")
def access_logging_elb_access_logs_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(ElbAttributes):
        if rec.access_logs_enabled:
            yield passed(ev, f"Load balancer {ev.resource.name} writes access logs to {rec.access_logs_bucket}.")
        else:
            yield failed(ev, f"Load balancer {ev.resource.name} does not write access logs.")


@check(basis=Basis.OBSERVED,
       title="VPCs have flow logs", measure=M.ACCESS_LOGGING, needs=(VpcFlowLogs,), severity=Severity.MEDIUM,
       remediation="Create a VPC flow log (CloudWatch Logs or S3) for the VPC.")
def access_logging_vpc_flow_logs_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(VpcFlowLogs):
        if rec.active:
            yield passed(ev, f"VPC {ev.resource.name} has an active flow log ({', '.join(rec.flow_log_ids)}).")
        elif rec.flow_log_ids:
            yield failed(ev, f"VPC {ev.resource.name} has flow logs, none of them active.")
        else:
            yield failed(ev, f"VPC {ev.resource.name} has no flow log.")


@check(basis=Basis.OBSERVED,
       title="CloudFront distributions write access logs", measure=M.ACCESS_LOGGING, needs=(CloudFrontConfig,),
       severity=Severity.MEDIUM, remediation="Enable standard logging for the distribution.")
def access_logging_cloudfront_distribution_logging_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(CloudFrontConfig):
        if rec.logging_enabled:
            yield passed(ev, f"CloudFront distribution {ev.resource.name} logs to {rec.logging_bucket}.")
        else:
            yield failed(ev, f"CloudFront distribution {ev.resource.name} has logging disabled.")
