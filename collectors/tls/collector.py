"""TLS collector: live endpoints as evidence for encryption in transit.

For every endpoint (configured, plus those found in AWS/Hetzner evidence when
``discover = true``), concurrently and with timeouts:

1. one handshake per protocol version (SSLv3 .. TLS 1.3), each offering only that
   version: accepted / refused / not_tested (the local OpenSSL cannot offer it) / error;
2. the leaf certificate and chain as served (read without verification), then a second,
   verifying handshake against the system store plus ``ca_bundle`` with the hostname check;
3. ``GET /`` over HTTPS for ``Strict-Transport-Security``;
4. ``GET /`` over plain HTTP on ``http_port`` (80) for a redirect to HTTPS.

The standard library ``ssl`` does the work (no sslyze: it pins its own OpenSSL build and
``cryptography`` version for what is here a handful of handshakes). An endpoint that does
not answer is ``error`` evidence for that endpoint only; the others go on.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable, Mapping

from auditpack.collectors import CollectContext, Collector, fan_out
from auditpack.config import ConfigProblem
from auditpack.evidence.tls import (
    PROTOCOL_ORDER,
    ProtocolVersion,
    TlsCertificateRecord,
    TlsCipherSuitesRecord,
    TlsEndpointRecord,
    TlsHstsRecord,
    TlsHttpRedirectRecord,
    TlsOcspStaplingRecord,
)
from auditpack.model import ErrorReason, EvidenceRecord, Resource

from . import strength
from .config import TlsEndpoint, TlsSettings
from .config import preflight as settings_preflight
from .discovery import DISCOVERY_RECORDS, Target, targets
from .hello import HelloError
from .probe import (
    ProbeError,
    certificate_facts,
    connect,
    describe_os_error,
    host_header,
    hostname_matches,
    http_get,
    parse_hsts,
    probe_version,
    quiet_legacy_warnings,
    reading_context,
    resolve,
    verify,
    verifying_context,
)

__all__ = ["TlsCollector", "TlsEndpoint", "TlsSettings"]

ENDPOINT = TlsEndpointRecord
CERTIFICATE = TlsCertificateRecord
HSTS = TlsHstsRecord
HTTP_REDIRECT = TlsHttpRedirectRecord
CIPHERS = TlsCipherSuitesRecord
OCSP = TlsOcspStaplingRecord


def endpoint_resource(endpoint: TlsEndpoint) -> Resource:
    return Resource(provider="tls", type="endpoint", id=endpoint.id, name=endpoint.host, scope=endpoint.id)


def _internal(ctx: CollectContext, kinds: tuple[type[EvidenceRecord], ...], resource: Resource, exc: Exception) -> None:
    ctx.log.debug("tls probe of %s raised", resource.id, exc_info=exc)
    for kind in kinds:
        ctx.failed(kind, resource, error=f"probe failed: {type(exc).__name__}: {exc}", reason=ErrorReason.INTERNAL,
                   source="tls probe")


def _guarded(ctx: CollectContext, kind: type[EvidenceRecord], resource: Resource, read: Callable[[], None]) -> None:
    """Run one fact's read; an unexpected exception becomes error evidence for that fact only."""
    try:
        read()
    except Exception as exc:  # contained: the other facts and endpoints go on
        _internal(ctx, (kind,), resource, exc)


