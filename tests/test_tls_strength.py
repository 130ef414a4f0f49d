"""Issue 17, TLS depth: weak cipher suites, certificate key and signature strength, OCSP
stapling, read by the real TLS collector from real servers on loopback.

Python's ssl servers (the platform's OpenSSL 3) serve what that library still can: suites
without forward secrecy, NULL suites, RSA-1024 and SHA-1 certificates at security level 0.
RC4 and 3DES are compiled out of it, so a GnuTLS server (``gnutls-serv``, Debian package
gnutls-bin) serves those, and staples OCSP responses made with ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.tls import TlsCollector, TlsSettings
from auditpack.collectors.tls.hello import client_hello
from auditpack.config import Policy
from auditpack.emulators.sshd import free_port
from auditpack.emulators.tls import EmulatorCA, LocalTlsServer, SilentTcpServer, make_certificates
from auditpack.engine import evaluate
from auditpack.evidence.tls import TlsCipherSuitesRecord, TlsOcspStaplingRecord, WeakSuiteProbe
from auditpack.model import Evidence, Finding, Resource, Severity
from helpers import checks_from, expect

pytestmark = pytest.mark.slow
CHECKS = [*checks_from("tls"), *checks_from("tls_strength")]
WEAK = "encryption_in_transit_tls_endpoint_weak_ciphers_refused"
KEY = "encryption_in_transit_tls_certificate_key_strong"
OCSP = "encryption_in_transit_tls_endpoint_ocsp_stapled"
GNUTLS = shutil.which("gnutls-serv")


@dataclass
class Run:
    now: dt.datetime
    evidence: list[Evidence]
    ids: dict[str, str]

    def findings(self) -> list[Finding]:
        return evaluate(self.evidence, CHECKS, Policy(), self.now, load_catalogs())

    def one(self, role: str, kind: str) -> Evidence:
        (ev,) = [e for e in self.evidence if e.resource.id == self.ids[role] and e.kind == kind]
        return ev


def _ocsp_response(directory: Path, ca: EmulatorCA, status: ocsp.OCSPCertStatus, now: dt.datetime) -> Path:
    leaf = x509.load_pem_x509_certificate((directory / "leaf.pem").read_bytes())
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    response = (ocsp.OCSPResponseBuilder()
                .add_response(cert=leaf, issuer=ca.cert, algorithm=hashes.SHA1(), cert_status=status,
                              this_update=now - dt.timedelta(hours=1), next_update=now + dt.timedelta(days=3),
                              revocation_time=now - dt.timedelta(days=2) if revoked else None,
                              revocation_reason=x509.ReasonFlags.key_compromise if revoked else None)
                .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert).sign(ca.key, hashes.SHA256()))
    path = directory / "ocsp.der"
    path.write_bytes(response.public_bytes(serialization.Encoding.DER))
    return path


@contextmanager
def gnutls_server(directory: Path, hostname: str, ca: EmulatorCA, priority: str,
                  staple: ocsp.OCSPCertStatus | None, now: dt.datetime) -> Iterator[int]:
    """``gnutls-serv`` on loopback with a CA-signed certificate; yields its port."""
    directory.mkdir()
    paths = make_certificates(directory, hostname, ca=ca)
    argv = [str(GNUTLS), "--port", "0", "--x509certfile", str(paths["cert"]), "--x509keyfile", str(paths["key"]),
            "--priority", priority]
    if staple is not None:
        argv += ["--ocsp-response", str(_ocsp_response(directory, ca, staple, now)), "--ignore-ocsp-response-errors"]
    for _attempt in range(5):
        port = free_port()
        argv[2] = str(port)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    ca = EmulatorCA()
    now = dt.datetime.now(dt.UTC)
    python_servers = {
        "modern": {},
        "no-fs": {"ciphers": "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", "max_version": "1.2"},
        "null": {"ciphers": "NULL-SHA256:ECDHE-RSA-AES128-GCM-SHA256", "max_version": "1.2"},
        "tls13-only": {"min_version": "1.3", "key_type": "ec"},
        "weak-cert": {"key_size": 1024, "signature_hash": "sha1"},
        "ec-cert": {"key_type": "ec"},
    }
    with ExitStack() as stack:
        endpoints = []
        ids = {}
        for role, opts in python_servers.items():
            server = stack.enter_context(LocalTlsServer(f"{role}.example.test", ca=ca, **opts))  # type: ignore[arg-type]
            endpoints.append(server.endpoint_config(hsts=False))
            ids[role] = f"{role}.example.test:{server.port}"
        if GNUTLS:
            tmp = tmp_path_factory.mktemp("gnutls")
            for role, priority, staple in (
                    ("rc4-3des", "NORMAL:+3DES-CBC:+ARCFOUR-128:+RSA", ocsp.OCSPCertStatus.GOOD),
                    ("revoked", "NORMAL:-RSA", ocsp.OCSPCertStatus.REVOKED)):
                port = stack.enter_context(gnutls_server(tmp / role, f"{role}.example.test", ca, priority, staple,
                                                         now))
                endpoints.append({"host": f"{role}.example.test", "address": "127.0.0.1", "port": port,
                                  "hsts": False, "http_redirect": False})
                ids[role] = f"{role}.example.test:{port}"
        silent = stack.enter_context(SilentTcpServer())
        endpoints.append({"host": "silent.example.test", "address": "127.0.0.1", "port": silent.port,
                          "http_redirect": False})
        ids["silent"] = f"silent.example.test:{silent.port}"
        ctx = CollectContext("tls", "test", now)
        TlsCollector(TlsSettings(endpoints=endpoints, timeout=1.5)).collect(ctx)
        evidence = ctx.close()
    return Run(now, evidence, ids)


def test_weak_cipher_suites(run: Run) -> None:
    findings = run.findings()
    expect(findings, WEAK, "pass", run.ids["modern"], contains="refuses RC4, 3DES, NULL, EXPORT")
    no_fs = expect(findings, WEAK, "fail", run.ids["no-fs"],
                   contains="no forward secrecy (TLS_RSA_WITH_AES_128_CBC_SHA)")[0]
    assert no_fs.severity is Severity.MEDIUM  # only forward secrecy missing: less than a broken cipher
    null = expect(findings, WEAK, "fail", run.ids["null"], contains="NULL (TLS_RSA_WITH_NULL_SHA256)")[0]
    assert null.severity is Severity.HIGH
    expect(findings, WEAK, "pass", run.ids["tls13-only"], contains="speaks only TLS 1.3")
    # the endpoint does not answer: every fact of it is an error, never a pass
    expect(findings, WEAK, "error", run.ids["silent"])
    record = run.one("modern", TlsCipherSuitesRecord.kind).record
    assert isinstance(record, TlsCipherSuitesRecord) and "cannot offer RC4" in record.method


@pytest.mark.skipif(not GNUTLS, reason="gnutls-serv (Debian package gnutls-bin) is not installed")
def test_rc4_and_3des_are_found_although_the_local_openssl_cannot_offer_them(run: Run) -> None:
    findings = run.findings()
    failed = expect(findings, WEAK, "fail", run.ids["rc4-3des"], contains="RC4 (TLS_RSA_WITH_RC4_128_SHA)")[0]
    assert "3DES (TLS_RSA_WITH_3DES_EDE_CBC_SHA)" in failed.message
    assert "NULL" not in failed.message and "EXPORT" not in failed.message
    expect(findings, WEAK, "pass", run.ids["revoked"])


def test_certificate_key_and_signature(run: Run) -> None:
    findings = run.findings()
    expect(findings, KEY, "pass", run.ids["modern"], contains="has key RSA 2048 and signature ecdsa-with-SHA256")
    expect(findings, KEY, "pass", run.ids["ec-cert"], contains="EC 256 (secp256r1)")
    weak = expect(findings, KEY, "fail", run.ids["weak-cert"], contains="RSA key has 1024 bits (minimum 2048)")[0]
    assert "ecdsa-with-SHA1 (SHA1)" in weak.message
    expect(findings, KEY, "error", run.ids["silent"])


def test_ocsp_stapling_is_recorded(run: Run) -> None:
    findings = run.findings()
    expect(findings, OCSP, "not_applicable", run.ids["modern"], contains="staples no OCSP response")
    expect(findings, OCSP, "not_applicable", run.ids["tls13-only"], contains="speaks only TLS 1.3")
    expect(findings, OCSP, "error", run.ids["silent"])
    if GNUTLS:
        expect(findings, OCSP, "pass", run.ids["rc4-3des"], contains="certificate is good")
        revoked = expect(findings, OCSP, "fail", run.ids["revoked"], contains="revoked on")[0]
        assert revoked.severity is Severity.CRITICAL
        stapled = run.one("rc4-3des", TlsOcspStaplingRecord.kind)
        assert stapled.raw["ocsp_response_der_hex"]  # the response as served, for the auditor


def _evidence(record: TlsCipherSuitesRecord | TlsOcspStaplingRecord) -> Evidence:
    ctx = CollectContext("tls", "test", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    return ctx.collected(record, Resource("tls", "endpoint", "x.test:443", "x.test", scope="x.test:443"), raw={},
                         source="test")


def test_a_class_without_an_answer_is_an_error_and_odd_ocsp_answers_are_not_passed() -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    probes = (WeakSuiteProbe(suite_class="RC4", status="refused", detail="alert handshake_failure"),
              WeakSuiteProbe(suite_class="3DES", status="error", detail="no answer to the ClientHello (timed out)"))
    ciphers = TlsCipherSuitesRecord(host="x.test", port=443, address="192.0.2.1", method="test", probes=probes)
    outdated = TlsOcspStaplingRecord(host="x.test", port=443, status="stapled", response_status="successful",
                                     cert_status="good", next_update=now - dt.timedelta(days=1))
    unknown = TlsOcspStaplingRecord(host="y.test", port=443, status="stapled", response_status="try_later")
    findings = evaluate([_evidence(ciphers), _evidence(outdated)], CHECKS, Policy(), now, load_catalogs())
    expect(findings, WEAK, "error", "x.test:443", contains="3DES got no answer")
    expect(findings, OCSP, "fail", "x.test:443", contains="outdated OCSP response")
    findings = evaluate([_evidence(unknown)], CHECKS, Policy(), now, load_catalogs())
    expect(findings, OCSP, "error", "x.test:443", contains="response try_later")


def test_the_client_hello_offers_exactly_the_given_suites() -> None:
    record = client_hello("app.example.test", (0x0005, 0x000A))
    assert record[0] == 22 and record[5] == 1  # a handshake record holding a ClientHello
    assert bytes.fromhex("0006" "0005" "000a" "00ff") in record  # the suites, then the renegotiation SCSV
    assert b"app.example.test" in record and b"192.0.2.1" not in client_hello("192.0.2.1", (0x0005,))
