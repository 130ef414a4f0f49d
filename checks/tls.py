"""Encryption in transit, judged from live TLS endpoints (evidence of the ``tls`` collector).

Pure: no sockets, no clock. Expiry is computed from ``ctx.now`` and the certificate's
``not_valid_after``, never from the days-left figure recorded at collection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from auditpack.checks import CheckContext, Verdict, check, errored, failed, passed
from auditpack.checks.tls_strength import (  # noqa: F401  # registered through this module's entry point
    encryption_in_transit_tls_certificate_key_strong,
    encryption_in_transit_tls_endpoint_ocsp_stapled,
    encryption_in_transit_tls_endpoint_weak_ciphers_refused,
)
from auditpack.evidence.tls import (
    PROTOCOL_ORDER,
    TlsCertificateRecord,
    TlsEndpointRecord,
    TlsHstsRecord,
    TlsHttpRedirectRecord,
)
from auditpack.model import Basis, Measure, Severity


def _label(version: str) -> str:
    return version if version == "SSLv3" else f"TLS {version}"


def _labels(versions: Iterable[str]) -> str:
    return ", ".join(_label(v) for v in versions)


@check(
    basis=Basis.OBSERVED,
    title="TLS endpoints refuse protocol versions below the policy minimum",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsEndpointRecord,),
    severity=Severity.HIGH,
    remediation="Disable SSLv3, TLS 1.0 and TLS 1.1 (and anything below policy.tls_min_version) on the server or "
                "load balancer, e.g. nginx `ssl_protocols TLSv1.2 TLSv1.3;` or an ELB policy "
                "ELBSecurityPolicy-TLS13-1-2-2021-06.",
)
def encryption_in_transit_tls_endpoint_min_version(ctx: CheckContext) -> Iterable[Verdict]:
    minimum = ctx.policy.tls_min_version
    below = PROTOCOL_ORDER[: PROTOCOL_ORDER.index(minimum)]
    for ev, rec in ctx.evidence.records(TlsEndpointRecord):
        where = f"{rec.host}:{rec.port}"
        probes = [p for p in (rec.probe(v) for v in below) if p is not None]
        accepted = [p.version for p in probes if p.status == "accepted"]
        details = {"minimum": minimum, "accepted": list(rec.accepted),
                   "protocols": {p.version: p.status for p in rec.protocols}}
        if accepted:
            yield failed(ev, f"{where} accepts {_labels(accepted)}, below the minimum TLS {minimum}.",
                         details=details)
            continue
        unknown = [p for p in probes if p.status in ("not_tested", "error")]
        # SSLv3 that the local OpenSSL cannot offer is tolerated only when TLS 1.0 was refused:
        # a server that refuses TLS 1.0 but speaks SSLv3 does not exist in practice.
        tls10 = rec.probe("1.0")
        if tls10 is not None and tls10.status == "refused":
            unknown = [p for p in unknown if not (p.version == "SSLv3" and p.status == "not_tested")]
        if unknown:
            why = "; ".join(f"{_label(p.version)}: {p.detail or p.status}" for p in unknown)
            yield errored(ev, f"{where}: could not test whether {_labels(p.version for p in unknown)} "
                              f"is accepted ({why}).", details=details)
            continue
        note = ""
        untested = [p.version for p in probes if p.status == "not_tested"]
        if untested:
            note = f" ({_labels(untested)} not tested: the local OpenSSL cannot offer it)"
        lowest = rec.accepted[0] if rec.accepted else minimum
        yield passed(ev, f"{where} refuses every version below TLS {minimum}; lowest accepted is "
                         f"{_label(lowest)}{note}.", details=details)


def _validity(rec: TlsCertificateRecord, now: datetime) -> str | None:
    if now > rec.not_valid_after:
        return f"expired on {rec.not_valid_after.date().isoformat()}"
    if now < rec.not_valid_before:
        return f"is not valid before {rec.not_valid_before.date().isoformat()}"
    return None


@check(
    basis=Basis.OBSERVED,
    title="TLS certificates are valid, trusted and match the host name",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsCertificateRecord,),
    severity=Severity.HIGH,
    remediation="Serve a certificate from a trusted CA (or add the private CA to [tls].ca_bundle), include the "
                "intermediate chain, make sure the host name is in subjectAltName and renew it before it expires.",
)
def encryption_in_transit_tls_certificate_valid(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TlsCertificateRecord):
        where = f"{rec.host}:{rec.port}"
        details = {"subject": rec.subject, "issuer": rec.issuer, "san_dns": list(rec.san_dns),
                   "verify_status": rec.verify_status, "verify_error": rec.verify_error,
                   "hostname_matches": rec.hostname_matches, "trust_store": rec.trust_store,
                   "not_valid_after": rec.not_valid_after.isoformat()}
        problems = []
        if rec.verify_status == "failed":
            problems.append(f"does not verify: {rec.verify_error or 'verification failed'}")
        timing = _validity(rec, ctx.now)
        if timing:
            problems.append(timing)
        if rec.hostname_matches is False:
            names = ", ".join(rec.san_dns + rec.san_ip) or "none"
            problems.append(f"does not name {rec.host} (subjectAltName: {names})")
        if problems:
            yield failed(ev, f"The certificate of {where} {'; '.join(dict.fromkeys(problems))}.", details=details)
        elif rec.verify_status == "error":
            yield errored(ev, f"The certificate of {where} could not be verified: {rec.verify_error}.",
                          details=details)
        else:
            scope = "" if rec.hostname_matches is not None else " (host name not checked: address found by discovery)"
            anchors = "the system trust store" + (" and ca_bundle" if rec.trust_store != "system" else "")
            yield passed(ev, f"The certificate of {where} verifies against {anchors}{scope}.", details=details)


@check(
    basis=Basis.OBSERVED,
    title="TLS certificates do not expire within the policy's minimum days",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsCertificateRecord,),
    remediation="Renew the certificate (or fix automatic renewal, e.g. certbot/ACM) well before it expires.",
)
def encryption_in_transit_tls_certificate_not_expiring(ctx: CheckContext) -> Iterable[Verdict]:
    minimum = ctx.policy.certificate_min_days
    for ev, rec in ctx.evidence.records(TlsCertificateRecord):
        where = f"{rec.host}:{rec.port}"
        left = rec.not_valid_after - ctx.now
        days = left.days  # whole days, rounded down
        details = {"not_valid_after": rec.not_valid_after.isoformat(), "days_left": days, "minimum_days": minimum}
        expires = rec.not_valid_after.date().isoformat()
        if left.total_seconds() <= 0:
            yield failed(ev, f"The certificate of {where} expired on {expires}.", details=details,
                         severity=Severity.HIGH)
        elif days < minimum:
            yield failed(ev, f"The certificate of {where} expires on {expires}, in {days} days "
                             f"(fewer than {minimum}).", details=details)
        else:
            yield passed(ev, f"The certificate of {where} expires on {expires}, in {days} days.", details=details)


@check(
    basis=Basis.OBSERVED,
    title="HTTPS endpoints send Strict-Transport-Security",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsHstsRecord,),
    remediation="Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response.",
)
def encryption_in_transit_tls_endpoint_hsts(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TlsHstsRecord):
        where = f"{rec.host}:{rec.port}"
        details = {"status_code": rec.status_code, "header": rec.header, "max_age": rec.max_age}
        if rec.header is None:
            yield failed(ev, f"{where} sends no Strict-Transport-Security header (GET / answered "
                             f"{rec.status_code}).", details=details)
        elif not rec.max_age:
            yield failed(ev, f"{where} sends Strict-Transport-Security without a positive max-age "
                             f"({rec.header!r}), which does not enable HSTS.", details=details)
        else:
            yield passed(ev, f"{where} sends Strict-Transport-Security with max-age={rec.max_age}.", details=details)


@check(
    basis=Basis.OBSERVED,
    title="Plain HTTP redirects to HTTPS",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsHttpRedirectRecord,),
    remediation="Answer every plain-HTTP request with a 301/308 redirect to the https:// URL, or close port 80.",
)
def encryption_in_transit_tls_http_redirects(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TlsHttpRedirectRecord):
        where = f"{rec.host}:{rec.http_port}"
        details = {"listening": rec.listening, "status_code": rec.status_code, "location": rec.location}
        if not rec.listening:
            yield passed(ev, f"{where} does not serve plain HTTP (connection refused).", details=details)
        elif rec.redirects_to_https:
            yield passed(ev, f"{where} redirects plain HTTP to {rec.location} ({rec.status_code}).", details=details)
        else:
            target = f" to {rec.location}" if rec.location else ""
            yield failed(ev, f"{where} answers plain HTTP with {rec.status_code}{target} instead of redirecting "
                             f"to HTTPS.", details=details)