class TlsCollector(Collector):
    id = "tls"
    title = "TLS endpoints (protocol versions, certificates, HSTS, HTTP redirect)"
    provider = "tls"
    config_section = "tls"
    config_model = TlsSettings
    produces = (ENDPOINT, CERTIFICATE, HSTS, HTTP_REDIRECT, CIPHERS, OCSP)
    permissions = {
        "network": (
            "TCP to each endpoint's port: one TLS handshake per protocol version, one verifying "
            "handshake, one HTTPS GET /",
            "TCP to each endpoint's port: six ClientHellos (five weak suite classes, one asking for OCSP "
            "stapling), each closed after the server's first answer",
            "TCP to each endpoint's http_port (80): one plain HTTP GET /",
        ),
    }
    #: discovery reads their load balancer / CDN evidence
    after = ("aws", "hetzner")

    def run_after(self) -> tuple[str, ...]:
        """Wait for AWS and Hetzner only when their evidence is used to discover endpoints."""
        settings = self.settings
        return self.after if isinstance(settings, TlsSettings) and settings.discover else ()

    @property
    def tls_settings(self) -> TlsSettings:
        assert isinstance(self.settings, TlsSettings)
        return self.settings

    def preflight(self, environ: Mapping[str, str]) -> list[ConfigProblem]:
        return settings_preflight(self.tls_settings, environ)

    def scopes(self) -> list[str]:
        settings = self.settings
        ids = [ep.id for ep in settings.endpoints] if isinstance(settings, TlsSettings) else []
        return ids or ["tls"]

    def use_shard(self, owns: Callable[[str], bool]) -> bool:
        """Listed endpoints by their id; discovered ones are probed by every shard that
        collected the load balancer or CDN naming them (``auditpack merge`` keeps one)."""
        settings = self.tls_settings
        endpoints = tuple(ep for ep in settings.endpoints if owns(ep.id))
        self.settings = settings.model_copy(update={"endpoints": endpoints})
        return bool(endpoints) or settings.discover

    def collect(self, ctx: CollectContext) -> None:
        settings = self.tls_settings
        quiet_legacy_warnings()
        prior = ctx.prior(*DISCOVERY_RECORDS) if settings.discover else []
        todo = targets(settings.endpoints, prior)
        ctx.set_total(len(todo))
        for outcome in fan_out(lambda t: self._endpoint(ctx, t), todo, settings.max_workers, name="tls"):
            if outcome.exception is not None:  # outside any read (a bug): let the engine contain it
                raise outcome.exception

    # -- one endpoint ------------------------------------------------------------------------
    def _endpoint(self, ctx: CollectContext, target: Target) -> None:
        endpoint = target.endpoint
        resource = endpoint_resource(endpoint)
        tls_kinds = (ENDPOINT, CERTIFICATE, CIPHERS, OCSP) + ((HSTS,) if endpoint.hsts else ())
        try:
            self._tls(ctx, target, resource)
        except ProbeError as err:
            for kind in tls_kinds:
                ctx.failed(kind, resource, error=str(err), reason=err.reason, source="tls handshake")
        except Exception as exc:  # a bug, not a network failure: a visible gap for this endpoint only
            _internal(ctx, tls_kinds, resource, exc)
        if not endpoint.hsts:
            ctx.skipped(HSTS, resource, why="hsts = false for this endpoint (not an HTTP service)",
                        source="https GET /")
        _guarded(ctx, HTTP_REDIRECT, resource, lambda: self._http_redirect(ctx, endpoint, resource))
        ctx.advance(endpoint.id)

    def _tls(self, ctx: CollectContext, target: Target, resource: Resource) -> None:
        endpoint = target.endpoint
        timeout = self.tls_settings.timeout
        try:
            address = resolve(endpoint.address or endpoint.host, endpoint.port)
        except OSError as exc:
            raise describe_os_error(exc, endpoint.id) from None
        results = {}
        for version in reversed(PROTOCOL_ORDER):  # newest first: its certificate is the one read
            result = probe_version(version, address, endpoint.port, endpoint.host, timeout)
            results[version] = result
            answered = any(r.probe.status in ("accepted", "refused") for r in results.values())
            if result.probe.status == "error" and not answered:
                # the first real attempt found no TLS server answering: the endpoint is down
                raise ProbeError(f"{endpoint.id} ({address}): {result.probe.detail}",
                                 result.reason or ErrorReason.CONNECTIVITY)
        accepted = [r for r in results.values() if r.probe.status == "accepted"]
        if not accepted:
            summary = "; ".join(f"{v}: {r.probe.status}" for v, r in results.items())
            timed_out = any(r.reason is ErrorReason.TIMEOUT for r in results.values())
            raise ProbeError(f"{endpoint.id} ({address}): no protocol version could be negotiated ({summary})",
                             ErrorReason.TIMEOUT if timed_out else ErrorReason.INVALID_RESPONSE)
        record = TlsEndpointRecord(
            host=endpoint.host, port=endpoint.port, address=address,
            protocols=tuple(results[v].probe for v in PROTOCOL_ORDER),
            openssl=ssl.OPENSSL_VERSION, discovered_from=target.discovered_from,
        )
        raw = {"address": address, "server_name": endpoint.host,
               "handshakes": {v: results[v].raw for v in PROTOCOL_ORDER}}
        ctx.collected(record, resource, raw=raw, source="tls handshake per protocol version")

        best = accepted[0]
        _guarded(ctx, CERTIFICATE, resource, lambda: self._certificate(
            ctx, endpoint, resource, address, best.probe.version, best.leaf, best.chain))
        if endpoint.hsts:
            _guarded(ctx, HSTS, resource, lambda: self._hsts(ctx, endpoint, resource, address))
        _guarded(ctx, CIPHERS, resource, lambda: self._hello_fact(
            ctx, CIPHERS, strength.weak_suites, "tls ClientHello per weak suite class", endpoint, resource, address))
        _guarded(ctx, OCSP, resource, lambda: self._hello_fact(
            ctx, OCSP, strength.ocsp_stapling, "tls ClientHello with status_request", endpoint, resource, address))

    def _hello_fact(self, ctx: CollectContext, kind: type[EvidenceRecord], read: strength.Reader, source: str,
                    endpoint: TlsEndpoint, resource: Resource, address: str) -> None:
        """One fact read with the hand-built ClientHello (cipher suites, OCSP stapling)."""
        try:
            record, raw = read(endpoint.host, address, endpoint.port, endpoint.host, self.tls_settings.timeout)
        except HelloError as exc:
            ctx.failed(kind, resource, error=f"{endpoint.id}: {exc}", reason=exc.reason, source=source)
            return
        ctx.collected(record, resource, raw=raw, source=source)

    def _certificate(self, ctx: CollectContext, endpoint: TlsEndpoint, resource: Resource, address: str,
                     version: ProtocolVersion, leaf: bytes | None, chain: list[bytes]) -> None:
        source = "tls handshake (certificate as served, then verifying handshake)"
        if not leaf:
            ctx.failed(CERTIFICATE, resource, error=f"{endpoint.id}: the server sent no certificate",
                       reason=ErrorReason.INVALID_RESPONSE, source=source)
            return
        try:
            fields, raw = certificate_facts(leaf, chain, ctx.now)
        except ValueError as exc:
            ctx.failed(CERTIFICATE, resource, error=f"{endpoint.id}: the certificate could not be parsed: {exc}",
                       reason=ErrorReason.INVALID_RESPONSE, source=source)
            return
        settings = self.tls_settings
        try:
            context = verifying_context(settings.ca_bundle, endpoint.check_hostname, version)
        except (OSError, ssl.SSLError) as exc:
            ctx.failed(CERTIFICATE, resource, error=f"ca_bundle {settings.ca_bundle} could not be loaded: {exc}",
                       reason=ErrorReason.CONFIGURATION, source=source)
            return
        result = verify(context, address, endpoint.port, endpoint.host, settings.timeout)
        store = "system" + (f" + {settings.ca_bundle}" if settings.ca_bundle else "")
        matches = hostname_matches(endpoint.host, fields["san_dns"], fields["san_ip"]) \
            if endpoint.check_hostname else None
        record = TlsCertificateRecord(
            host=endpoint.host, port=endpoint.port, hostname_matches=matches,
            verify_status=result.status,
            verify_error=result.error, verify_code=result.code, trust_store=store, **fields,
        )
        raw["verification"] = {"status": result.status, "error": result.error, "code": result.code,
                               "check_hostname": endpoint.check_hostname, "trust_store": store}
        ctx.collected(record, resource, raw=raw, source=source)

    def _hsts(self, ctx: CollectContext, endpoint: TlsEndpoint, resource: Resource, address: str) -> None:
        source = "https GET /"
        try:
            sock = connect(address, endpoint.port, self.tls_settings.timeout)
            try:
                with reading_context().wrap_socket(sock, server_hostname=endpoint.host) as tls:
                    answer = http_get(tls, host_header(endpoint.host, endpoint.port, 443))
            finally:
                sock.close()
        except (http.client.HTTPException, ssl.SSLError) as exc:
            ctx.failed(HSTS, resource, error=f"{endpoint.id}: no HTTP answer over TLS: {type(exc).__name__}: {exc}",
                       reason=ErrorReason.INVALID_RESPONSE, source=source)
            return
        except OSError as exc:
            err = describe_os_error(exc, f"{endpoint.id} {source}")
            ctx.failed(HSTS, resource, error=str(err), reason=err.reason, source=source)
            return
        header = answer.header("Strict-Transport-Security")
        max_age, include, preload = parse_hsts(header) if header is not None else (None, False, False)
        record = TlsHstsRecord(host=endpoint.host, port=endpoint.port, status_code=answer.status, header=header,
                               max_age=max_age, include_subdomains=include, preload=preload)
        ctx.collected(record, resource, raw=answer.raw(), source=source)

    def _http_redirect(self, ctx: CollectContext, endpoint: TlsEndpoint, resource: Resource) -> None:
        source = f"http GET / on port {endpoint.http_port}"
        wanted = endpoint.http_redirect if endpoint.http_redirect is not None else self.tls_settings.check_http_redirect
        if not wanted:
            ctx.skipped(HTTP_REDIRECT, resource, why="the plain-HTTP redirect check is switched off for this endpoint",
                        source=source)
            return
        where = f"{endpoint.host}:{endpoint.http_port}"
        try:
            address = resolve(endpoint.address or endpoint.host, endpoint.http_port)
            sock = connect(address, endpoint.http_port, self.tls_settings.timeout)
        except ConnectionRefusedError:
            record = TlsHttpRedirectRecord(host=endpoint.host, http_port=endpoint.http_port, listening=False)
            ctx.collected(record, resource, raw={"address": where, "connect": "connection refused"}, source=source)
            return
        except OSError as exc:
            err = describe_os_error(exc, where)
            ctx.failed(HTTP_REDIRECT, resource, error=str(err), reason=err.reason, source=source)
            return
        try:
            with sock:
                answer = http_get(sock, host_header(endpoint.host, endpoint.http_port, 80))
        except http.client.HTTPException as exc:
            ctx.failed(HTTP_REDIRECT, resource, error=f"{where}: no HTTP answer: {type(exc).__name__}: {exc}",
                       reason=ErrorReason.INVALID_RESPONSE, source=source)
            return
        except OSError as exc:
            err = describe_os_error(exc, where)
            ctx.failed(HTTP_REDIRECT, resource, error=str(err), reason=err.reason, source=source)
            return
        location = answer.header("Location")
        redirects = 300 <= answer.status < 400 and (location or "").strip().lower().startswith("https://")
        record = TlsHttpRedirectRecord(host=endpoint.host, http_port=endpoint.http_port, listening=True,
                                       status_code=answer.status, location=location, redirects_to_https=redirects)
        ctx.collected(record, resource, raw={"address": where, **answer.raw()}, source=source)
