"""Encryption in transit: S3 bucket and EFS file system policies, load balancer listeners, CloudFront, and
the data stores that can refuse plain connections (RDS/Aurora, Redshift, ElastiCache, OpenSearch)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from pydantic import JsonValue

from auditpack.checks import CheckContext, SomeEvidence, Verdict, check, errored, failed, manual, passed
from auditpack.evidence.aws import (
    CloudFrontConfig,
    DbParameters,
    EfsFileSystemPolicy,
    ElastiCacheCluster,
    ElastiCacheReplicationGroup,
    ElbListener,
    ElbSslPolicy,
    OpenSearchDomain,
    RedshiftParameters,
    S3BucketPolicy,
)
from auditpack.model import Basis, Evidence, Measure, Severity

from .common import caches_judged_alone, what

M = Measure


@check(basis=Basis.OBSERVED,
       title="S3 bucket policies refuse plain HTTP", measure=M.ENCRYPTION_IN_TRANSIT, needs=(S3BucketPolicy,),
       severity=Severity.MEDIUM,
       remediation='Add a bucket policy statement: Effect Deny, Principal "*", Action "s3:*", Condition '
                   '{"Bool": {"aws:SecureTransport": "false"}}.')
def encryption_in_transit_s3_bucket_policy_requires_tls(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(S3BucketPolicy):
        name = ev.resource.name
        if rec.document is not None and denies_insecure_transport(rec.document, _S3_ACTIONS):
            yield passed(ev, f"S3 bucket {name}'s policy denies requests without TLS (aws:SecureTransport = false).")
        elif rec.has_policy:
            yield failed(ev, f"S3 bucket {name}'s policy does not deny requests without TLS.")
        else:
            yield failed(ev, f"S3 bucket {name} has no bucket policy, so requests without TLS are not denied.")


_S3_ACTIONS = ("*", "s3:*")


def denies_insecure_transport(document: Mapping[str, JsonValue], covering: Iterable[str]) -> bool:
    """A statement that denies to every principal an action in ``covering`` (the service's
    wildcards: every access) when aws:SecureTransport is false."""
    wildcards = tuple(covering)
    statements = document.get("Statement", [])
    for st in [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []:
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        principal = st.get("Principal")
        if principal != "*" and not (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
            continue
        actions = st.get("Action", [])
        if not any(a in wildcards for a in ([actions] if isinstance(actions, str) else _list(actions))):
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


# --- data stores: parameters and settings that refuse plain connections ---------------------

_ON = frozenset({"1", "on", "true"})
_OFF = frozenset({"0", "off", "false"})


def tls_parameter_verdict(ev: SomeEvidence, label: str, name: str, group: str,
                          values: Mapping[str, str | None]) -> Verdict:
    """The verdict on one boolean TLS parameter of a parameter group; a value the group does not
    report is the engine default, which differs by engine version: a person confirms it."""
    value = values.get(name)
    where = f"{name} = {value} in parameter group {group}"
    if value is None:
        return manual(ev, f"{label}: parameter group {group} reports no value for {name}, so the engine default "
                          "applies; confirm it (or set the parameter explicitly).")
    if value.strip().lower() in _ON:
        return passed(ev, f"{label} refuses connections without TLS ({where}).")
    if value.strip().lower() in _OFF:
        return failed(ev, f"{label} accepts connections without TLS ({where}).")
    return errored(ev, f"{label} has {where}, a value auditpack cannot interpret.")


def rds_tls_parameter(engine: str | None) -> str | None:
    """The parameter that makes an RDS/Aurora engine refuse plain connections (None: not a
    parameter, e.g. Oracle's SSL option of the option group)."""
    name = (engine or "").lower()
    if name in ("postgres", "aurora-postgresql") or name.startswith("sqlserver"):
        return "rds.force_ssl"
    if name in ("mysql", "mariadb", "aurora-mysql", "aurora"):
        return "require_secure_transport"
    return None


@check(basis=Basis.OBSERVED,
       title="RDS and Aurora databases refuse connections without TLS", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=(DbParameters,), severity=Severity.HIGH,
       remediation="Set rds.force_ssl = 1 (PostgreSQL, SQL Server) or require_secure_transport = ON (MySQL, "
                   "MariaDB) in a custom DB parameter group (Aurora: the DB cluster parameter group) and attach it.")
def encryption_in_transit_rds_database_requires_tls(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, params in ctx.evidence.records(DbParameters):
        label = f"{what(ev)} ({params.engine})"
        name = rds_tls_parameter(params.engine)
        if name is None:
            yield manual(ev, f"{label}: auditpack does not read this engine's TLS enforcement from a parameter "
                             "group (Oracle: the SSL option of the option group); attach evidence.")
        else:
            yield tls_parameter_verdict(ev, label, name, params.group, params.values)


@check(basis=Basis.OBSERVED,
       title="Redshift clusters refuse connections without TLS", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=(RedshiftParameters,), severity=Severity.HIGH,
       remediation="Set require_ssl = true in the cluster's parameter group (a custom one: the default group "
                   "cannot be changed) and reboot the cluster.")
def encryption_in_transit_redshift_cluster_requires_ssl(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, params in ctx.evidence.records(RedshiftParameters):
        yield tls_parameter_verdict(ev, what(ev), "require_ssl", params.group, params.values)


@check(basis=Basis.OBSERVED,
       title="ElastiCache caches require TLS", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=(ElastiCacheReplicationGroup, ElastiCacheCluster), severity=Severity.HIGH,
       remediation="Enable in-transit encryption and set the transit encryption mode to required (after the "
                   "clients use TLS).")
def encryption_in_transit_elasticache_tls_required(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, cache in caches_judged_alone(ctx):
        if not cache.transit_encryption:
            yield failed(ev, f"{what(ev)} ({cache.engine}) has in-transit encryption off.")
        elif (cache.transit_mode or "").lower() == "preferred":
            yield failed(ev, f"{what(ev)} ({cache.engine}) accepts unencrypted connections too (transit encryption "
                             "mode preferred).")
        else:
            mode = f", mode {cache.transit_mode}" if cache.transit_mode else ""
            yield passed(ev, f"{what(ev)} ({cache.engine}) requires TLS (in-transit encryption on{mode}).")


_OPENSEARCH_TLS = {"Policy-Min-TLS-1-0-2019-07": 1.0, "Policy-Min-TLS-1-2-2019-07": 1.2,
                   "Policy-Min-TLS-1-2-PFS-2023-10": 1.2, "Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08": 1.2,
                   "Policy-Min-TLS-1-2-FIPS-PQ-2026-10": 1.2}


@check(basis=Basis.OBSERVED,
       title="OpenSearch domains enforce HTTPS and encrypt node-to-node traffic", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=(OpenSearchDomain,), severity=Severity.HIGH,
       remediation="Enable node-to-node encryption, require HTTPS for all traffic and use the TLS security policy "
                   "Policy-Min-TLS-1-2-PFS-2023-10.")
def encryption_in_transit_opensearch_domain_tls(ctx: CheckContext) -> Iterator[Verdict]:
    floor = float(ctx.policy.tls_min_version)
    for ev, domain in ctx.evidence.records(OpenSearchDomain):
        problems = []
        if not domain.node_to_node_encryption:
            problems.append("node-to-node encryption is off")
        if not domain.enforce_https:
            problems.append("HTTPS is not enforced (plain HTTP is accepted)")
        minimum = _OPENSEARCH_TLS.get(domain.tls_policy or "")
        if domain.enforce_https and minimum is not None and minimum < floor:
            problems.append(f"TLS security policy {domain.tls_policy} allows TLS {minimum:.1f} (below "
                            f"{ctx.policy.tls_min_version})")
        if problems:
            yield failed(ev, f"{what(ev)}: {'; '.join(problems)}.")
        elif minimum is None:
            yield errored(ev, f"{what(ev)} enforces HTTPS with TLS security policy {domain.tls_policy!r}, unknown to "
                              "auditpack.")
        else:
            yield passed(ev, f"{what(ev)} encrypts node-to-node traffic and enforces HTTPS with "
                             f"{domain.tls_policy}.")


_EFS_ACTIONS = ("*", "elasticfilesystem:*", "elasticfilesystem:Client*", "elasticfilesystem:ClientMount")


@check(basis=Basis.OBSERVED,
       title="EFS file system policies deny access without TLS", measure=M.ENCRYPTION_IN_TRANSIT,
       needs=(EfsFileSystemPolicy,), severity=Severity.MEDIUM,
       remediation='Add a file system policy statement: Effect Deny, Principal {"AWS": "*"}, Action "*", Condition '
                   '{"Bool": {"aws:SecureTransport": "false"}} (the console\'s "Enforce in-transit encryption for '
                   'all clients"), and mount with the tls option.')
def encryption_in_transit_efs_file_system_policy_requires_tls(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(EfsFileSystemPolicy):
        if rec.document is not None and denies_insecure_transport(rec.document, _EFS_ACTIONS):
            yield passed(ev, f"{what(ev)}'s file system policy denies access without TLS (aws:SecureTransport = "
                             "false).")
        elif rec.has_policy:
            yield failed(ev, f"{what(ev)}'s file system policy does not deny access without TLS.")
        else:
            yield failed(ev, f"{what(ev)} has no file system policy, so access without TLS is not denied.")
