"""TLS collector and checks against real TLS servers on loopback (auditpack.emulators.tls).

One module-wide collection covers the whole zoo at once (concurrently, as in a real run):
a good TLS 1.2/1.3 server, one that still accepts TLS 1.0, expired / wrong-host /
self-signed / soon-expiring certificates, no HSTS, a closed port and a silent server.
Certificates are made relative to the real clock (OpenSSL verifies against it), so the
checks are evaluated with the collection's ``now``.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.tls import TlsCollector, TlsSettings
from auditpack.config import Policy
from auditpack.emulators.tls import EmulatorCA, LocalTlsServer, SilentTcpServer, closed_port
from auditpack.engine import evaluate
from auditpack.evidence.tls import TlsCertificateRecord, TlsEndpointRecord, TlsHttpRedirectRecord
from auditpack.model import AttemptStatus, ErrorReason, Evidence, Finding, Status
from helpers import checks_from, expect

TLS_CHECKS = checks_from("tls")
MIN_VERSION = "encryption_in_transit_tls_endpoint_min_version"
CERT_VALID = "encryption_in_transit_tls_certificate_valid"
NOT_EXPIRING = "encryption_in_transit_tls_certificate_not_expiring"
HSTS = "encryption_in_transit_tls_endpoint_hsts"
REDIRECT = "encryption_in_transit_tls_http_redirects"


@dataclass
class Run:
    now: datetime
    evidence: list[Evidence]
    ids: dict[str, str]  # role -> endpoint id

    def findings(self, policy: Policy | None = None) -> list[Finding]:
        return evaluate(self.evidence, TLS_CHECKS, policy or Policy(), self.now, load_catalogs())

    def of(self, role: str, kind: str) -> list[Evidence]:
        return [ev for ev in self.evidence if ev.resource.id == self.ids[role] and ev.kind == kind]

    def one(self, role: str, kind: str) -> Evidence:
        (ev,) = self.of(role, kind)
        return ev


def collect(settings: TlsSettings, now: datetime, prior: list[Evidence] | None = None) -> list[Evidence]:
    ctx = CollectContext("tls", "test", now, prior_evidence=prior or [])
    TlsCollector(settings).collect(ctx)
    return ctx.close()


@pytest.fixture(scope="module")
def run() -> Run:
    ca = EmulatorCA()
    servers = {
        "good": dict(http="redirect"),
        "legacy": dict(min_version="1.0", http="plain"),
        "expired": dict(certificate="expired", key_type="ec"),
        "wrong_host": dict(certificate="wrong_host", key_type="ec"),
        "self_signed": dict(certificate="self_signed", key_type="ec"),
        "no_hsts": dict(hsts=None, key_type="ec"),
        "hsts_zero": dict(hsts="max-age=0", key_type="ec"),
        "expiring": dict(valid_days=10, key_type="ec"),
        "ec384": dict(key_type="ec", key_size=384, min_version="1.3"),
    }
    with ExitStack() as stack:
        started = {role: stack.enter_context(LocalTlsServer(f"{role.replace('_', '-')}.example.test", ca=ca, **opts))
                   for role, opts in servers.items()}
        silent = stack.enter_context(SilentTcpServer())
        endpoints = [server.endpoint_config() for server in started.values()]
        # a plain-HTTP port that accepts and never answers: only that fact is an error
        endpoints[list(started).index("expired")].update(http_port=silent.port, http_redirect=True)
        endpoints.append({"host": "silent.example.test", "address": "127.0.0.1", "port": silent.port,
                          "http_redirect": False})
        endpoints.append({"host": "closed.example.test", "address": "127.0.0.1", "port": closed_port(),
                          "http_redirect": False})
        settings = TlsSettings(endpoints=endpoints, ca_bundle=started["good"].ca_pem_path, timeout=1.5)
        now = datetime.now(UTC)
        evidence = collect(settings, now)
    ids = {role: f"{role.replace('_', '-')}.example.test:{server.port}" for role, server in started.items()}
    ids["silent"] = f"silent.example.test:{silent.port}"
    ids["closed"] = settings.endpoints[-1].id
    return Run(now, evidence, ids)


def test_good_endpoint_passes_every_check(run: Run) -> None:
    findings = run.findings()
    good = run.ids["good"]
    expect(findings, MIN_VERSION, "pass", good, contains="lowest accepted is TLS 1.2")
    expect(findings, MIN_VERSION, "pass", good, contains="SSLv3 not tested")
    expect(findings, CERT_VALID, "pass", good)
    expect(findings, NOT_EXPIRING, "pass", good)
    expect(findings, HSTS, "pass", good, contains="max-age=31536000")
    expect(findings, REDIRECT, "pass", good, contains="redirects plain HTTP to https://")
    assert all(f.status is Status.PASS for f in findings if f.resource.id == good)


def test_good_endpoint_evidence_names_versions_ciphers_and_certificate(run: Run) -> None:
    rec = run.one("good", "tls.endpoint").record
    assert isinstance(rec, TlsEndpointRecord)
    states = {p.version: p.status for p in rec.protocols}
    assert states == {"SSLv3": "not_tested", "1.0": "refused", "1.1": "refused", "1.2": "accepted", "1.3": "accepted"}
    assert rec.probe("1.3").cipher.startswith("TLS_") and rec.probe("1.2").cipher_bits >= 128
    assert "SSLv3" in rec.probe("SSLv3").detail  # says why it could not be tested
    cert = run.one("good", "tls.certificate")
    rec_c = cert.record
    assert isinstance(rec_c, TlsCertificateRecord)
    assert rec_c.san_dns == ("good.example.test",) and rec_c.hostname_matches is True
    assert (rec_c.key_type, rec_c.key_size) == ("RSA", 2048)
    assert rec_c.signature_algorithm == "ecdsa-with-SHA256" and "auditpack emulator CA" in rec_c.issuer
    assert rec_c.verify_status == "ok" and 363 <= rec_c.days_to_expiry <= 365
    assert cert.raw["leaf_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert run.one("good", "tls.hsts").raw["status"] == 200


def test_endpoint_accepting_tls10_fails_the_minimum_version(run: Run) -> None:
    rec = run.one("legacy", "tls.endpoint").record
    assert isinstance(rec, TlsEndpointRecord)
    assert rec.accepted == ("1.0", "1.1", "1.2", "1.3") and rec.probe("1.0").cipher
    findings = run.findings()
    expect(findings, MIN_VERSION, "fail", run.ids["legacy"],
           contains="accepts TLS 1.0, TLS 1.1, below the minimum TLS 1.2")
    expect(run.findings(Policy(tls_min_version="1.1")), MIN_VERSION, "fail", run.ids["legacy"],
           contains="accepts TLS 1.0,")
    expect(run.findings(Policy(tls_min_version="1.3")), MIN_VERSION, "fail", run.ids["good"], contains="TLS 1.2")


def test_untestable_versions_below_the_minimum_are_an_error_not_a_pass(run: Run) -> None:
    # minimum 1.0: only SSLv3 lies below, and the local OpenSSL cannot offer it. A server that
    # accepts TLS 1.0 may well speak SSLv3 too: that is a gap, never a pass.
    findings = run.findings(Policy(tls_min_version="1.0"))
    expect(findings, MIN_VERSION, "error", run.ids["legacy"], contains="could not test whether SSLv3")
    # one that refuses TLS 1.0 does not speak SSLv3 in practice: pass, saying what was not tested
    expect(findings, MIN_VERSION, "pass", run.ids["good"], contains="SSLv3 not tested")


def test_plain_http_without_redirect_fails(run: Run) -> None:
    expect(run.findings(), REDIRECT, "fail", run.ids["legacy"], contains="answers plain HTTP with 200")
    rec = run.one("legacy", "tls.http_redirect").record
    assert isinstance(rec, TlsHttpRedirectRecord) and rec.listening and not rec.redirects_to_https


def test_certificate_problems_fail(run: Run) -> None:
    findings = run.findings()
    expect(findings, CERT_VALID, "fail", run.ids["expired"], contains="expired on")
    expect(findings, CERT_VALID, "fail", run.ids["expired"], contains="certificate has expired")
    expect(findings, NOT_EXPIRING, "fail", run.ids["expired"], contains="expired on")
    expect(findings, CERT_VALID, "fail", run.ids["wrong_host"],
           contains="does not name wrong-host.example.test (subjectAltName: other-wrong-host.example.test)")
    expect(findings, CERT_VALID, "fail", run.ids["self_signed"], contains="self-signed certificate")
    expect(findings, NOT_EXPIRING, "fail", run.ids["expiring"], contains="in 9 days (fewer than 21)")
    expect(findings, CERT_VALID, "pass", run.ids["expiring"])
    rec = run.one("self_signed", "tls.certificate").record
    assert isinstance(rec, TlsCertificateRecord) and rec.self_signed and rec.verify_status == "failed"
    ec = run.one("ec384", "tls.certificate").record
    assert isinstance(ec, TlsCertificateRecord) and (ec.key_type, ec.key_size, ec.curve) == ("EC", 384, "secp384r1")


def test_expiry_uses_the_evaluation_time_not_the_collection_time(run: Run) -> None:
    from datetime import timedelta

    later = evaluate(run.evidence, TLS_CHECKS, Policy(), run.now + timedelta(days=350), load_catalogs())
    expect(later, NOT_EXPIRING, "fail", run.ids["good"], contains="fewer than 21")
    expect(later, CERT_VALID, "pass", run.ids["good"])
    after = evaluate(run.evidence, TLS_CHECKS, Policy(), run.now + timedelta(days=400), load_catalogs())
    expect(after, CERT_VALID, "fail", run.ids["good"], contains="expired on")


def test_missing_or_disabled_hsts_fails(run: Run) -> None:
    findings = run.findings()
    expect(findings, HSTS, "fail", run.ids["no_hsts"], contains="sends no Strict-Transport-Security header")
    expect(findings, HSTS, "fail", run.ids["hsts_zero"], contains="without a positive max-age")


def test_closed_port_is_an_error_for_that_endpoint_only(run: Run) -> None:
    for kind in ("tls.endpoint", "tls.certificate", "tls.hsts"):
        ev = run.one("closed", kind)
        assert ev.status is AttemptStatus.ERROR and ev.reason is ErrorReason.CONNECTIVITY
        assert "connection refused" in (ev.error or "")
    findings = run.findings()
    for check in (MIN_VERSION, CERT_VALID, NOT_EXPIRING, HSTS):
        expect(findings, check, "error", run.ids["closed"], contains="connection refused")
    assert not [f for f in findings if f.resource.id == run.ids["closed"] and f.status is not Status.ERROR]
    # the redirect check was switched off for it: skipped evidence, no finding
    assert run.one("closed", "tls.http_redirect").status is AttemptStatus.SKIPPED
    assert not [f for f in findings if f.check == REDIRECT and f.resource.id == run.ids["closed"]]


def test_silent_server_is_a_timeout_error(run: Run) -> None:
    for kind in ("tls.endpoint", "tls.certificate", "tls.hsts"):
        ev = run.one("silent", kind)
        assert ev.status is AttemptStatus.ERROR and ev.reason is ErrorReason.TIMEOUT
    expect(run.findings(), MIN_VERSION, "error", run.ids["silent"], contains="timed out")


def test_silent_http_port_errors_only_the_redirect_fact(run: Run) -> None:
    ev = run.one("expired", "tls.http_redirect")
    assert ev.status is AttemptStatus.ERROR and ev.reason is ErrorReason.TIMEOUT
    assert run.one("expired", "tls.endpoint").ok and run.one("expired", "tls.hsts").ok
    expect(run.findings(), REDIRECT, "error", run.ids["expired"])


def test_every_endpoint_has_one_evidence_per_kind(run: Run) -> None:
    for role in run.ids:
        kinds = sorted(ev.kind for ev in run.evidence if ev.resource.id == run.ids[role])
        assert kinds == ["tls.certificate", "tls.cipher_suites", "tls.endpoint", "tls.hsts", "tls.http_redirect",
                         "tls.ocsp_stapling"], role
        for ev in run.evidence:
            assert (ev.resource.provider, ev.resource.type, ev.resource.location) == ("tls", "endpoint", None)


def test_untrusted_ca_and_redirect_target_without_ca_bundle() -> None:
    with LocalTlsServer("private.example.test", key_type="ec", hsts=None) as server:
        settings = TlsSettings(endpoints=[server.endpoint_config(hsts=False)], timeout=2)
        now = datetime.now(UTC)
        evidence = collect(settings, now)
    cert = next(ev for ev in evidence if ev.kind == "tls.certificate").record
    assert isinstance(cert, TlsCertificateRecord) and cert.trust_store == "system"
    findings = evaluate(evidence, TLS_CHECKS, Policy(), now, load_catalogs())
    expect(findings, CERT_VALID, "fail", contains="unable to get local issuer certificate")
    # hsts = false (not an HTTP service): skipped, and no HSTS finding at all
    assert [ev.status for ev in evidence if ev.kind == "tls.hsts"] == [AttemptStatus.SKIPPED]
    assert not [f for f in findings if f.check == HSTS]


def test_tls10_only_server_still_gives_certificate_evidence() -> None:
    with LocalTlsServer("old.example.test", key_type="ec", min_version="1.0", max_version="1.0") as server:
        settings = TlsSettings(endpoints=[server.endpoint_config()], ca_bundle=server.ca_pem_path, timeout=2)
        now = datetime.now(UTC)
        evidence = collect(settings, now)
    by_kind = {ev.kind: ev for ev in evidence}
    endpoint = by_kind["tls.endpoint"].record
    assert isinstance(endpoint, TlsEndpointRecord) and endpoint.accepted == ("1.0",)
    cert = by_kind["tls.certificate"].record
    assert isinstance(cert, TlsCertificateRecord) and cert.verify_status == "ok"
    assert by_kind["tls.hsts"].ok
    findings = evaluate(evidence, TLS_CHECKS, Policy(), now, load_catalogs())
    expect(findings, MIN_VERSION, "fail", contains="accepts TLS 1.0, below the minimum")


def test_a_failing_read_errors_only_its_own_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditpack.collectors.tls.collector as tls_collector

    def broken(*args: object) -> None:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(tls_collector, "certificate_facts", broken)
    with LocalTlsServer("app.example.test", key_type="ec", http="redirect") as server:
        settings = TlsSettings(endpoints=[server.endpoint_config()], ca_bundle=server.ca_pem_path, timeout=2)
        evidence = collect(settings, datetime.now(UTC))
    by_kind = {ev.kind: ev for ev in evidence}
    assert by_kind["tls.certificate"].reason is ErrorReason.INTERNAL
    assert "parser exploded" in (by_kind["tls.certificate"].error or "")
    assert all(by_kind[k].ok for k in ("tls.endpoint", "tls.hsts", "tls.http_redirect", "tls.cipher_suites",
                                       "tls.ocsp_stapling"))
    assert len(evidence) == 6


def test_unreadable_ca_bundle_is_a_configuration_error_of_the_certificate_fact(tmp_path) -> None:
    with LocalTlsServer("app.example.test", key_type="ec") as server:
        settings = TlsSettings(endpoints=[server.endpoint_config()], ca_bundle=str(tmp_path / "missing.pem"),
                               timeout=2)
        evidence = collect(settings, datetime.now(UTC))
    by_kind = {ev.kind: ev for ev in evidence}
    assert by_kind["tls.certificate"].reason is ErrorReason.CONFIGURATION
    assert "missing.pem" in (by_kind["tls.certificate"].error or "")
    assert by_kind["tls.endpoint"].ok and by_kind["tls.hsts"].ok


def test_evidence_survives_the_pack_round_trip(run: Run) -> None:
    """`auditpack report` rebuilds evidence from the pack's JSON: every record must come back."""
    import json

    for ev in run.evidence:
        again = Evidence.from_json(json.loads(json.dumps(ev.to_json())))
        assert again.record == ev.record and again.raw_sha256 == ev.raw_sha256 and again.path == ev.path
