"""TLS configuration forms, endpoint discovery from AWS/Hetzner evidence, and the pure
helpers (hostname matching, HSTS parsing, what the local OpenSSL can offer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError, create_model

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.tls import TlsCollector, TlsSettings
from auditpack.collectors.tls.config import TlsEndpoint, parse_endpoint
from auditpack.collectors.tls.discovery import discovered, targets
from auditpack.collectors.tls.probe import hostname_matches, local_limitation, parse_hsts
from auditpack.config import Policy, validate_config
from auditpack.emulators.tls import EmulatorCA, LocalTlsServer
from auditpack.engine import evaluate
from auditpack.errors import ConfigError
from auditpack.evidence.tls import TlsCertificateRecord, TlsEndpointRecord
from auditpack.model import AttemptStatus, Evidence, EvidenceRecord, Provenance, Resource, record_type
from auditpack.registry import default_registry
from helpers import FIXED_NOW, checks_from, expect

REGISTRY = default_registry()  # loads the AWS/Hetzner record classes before record_type() is asked
TLS_CHECKS = checks_from("tls")


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "host", "port"), [
    ("app.example.com", "app.example.com", 443),
    ("App.Example.com.:8443", "app.example.com", 8443),
    ("192.0.2.10:443", "192.0.2.10", 443),
    ("[2001:db8::1]:9443", "2001:db8::1", 9443),
    ("2001:db8::1", "2001:db8::1", 443),
])
def test_endpoint_strings(text: str, host: str, port: int) -> None:
    endpoint = parse_endpoint(text)
    assert (endpoint.host, endpoint.port) == (host, port)
    assert endpoint.id == (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")


@pytest.mark.parametrize("text", ["app.example.com:https", "app.example.com:0", "[::1", "user@host:443", "a b:443"])
def test_bad_endpoint_strings_are_rejected(text: str) -> None:
    with pytest.raises(ValidationError):
        TlsSettings(endpoints=[text])


def test_strings_and_tables_mix_and_errors_name_the_key() -> None:
    config = validate_config({"tls": {"endpoints": [
        "app.example.com",
        {"host": "app.example.test", "address": "127.0.0.1", "port": 8443, "http_port": 8080, "hsts": False},
    ]}}, REGISTRY)
    settings = config.section("tls")
    assert isinstance(settings, TlsSettings)
    first, second = settings.endpoints
    assert (first.id, first.http_port, first.http_redirect, first.address) == ("app.example.com:443", 80, None, None)
    assert (second.id, second.address, second.http_port, second.hsts) == ("app.example.test:8443", "127.0.0.1", 8080,
                                                                          False)
    with pytest.raises(ConfigError, match=r"unknown key 'prot'"):
        validate_config({"tls": {"endpoints": [{"host": "a.example.com", "prot": 1}]}}, REGISTRY)
    with pytest.raises(ConfigError, match=r"listed twice"):
        validate_config({"tls": {"endpoints": ["a.example.com", "a.example.com:443"]}}, REGISTRY)


# --- pure helpers ----------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "dns", "ips", "ok"), [
    ("app.example.com", ("app.example.com",), (), True),
    ("APP.example.com.", ("app.example.com",), (), True),
    ("app.example.com", ("*.example.com",), (), True),
    ("a.b.example.com", ("*.example.com",), (), False),  # a wildcard covers one label
    ("example.com", ("*.example.com",), (), False),
    ("app.example.com", ("*.com",), (), False),  # no wildcard over a public suffix-like single label
    ("app.example.com", ("other.example.com",), (), False),
    ("192.0.2.1", ("192.0.2.1",), (), False),  # an address must be in an IP SAN
    ("192.0.2.1", (), ("192.0.2.1",), True),
    ("2001:db8::1", (), ("2001:0db8:0:0::1",), True),
])
def test_hostname_matching(host: str, dns: tuple[str, ...], ips: tuple[str, ...], ok: bool) -> None:
    assert hostname_matches(host, dns, ips) is ok


@pytest.mark.parametrize(("value", "parsed"), [
    ("max-age=31536000; includeSubDomains; preload", (31536000, True, True)),
    ('Max-Age="600"', (600, False, False)),
    ("max-age=0", (0, False, False)),
    ("includeSubDomains", (None, True, False)),
    ("max-age=abc", (None, False, False)),
])
def test_hsts_parsing(value: str, parsed: tuple[int | None, bool, bool]) -> None:
    assert parse_hsts(value) == parsed


def test_local_openssl_offers_modern_versions() -> None:
    assert local_limitation("1.2") is None and local_limitation("1.3") is None
    import ssl

    assert (local_limitation("SSLv3") is None) is bool(ssl.HAS_SSLv3)


# --- discovery -------------------------------------------------------------------------------

def _record(kind: str, fields: dict[str, Any]) -> EvidenceRecord:
    """The real record class of ``kind`` when its collector is installed (built without
    validation: only the fields discovery reads), else a local, unregistered stand-in."""
    cls = record_type(kind)
    if cls is None:
        cls = create_model(f"Local_{kind.replace('.', '_')}", __base__=EvidenceRecord,
                           **{name: (Any, None) for name in fields})
        cls.kind = kind  # set after creation: never registered, so no clash with a real class
    return cls.model_construct(**fields)


def _prior(kind: str, resource_id: str, fields: dict[str, Any], raw: dict[str, Any]) -> Evidence:
    provider = kind.split(".")[0]
    resource = Resource(provider, kind.split(".")[1], resource_id, resource_id, None, "scope")
    return Evidence(kind=kind, resource=resource, status=AttemptStatus.COLLECTED,
                    provenance=Provenance(provider, "t", FIXED_NOW, "scope", "test"),
                    record=_record(kind, fields), raw=raw)


ALB = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/web/1"
NLB = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/net/internal/2"
HTTP_ONLY = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/plain/3"


def _zoo(hetzner_port: int = 443, alb_port: int = 443) -> list[Evidence]:
    services = [{"protocol": "https", "listen_port": hetzner_port}, {"protocol": "http", "listen_port": 80}]
    return [
        _prior("aws.elb_load_balancer", ALB, {"dns_name": "web-1.eu-central-1.elb.amazonaws.com",
                                                "scheme": "internet-facing"},
               {"DNSName": "web-1.eu-central-1.elb.amazonaws.com", "Scheme": "internet-facing"}),
        _prior("aws.elb_listener", f"{ALB}/l1", {"load_balancer_arn": ALB, "port": alb_port, "protocol": "HTTPS"},
               {"LoadBalancerArn": ALB, "Port": alb_port, "Protocol": "HTTPS"}),
        _prior("aws.elb_listener", f"{ALB}/l2", {"load_balancer_arn": ALB, "port": 80, "protocol": "HTTP"},
               {"LoadBalancerArn": ALB, "Port": 80, "Protocol": "HTTP"}),
        _prior("aws.elb_load_balancer", NLB, {"dns_name": "internal-2.elb.amazonaws.com", "scheme": "internal"},
               {"DNSName": "internal-2.elb.amazonaws.com", "Scheme": "internal"}),
        _prior("aws.elb_load_balancer", HTTP_ONLY, {"dns_name": "plain-3.elb.amazonaws.com",
                                                      "scheme": "internet-facing"},
               {"DNSName": "plain-3.elb.amazonaws.com", "Scheme": "internet-facing"}),
        _prior("aws.elb_listener", f"{HTTP_ONLY}/l1", {"load_balancer_arn": HTTP_ONLY, "port": 80, "protocol": "HTTP"},
               {"LoadBalancerArn": HTTP_ONLY, "Port": 80, "Protocol": "HTTP"}),
        _prior("aws.cloudfront_distribution", "arn:aws:cloudfront::123456789012:distribution/E1",
               {"domain_name": "d111111abcdef8.cloudfront.net", "enabled": True},
               {"DomainName": "d111111abcdef8.cloudfront.net", "Enabled": True}),
        _prior("aws.cloudfront_distribution", "arn:aws:cloudfront::123456789012:distribution/E2",
               {"domain_name": "d222.cloudfront.net", "enabled": False},
               {"DomainName": "d222.cloudfront.net", "Enabled": False}),
        _prior("hetzner.load_balancer", "4711", {"public": True, "services": services},
               {"id": 4711, "public_net": {"enabled": True, "ipv4": {"ip": "127.0.0.1"}}, "services": services}),
    ]


def test_discovery_reads_public_names_and_tls_ports_only() -> None:
    found = {t.endpoint.id: t for t in discovered(_zoo(hetzner_port=8443))}
    assert set(found) == {"web-1.eu-central-1.elb.amazonaws.com:443", "d111111abcdef8.cloudfront.net:443",
                          "127.0.0.1:8443"}
    assert found["127.0.0.1:8443"].endpoint.check_hostname is False
    assert found["127.0.0.1:8443"].discovered_from == "hetzner.load_balancer"
    assert found["d111111abcdef8.cloudfront.net:443"].endpoint.check_hostname is True


def test_configured_endpoints_come_first_and_are_not_probed_twice() -> None:
    configured = (TlsEndpoint(host="d111111abcdef8.cloudfront.net", http_redirect=False),)
    result = targets(configured, _zoo())
    assert result[0].discovered_from is None and result[0].endpoint.http_redirect is False
    assert [t.endpoint.id for t in result].count("d111111abcdef8.cloudfront.net:443") == 1
    assert targets(configured, None) == [result[0]]


def test_discovered_endpoints_are_probed_when_discover_is_on() -> None:
    ca = EmulatorCA()
    with LocalTlsServer("127.0.0.1", ca=ca, key_type="ec", hsts=None) as server:
        prior = [ev for ev in _zoo(hetzner_port=server.port) if ev.kind == "hetzner.load_balancer"]
        settings = TlsSettings(discover=True, ca_bundle=server.ca_pem_path, check_http_redirect=False, timeout=2)
        now = datetime.now(UTC)
        ctx = CollectContext("tls", "test", now, prior_evidence=prior)
        TlsCollector(settings).collect(ctx)
        evidence = ctx.close()
        # discovery off: the same prior evidence is ignored
        quiet = CollectContext("tls", "test", now, prior_evidence=prior)
        TlsCollector(TlsSettings(check_http_redirect=False)).collect(quiet)
        assert quiet.close() == []
    endpoint_id = f"127.0.0.1:{server.port}"
    by_kind = {ev.kind: ev for ev in evidence if ev.resource.id == endpoint_id}
    rec = by_kind["tls.endpoint"].record
    assert isinstance(rec, TlsEndpointRecord) and rec.discovered_from == "hetzner.load_balancer"
    cert = by_kind["tls.certificate"].record
    assert isinstance(cert, TlsCertificateRecord) and cert.hostname_matches is None and cert.san_ip == ("127.0.0.1",)
    findings = evaluate(evidence, TLS_CHECKS, Policy(), now, load_catalogs())
    expect(findings, "encryption_in_transit_tls_certificate_valid", "pass", endpoint_id,
           contains="host name not checked")
    expect(findings, "encryption_in_transit_tls_endpoint_hsts", "fail", endpoint_id)


def test_an_address_endpoint_is_verified_against_ip_sans() -> None:
    with LocalTlsServer("127.0.0.1", key_type="ec") as server:
        settings = TlsSettings(endpoints=[f"127.0.0.1:{server.port}"], ca_bundle=server.ca_pem_path,
                               check_http_redirect=False, timeout=2)
        now = datetime.now(UTC)
        ctx = CollectContext("tls", "test", now)
        TlsCollector(settings).collect(ctx)
        evidence = ctx.close()
    cert = next(ev.record for ev in evidence if ev.kind == "tls.certificate")
    assert isinstance(cert, TlsCertificateRecord) and cert.hostname_matches is True and cert.verify_status == "ok"
    expect(evaluate(evidence, TLS_CHECKS, Policy(), now, load_catalogs()),
           "encryption_in_transit_tls_certificate_valid", "pass", f"127.0.0.1:{server.port}")


def test_collector_declarations() -> None:
    assert TlsCollector.after == ("aws", "hetzner")
    assert TlsCollector(TlsSettings(endpoints=["a.example.com"])).scopes() == ["a.example.com:443"]
    assert TlsCollector(TlsSettings()).scopes() == ["tls"]
