"""Network side of the TLS collector: handshakes, certificate reading, two HTTP requests.

Only the standard library ``ssl`` (the platform's OpenSSL) and ``cryptography`` (already a
dependency) are used. Each fact is read on its own connection so that one failing read
becomes ``error`` evidence for exactly that fact.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from auditpack.evidence.tls import PROTOCOL_ORDER, ProtocolProbe, ProtocolVersion
from auditpack.model import ErrorReason

#: ssl.TLSVersion member names of our protocol labels
_SSL_NAMES: dict[str, str] = {"SSLv3": "SSLv3", "1.0": "TLSv1", "1.1": "TLSv1_1", "1.2": "TLSv1_2", "1.3": "TLSv1_3"}
#: every cipher the local library knows, at security level 0: we measure what the SERVER accepts
_PROBE_CIPHERS = "ALL:@SECLEVEL=0"
#: locally raised: this library/configuration cannot offer the version at all
_LOCAL_LIMITS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM")
_USER_AGENT = "auditpack-tls-probe"


def quiet_legacy_warnings() -> None:
    """Pinning SSLv3/TLS 1.0/1.1 on purpose raises DeprecationWarnings; these probes exist to
    find servers that still accept them."""
    warnings.filterwarnings("ignore", message=r"ssl\.(TLSVersion\.)?(SSLv3|TLSv1|TLSv1_1)\b.*deprecated",
                            category=DeprecationWarning)


class ProbeError(Exception):
    """A read that could not be done; ``reason`` becomes the evidence's error reason."""

    def __init__(self, message: str, reason: ErrorReason) -> None:
        super().__init__(message)
        self.reason = reason


def describe_os_error(exc: BaseException, what: str) -> ProbeError:
    if isinstance(exc, ProbeError):
        return exc
    if isinstance(exc, TimeoutError):
        return ProbeError(f"{what}: timed out", ErrorReason.TIMEOUT)
    if isinstance(exc, socket.gaierror):
        return ProbeError(f"{what}: name resolution failed ({exc.strerror or exc})", ErrorReason.CONNECTIVITY)
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError(f"{what}: connection refused", ErrorReason.CONNECTIVITY)
    if isinstance(exc, OSError):
        return ProbeError(f"{what}: {exc.strerror or exc}", ErrorReason.CONNECTIVITY)
    return ProbeError(f"{what}: {type(exc).__name__}: {exc}", ErrorReason.INTERNAL)


# --- what the local OpenSSL can offer ------------------------------------------------------

def _tls_version(version: str) -> ssl.TLSVersion:
    return ssl.TLSVersion[_SSL_NAMES[version]]


@functools.cache
def local_limitation(version: ProtocolVersion) -> str | None:
    """None when the local OpenSSL can send a ClientHello for exactly ``version``, else why not.

    Decided offline with memory BIOs: build the pinned context and start a handshake; a
    ClientHello in the outgoing buffer means the version can be offered.
    """
    if version == "SSLv3" and not ssl.HAS_SSLv3:
        return f"the local {ssl.OPENSSL_VERSION} is built without SSLv3"
    try:
        context = pinned_context(version)
        outgoing = ssl.MemoryBIO()
        obj = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="probe.invalid")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return None if outgoing.pending else f"the local {ssl.OPENSSL_VERSION} sent no ClientHello for {version}"
    except (ssl.SSLError, ValueError) as exc:
        return f"the local {ssl.OPENSSL_VERSION} cannot offer {label(version)}: {getattr(exc, 'reason', None) or exc}"


def label(version: str) -> str:
    return version if version == "SSLv3" else f"TLS {version}"


def _legacy_friendly(context: ssl.SSLContext) -> None:
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(_PROBE_CIPHERS)
    context.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0)


def pinned_context(version: ProtocolVersion) -> ssl.SSLContext:
    """A non-verifying client context that offers exactly one protocol version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _legacy_friendly(context)
    tls_version = _tls_version(version)
    context.minimum_version = tls_version
    context.maximum_version = tls_version
    return context


def reading_context() -> ssl.SSLContext:
    """A non-verifying client context offering every version the local library can."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _legacy_friendly(context)
    lowest = next((v for v in PROTOCOL_ORDER if local_limitation(v) is None), "1.2")
    context.minimum_version = _tls_version(lowest)
    return context


# --- connections -----------------------------------------------------------------------------

