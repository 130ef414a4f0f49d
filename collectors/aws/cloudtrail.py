"""CloudTrail readers: trails and their logging status."""

from __future__ import annotations

import functools
from typing import Any

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .run import MISSING, Run, arn_region
from .session import Account, iso


def cloudtrail(run: Run, acct: Account, region: str) -> None:
    client = acct.client("cloudtrail", region)
    source = "cloudtrail:DescribeTrails"
    # Shadow trails included: a multi-region or organisation trail homed in a region that is
    # not scanned still shows up. Each trail is emitted (and its status read) once.
    trails = run.region_listing(acct, region, (r.CloudTrailTrail, r.CloudTrailStatus), "cloudtrail_trail",
                                source,
                                lambda: client.describe_trails(includeShadowTrails=True).get("trailList", []))
    for trail in trails or []:
        arn = trail.get("TrailARN") or run.arn(acct, "cloudtrail", region, f"trail/{trail['Name']}")
        run.memo.get((acct.account_id, "trail", arn), functools.partial(_trail, run, acct, region, arn, trail, source))


def _trail(run: Run, acct: Account, region: str, arn: str, trail: dict[str, Any], source: str) -> None:
    home = trail.get("HomeRegion") or region
    res = run.resource(acct, "cloudtrail_trail", arn, trail.get("Name"), home)
    rec = r.CloudTrailTrail(name=str(trail.get("Name")), home_region=home,
                            multi_region=bool(trail.get("IsMultiRegionTrail")),
                            log_file_validation=bool(trail.get("LogFileValidationEnabled")),
                            s3_bucket=trail.get("S3BucketName"),
                            organization_trail=bool(trail.get("IsOrganizationTrail")),
                            log_group_arn=trail.get("CloudWatchLogsLogGroupArn") or None)
    acct.found(home)
    if rec.log_group_arn:
        acct.found(arn_region(rec.log_group_arn))
    run.ok(rec, res, trail, source)
    run.submit(_trail_status, run, acct, home, res)


def _trail_status(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "cloudtrail:GetTrailStatus"
    resp = run.attempt(r.CloudTrailStatus, res, source,
                       lambda: acct.client("cloudtrail", region).get_trail_status(Name=res.id))
    if resp is MISSING:
        return
    rec = r.CloudTrailStatus(is_logging=bool(resp.get("IsLogging")),
                             latest_delivery_error=resp.get("LatestDeliveryError") or None,
                             latest_delivery_time=iso(resp.get("LatestDeliveryTime")))
    run.ok(rec, res, resp, source)
