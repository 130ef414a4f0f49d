"""Encryption in transit, in depth: weak cipher suites a server still accepts, the strength
of its certificate's key and signature, and OCSP stapling.

Pure functions over ``tls.cipher_suites``, ``tls.certificate`` and ``tls.ocsp_stapling``.
A weak class whose probe got no answer is a gap (``error``), never "refused".
"""

from __future__ import annotations

from collections.abc import Iterable

from auditpack.checks import CheckContext, Verdict, check, errored, failed, not_applicable, passed
from auditpack.evidence.tls import TlsCertificateRecord, TlsCipherSuitesRecord, TlsOcspStaplingRecord
from auditpack.model import Basis, Measure, Severity

#: below these sizes a key is breakable or deprecated (BSI TR-02102-2, NIST SP 800-131A): RSA
#: and DSA 2048 bits, elliptic curves 256 bits; Ed25519/Ed448 are fixed-size and strong
MIN_KEY_BITS = {"RSA": 2048, "DSA": 2048, "EC": 256}
FIXED_SIZE_KEYS = frozenset({"Ed25519", "Ed448"})
WEAK_DIGESTS = ("md2", "md4", "md5", "sha1")


@check(
    basis=Basis.OBSERVED,
    title="TLS endpoints refuse weak cipher suites (RC4, 3DES, NULL, EXPORT, no forward secrecy)",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsCipherSuitesRecord,),
    severity=Severity.HIGH,
    remediation="Allow only ECDHE/DHE suites with AES-GCM or ChaCha20-Poly1305 (e.g. Mozilla's 'intermediate' "
                "configuration; nginx `ssl_ciphers` without RC4, 3DES, NULL, EXPORT and plain-RSA suites), or "
                "pick a load balancer policy that does the same.",
)
def encryption_in_transit_tls_endpoint_weak_ciphers_refused(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TlsCipherSuitesRecord):
        where = f"{rec.host}:{rec.port}"
        details: dict[str, str] = {p.suite_class: p.status if p.suite is None else f"{p.status}: {p.suite}"
                                   for p in rec.probes}
        offered = rec.offered
        unknown = [p for p in rec.probes if p.status == "error"]
        if offered:
            shown = "; ".join(f"{p.suite_class} ({p.suite})" for p in offered)
            only_fs = all(p.suite_class == "no forward secrecy" for p in offered)
            yield failed(ev, f"{where} accepts weak cipher suites when a client offers only them: {shown}.",
                         details=details, severity=Severity.MEDIUM if only_fs else None)
        elif unknown:
            yield errored(ev, f"{where}: the probe for {', '.join(p.suite_class for p in unknown)} got no answer "
                              f"({unknown[0].detail}); the other classes were refused.", details=details)
        elif rec.tls13_only:
            yield passed(ev, f"{where} speaks only TLS 1.3, whose suites all encrypt with forward secrecy.",
                         details=details)
        else:
            yield passed(ev, f"{where} refuses RC4, 3DES, NULL, EXPORT and suites without forward secrecy.",
                         details=details)


@check(
    basis=Basis.OBSERVED,
    title="TLS certificates use a strong key and signature (no RSA below 2048 bits, no SHA-1)",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsCertificateRecord,),
    severity=Severity.HIGH,
    remediation="Issue a new certificate with an RSA key of at least 2048 bits or an ECDSA P-256/P-384 key, "
                "signed with SHA-256 or stronger.",
)
def encryption_in_transit_tls_certificate_key_strong(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TlsCertificateRecord):
        where = f"{rec.host}:{rec.port}"
        details = {"key_type": rec.key_type, "key_size": rec.key_size, "curve": rec.curve,
                   "signature_algorithm": rec.signature_algorithm}
        problems: list[str] = []
        unknown: list[str] = []
        minimum = MIN_KEY_BITS.get(rec.key_type)
        if rec.key_type in FIXED_SIZE_KEYS:
            pass
        elif minimum is None:
            unknown.append(f"the key type {rec.key_type!r} is not one this check knows")
        elif rec.key_size is None:
            unknown.append(f"the size of its {rec.key_type} key was not read")
        elif rec.key_size < minimum:
            problems.append(f"its {rec.key_type} key has {rec.key_size} bits (minimum {minimum})")
        signature = rec.signature_algorithm.lower()
        weak = [d for d in WEAK_DIGESTS if d in signature.replace("-", "")]
        if weak:
            problems.append(f"it is signed with {rec.signature_algorithm} ({weak[0].upper()})")
        key = f"{rec.key_type} {rec.key_size or ''}".strip() + (f" ({rec.curve})" if rec.curve else "")
        if problems:
            yield failed(ev, f"The certificate of {where} is weak: {'; '.join(problems)}.", details=details)
        elif unknown:
            yield errored(ev, f"The certificate of {where}: {'; '.join(unknown)}.", details=details)
        else:
            yield passed(ev, f"The certificate of {where} has key {key} and signature {rec.signature_algorithm}.",
                         details=details)


@check(
    basis=Basis.OBSERVED,
    title="TLS endpoints staple a good OCSP response (recorded; a revoked certificate fails)",
    measure=Measure.ENCRYPTION_IN_TRANSIT,
    needs=(TlsOcspStaplingRecord,),
    severity=Severity.LOW,
    remediation="Enable OCSP stapling (nginx `ssl_stapling on; ssl_stapling_verify on;`); if the stapled response "
                "says revoked, replace the certificate at once.",
)
def encryption_in_transit_tls_endpoint_ocsp_stapled(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TlsOcspStaplingRecord):
        where = f"{rec.host}:{rec.port}"
        details = {"status": rec.status, "response_status": rec.response_status, "cert_status": rec.cert_status,
                   "this_update": rec.this_update.isoformat() if rec.this_update else None,
                   "next_update": rec.next_update.isoformat() if rec.next_update else None}
        if rec.status == "not_observed":
            yield not_applicable(ev, f"OCSP stapling of {where} was not observed: {rec.detail}.", details=details)
        elif rec.status == "not_stapled":
            yield not_applicable(ev, f"{where} staples no OCSP response (clients must ask the CA themselves; "
                                     "stapling is recommended, not required).", details=details)
        elif rec.cert_status == "revoked":
            when = f" on {rec.revocation_time.date()}" if rec.revocation_time else ""
            yield failed(ev, f"{where} staples an OCSP response saying its certificate was revoked{when}.",
                         details=details, severity=Severity.CRITICAL)
        elif rec.cert_status == "good" and rec.next_update is not None and rec.next_update < ctx.now:
            yield failed(ev, f"{where} staples an outdated OCSP response (next update was due "
                             f"{rec.next_update.isoformat()}).", details=details)
        elif rec.cert_status == "good":
            yield passed(ev, f"{where} staples an OCSP response saying its certificate is good "
                             f"(this update {rec.this_update.isoformat() if rec.this_update else 'unknown'}).",
                         details=details)
        else:
            yield errored(ev, f"{where} staples an OCSP response that does not say good or revoked (response "
                              f"{rec.response_status}, certificate status {rec.cert_status}).", details=details)
