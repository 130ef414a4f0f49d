"""A local RFC 3161 time-stamping authority for the tests and ``auditpack demo``.

    with LocalTsa() as tsa:
        config: [signing] tsa_url = tsa.url; verify with --tsa-cert tsa.ca_pem_path

OpenSSL's own ``openssl ts -reply`` answers each request (a real TSA implementation, not ours),
behind a small HTTP server on ``127.0.0.1:<free port>``. The TSA certificate is issued by a
throwaway CA made with ``cryptography``; ``ca_pem_path`` is the trust anchor an auditor would
be given. ``down=True`` serves 503 for every request (an unreachable or failing TSA).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalTsa", "openssl_available"]

_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "auditpack emulator")])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _make_pki(folder: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("auditpack emulated TSA root"))
          .issuer_name(_name("auditpack emulated TSA root")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (x509.CertificateBuilder().subject_name(_name("auditpack emulated TSA"))
           .issuer_name(ca.subject).public_key(tsa_key.public_key())
           .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
           .not_valid_after(now + dt.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    _write_key(folder / "tsa.key", tsa_key)
    (folder / "serial").write_text("01\n")
    (folder / "openssl.cnf").write_text(_CONFIG.format(dir=folder))


class LocalTsa:
    def __init__(self, *, down: bool = False) -> None:
        if not openssl_available():
            raise RuntimeError("the openssl command is not installed")
        self.down = down
        self._tmp = tempfile.TemporaryDirectory(prefix="auditpack-tsa-")
        self.folder = Path(self._tmp.name)
        _make_pki(self.folder)
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="auditpack-tsa", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/tsa"

    @property
    def ca_pem_path(self) -> Path:
        return self.folder / "ca.pem"

    def reply(self, query: bytes) -> bytes:
        with self._lock:  # openssl ts keeps its serial number in a file
            self.requests += 1
            (self.folder / "request.tsq").write_bytes(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(self.folder / "openssl.cnf"),
                            "-queryfile", str(self.folder / "request.tsq"), "-out", str(self.folder / "reply.tsr")],
                           check=True, capture_output=True, timeout=30)
            return (self.folder / "reply.tsr").read_bytes()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if tsa.down:
                    self.send_error(503, "time-stamping authority unavailable")
                    return
                try:
                    answer = tsa.reply(body)
                except subprocess.CalledProcessError:
                    self.send_error(400, "bad time-stamp request")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

        return Handler

    def __enter__(self) -> LocalTsa:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._tmp.cleanup()
