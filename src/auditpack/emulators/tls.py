"""Local TLS endpoints for the tests and ``auditpack demo``: real handshakes on loopback.

    with LocalTlsServer("app.example.test", min_version="1.0", http="plain") as server:
        settings = TlsSettings(endpoints=[server.endpoint_config()], ca_bundle=server.ca_pem_path)

:class:`LocalTlsServer` is an HTTPS server on ``127.0.0.1:<free port>`` in a thread, with a
throwaway CA and leaf certificate made with ``cryptography`` (valid, expired, for another
host name, or self-signed; RSA or EC), a chosen range of protocol versions (TLS 1.0/1.1 are
served at OpenSSL security level 0, as old servers effectively do), an optional HSTS header
and an optional plain-HTTP listener that redirects to HTTPS or serves the page.
:class:`SilentTcpServer` accepts TCP connections and never answers (timeouts);
:func:`closed_port` gives a loopback port nothing listens on. Everything stops on exit.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["EmulatorCA", "LocalTlsServer", "SilentTcpServer", "closed_port", "make_certificates"]

Version = Literal["1.0", "1.1", "1.2", "1.3"]
CertificateKind = Literal["valid", "expired", "wrong_host", "self_signed"]
KeyType = Literal["rsa", "ec"]
SignatureHash = Literal["sha256", "sha1"]
_VERSIONS: dict[str, str] = {"1.0": "TLSv1", "1.1": "TLSv1_1", "1.2": "TLSv1_2", "1.3": "TLSv1_3"}
DEFAULT_HSTS = "max-age=31536000; includeSubDomains"
LOOPBACK = "127.0.0.1"


# --- certificates --------------------------------------------------------------------------

def _key(key_type: KeyType, key_size: int) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    curve = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}.get(key_size)
    if curve is None:
        raise ValueError(f"EC key size {key_size}: use 256, 384 or 521")
    return ec.generate_private_key(curve)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "auditpack emulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class EmulatorCA:
    """A throwaway certificate authority (EC P-256, ten years). Share one between several
    :class:`LocalTlsServer` so that a single ``ca_bundle`` trusts them all."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        now = now or dt.datetime.now(dt.UTC)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name("auditpack emulator CA")
        self.cert = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def make_certificates(directory: Path, hostname: str, *, kind: CertificateKind = "valid", valid_days: int = 365,
                      key_type: KeyType = "rsa", key_size: int | None = None, ca: EmulatorCA | None = None,
                      now: dt.datetime | None = None, signature_hash: SignatureHash = "sha256") -> dict[str, Path]:
    """Write ``ca.pem`` (``ca`` or a new throwaway CA), ``leaf.pem`` and ``leaf.key`` into ``directory``.

    ``kind``: ``valid`` (CA-signed, for ``hostname``, ``valid_days`` left), ``expired``
    (ended yesterday), ``wrong_host`` (CA-signed for ``other-<hostname>``), ``self_signed``
    (signed by its own key; ``ca.pem`` is still the CA, which did NOT sign it).
    ``signature_hash="sha1"`` signs the leaf with SHA-1 (a weak certificate, for the tests).
    """
    now = now or dt.datetime.now(dt.UTC)
    ca = ca or EmulatorCA(now)
    leaf_key = _key(key_type, key_size or (2048 if key_type == "rsa" else 256))
    names = [f"other-{hostname}" if kind == "wrong_host" else hostname]
    if kind == "expired":
        not_before, not_after = now - dt.timedelta(days=400), now - dt.timedelta(days=1)
    else:
        not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=valid_days)
    subject = _name(names[0])
    builder = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(subject if kind == "self_signed" else ca.name)
        .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if kind != "self_signed":
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    if signature_hash == "sha1":
        if kind in ("self_signed", "expired"):
            raise ValueError("a SHA-1 certificate is made CA-signed and current only")
        leaf = _sign_sha1(directory, leaf_key, ca, names, not_after)
    else:
        leaf = builder.sign(leaf_key if kind == "self_signed" else ca.key, hashes.SHA256())

    paths = {"ca": directory / "ca.pem", "cert": directory / "leaf.pem", "key": directory / "leaf.key"}
    paths["ca"].write_bytes(ca.pem())
    paths["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    return paths


def _sign_sha1(directory: Path, leaf_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, ca: EmulatorCA,
               names: list[str], not_after: dt.datetime) -> x509.Certificate:
    """A CA-signed leaf for ``names`` signed with SHA-1 (a weak certificate on purpose, for the
    tests): ``cryptography`` refuses SHA-1 signatures, so the ``openssl`` command signs it."""
    work = directory / "sha1"
    work.mkdir(exist_ok=True)
    csr = x509.CertificateSigningRequestBuilder().subject_name(_name(names[0])).sign(leaf_key, hashes.SHA256())
    (work / "leaf.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    (work / "ca.pem").write_bytes(ca.pem())
    (work / "ca.key").write_bytes(ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    san = ",".join(f"IP:{n}" if isinstance(_san(n), x509.IPAddress) else f"DNS:{n}" for n in names)
    (work / "ext.cnf").write_text(f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
                                  "extendedKeyUsage=serverAuth\n")
    days = max(1, (not_after - dt.datetime.now(dt.UTC)).days)
    subprocess.run(["openssl", "x509", "-req", "-in", str(work / "leaf.csr"), "-CA", str(work / "ca.pem"),
                    "-CAkey", str(work / "ca.key"), "-CAcreateserial", "-sha1", "-days", str(days),
                    "-extfile", str(work / "ext.cnf"), "-out", str(work / "leaf.pem")],
                   check=True, capture_output=True)
    return x509.load_pem_x509_certificate((work / "leaf.pem").read_bytes())


# --- servers -------------------------------------------------------------------------------

class _QuietHttpServer(ThreadingHTTPServer):
    """Loopback HTTP(S) server: no reverse DNS on bind, no tracebacks for clients that hang
    up mid-handshake (the probes do that on purpose), handler threads joined on close."""

    daemon_threads = False
    block_on_close = True
    tls_context: ssl.SSLContext | None = None
    settings: dict[str, Any]

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(5)
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # refused version, or a probe that only wanted the handshake
        with tls:  # wrap_socket detached `request`: the TLS socket is ours to close
            super().finish_request(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _QuietHttpServer
    server_version = "auditpack-emulator"
    sys_version = ""

    def _answer(self, with_body: bool) -> None:
        settings = self.server.settings
        redirect = settings.get("redirect_to")
        if redirect:
            self.send_response(301)
            self.send_header("Location", redirect)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        if settings.get("hsts"):
            self.send_header("Strict-Transport-Security", settings["hsts"])
        body = b"" if redirect else b"auditpack emulator\n"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _serve(server: _QuietHttpServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return thread


def server_context(cert: Path, key: Path, min_version: Version, max_version: Version,
                   ciphers: str | None = None) -> ssl.SSLContext:
    """A server context for exactly ``min_version``..``max_version``; ``ciphers`` (an OpenSSL
    cipher string, TLS 1.2 and older) replaces the default suites, at security level 0 so
    that weak suites and weak certificates (RSA 1024, SHA-1) can be served on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if ciphers is not None:
            context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
        context.load_cert_chain(cert, key)
        if min_version in ("1.0", "1.1") and ciphers is None:
            context.set_ciphers("ALL:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 above level 0
        context.minimum_version = ssl.TLSVersion[_VERSIONS[min_version]]
        context.maximum_version = ssl.TLSVersion[_VERSIONS[max_version]]
    return context


class LocalTlsServer:
    """An HTTPS endpoint on loopback. Use as a context manager; ``port``, ``ca_pem_path``,
    ``http_port`` (when ``http`` is set) and :meth:`endpoint_config` are valid inside it.

    ``hsts``: the header value to send (``None``: no header). ``http``: ``"redirect"`` (301 to
    ``https://hostname:port/``), ``"plain"`` (200 over plain HTTP) or ``None`` (no listener).
    """

    def __init__(self, hostname: str = "app.example.test", *, certificate: CertificateKind = "valid",
                 valid_days: int = 365, key_type: KeyType = "rsa", key_size: int | None = None,
                 min_version: Version = "1.2", max_version: Version = "1.3", hsts: str | None = DEFAULT_HSTS,
                 http: Literal["redirect", "plain"] | None = None, address: str = LOOPBACK,
                 ca: EmulatorCA | None = None, ciphers: str | None = None,
                 signature_hash: SignatureHash = "sha256") -> None:
        if list(_VERSIONS).index(min_version) > list(_VERSIONS).index(max_version):
            raise ValueError(f"min_version {min_version} is above max_version {max_version}")
        self.hostname = hostname
        self.address = address
        self.certificate = certificate
        self.valid_days = valid_days
        self.key_type: KeyType = key_type
        self.key_size = key_size
        self.min_version: Version = min_version
        self.max_version: Version = max_version
        self.hsts = hsts
        self.http = http
        self.ca = ca
        #: an OpenSSL cipher string for TLS <= 1.2 (served at security level 0), e.g. "AES128-SHA"
        self.ciphers = ciphers
        self.signature_hash: SignatureHash = signature_hash
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._servers: list[tuple[_QuietHttpServer, threading.Thread]] = []
        self.port = 0
        self.http_port: int | None = None
        self.ca_pem_path = ""
        self.cert_pem_path = ""

    def start(self) -> LocalTlsServer:
        self._tmp = tempfile.TemporaryDirectory(prefix="auditpack-tls-")
        try:
            paths = make_certificates(Path(self._tmp.name), self.hostname, kind=self.certificate,
                                      valid_days=self.valid_days, key_type=self.key_type, key_size=self.key_size,
                                      ca=self.ca, signature_hash=self.signature_hash)
            self.ca_pem_path, self.cert_pem_path = str(paths["ca"]), str(paths["cert"])
            https = _QuietHttpServer((self.address, 0), _Handler)
            weak = self.signature_hash == "sha1" or (self.key_type == "rsa" and (self.key_size or 2048) < 2048)
            https.tls_context = server_context(paths["cert"], paths["key"], self.min_version, self.max_version,
                                               self.ciphers or ("DEFAULT" if weak else None))
            https.settings = {"hsts": self.hsts}
            self.port = https.server_port
            self._servers.append((https, _serve(https, f"tls-emulator-{self.port}")))
            if self.http is not None:
                plain = _QuietHttpServer((self.address, 0), _Handler)
                target = f"https://{self.hostname}:{self.port}/" if self.http == "redirect" else None
                plain.settings = {"redirect_to": target}
                self.http_port = plain.server_port
                self._servers.append((plain, _serve(plain, f"http-emulator-{self.http_port}")))
        except BaseException:
            self.close()
            raise
        return self

    def endpoint_config(self, **extra: Any) -> dict[str, Any]:
        """The ``[tls].endpoints`` table for this server: verify ``hostname``, connect to loopback."""
        config: dict[str, Any] = {"host": self.hostname, "address": self.address, "port": self.port}
        if self.http_port is not None:
            config["http_port"] = self.http_port
        else:
            config["http_redirect"] = False
        config.update(extra)
        return config

    def close(self) -> None:
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join()
        self._servers.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalTlsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class SilentTcpServer:
    """Accepts TCP connections (the kernel completes them from the listen backlog) and never
    sends a byte: a TLS client times out in the handshake."""

    def __init__(self, address: str = LOOPBACK, backlog: int = 64) -> None:
        self.address = address
        self.backlog = backlog
        self.port = 0
        self._sock: socket.socket | None = None

    def __enter__(self) -> SilentTcpServer:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((self.address, 0))
        self._sock.listen(self.backlog)
        self.port = self._sock.getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def closed_port(address: str = LOOPBACK) -> int:
    """A loopback port that was free a moment ago and has nothing listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])
