"""Encryption in transit: S3 bucket policies, load balancer listeners, CloudFront."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from pydantic import JsonValue

from auditpack.checks import CheckContext, Verdict, check, errored, failed, manual, passed
from auditpack.evidence.aws import (
    CloudFrontConfig,
    ElbListener,
    ElbSslPolicy,
    S3BucketPolicy,
)
from auditpack.model import Basis, Evidence, Measure, Severity

M = Measure


@check(basis=Basis.OBSERVED,
       title="S3 bucket policies refuse plain HTTP", measure=M.ENCRYPTION_IN_TRANSIT, needs=(S3BucketPolicy,),
       severity=Severity.MEDIUM,
       remediation='Add a bucket policy statement: Effect Deny, Principal "*", Action "s3:*", Condition '
                   '{"Bool": {"aws:SecureTransport": "false"}}.')
def encryption_in_transit_s3_bucket_policy_requires_tls(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(S3BucketPolicy):
        name = ev.resource.name
        if rec.document is not None and denies_insecure_transport(rec.document):
            yield passed(ev, f"S3 bucket {name}'s policy denies requests without TLS (aws:SecureTransport = false).")
        elif rec.has_policy:
            yield failed(ev, f"S3 bucket {name}'s policy does not deny requests without TLS.")
        else:
            yield failed(ev, f"S3 bucket {name} has no bucket policy, so requests without TLS are not denied.")


def denies_insecure_transport(document: Mapping[str, JsonValue]) -> bool:
    """A statement that denies every S3 action to every principal when aws:SecureTransport is false."""
    statements = document.get("Statement", [])
    for st in [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []:
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        principal = st.get("Principal")
        if principal != "*" and not (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
            continue
        actions = st.get("Action", [])
        if not any(a in ("*", "s3:*") for a in ([actions] if isinstance(actions, str) else _list(actions))):
            continue
        condition = st.get("Condition")
        for operator in ("Bool", "BoolIfExists"):
            block = condition.get(operator) if isinstance(condition, dict) else None
            value = block.get("aws:SecureTransport") if isinstance(block, dict) else None
            if any(str(v).lower() == "false" for v in _list(value) if v is not None):
                return True
    return False


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else [value]


_TLS_ORDER = {"SSLv3": 0.0, "TLSv1": 1.0, "TLSv1.1": 1.1, "TLSv1.2": 1.2, "TLSv1.3": 1.3}


def _weak(protocols: Iterable[str], minimum: str) -> list[str]:
    floor = float(minimum)
    return [p for p in protocols if _TLS_ORDER.get(p, 0.0) < floor]


@check(basis=Basis.OBSERVED, title="Load balancer listeners use TLS or redirect to it", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=(ElbListener,), optional=(ElbSslPolicy,), severity=Severity.HIGH,
       remediation="Make HTTP listeners redirect to HTTPS (301) and use an SSL policy without TLS < 1.2, e.g. "
                   "ELBSecurityPolicy-TLS13-1-2-2021-06.")
def encryption_in_transit_elb_listener_tls(ctx: CheckContext) -> Iterator[Verdict]:
    policies: dict[tuple[str | None, str | None, str | None], Evidence[ElbSslPolicy]] = {
        (ev.resource.scope, ev.resource.location, ev.fact.name): ev for ev in ctx.evidence.of(ElbSslPolicy)}
    minimum = ctx.policy.tls_min_version
    for ev, rec in ctx.evidence.records(ElbListener):
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
            weak = _weak(pol.fact.protocols, minimum)
            if weak:
                yield failed(ev, f"{what} uses SSL policy {rec.ssl_policy}, which allows {', '.join(weak)} "
                                 f"(below TLS {minimum}).", evidence=(pol,))
            else:
                yield passed(ev, f"{what} uses SSL policy {rec.ssl_policy}, which allows only "
                                 f"{', '.join(pol.fact.protocols)}.", evidence=(pol,))
        else:
            yield manual(ev, f"{what} passes traffic through without terminating TLS: check the targets' TLS "
                             "(tls collector) or attach evidence.")


_CF_VERSION = {"SSLv3": 0.0, "TLSv1": 1.0, "TLSv1_2016": 1.0, "TLSv1.1_2016": 1.1, "TLSv1.2_2018": 1.2,
               "TLSv1.2_2019": 1.2, "TLSv1.2_2021": 1.2, "TLSv1.2_2025": 1.2, "TLSv1.3_2025": 1.3}


@check(basis=Basis.OBSERVED, title="CloudFront distributions require HTTPS with a modern minimum TLS version",
       measure=M.ENCRYPTION_IN_TRANSIT, needs=(CloudFrontConfig,), severity=Severity.HIGH,
       remediation="Set every cache behaviour's viewer protocol policy to redirect-to-https or https-only, use "
                   "your own certificate and the security policy TLSv1.2_2021 or newer.")
def encryption_in_transit_cloudfront_distribution_https(ctx: CheckContext) -> Iterator[Verdict]:
    floor = float(ctx.policy.tls_min_version)
    for ev, rec in ctx.evidence.records(CloudFrontConfig):
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
