"""CloudFront readers: distributions and their configuration."""

from __future__ import annotations

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .run import MISSING, Run
from .session import Account


def cloudfront(run: Run, acct: Account) -> None:
    client = acct.global_client("cloudfront")
    source = "cloudfront:ListDistributions"
    items = run.attempt((r.CloudFrontDistribution, r.CloudFrontConfig), run.account_resource(acct), source,
                        lambda: run.paginate(client, "list_distributions",
                                             lambda page: (page.get("DistributionList") or {}).get("Items") or []))
    if items is MISSING:
        return
    run.listed(acct, "global", "cloudfront_distribution", len(items), source)
    for dist in items:
        did = dist["Id"]
        res = run.resource(acct, "cloudfront_distribution", dist.get("ARN") or f"arn:{acct.partition}:cloudfront::"
                           f"{acct.account_id}:distribution/{did}", dist.get("DomainName") or did, "global")
        rec = r.CloudFrontDistribution(distribution_id=did, domain_name=dist.get("DomainName"),
                                       enabled=bool(dist.get("Enabled")))
        run.ok(rec, res, dist, source)
        run.submit(_cloudfront_config, run, acct, res, did)


def _cloudfront_config(run: Run, acct: Account, res: Resource, did: str) -> None:
    source = "cloudfront:GetDistributionConfig"
    resp = run.attempt(r.CloudFrontConfig, res, source,
                       lambda: acct.global_client("cloudfront").get_distribution_config(Id=did))
    if resp is MISSING:
        return
    conf = resp.get("DistributionConfig") or {}
    behaviours = [conf.get("DefaultCacheBehavior") or {}] + list((conf.get("CacheBehaviors") or {}).get("Items") or [])
    cert = conf.get("ViewerCertificate") or {}
    logging = conf.get("Logging") or {}
    rec = r.CloudFrontConfig(viewer_protocol_policies=tuple(str(b.get("ViewerProtocolPolicy")) for b in behaviours),
                             minimum_protocol_version=cert.get("MinimumProtocolVersion"),
                             default_certificate=bool(cert.get("CloudFrontDefaultCertificate")),
                             logging_enabled=bool(logging.get("Enabled")), logging_bucket=logging.get("Bucket") or None)
    run.ok(rec, res, resp, source)
