"""Two facts read with the hand-built ClientHello of :mod:`.hello`: the weak cipher suite
classes a server accepts, and whether it staples an OCSP response (read with
``cryptography``'s OCSP parser, not verified: the record says what the server sent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.x509 import ocsp

from auditpack.evidence.tls import TlsCipherSuitesRecord, TlsOcspStaplingRecord, WeakSuiteClass, WeakSuiteProbe
from auditpack.model import ErrorReason, EvidenceRecord

from .hello import COMMON_SUITES, WEAK_SUITES, HelloError, hello

METHOD = ("a TLS 1.2 ClientHello per class offering only that class's suites, built by auditpack (the local "
          "OpenSSL cannot offer RC4, 3DES or EXPORT); the suite is read from the ServerHello")
_TLS13_ONLY = "alert protocol_version"
#: (host, address, port, server name, timeout) -> (record, raw)
Reader = Callable[[str, str, int, str | None, float], tuple[EvidenceRecord, dict[str, Any]]]


def weak_suites(host: str, address: str, port: int, server_name: str | None,
                timeout: float) -> tuple[TlsCipherSuitesRecord, dict[str, Any]]:
    """One probe per weak class. A class whose probe got no answer is ``error`` on its own;
    when every probe failed to get an answer, the fact itself cannot be read (HelloError)."""
    probes: list[WeakSuiteProbe] = []
    raw: dict[str, Any] = {}
    errors: list[HelloError] = []
    for name, suites in WEAK_SUITES.items():
        suite_class: WeakSuiteClass = name  # type: ignore[assignment]  # the keys are the Literal's values
        try:
            flight = hello(address, port, server_name, tuple(suites), timeout)
        except HelloError as exc:
            errors.append(exc)
            probes.append(WeakSuiteProbe(suite_class=suite_class, status="error", detail=str(exc)))
            raw[name] = {"status": "error", "detail": str(exc)}
            continue
        if flight.suite is not None:
            chosen = suites[flight.suite]
            probes.append(WeakSuiteProbe(suite_class=suite_class, status="offered", suite=chosen))
            raw[name] = {"status": "offered", "suite": f"0x{flight.suite:04X}", "version": flight.version}
        else:
            probes.append(WeakSuiteProbe(suite_class=suite_class, status="refused", detail=flight.refused))
            raw[name] = {"status": "refused", "detail": flight.refused}
    if len(errors) == len(probes):
        first = errors[0]
        raise HelloError(f"no weak-suite probe got an answer: {first}", first.reason)
    tls13_only = all(p.status == "refused" and p.detail == _TLS13_ONLY for p in probes)
    record = TlsCipherSuitesRecord(host=host, port=port, address=address, method=METHOD, probes=tuple(probes),
                                   tls13_only=tls13_only)
    return record, {"offered_alone": raw}


def ocsp_stapling(host: str, address: str, port: int, server_name: str | None,
                  timeout: float) -> tuple[TlsOcspStaplingRecord, dict[str, Any]]:
    """A TLS 1.2 ClientHello with ``status_request``; the CertificateStatus message, if any."""
    flight = hello(address, port, server_name, COMMON_SUITES, timeout, status_request=True)
    raw: dict[str, Any] = {"handshake_messages": flight.messages, "server_extensions": list(flight.extensions),
                           "refused": flight.refused}
    if not flight.accepted:
        if flight.refused == _TLS13_ONLY:
            return TlsOcspStaplingRecord(
                host=host, port=port, status="not_observed",
                detail="the server speaks only TLS 1.3, where a stapled response travels inside the encrypted "
                       "handshake that this probe does not decrypt"), raw
        raise HelloError(f"the server refused a TLS 1.2 handshake with common suites ({flight.refused})",
                         ErrorReason.INVALID_RESPONSE)
    if flight.ocsp_response is None:
        return TlsOcspStaplingRecord(host=host, port=port, status="not_stapled",
                                     detail="no CertificateStatus message in the server's TLS 1.2 answer"), raw
    raw["ocsp_response_der_hex"] = flight.ocsp_response.hex()
    try:
        response = ocsp.load_der_ocsp_response(flight.ocsp_response)
    except ValueError as exc:
        raise HelloError(f"the stapled OCSP response cannot be parsed: {exc}", ErrorReason.INVALID_RESPONSE) from None
    status = response.response_status.name.lower()
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return TlsOcspStaplingRecord(host=host, port=port, status="stapled", response_status=status), raw
    return TlsOcspStaplingRecord(
        host=host, port=port, status="stapled", response_status=status,
        cert_status=response.certificate_status.name.lower(), this_update=response.this_update_utc,
        next_update=response.next_update_utc, revocation_time=response.revocation_time_utc), raw
