"""Typed evidence of the TLS collector: one kind per fact that can fail on its own.

``tls.endpoint``      which protocol versions the server accepts (one handshake each)
``tls.certificate``   the leaf certificate as served, and whether it verifies for the host
``tls.hsts``          the ``Strict-Transport-Security`` header of ``GET /`` over HTTPS
``tls.http_redirect`` what plain HTTP on the endpoint's ``http_port`` answers

Kept free of ``ssl``/``socket`` imports: the checks read these records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from auditpack.model import EvidenceRecord

ProtocolVersion = Literal["SSLv3", "1.0", "1.1", "1.2", "1.3"]
#: lowest first; the order the min-version check compares in
PROTOCOL_ORDER: tuple[ProtocolVersion, ...] = ("SSLv3", "1.0", "1.1", "1.2", "1.3")


class ProtocolProbe(BaseModel):
    """One handshake pinned to one version.

    ``accepted``: the handshake completed. ``refused``: the server answered with an alert,
    a different version or closed the connection. ``not_tested``: the LOCAL OpenSSL cannot
    offer this version (say so; it is not evidence about the server). ``error``: the probe
    could not finish (timeout, connection failure) and says nothing either way.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: ProtocolVersion
    status: Literal["accepted", "refused", "not_tested", "error"]
    cipher: str | None = None
    cipher_bits: int | None = None
    detail: str | None = None


class TlsEndpointRecord(EvidenceRecord, kind="tls.endpoint"):
    host: str
    port: int
    address: str  # the IP address connected to
    protocols: tuple[ProtocolProbe, ...]
    openssl: str  # the local library that did the probing (it limits what can be tested)
    discovered_from: str | None = None  # evidence kind the endpoint was found in, None = configured

    def probe(self, version: str) -> ProtocolProbe | None:
        return next((p for p in self.protocols if p.version == version), None)

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(p.version for p in self.protocols if p.status == "accepted")


class TlsCertificateRecord(EvidenceRecord, kind="tls.certificate"):
    host: str
    port: int
    subject: str
    issuer: str
    serial: str
    san_dns: tuple[str, ...] = ()
    san_ip: tuple[str, ...] = ()
    not_valid_before: datetime
    not_valid_after: datetime
    days_to_expiry: int  # at collection time; checks recompute it from their own `now`
    key_type: str  # "RSA", "EC", "Ed25519", "Ed448", "DSA"
    key_size: int | None = None
    curve: str | None = None
    signature_algorithm: str
    sha256_fingerprint: str
    self_signed: bool
    chain: tuple[str, ...] = ()  # subjects as the server sent them, leaf first
    #: hostname check: None when it was switched off for this endpoint (an address found by discovery)
    hostname_matches: bool | None
    #: chain verification against the system store plus ``ca_bundle``, with hostname when checked
    verify_status: Literal["ok", "failed", "error"]
    verify_error: str | None = None
    verify_code: int | None = None
    trust_store: str


class TlsHstsRecord(EvidenceRecord, kind="tls.hsts"):
    host: str
    port: int
    status_code: int
    header: str | None = None  # the first Strict-Transport-Security header, verbatim
    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False


class TlsHttpRedirectRecord(EvidenceRecord, kind="tls.http_redirect"):
    host: str
    http_port: int
    listening: bool  # False: the port refused the connection (no plain HTTP served)
    status_code: int | None = None
    location: str | None = None
    redirects_to_https: bool = False


WeakSuiteClass = Literal["RC4", "3DES", "NULL", "EXPORT", "no forward secrecy"]


class WeakSuiteProbe(BaseModel):
    """One ClientHello offering only the suites of one weak class (TLS 1.2 and older).

    ``offered``: the server picked one of them (``suite`` names it). ``refused``: it answered
    with an alert or closed the connection. ``error``: no answer (timeout, connection failure,
    not TLS) and nothing is known either way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    suite_class: WeakSuiteClass
    status: Literal["offered", "refused", "error"]
    suite: str | None = None
    detail: str | None = None


class TlsCipherSuitesRecord(EvidenceRecord, kind="tls.cipher_suites"):
    """Which weak cipher suite classes the server accepts when a client offers only them."""

    host: str
    port: int
    address: str
    method: str  # how it was probed (a hand-built ClientHello: the local OpenSSL cannot offer RC4/3DES/EXPORT)
    probes: tuple[WeakSuiteProbe, ...]
    tls13_only: bool = False  # every probe refused with protocol_version: nothing below TLS 1.3 is spoken

    @property
    def offered(self) -> tuple[WeakSuiteProbe, ...]:
        return tuple(p for p in self.probes if p.status == "offered")


class TlsOcspStaplingRecord(EvidenceRecord, kind="tls.ocsp_stapling"):
    """Whether the server staples an OCSP response to its certificate (TLS 1.2 handshake).

    ``status``: ``stapled`` (the response is read: ``cert_status`` good/revoked/unknown),
    ``not_stapled``, or ``not_observed`` (a TLS 1.3-only server staples inside the encrypted
    handshake, which this probe does not decrypt: ``detail`` says so)."""

    host: str
    port: int
    status: Literal["stapled", "not_stapled", "not_observed"]
    response_status: str | None = None  # successful, malformed, try_later ... (OCSPResponseStatus)
    cert_status: str | None = None  # good | revoked | unknown
    this_update: datetime | None = None
    next_update: datetime | None = None
    revocation_time: datetime | None = None
    detail: str | None = None