def resolve(host: str, port: int) -> str:
    """The first address ``host`` resolves to; every probe of the endpoint uses it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise ProbeError(f"{host}: name resolution returned no address", ErrorReason.CONNECTIVITY)
    return str(infos[0][4][0])


def connect(address: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((address, port), timeout=timeout)


@dataclass
class VersionResult:
    probe: ProtocolProbe
    reason: ErrorReason | None = None  # set when status == "error"
    leaf: bytes | None = None
    chain: list[bytes] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def probe_version(version: ProtocolVersion, address: str, port: int, server_name: str,
                  timeout: float) -> VersionResult:
    """One handshake offering only ``version``. A handshake failure is an answer (refused);
    a timeout or a failed connection is not (error)."""
    limitation = local_limitation(version)
    if limitation is not None:
        return VersionResult(ProtocolProbe(version=version, status="not_tested", detail=limitation),
                             raw={"status": "not_tested", "detail": limitation})
    try:
        sock = connect(address, port, timeout)
    except OSError as exc:
        err = describe_os_error(exc, f"connect to {address}:{port}")
        return VersionResult(ProtocolProbe(version=version, status="error", detail=str(err)), err.reason,
                             raw={"status": "error", "detail": str(err)})
    try:
        with pinned_context(version).wrap_socket(sock, server_hostname=server_name) as tls:
            name, protocol, bits = tls.cipher() or (None, None, None)
            leaf = tls.getpeercert(binary_form=True)
            chain = _unverified_chain(tls)
        return VersionResult(
            ProtocolProbe(version=version, status="accepted", cipher=name, cipher_bits=bits),
            leaf=leaf, chain=chain,
            raw={"status": "accepted", "cipher": [name, protocol, bits]},
        )
    except ssl.SSLError as exc:
        text = str(exc) or type(exc).__name__
        status: Literal["refused", "not_tested"] = "not_tested" if exc.reason in _LOCAL_LIMITS else "refused"
        return VersionResult(ProtocolProbe(version=version, status=status, detail=text),
                             raw={"status": status, "detail": text})
    except TimeoutError:
        text = f"handshake timed out after {timeout:g} s"
        return VersionResult(ProtocolProbe(version=version, status="error", detail=text), ErrorReason.TIMEOUT,
                             raw={"status": "error", "detail": text})
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
        text = f"the server closed the connection during the handshake ({type(exc).__name__})"
        return VersionResult(ProtocolProbe(version=version, status="refused", detail=text),
                             raw={"status": "refused", "detail": text})
    except OSError as exc:
        err = describe_os_error(exc, "handshake")
        return VersionResult(ProtocolProbe(version=version, status="error", detail=str(err)), err.reason,
                             raw={"status": "error", "detail": str(err)})
    finally:
        sock.close()


def _unverified_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """The chain as the server sent it (leaf first). Python 3.11 has only the private
    ``get_unverified_chain``; without it, the leaf alone."""
    getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    if getter is None:
        return []
    try:
        certs = getter() or []
        import _ssl

        return [cert.public_bytes(_ssl.ENCODING_DER) for cert in certs]
    except Exception:  # noqa: BLE001 - a private API: fall back to the leaf only
        return []


# --- verification ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    status: Literal["ok", "failed", "error"]
    error: str | None = None
    code: int | None = None


def verifying_context(ca_bundle: str | None, check_hostname: bool, best_version: ProtocolVersion) -> ssl.SSLContext:
    """System store plus ``ca_bundle``; the hostname is checked unless switched off.

    For a server whose best version is below TLS 1.2 the handshake can only happen at
    OpenSSL security level 0; verification then runs at that level (such a server fails
    the minimum-version check anyway)."""
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    context.check_hostname = check_hostname
    if PROTOCOL_ORDER.index(best_version) < PROTOCOL_ORDER.index("1.2"):
        context.minimum_version = _tls_version(best_version)
        context.maximum_version = _tls_version(best_version)
        context.set_ciphers(_PROBE_CIPHERS)
    return context


def verify(context: ssl.SSLContext, address: str, port: int, server_name: str, timeout: float) -> Verification:
    try:
        sock = connect(address, port, timeout)
    except OSError as exc:
        return Verification("error", str(describe_os_error(exc, f"connect to {address}:{port}")))
    try:
        with context.wrap_socket(sock, server_hostname=server_name):
            return Verification("ok")
    except ssl.SSLCertVerificationError as exc:
        return Verification("failed", exc.verify_message or str(exc), exc.verify_code)
    except ssl.SSLError as exc:
        return Verification("error", f"verifying handshake failed: {exc.reason or exc}")
    except OSError as exc:
        return Verification("error", str(describe_os_error(exc, "verifying handshake")))
    finally:
        sock.close()


# --- certificate parsing ---------------------------------------------------------------------

def hostname_matches(host: str, dns_names: tuple[str, ...], ip_names: tuple[str, ...]) -> bool:
    """RFC 6125 matching against subjectAltName only (as OpenSSL does for Python): exact
    names, or a wildcard that is the whole left-most label and covers exactly one label."""
    try:
        wanted_ip = ipaddress.ip_address(host)
    except ValueError:
        wanted_ip = None
    if wanted_ip is not None:
        return any(_same_ip(wanted_ip, ip) for ip in ip_names)
    wanted = _a_label(host)
    for pattern in dns_names:
        name = pattern.lower().rstrip(".")
        if name == wanted:
            return True
        if name.startswith("*.") and "*" not in name[2:] and name.count(".") >= 2:
            suffix = name[1:]
            head = wanted[: -len(suffix)] if wanted.endswith(suffix) else ""
            if head and "." not in head:
                return True
    return False


def _same_ip(wanted: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) == wanted
    except ValueError:
        return False


def _a_label(host: str) -> str:
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _key_facts(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - any failure means "not signed by itself"
        return False
    return True


def certificate_facts(leaf_der: bytes, chain_der: list[bytes], now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record fields, raw) of the served leaf certificate."""
    cert = x509.load_der_x509_certificate(leaf_der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    key_type, key_size, curve = _key_facts(cert)
    oid = cert.signature_algorithm_oid
    chain_subjects = []
    chain_pem = []
    for der in chain_der or [leaf_der]:
        try:
            parsed = x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        chain_subjects.append(parsed.subject.rfc4514_string())
        chain_pem.append(parsed.public_bytes(serialization.Encoding.PEM).decode())
    not_after = cert.not_valid_after_utc
    fields = {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "san_dns": dns,
        "san_ip": ips,
        "not_valid_before": cert.not_valid_before_utc,
        "not_valid_after": not_after,
        "days_to_expiry": (not_after - now.astimezone(UTC)).days,
        "key_type": key_type,
        "key_size": key_size,
        "curve": curve,
        "signature_algorithm": getattr(oid, "_name", None) or oid.dotted_string,
        "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
        "self_signed": _self_signed(cert),
        "chain": tuple(chain_subjects),
    }
    raw = {"leaf_pem": cert.public_bytes(serialization.Encoding.PEM).decode(), "chain_pem": chain_pem}
    return fields, raw


# --- HTTP ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def raw(self) -> dict[str, Any]:
        # cookies of an anonymous request are still session tokens: keep the names only
        headers = [[k, "<redacted>" if k.lower() == "set-cookie" else v] for k, v in self.headers]
        return {"status": self.status, "reason": self.reason, "headers": headers}


def host_header(host: str, port: int, default_port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == default_port else f"{name}:{port}"


def http_get(sock: socket.socket, host: str) -> HttpAnswer:
    """Send ``GET /`` and read the status line and headers (never the body)."""
    request = (f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {_USER_AGENT}\r\n"
               "Accept: */*\r\nConnection: close\r\n\r\n")
    sock.sendall(request.encode("idna" if not host.isascii() else "ascii"))
    response = http.client.HTTPResponse(sock, method="GET")
    try:
        response.begin()
        return HttpAnswer(response.status, response.reason, [(k, v) for k, v in response.getheaders()])
    finally:
        response.close()


def parse_hsts(value: str) -> tuple[int | None, bool, bool]:
    """(max-age, includeSubDomains, preload) of a Strict-Transport-Security value (RFC 6797)."""
    max_age: int | None = None
    include = preload = False
    for directive in value.split(";"):
        name, _, arg = directive.strip().partition("=")
        name = name.strip().lower()
        arg = arg.strip().strip('"')
        if name == "max-age" and max_age is None:
            max_age = int(arg) if arg.isdigit() else None
        elif name == "includesubdomains":
            include = True
        elif name == "preload":
            preload = True
    return max_age, include, preload
